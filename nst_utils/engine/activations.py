"""Pictures' activations, kept across runs: a picture seen again is not sent through VGG19 again.

A run's targets, ``a_C`` and ``a_S``, depend only on the picture's pixels,
the network (the engine's own, in its precision) and the layer.
Notebook 05 paints the same photo and artwork in run after run, at the same
two sizes, so each picture's activations are kept layer by layer: a later
run that asks for layers already seen computes nothing, and one that asks
for others sends the picture through the network only as deep as the
deepest missing layer.

At most :data:`CAPACITY_BYTES` are kept (the least recently used picture
goes first). A layer's activation is the same number for number whichever
other layers are computed with it, so runs paint exactly what they would
paint without this; ``reuse_compiled=False`` (or ``NST_REUSE_COMPILED=0``)
computes every target afresh.
"""

from __future__ import annotations

from collections import OrderedDict

from nst_utils._tf import tf
from nst_utils.engine import models
from nst_utils.engine.pictures import fingerprint

__all__ = ["of", "CAPACITY_BYTES"]

#: How many bytes of activations are kept, all pictures together.
CAPACITY_BYTES = 192 * 2**20
_KEPT: OrderedDict = OrderedDict()  # (network key, picture digest) -> (model, {layer: activation})


def _compute(net: models.Network, picture, layers) -> dict:
    maps = models.extractor(net, tuple(layers))(picture)
    return {name: tf.cast(maps[name], tf.float32) for name in layers}  # the costs work in float32


def _size(maps: dict) -> int:
    return sum(value.shape.num_elements() * value.dtype.size for value in maps.values())


def _trim() -> None:
    total = sum(_size(maps) for _, maps in _KEPT.values())
    while _KEPT and total > CAPACITY_BYTES:
        _, (_, maps) = _KEPT.popitem(last=False)
        total -= _size(maps)


def of(net: models.Network, picture, layers, *, keep: bool) -> dict:
    """``{layer: activation}`` (float32) of ``picture``, a (1, H, W, 3) image in [0, 1], at ``layers``.

    With ``keep``, what earlier runs computed for the same pixels and network is used and added to.
    """
    layers = tuple(dict.fromkeys(layers))
    if not keep or net.own:  # nothing is kept for a caller's own network
        return _compute(net, picture, layers)
    key = (net.key, fingerprint(picture))
    _, maps = _KEPT.pop(key, (net.model, {}))
    missing = [name for name in layers if name not in maps]
    if missing:
        maps = {**maps, **_compute(net, picture, missing)}
    _KEPT[key] = (net.model, maps)  # the model kept alive: its id is part of the key
    _trim()
    return {name: maps[name] for name in layers}
