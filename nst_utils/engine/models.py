"""VGG19 and its feature extractors, built once per process and kept for later runs.

Loading the weights and building a Keras model take seconds; notebook 05
makes some twenty runs with the same network. An extractor is kept per
(network, layers) so that a compiled step made for it can be reused too.
"""

from __future__ import annotations

from typing import Any

__all__ = ["vgg19", "extractor"]

_NETWORKS: dict[tuple, Any] = {}
_BFLOAT16: dict[int, tuple] = {}
_EXTRACTORS: dict[tuple, tuple] = {}


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


def vgg19(weights, pooling: str, precision: str, model=None):
    """The VGG19 base for these settings: ``model`` if given, else loaded once per (weights, pooling).

    With ``precision`` ``"bfloat16"`` a bfloat16 copy (made once per network) is returned.
    """
    if model is None:
        key = (str(weights), pooling)
        if key not in _NETWORKS:
            from nst_utils.vgg19 import load_vgg19

            _NETWORKS[key] = load_vgg19(weights, pooling=pooling)
        model = _NETWORKS[key]
    if precision == "float32":
        return model
    if id(model) not in _BFLOAT16:
        _BFLOAT16[id(model)] = (model, _as_bfloat16(model))  # keeps ``model`` alive: its id stays unique
    return _BFLOAT16[id(model)][1]


def extractor(model, layers: tuple[str, ...]):
    """One :class:`~nst_utils.features.FeatureExtractor` per (network, layers, fast gradient on), made on first use."""
    from nst_utils import vgg_pass

    key = (id(model), tuple(layers), vgg_pass.wanted())
    if key not in _EXTRACTORS:
        from nst_utils.features import FeatureExtractor

        _EXTRACTORS[key] = (model, FeatureExtractor(list(layers), model=model, fast_gradient=key[2]))
    return _EXTRACTORS[key][1]
