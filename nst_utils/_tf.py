"""Import TensorFlow quietly.

TensorFlow and Keras write start-up chatter to stderr. Inside a graded
nbgrader cell any stderr output scores the cell 0, so every module of this
package imports TensorFlow through here, which turns the chatter down first.
"""

import logging
import os
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

warnings.filterwarnings("ignore", module=r"(tensorflow|keras|absl|h5py)(\..*)?")

import tensorflow as tf  # noqa: E402

tf.get_logger().setLevel(logging.ERROR)
try:  # absl prints "WARNING: All log messages before absl::InitializeLog()..."
    from absl import logging as _absl_logging  # noqa: E402

    _absl_logging.set_verbosity(_absl_logging.ERROR)
except ImportError:  # pragma: no cover - absl ships with TensorFlow
    pass

__all__ = ["tf"]
