"""A submission's grading kernels, forked in one sandbox that imports TensorFlow once.

Most of a graded notebook's cost is its kernel importing TensorFlow (3-4 of its
5-6 CPU-seconds). So a grading run gives each submission one sandbox (the
same bubblewrap sandbox, limits and cgroup as a single kernel's), whose
first process, :mod:`nst_utils.grading.kernel_factory`, imports TensorFlow and
then forks a fresh kernel for each of the submission's notebooks in turn.

How a notebook's nbgrader job gets its kernel, with nothing to wait for but
the kernel itself:

1. the grading process chooses the kernel's connection (IPC sockets in the
   sandbox's ``/run/nst-kernel``, a fresh key) and asks the factory to fork a
   kernel with it (:meth:`KernelFactory.kernel`), without waiting;
2. it writes that connection into the private course's nbgrader
   configuration (``c.SealedExecute.forked_kernel``), which no kernel can
   read, and starts nbgrader;
3. nbgrader's Execute adopts the kernel (:class:`AdoptedKernelManager`):
   it connects and waits for the kernel to answer, as it waits for any
   kernel it starts; the kernel, before it answers anything, left its PID
   beside its sockets, so Execute can tell whether it lives and end it.

If the kernel never comes (the factory could not fork it, or died), Execute
starts a sandboxed kernel of its own instead, as it does when no kernel was
forked. Every kernel, forked or not, gets :data:`KERNEL_ARGUMENTS`.

Why a notebook still cannot see what decides its score:

* one sandbox per submission: another student's work is never inside it;
* one kernel at a time, in the course's notebook order. Before the next
  notebook's staging (the reference functions it imports from the notebooks
  *before* it, and its cases' inputs) is put at ``/staging``, the previous
  notebook's verdicts are final (its nbgrader job has ended) and the factory
  has ended every process the previous kernel left and emptied every
  writable place. So no kernel ever sees the reference of its own notebook,
  which only the staging of a *later* notebook holds;
* the factory runs no learner code; if a kernel harms it (kills it), the
  submission's later notebooks get a fresh sandbox each, as before.
"""

from __future__ import annotations

import asyncio
import json
import os
import select
import shutil
import signal
import tempfile
import time
import uuid
from pathlib import Path

from autograder.sandbox.files import read_scratch_file
from autograder.sandbox.kernel import SandboxedKernelManager
from autograder.sandbox.mounts import Limits, SCRATCH, SOCKETS
from nst_utils import config

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
#: Where a forked kernel leaves its PID (in the sandbox's PID namespace), beside its
#: sockets, before it answers anything; "0" if the factory could not fork it.
PID_FILE = "{socket}.pid"


def alive(pid: int | None) -> bool:
    """Whether process ``pid`` (as this process sees it) runs, and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError, TypeError):
        return False
    return state not in ("Z", "X")


# ------------------------------------------------------------ the factory
class _FactoryManager(SandboxedKernelManager):
    """The sandbox of :mod:`nst_utils.grading.kernel_factory`, talking over two pipes."""

    program = "nst_utils.grading.kernel_factory"

    def __init__(self, staging: Path, **kwargs):
        super().__init__(kernel_name="python3", **kwargs)
        self.staging_mount = staging
        self._requests_r, self.requests = os.pipe()
        self.replies, self._replies_w = os.pipe()
        self.extra_fds = (self._requests_r, self._replies_w)

    def sandboxed_argv(self, kernel_cmd):
        python, flag, _program = kernel_cmd[:3]
        return [python, flag, self.program, *map(str, self.extra_fds)]

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        try:
            await super()._async_launch_kernel(kernel_cmd, **kw)
        finally:
            for fd in self.extra_fds:
                os.close(fd)
            self.extra_fds = ()


class KernelFactory:
    """One submission's sandbox, forking a kernel per graded notebook, in order."""

    def __init__(self, km: _FactoryManager, loop, staging: tempfile.TemporaryDirectory,
                 reply_timeout: float, cleanup_timeout: float):
        self._km, self._loop, self._staging = km, loop, staging
        self._reply_timeout, self._cleanup_timeout = reply_timeout, cleanup_timeout
        self._last = -1  # the course index of the last notebook it forked a kernel for
        self._asked = 0  # requests not answered yet
        self._busy, self._broken = False, False

    @classmethod
    def start(cls, env: dict, limits: Limits | None = None, *, start_timeout: float = 120,
              cleanup_timeout: float = 10) -> KernelFactory | None:
        """Start it (it imports TensorFlow meanwhile); None if the sandbox did not start."""
        staging = tempfile.TemporaryDirectory(prefix="nst-staging-")
        loop = asyncio.new_event_loop()
        km = _FactoryManager(Path(staging.name), limits=limits or Limits(),
                             start_timeout=start_timeout)
        factory = cls(km, loop, staging, start_timeout, cleanup_timeout)
        try:
            loop.run_until_complete(km.start_kernel(cwd=staging.name, env=env))
        except Exception:  # noqa: BLE001 - its notebooks start kernels of their own
            factory.close()
            return None
        return factory

    def kernel(self, name: str, stage) -> dict | None:
        """Ask for the kernel of notebook ``name``, ``stage(folder)`` filling its scratch;
        return what adopting it takes (``c.SealedExecute.forked_kernel``).

        None if the factory cannot serve it: busy with another notebook, broken, or
        ``name`` does not come after the notebooks it served.
        """
        index = config.NOTEBOOKS.index(name) if name in config.NOTEBOOKS else -1
        if self._busy or self._broken or index <= self._last or not alive(self.sandbox_pid):
            return None
        try:
            self._restage(stage)
        except OSError:
            return None
        socket = f"k{index}"
        connection = {"transport": "ipc", "ip": f"{SOCKETS}/{socket}", "key": uuid.uuid4().hex,
                      "signature_scheme": "hmac-sha256",
                      **{port: n for n, port in enumerate(PORTS, start=1)}}
        if not self._send({"op": "fork", "connection": connection,
                           "argv": list(KERNEL_ARGUMENTS)}):
            return None
        self._busy, self._last = True, index
        return {"notebook": name, "sandbox_pid": self.sandbox_pid, "socket": socket,
                **connection}

    def _restage(self, stage) -> None:
        folder = Path(self._staging.name)
        for child in folder.iterdir():
            shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
        stage(folder)

    def _reply(self, timeout: float) -> dict | None:
        """The factory's answer to the oldest unanswered request: one short JSON line within
        ``timeout`` (None, and the factory broken, if it does not come)."""
        data, deadline = b"", time.monotonic() + timeout
        while not data.endswith(b"\n") and len(data) < 4096:
            left = deadline - time.monotonic()
            ready = select.select([self._km.replies], [], [], max(left, 0))[0] if left > 0 else []
            chunk = os.read(self._km.replies, 1) if ready else b""
            if not chunk:
                break
            data += chunk
        self._asked -= 1
        try:
            answer = json.loads(data)
        except ValueError:
            answer = None
        self._broken = self._broken or not isinstance(answer, dict)
        return answer if isinstance(answer, dict) else None

    def _send(self, request: dict) -> bool:
        try:
            os.write(self._km.requests, (json.dumps(request) + "\n").encode())
            self._asked += 1
            return True
        except OSError:
            self._broken = True
            return False

    def release(self) -> None:
        """The notebook is graded: end what its kernel left, before any next staging."""
        if not self._busy:
            return
        self._busy = False
        if self._asked and self._reply(self._reply_timeout) is None:  # the fork's answer
            return
        ended = self._send({"op": "end"}) and (self._reply(self._cleanup_timeout) or {}).get("ended")
        self._broken = self._broken or not ended

    @property
    def sandbox_pid(self) -> int | None:
        return self._km.sandbox_pid

    def close(self) -> None:
        """End the sandbox and everything in it."""
        for fd in (self._km.requests, self._km.replies):
            try:
                os.close(fd)
            except OSError:
                pass
        try:
            if self._km.has_kernel:
                self._loop.run_until_complete(self._km.shutdown_kernel(now=True))
        except Exception:  # noqa: BLE001 - already gone
            pass
        finally:
            self._loop.close()
            self._staging.cleanup()


