"""Hidden tests, called from the hidden-test regions of the source notebooks.

They never reach students: nbgrader strips the regions from the release, and
the feedback configuration strips them (code and tracebacks) from feedback.

Each test feeds fresh random inputs of several shapes (rectangular, with
several channel counts) in float32 and float64, checks type and shape first,
then compares as float64 NumPy values against the reference solution. Only a
genuine ``tf.Tensor`` is accepted, and its value is read through TensorFlow
itself, so an object with a rigged ``__eq__`` or ``__float__`` earns nothing.

Before and after the tests, :func:`autograder.guard.verify` checks that the
learner's code has not replaced anything the tests rely on (NumPy,
TensorFlow, builtins, the public checks, IPython's error display); if it has,
the exercise fails with an ``NST-TAMPERING`` message that the autograder
reports as a flag. The reference solutions are read afresh for every test.

Every exercise is graded on its own: the layer style cost is run with the
*reference* ``gram_matrix`` in place of the student's, so a wrong Gram matrix
loses points only in its own exercise.
"""

from __future__ import annotations

import numpy as np

from autograder import guard
from nst_utils._tf import tf

_EagerTensor = None  # the type of a genuine eager tensor, found once the guard has passed

ACTIVATION_SHAPES = ((1, 3, 5, 4), (1, 7, 2, 16), (1, 1, 9, 3), (1, 6, 4, 64), (1, 2, 2, 1))
GRAM_SHAPES = ((3, 10), (8, 7), (1, 5), (64, 36), (5, 1))
DTYPES = (np.float32, np.float64)
TOLERANCE = {np.float32: 2e-4, np.float64: 1e-9}


def _reference():
    # Read afresh from the source notebooks when a test runs (never a cached copy).
    from types import SimpleNamespace

    from autograder import reference

    return SimpleNamespace(**reference.load())


def _guarded(name: str):
    """Run the tampering guard, then make sure the genuine tensor type is known."""
    global _EagerTensor
    guard.verify(name)
    if _EagerTensor is None:
        _EagerTensor = type(tf.constant(0.0))


def _fail(name: str, case: str, problem: str) -> None:
    raise AssertionError(f"{name} fails a graded test ({case}): {problem}")


def _as_float64(name: str, case: str, result, shape: tuple) -> np.ndarray:
    if type(result) is not _EagerTensor:
        _fail(name, case, f"it returned a {type(result).__name__}, not a TensorFlow tensor")
    if not result.dtype.is_floating:
        _fail(name, case, f"it returned a {result.dtype.name} tensor, not a floating-point one")
    value = np.array(_EagerTensor.numpy(result), dtype=np.float64, copy=True)
    if value.shape != shape:
        _fail(name, case, f"shape {value.shape}, expected {shape}")
    if not np.isfinite(value).all():
        _fail(name, case, "the result is not finite")
    return value


def _compare(name: str, case: str, got: np.ndarray, expected: np.ndarray, dtype) -> None:
    scale = float(abs(expected).max()) if expected.size else 0.0
    error = float(abs(got - expected).max()) if expected.size else 0.0
    if not error <= TOLERANCE[dtype] * max(scale, 1e-12) + 1e-12:
        _fail(name, case, "the value differs from the expected one")


def _random(rng: np.random.Generator, shape, dtype) -> tf.Tensor:
    return tf.constant(rng.uniform(0.0, 2.0, size=shape).astype(dtype))


def _call(name: str, case: str, func, *args, **kwargs):
    try:
        return func(*args, **kwargs)
    except NotImplementedError:
        _fail(name, case, "it is not implemented")
    except Exception as exc:  # the student's code failed on these inputs
        _fail(name, case, f"it raised {type(exc).__name__}: {exc}")


