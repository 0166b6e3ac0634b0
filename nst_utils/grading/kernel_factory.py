"""One submission's grading kernels, forked from a process that imported TensorFlow once.

The grading sandbox of a submission runs ``python -m nst_utils.grading.kernel_factory
REQUESTS_FD REPLIES_FD``. It imports TensorFlow, matplotlib and the course's
checks (but runs no TensorFlow operation, so that forking stays safe), then
serves the trusted grading process, one JSON line per request:

``{"op": "fork", "connection": {...}, "argv": [...]}``
    End whatever the previous kernel left running, empty the sandbox's writable
    places, copy ``/staging`` (the next notebook's staging folder, which the
    trusted side refilled) into ``/scratch``, and fork a fresh IPython kernel
    there, which leaves its PID in ``<socket>.pid`` beside its sockets before it
    answers anything ("0" there if it could not be forked). Reply
    ``{"pid": PID}`` (its PID in the sandbox).
``{"op": "end"}``
    End every process of the sandbox but this one. Reply ``{"ended": true}``.

A request that fails is answered ``{"error": "..."}``; the trusted side then
lets the notebook start a sandboxed kernel of its own.

Each kernel starts from the same state: nothing a notebook ran survives into
the next one's kernel. Your code never runs in this process. (Inside the
grading sandbox only; it is readable because it decides nothing.)
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
import sys
import time
from pathlib import Path

from nst_utils.grading.paths import MPL_DIR, RESULTS, SCRATCH, SOCKETS, STAGING

#: Writable places emptied before each kernel (those not mounted in a sandbox are skipped).
WRITABLE = (f"{SCRATCH}/{RESULTS}", SCRATCH, "/tmp", "/dev/shm", SOCKETS)


def set_dumpable(dumpable: bool) -> None:
    """``prctl(PR_SET_DUMPABLE)``: a process that is not dumpable cannot be traced, nor its
    memory read, by the kernels it forks (same user, no capabilities)."""
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(4, int(dumpable), 0, 0, 0)  # 4: PR_SET_DUMPABLE


def preload() -> None:
    """Import what every kernel needs, without starting TensorFlow's runtime threads."""
    from nst_utils._quiet import stderr_silenced

    with stderr_silenced():
        import tensorflow  # noqa: F401 - fork-safe until its first operation
    from nst_utils.grading import preloaded_kernel

    preloaded_kernel.preload()


def end_others(rounds: int = 200) -> bool:
    """SIGKILL every process of this PID namespace but its init and this one."""
    me = os.getpid()
    for _ in range(rounds):
        _reap()
        others = [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) not in (1, me)]
        if not others:
            return True
        for pid in others:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        time.sleep(0.005)
    return False


def _reap() -> None:
    try:
        while os.waitpid(-1, os.WNOHANG)[0]:
            pass
    except ChildProcessError:
        pass


def empty(folder: Path) -> None:
    """Remove what ``folder`` holds on its own file system. Other mounts inside it (the
    results tmpfs, an installation bound under /tmp) are left alone: never walked."""
    if not folder.is_dir():
        return
    device = folder.stat().st_dev
    for entry in os.scandir(folder):
        try:
            if not entry.is_dir(follow_symlinks=False):
                os.unlink(entry.path)
            elif entry.stat(follow_symlinks=False).st_dev == device:
                empty(Path(entry.path))
                os.rmdir(entry.path)  # fails, harmlessly, around a mount point
        except OSError:
            pass


def copy_staging(source: Path, target: Path) -> None:
    """The staging folder's folders and regular files (nothing else) into ``target``."""
    for entry in os.scandir(source):
        mode = entry.stat(follow_symlinks=False).st_mode
        if stat.S_ISDIR(mode):
            (target / entry.name).mkdir(exist_ok=True)
            copy_staging(Path(entry.path), target / entry.name)
        elif stat.S_ISREG(mode):
            shutil.copyfile(entry.path, target / entry.name)


def _socket_file(connection: dict, suffix: str) -> Path:
    return Path(SOCKETS) / f"{connection['ip'].rsplit('/', 1)[-1]}{suffix}"


def _write_new(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


def fork_kernel(connection: dict, argv: list[str], keep: tuple[int, ...]) -> int:
    """A fresh kernel in ``/scratch``, after the previous one's processes and files are gone."""
    try:
        end_others()
        for folder in WRITABLE:
            empty(Path(folder))
        Path(MPL_DIR).mkdir(mode=0o777, exist_ok=True)
        copy_staging(Path(STAGING), Path(SCRATCH))
        pid = os.fork()
    except BaseException:
        _write_new(_socket_file(connection, ".pid"), "0")  # the trusted side stops waiting
        raise
    if pid:
        return pid
    try:
        _become_kernel(connection, argv, keep)
    finally:
        os._exit(1)


def _become_kernel(connection: dict, argv: list[str], keep: tuple[int, ...]) -> None:
    for fd in keep:
        os.close(fd)
    set_dumpable(True)
    os.setsid()
    os.chdir(SCRATCH)
    path = _socket_file(connection, ".json")
    _write_new(path, json.dumps(connection))
    _write_new(_socket_file(connection, ".pid"), str(os.getpid()))
    from nst_utils import _tf
    from ipykernel import kernelapp

    _tf.start_runtime()
    sys.argv = [sys.executable, "-f", str(path), *argv]
    kernelapp.launch_new_instance(argv=sys.argv[1:])
    os._exit(0)


def serve(requests: int, replies: int) -> None:
    """Answer the trusted side's requests until it closes the pipe."""
    with os.fdopen(requests, "r", encoding="utf-8") as incoming:
        for line in incoming:
            try:
                reply = _answer(json.loads(line), (requests, replies))
            except Exception as error:  # noqa: BLE001 - said, and the next request is served
                reply = {"error": repr(error)[:300]}
            os.write(replies, (json.dumps(reply) + "\n").encode())


def _answer(request: dict, keep: tuple[int, ...]) -> dict:
    if request.get("op") == "fork":
        return {"pid": fork_kernel(request["connection"], list(request.get("argv", [])), keep)}
    return {"ended": end_others()}


if __name__ == "__main__":
    from nst_utils.grading.preloaded_kernel import leave_working_folder_off_path

    leave_working_folder_off_path()
    set_dumpable(False)
    preload()
    serve(int(sys.argv[1]), int(sys.argv[2]))
