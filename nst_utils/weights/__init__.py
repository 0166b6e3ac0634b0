"""Finding, checking, reading and downloading the VGG19 weights, and the offline network.

Two files can hold the weights of VGG19's convolutional base:

* Keras's official ``vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5``
  (about 80 MB, HDF5, kernels laid out for BGR input), and
* the original course's MatConvNet file ``imagenet-vgg-verydeep-19.mat``
  (about 550 MB, MATLAB v5, kernels laid out for RGB input).

Both are turned into the same thing: a dict that maps every layer name of
:data:`nst_utils.config.VGG19_CONV_LAYERS` to ``(kernel, bias)`` NumPy
arrays, with ``kernel`` of shape ``(3, 3, in, out)`` and the first layer
expecting **BGR** input, as Keras's VGG19 does. Without either file, the
seeded *offline network* (:mod:`nst_utils.weights.offline`) fills the
same layers.

One module per job: :mod:`~nst_utils.weights.finding` (where to look),
:mod:`~nst_utils.weights.checksum` (MD5 of the official file),
:mod:`~nst_utils.weights.keras_h5` and :mod:`~nst_utils.weights.matconvnet`
(the two readers), :mod:`~nst_utils.weights.reading` (read and check),
:mod:`~nst_utils.weights.download` (fetch), :mod:`~nst_utils.weights.offline`
(weights made from a seed) and :mod:`~nst_utils.weights.cli`. Every name is
importable from ``nst_utils.weights``.

Nothing here imports TensorFlow, so ``python -m nst_utils.weights`` starts in
a blink. Command line::

    python -m nst_utils.weights fetch [--dest DIR] [--url URL]
    python -m nst_utils.weights status
"""

from __future__ import annotations

from nst_utils.weights.checksum import cached_md5, file_md5, verify_official_file
from nst_utils.weights.cli import main, status_report
from nst_utils.weights.download import DownloadError, fetch, manual_download_help
from nst_utils.weights.finding import (
    KERAS_H5,
    MATCONVNET,
    ORIGIN_ARGUMENT,
    ORIGIN_ENV,
    ORIGIN_KERAS_CACHE,
    ORIGIN_PRETRAINED,
    LayerWeights,
    WeightsSource,
    candidate_paths,
    detect_format,
    find_weights,
    keras_cache_dir,
    missing_weights_message,
)
from nst_utils.weights.keras_h5 import read_keras_h5
from nst_utils.weights.matconvnet import read_matconvnet
from nst_utils.weights.offline import (
    OFFLINE_NOTICE,
    describe_active_weights,
    load_recipe,
    offline_weights,
    random_weights,
)
from nst_utils.weights.reading import read_weights, validate_weights

__all__ = [
    "KERAS_H5", "MATCONVNET", "ORIGIN_ARGUMENT", "ORIGIN_ENV", "ORIGIN_KERAS_CACHE",
    "ORIGIN_PRETRAINED", "OFFLINE_NOTICE", "DownloadError", "LayerWeights", "WeightsSource",
    "cached_md5", "candidate_paths", "describe_active_weights", "detect_format", "fetch",
    "file_md5", "find_weights", "keras_cache_dir", "load_recipe", "main",
    "manual_download_help", "missing_weights_message", "offline_weights", "random_weights",
    "read_keras_h5", "read_matconvnet", "read_weights", "status_report", "validate_weights",
    "verify_official_file",
]
