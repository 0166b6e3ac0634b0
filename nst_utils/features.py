"""Turning images into VGG19 activations.

``preprocess_for_vgg`` puts images into the form VGG19 was trained on, and
``FeatureExtractor`` returns the activations of chosen layers, by name::

    from nst_utils.features import FeatureExtractor
    extract = FeatureExtractor(["block1_conv1", "block4_conv2"])
    maps = extract(image)          # image: (1, H, W, 3) RGB in [0, 1]
    maps["block4_conv2"].shape     # (1, H/8, W/8, 512)
"""

from __future__ import annotations

from collections.abc import Iterable

from nst_utils import config
from nst_utils._tf import tf

import keras  # noqa: E402  (after _tf, which quiets TensorFlow)


def preprocess_for_vgg(images):
    """Map RGB images in [0, 1] to VGG19's input: BGR, 0-255, ImageNet means removed.

    VGG was trained (in Caffe) on images with pixel values from 0 to 255, in
    BGR channel order, from which the mean ImageNet colour
    (:data:`nst_utils.config.IMAGENET_MEAN_BGR`) had been subtracted. Its
    filters only respond as intended to inputs of that kind. Feeding [0, 1]
    images straight in, as some tutorials do, gives activations some 255
    times too small and biased by the missing mean: the code still runs,
    but the "content" and "style" it measures are not what the paper meant.

    The result is ``x[..., c] = 255 * images[..., 2 - c] - mean_bgr[c]``.
    Built from TensorFlow operations, so gradients flow through it.

    Args:
        images: array or tensor of shape ``(N, H, W, 3)`` (or ``(H, W, 3)``),
            RGB, values in [0, 1].

    Returns:
        A float32 tensor of the same shape.
    """
    x = tf.convert_to_tensor(images, dtype=tf.float32)
    if x.shape.rank not in (None, 3, 4) or (x.shape.rank and x.shape[-1] not in (None, 3)):
        raise ValueError(
            f"preprocess_for_vgg expects RGB images of shape (N, H, W, 3); got shape {tuple(x.shape)}."
        )
    bgr = tf.reverse(x, axis=[-1]) * 255.0
    return bgr - tf.constant(config.IMAGENET_MEAN_BGR, dtype=tf.float32)


def deprocess_from_vgg(x):
    """Inverse of :func:`preprocess_for_vgg`: VGG input back to RGB in [0, 1] (not clipped)."""
    x = tf.convert_to_tensor(x, dtype=tf.float32)
    bgr = x + tf.constant(config.IMAGENET_MEAN_BGR, dtype=tf.float32)
    return tf.reverse(bgr, axis=[-1]) / 255.0


def vgg19_layer_names() -> tuple[str, ...]:
    """Names of VGG19's layers, input excluded, in order (convolutions and pools)."""
    names = []
    for index, (name, _, _) in enumerate(config.VGG19_CONV_LAYERS):
        names.append(name)
        block = name.split("_", 1)[0]
        following = config.VGG19_CONV_LAYERS[index + 1][0] if index + 1 < len(config.VGG19_CONV_LAYERS) else ""
        if not following.startswith(block + "_"):
            names.append(f"{block}_pool")
    return tuple(names)


def min_input_side(layer_names: str | Iterable[str]) -> int:
    """Smallest image height/width for which every named layer has maps of at least 1x1.

    Each 2x2 pool halves the size (rounding down), so a layer that comes
    after ``k`` pools needs an input side of at least ``2**k``: 1 for
    block1's convolutions, 16 for block5's, 32 for ``block5_pool``.
    """
    if isinstance(layer_names, str):
        layer_names = [layer_names]
    order = vgg19_layer_names()
    _check_names(layer_names, order)
    needed = 1
    for name in layer_names:
        pools = sum(1 for earlier in order[: order.index(name) + 1] if earlier.endswith("_pool"))
        needed = max(needed, 2**pools)
    return needed


def _check_names(layer_names, valid) -> None:
    unknown = [name for name in layer_names if name not in valid]
    if unknown:
        raise ValueError(
            f"Unknown VGG19 layer name(s): {', '.join(map(repr, unknown))}. "
            f"Valid names are: {', '.join(valid)}."
        )