def _cost_cases(name, func, ref, rng):
    for shape in ACTIVATION_SHAPES:
        for dtype in DTYPES:
            case = f"activations of shape {shape}, {np.dtype(dtype).name}"
            a, b = _random(rng, shape, dtype), _random(rng, shape, dtype)
            got = _as_float64(name, case, _call(name, case, func, a, b), ())
            expected = np.array(ref(a, b).numpy(), dtype=np.float64)
            _compare(name, case, got, expected, dtype)
    # The cost must be differentiable with respect to the generated activations.
    a, b = _random(rng, (1, 4, 3, 5), np.float32), tf.Variable(_random(rng, (1, 4, 3, 5), np.float32))
    with tf.GradientTape() as tape:
        cost = _call(name, "gradient", func, a, b)
    if not tf.is_tensor(cost) or tape.gradient(cost, b) is None:
        _fail(name, "gradient", "no gradient flows to the generated activations; use TensorFlow ops only")


def grade_content_cost(compute_content_cost) -> None:
    """Hidden tests of ``compute_content_cost``."""
    _guarded("compute_content_cost")
    rng = np.random.default_rng()
    _cost_cases("compute_content_cost", compute_content_cost, _reference().compute_content_cost, rng)


def grade_gram_matrix(gram_matrix) -> None:
    """Hidden tests of ``gram_matrix``."""
    _guarded("gram_matrix")
    name, ref, rng = "gram_matrix", _reference().gram_matrix, np.random.default_rng()
    for shape in GRAM_SHAPES:
        for dtype in DTYPES:
            case = f"A of shape {shape}, {np.dtype(dtype).name}"
            A = _random(rng, shape, dtype)
            got = _as_float64(name, case, _call(name, case, gram_matrix, A), (shape[0], shape[0]))
            _compare(name, case, got, np.array(ref(A).numpy(), dtype=np.float64), dtype)


def grade_layer_style_cost(compute_layer_style_cost) -> None:
    """Hidden tests of ``compute_layer_style_cost``, run with the reference ``gram_matrix``."""
    _guarded("compute_layer_style_cost")
    name, reference = "compute_layer_style_cost", _reference()
    scope = getattr(compute_layer_style_cost, "__globals__", None)
    if not isinstance(scope, dict):
        _fail(name, "setup", "it is not a plain Python function")
    missing = object()
    own_gram = scope.get("gram_matrix", missing)
    scope["gram_matrix"] = reference.gram_matrix
    try:
        _cost_cases(name, compute_layer_style_cost, reference.compute_layer_style_cost,
                    np.random.default_rng())
    finally:
        if own_gram is missing:
            scope.pop("gram_matrix", None)
        else:
            scope["gram_matrix"] = own_gram


def grade_total_cost(total_cost) -> None:
    """Hidden tests of ``total_cost``: defaults, other weights, both float types."""
    _guarded("total_cost")
    name, ref, rng = "total_cost", _reference().total_cost, np.random.default_rng()
    for dtype in DTYPES:
        for weights in ({}, {"alpha": 1.5, "beta": 0.25}, {"alpha": 0.0, "beta": 3.0},
                        {"alpha": 7.0, "beta": 0.0}, {"beta": 2.0}):
            J_content = tf.constant(dtype(rng.uniform(0.5, 5.0)))
            J_style = tf.constant(dtype(rng.uniform(0.5, 5.0)))
            case = f"weights {weights or 'default'}, {np.dtype(dtype).name}"
            got = _as_float64(name, case, _call(name, case, total_cost, J_content, J_style, **weights), ())
            expected = np.array(ref(J_content, J_style, **weights).numpy(), dtype=np.float64)
            _compare(name, case, got, expected, dtype)


def _verify_after(function):
    # The learner's code ran during the tests: check again before the verdict stands.
    import functools

    @functools.wraps(function)
    def graded(student_function):
        function(student_function)
        guard.verify(function.__name__.replace("grade_", "", 1))

    return graded


grade_content_cost = _verify_after(grade_content_cost)
grade_gram_matrix = _verify_after(grade_gram_matrix)
grade_layer_style_cost = _verify_after(grade_layer_style_cost)
grade_total_cost = _verify_after(grade_total_cost)
