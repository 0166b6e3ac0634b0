"""Reading any weight file: pick the reader by format, then check every layer."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from nst_utils import config
from nst_utils.errors import WeightsError
from nst_utils.weights.checksum import verify_official_file
from nst_utils.weights.finding import (
    KERAS_H5, ORIGIN_ARGUMENT, LayerWeights, WeightsSource, detect_format,
)
from nst_utils.weights.keras_h5 import read_keras_h5
from nst_utils.weights.matconvnet import read_matconvnet


def validate_weights(layers: LayerWeights, path: str | os.PathLike) -> None:
    """Check that every VGG19 convolution is present with the right shapes.

    Raises:
        WeightsError: listing every missing layer and every wrong shape.
    """
    problems = []
    for name, n_in, n_out in config.VGG19_CONV_LAYERS:
        if name not in layers:
            problems.append(f"{name}: missing")
            continue
        kernel, bias = layers[name]
        want_k, want_b = (3, 3, n_in, n_out), (n_out,)
        if kernel is None or tuple(kernel.shape) != want_k:
            got = "no single 4-D kernel" if kernel is None else f"kernel {tuple(kernel.shape)}"
            problems.append(f"{name}: {got}, expected kernel {want_k}")
        if bias is None or tuple(bias.shape) != want_b:
            got = "no single 1-D bias" if bias is None else f"bias {tuple(bias.shape)}"
            problems.append(f"{name}: {got}, expected bias {want_b}")
    if problems:
        listed = "\n  ".join(problems)
        raise WeightsError(
            f"{path} does not hold VGG19's convolutional weights:\n  {listed}\n"
            "Use Keras's VGG19 'notop' file (`make weights`) or MatConvNet's "
            f"{config.MATCONVNET_WEIGHTS_FILENAME}."
        )


def read_weights(source: WeightsSource | str | os.PathLike) -> LayerWeights:
    """Read, check and return ``{layer: (kernel float32, bias float32)}`` (BGR layout).

    An official file found by the search is checked by MD5 first; every
    file is then checked structurally.
    """
    if not isinstance(source, WeightsSource):
        path = Path(source).expanduser()
        if not path.is_file():
            raise WeightsError(f"There is no weight file at {path}.")
        source = WeightsSource(path, detect_format(path), ORIGIN_ARGUMENT)
    if source.official:
        verify_official_file(source.path)
    reader = read_keras_h5 if source.kind == KERAS_H5 else read_matconvnet
    layers = reader(source.path)
    validate_weights(layers, source.path)
    return {
        name: (np.asarray(layers[name][0], np.float32), np.asarray(layers[name][1], np.float32))
        for name, _, _ in config.VGG19_CONV_LAYERS
    }

