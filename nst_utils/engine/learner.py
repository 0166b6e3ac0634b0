"""The learner's functions the engine drives, checked before anything is traced.

A stub, or a function still raising ``NotImplementedError``, must stop the
run with the friendly "not implemented yet" message that names the
notebook, not from deep inside a traced TensorFlow step. So each function is
first called eagerly on a tiny made-up problem (a few milliseconds).
"""

from __future__ import annotations

import functools
import hashlib
import inspect
from collections.abc import Callable
from dataclasses import dataclass, fields

import numpy as np

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
        return "the notebooks"


class _Same:
    """A function as a dictionary key by identity; holding it keeps its id from being reused."""

    __slots__ = ("obj",)

    def __init__(self, obj):
        self.obj = obj

    def __hash__(self):
        return id(self.obj)

    def __eq__(self, other):
        return isinstance(other, _Same) and other.obj is self.obj


_PLAIN = (type(None), bool, int, float, complex, str, bytes)


def _code_names(code) -> set[str]:
    """The names a function's code, and the code nested in it (generators, lambdas,
    comprehensions), looks up."""
    names = set(code.co_names)
    for const in code.co_consts:
        if inspect.iscode(const):
            names |= _code_names(const)
    return names


def _value(value, depth: int = 4):
    """What identifies a value a function reads, as it is now: plain data by content (arrays
    and tensors by their bytes, containers item by item, objects by their attributes);
    functions, modules and classes by identity (functions are followed by
    :func:`_dependencies`)."""
    if isinstance(value, _PLAIN):
        return type(value).__name__, value
    if inspect.ismodule(value) or inspect.isclass(value) or callable(value) or depth == 0:
        return _Same(value)
    if hasattr(value, "numpy") and callable(value.numpy):
        value = value.numpy()
    if isinstance(value, (np.ndarray, np.generic)):
        array = np.ascontiguousarray(value)
        return "array", array.dtype.str, array.shape, hashlib.sha1(array.tobytes()).hexdigest()
    if isinstance(value, (list, tuple)):
        return type(value).__name__, tuple(_value(item, depth - 1) for item in value)
    if isinstance(value, (set, frozenset)):
        return type(value).__name__, tuple(sorted(repr(_value(item, depth - 1)) for item in value))
    if isinstance(value, dict):
        return "dict", tuple((_value(k, depth - 1), _value(v, depth - 1)) for k, v in value.items())
    attributes = getattr(value, "__dict__", None)
    return _Same(value), (None if attributes is None else _value(dict(attributes), depth - 1))


def _reads(target) -> tuple:
    """What ``target`` reads besides the functions it calls: its globals, the attributes of
    modules it names, its closure and its defaults, each as it is now."""
    code, scope = target.__code__, target.__globals__
    names = _code_names(code)
    found = []
    for name in sorted(names):
        if name in scope and not inspect.isfunction(scope[name]):
            found.append((name, _value(scope[name])))
    modules = {id(scope[n]): scope[n] for n in names if inspect.ismodule(scope.get(n))}
    for module in modules.values():
        for name in sorted(names):
            attribute = getattr(module, name, None) if name not in scope else None
            if isinstance(attribute, _PLAIN + (list, tuple, dict, np.ndarray)):
                found.append((f"{module.__name__}.{name}", _value(attribute)))
    cells = [cell.cell_contents for cell in target.__closure__ or () if _filled(cell)]
    found.append(("closure", tuple(_value(v) for v in cells if not inspect.isfunction(v))))
    found.append(("defaults", _value(target.__defaults__), _value(target.__kwdefaults__)))
    return tuple(found)


def _filled(cell) -> bool:
    try:
        cell.cell_contents
    except ValueError:
        return False
    return True


def _dependencies(func, depth: int = 3, seen=None) -> tuple:
    """``func`` and the functions it calls by name, a few levels deep, by identity, with the
    values each reads (:func:`_reads`) as they are now.

    Redefining a helper (say ``gram_matrix``) without redefining the function
    that calls it, or changing a module-level value it reads, must not reuse a step
    compiled, or a picture painted, with the old one.
    """
    seen = set() if seen is None else seen
    target = getattr(func, "python_function", func)
    target = target.func if isinstance(target, functools.partial) else target
    if id(target) in seen or depth == 0:
        return ()
    seen.add(id(target))
    if not inspect.isfunction(target):
        return (_Same(func),)
    scope = target.__globals__
    called = [scope[name] for name in sorted(_code_names(target.__code__))
              if inspect.isfunction(scope.get(name))]
    called += [cell.cell_contents for cell in target.__closure__ or ()
               if _filled(cell) and inspect.isfunction(cell.cell_contents)]
    return ((_Same(func), _reads(target))
            + tuple(d for v in called for d in _dependencies(v, depth - 1, seen)))


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
