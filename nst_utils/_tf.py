"""Import TensorFlow quietly.

TensorFlow writes start-up chatter to stderr at import time (C++ log lines
that ``TF_CPP_MIN_LOG_LEVEL`` does not silence). Inside a graded nbgrader
cell any stderr output scores the cell 0, and in a terminal the chatter
buries what matters. Every module of this package therefore imports
TensorFlow through here: the process's stderr is pointed at /dev/null for
the duration of the import only, and Python-level logging is turned down.
A real import error still surfaces as a normal Python exception.
"""

import contextlib
import logging
import os
import sys
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

warnings.filterwarnings("ignore", module=r"(tensorflow|keras|absl|h5py)(\..*)?")


@contextlib.contextmanager
def _stderr_silenced():
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


if "tensorflow" in sys.modules:
    import tensorflow as tf
else:
    with _stderr_silenced():
        import tensorflow as tf

        tf.constant(0.0) + 1.0  # first op: lets the runtime print its banner now, silenced

tf.get_logger().setLevel(logging.ERROR)
try:
    from absl import logging as _absl_logging

    _absl_logging.set_verbosity(_absl_logging.ERROR)
except ImportError:  # pragma: no cover - absl ships with TensorFlow
    pass

__all__ = ["tf"]
