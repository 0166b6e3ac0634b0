"""Reading Keras's legacy-HDF5 weight files (the official VGG19 'notop' file)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from nst_utils.errors import WeightsError
from nst_utils.weights.finding import LayerWeights


def _h5_string_list(group, name: str) -> list[str]:
    """An attribute holding a list of names; Keras splits long ones as name0, name1, ..."""
    if name in group.attrs:
        raw = list(group.attrs[name])
    else:
        raw, part = [], 0
        while f"{name}{part}" in group.attrs:
            raw.extend(group.attrs[f"{name}{part}"])
            part += 1
    return [item.decode("utf8") if isinstance(item, bytes) else str(item) for item in raw]


def read_keras_h5(path: str | os.PathLike) -> LayerWeights:
    """Read a Keras legacy-HDF5 weight file into ``{layer: (kernel, bias)}``.

    The layout: the root (or its ``model_weights`` group, in whole-model
    files) lists the layers in the attribute ``layer_names``; each layer's
    group lists its arrays in ``weight_names``, e.g.
    ``block1_conv1_W_1:0`` / ``block1_conv1_b_1:0`` in the official file,
    ``block1_conv1/kernel:0`` from Keras 2 or ``block1_conv1/kernel`` from
    Keras 3. The kernel is told from the bias by its rank (4 vs 1), not by
    its name. Layers without weights (pooling) are skipped.
    """
    import h5py

    path = Path(path)
    try:
        handle = h5py.File(path, "r")
    except OSError as exc:
        raise WeightsError(
            f"Cannot open {path} as an HDF5 weight file ({exc}). The file is probably "
            "truncated or not a Keras weight file; delete it and fetch it again "
            "(`make weights`)."
        ) from None
    layers: LayerWeights = {}
    try:
        with handle:
            root = handle["model_weights"] if "model_weights" in handle else handle
            names = _h5_string_list(root, "layer_names") or [
                key for key in root.keys() if isinstance(root[key], h5py.Group)
            ]
            for layer in names:
                if layer not in root:
                    continue
                group = root[layer]
                arrays = [np.asarray(group[w]) for w in _h5_string_list(group, "weight_names")]
                if not arrays:
                    continue
                kernels = [a for a in arrays if a.ndim == 4]
                biases = [a for a in arrays if a.ndim == 1]
                kernel = kernels[0] if len(kernels) == 1 else None
                bias = biases[0] if len(biases) == 1 else None
                layers[layer] = (kernel, bias)
    except (OSError, KeyError, ValueError) as exc:
        raise WeightsError(
            f"Cannot read the weights in {path} ({exc}). The file is probably truncated "
            "or damaged; delete it and fetch it again (`make weights`)."
        ) from None
    return layers