def _fast_pass(model, layer_names, fast_gradient: bool | None):
    """A :class:`~nst_utils.vgg_pass.VggPass` when asked for (default: the environment's choice) and possible."""
    from nst_utils import vgg_pass

    wanted = vgg_pass.wanted() if fast_gradient is None else fast_gradient
    return vgg_pass.VggPass(model, layer_names) if wanted and vgg_pass.supports(model) else None


class FeatureExtractor:
    """One Keras model that returns the activations of chosen VGG19 layers.

    Args:
        layers: a layer name or a list of them (see :func:`vgg19_layer_names`).
        weights: passed to :func:`nst_utils.vgg19.load_vgg19` (default ``"auto"``).
        pooling: ``"max"`` or ``"avg"``, passed on likewise (default: the network's own).
        model: an already-loaded VGG19 base to reuse instead (then ``weights``
            and ``pooling`` are ignored).
        fast_gradient: run the layers with :mod:`nst_utils.vgg_pass`'s faster
            gradient for the image (same activations); default: on unless
            ``NST_FAST_GRADIENT=0``. ``False`` uses the Keras model throughout.

    Calling it, ``extractor(images)``, takes RGB images in [0, 1] of shape
    ``(N, H, W, 3)``, preprocesses them with :func:`preprocess_for_vgg`
    (pass ``preprocessed=True`` if you already did) and returns
    ``{layer name: activation tensor}``. The model is built once, in the
    constructor; calling it inside a ``tf.function`` traces plain TensorFlow
    operations, with no Python work per step beyond a shape check.
    """

    def __init__(self, layers, weights="auto", *, pooling: str | None = None, model=None,
                 fast_gradient: bool | None = None):
        names = [layers] if isinstance(layers, str) else list(layers)
        if not names:
            raise ValueError("FeatureExtractor needs at least one layer name.")
        _check_names(names, vgg19_layer_names())
        self.layer_names: tuple[str, ...] = tuple(dict.fromkeys(names))
        self.min_side = min_input_side(self.layer_names)
        if model is None:
            from nst_utils.vgg19 import load_vgg19

            model = load_vgg19(weights, pooling=pooling)
        self.vgg = model
        outputs = {name: model.get_layer(name).output for name in self.layer_names}
        self.model = keras.Model(inputs=model.inputs, outputs=outputs, name="vgg19_features")
        self.model.trainable = False
        self.fast = _fast_pass(model, self.layer_names, fast_gradient)

    def check_size(self, images) -> None:
        """Raise ``ValueError`` if the images are too small for the deepest requested layer."""
        shape = tuple(images.shape)
        if len(shape) != 4 or shape[-1] not in (None, 3):
            raise ValueError(f"Expected images of shape (N, H, W, 3); got shape {shape}.")
        sides = [side for side in shape[1:3] if side is not None]
        if sides and min(sides) < self.min_side:
            deepest = max(self.layer_names, key=lambda n: min_input_side(n))
            raise ValueError(
                f"Images of {shape[1]}x{shape[2]} pixels are too small for layer {deepest!r}: "
                f"each pool halves the size, so it needs images of at least "
                f"{self.min_side}x{self.min_side} pixels. Use a larger image "
                f"(the course uses at least {config.MIN_IMAGE_SIDE} pixels a side)."
            )

    def __call__(self, images, *, preprocessed: bool = False) -> dict:
        x = tf.convert_to_tensor(images, dtype=tf.float32)
        self.check_size(x)
        if not preprocessed:
            x = preprocess_for_vgg(x)
        outputs = self.fast(x) if self.fast is not None else self.model(x, training=False)
        return {name: outputs[name] for name in self.layer_names}

    def __repr__(self) -> str:
        return f"FeatureExtractor(layers={list(self.layer_names)!r}, weights={getattr(self.vgg, 'weights_source', '?')!r})"


__all__ = [
    "FeatureExtractor",
    "deprocess_from_vgg",
    "min_input_side",
    "preprocess_for_vgg",
    "vgg19_layer_names",
]
