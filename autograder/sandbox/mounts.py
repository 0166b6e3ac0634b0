"""The grading kernel's sandbox, as a bubblewrap command line.

What the kernel sees (everything else does not exist for it):

* the system's programs and libraries (``/usr`` and its ``/bin``, ``/lib``
  links), the Python installation, the environment's packages and
  ``nst_utils``, all read-only; the ``autograder`` package and the course's
  ``notebooks/`` folder are hidden even where they sit inside a bound folder;
* ``/scratch`` (its working folder, holding a copy of the trusted side's
  staging folder for this one submission), ``/tmp``, ``/dev/shm`` and
  ``/run/nst-kernel`` (its IPC sockets): private, size-capped tmpfs mounts,
  the only writable places; nothing it writes reaches the host's disks
  (``/scratch/_grading/results`` is a tmpfs of its own, so filling the
  scratch cannot keep the harness from writing the results);
* a minimal ``/dev`` and the ``/proc`` of its own PID namespace.

It runs in new user, PID, IPC, UTS, network and cgroup namespaces, with no
capabilities, cannot create further user namespaces, starts a new session
(no terminal injection) and is killed with its parent. The limits (memory,
CPU time, file size, processes) are set by the launcher, a few lines of
trusted Python that run inside the sandbox before the kernel.
"""

from __future__ import annotations

import json
import os
import stat
import sys
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path, PurePosixPath

from nst_utils.grading.paths import MPL_DIR, RESULTS, SCRATCH, SOCKETS, STAGING  # noqa: F401

RESULTS_MB = 32
SHM_MB = 64
CONNECTION_FILE = "/run/nst-kernel.json"

# Variables of the trusted environment the kernel may see; nothing else passes
# (a course secret in the environment must never reach student code).
PASSED_ENV = ("NBGRADER_EXECUTION", "NBGRADER_VALIDATING", "TF_CPP_MIN_LOG_LEVEL",
              "TF_ENABLE_ONEDNN_OPTS", "OMP_NUM_THREADS", "KERAS_BACKEND",
              "PYTHONHASHSEED", "LANG", "LC_ALL")


@dataclass(frozen=True)
class Limits:
    """Resource limits of one grading sandbox (the grader's settings: :meth:`of`)."""

    memory_gb: float = 6.0     # RLIMIT_AS, per process
    cpu_seconds: int = 1800    # RLIMIT_CPU, per process
    file_mb: int = 64          # RLIMIT_FSIZE: the largest file it may write
    processes: int = 1024      # RLIMIT_NPROC: tasks (threads count) in its namespace
    scratch_mb: int = 256      # size of /scratch
    tmp_mb: int = 256          # size of /tmp

    def __post_init__(self):
        for name, value in vars(self).items():
            if not value > 0:
                raise ValueError(f"the sandbox limit {name} must be positive, not {value!r}.")

    @classmethod
    def of(cls, grader) -> "Limits":
        """The limits an :class:`autograder.settings.NstGrader` sets."""
        return cls(grader.memory_limit_gb, grader.cpu_limit_s, grader.file_limit_mb,
                   grader.process_limit, grader.scratch_limit_mb, grader.tmp_limit_mb)

    def total_memory_bytes(self) -> int:
        """The whole sandbox's memory (cgroup cap where available): processes and tmpfs."""
        mounts_mb = self.scratch_mb + self.tmp_mb + SHM_MB + RESULTS_MB
        return int(self.memory_gb * 2**30) + mounts_mb * 2**20

    def rlimits(self) -> dict[str, int]:
        """The launcher's ``resource.setrlimit`` values, by RLIMIT_ name."""
        return {"RLIMIT_AS": int(self.memory_gb * 2**30), "RLIMIT_CPU": self.cpu_seconds,
                "RLIMIT_FSIZE": self.file_mb * 2**20, "RLIMIT_NPROC": self.processes,
                "RLIMIT_CORE": 0}


