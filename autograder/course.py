"""Grade one submission with nbgrader in a private, throw-away course folder.

Every command that grades (``score``, ``grade``, the sample bank, the
benchmark) goes through :func:`autograde_one`:

1. a private course is laid out: ``source/nst/`` holds the *graded* source
   notebooks, the gradebook is a copy of a template built once with
   ``nbgrader generate_assignment``, and ``submitted/<student>/nst/`` holds
   copies of the submitted notebooks (the originals are only read);
2. ``nbgrader autograde`` runs there, under a memory limit and a wall-clock
   limit, so no submission can take the machine or the class down;
3. the private gradebook is read back (scores are nbgrader's), and the
   submission is inspected for problems (:mod:`autograder.tamper`).

Only the notebooks that hold graded cells form the grading assignment: the
tour (00) and the experiments (05) carry no points, and executing them would
triple the time a submission takes. nbgrader skips submitted notebooks that
are not part of the assignment, and gives a missing graded notebook 0.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from nst_utils import config
from nst_utils.notebook_runner import tools_env

#: Graded notebook -> the graded functions written in it.
GRADED_NOTEBOOKS: dict[str, list[str]] = {}
for _function, (_notebook, _points) in config.GRADED_FUNCTIONS.items():
    GRADED_NOTEBOOKS.setdefault(_notebook, []).append(_function)

#: Memory a grading kernel may use (address space, bytes). TensorFlow reserves
#: much virtual memory it never touches, so this is far above its real needs.
MEMORY_LIMIT = int(os.environ.get("NST_MEMORY_LIMIT_GB", "6")) * 2**30


def exercise_of_grade_id(grade_id: str) -> str | None:
    """The graded function a test cell's ``grade_id`` scores (``test_<function>``)."""
    name = grade_id[5:] if grade_id.startswith("test_") else grade_id
    return name if name in config.GRADED_FUNCTIONS else None


@dataclass
class NotebookResult:
    notebook: str
    exercises: dict = field(default_factory=dict)  # function -> {"points", "max_points"}
    total: float = 0.0
    max_total: float = 0.0
    flags: list = field(default_factory=list)  # {"exercise", "kind", "detail"}
    errors: list = field(default_factory=list)  # {"exercise", "cell", "ename", "evalue"}
    log: str = field(default="", repr=False, compare=False)

    def as_json(self) -> dict:
        data = asdict(self)
        data.pop("log", None)
        return data


@dataclass
class SubmissionResult:
    student: str
    notebooks: list  # NotebookResult
    seconds: float = 0.0
    log: str = ""

    def as_json(self) -> dict:
        return {"notebooks": [n.as_json() for n in self.notebooks]}

    @property
    def total(self) -> float:
        return sum(n.total for n in self.notebooks)

    def exercise_points(self) -> dict:
        return {f: e["points"] for n in self.notebooks for f, e in n.exercises.items()}


# --------------------------------------------------------------------- setup
def source_notebooks(source_dir: Path | None = None) -> list[Path]:
    folder = source_dir or config.SOURCE_DIR
    return [folder / name for name in config.NOTEBOOKS if name in GRADED_NOTEBOOKS]


CONFIG_FILE = Path(__file__).with_name("nbgrader_config.py")


def course_env(course_root: Path) -> dict:
    """Environment for nbgrader subprocesses: this venv's tools first on PATH."""
    env = tools_env()
    env["NST_COURSE_ROOT"] = str(course_root)
    return env


def link_config(course_root: Path) -> None:
    """Make nbgrader, run inside ``course_root``, load this course's configuration."""
    (course_root / "nbgrader_config.py").write_text(
        f"c = get_config()  # noqa: F821\nload_subconfig({str(CONFIG_FILE)!r})  # noqa: F821\n",
        encoding="utf-8",
    )


