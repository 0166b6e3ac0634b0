"""Import TensorFlow quietly.

TensorFlow writes start-up chatter to stderr at import time (C++ log lines
that ``TF_CPP_MIN_LOG_LEVEL`` does not silence). Inside a graded nbgrader
cell any stderr output scores the cell 0, and in a terminal the chatter
buries what matters. Every module of this package therefore imports
TensorFlow through here: the process's stderr is pointed at /dev/null for
the duration of the import only, and Python-level logging is turned down.
A real import error still surfaces as a normal Python exception.
"""

import logging
import os
import sys
import warnings

from nst_utils._quiet import stderr_silenced

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

warnings.filterwarnings("ignore", module=r"(tensorflow|keras|absl|h5py)(\..*)?")


def start_runtime() -> None:
    """Run TensorFlow's first operation, which makes the runtime print its banner, silenced.

    It also starts the runtime's threads: a process that is to fork (the grading
    sandbox's kernel factory, :mod:`nst_utils.grading.kernel_factory`) imports TensorFlow
    without it, and each forked kernel calls this first.
    """
    with stderr_silenced():
        tf.constant(0.0) + 1.0


if "tensorflow" in sys.modules:
    import tensorflow as tf
else:
    with stderr_silenced():
        import tensorflow as tf
    start_runtime()

tf.get_logger().setLevel(logging.ERROR)
try:
    from absl import logging as _absl_logging

    _absl_logging.set_verbosity(_absl_logging.ERROR)
except ImportError:  # pragma: no cover - absl ships with TensorFlow
    pass

__all__ = ["tf"]
