"""A jupyter_client kernel manager whose kernel runs in the bubblewrap sandbox.

nbclient (and so nbgrader's ``Execute``) starts the kernel with
``start_kernel(cwd=<folder>)``; that folder is the *staging* folder: the
trusted side puts there what the kernel may read (the submission's sibling
reference notebooks, the grader's inputs). The kernel gets a private copy of
it as its working folder ``/scratch``, a size-capped tmpfs; what it writes
there never reaches the host's disks. The trusted side reads it back through
``scratch_fd`` (a directory fd on that tmpfs, opened before any student code
runs, valid even after the kernel died) with ``read_scratch_file``.

The kernel and nbclient talk over IPC (unix) sockets in the sandbox's own
``/run/nst-kernel`` tmpfs, reached from outside through ``/proc/self/fd``;
the kernel has no network at all. Interrupts are sent as messages on the
control channel (the kernel then signals itself), since a signal to the
sandbox's process group would stop bubblewrap instead of the kernel.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import tempfile
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from traitlets import Float, Instance

from .cgroup import SandboxCgroup
from .files import read_scratch_file
from .mounts import CONNECTION_FILE, SCRATCH, SOCKETS, Binds, Limits, bwrap_command

#: What the sandbox runs in place of ``ipykernel_launcher`` (TensorFlow imported first).
PRELOADED_KERNEL = "nst_utils.grading.preloaded_kernel"


class SandboxStartError(RuntimeError):
    """bubblewrap could not set the sandbox up."""


def _read_until(fd: int, what: str, end: bytes, timeout: float, limit: int = 65536) -> bytes:
    """Read ``fd`` until ``end`` arrives; a start failure if EOF or timeout comes first."""
    data = b""
    while end not in data and len(data) < limit:
        ready, _, _ = select.select([fd], [], [], timeout)
        chunk = os.read(fd, limit) if ready else b""
        if not chunk:
            raise SandboxStartError(
                f"The grading sandbox did not start ({what}); bubblewrap's message, if any, is "
                "above. Run `python -m autograder sandbox --check` to see what this machine lacks.")
        data += chunk
    return data


class SandboxedKernelManager(AsyncKernelManager):
    """``AsyncKernelManager`` that starts the kernel inside the sandbox."""

    limits = Instance(Limits, help="Resource limits; default: the grader's defaults")
    start_timeout = Float(120.0, help="Seconds the sandbox may take to be set up")
    scratch_fd: int | None = None
    sandbox_pid: int | None = None  # the sandbox's first process, as the host sees it
    _socket_fd: int | None = None
    _private: str | None = None
    _cgroup: SandboxCgroup | None = None
    #: What runs in the sandbox in place of ``ipykernel_launcher``.
    program = PRELOADED_KERNEL
    #: A host folder shown read-only at ``/staging`` (the kernel factory's), if any.
    staging_mount: Path | None = None
    #: More descriptors for the sandbox to inherit (the kernel factory's pipes).
    extra_fds: tuple[int, ...] = ()

    def _limits_default(self):
        return Limits()

    def __init__(self, **kwargs):
        kwargs.setdefault("transport", "ipc")
        super().__init__(**kwargs)

    async def _async_pre_start_kernel(self, **kw):
        from . import bwrap_executable  # the one home of "which bwrap"
        from .fonts import font_list
        self._close_fds()
        self.transport, self.ip = "ipc", f"{SOCKETS}/kernel"
        self._private = tempfile.mkdtemp(prefix="nst-kernel-")
        self.connection_file = os.path.join(self._private, "kernel.json")
        kernel_cmd, kw = await super()._async_pre_start_kernel(**kw)
        staging = Path(kw.pop("cwd", None) or os.getcwd()).resolve()
        kernel_cmd = self.sandboxed_argv(kernel_cmd)
        self._binds = Binds()
        self._cgroup = SandboxCgroup.create(self.limits.processes, self.limits.total_memory_bytes())
        self._info_r, info_w = os.pipe()
        self._ready_r, ready_w = os.pipe()
        cmd = bwrap_command(bwrap_executable(), self._binds, staging=staging,
                            connection_file=Path(self.connection_file), kernel_cmd=kernel_cmd,
                            limits=self.limits, info_fd=info_w, ready_fd=ready_w,
                            environ=kw.get("env") or os.environ, font_list=font_list(),
                            staging_mount=self.staging_mount)
        kw.update(cwd="/", pass_fds=(info_w, ready_w, *self._binds.fds, *self.extra_fds))
        if self._cgroup is not None:
            kw["preexec_fn"] = self._cgroup.join
        return cmd, kw

    def sandboxed_argv(self, kernel_cmd: list[str]) -> list[str]:
        """The kernel's command line as the sandbox runs it."""
        return [self.program if a == "ipykernel_launcher" else
                a.replace(self.connection_file, CONNECTION_FILE) for a in kernel_cmd]

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        try:
            await super()._async_launch_kernel(kernel_cmd, **kw)
        finally:
            for fd in kw.get("pass_fds", ())[:2]:
                os.close(fd)
            self._binds.close()
        try:
            info = json.loads(_read_until(self._info_r, "no sandbox process", b"}",
                                          self.start_timeout))
            _read_until(self._ready_r, "the launcher did not report", b"ready", self.start_timeout)
            self.sandbox_pid = int(info["child-pid"])
            root = f"/proc/{self.sandbox_pid}/root"
            flags = os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC
            self.scratch_fd = os.open(root + SCRATCH, flags)
            self._socket_fd = os.open(root + SOCKETS, flags)
        except Exception:
            await self.provisioner.kill()
            self._close_fds()
            raise
        finally:
            os.close(self._info_r)
            os.close(self._ready_r)
        self.ip = f"/proc/self/fd/{self._socket_fd}/kernel"

    async def _async_interrupt_kernel(self):
        """Ask the kernel to interrupt itself (a message on the control channel)."""
        if self.has_kernel:
            msg = self.session.msg("interrupt_request", content={})
            self._connect_control_socket()
            self.session.send(self._control_socket, msg)

    interrupt_kernel = _async_interrupt_kernel  # AsyncKernelManager binds the base's

    async def _async_cleanup_resources(self, restart: bool = False):
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            self._close_fds()

    def _close_fds(self):
        for name in ("scratch_fd", "_socket_fd"):
            fd = getattr(self, name)
            if fd is not None:
                os.close(fd)
                setattr(self, name, None)
        if self._private:
            shutil.rmtree(self._private, ignore_errors=True)
            self._private = None
        if self._cgroup is not None:
            self._cgroup.remove()
            self._cgroup = None

    def read_scratch_file(self, relative, max_bytes: int) -> bytes | None:
        """``read_scratch_file`` on this kernel's private scratch (None before start)."""
        if self.scratch_fd is None:
            return None
        return read_scratch_file(self.scratch_fd, relative, max_bytes)
