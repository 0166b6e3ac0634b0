"""Helpers for the Neural Style Transfer course.

Students and self-learners import from here: images, VGG19, plotting, the
optimisation engine and the public checks. Nothing in this package holds a
solution to a graded exercise.

Submodules are imported on demand (``from nst_utils import images``), so
``import nst_utils`` stays fast and does not start TensorFlow until needed.
``from nst_utils import tf`` gives TensorFlow with its start-up chatter
turned down (graded notebook cells must not write to stderr).
"""

from nst_utils import config  # noqa: F401

__version__ = "1.0.0"


def __getattr__(name):
    if name == "tf":
        from nst_utils._tf import tf

        return tf
    raise AttributeError(f"module 'nst_utils' has no attribute {name!r}")
