"""Reading what a grading kernel wrote, from the trusted side, without trusting it.

The kernel controls every byte under its scratch folder: names may be
symlinks (pointing anywhere on the *trusted* side's filesystem), FIFOs that
would block a reader, devices, or files of any size. ``read_scratch_file``
walks the path one component at a time with ``O_NOFOLLOW``, accepts only a
regular file no larger than ``max_bytes``, and answers ``None`` for anything
else, so a hostile scratch folder can make a result missing, never make the
reader hang, crash, or read a file outside the scratch.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path, PurePosixPath

_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | getattr(os, "O_NOCTTY", 0)


def _parts(relative: str | os.PathLike) -> list[str] | None:
    path = PurePosixPath(os.fspath(relative))
    parts = list(path.parts)
    if not parts or path.is_absolute() or any(p in ("", ".", "..") for p in parts):
        return None
    return parts


def _open_base(scratch: Path | str | int) -> int:
    """A fresh fd on the scratch folder (a path the trusted side chose, or an fd)."""
    if isinstance(scratch, int):
        return os.open(".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC, dir_fd=scratch)
    return os.open(scratch, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)


def _read_regular(fd: int, max_bytes: int) -> bytes | None:
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_size > max_bytes:
        return None
    chunks, total = [], 0
    while True:
        chunk = os.read(fd, min(1 << 20, max_bytes + 1 - total))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
        if total > max_bytes:
            return None


def read_scratch_file(scratch: Path | str | int, relative: str | os.PathLike,
                      max_bytes: int) -> bytes | None:
    """The bytes of ``scratch/relative`` if it is a plain regular file of at most
    ``max_bytes`` reached without any symlink; ``None`` otherwise (missing,
    a symlink at any component, a FIFO, a device, a folder, too large, ``..``).

    ``scratch`` is a folder path (its own components are trusted) or an open
    directory fd (e.g. ``SandboxedKernelManager.scratch_fd``).
    """
    parts = _parts(relative)
    if parts is None:
        return None
    opened: list[int] = []
    try:
        opened.append(_open_base(scratch))
        for part in parts[:-1]:
            opened.append(os.open(part, _DIR_FLAGS, dir_fd=opened[-1]))
        opened.append(os.open(parts[-1], _FILE_FLAGS, dir_fd=opened[-1]))
        return _read_regular(opened[-1], max_bytes)
    except OSError:
        return None
    finally:
        for fd in opened:
            os.close(fd)
