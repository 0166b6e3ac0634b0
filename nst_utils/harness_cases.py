"""How each graded function is called on one case of the grader's inputs.

One runner per exercise. A runner takes the function under test, the case's
input arrays and helper functions from earlier notebooks, and returns plain
arrays: the value returned (as float64), what kind of object it was, and,
where the exercise needs it, a gradient. The grader calls the reference
solution through the very same runner, so both are always treated alike.

Everything recorded is a number. The kind of object returned and the kind of
error raised are positions in :data:`KINDS` and :data:`ERRORS`, chosen by
``isinstance``: no name or message the learner's code made up is ever written
down, so none can travel to the grader (the judge has its own words for each).
"""

from __future__ import annotations

import contextlib
from typing import Callable

import numpy as np

from nst_utils._tf import tf


#: What a graded function may return, told apart by ``isinstance`` in this order
#: (the last one is everything else); the harness records the position.
KINDS = ("tensor", "NumPy array", "NumPy number", "bool", "int", "float", "None",
         "list or tuple", "other")
_KIND_TYPES = ((np.ndarray, 1), (np.generic, 2), (bool, 3), (int, 4), (float, 5),
               (type(None), 6), ((list, tuple), 7))

#: The errors a graded function may raise, told apart by ``isinstance`` in this order
#: (the last one is everything else); the harness records the position.
ERRORS = ("NotImplementedError", "NameError", "TypeError", "ValueError", "AttributeError",
          "IndexError", "KeyError", "ZeroDivisionError", "RecursionError", "MemoryError",
          "AssertionError", "InvalidArgumentError", "TensorFlow error", "other")


def kind_code(value) -> int:
    """The position in :data:`KINDS` of what ``value`` is."""
    if tf.is_tensor(value):
        return 0
    return next((code for types, code in _KIND_TYPES if isinstance(value, types)), len(KINDS) - 1)


def error_code(error: BaseException) -> int:
    """The position in :data:`ERRORS` of the kind of ``error``."""
    classes = (NotImplementedError, NameError, TypeError, ValueError, AttributeError, IndexError,
               KeyError, ZeroDivisionError, RecursionError, MemoryError, AssertionError,
               tf.errors.InvalidArgumentError, tf.errors.OpError)
    return next((code for code, kind in enumerate(classes) if isinstance(error, kind)),
                len(ERRORS) - 1)


def describe(value, field: str = "value") -> dict[str, np.ndarray]:
    """``value`` as a float64 array, plus the code of its kind (:data:`KINDS`)."""
    is_tensor = tf.is_tensor(value)
    out = {f"{field}_kind": np.array(kind_code(value), dtype=np.int64)}
    if is_tensor:
        out[field] = np.array(value.numpy(), dtype=np.float64)
    else:
        try:
            out[field] = np.array(value, dtype=np.float64)
        except (TypeError, ValueError):
            pass
    return out


@contextlib.contextmanager
def _global_swapped(function: Callable, name: str, replacement):
    """Let ``function`` see ``replacement`` under ``name`` while the block runs."""
    scope = getattr(function, "__globals__", None)
    if replacement is None or not isinstance(scope, dict):
        yield
        return
    missing = object()
    previous = scope.get(name, missing)
    scope[name] = replacement
    try:
        yield
    finally:
        if previous is missing:
            scope.pop(name, None)
        else:
            scope[name] = previous


def _pair_cost(candidate: Callable, case: dict, helpers: dict) -> dict:
    """A cost of two activations: its value and its gradient with respect to the second."""
    first, second = tf.constant(case["first"]), tf.constant(case["second"])
    with _global_swapped(candidate, "gram_matrix", helpers.get("gram_matrix")):
        with tf.GradientTape() as tape:
            tape.watch(second)
            value = candidate(first, second)
        out = describe(value)
        gradient = tape.gradient(value, second) if tf.is_tensor(value) else None
    if gradient is None:
        out["gradient_missing"] = np.array(True)
    else:
        out["gradient"] = np.array(gradient.numpy(), dtype=np.float64)
    return out


def _gram(candidate: Callable, case: dict, helpers: dict) -> dict:
    return describe(candidate(tf.constant(case["A"])))


def _total(candidate: Callable, case: dict, helpers: dict) -> dict:
    J_content, J_style = tf.constant(case["J_content"]), tf.constant(case["J_style"])
    weights = {name: float(case[name]) for name in ("alpha", "beta") if name in case}
    return describe(candidate(J_content, J_style, **weights))


def _step_cost(target: tf.Tensor, smooth: float) -> Callable:
    """A small cost of an image: squared distance to ``target`` plus a smoothness term."""

    def compute_cost(image):
        distance = tf.reduce_sum(tf.square(image - target))
        ripples = tf.reduce_sum(tf.abs(image[:, 1:, :, :] - image[:, :-1, :, :]))
        return distance + smooth * ripples

    return compute_cost


def _train_step(candidate: Callable, case: dict, helpers: dict) -> dict:
    """Several optimisation steps from a known state: the cost returned and the image after each."""
    image = tf.Variable(case["image"])
    optimizer = tf.keras.optimizers.Adam(learning_rate=float(case["learning_rate"]),
                                         beta_1=float(case["beta_1"]),
                                         epsilon=float(case["epsilon"]))
    compute_cost = _step_cost(tf.constant(case["target"]), float(case["smooth"]))
    out = {}
    for step in range(int(case["steps"])):
        out.update(describe(candidate(image, optimizer, compute_cost), f"cost{step}"))
        out[f"image{step}"] = np.array(image.numpy(), dtype=np.float64)
    return out


#: Exercise (graded function name) -> its runner.
RUNNERS: dict[str, Callable] = {
    "compute_content_cost": _pair_cost,
    "gram_matrix": _gram,
    "compute_layer_style_cost": _pair_cost,
    "total_cost": _total,
    "train_step": _train_step,
}
