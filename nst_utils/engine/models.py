"""VGG19 and its feature extractors, built once per process and kept for later runs.

Loading the weights and building a Keras model take seconds; notebook 05
makes some twenty runs with the same network. An extractor is kept per
(network, layers) so that a compiled step made for it can be reused too.

A network passed in by the caller may get new weights between two runs
(``set_weights``, ``load_weights``). Everything kept for it (its bfloat16
copy, its extractors and, through them, compiled steps, activations and
finished runs) is therefore kept per *version* of its weights: see
:func:`weights_version`.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["Network", "given", "network", "extractor", "weights_version"]

_NETWORKS: dict[tuple, Any] = {}
_BFLOAT16: dict[tuple, tuple] = {}
_EXTRACTORS: dict[tuple, tuple] = {}
_VERSIONS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@dataclass(frozen=True, eq=False)
class Network:
    """The VGG19 base one run uses (in the run's precision) and the version of the weights it holds."""

    model: Any
    version: int = 0

    @property
    def key(self) -> tuple:
        """What identifies it in the kept things: the model and its weights' version."""
        return id(self.model), self.version


def _views(model) -> list:
    """The network's weights as read-only arrays sharing TensorFlow's memory (no copy)."""
    from nst_utils._tf import tf

    return [np.asarray(tf.convert_to_tensor(variable)) for variable in model.weights]


def _same_memory(seen: list, now: list) -> bool:
    """Whether every weight is still the very buffer seen last time, which proves it unchanged.

    While an array of ours holds a buffer, TensorFlow never writes into it:
    every assignment (``set_weights``, ``assign``, an optimiser's update)
    puts the new values in a new buffer. A new buffer is not proof of change
    (``set_weights`` with the same numbers), so the caller then compares.
    """
    address = lambda array: array.__array_interface__["data"][0]  # noqa: E731
    return len(seen) == len(now) and all(map(lambda a, b: address(a) == address(b), seen, now))


def weights_version(model) -> int:
    """0 the first time ``model`` is seen; one more each time its weights are found changed since.

    Untouched weights are recognised by their memory (about 2 ms for
    VGG19); weights put in new memory are compared number for number with
    those seen last time (about 30 ms).
    """
    now = _views(model)
    seen = _VERSIONS.get(model)
    if seen is not None and _same_memory(seen[0], now):
        return seen[1]
    changed = seen is None or len(seen[0]) != len(now) or not all(map(np.array_equal, seen[0], now))
    version = 0 if seen is None else seen[1] + int(changed)
    _VERSIONS[model] = (now, version)  # where the numbers are now, even when they are the same numbers
    return version


def given(model) -> Network | None:
    """The caller's own network and its weights' version, looked at once per run; None for the engine's own."""
    return None if model is None else Network(model, weights_version(model))


def _forget_older(kept: dict, net: Network, network_key) -> list:
    """Drop (and return) what ``kept`` holds for other versions of ``net``'s weights: it holds them no longer."""
    older = [key for key in kept if network_key(key)[0] == net.key[0] and network_key(key) != net.key]
    return [kept.pop(key) for key in older]


def _as_bfloat16(model):
    import keras

    def clone_layer(layer):
        settings = layer.get_config()
        if not isinstance(layer, keras.layers.InputLayer):
            settings["dtype"] = "mixed_bfloat16"
        return layer.__class__.from_config(settings)

    clone = keras.models.clone_model(model, clone_function=clone_layer)
    clone.set_weights(model.get_weights())
    clone.trainable = False
    clone.weights_source = getattr(model, "weights_source", "?")
    return clone


def network(weights, pooling: str, precision: str, chosen: Network | None = None) -> Network:
    """The VGG19 base for these settings: ``chosen`` (see :func:`given`), else loaded once per (weights, pooling).

    With ``precision`` ``"bfloat16"`` a bfloat16 copy (made once per network and version) is used.
    """
    if chosen is None:
        key = (str(weights), pooling)
        if key not in _NETWORKS:
            from nst_utils.vgg19 import load_vgg19

            _NETWORKS[key] = load_vgg19(weights, pooling=pooling)
        chosen = Network(_NETWORKS[key])  # the engine's own: nobody else changes its weights
    if precision == "float32":
        return chosen
    if chosen.key not in _BFLOAT16:
        for _, clone in _forget_older(_BFLOAT16, chosen, lambda key: key):
            _forget_older(_EXTRACTORS, Network(clone, version=-1), lambda key: key[0])  # all of the old copy's
        _BFLOAT16[chosen.key] = (chosen.model, _as_bfloat16(chosen.model))  # the model kept: its id stays unique
    return Network(_BFLOAT16[chosen.key][1], chosen.version)


def extractor(net: Network, layers: tuple[str, ...]):
    """One :class:`~nst_utils.features.FeatureExtractor` per (network, version, layers, fast gradient on)."""
    from nst_utils import vgg_pass

    key = (net.key, tuple(layers), vgg_pass.wanted())
    if key not in _EXTRACTORS:
        _forget_older(_EXTRACTORS, net, lambda key: key[0])
        from nst_utils.features import FeatureExtractor

        _EXTRACTORS[key] = (net.model, FeatureExtractor(list(layers), model=net.model, fast_gradient=key[2]))
    return _EXTRACTORS[key][1]
