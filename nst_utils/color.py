"""Keeping a photo's own colours: luminance-only style transfer.

A painting's style lives mostly in its strokes and textures, but style
transfer also copies its palette. To keep the photo's colours, split both
pictures into brightness (luminance, ``Y``) and colour (chroma, ``I`` and
``Q``) with the YIQ colour space used by analogue NTSC television, and
recombine the *generated* brightness with the *content photo's* chroma::

    from nst_utils.color import keep_content_colors
    recoloured = keep_content_colors(generated, content)

All functions take and return float tensors of shape ``(..., 3)`` (RGB in
[0, 1] for the RGB ones) and are built from TensorFlow operations.
"""

from __future__ import annotations

from nst_utils._tf import tf

__all__ = ["rgb_to_yiq", "yiq_to_rgb", "keep_content_colors"]


def rgb_to_yiq(rgb):
    """RGB in [0, 1] to YIQ: Y is brightness in [0, 1], I and Q are colour offsets."""
    return tf.image.rgb_to_yiq(tf.convert_to_tensor(rgb, dtype=tf.float32))


def yiq_to_rgb(yiq):
    """Inverse of :func:`rgb_to_yiq` (not clipped: out-of-gamut values may leave [0, 1])."""
    return tf.image.yiq_to_rgb(tf.convert_to_tensor(yiq, dtype=tf.float32))


def keep_content_colors(generated, content):
    """The generated image's luminance with the content image's chroma, clipped to [0, 1].

    Both images must have the same height and width. Only the brightness
    pattern of ``generated`` survives, so the strokes and textures of the
    style stay while the colours become those of the photo.
    """
    generated = tf.convert_to_tensor(generated, dtype=tf.float32)
    content = tf.convert_to_tensor(content, dtype=tf.float32)
    if generated.shape[-3:-1] != content.shape[-3:-1]:
        content = tf.image.resize(content, generated.shape[-3:-1], method="bicubic", antialias=True)
    luminance = rgb_to_yiq(generated)[..., :1]
    chroma = rgb_to_yiq(content)[..., 1:]
    return tf.clip_by_value(yiq_to_rgb(tf.concat([luminance, chroma], axis=-1)), 0.0, 1.0)
