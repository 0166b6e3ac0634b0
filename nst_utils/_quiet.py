"""Silence a process's standard error (file descriptor 2) for a while.

TensorFlow's C++ runtime writes to fd 2 directly, below Python's ``sys.stderr``.
"""

import contextlib
import os
import sys


@contextlib.contextmanager
def stderr_silenced():
    """Send file descriptor 2 to /dev/null for the duration of the block."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no usable fd 2 (some embedded interpreters)
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
