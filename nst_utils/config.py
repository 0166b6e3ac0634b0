"""The one home for every fixed fact of the course.

Layer names, image sizes, cost weights, the VGG19 architecture and the
addresses of its weight files live here and nowhere else. Notebooks, the
engine, the autograder and the benchmarks all read them from this module.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

# --------------------------------------------------------------------------
# Where things are
# --------------------------------------------------------------------------
#: The folder of this package, and the one that holds it: the root of the course's
#: repository in a clone (editable install), ``site-packages`` when installed.
PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent
#: True when this package runs from a clone of the course (its ``images/``,
#: ``pretrained/`` and ``output/`` folders are then used, as they always were);
#: False when it was installed (pip, a handout's wheel, Colab).
IN_CLONE = (REPO_ROOT / "pyproject.toml").is_file() and (REPO_ROOT / "images" / "SOURCES.md").is_file()
#: Names a folder of your own for ``pretrained/`` and ``output/``, wherever the package is.
HOME_ENV_VAR = "NST_HOME"


def _learner_home() -> Path:
    """Where weights and pictures go: ``$NST_HOME``; the clone; else a per-user data folder
    (``~/.local/share/nst-course`` on Linux), never the installed package's folder. A process
    with no home at all (the grading sandbox) gets a per-user folder of the temporary one."""
    if os.environ.get(HOME_ENV_VAR):
        return Path(os.environ[HOME_ENV_VAR]).expanduser()
    if IN_CLONE:
        return REPO_ROOT
    import platformdirs

    try:
        return platformdirs.user_data_path("nst-course", appauthor=False)
    except (RuntimeError, KeyError, OSError):
        return Path(tempfile.gettempdir()) / f"nst-course-{os.getuid()}"


LEARNER_HOME = _learner_home()
#: The course's images: ``images/`` in a clone, shipped inside the package otherwise.
IMAGES_DIR = REPO_ROOT / "images" if IN_CLONE else PACKAGE_DIR / "course_images"
PRETRAINED_DIR = LEARNER_HOME / "pretrained"
#: Where demos and notebook 04 save pictures (override with $NST_OUTPUT_DIR).
OUTPUT_DIR = Path(os.environ.get("NST_OUTPUT_DIR") or LEARNER_HOME / "output")
#: How a learner fetches the real weights, as said in notices and errors: the shortest
#: command, the command with its alternative, and the command with where to read more.
FETCH_COMMAND = "python -m nst_utils.weights fetch"
FETCH_WEIGHTS = "make weights" if IN_CLONE else FETCH_COMMAND
FETCH_HOWTO = f"`make weights` (or `{FETCH_COMMAND}`)" if IN_CLONE else f"`{FETCH_COMMAND}`"
WEIGHTS_HOWTO = f"`{FETCH_WEIGHTS}`" + (" (see pretrained/README.md)" if IN_CLONE else "")
#: The course's notebooks: only in a clone (the instructor versions never ship).
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"

#: The images every notebook starts from (files in ``images/``).
DEFAULT_CONTENT_IMAGE = "coffee.jpg"
DEFAULT_STYLE_IMAGE = "swirls.png"

# --------------------------------------------------------------------------
# Where the course lives online: the README's Colab and Binder links and the
# install cell that `python -m autograder release` puts in every student
# notebook point here. To point them at your copy, change these, then run
# `python -m autograder release` (a test keeps the README's links in step).
# --------------------------------------------------------------------------
#: The course's public repository on GitHub ("owner/name") and the branch learners use.
COURSE_REPOSITORY = "nst-course/nst-course"
COURSE_BRANCH = "main"
#: What a notebook on Colab installs (a pip requirement): the student package built from
#: that repository. A wheel's address works too ("nst-course @ https://.../nst_course-1.0.0-py3-none-any.whl").
COLAB_INSTALL = f"nst-course @ git+https://github.com/{COURSE_REPOSITORY}@{COURSE_BRANCH}"

# --------------------------------------------------------------------------
# The objective (Gatys et al., 2015, as taught in this course)
# --------------------------------------------------------------------------
#: Layer whose activations stand for the photo's content ("conv4_2").
CONTENT_LAYER = "block4_conv2"

#: Layers whose Gram matrices stand for the artwork's style, with weights.
STYLE_LAYERS: tuple[tuple[str, float], ...] = (
    ("block1_conv1", 0.2),
    ("block2_conv1", 0.2),
    ("block3_conv1", 0.2),
    ("block4_conv1", 0.2),
    ("block5_conv1", 0.2),
)

#: Weights of the content and style costs in J(G) = alpha*J_content + beta*J_style.
ALPHA = 10.0
BETA = 40.0

# --------------------------------------------------------------------------
# Image sizes, as (height, width)
# --------------------------------------------------------------------------
#: Size used by notebook 04 and the CLI when nothing else is asked for.
IMAGE_SIZE = (300, 400)
#: Size and step count used while nbgrader grades (keeps a cell to seconds).
GRADING_IMAGE_SIZE = (64, 64)
GRADING_STEPS = 3
#: Size of the quick illustrations in notebooks 01-03 (longest side).
PREVIEW_SIZE = 224
#: Smallest side VGG19 accepts so that block5 still has at least 1x1 maps.
MIN_IMAGE_SIDE = 32
#: Images with more pixels than this are refused (decompression-bomb guard).
MAX_IMAGE_PIXELS = 64_000_000

# --------------------------------------------------------------------------
# Optimisation defaults (the original course's Adam setting for TF2)
# --------------------------------------------------------------------------
LEARNING_RATE = 0.01
ADAM_BETA_1 = 0.99
ADAM_EPSILON = 1e-1

# --------------------------------------------------------------------------
# VGG19
# --------------------------------------------------------------------------
#: ImageNet channel means in BGR order, on the 0-255 scale (Caffe convention).
IMAGENET_MEAN_BGR = (103.939, 116.779, 123.68)

#: Convolutional base of VGG19: (layer name, input channels, output channels).
#: Every convolution is 3x3 with stride 1 and "same" padding, followed by ReLU;
#: each block ends with a 2x2 pooling layer named ``blockN_pool``.
VGG19_CONV_LAYERS: tuple[tuple[str, int, int], ...] = (
    ("block1_conv1", 3, 64),
    ("block1_conv2", 64, 64),
    ("block2_conv1", 64, 128),
    ("block2_conv2", 128, 128),
    ("block3_conv1", 128, 256),
    ("block3_conv2", 256, 256),
    ("block3_conv3", 256, 256),
    ("block3_conv4", 256, 256),
    ("block4_conv1", 256, 512),
    ("block4_conv2", 512, 512),
    ("block4_conv3", 512, 512),
    ("block4_conv4", 512, 512),
    ("block5_conv1", 512, 512),
    ("block5_conv2", 512, 512),
    ("block5_conv3", 512, 512),
    ("block5_conv4", 512, 512),
)

#: Keras's official weight file for the convolutional base ("notop").
KERAS_WEIGHTS_FILENAME = "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"
KERAS_WEIGHTS_URL = (
    "https://storage.googleapis.com/tensorflow/keras-applications/vgg19/"
    + KERAS_WEIGHTS_FILENAME
)
KERAS_WEIGHTS_MD5 = "253f8cb515780f3b799900260a226db6"

#: The MatConvNet file the original (TensorFlow 1) course shipped.
MATCONVNET_WEIGHTS_FILENAME = "imagenet-vgg-verydeep-19.mat"

#: Environment variable that points at a weight file (either format).
WEIGHTS_ENV_VAR = "NST_VGG19_WEIGHTS"

#: Seed of the random VGG19 used when no pretrained weights are available.
RANDOM_WEIGHTS_SEED = 0


# --------------------------------------------------------------------------
# What the environment may override on the learner's side: every NST_* variable
# of nst_utils is read here and nowhere else (the grader's are read in
# autograder/settings.py). NST_HOME and NST_OUTPUT_DIR are read above.
# --------------------------------------------------------------------------
#: Another address to download the weights from (a mirror; tests use a server on 127.0.0.1).
WEIGHTS_URL_ENV_VAR = "NST_VGG19_URL"
#: "0": the Keras model and TensorFlow's own gradients; "1": the faster pass
#: (:mod:`nst_utils.vgg_pass`), even where a GPU computes; unset: the pass where no GPU computes.
FAST_GRADIENT_ENV_VAR = "NST_FAST_GRADIENT"
#: "0": trace a fresh compiled step for every run and paint every run again (how the
#: engine worked before compiled steps and finished runs were kept).
REUSE_ENV_VAR = "NST_REUSE_COMPILED"
#: "0": ``make demo`` does not download the pretrained weights.
DEMO_FETCH_ENV_VAR = "NST_DEMO_FETCH"


def _said(variable: str) -> str:
    return os.environ.get(variable, "").strip()


def weights_file() -> str | None:
    """The weight file ``$NST_VGG19_WEIGHTS`` names, if set."""
    return _said(WEIGHTS_ENV_VAR) or None


def weights_url() -> str:
    """Where the weights are downloaded from: ``$NST_VGG19_URL``, else Keras's server."""
    return _said(WEIGHTS_URL_ENV_VAR) or KERAS_WEIGHTS_URL


