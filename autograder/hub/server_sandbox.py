"""What a student's server sees of the machine: a short list of folders, nothing else.

A student's single-user server (JupyterLab, its kernels, its terminals) starts
inside a bubblewrap sandbox of its own, as the student's own Unix user, in
new user, mount, PID, IPC and UTS namespaces. Its file system is built from:

* the system (``/usr`` and its ``/bin``, ``/lib`` links, ``/etc``, ``/sys``),
  the students' shared environment and the students' configuration, read-only;
* the student's home and the course's exchange, at their own paths: the
  exchange's permissions (nbgrader's) say what they may do there;
* a private ``/tmp`` and ``/dev/shm``, its own ``/proc`` and a minimal ``/dev``.

So the instructor's checkout, ``/root``, other users' homes, the hub's state
and any folder not listed simply do not exist for it, wherever they are and
whatever their permissions; Unix permissions still apply to what it does see.
It shares the machine's network (the hub must reach it on 127.0.0.1).
"""

from __future__ import annotations

import os
from pathlib import Path

# No --die-with-parent: the server must outlive a restart of the hub that started it.
# It ends with its cgroup (ClassSpawner.stop), or with its Unix account.
NAMESPACES = ["--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
              "--unshare-cgroup-try", "--disable-userns"]


def _system() -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    for name in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(name):
            args += ["--symlink", os.readlink(name), name]
        elif os.path.isdir(name):
            args += ["--ro-bind", name, name]
    return args + ["--ro-bind", "/etc", "/etc", "--ro-bind", "/sys", "/sys"]


def command(bwrap: Path, *, home: Path, read_only: list[Path], writable: list[Path]) -> list[str]:
    """The bwrap prefix that runs a student's server (whose command follows) in its view."""
    args = [str(bwrap), *NAMESPACES, "--proc", "/proc", "--dev", "/dev",
            "--tmpfs", "/tmp", "--tmpfs", "/dev/shm", *_system()]
    for path in read_only:
        args += ["--ro-bind", str(path), str(path)]
    for path in [*writable, home]:
        args += ["--bind", str(path), str(path)]
    return args + ["--chdir", str(home), "--"]
