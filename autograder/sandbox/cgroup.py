"""Caps on one sandbox as a whole: its number of tasks and its total memory.

``RLIMIT_NPROC`` binds every user except the host's root, whom Linux exempts
even inside a user namespace, and ``RLIMIT_AS`` caps one process, not the
sum of many. A grader running as root (a container, CI) therefore puts each
sandbox in a cgroup of its own, a child of the grader's own cgroup, whose
``pids`` limit counts every task of that sandbox alone (threads included)
and whose ``memory`` limit caps all its processes and tmpfs pages together:
one kernel's fork bomb or memory bomb cannot starve another kernel.

Running bwrap as an unprivileged host uid of its own per kernel was the
other way; bwrap then cannot bind a Python installed under a root-only
folder (``/root/.pyenv``), so cgroups are used. Not root: a cgroup is made
only where this process's own cgroup was delegated to its user (the class
hub, :mod:`autograder.hub`, delegates the instructor's server's, and makes
each single-user server's cgroup with these same functions); elsewhere
``RLIMIT_NPROC`` in the sandbox's user namespace bounds the tasks.
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from pathlib import Path

PREFIX = "nst-sandbox-"
STALE_S = 600
LIMIT_FILES = {("pids", 1): "pids.max", ("pids", 2): "pids.max",
               ("memory", 1): "memory.limit_in_bytes", ("memory", 2): "memory.max",
               ("cpu", 1): "cpu.cfs_quota_us", ("cpu", 2): "cpu.max"}
CPU_PERIOD_US = 100_000
#: The files a delegated cgroup's user may write: make children, move its own processes.
DELEGATED_FILES = ("cgroup.procs", "tasks", "cgroup.subtree_control", "cgroup.threads")


def _setting(controller: str, version: int, value: float) -> str:
    """What a limit file takes: CPU in cores becomes a quota per period."""
    if controller != "cpu":
        return str(int(value))
    quota = max(1000, int(value * CPU_PERIOD_US))
    return f"{quota} {CPU_PERIOD_US}" if version == 2 else str(quota)


def _hierarchies() -> tuple[dict[str, str], str | None]:
    """v1 mount point per controller, and the v2 (unified) mount point."""
    v1, v2 = {}, None
    with open("/proc/self/mounts") as mounts:
        for line in mounts:
            _, point, kind, options = line.split()[:4]
            if kind == "cgroup":
                v1.update({option: point for option in options.split(",")})
            elif kind == "cgroup2":
                v2 = point
    return v1, v2


def _own_cgroups() -> dict[str, str]:
    """This process's cgroup path per v1 controller ('' for the v2 hierarchy)."""
    own = {}
    with open("/proc/self/cgroup") as lines:
        for line in lines:
            number, controllers, path = line.rstrip("\n").split(":", 2)
            for controller in controllers.split(",") if controllers else [""]:
                own[controller] = path
    return own


def _parent(controller: str) -> tuple[Path, int] | None:
    """Where a child cgroup with ``controller`` can be made: (folder, cgroup version)."""
    try:
        v1, v2 = _hierarchies()
        own = _own_cgroups()
        if controller in v1 and controller in own:
            return Path(v1[controller]) / own[controller].lstrip("/"), 1
        if v2 and "" in own:
            folder = Path(v2) / own[""].lstrip("/")
            if controller in (folder / "cgroup.subtree_control").read_text().split():
                return folder, 2
    except (OSError, ValueError):
        pass
    return None


def _sweep(parent: Path, prefix: str) -> None:
    """Delete empty cgroups of ours left by processes that were killed (older than STALE_S)."""
    for path in parent.glob(prefix + "*"):
        try:
            if time.time() - path.stat().st_mtime > STALE_S and \
                    not (path / "cgroup.procs").read_text().strip():
                path.rmdir()
        except OSError:
            pass


def _make(parent: Path, name: str, prefix: str) -> Path | None:
    path = parent / name
    try:
        _sweep(parent, prefix)
        path.mkdir(exist_ok=True)
        return path
    except OSError:
        return None


class SandboxCgroup:
    """One sandbox's cgroups; ``join`` runs in the child before it execs bwrap."""

    def __init__(self, folders: list[Path], controls: list[str]):
        self.folders, self.controls = folders, controls

    @classmethod
    def create(cls, processes: int, memory_bytes: int, *, cpus: float | None = None,
               prefix: str = PREFIX) -> "SandboxCgroup | None":
        """Fresh cgroups, children of this process's own, capping tasks and memory (and
        CPU, in cores, when ``cpus`` is given), whichever the machine allows; None when
        no controller can be used (not root, and no delegated cgroup)."""
        name, folders, controls = prefix + uuid.uuid4().hex[:12], [], []
        limits = [("pids", processes), ("memory", memory_bytes)] + ([("cpu", cpus)] if cpus else [])
        for controller, value in limits:
            where = _parent(controller)
            path = _make(where[0], name, prefix) if where else None
            if path is None:
                continue
            try:
                (path / LIMIT_FILES[controller, where[1]]).write_text(
                    _setting(controller, where[1], value))
            except OSError:
                if path not in folders:
                    cls([path], []).remove()
                continue
            folders += [] if path in folders else [path]
            controls.append(f"{controller} ({path.parent})")
        made = cls(folders, controls)
        return made if controls else made.remove()

    def delegate(self, uid: int, gid: int) -> None:
        """Let user ``uid`` make child cgroups here and move its own processes into them
        (never change this cgroup's own limits: those files stay root's)."""
        for folder in self.folders:
            os.chown(folder, uid, gid)
            for name in DELEGATED_FILES:
                if (folder / name).exists():
                    os.chown(folder / name, uid, gid)

    def join(self):
        """Move the calling process into the cgroups (Popen's preexec_fn)."""
        for folder in self.folders:
            fd = os.open(folder / "cgroup.procs", os.O_WRONLY)
            try:
                os.write(fd, b"0")
            finally:
                os.close(fd)

    def processes(self) -> list[int]:
        """The processes in the cgroups (children included)."""
        found = set()
        for folder in self.folders:
            for path in folder.rglob("cgroup.procs") if folder.is_dir() else ():
                try:
                    found.update(int(pid) for pid in path.read_text().split())
                except OSError:
                    continue
        return sorted(found)

    def remove(self) -> None:
        """Kill whatever is left in the cgroups (children included) and delete them."""
        nested = [Path(f) for folder in self.folders if folder.is_dir()
                  for f, _, _ in os.walk(folder, topdown=False)]
        for folder in nested:
            for _ in range(50 if folder.is_dir() else 0):
                try:
                    for pid in (folder / "cgroup.procs").read_text().split():
                        os.kill(int(pid), signal.SIGKILL)
                    folder.rmdir()
                    break
                except ProcessLookupError:
                    continue
                except OSError:
                    time.sleep(0.1)
        self.folders = []
