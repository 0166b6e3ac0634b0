"""A kernel started for a notebook by the grading process, adopted by nbgrader's Execute.

Most of a graded notebook's time is its kernel starting and importing
TensorFlow. A grading run therefore has each submission's kernels forked by
one sandbox that imported TensorFlow once (:mod:`autograder.grading.kernels`),
and hands the notebook's kernel to the nbgrader job that grades it: the job's
environment names a handover file (``$NST_KERNEL_AHEAD``) in the private
course folder, which no kernel can see, and Execute adopts that kernel
(:class:`AdoptedKernelManager`) instead of starting one. If anything is amiss
(no kernel could be forked, it died, the file names another notebook),
Execute starts a sandboxed kernel of its own as before.
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

from autograder.sandbox.kernel import SandboxedKernelManager
from autograder.sandbox.mounts import SCRATCH, SOCKETS

#: Environment variable naming the handover file of a kernel started ahead.
AHEAD_ENV = "NST_KERNEL_AHEAD"
#: The arguments of every grading kernel, whoever starts it: nbgrader's Execute passes them
#: to the kernels it starts (``c.Execute.extra_arguments``), the kernel factory to those it
#: forks, so a notebook's outputs do not depend on which started its kernel.
KERNEL_ARGUMENTS = (
    # No history database: kernels run in parallel and must not share a SQLite file.
    "--HistoryManager.hist_file=:memory:",
    "--HistoryManager.enabled=False",
    # TensorFlow's C++ start-up messages go to the kernel's own stderr, not to the
    # cell's output, where nbgrader would count them as a failure.
    "--IPKernelApp.capture_fd_output=False",
    # Short tracebacks: a learner's error is easier to read in the feedback.
    "--InteractiveShell.xmode=Minimal",
)
PORTS = ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")


def write_handover(path: Path, description: dict) -> None:
    """Write ``description`` to ``path`` at once (the job may already be waiting for it)."""
    partial = path.with_name(path.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(description, handle)
    os.replace(partial, path)


def alive(pid: int | None) -> bool:
    """Whether process ``pid`` runs (not a zombie)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError, TypeError):
        return False
    return state not in ("Z", "X")


class AdoptedKernelManager(SandboxedKernelManager):
    """A kernel manager for a sandboxed kernel started ahead by the grading process."""

    def __init__(self, description: dict, **kwargs):
        super().__init__(kernel_name=description["kernel_name"], **kwargs)
        self._description = description
        self._adopted = False

    async def _async_start_kernel(self, **kw):
        described = self._description
        self.sandbox_pid = int(described["pid"])
        self._kernel_pid = int(described.get("kernel_pid") or self.sandbox_pid)
        flags = os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC
        root = f"/proc/{self.sandbox_pid}/root"
        self.scratch_fd = os.open(root + SCRATCH, flags)
        self._socket_fd = os.open(root + SOCKETS, flags)
        self.load_connection_info({
            "transport": "ipc", "ip": f"/proc/self/fd/{self._socket_fd}/{described.get('socket', 'kernel')}",
            "key": described["key"].encode(), "signature_scheme": described["signature_scheme"],
            **{port: int(described[port]) for port in PORTS}})
        self._adopted = True

    start_kernel = _async_start_kernel

    @property
    def has_kernel(self) -> bool:
        return self._adopted and alive(self._kernel_pid)

    async def _async_is_alive(self) -> bool:
        return self.has_kernel

    is_alive = _async_is_alive

    async def _async_shutdown_kernel(self, now: bool = False, restart: bool = False):
        if self._adopted and alive(self._kernel_pid):
            try:  # what it leaves running is ended before the next kernel is forked
                os.kill(self._kernel_pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self._adopted = False
        await self._async_cleanup_resources(restart=False)

    shutdown_kernel = _async_shutdown_kernel


def adopt(notebook: str, wait_s: float = 90.0) -> AdoptedKernelManager | None:
    """The kernel started for ``notebook`` in this grading job, if there is one alive.

    The grading process may still be forking it: wait for the handover file.
    """
    path = os.environ.pop(AHEAD_ENV, None)
    if not path:
        return None
    deadline = time.monotonic() + wait_s
    while not os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        description = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    pid = description.get("kernel_pid") or description.get("pid")
    if description.get("notebook") != notebook or not alive(pid):
        return None
    return AdoptedKernelManager(description)
