"""Which VGG19 layers a cost reads, and how much each counts: ``((name, weight), ...)``."""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence

from nst_utils.engine.checks import check_weight
from nst_utils.engine.errors import SettingsError

__all__ = ["layer_weights"]


def _pairs(spec, what: str) -> list[tuple]:
    """Any accepted spelling of a choice of layers, as a list of (name, weight) pairs (unchecked)."""
    if isinstance(spec, str):
        return [(spec, 1.0)]
    if isinstance(spec, Mapping):
        return list(spec.items())
    try:
        items = list(spec)
    except TypeError:
        raise SettingsError(f"{what} must be a layer name or a list of them; got {spec!r}.") from None
    if items and all(isinstance(item, str) for item in items):
        return [(name, 1.0 / len(items)) for name in items]
    for item in items:
        if isinstance(item, str) or not isinstance(item, Sequence) or len(item) != 2:
            raise SettingsError(f"{what}: each entry must be a (layer name, weight) pair; got {item!r}.")
    return [(name, weight) for name, weight in items]


def _check_name(name, valid: tuple[str, ...], what: str) -> None:
    if not isinstance(name, str) or name not in valid:
        close = difflib.get_close_matches(str(name), valid, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise SettingsError(f"Unknown VGG19 layer {name!r} in {what}.{hint} Valid names: {', '.join(valid)}.")


def layer_weights(spec, what: str = "layers") -> tuple[tuple[str, float], ...]:
    """Normalise a choice of layers into ``((name, weight), ...)``, checking it.

    ``spec`` may be a layer name (weight 1), a list of names (equal weights
    summing to 1), a list of ``(name, weight)`` pairs or a ``{name: weight}``
    dict. Unknown names, duplicates, negative or non-finite weights and
    all-zero weights raise :class:`SettingsError`.
    """
    from nst_utils.features import vgg19_layer_names

    pairs = _pairs(spec, what)
    if not pairs:
        raise SettingsError(f"{what} is empty; name at least one VGG19 layer.")
    valid = vgg19_layer_names()
    result, seen = [], set()
    for name, weight in pairs:
        _check_name(name, valid, what)
        if name in seen:
            raise SettingsError(f"Layer {name!r} appears twice in {what}; give each layer once.")
        seen.add(name)
        result.append((name, check_weight(weight, f"The weight of {name!r} in {what}")))
    if not any(weight > 0 for _, weight in result):
        raise SettingsError(f"All weights in {what} are 0; at least one must be positive.")
    return tuple(result)