# ---------------------------------------------------- in nbgrader's Execute
class AdoptedKernelManager(SandboxedKernelManager):
    """The kernel the grading process had forked for this notebook, as nbgrader's Execute
    drives it: started is connected; alive while it (once known) or its sandbox lives."""

    def __init__(self, forked: dict, **kwargs):
        super().__init__(kernel_name="python3", **kwargs)
        self._forked = forked
        self._adopted = False
        self._process: int | None = None  # a /proc/<pid> directory of the kernel, once known

    async def _async_start_kernel(self, **kw):
        forked = self._forked
        self.sandbox_pid = int(forked["sandbox_pid"])
        flags = os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC
        root = f"/proc/{self.sandbox_pid}/root"
        self.scratch_fd = os.open(root + SCRATCH, flags)
        self._socket_fd = os.open(root + SOCKETS, flags)
        self.load_connection_info({
            "transport": "ipc", "ip": f"/proc/self/fd/{self._socket_fd}/{forked['socket']}",
            "key": str(forked["key"]).encode(), "signature_scheme": forked["signature_scheme"],
            **{port: int(forked[port]) for port in PORTS}})
        self._adopted = True

    start_kernel = _async_start_kernel

    def identify(self) -> bool:
        """Find the kernel's process from the PID it left before answering (call once it has
        answered, before any cell runs); False if it left none."""
        if self._process is not None:
            return True
        text = read_scratch_file(self._socket_fd, PID_FILE.format(socket=self._forked["socket"]),
                                 32) if self._socket_fd is not None else None
        pid = text.strip().decode() if text else ""
        if not pid.isdigit() or pid == "0":
            return False
        try:
            self._process = os.open(f"/proc/{self.sandbox_pid}/root/proc/{pid}",
                                    os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError:
            return False
        return True

    def _kernel_runs(self) -> bool:
        try:
            fd = os.open("stat", os.O_RDONLY | os.O_CLOEXEC, dir_fd=self._process)
            try:
                state = os.read(fd, 512).decode().rsplit(")", 1)[1].split()[0]
            finally:
                os.close(fd)
        except (OSError, IndexError):
            return False
        return state not in ("Z", "X")

    @property
    def has_kernel(self) -> bool:
        if not (self._adopted and alive(self.sandbox_pid)):
            return False
        if self._process is None:  # not forked yet, or it says it could not be
            text = read_scratch_file(self._socket_fd, PID_FILE.format(
                socket=self._forked["socket"]), 32) if self._socket_fd is not None else None
            return text is None or text.strip() != b"0"
        return self._kernel_runs()

    async def _async_is_alive(self) -> bool:
        return self.has_kernel

    is_alive = _async_is_alive

    async def _async_shutdown_kernel(self, now: bool = False, restart: bool = False):
        if self._process is not None:
            try:  # what it leaves running is ended before the next kernel is forked
                signal.pidfd_send_signal(self._process, signal.SIGKILL)
            except OSError:
                pass
            os.close(self._process)
            self._process = None
        self._adopted = False
        await self._async_cleanup_resources(restart=False)

    shutdown_kernel = _async_shutdown_kernel
