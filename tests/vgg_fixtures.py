"""Weight files and settings for the VGG19 tests (imported by test_vgg19/test_weights).

Files are made on the fly from ``nst_utils.weights.random_weights()`` in the
two real layouts, full size, once per test session:

* ``keras_h5``: Keras's official legacy-HDF5 layout (``layer_names`` on the
  root, ``weight_names`` per layer, ``<layer>/<layer>_W_1:0`` datasets);
* ``matconvnet_mat``: MatConvNet's SimpleNN ``layers`` cell array, with the
  first kernel in RGB order as the real file has it.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest
import scipy.io

from nst_utils import config
from nst_utils import weights as W
from nst_utils.weights import checksum


def conv_to_matconvnet_name(name: str) -> str:
    block, conv = name.split("_")
    return f"conv{block[len('block'):]}_{conv[len('conv'):]}"


def write_keras_h5(path: Path, layers: dict, *, style: str = "official", skip=(), reshape=None) -> Path:
    """Write ``{layer: (kernel, bias)}`` as a Keras legacy .h5 weight file.

    style: ``official`` (``block1_conv1_W_1:0``), ``keras2`` (``block1_conv1/kernel:0``)
    or ``keras3`` (``block1_conv1/kernel``). ``skip`` leaves layers out and
    ``reshape`` maps a layer name to a wrong kernel shape, to make bad files.
    """
    reshape = reshape or {}
    names = []
    for index, (name, _, _) in enumerate(config.VGG19_CONV_LAYERS):
        names.append(name)
        block = name.split("_")[0]
        nxt = config.VGG19_CONV_LAYERS[index + 1][0] if index + 1 < len(config.VGG19_CONV_LAYERS) else ""
        if not nxt.startswith(block + "_"):
            names.append(f"{block}_pool")
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = [n.encode() for n in ["input_1", *names] if n not in skip]
        f.attrs["backend"] = b"tensorflow"
        f.attrs["keras_version"] = b"2.2.4"
        for name in ["input_1", *names]:
            if name in skip:
                continue
            group = f.create_group(name)
            if name not in layers:
                group.attrs["weight_names"] = np.array([], dtype="S1")
                continue
            kernel, bias = layers[name]
            if name in reshape:
                kernel = np.zeros(reshape[name], np.float32)
            wnames = {
                "official": (f"{name}_W_1:0", f"{name}_b_1:0"),
                "keras2": (f"{name}/kernel:0", f"{name}/bias:0"),
                "keras3": (f"{name}/kernel", f"{name}/bias"),
            }[style]
            group.attrs["weight_names"] = [w.encode() for w in wnames]
            group.create_dataset(wnames[0], data=kernel)
            group.create_dataset(wnames[1], data=bias)
    return path


def write_matconvnet(path: Path, layers: dict, *, bias_shape: str = "row") -> Path:
    """Write ``{layer: (kernel BGR, bias)}`` as MatConvNet's SimpleNN .mat (first kernel RGB)."""
    entries = []
    first = config.VGG19_CONV_LAYERS[0][0]
    for name, _, _ in config.VGG19_CONV_LAYERS:
        kernel, bias = layers[name]
        if name == first:
            kernel = kernel[:, :, ::-1, :]
        bias = bias.reshape(1, -1) if bias_shape == "row" else bias.reshape(-1, 1)
        cell = np.empty((1, 2), dtype=object)
        cell[0, 0], cell[0, 1] = np.ascontiguousarray(kernel), bias
        mc = conv_to_matconvnet_name(name)
        entries.append({"name": mc, "type": "conv", "weights": cell, "stride": np.array([[1, 1]]), "pad": np.array([[1, 1, 1, 1]])})
        entries.append({"name": "relu" + mc[4:], "type": "relu"})
        if name.endswith("conv2") and name[5] in "12" or name.endswith("conv4"):
            entries.append({"name": "pool" + name[5], "type": "pool", "method": "max"})
    cells = np.empty((1, len(entries)), dtype=object)
    for i, entry in enumerate(entries):
        cells[0, i] = entry
    meta = {"normalization": {"averageImage": np.array(config.IMAGENET_MEAN_BGR[::-1], np.float32).reshape(3, 1)}}
    scipy.io.savemat(path, {"layers": cells, "meta": meta}, do_compression=False)
    return path


@pytest.fixture(scope="session")
def reference_weights():
    """The seeded random VGG19 weights that the files below hold."""
    return W.random_weights(config.RANDOM_WEIGHTS_SEED)


@pytest.fixture(scope="session")
def weight_files(tmp_path_factory, reference_weights):
    """Full-size weight files in both formats: {'h5': Path, 'mat': Path}."""
    folder = tmp_path_factory.mktemp("vgg_weights")
    return {
        "h5": write_keras_h5(folder / "mine.h5", reference_weights),
        "mat": write_matconvnet(folder / "mine.mat", reference_weights),
    }


@pytest.fixture
def isolated_search(tmp_path, monkeypatch):
    """Point every place the weight search looks at empty folders under tmp_path."""
    pretrained = tmp_path / "pretrained"
    keras_home = tmp_path / "keras_home"
    pretrained.mkdir()
    (keras_home / "models").mkdir(parents=True)
    monkeypatch.setattr(config, "PRETRAINED_DIR", pretrained)
    monkeypatch.setenv("KERAS_HOME", str(keras_home))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv(config.WEIGHTS_ENV_VAR, raising=False)
    # Nothing in a test may reach the real weights' server: the demo's download is off.
    monkeypatch.setenv("NST_DEMO_FETCH", "0")
    monkeypatch.delenv("NST_VGG19_URL", raising=False)
    monkeypatch.setattr(checksum, "_VERIFIED_IN_MEMORY", {})
    return {"pretrained": pretrained, "keras_cache": keras_home / "models", "root": tmp_path}
