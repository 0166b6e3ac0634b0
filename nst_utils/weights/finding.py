"""Where VGG19 weight files are looked for, and which format each one is."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nst_utils import config
from nst_utils.errors import WeightsError

#: The two file formats this module reads.
KERAS_H5 = "keras-h5"
MATCONVNET = "matconvnet"

#: Where a weight file was found (``WeightsSource.origin``).
ORIGIN_ARGUMENT = "argument"
ORIGIN_ENV = "environment"
ORIGIN_PRETRAINED = "pretrained"
ORIGIN_KERAS_CACHE = "keras-cache"

_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_MAT5_SIGNATURE = b"MATLAB 5.0 MAT-file"

#: What the readers return: ``{layer name: (kernel, bias)}``.
LayerWeights = dict[str, tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True)
class WeightsSource:
    """A weight file and how it was found.

    ``official`` is true for a file named like Keras's official download
    that was found by the ``"imagenet"`` search (in ``pretrained/`` or in
    Keras's cache): such a file is checked against its published MD5.
    Files named explicitly (argument or ``$NST_VGG19_WEIGHTS``) are checked
    structurally instead, so instructors can use their own copies.
    """

    path: Path
    kind: str
    origin: str
    official: bool = False


def keras_cache_dir() -> Path:
    """The folder where Keras keeps downloaded models (honours ``KERAS_HOME``)."""
    home = os.environ.get("KERAS_HOME")
    base = Path(home) if home else Path(os.path.expanduser("~")) / ".keras"
    return base / "models"


def candidate_paths() -> list[tuple[str, Path | None]]:
    """Every place the ``"imagenet"`` search looks, in order.

    Returns ``(origin, path)`` pairs; the environment entry has ``None`` as
    its path when ``$NST_VGG19_WEIGHTS`` is not set.
    """
    env = config.weights_file()
    pretrained = Path(config.PRETRAINED_DIR)
    return [
        (ORIGIN_ENV, Path(env).expanduser() if env else None),
        (ORIGIN_PRETRAINED, pretrained / config.KERAS_WEIGHTS_FILENAME),
        (ORIGIN_PRETRAINED, pretrained / config.MATCONVNET_WEIGHTS_FILENAME),
        (ORIGIN_KERAS_CACHE, keras_cache_dir() / config.KERAS_WEIGHTS_FILENAME),
    ]


def detect_format(path: str | os.PathLike) -> str:
    """Tell a Keras HDF5 file from a MatConvNet file (by content, then by name)."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            head = handle.read(128)
    except OSError as exc:
        raise WeightsError(f"Cannot read the weight file {path}: {exc.strerror or exc}.") from None
    if head.startswith(_MAT5_SIGNATURE):
        return MATCONVNET
    if head.startswith(_HDF5_SIGNATURE):
        # MATLAB v7.3 files are HDF5 too; the name tells them apart.
        return MATCONVNET if path.suffix.lower() == ".mat" else KERAS_H5
    suffix = path.suffix.lower()
    if suffix == ".mat":
        return MATCONVNET
    if suffix in {".h5", ".hdf5"}:
        return KERAS_H5
    raise WeightsError(
        f"{path} is neither an HDF5 (.h5) nor a MATLAB (.mat) file. "
        "VGG19 weights must be Keras's .h5 file or MatConvNet's .mat file."
    )


def _is_official_name(path: Path) -> bool:
    return path.name == config.KERAS_WEIGHTS_FILENAME


def find_weights() -> WeightsSource | None:
    """The first weight file the ``"imagenet"`` search finds, or ``None``.

    Order: ``$NST_VGG19_WEIGHTS``, ``pretrained/<Keras file>``,
    ``pretrained/imagenet-vgg-verydeep-19.mat``, then Keras's cache
    ``~/.keras/models/<Keras file>`` (``$KERAS_HOME`` moves it).

    Raises:
        WeightsError: ``$NST_VGG19_WEIGHTS`` is set but names no file (a
            variable set on purpose should not be skipped silently).
    """
    for origin, path in candidate_paths():
        if path is None:
            continue
        if origin == ORIGIN_ENV:
            if not path.is_file():
                raise WeightsError(
                    f"${config.WEIGHTS_ENV_VAR} is set to {str(path)!r}, but there is no "
                    "such file. Point it at a VGG19 weight file (.h5 or .mat), or unset it."
                )
            return WeightsSource(path, detect_format(path), origin, official=False)
        if path.is_file():
            return WeightsSource(
                path, detect_format(path), origin, official=_is_official_name(path)
            )
    return None


def missing_weights_message() -> str:
    """What to tell someone who has no VGG19 weights: where we looked, what to do."""
    lines = ["No pretrained VGG19 weights were found. Looked in this order:"]
    for number, (origin, path) in enumerate(candidate_paths(), start=1):
        if origin == ORIGIN_ENV:
            where = f"${config.WEIGHTS_ENV_VAR}" + (f" = {path}" if path else " (not set)")
        else:
            where = str(path)
        lines.append(f"  {number}. {where}")
    lines += [
        "To get them, do ONE of these:",
        f"  * run {config.FETCH_HOWTO} to download",
        f"    Keras's file (about 80 MB) into {config.PRETRAINED_DIR}/;",
        f"  * download {config.KERAS_WEIGHTS_URL}",
        f"    yourself and put it in {config.PRETRAINED_DIR}/ (keep the name "
        f"{config.KERAS_WEIGHTS_FILENAME});",
        f"  * put the original course's {config.MATCONVNET_WEIGHTS_FILENAME} "
        f"(about 550 MB) in {config.PRETRAINED_DIR}/;",
        f"  * set {config.WEIGHTS_ENV_VAR}=/path/to/your/copy (either file format).",
        'Or pass weights="auto" (or "offline") to go on with the offline network: seeded '
        "random filters scaled so that it paints, more roughly than the real weights.",
    ]
    return "\n".join(lines)