# Runs inside the sandbox as the kernel's parent, before any student code: set
# the limits, enter the scratch, say "ready" on the fd whose number is given
# (the trusted side then holds the scratch open), close it, become the kernel.
LAUNCHER = """\
import json, os, resource, sys
limits, ready, cmd = json.loads(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
for name, value in limits.items():
    resource.setrlimit(getattr(resource, name), (value, value))
os.chdir(%r)
os.write(ready, b"ready")
os.close(ready)
os.execv(cmd[0], cmd)
""" % SCRATCH


class Binds:
    """Host paths shown to the sandbox, each passed as an fd opened here.

    bwrap binds the fd, not the path: it may run as an unprivileged uid that
    could not even traverse to the path (a Python installed under /root).
    """

    def __init__(self):
        self.fds: list[int] = []

    def _fd(self, path, flags=os.O_PATH) -> str:
        self.fds.append(os.open(path, flags | os.O_CLOEXEC))
        return str(self.fds[-1])

    def ro(self, path, dest=None) -> list[str]:
        return ["--ro-bind-fd", self._fd(path), str(dest or path)]

    def data(self, path, dest) -> list[str]:
        """A read-only copy of a regular file's bytes at ``dest``."""
        return ["--ro-bind-data", self._fd(path, os.O_RDONLY | os.O_NOFOLLOW), str(dest)]

    def copy(self, path, dest) -> list[str]:
        """A copy of a regular file's bytes at ``dest`` (in a tmpfs of the sandbox)."""
        return ["--file", self._fd(path, os.O_RDONLY | os.O_NOFOLLOW), str(dest)]

    def close(self):
        for fd in self.fds:
            os.close(fd)
        self.fds.clear()


def _python_roots() -> list[Path]:
    """The folders the kernel's Python needs: installation, environment, nst_utils."""
    roots = {Path(p).resolve() for p in (sys.base_prefix, sys.prefix, sys.exec_prefix)}
    roots.add(Path(sys.executable).parent)
    spec = find_spec("nst_utils")
    if spec and spec.submodule_search_locations:
        roots.update(Path(p).resolve() for p in spec.submodule_search_locations)
    return sorted(r for r in roots if not _under(r, Path("/usr")))


def _hidden() -> list[Path]:
    """Folders never shown, even inside a bound folder: grader code, course notebooks."""
    here = Path(__file__).resolve().parent.parent  # the autograder package
    return [here, here.parent / "notebooks"]


def _under(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _system_binds(binds: Binds) -> list[str]:
    args = binds.ro("/usr")
    for name in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(name):
            args += ["--symlink", os.readlink(name), name]
        elif os.path.isdir(name):
            args += binds.ro(name)
    for name in ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d",
                 "/etc/localtime", "/etc/alternatives"):
        if os.path.exists(name):
            args += binds.ro(name)
    return args


def _python_binds(binds: Binds) -> list[str]:
    args = []
    roots = _python_roots()
    for root in roots:
        if not any(_under(root, other) for other in roots if other != root):
            args += binds.ro(root)
    for hidden in _hidden():
        if hidden.is_dir() and any(_under(hidden, root) for root in roots):
            args += ["--size", "4096", "--tmpfs", str(hidden), "--remount-ro", str(hidden)]
    return args


def _private_mounts(limits: Limits) -> list[str]:
    return ["--proc", "/proc", "--dev", "/dev",
            "--size", str(SHM_MB * 2**20), "--tmpfs", "/dev/shm",
            "--size", str(limits.tmp_mb * 2**20), "--tmpfs", "/tmp",
            "--size", str(limits.scratch_mb * 2**20), "--tmpfs", SCRATCH,
            "--size", str(2**20), "--tmpfs", SOCKETS]


def _environment(environ) -> list[str]:
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin",
           "HOME": "/tmp", "USER": "learner", "LOGNAME": "learner",
           "MPLBACKEND": "Agg", "MPLCONFIGDIR": MPL_DIR,
           "PYTHONDONTWRITEBYTECODE": "1", "LANG": "C.UTF-8",
           # its parent is the sandbox's init: no parent polling, no console banner
           "JPY_PARENT_PID": "1"}
    env.update({k: environ[k] for k in PASSED_ENV if k in environ})
    args = ["--clearenv"]
    for key, value in env.items():
        args += ["--setenv", key, value]
    return args


