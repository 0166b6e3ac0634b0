"""Running nbgrader itself: this course's configuration, limits, and a fast start.

:func:`run_nbgrader` runs one nbgrader command as a subprocess (generating
the assignment, feedback). :func:`spawn_nbgrader` starts an ``autograde``
from a fork server that imported nbgrader once, so each graded notebook saves
nbgrader's start-up; the fork server is a fresh interpreter, so it never
inherits the threads of a process that has imported TensorFlow (or a Dask
worker's).
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

from autograder import settings
from nst_utils.notebook_runner import tools_env

#: Environment variable that tags every process of one grading job.
JOB_ENV = "NST_GRADING_JOB"


def course_env() -> dict:
    """Environment for nbgrader: this venv's tools first on PATH, one core per kernel."""
    env = tools_env()
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    for name in ("OMP_NUM_THREADS", "TF_NUM_INTEROP_THREADS", "TF_NUM_INTRAOP_THREADS"):
        env.setdefault(name, "1")
    return env


def link_config(course_root: Path, options=None, extra: tuple[str, ...] = ()) -> None:
    """Make nbgrader, run inside ``course_root``, load this course's configuration, with
    the grader's settings ``options`` (:mod:`autograder.settings`) and ``extra`` lines."""
    lines = ["c = get_config()  # noqa: F821",
             f"load_subconfig({str(settings.COURSE_CONFIG)!r})  # noqa: F821",
             f"c.CourseDirectory.root = {str(course_root)!r}",
             *(settings.as_lines(options) if options is not None else []), *extra]
    (course_root / "nbgrader_config.py").write_text("\n".join(lines) + "\n", encoding="utf-8")


def ensure_config(course_root: Path) -> None:
    """A course's ``nbgrader_config.py`` (loading this course's configuration), written if it
    has none; one that exists holds the instructor's settings and is left as it is."""
    if not (course_root / "nbgrader_config.py").exists():
        link_config(course_root)


def _memory_limiter(options):
    limit = int(options.memory_limit_gb * 2**30)

    def limit_memory() -> None:
        try:
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        except (ValueError, OSError):
            pass

    return limit_memory


def run_nbgrader(args: list[str], course: Path, *, timeout: float | None = None,
                 env: dict | None = None, options=None) -> subprocess.CompletedProcess:
    """Run nbgrader in ``course`` with its configuration (this course's, written if it has
    none), memory-capped by the grader's settings ``options`` (default: the course's own).

    On timeout the whole process group (nbgrader and its kernels) is killed.
    """
    ensure_config(course)
    environment = course_env()
    environment.update(env or {})
    options = options or settings.load(course)
    process = subprocess.Popen([sys.executable, "-m", "nbgrader", *args], cwd=course,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env=environment, preexec_fn=_memory_limiter(options),
                               start_new_session=True)
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        return subprocess.CompletedProcess(process.args, -9, (output or "") + "\n[TIMEOUT]\n", "")
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    return subprocess.CompletedProcess(process.args, process.returncode, output, "")


_context = None


def _fork_server():
    global _context
    if _context is None:
        _context = multiprocessing.get_context("forkserver")
        _context.set_forkserver_preload(["autograder.grading.nbgrader_run",
                                         "autograder.grading.forkserver_preload"])
    return _context


def start_fork_server() -> None:
    """Start the fork server now: it imports nbgrader in the background, while this
    process does other work (the first graded notebook then need not wait for it)."""
    from multiprocessing import forkserver

    _fork_server()
    forkserver.ensure_running()


def spawn_nbgrader(argv: list[str], course: Path, log: Path, env: dict, options):
    """Start ``nbgrader ARGV`` in the private course ``course``, whose configuration
    (:func:`link_config`) holds the grader's settings ``options`` (output to ``log``); return its
    process handle. No override in the environment reaches it: a private course keeps
    its own gradebook and the settings it was given."""
    environment = settings.without_overrides(course_env())
    environment.update(env)
    process = _fork_server().Process(target=_nbgrader_child,
                                     args=(list(argv), str(course), str(log), environment,
                                           int(options.memory_limit_gb * 2**30)))
    process.start()
    return process


def _nbgrader_child(argv: list[str], course: str, log: str, environment: dict,
                    memory: int) -> None:
    """The forked child: its own session, memory-capped, dies with its parent."""
    code = 1
    try:
        os.setsid()
        _die_with_parent()
        try:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        except (ValueError, OSError):
            pass
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.environ.clear()
        os.environ.update(environment)
        os.chdir(course)
        from nbgrader.apps.nbgraderapp import NbGraderApp

        sys.argv = ["nbgrader", *argv]
        try:
            NbGraderApp.launch_instance(argv=list(argv))
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 - the child must always end here
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _die_with_parent() -> None:
    """Linux: end this child if the process that started it is killed."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def kill_tagged(token: str, prefix: bool = False) -> None:
    """SIGKILL every process whose environment carries this job's token (its kernels)."""
    needle = f"{JOB_ENV}={token}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            variables = (entry / "environ").read_bytes().split(b"\0")
            if any(v.startswith(needle) if prefix else v == needle for v in variables):
                os.kill(int(entry.name), signal.SIGKILL)
        except (OSError, ValueError):
            continue


def kill_orphans(parent_pid: int) -> None:
    """Kill what a killed ``grade`` run (process ``parent_pid``) left running."""
    kill_tagged(f"{parent_pid}-", prefix=True)
