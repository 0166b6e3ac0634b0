"""Finished runs, remembered: the same run asked for twice is painted once.

Notebook 05 compares settings gallery by gallery, and the course's own
settings come back in most galleries (beta = 40, the course's content layer,
all five style layers, no smoothing, ...). A seeded run is repeatable (equal
seeds give identical images), so its result can be kept and handed back when
exactly the same run is asked for again: the same pictures (compared by their
pixels), every setting, the same seed, your functions (their code and the
helpers they call) and the same network.

A run is never remembered without a seed (it is meant to differ each time)
or when it writes snapshot files. ``reuse_compiled=False`` (or
``NST_REUSE_COMPILED=0``) turns this off together with the compiled-step cache.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import replace

import numpy as np

__all__ = ["key_of", "recall", "remember"]

#: How many finished runs are kept (least recently used goes first).
CAPACITY = 32
_RUNS: OrderedDict = OrderedDict()
#: Settings that change how a run is shown, not what it paints.
_NOT_PART_OF_THE_RUN = ("progress", "reuse_compiled", "overwrite")


def _pixels(image) -> str:
    array = np.ascontiguousarray(np.asarray(image))
    return hashlib.sha256(f"{array.dtype}{array.shape}".encode() + array.tobytes()).hexdigest()


def key_of(plan, functions, model) -> tuple | None:
    """What makes a run this run, or None when it must not be remembered."""
    s = plan.settings
    if not s.reuse_compiled or s.seed is None or s.snapshot_dir is not None:
        return None
    chosen = tuple((name, repr(getattr(s, name))) for name in type(s).names()
                   if name not in _NOT_PART_OF_THE_RUN)
    pictures = (_pixels(plan.content), tuple(_pixels(style) for style in plan.styles), plan.blend)
    return chosen, pictures, plan.stages, plan.precision, functions.fingerprint(), id(model)


def _copy(result):
    """A result whose lists and dicts are its own (the images are never changed in place)."""
    return replace(result, history={k: list(v) for k, v in result.history.items()},
                   snapshots=list(result.snapshots), settings=dict(result.settings))


def recall(key):
    """A copy of the result of an earlier run with this key, or None."""
    if key is None or key not in _RUNS:
        return None
    _RUNS.move_to_end(key)
    return _copy(_RUNS[key][1])


def remember(key, result, model) -> None:
    """Keep a copy of ``result`` under ``key`` (with the model, so its id is not reused meanwhile)."""
    if key is None:
        return
    _RUNS[key] = (model, _copy(result))
    while len(_RUNS) > CAPACITY:
        _RUNS.popitem(last=False)