NAMESPACES = ["--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-net",
              "--unshare-uts", "--unshare-cgroup-try", "--disable-userns",
              "--hostname", "sandbox", "--uid", "1000", "--gid", "1000",
              "--cap-drop", "ALL", "--die-with-parent", "--new-session"]


# Last: the sandbox's own root and /dev become read-only (their tmpfs has no
# size cap); only the size-capped mounts above stay writable.
SEAL = ["--remount-ro", "/dev", "--remount-ro", "/"]

MAX_STAGED_FILES = 256


def _staged(binds: Binds, staging: Path) -> list[str]:
    """The staging folder's regular files, copied into /scratch (symlinks and
    other oddities skipped: the trusted side wrote this folder)."""
    args, count = [], 0
    for folder, dirs, files in os.walk(staging):
        here = Path(folder)
        inside = PurePosixPath(SCRATCH) / here.relative_to(staging).as_posix()
        for name in sorted(dirs):
            if not (here / name).is_symlink():
                args += ["--dir", str(inside / name)]
        for name in sorted(files):
            if stat.S_ISREG((here / name).lstat().st_mode):
                count += 1
                args += binds.copy(here / name, inside / name)
        if count > MAX_STAGED_FILES:
            raise ValueError(f"{staging} holds more than {MAX_STAGED_FILES} files; "
                             "a grading kernel's staging folder should hold a few.")
    return args


def bwrap_command(bwrap: str, binds: Binds, *, staging: Path, connection_file: Path,
                  kernel_cmd: list[str], limits: Limits, info_fd: int, ready_fd: int,
                  environ=os.environ, font_list: Path | None = None,
                  staging_mount: Path | None = None) -> list[str]:
    """The command line that runs ``kernel_cmd`` (whose connection file is
    ``CONNECTION_FILE``) in the sandbox, with the staging folder's files in
    /scratch (and ``staging_mount``, if given, read-only at ``/staging``).
    ``info_fd`` gets bwrap's JSON info, ``ready_fd`` the launcher's word that
    the sandbox is set up; ``binds.fds`` must be passed to bwrap."""
    mount = binds.ro(staging_mount, STAGING) if staging_mount else []
    # The private mounts come first, so that an installation or a course that
    # lives under /tmp (a fresh clone, a CI checkout) is bound on top of them.
    return [bwrap, *NAMESPACES, "--info-fd", str(info_fd), *_private_mounts(limits),
            *_system_binds(binds), *_python_binds(binds),
            *_staged(binds, staging), *mount, *_font_list(binds, font_list),
            "--size", str(RESULTS_MB * 2**20), "--tmpfs", f"{SCRATCH}/{RESULTS}",
            *binds.data(connection_file, CONNECTION_FILE),
            *SEAL, *_environment(environ), "--chdir", "/",
            kernel_cmd[0], "-c", LAUNCHER, json.dumps(limits.rlimits()), str(ready_fd),
            *kernel_cmd]


def probe_command(bwrap: str, binds: Binds, limits: Limits, code: str = "import nst_utils",
                  env: dict | None = None) -> list[str]:
    """A sandbox with the same namespaces and mounts that runs only ``code`` (trusted)."""
    variables = [a for key, value in (env or {}).items() for a in ("--setenv", key, value)]
    return [bwrap, *NAMESPACES, *_private_mounts(limits), *_system_binds(binds),
            *_python_binds(binds), *SEAL, "--clearenv", *variables, "--", sys.executable, "-c",
            code]


def _font_list(binds: Binds, font_list: Path | None) -> list[str]:
    """matplotlib's font list, made once (:mod:`autograder.sandbox.fonts`), in the kernel's
    ``$MPLCONFIGDIR``; the folder stays the kernel's to write."""
    if font_list is None:
        return []
    folder = PurePosixPath(MPL_DIR)
    return ["--perms", "0777", "--dir", str(folder),
            "--perms", "0644", *binds.copy(font_list, folder / font_list.name)]
