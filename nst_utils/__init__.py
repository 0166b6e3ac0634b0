"""Helpers for the Neural Style Transfer course.

Students and self-learners import from here: images, VGG19, plotting, the
optimisation engine and the public checks. Nothing in this package holds a
solution to a graded exercise.

Submodules are imported on demand (``from nst_utils import images``), so
``import nst_utils`` stays fast and does not start TensorFlow.
"""

from nst_utils import config  # noqa: F401

__version__ = "1.0.0"
