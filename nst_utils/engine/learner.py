"""The learner's functions the engine drives, checked before anything is traced.

A stub, or a function still raising ``NotImplementedError``, must stop the
run with the friendly "not implemented yet" message that names the
notebook, not from deep inside a traced TensorFlow step. So each function is
first called eagerly on a tiny made-up problem (a few milliseconds).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, fields

from nst_utils import config
from nst_utils._tf import tf
from nst_utils.engine.errors import SettingsError
from nst_utils.errors import NotImplementedYet

__all__ = ["LearnerFunctions", "NEVER_CALLED"]

NEVER_CALLED = (
    "train_step never called compute_cost: it must compute the cost of the image "
    "with compute_cost(generated_image) under a GradientTape."
)


def _notebook_of(name: str) -> str:
    try:
        return config.exercise(name).notebook
    except KeyError:
        style_name, notebook = config.STYLE_COST_FUNCTION
        return notebook if name == style_name else "the notebooks"


class _Same:
    """A function as a dictionary key by identity; holding it keeps its id from being reused."""

    __slots__ = ("obj",)

    def __init__(self, obj):
        self.obj = obj

    def __hash__(self):
        return id(self.obj)

    def __eq__(self, other):
        return isinstance(other, _Same) and other.obj is self.obj


def _dependencies(func, depth: int = 3, seen=None) -> tuple:
    """``func`` and the functions it calls by name, a few levels deep, by identity.

    Redefining a helper (say ``gram_matrix``) without redefining the function
    that calls it must not reuse a step compiled with the old helper.
    """
    seen = set() if seen is None else seen
    target = getattr(func, "python_function", func)
    target = target.func if isinstance(target, functools.partial) else target
    if id(target) in seen or depth == 0:
        return ()
    seen.add(id(target))
    try:
        named = inspect.getclosurevars(target)
    except (TypeError, ValueError):
        return (_Same(func),)
    called = [v for v in {**named.globals, **named.nonlocals}.values() if inspect.isfunction(v)]
    return (_Same(func),) + tuple(d for v in called for d in _dependencies(v, depth - 1, seen))


def _probes(functions: LearnerFunctions) -> dict[str, Callable[[], object]]:
    """One tiny eager call per function (inputs 1x2x2x3), which a finished function runs in milliseconds."""
    ones, zeros = tf.ones((1, 2, 2, 3)), tf.zeros((1, 2, 2, 3))
    layers = tuple(config.STYLE_LAYERS)

    def train_step():
        import keras

        image, calls = tf.Variable(tf.fill((1, 2, 2, 3), 0.5)), []

        def cost(generated):
            calls.append(generated)
            return tf.reduce_sum(tf.square(generated))

        optimizer = keras.optimizers.Adam(learning_rate=0.1)
        optimizer.build([image])  # as the engine does: no variables made inside the learner's step
        functions.train_step(image, optimizer, cost)
        if not calls:
            raise SettingsError(NEVER_CALLED)

    return {
        "compute_content_cost": lambda: functions.compute_content_cost(ones, zeros),
        "compute_style_cost": lambda: functions.compute_style_cost(
            {n: ones for n, _ in layers}, {n: zeros for n, _ in layers}, layers),
        "total_cost": lambda: functions.total_cost(tf.constant(1.0), tf.constant(2.0),
                                                   alpha=tf.constant(10.0), beta=tf.constant(40.0)),
        "train_step": train_step,
    }


@dataclass(frozen=True)
class LearnerFunctions:
    """Your cost functions (notebooks 01, 03, 04) and your ``train_step`` (04; ``None`` for L-BFGS)."""

    compute_content_cost: Callable
    compute_style_cost: Callable
    total_cost: Callable
    train_step: Callable | None = None

    def given(self) -> dict[str, Callable]:
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name) is not None}

    def fingerprint(self) -> tuple:
        return tuple((name, _dependencies(func)) for name, func in self.given().items())

    def check(self, optimizer: str) -> None:
        """Refuse what is not a function, or a handed-out stub (its message names the notebook)."""
        from nst_utils.notebook_import import is_stub

        if optimizer == "adam" and self.train_step is None:
            raise SettingsError(
                "The Adam optimiser steps with your train_step (notebook 04): pass "
                "train_step=train_step, or choose optimizer='lbfgs'."
            )
        for name, func in self.given().items():
            if not callable(func):
                raise SettingsError(f"{name} must be a function (your {name} from the notebooks); got {func!r}.")
            if is_stub(func):
                func()  # raises NotImplementedYet, naming the notebook to finish

    def probe(self) -> None:
        """Call each function once, eagerly, on a tiny problem: an unwritten one says so here."""
        for name, call in _probes(self).items():
            if name not in self.given():
                continue
            try:
                call()
            except (NotImplementedYet, SettingsError):
                raise
            except NotImplementedError:
                notebook = _notebook_of(name)
                raise NotImplementedYet(
                    f"`{name}` is not implemented yet (it raised NotImplementedError). Write it in "
                    f"{notebook}, run its cell, then run this cell again."
                ) from None
            except Exception:  # noqa: BLE001 - a real mistake shows itself, with its traceback, in the run
                pass
