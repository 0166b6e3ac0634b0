"""The cost J(G) the engine lowers: your cost functions on VGG19's view of the images.

An :class:`Objective` holds only what shapes the computation (the network,
the layers, your functions, the precision, whether smoothing is on). What
changes from run to run, the targets ``a_C`` and ``a_S`` and the weights
α, β, the smoothing weight and the style shares, enters every call as an
argument, so a compiled step built from one run serves the next with the
next run's values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nst_utils._tf import tf
from nst_utils.engine import activations

__all__ = ["Objective", "total_variation", "run_weights"]


def total_variation(image):
    """Mean absolute difference between neighbouring pixels (down and across), per pixel and channel.

    Small for smooth images, large for noisy ones: adding ``tv_weight *
    total_variation(G)`` to the cost removes speckle from the generated image.
    """
    down = tf.abs(image[:, 1:, :, :] - image[:, :-1, :, :])
    across = tf.abs(image[:, :, 1:, :] - image[:, :, :-1, :])
    return tf.reduce_mean(down) + tf.reduce_mean(across)


def run_weights(alpha: float, beta: float, tv_weight: float, blend) -> dict:
    """The weights of one run, as tensors (a compiled step takes them as arguments)."""
    scalar = lambda value: tf.constant(value, tf.float32)  # noqa: E731
    return {"alpha": scalar(alpha), "beta": scalar(beta), "tv": scalar(tv_weight),
            "blend": tf.constant(blend, tf.float32)}


@dataclass(frozen=True)
class Objective:
    """``J(image, targets, weights) -> (J, J_content, J_style, J_tv)`` for one choice of network and layers.

    ``network`` is the :class:`~nst_utils.engine.models.Network` the
    ``extractor`` reads; ``functions`` is a
    :class:`~nst_utils.engine.learner.LearnerFunctions`;
    ``content_layers`` and ``style_layers`` are ``((name, weight), ...)``.
    """

    network: Any
    extractor: Any
    functions: Any
    content_layers: tuple
    style_layers: tuple
    precision: str
    smoothing: bool

    @property
    def key(self) -> tuple:
        """What a compiled step built on this objective depends on, besides the image size."""
        return (self.extractor, self.functions.fingerprint(), self.content_layers,
                self.style_layers, self.precision, self.smoothing)

    def features(self, image) -> dict:
        maps = self.extractor(image)
        if self.precision != "float32":
            maps = {name: tf.cast(value, tf.float32) for name, value in maps.items()}
        return maps

    def targets(self, content, styles, *, keep: bool = False) -> dict:
        """``{"content": {layer: a_C}, "styles": [{layer: a_S}, ...]}``, computed once per stage.

        With ``keep``, a picture an earlier run saw is not computed again
        (:mod:`~nst_utils.engine.activations`).
        """
        content_layers = [name for name, _ in self.content_layers]
        style_layers = [name for name, _ in self.style_layers]
        return {
            "content": activations.of(self.network, content, content_layers, keep=keep),
            "styles": [activations.of(self.network, style, style_layers, keep=keep) for style in styles],
        }

    def __call__(self, image, targets: dict, weights: dict):
        maps = self.features(image)
        learner = self.functions
        j_content = 0.0
        for name, weight in self.content_layers:
            term = learner.compute_content_cost(targets["content"][name], maps[name])
            j_content = j_content + (term if weight == 1.0 else weight * term)
        j_style = 0.0
        for index, style_targets in enumerate(targets["styles"]):
            term = learner.compute_style_cost(style_targets, maps, self.style_layers)
            j_style = j_style + weights["blend"][index] * tf.cast(term, tf.float32)
        j_content = tf.cast(j_content, tf.float32)
        j_style = tf.cast(j_style, tf.float32)
        total = tf.cast(learner.total_cost(j_content, j_style, alpha=weights["alpha"], beta=weights["beta"]),
                        tf.float32)
        j_tv = total_variation(image) if self.smoothing else tf.zeros((), tf.float32)
        if self.smoothing:
            total = total + weights["tv"] * j_tv
        return total, j_content, j_style, j_tv
