"""Finished runs, remembered: the same run asked for twice is painted once.

Notebook 05 compares settings gallery by gallery, and the course's own
settings come back in most galleries (beta = 40, the course's content layer,
all five style layers, no smoothing, ...). A seeded run is repeatable (equal
seeds give identical images), so its result can be kept and handed back when
exactly the same run is asked for again: the same pictures (compared by their
pixels), every setting, the same seed, your functions (their code and the
helpers they call) and the same network holding the same weights.

Two kinds of request paint the same as an earlier run without being spelt the
same, and are answered from it too:

* style weights with the same shares, or a style with weight 0 (which the
  plan drops): ``style=[a, b], style_weights=[1, 0]`` paints what ``style=a`` paints;
* ``preserve_colors=True``: the photo's colours are put on the finished
  pictures (:func:`~nst_utils.engine.pictures.in_photo_colours`), so the
  same run without them, recoloured, is this run's result.

A run is never remembered without a seed (it is meant to differ each time)
or when it writes snapshot files. ``reuse_compiled=False`` (or
``NST_REUSE_COMPILED=0``) turns this off together with the compiled-step cache
and the kept activations.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import replace

from nst_utils.engine import models
from nst_utils.engine.pictures import fingerprint

__all__ = ["key_of", "recall", "remember"]

#: How many finished runs are kept (least recently used goes first).
CAPACITY = 32
_RUNS: OrderedDict = OrderedDict()
#: Settings that change how a run is shown, not what it paints (the plan holds the style shares).
_NOT_PART_OF_THE_RUN = ("progress", "reuse_compiled", "overwrite", "preserve_colors", "style_weights")


def key_of(plan, functions, chosen) -> tuple | None:
    """What makes a run this run, or None when it must not be remembered.

    ``chosen`` is the caller's own network (:func:`~nst_utils.engine.models.given`), None
    for the engine's own; a run on the caller's own is never remembered (its weights may
    change).
    """
    s = plan.settings
    if not s.reuse_compiled or s.seed is None or s.snapshot_dir is not None or chosen is not None:
        return None
    settings = tuple((name, repr(getattr(s, name))) for name in type(s).names()
                     if name not in _NOT_PART_OF_THE_RUN + ("pooling",))
    # The network that paints, rather than the pooling asked for: naming its own pooling
    # (or leaving it to the network) paints the same picture.
    painter = id(models.shared(s.weights, s.pooling))
    pictures = (fingerprint(plan.content), tuple(fingerprint(style) for style in plan.styles), plan.blend)
    return settings, painter, pictures, plan.stages, plan.precision, functions.fingerprint()


def _copy(result, plan):
    """A result whose lists and dicts are its own (images are never changed in place), its settings ``plan``'s."""
    return replace(result, history={k: list(v) for k, v in result.history.items()},
                   snapshots=list(result.snapshots), settings=plan.describe(result.settings.get("weights", "?")))


def _in_photo_colours(result, plan):
    from nst_utils.engine.pictures import in_photo_colours

    result.snapshots = [(step, in_photo_colours(image, plan.content)) for step, image in result.snapshots]
    result.image = result.snapshots[-1][1]
    return result


def recall(key, plan):
    """A copy of the result of an earlier run with this key (recoloured if ``plan`` asks for it), or None."""
    colours = plan.settings.preserve_colors
    for wanted in ((key, colours), (key, False)):
        if key is not None and wanted in _RUNS:
            _RUNS.move_to_end(wanted)
            result = _copy(_RUNS[wanted][1], plan)
            return _in_photo_colours(result, plan) if colours and not wanted[1] else result
    return None


def remember(key, result, plan, model) -> None:
    """Keep a copy of ``result`` under ``key`` (with the model, so its id is not reused meanwhile)."""
    if key is None:
        return
    _RUNS[key, plan.settings.preserve_colors] = (model, _copy(result, plan))
    while len(_RUNS) > CAPACITY:
        _RUNS.popitem(last=False)
