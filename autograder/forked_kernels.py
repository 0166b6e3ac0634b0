"""A submission's grading kernels, forked in one sandbox that imports TensorFlow once.

Most of a graded notebook's cost is its kernel importing TensorFlow (3-4 of its
5-6 CPU-seconds). So a grading run gives each submission one sandbox (the
same bubblewrap sandbox, limits and cgroup as a single kernel's), whose
first process, :mod:`nst_utils.kernel_factory`, imports TensorFlow and then
forks a fresh kernel for each of the submission's notebooks in turn.
nbgrader's Execute adopts that kernel (:mod:`autograder.kernel_ahead`).

Why a notebook still cannot see what decides its score:

* one sandbox per submission: another student's work is never inside it;
* one kernel at a time, in the course's notebook order. Before the next
  notebook's staging (the reference functions it imports from the notebooks
  *before* it, and its cases' inputs) is put at ``/staging``, the previous notebook's verdicts
  are final (its nbgrader job has ended) and the factory has ended every
  process the previous kernel left and emptied every writable place. So no
  kernel ever sees the reference of its own notebook, which only the staging
  of a *later* notebook holds;
* the factory runs no learner code; if a kernel harms it (kills it), the
  submission's later notebooks get a fresh sandbox each, as before.
"""

from __future__ import annotations

import asyncio
import json
import os
import select
import shutil
import tempfile
import threading
import time
import uuid
from pathlib import Path

from nst_utils import config

from .kernel_ahead import KERNEL_ARGUMENTS, PORTS, alive, write_handover
from .sandbox_kernel import START_TIMEOUT_S, SandboxedKernelManager
from .sandbox_mounts import SOCKETS

#: How long the factory may take to fork a kernel (the first waits for its imports).
REPLY_TIMEOUT_S = START_TIMEOUT_S
#: How long it may take to end what a kernel left behind.
END_TIMEOUT_S = 10


class _FactoryManager(SandboxedKernelManager):
    """The sandbox of :mod:`nst_utils.kernel_factory`, talking over two pipes."""

    program = "nst_utils.kernel_factory"

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

    def __init__(self, km: _FactoryManager, loop, staging: tempfile.TemporaryDirectory):
        self._km, self._loop, self._staging = km, loop, staging
        self._last = -1  # the course index of the last notebook it forked a kernel for
        self._busy, self._broken = False, False

    @classmethod
    def start(cls, env: dict) -> KernelFactory | None:
        """Start it (it imports TensorFlow meanwhile); None if the sandbox did not start."""
        staging = tempfile.TemporaryDirectory(prefix="nst-staging-")
        loop = asyncio.new_event_loop()
        km = _FactoryManager(Path(staging.name))
        factory = cls(km, loop, staging)
        try:
            loop.run_until_complete(km.start_kernel(cwd=staging.name, env=env))
        except Exception:  # noqa: BLE001 - its notebooks start kernels of their own
            factory.close()
            return None
        return factory

    def kernel(self, name: str, stage) -> ForkedKernel | None:
        """Ask for the kernel of notebook ``name``, ``stage(folder)`` filling its scratch.

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
        if not self._send({"op": "fork", "connection": connection, "argv": KERNEL_ARGUMENTS}):
            return None
        self._busy, self._last = True, index
        return ForkedKernel(self, name, socket, connection)

    def _restage(self, stage) -> None:
        folder = Path(self._staging.name)
        for child in folder.iterdir():
            shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
        stage(folder)

    def reply(self, timeout: float = REPLY_TIMEOUT_S) -> dict | None:
        """The factory's answer to the last request: one short JSON line within ``timeout``
        (None, and the factory broken, if it does not come)."""
        data, deadline = b"", time.monotonic() + timeout
        while not data.endswith(b"\n") and len(data) < 4096:
            left = deadline - time.monotonic()
            ready = select.select([self._km.replies], [], [], max(left, 0))[0] if left > 0 else []
            chunk = os.read(self._km.replies, 4096) if ready else b""
            if not chunk:
                break
            data += chunk
        try:
            answer = json.loads(data)
        except ValueError:
            answer = None
        self._broken = self._broken or not isinstance(answer, dict)
        return answer if isinstance(answer, dict) else None

    def _send(self, request: dict) -> bool:
        try:
            os.write(self._km.requests, (json.dumps(request) + "\n").encode())
            return True
        except OSError:
            self._broken = True
            return False

    def release(self) -> None:
        """The notebook is graded: end what its kernel left, before any next staging."""
        if self._busy:
            ended = self._send({"op": "end"}) and (self.reply(END_TIMEOUT_S) or {}).get("ended")
            self._broken = self._broken or not ended
            self._busy = False

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



class ForkedKernel:
    """A kernel the factory forked for one notebook, waiting to be adopted."""

    def __init__(self, factory: KernelFactory, name: str, socket: str, connection: dict):
        self.name, self._factory = name, factory
        self._socket, self._connection = socket, connection
        self._handing: threading.Thread | None = None

    def handover(self, path: Path) -> None:
        """Write what adopting the kernel needs (never shown to a kernel) once it exists,
        in the background: the nbgrader job waits for the file, this process goes on."""
        self._handing = threading.Thread(target=self._hand_over, args=(path,), daemon=True)
        self._handing.start()

    def _hand_over(self, path: Path) -> None:
        pid = None
        try:
            reply = self._factory.reply()
            pid = _host_pid(self._factory.sandbox_pid, reply.get("pid")) if reply else None
        finally:  # without a kernel, the job starts its own (at once: it waits for this file)
            described = {"notebook": self.name if pid else None,
                         "pid": self._factory.sandbox_pid, "kernel_pid": pid,
                         "socket": self._socket, "kernel_name": "python3", **self._connection}
            write_handover(path, described)

    def close(self) -> None:
        """The notebook is graded: its kernel's leftovers end (before any next staging)."""
        if self._handing is not None:
            self._handing.join()
        self._factory.release()


def _host_pid(sandbox_pid: int | None, inner: int | None) -> int | None:
    """The host's PID of process ``inner`` of the sandbox whose init is ``sandbox_pid``."""
    try:
        namespace = os.readlink(f"/proc/{sandbox_pid}/ns/pid")
    except (OSError, TypeError):
        return None
    for entry in os.listdir("/proc"):
        try:
            if not entry.isdigit() or os.readlink(f"/proc/{entry}/ns/pid") != namespace:
                continue
            status = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue
        line = next((x for x in status.splitlines() if x.startswith("NSpid:")), "")
        if line.split()[-1:] == [str(inner)]:
            return int(entry)
    return None
