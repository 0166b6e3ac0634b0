"""VGG19 and its feature extractors, built once per process and kept for later runs.

Loading the weights and building a Keras model take seconds; notebook 05
makes some twenty runs with the same network. The engine's own network is
loaded once per (weights, pooling), and an extractor is kept per (network,
layers), so that a compiled step made for it can be reused too. Nobody else
holds the engine's own networks (:func:`shared`), so their weights never
change.

A network the caller passes in (``model=``) may get new weights between
two runs. Nothing is kept for it from one run to the next: each run builds
its extractor (which reads the weights as they are then), its bfloat16 copy,
its compiled step and its pictures' activations afresh, and its result is
not remembered.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Network", "given", "network", "extractor", "shared"]

_NETWORKS: dict[tuple, Any] = {}
_BFLOAT16: dict[int, tuple] = {}
_EXTRACTORS: dict[tuple, tuple] = {}


@dataclass(frozen=True, eq=False)
class Network:
    """The VGG19 base one run uses (in the run's precision), and whether it is the caller's own."""

    model: Any
    own: bool = False  # the caller's: nothing is kept for it across runs

    @property
    def key(self) -> int:
        """What identifies the engine's own network in the kept things."""
        return id(self.model)


def given(model) -> Network | None:
    """The caller's own network; None for the engine's own."""
    return None if model is None else Network(model, own=True)


def shared(weights="auto", pooling: str | None = None):
    """The engine's own VGG19 base for ``weights`` and ``pooling``, loaded once per process.

    ``pooling=None`` is the network's own pooling, so asking for that pooling by
    name gets the very same network (and the steps compiled for it).
    Use it for figures of your own beside the paintings (``model=`` would make every run
    build its steps afresh); do not change its weights.
    """
    key = (str(weights), pooling)
    if key not in _NETWORKS:
        own = _NETWORKS.get((str(weights), None))
        if own is not None and _pooling_of(own) == pooling:
            _NETWORKS[key] = own
        else:
            from nst_utils.vgg19 import load_vgg19

            model = load_vgg19(weights, pooling=pooling)
            _NETWORKS[key] = _NETWORKS.setdefault((str(weights), _pooling_of(model)), model)
    return _NETWORKS[key]


def _pooling_of(model) -> str:
    """"avg" or "max": the pooling a VGG19 base was built with."""
    return "avg" if "Average" in type(model.get_layer("block1_pool")).__name__ else "max"


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
    """The VGG19 base for these settings: ``chosen`` (see :func:`given`), else the engine's own.

    With ``precision`` ``"bfloat16"`` a bfloat16 copy is used (made once for the engine's
    own, once per run for the caller's).
    """
    chosen = chosen or Network(shared(weights, pooling))
    if precision == "float32":
        return chosen
    if chosen.own:
        return Network(_as_bfloat16(chosen.model), own=True)
    if chosen.key not in _BFLOAT16:
        _BFLOAT16[chosen.key] = (chosen.model, _as_bfloat16(chosen.model))  # the model kept: its id stays unique
    return Network(_BFLOAT16[chosen.key][1])


def extractor(net: Network, layers: tuple[str, ...]):
    """A :class:`~nst_utils.features.FeatureExtractor`: one per (network, layers, fast gradient
    on) for the engine's own networks, a new one each time for the caller's."""
    from nst_utils import vgg_pass
    from nst_utils.features import FeatureExtractor

    fast = vgg_pass.wanted()
    if net.own:
        return FeatureExtractor(list(layers), model=net.model, fast_gradient=fast)
    key = (net.key, tuple(layers), fast)
    if key not in _EXTRACTORS:
        vgg_pass.keep_weights(net.model)  # the engine's own: its weights never change
        _EXTRACTORS[key] = (net.model, FeatureExtractor(list(layers), model=net.model, fast_gradient=fast))
    return _EXTRACTORS[key][1]