def run_nbgrader(args: list[str], course: Path, *, timeout: float | None = None,
                 env: dict | None = None) -> subprocess.CompletedProcess:
    """Run nbgrader in ``course`` with this course's configuration, memory-capped.

    The limit is inherited by the kernels nbgrader starts; on timeout the whole
    process group (nbgrader and its kernels) is killed.
    """
    link_config(course)
    environment = course_env(course)
    environment.update(env or {})
    environment.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    # One grading kernel uses one core's worth of threads: parallel workers
    # then share the machine instead of fighting over it.
    environment.setdefault("OMP_NUM_THREADS", "1")
    environment.setdefault("TF_NUM_INTEROP_THREADS", "1")
    environment.setdefault("TF_NUM_INTRAOP_THREADS", "1")

    def _limits():
        try:
            resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
        except (ValueError, OSError):
            pass

    process = subprocess.Popen([sys.executable, "-m", "nbgrader", *args], cwd=course,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env=environment, preexec_fn=_limits,
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


_template_lock = threading.Lock()
_templates: dict[str, Path] = {}


def template_course(source_dir: Path | None = None) -> Path:
    """A course folder with the graded source notebooks and their gradebook.

    Built once with ``nbgrader generate_assignment`` and cached on disk
    (``$XDG_CACHE_HOME/nst-autograder``), keyed by the content of the source
    notebooks, this configuration and the nbgrader version.
    """
    import hashlib

    import nbgrader

    digest = hashlib.sha256(nbgrader.__version__.encode())
    for path in [*source_notebooks(source_dir), Path(__file__).with_name("nbgrader_config.py")]:
        digest.update(path.name.encode() + path.read_bytes())
    key = digest.hexdigest()[:16]
    with _template_lock:
        if key in _templates and (_templates[key] / "gradebook.db").exists():
            return _templates[key]
        cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "nst-autograder"
        try:
            cache.mkdir(parents=True, exist_ok=True)
        except OSError:  # no writable home: a per-user folder in the temporary directory
            cache = Path(tempfile.gettempdir()) / f"nst-autograder-{os.getuid()}"
            cache.mkdir(parents=True, exist_ok=True)
        root = cache / key
        if not (root / "gradebook.db").exists():
            building = Path(tempfile.mkdtemp(prefix=f"{key}-", dir=cache))
            build_assignment(building, source_dir)
            try:
                os.replace(building, root)
            except OSError:  # built meanwhile by another process
                shutil.rmtree(building, ignore_errors=True)
        _templates[key] = root
        return root


def build_assignment(course: Path, source_dir: Path | None = None) -> None:
    """Put the graded source notebooks in ``course/source/nst`` and register them."""
    target = course / "source" / config.ASSIGNMENT_ID
    target.mkdir(parents=True, exist_ok=True)
    for path in source_notebooks(source_dir):
        shutil.copy2(path, target / path.name)
    result = run_nbgrader(["generate_assignment", config.ASSIGNMENT_ID, "--force",
                           "--create"], course)
    if result.returncode != 0:
        raise RuntimeError("nbgrader generate_assignment failed:\n" + result.stdout[-3000:])


def copy_gradebook(source: Path, destination: Path) -> None:
    """A consistent copy of a SQLite gradebook, even while it is being written."""
    with sqlite3.connect(source) as src, sqlite3.connect(destination) as dst:
        src.backup(dst)


# ----------------------------------------------------------------- grading
@dataclass
class NotebookJob:
    """One graded notebook of one submission, graded in its own private course."""
    student: str
    path: Path | None  # the submitted file; None when it was not handed in
    name: str
    timestamp: str | None = None


def grade_notebook(job: NotebookJob, *, template: Path | None = None,
                   keep: Path | None = None) -> tuple[NotebookResult, dict]:
    """Autograde one notebook with nbgrader; return its result and its gradebook rows."""
    return run_jobs([job], workers=1, template=template, keep=keep)[0]


class _Running:
    """A notebook being graded by a forked nbgrader, in its private course."""

    def __init__(self, job: NotebookJob, template: Path):
        from autograder.execute import CONTEXT_ENV

        self.job = job
        self.tmp = tempfile.TemporaryDirectory(prefix="nst-grade-")
        self.course = Path(self.tmp.name)
        shutil.copytree(template / "source", self.course / "source")
        copy_gradebook(template / "gradebook.db", self.course / "gradebook.db")
        submitted = self.course / "submitted" / job.student / config.ASSIGNMENT_ID
        submitted.mkdir(parents=True)
        self.submitted = submitted / job.name
        shutil.copyfile(job.path, self.submitted)
        if job.timestamp:
            (submitted / "timestamp.txt").write_text(job.timestamp, encoding="utf-8")
        self.log = self.course / "nbgrader.log"
        self.token = f"{os.getpid()}-{id(self)}-{time.monotonic_ns()}"
        env = {CONTEXT_ENV: str(template / "source" / config.ASSIGNMENT_ID),
               "NST_GRADING_JOB": self.token}
        argv = ["autograde", config.ASSIGNMENT_ID, "--student", job.student,
                "--notebook", Path(job.name).stem, "--force"]
        self.pid = spawn_nbgrader(argv, self.course, self.log, env)
        self.deadline = time.monotonic() + notebook_timeout()
        self.status: int | None = None

    def poll(self) -> bool:
        """True once the job has ended (killing it when it ran out of time)."""
        if self.status is not None:
            return True
        pid, status = os.waitpid(self.pid, os.WNOHANG)
        if pid:
            self.status = os.waitstatus_to_exitcode(status)
        elif time.monotonic() > self.deadline:
            self.kill()
            self.status = -9
        if self.status is not None:
            _kill_tagged(self.token)  # a kernel left behind by nbgrader
        return self.status is not None

    def kill(self) -> None:
        for kill in (lambda: os.killpg(self.pid, signal.SIGKILL),
                     lambda: os.kill(self.pid, signal.SIGKILL)):
            try:
                kill()
            except (ProcessLookupError, PermissionError):
                pass
        _kill_tagged(self.token)
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass

    def collect(self, keep: Path | None) -> tuple[NotebookResult, dict]:
        from autograder import tamper

        job = self.job
        function = (GRADED_NOTEBOOKS.get(job.name) or [None])[0]
        output = self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""
        executed = self.course / "autograded" / job.student / config.ASSIGNMENT_ID / job.name
        db = self.course / "gradebook.db"
        nb = read_results(db, job.student, executed, [job.name])[0]
        rows = gradebook_rows(db, job.student, job.name)
        nb.flags.extend(tamper.inspect_submission(self.submitted))
        if self.status == -9:
            nb.flags.append({"exercise": function, "kind": "timeout",
                             "detail": "the notebook ran past its overall time limit"})
        elif not executed.exists():
            nb.flags.append({"exercise": function, "kind": "not graded",
                             "detail": "nbgrader could not grade this notebook: "
                             + _last_error(output)})
        if keep is not None and executed.exists():
            keep.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(executed, keep / job.name)
        _dedupe(nb.flags)
        nb.log = output
        self.tmp.cleanup()
        return nb, rows


def kill_orphans(parent_pid: int) -> None:
    """Kill what a killed ``grade`` run (process ``parent_pid``) left running: its jobs' processes."""
    _kill_tagged(f"{parent_pid}-", prefix=True)


def _kill_tagged(token: str, prefix: bool = False) -> None:
    """SIGKILL every process whose environment carries this job's token (its kernels)."""
    needle = f"NST_GRADING_JOB={token}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            variables = (entry / "environ").read_bytes().split(b"\0")
            if any(v.startswith(needle) if prefix else v == needle for v in variables):
                os.kill(int(entry.name), signal.SIGKILL)
        except (OSError, ValueError):
            continue


def spawn_nbgrader(argv: list[str], course: Path, log: Path, env: dict) -> int:
    """Fork a child that runs ``nbgrader ARGV`` in ``course``, memory-capped; return its pid.

    nbgrader is imported once in the parent and inherited by every child, which
    saves its start-up (seconds) per notebook. The child leads its own process
    group; the kernels it starts inherit the memory limit.
    """
    import nbgrader.apps.nbgraderapp  # noqa: F401 - imported once, before forking

    link_config(course)
    environment = course_env(course)
    environment.update(env)
    environment.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:
        os.setsid()
        _die_with_parent()
        try:
            resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
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
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _die_with_parent() -> None:
    """Linux: end this forked child if the grading process is killed."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def run_jobs(jobs: list[NotebookJob], *, workers: int = 1, template: Path | None = None,
             keep: Path | None = None, on_done=None) -> list[tuple[NotebookResult, dict]]:
    """Grade notebooks, ``workers`` at a time, from this (single) thread; results in job order.

    ``keep`` receives each autograded notebook under ``keep/<student>/``;
    ``on_done(index, job, result, rows)`` is called as each one finishes.
    """
    template = template or template_course()
    results: list = [None] * len(jobs)
    pending = list(enumerate(jobs))
    running: list[tuple[int, _Running]] = []
    try:
        while pending or running:
            while pending and len(running) < max(1, workers):
                index, job = pending.pop(0)
                if job.path is None:
                    results[index] = _missing(job)
                    if on_done:
                        on_done(index, job, *results[index])
                    continue
                running.append((index, _Running(job, template)))
            for item in list(running):
                index, run = item
                if run.poll():
                    running.remove(item)
                    target = keep / run.job.student if keep is not None else None
                    results[index] = run.collect(target)
                    if on_done:
                        on_done(index, run.job, *results[index])
            if running:
                time.sleep(0.05)
    finally:
        for _index, run in running:
            run.kill()
            run.tmp.cleanup()
    return results


def _missing(job: NotebookJob) -> tuple[NotebookResult, dict]:
    function = (GRADED_NOTEBOOKS.get(job.name) or [None])[0]
    nb = read_results(None, job.student, None, [job.name])[0]
    nb.flags.append({"exercise": function, "kind": "missing notebook",
                     "detail": f"{job.name} was not handed in"})
    return nb, {}


def _last_error(log: str) -> str:
    lines = [l for l in log.splitlines() if "ERROR" in l or "Error" in l]
    return (lines[-1] if lines else "see the log")[-200:]


def notebook_timeout() -> float:
    """Wall-clock limit of one notebook (all its cells), beyond the per-cell limit."""
    cell = int(os.environ.get("NST_CELL_TIMEOUT", "90"))
    return float(os.environ.get("NST_NOTEBOOK_TIMEOUT", str(3 * cell + 120)))


def submission_jobs(files: list[Path], student: str, *, all_graded: bool = False,
                    timestamp: str | None = None) -> tuple[list[NotebookJob], list[str]]:
    """The grading jobs of one submission, and the names of its ungraded notebooks."""
    given = {Path(p).name: Path(p) for p in files}
    names = [n for n in given if n in GRADED_NOTEBOOKS]
    if all_graded:
        names = [n for n in GRADED_NOTEBOOKS]
    jobs = [NotebookJob(student, given.get(n), n, timestamp) for n in sorted(names)]
    ungraded = [n for n in given if n not in GRADED_NOTEBOOKS]
    return jobs, ungraded


def autograde_one(files: list[Path], student: str = "learner", *, workers: int | None = None,
                  template: Path | None = None) -> SubmissionResult:
    """Autograde the notebooks of one submission; its graded notebooks run side by side."""
    from autograder import tamper

    started = time.monotonic()
    jobs, ungraded = submission_jobs(files, student)
    workers = workers or default_workers()
    graded = [nb for nb, _rows in run_jobs(jobs, workers=workers, template=template)]
    by_name = {nb.notebook: nb for nb in graded}
    for name in ungraded:
        nb = NotebookResult(name)
        path = next(Path(p) for p in files if Path(p).name == name)
        nb.flags.extend(tamper.inspect_submission(path))
        by_name[name] = nb
    ordered = [by_name[Path(p).name] for p in files if Path(p).name in by_name]
    return SubmissionResult(student, ordered, time.monotonic() - started,
                            "\n".join(nb.log for nb in graded))


def default_workers() -> int:
    """Notebooks graded at a time by default: one per core, at least two."""
    return max(2, min(4, os.cpu_count() or 2))


def gradebook_rows(db: Path, student: str, name: str) -> dict:
    """What nbgrader recorded for one notebook: {grade cell: (auto_score, needs_manual)}."""
    from nbgrader.api import Gradebook, MissingEntry

    rows = {"grades": {}, "comments": {}}
    with Gradebook(f"sqlite:///{db}") as gb:
        try:
            notebook = gb.find_submission_notebook(Path(name).stem, config.ASSIGNMENT_ID, student)
        except MissingEntry:
            return rows
        for grade in notebook.grades:
            rows["grades"][grade.name] = [grade.auto_score, bool(grade.needs_manual_grade)]
        for comment in notebook.comments:
            rows["comments"][comment.name] = comment.auto_comment
    return rows


def _first(nb: NotebookResult) -> str | None:
    functions = GRADED_NOTEBOOKS.get(nb.notebook, [])
    return functions[0] if functions else None


def _dedupe(flags: list) -> None:
    seen, unique = set(), []
    for flag in flags:
        key = (flag.get("exercise"), flag.get("kind"), flag.get("detail"))
        if key not in seen:
            seen.add(key)
            unique.append(flag)
    flags[:] = unique


def read_results(db: Path | None, student: str, autograded: Path | None, names: list[str] | None = None
                 ) -> list[NotebookResult]:
    """Per-notebook scores from a gradebook, plus errors and flags seen in the output."""
    from nbgrader.api import Gradebook, MissingEntry

    from autograder import tamper

    names = list(names) if names is not None else list(GRADED_NOTEBOOKS)
    results = []
    with contextlib.ExitStack() as stack:
        gb = stack.enter_context(Gradebook(f"sqlite:///{db}")) if db is not None else None
        for name in names:
            nb = NotebookResult(name)
            stem = Path(name).stem
            try:
                submission = gb.find_submission_notebook(stem, config.ASSIGNMENT_ID, student) \
                    if gb is not None else None
            except MissingEntry:
                submission = None
            functions = GRADED_NOTEBOOKS.get(name, [])
            if submission is not None:
                for grade in submission.grades:
                    exercise = exercise_of_grade_id(grade.name)
                    if exercise is None:
                        continue
                    nb.exercises[exercise] = {"points": float(grade.score or 0.0),
                                              "max_points": float(grade.max_score)}
            for function in functions:  # a notebook nbgrader could not read scores 0
                nb.exercises.setdefault(function, {"points": 0.0,
                                                   "max_points": config.GRADED_FUNCTIONS[function][1]})
            nb.total = float(sum(e["points"] for e in nb.exercises.values()))
            nb.max_total = float(sum(e["max_points"] for e in nb.exercises.values()))
            executed = autograded
            if executed is not None and executed.exists():
                errors, flags = tamper.inspect_outputs(executed)
                nb.errors.extend(errors)
                nb.flags.extend(flags)
            results.append(nb)
    return results


def write_json(path: Path, data) -> None:
    """Write JSON atomically (a run killed midway leaves the old file or the new one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)