def fast_gradient_choice() -> bool | None:
    """``$NST_FAST_GRADIENT`` as True or False; None when it leaves the choice to the engine."""
    chosen = _said(FAST_GRADIENT_ENV_VAR)
    return None if chosen not in ("0", "1") else chosen == "1"


def reuse_compiled() -> bool:
    """Whether the engine keeps compiled steps, activations and finished runs
    (``$NST_REUSE_COMPILED``, on unless "0", "false" or "no")."""
    return _said(REUSE_ENV_VAR).lower() not in ("0", "false", "no")


def demo_fetch() -> bool:
    """Whether ``make demo`` may download the weights (``$NST_DEMO_FETCH``, on unless "0")."""
    return _said(DEMO_FETCH_ENV_VAR) != "0"


def grading_mode() -> bool:
    """True while nbgrader executes a notebook (it sets ``NBGRADER_EXECUTION``)."""
    return bool(os.environ.get("NBGRADER_EXECUTION"))


def preview_size(size=None):
    """``size`` (default ``PREVIEW_SIZE``) for an illustration, or the tiny grading size
    while nbgrader grades, so that ungraded cells cost seconds there."""
    return GRADING_IMAGE_SIZE if grading_mode() else (size or PREVIEW_SIZE)

# --------------------------------------------------------------------------
# The notebook series (one nbgrader assignment)
# --------------------------------------------------------------------------
ASSIGNMENT_ID = "nst"
#: nbgrader's course id: the exchange's folder for this course, on a hub and off it.
COURSE_ID = "nst-course"
#: What a hand-in never includes (checkpoints, caches, figures the notebooks save) and
#: its largest file in kB: nbgrader's CourseDirectory.ignore and max_file_size, the
#: same for the instructor's configuration and the students' on a hub.
HAND_IN_IGNORE = (".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "output")
HAND_IN_MAX_FILE_KB = 20_000  # submissions are never larger than the notebooks plus a few images
SOURCE_DIR = NOTEBOOKS_DIR / "source" / ASSIGNMENT_ID
RELEASE_DIR = NOTEBOOKS_DIR / "release" / ASSIGNMENT_ID

NOTEBOOKS = (
    "00_tour_of_vgg19.ipynb",
    "01_content_cost.ipynb",
    "02_gram_matrix.ipynb",
    "03_style_cost.ipynb",
    "04_total_cost_and_art.ipynb",
    "05_going_further.ipynb",
)


#: The one registry of graded exercises, in the order a learner meets them: one object
#: each, with everything grading it needs (:mod:`nst_utils.grading.exercises`).
from nst_utils.grading.exercises import EXERCISES, Exercise, exercise  # noqa: E402, F401


def exercises_in(notebook: str) -> tuple[Exercise, ...]:
    """The exercises written in ``notebook`` (a file name), in order."""
    return tuple(item for item in EXERCISES if item.notebook == notebook)


#: Each graded function -> (its notebook, its points); derived from EXERCISES.
GRADED_FUNCTIONS: dict[str, tuple[str, float]] = {
    item.function: (item.notebook, item.points) for item in EXERCISES
}

# --------------------------------------------------------------------------
# The style-transfer engine (nst_utils.transfer): defaults of notebook 04,
# notebook 05 and the command line. Measured by bench/generation.py.
# --------------------------------------------------------------------------
#: Optimiser: "adam" (with ADAM_BETA_1 and ADAM_EPSILON above) or "lbfgs".
ENGINE_OPTIMIZER = "adam"
#: Adam's step size on [0, 1] pixels. Larger than the course's LEARNING_RATE
#: (0.01): with ADAM_BETA_1 = 0.99 it still descends smoothly, and reaches the
#: course's 100-step cost in well under half the time (bench/generation.py).
ENGINE_LEARNING_RATE = 0.05
#: Steps in all, shared equally by the coarse-to-fine stages.
ENGINE_STEPS = 120
#: Coarse-to-fine: optimise at these fractions of the size first, then at the
#: full size (a coarse step costs about a quarter of a full one). Stages too
#: small for the chosen layers are skipped. () for a single stage.
ENGINE_COARSE_TO_FINE = (0.5,)
#: Starting image: "content", "noise" or "mix" (content plus uniform noise).
ENGINE_INIT = "mix"
#: Amplitude of the uniform noise of the "mix" start (the original course's 0.25).
ENGINE_NOISE = 0.25
