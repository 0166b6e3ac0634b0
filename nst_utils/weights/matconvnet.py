"""Reading MatConvNet's ``imagenet-vgg-verydeep-19.mat`` (the original course's file)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from nst_utils import config
from nst_utils.errors import WeightsError
from nst_utils.weights.finding import LayerWeights


def _matconvnet_to_keras_name(name: str) -> str | None:
    """``conv3_4`` -> ``block3_conv4``; anything else -> ``None``."""
    if not name.startswith("conv"):
        return None
    block, _, index = name[4:].partition("_")
    if block.isdigit() and index.isdigit():
        return f"block{block}_conv{index}"
    return None


def _mat_field(struct, field: str):
    value = getattr(struct, field, None)
    if isinstance(value, np.ndarray) and value.dtype.kind in "US" and value.size == 1:
        return str(value.item())
    return value


def _load_layers_cell(path: Path):
    """The ``layers`` cell array of a MatConvNet file, or a WeightsError saying why not."""
    import scipy.io

    try:
        data = scipy.io.loadmat(
            path, squeeze_me=True, struct_as_record=False, variable_names=["layers"]
        )
    except NotImplementedError:
        raise WeightsError(
            f"{path} is a MATLAB v7.3 file, which SciPy cannot read. Re-save it in "
            "MATLAB with save(..., '-v7'), or use Keras's .h5 file (`make weights`)."
        ) from None
    except Exception as exc:  # scipy raises many kinds on a damaged file
        raise WeightsError(
            f"Cannot read {path} as a MATLAB file ({exc}). It is probably truncated or "
            "damaged; download it again, or use Keras's .h5 file (`make weights`)."
        ) from None
    if "layers" not in data:
        raise WeightsError(
            f"{path} is a MATLAB file but not MatConvNet's VGG19 in the layout this course "
            "reads (no top-level 'layers' cell array; DagNN files are not supported). "
            f"Use the original {config.MATCONVNET_WEIGHTS_FILENAME} or Keras's .h5 file "
            "(`make weights`)."
        )
    return data["layers"]


def _conv_layers(cell) -> LayerWeights:
    """``{keras name: (kernel, bias)}`` for every convolution struct in the cell array."""
    layers: LayerWeights = {}
    for entry in np.atleast_1d(cell):
        if isinstance(entry, np.ndarray):  # a cell holding a 1x1 struct array
            entry = entry.flat[0]
        name = _mat_field(entry, "name")
        if not isinstance(name, str) or _mat_field(entry, "type") not in (None, "conv"):
            continue
        keras_name = _matconvnet_to_keras_name(name)
        if keras_name is None:
            continue
        weights = _mat_field(entry, "weights")
        if weights is not None and len(weights) == 2:
            kernel, bias = weights[0], weights[1]
        elif hasattr(entry, "filters") and hasattr(entry, "biases"):
            kernel, bias = entry.filters, entry.biases
        else:
            continue
        kernel = np.asarray(kernel, dtype=np.float32)
        bias = np.asarray(bias, dtype=np.float32).reshape(-1)
        if kernel.ndim == 3:  # squeeze_me drops a trailing out-channel axis of 1
            kernel = kernel[..., np.newaxis]
        layers[keras_name] = (kernel, bias)
    return layers


def read_matconvnet(path: str | os.PathLike) -> LayerWeights:
    """Read MatConvNet's ``imagenet-vgg-verydeep-19.mat`` into ``{layer: (kernel, bias)}``.

    The file (MatConvNet's "SimpleNN" layout, the one the original course
    used) holds a ``layers`` cell array of structs. Each convolution has
    ``name`` (``conv1_1`` ...), ``type`` ``'conv'`` and ``weights``, a cell
    ``{kernel, bias}`` with ``kernel`` of shape ``(3, 3, in, out)`` and
    ``bias`` of shape ``(out, 1)`` or ``(1, out)``. (Older copies use
    ``filters``/``biases`` fields instead; those are read too.) Names are
    mapped ``convB_I`` -> ``blockB_convI``.

    **Colour order.** MatConvNet's VGG takes RGB images minus the mean
    (``meta.normalization.averageImage``, the same ImageNet means), while
    Keras's VGG19 takes BGR images minus the means. The kernels have the
    same (height, width, in, out) layout as TensorFlow's, so the only
    conversion needed is to reverse the *input-channel* axis of the first
    kernel (RGB -> BGR). After that, both files give the same activations
    for the same input from :func:`nst_utils.features.preprocess_for_vgg`.
    """
    path = Path(path)
    layers = _conv_layers(_load_layers_cell(path))
    if not layers:
        raise WeightsError(
            f"{path} has a 'layers' array but no convolution weights this course can read "
            "(expected structs with name 'conv1_1'..., type 'conv' and a 'weights' cell). "
            f"Use the original {config.MATCONVNET_WEIGHTS_FILENAME} or Keras's .h5 file."
        )
    first = config.VGG19_CONV_LAYERS[0][0]
    if first in layers and layers[first][0] is not None and layers[first][0].shape[2] == 3:
        kernel, bias = layers[first]
        layers[first] = (np.ascontiguousarray(kernel[:, :, ::-1, :]), bias)
    return layers

