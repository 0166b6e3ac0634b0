"""The next notebook's kernel, started while the current one is graded.

Most of a graded notebook's time is its kernel starting and importing
TensorFlow (4-5 s of 5-6 s). A grading run that knows which notebook comes
next (:func:`autograder.course.run_jobs`) therefore starts that notebook's
sandboxed kernel ahead of time, staged with its scratch folder
(:mod:`autograder.staging`), and the kernel imports TensorFlow
(:mod:`nst_utils.preloaded_kernel`) while the current notebook runs. When the
next notebook's nbgrader starts, nbgrader's Execute step adopts that kernel
instead of starting one (:class:`AdoptedKernelManager`).

Nothing about the sandbox changes: the kernel is started by the trusted
grading process with the same sandbox, limits and staging as any other, it
is one kernel per notebook, and no learner code runs in it before it is
adopted. The handover (``$NST_KERNEL_AHEAD``) names a file in the private
course folder, which no kernel can see. If anything is amiss (the kernel
died, another notebook), Execute starts a kernel of its own as before.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import tempfile
from pathlib import Path

from .sandbox_kernel import SandboxedKernelManager
from .sandbox_mounts import SCRATCH, SOCKETS

#: Environment variable naming the handover file of a kernel started ahead.
AHEAD_ENV = "NST_KERNEL_AHEAD"
#: What nbclient passes every kernel it starts (so an adopted kernel is started alike).
KERNEL_ARGUMENTS = ["--HistoryManager.hist_file=:memory:"]
_PORTS = ("shell_port", "iopub_port", "stdin_port", "control_port", "hb_port")


class Ahead:
    """A sandboxed kernel started for the notebook ``name``, waiting to be adopted."""

    def __init__(self, name: str, km: SandboxedKernelManager, folder, loop):
        self.name, self.km, self._folder, self._loop = name, km, folder, loop

    @classmethod
    def start(cls, name: str, stage, env: dict) -> Ahead | None:
        """Start it: ``stage(folder)`` fills its scratch; None if it could not start."""
        folder = tempfile.TemporaryDirectory(prefix="nst-ahead-")
        loop = asyncio.new_event_loop()
        km = SandboxedKernelManager(kernel_name="python3")
        try:
            stage(Path(folder.name))
            loop.run_until_complete(km.start_kernel(cwd=folder.name, env=env,
                                                    extra_arguments=list(KERNEL_ARGUMENTS)))
        except Exception:  # noqa: BLE001 - the notebook then starts its own kernel
            cls(name, km, folder, loop).close()
            return None
        return cls(name, km, folder, loop)

    def handover(self, path: Path) -> dict:
        """Write what adopting needs (the connection, never shown to a kernel); env to pass."""
        info = self.km.get_connection_info()
        description = {"notebook": self.name, "pid": self.km.sandbox_pid,
                       "kernel_name": self.km.kernel_name, "key": info["key"].decode(),
                       "signature_scheme": info["signature_scheme"],
                       **{port: info[port] for port in _PORTS}}
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(description, handle)
        return {AHEAD_ENV: str(path)}

    def close(self) -> None:
        """Stop the kernel (if the notebook's nbgrader has not) and clean up after it."""
        try:
            if self.km.has_kernel:
                self._loop.run_until_complete(self.km.shutdown_kernel(now=True))
        except Exception:  # noqa: BLE001 - already gone
            pass
        finally:
            self._loop.close()
            self._folder.cleanup()


def _alive(pid: int | None) -> bool:
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
        flags = os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC
        root = f"/proc/{self.sandbox_pid}/root"
        self.scratch_fd = os.open(root + SCRATCH, flags)
        self._socket_fd = os.open(root + SOCKETS, flags)
        self.load_connection_info({
            "transport": "ipc", "ip": f"/proc/self/fd/{self._socket_fd}/kernel",
            "key": described["key"].encode(), "signature_scheme": described["signature_scheme"],
            **{port: int(described[port]) for port in _PORTS}})
        self._adopted = True

    start_kernel = _async_start_kernel

    @property
    def has_kernel(self) -> bool:
        return self._adopted and _alive(self.sandbox_pid)

    async def _async_is_alive(self) -> bool:
        return self.has_kernel

    is_alive = _async_is_alive

    async def _async_shutdown_kernel(self, now: bool = False, restart: bool = False):
        if self._adopted and _alive(self.sandbox_pid):
            try:
                os.kill(self.sandbox_pid, signal.SIGKILL)  # the sandbox's init: all of it ends
            except ProcessLookupError:
                pass
        self._adopted = False
        await self._async_cleanup_resources(restart=False)

    shutdown_kernel = _async_shutdown_kernel


def adopt(notebook: str) -> AdoptedKernelManager | None:
    """The kernel started ahead for ``notebook`` in this grading job, if there is one alive."""
    path = os.environ.pop(AHEAD_ENV, None)
    if not path:
        return None
    try:
        description = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if description.get("notebook") != notebook or not _alive(description.get("pid")):
        return None
    return AdoptedKernelManager(description)
