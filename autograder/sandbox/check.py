"""``python -m autograder sandbox --check``: what the sandbox enforces on this machine.

Each line is measured here and now, by starting small bubblewrap sandboxes,
not assumed: a machine without user namespaces (many containers) shows which
piece is missing, and the exit status says whether grading can be sandboxed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from . import SandboxUnavailable, WHAT_TO_DO, bwrap_executable, sandbox_available
from .cgroup import SandboxCgroup
from .mounts import Limits

# Counts the tasks it can start under RLIMIT_NPROC=8 inside a sandbox.
_NPROC_PROBE = """\
import os, resource, time
resource.setrlimit(resource.RLIMIT_NPROC, (8, 8))
started = 0
for _ in range(32):
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        time.sleep(2); os._exit(0)
    started += 1
print(started)
"""


def _runs(bwrap: str, *options: str, command=("/usr/bin/env", "true"),
          preexec=None) -> tuple[bool, str]:
    base = ["--ro-bind", "/", "/", "--proc", "/proc", "--dev", "/dev"]
    try:
        run = subprocess.run([bwrap, *base, *options, "--", *command], capture_output=True,
                             text=True, timeout=30, stdin=subprocess.DEVNULL, preexec_fn=preexec)
    except (OSError, subprocess.SubprocessError) as error:
        return False, str(error)
    said = (run.stdout.strip() or run.stderr.strip()).splitlines()
    return run.returncode == 0, said[-1] if said else ""


def _process_limit(bwrap: str) -> tuple[bool, str]:
    """Fork 32 sleepers under a limit of 8, the way a grading kernel is limited here."""
    cgroup = SandboxCgroup.create(8, 2**30)
    try:
        ok, said = _runs(bwrap, "--unshare-user", "--unshare-pid",
                         command=(sys.executable, "-c", _NPROC_PROBE),
                         preexec=cgroup.join if cgroup else None)
    finally:
        if cgroup is not None:
            cgroup.remove()
    how = ("a cgroup per kernel: " + ", ".join(cgroup.controls) if cgroup else
           "RLIMIT_NPROC in the kernel's user namespace" + (
               " -- NOT enforced for root, and no writable pids cgroup was found"
               if os.geteuid() == 0 else ""))
    capped = ok and said.isdigit() and int(said) < 8
    return capped, f"process limit by {how}: {said or '?'} of 32 forks under a limit of 8"


def _landlock() -> str:
    try:
        lsms = Path("/sys/kernel/security/lsm").read_text().strip()
    except OSError:
        return "unknown (cannot read /sys/kernel/security/lsm); not used by the sandbox"
    state = "enabled" if "landlock" in lsms.split(",") else "not enabled"
    return f"{state} in this kernel; not used: the mount namespace already hides every path"


def _feature_lines(bwrap: str) -> list[tuple[bool, str]]:
    lines = []
    for option, what in (("--unshare-user", "user namespace (the sandbox needs it)"),
                         ("--unshare-pid", "PID namespace: sees only its own processes"),
                         ("--unshare-net", "network namespace: no network, no host sockets"),
                         ("--unshare-ipc", "IPC namespace"),
                         ("--disable-userns", "no nested user namespaces")):
        extra = [] if option == "--unshare-user" else ["--unshare-user"]
        ok, said = _runs(bwrap, *extra, option)
        lines.append((ok, what + ("" if ok else f": {said}")))
    ok, said = _runs(bwrap, "--unshare-user", "--size", str(2**20), "--tmpfs", "/tmp",
                     command=("/usr/bin/env", "sh", "-c",
                              "head -c 2000000 /dev/zero > /tmp/f 2>/dev/null; "
                              "test $(stat -c %s /tmp/f) -le 1048576"))
    lines.append((ok, "size-capped tmpfs: /scratch, /tmp and /dev/shm cannot fill memory or disk"))
    lines.append(_process_limit(bwrap))
    return lines


def _limits_lines(limits: Limits) -> list[str]:
    return [f"memory (RLIMIT_AS, per process): {limits.memory_gb:g} GB  [memory_limit_gb]",
            f"CPU time (RLIMIT_CPU, per process): {limits.cpu_seconds} s  [cpu_limit_s]",
            f"largest file (RLIMIT_FSIZE): {limits.file_mb} MB  [file_limit_mb]",
            f"tasks incl. threads (RLIMIT_NPROC): {limits.processes}  [process_limit]",
            f"/scratch tmpfs: {limits.scratch_mb} MB, /tmp tmpfs: {limits.tmp_mb} MB  "
            "[scratch_limit_mb, tmp_limit_mb]",
            "(the grader's settings, c.NstGrader.*: `python -m autograder config`)"]


def report() -> int:
    """Print the check; 0 when grading kernels can be sandboxed here."""
    print(f"Grading sandbox check on {sys.platform}, running as uid {os.getuid()}")
    try:
        bwrap = bwrap_executable()
    except SandboxUnavailable as error:
        print(f"  [no] {error}")
        return 1
    for ok, line in _feature_lines(bwrap):
        print(f"  [{'ok' if ok else 'no'}] {line}")
    print(f"  [--] Landlock: {_landlock()}")
    print(f"  [--] the kernel runs as uid 1000 of its own user namespace (host uid {os.getuid()}) "
          "with no capabilities; the host files it sees are read-only mounts")
    try:
        from pathlib import Path

        from autograder import settings

        course = settings.course_root(Path("course"))
        limits = Limits.of(settings.load(course))
    except ValueError as error:
        print(f"  [no] {error}")
        return 1
    for line in _limits_lines(limits):
        print(f"  [--] {line}")
    ok, reason = sandbox_available()
    print(("Grading kernels WILL be sandboxed: " if ok else
           "Grading kernels CANNOT be sandboxed: ") + reason)
    return 0 if ok else 1

