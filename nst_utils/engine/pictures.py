"""The pictures a run works on: loading, resizing, the style at a chosen scale, the starting image."""

from __future__ import annotations

from pathlib import Path

from nst_utils._tf import tf
from nst_utils.engine.checks import check_scale
from nst_utils.engine.errors import SettingsError

__all__ = ["as_batch", "resize", "prepare_style_image", "initial_image", "in_photo_colours", "fingerprint"]


def fingerprint(image) -> str:
    """A digest of ``image``'s pixels, shape and type: equal for equal pictures, whatever object holds them."""
    import hashlib

    import numpy as np

    array = np.ascontiguousarray(np.asarray(image))
    return hashlib.sha256(f"{array.dtype}{array.shape}".encode() + array.tobytes()).hexdigest()


def resize(image, size: tuple[int, int]):
    """``image`` (1, h, w, 3) at ``size`` (bicubic, antialiased, clipped to [0, 1]); unchanged if it fits."""
    image = tf.convert_to_tensor(image, dtype=tf.float32)
    if tuple(image.shape[1:3]) == tuple(size):
        return image
    resized = tf.image.resize(image, size, method="bicubic", antialias=True)
    return tf.clip_by_value(resized, 0.0, 1.0)


def in_photo_colours(image, content):
    """``image``'s brightness with the colours of ``content`` (the photo at ``image``'s size or larger), float32.

    Applied to a painting after it is made, never during the steps, so a run
    that keeps the photo's colours paints exactly what the same run without it paints.
    """
    import numpy as np

    from nst_utils.color import keep_content_colors

    return np.asarray(keep_content_colors(image, resize(content, tuple(image.shape[1:3]))), dtype=np.float32)


def as_batch(image, what: str):
    """A path (bare names are found in ``images/``) or an image, as a float32 batch (1, H, W, 3)."""
    if isinstance(image, (str, Path)):
        from nst_utils.images import load_image

        return load_image(image)
    array = tf.convert_to_tensor(image, dtype=tf.float32)
    if array.shape.rank == 3:
        array = array[None]
    if array.shape.rank != 4 or array.shape[0] != 1 or array.shape[-1] != 3:
        raise SettingsError(
            f"The {what} image must have shape (1, H, W, 3) or (H, W, 3); got {tuple(array.shape)}."
        )
    return array


def _mirror_tile(image, size: tuple[int, int]):
    """Repeat ``image`` (1, h, w, 3), flipping every other copy, until it covers ``size``."""
    height, width = size
    _, h, w, _ = image.shape
    row = [image if i % 2 == 0 else tf.reverse(image, axis=[2]) for i in range(-(-width // w))]
    strip = tf.concat(row, axis=2)
    column = [strip if i % 2 == 0 else tf.reverse(strip, axis=[1]) for i in range(-(-height // h))]
    return tf.concat(column, axis=1)


def prepare_style_image(style, size: tuple[int, int], scale: float = 1.0):
    """The style image at the content's ``size``, its features ``scale`` times as large.

    With ``scale`` 1 the style image is simply resized to ``size`` (as the
    original course does). With ``scale`` 0.5 it is resized to half of
    ``size`` and mirror-tiled to fill it, so brush strokes come out half as
    big; with ``scale`` 2 it is resized to twice ``size`` and its centre is
    cropped, so they come out twice as big. Either way the style activations
    have the same shape as the generated image's.
    """
    height, width = size
    scale = check_scale(scale)
    target = (max(1, round(height * scale)), max(1, round(width * scale)))
    if min(target) < 8:
        raise SettingsError(
            f"style_scale={scale} shrinks the style image to {target[0]}x{target[1]} pixels, "
            "too small to carry any style. Use a larger style_scale or a larger image."
        )
    image = resize(as_batch(style, "style"), target)
    if scale < 1:
        image = _mirror_tile(image, size)
    top = (image.shape[1] - height) // 2
    left = (image.shape[2] - width) // 2
    return image[:, top : top + height, left : left + width, :]


def initial_image(content, init: str, noise: float, generator):
    """Where the generated image starts: the photo, uniform noise, or the photo plus noise in [-noise, noise]."""
    shape = content.shape
    if init == "content":
        return tf.identity(content)
    if init == "noise":
        return generator.uniform(shape, 0.0, 1.0, dtype=tf.float32)
    return tf.clip_by_value(content + generator.uniform(shape, -noise, noise, dtype=tf.float32), 0.0, 1.0)
