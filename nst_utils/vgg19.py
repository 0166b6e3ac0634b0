"""VGG19's convolutional base, built here and filled with pretrained weights.

The network is built layer by layer from :data:`nst_utils.config.VGG19_CONV_LAYERS`
rather than taken from ``keras.applications``, for one reason: pooling.
Gatys et al. (2015) replaced VGG's max pooling by **average pooling**,
reporting slightly more appealing results, and the original course did the
same; Keras's ``VGG19`` has max pooling baked in. Building it ourselves
lets ``pooling="avg"`` swap every ``MaxPooling2D`` for an
``AveragePooling2D`` while keeping the weights (pooling has none). The
layer names are exactly those of ``keras.applications.VGG19`` (``input_layer``,
``blockN_convM``, ``blockN_pool``) and weights are loaded by layer name.

Usage::

    from nst_utils.vgg19 import load_vgg19
    vgg = load_vgg19()                  # pretrained weights, or a clear error
    vgg = load_vgg19("auto", pooling="avg")
"""

from __future__ import annotations

import os
from pathlib import Path

from nst_utils import config
from nst_utils import weights as _weights
from nst_utils._tf import tf  # noqa: F401  (quiets TensorFlow before Keras loads it)
from nst_utils.errors import WeightsError

import keras  # noqa: E402

POOLING_CHOICES = ("max", "avg")

#: Printed (to stdout) when ``weights="untrained"``: plain seeded He-normal filters.
RANDOM_NOTICE = (
    "NOTICE: VGG19 is using RANDOM (untrained) weights, seed {seed}. The code runs and\n"
    "the numbers are reproducible, but images made with it will NOT look painted.\n"
    f"Get the real weights with {config.WEIGHTS_HOWTO}."
)

#: Printed (to stdout) when the offline network stands in for the real weights.
OFFLINE_NOTICE = _weights.OFFLINE_NOTICE

#: The ``weights`` names load_vgg19 understands (anything else is a file path).
WEIGHTS_CHOICES = ("imagenet", "auto", "random", "offline", "untrained")


def _block_of(layer_name: str) -> str:
    return layer_name.split("_", 1)[0]


def build_vgg19(*, pooling: str = "max", name: str = "vgg19") -> keras.Model:
    """VGG19's convolutional base with untouched (Keras default) weights.

    Input shape ``(None, None, 3)``: any height and width, BGR, mean-subtracted
    (see :func:`nst_utils.features.preprocess_for_vgg`).

    Args:
        pooling: ``"max"`` (as VGG was trained) or ``"avg"`` (as Gatys et al.
            used for style transfer).
    """
    if pooling not in POOLING_CHOICES:
        raise ValueError(f"pooling must be one of {POOLING_CHOICES}, not {pooling!r}.")
    Pool = keras.layers.MaxPooling2D if pooling == "max" else keras.layers.AveragePooling2D
    inputs = keras.Input(shape=(None, None, 3), name="input_layer")
    x = inputs
    conv_layers = config.VGG19_CONV_LAYERS
    for index, (layer_name, _n_in, n_out) in enumerate(conv_layers):
        x = keras.layers.Conv2D(
            n_out, (3, 3), padding="same", activation="relu", name=layer_name
        )(x)
        block = _block_of(layer_name)
        last_of_block = index + 1 == len(conv_layers) or _block_of(conv_layers[index + 1][0]) != block
        if last_of_block:
            x = Pool((2, 2), strides=(2, 2), name=f"{block}_pool")(x)
    return keras.Model(inputs, x, name=name)


def _resolve(weights) -> tuple[dict | None, str]:
    """Turn the ``weights`` argument into arrays and a description (``"offline"``,
    ``"untrained"`` or the file's path); ``None`` arrays stand for the offline network."""
    if weights is None or weights == "random":
        weights = "offline"
    if isinstance(weights, (str, os.PathLike)) and not (
        isinstance(weights, str) and weights in WEIGHTS_CHOICES
    ):
        path = Path(weights).expanduser()
        if not path.is_file():
            raise WeightsError(
                f"There is no weight file at {path}. Pass a path to Keras's VGG19 .h5 file or "
                'MatConvNet\'s .mat file, or one of "imagenet", "auto", "offline", "random".'
            )
        return _weights.read_weights(path), str(path)
    if weights in ("offline", "untrained"):
        return None, weights
    if weights in ("imagenet", "auto"):
        source = _weights.find_weights()
        if source is None:
            if weights == "imagenet":
                raise WeightsError(_weights.missing_weights_message())
            return None, "offline"
        return _weights.read_weights(source), str(source.path)
    raise WeightsError(
        f'weights must be "imagenet", "auto", "offline", "random", "untrained" or a file '
        f"path, not {weights!r}."
    )


def _seeded_arrays(kind: str) -> dict:
    """The offline network's (or the plain untrained one's) arrays, announced on stdout."""
    if kind == "untrained":
        print(RANDOM_NOTICE.format(seed=config.RANDOM_WEIGHTS_SEED), flush=True)
        return _weights.random_weights(config.RANDOM_WEIGHTS_SEED)
    recipe = _weights.load_recipe()
    print(OFFLINE_NOTICE.format(seed=recipe["seed"]), flush=True)
    return _weights.offline_weights(recipe)


def _default_pooling(description: str) -> str:
    """The pooling a network works best with: the offline one's recipe says; else max."""
    return _weights.load_recipe().get("pooling", "max") if description == "offline" else "max"


def load_vgg19(weights="imagenet", *, pooling: str | None = None) -> keras.Model:
    """VGG19's convolutional base (``include_top=False``), frozen, with weights.

    Args:
        weights: where the weights come from:

            * ``"imagenet"`` (default): the first file found among
              ``$NST_VGG19_WEIGHTS``, ``pretrained/<Keras file>.h5``,
              ``pretrained/imagenet-vgg-verydeep-19.mat`` and Keras's cache
              ``~/.keras/models/`` (``$KERAS_HOME``); a :class:`WeightsError`
              saying how to get them if none is there;
            * a path to a Keras ``.h5`` or a MatConvNet ``.mat`` file;
            * ``"offline"`` (or ``"random"``, or ``None``): the offline
              network, seeded random filters scaled so that it still paints
              (see :mod:`nst_utils.weights.offline`; a notice goes to stdout);
            * ``"auto"``: ``"imagenet"`` when a file is found, else ``"offline"``;
            * ``"untrained"``: plain seeded He-normal filters, unscaled (for
              comparison: it does not paint).
        pooling: ``"max"`` or ``"avg"`` (see the module docstring); ``None``
            (default): the network's own, max pooling for trained and untrained
            weights, the recipe's (average pooling) for the offline network.

    Returns:
        A ``keras.Model`` from a ``(None, None, None, 3)`` BGR, mean-subtracted
        input to ``block5_pool``, with ``trainable = False``. Its attribute
        ``weights_source`` says where the weights came from (a path,
        ``"offline"`` or ``"untrained"``).
    """
    arrays, description = _resolve(weights)
    model = build_vgg19(pooling=pooling or _default_pooling(description))
    if arrays is None:
        arrays = _seeded_arrays(description)
    for layer_name, (kernel, bias) in arrays.items():
        model.get_layer(layer_name).set_weights([kernel, bias])
    model.trainable = False
    model.weights_source = description
    return model


__all__ = ["build_vgg19", "load_vgg19", "OFFLINE_NOTICE", "POOLING_CHOICES", "RANDOM_NOTICE",
           "WEIGHTS_CHOICES"]
