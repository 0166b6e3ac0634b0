"""Public checks for the graded exercises: instant, specific feedback.

Each ``check_*`` function runs your implementation on small fixed inputs and
either prints a short "passed" line or raises :class:`AssertionError` with a
message that says what looks wrong. A recognised mistake is first only named;
when the next run of the same check meets the same mistake again, the message
also says how to fix it (a run that passes, or fails in another way, starts
again). A failing check always raises; it never only prints.

The checks' own functions set ``__tracebackhide__``, so that a failed check
shows the learner the line of their cell and the message, not the course's
code (:mod:`nst_utils.tracebacks`); when the learner's function itself raised,
its traceback is shown in full, down to their line.

The expected values are *data*, not code: ``data/public_checks.json`` was
computed from the course's reference solutions by ``python -m autograder
values`` in the course's pinned environment. It also records the values that
some common mistakes produce, so a check can recognise them. These checks are
a first line of feedback. The graded tests call your function on other inputs
(float32, several shapes) in a separate process and compare with the course's
reference to a relative tolerance of 1e-4; each failure message below says
what they demand (``JUDGED``).
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, NamedTuple

import numpy as np

from nst_utils._tf import tf
from nst_utils.errors import NotImplementedYet
from nst_utils.grading.exercises import exercise as graded_exercise
from nst_utils.grading.harness import globals_swapped, sealed

__all__ = [
    "check_content_cost",
    "check_gram_matrix",
    "check_layer_style_cost",
    "check_style_cost",
    "check_total_cost",
    "check_train_step",
    "forget_mistakes",
    "public_inputs",
    "train_step_trajectory",
]

DATA_FILE = Path(__file__).with_name("data") / "public_checks.json"

class Hint(NamedTuple):
    """A recognised mistake in two parts: what went wrong, then how to fix it."""

    what: str
    how: str

    def __str__(self) -> str:
        return f"{self.what} {self.how}"


#: What each recognised mistake looks like, in words a learner can act on. The first
#: time a check meets a mistake it says only ``what``; if the same function makes the
#: same mistake again, it adds ``how``, the recipe. The keys match the mistake values
#: stored in ``public_checks.json`` (and, for gram_matrix, the shapes it can have).
HINTS: dict[str, dict[str, Hint]] = {
    "content_cost": {
        "no_factor_4": Hint(
            "your value is exactly 4 times too large: one factor of the normaliser is missing.",
            "tf.reduce_mean alone divides by n_H·n_W·n_C only; the normalisation is "
            "1 / (4·n_H·n_W·n_C)."),
        "no_normalisation": Hint(
            "you returned the plain sum of squared differences, with no normaliser.",
            "Divide it by 4·n_H·n_W·n_C."),
        "no_square": Hint(
            "you summed the differences without squaring them, so positive and negative "
            "ones cancel.",
            "Use tf.square on (a_C - a_G) before tf.reduce_sum."),
        "abs_instead_of_square": Hint(
            "you summed absolute differences.",
            "The cost squares each difference: tf.square, not tf.abs."),
        "norm_squared": Hint(
            "your normalisation is squared, (4·n_H·n_W·n_C)².",
            "The content cost divides by 4·n_H·n_W·n_C once; squares only appear in the "
            "style cost."),
        "precedence": Hint(
            "Python read `/ 4 * n_H * n_W * n_C` as (sum / 4) · n_H · n_W · n_C: it divided "
            "by 4 and then multiplied.",
            "Put the whole normaliser in parentheses: `/ (4 * n_H * n_W * n_C)`."),
        "sqrt_of_sum": Hint(
            "you took a square root (a norm).",
            "The cost is the sum of squares itself, divided by 4·n_H·n_W·n_C, with no "
            "square root."),
    },
    "gram_matrix": {
        "normalised_by_size": Hint(
            "you divided the Gram matrix by its size.",
            "Here G = A·Aᵀ with no normalisation: the style cost applies the factor later."),
        "squared_entries": Hint(
            "you squared the entries, but an entry is a dot product of two rows.",
            "G = A·Aᵀ is a plain matrix product."),
        "AtA": Hint(
            "it has one row and one column per position instead of one per channel. Write "
            "down the shapes of the two factors of your product.",
            "Did you multiply Aᵀ·A? The Gram matrix is A·Aᵀ."),
        "elementwise": Hint(
            "it has A's own shape, so each entry was multiplied by itself rather than rows "
            "by rows.",
            "Did you multiply element by element (A * A)? Use a matrix product, tf.matmul, of "
            "A with its transpose."),
        "summed": Hint(
            "everything was added into one number.",
            "The Gram matrix is a matrix, A·Aᵀ."),
    },
    "layer_style_cost": {
        "no_transpose": Hint(
            "you reshaped a_S and a_G straight to (n_C, n_H·n_W), so each row mixes "
            "channels and positions (the puzzle above shows why).",
            "The channels are the last axis: reshape to (n_H·n_W, n_C) first, then "
            "transpose (or transpose the 4-D tensor before reshaping)."),
        "no_factor_4": Hint(
            "your value is exactly 4 times too large: the factor 4 of the normaliser is "
            "missing.",
            "The normalisation is 1 / (4·n_C²·(n_H·n_W)²)."),
        "n_C_not_squared": Hint(
            "n_C is not squared in your normaliser.",
            "The normalisation is 1 / (4·n_C²·(n_H·n_W)²)."),
        "area_not_squared": Hint(
            "(n_H·n_W) is not squared in your normaliser.",
            "The normalisation is 1 / (4·n_C²·(n_H·n_W)²)."),
        "no_square": Hint(
            "you summed the differences of the Gram matrices without squaring them.",
            "Use tf.square on (GS - GG) before tf.reduce_sum."),
        "whole_factor_squared": Hint(
            "you squared the whole normaliser, (4·n_C·n_H·n_W)², which is 16·n_C²·(n_H·n_W)².",
            "Only n_C and n_H·n_W are squared: 4·n_C²·(n_H·n_W)²."),
        "precedence": Hint(
            "Python read `/ 4 * n_C**2 * (n_H * n_W)**2` as a division by 4 followed by a "
            "multiplication.",
            "Put the whole normaliser in parentheses: `/ (4 * n_C**2 * (n_H * n_W)**2)`."),
        "no_normalisation": Hint(
            "you returned the plain sum of squared differences, with no normaliser.",
            "Divide it by 4·n_C²·(n_H·n_W)²."),
        "pixel_gram": Hint(
            "you built the Gram matrix over pixels, shape (n_H·n_W, n_H·n_W); the style Gram "
            "matrix compares channels, (n_C, n_C).",
            "Unroll each activation to (n_C, n_H·n_W) before calling gram_matrix."),
    },
    "style_cost": {
        "unweighted": Hint(
            "your sum ignores the weights: every layer counted once.",
            "Multiply each layer's cost by the weight paired with it in style_layers."),
        "averaged": Hint(
            "you divided the weighted sum by the number of layers.",
            "J_style is the weighted sum itself; the weights already say how much each "
            "layer counts."),
        "weight_squared": Hint(
            "each layer's cost was multiplied by its weight twice (the weight squared).",
            "Scale each layer's cost by its weight once."),
        "first_layer_only": Hint(
            "only the first layer of style_layers counted: the function returned inside "
            "the loop.",
            "Add up every layer's term, and return after the loop."),
        "last_layer_only": Hint(
            "only the last layer of style_layers counted: each term replaced the one "
            "before instead of adding to it.",
            "Start from 0 and add each layer's term (J_style += ...)."),
        "same_activations": Hint(
            "your cost is 0: each layer's cost compared an activation with itself.",
            "Give compute_layer_style_cost that layer's artwork activation "
            "(style_features[name]) and its image activation (generated_features[name])."),
        "course_layers": Hint(
            "it looked up a layer that is not among the style_layers it was given (the "
            "course's list?).",
            "Walk through the style_layers argument (for name, weight in style_layers), "
            "not STYLE_LAYERS or config.STYLE_LAYERS."),
    },
    "total_cost": {
        "swapped": Hint(
            "alpha and beta are swapped.",
            "alpha weighs J_content, beta weighs J_style."),
        "unweighted": Hint(
            "you ignored alpha and beta.",
            "J = alpha·J_content + beta·J_style."),
        "content_only": Hint(
            "the style term is missing.",
            "J = alpha·J_content + beta·J_style."),
        "style_only": Hint(
            "the content term is missing.",
            "J = alpha·J_content + beta·J_style."),
        "hard_coded": Hint(
            "with other weights your function still gives the result of 10 and 40.",
            "Use the alpha and beta arguments instead of the numbers, so other weights work "
            "too."),
    },
    "train_step": {
        "ascent": Hint(
            "the pixels moved uphill: the cost went up.",
            "Hand the optimiser the gradient of J itself (not -J, not a negated gradient); "
            "apply_gradients already steps against it."),
        "wrong_gradient": Hint(
            "the update does not follow the cost.",
            "Take the gradient of the J that compute_cost returned, with respect to the "
            "image: tape.gradient(J, generated_image)."),
        "no_gradient": Hint(
            "there was no gradient to apply (TensorFlow: 'No gradients provided'): the tape "
            "did not see the cost being computed.",
            "Call compute_cost(generated_image) inside `with tf.GradientTape() as tape:`, then "
            "ask tape.gradient(J, generated_image) after the with-block."),
        "no_clip": Hint(
            "some pixels left [0, 1] after the update.",
            "Clip them and write them back into the same variable: "
            "generated_image.assign(tf.clip_by_value(...)). Writing "
            "`generated_image = tf.clip_by_value(...)` only makes a new tensor the caller "
            "never sees."),
        "not_in_place": Hint(
            "the image did not change: your step made a new tensor instead of updating the "
            "variable.",
            "Let optimizer.apply_gradients([(gradient, generated_image)]) move it, then "
            "generated_image.assign(...) the clipped values."),
        "fresh_optimizer": Hint(
            "the optimiser passed in was never used: building a new optimiser inside the "
            "function throws away its memory of earlier steps (the first step looks right, "
            "later ones drift).",
            "Use the `optimizer` argument."),
        "compiled": Hint(
            "your train_step is compiled with @tf.function, and it cannot meet a second "
            "optimiser: Adam creates its own variables the first time it is used, and a "
            "compiled function may create variables only on its first call.",
            "Remove the decorator; the painting engine compiles your step itself."),
        "cost_after_update": Hint(
            "the pixels are right but the returned cost is not the one from before the "
            "update.",
            "Return the J you computed under the tape; do not recompute it."),
    },
}

#: The mistake each exercise's check met on its last run, and on the run before, in this
#: kernel (see :func:`_hint`).
_LAST_MISTAKE: dict[str, str] = {}
_PREVIOUS_MISTAKE: dict[str, str | None] = {}
#: What the first meeting with a mistake adds instead of the recipe.
NEXT_TIME = ("(Try a fix and run this check again: if the same mistake is still there, it "
             "will say how to fix it.)")


def _begin(exercise: str) -> None:
    """A check of ``exercise`` starts: what the last run found becomes the previous run's.

    A run that passes, or fails without a recognised mistake, leaves nothing behind,
    so a function that changed what it does starts again from the first hint.
    """
    _PREVIOUS_MISTAKE[exercise] = _LAST_MISTAKE.pop(exercise, None)


def _hint(exercise: str, key: str) -> str:
    """The words for a recognised mistake: what it is, and, when the previous run of this
    exercise's check met the same mistake, how to fix it."""
    hint = HINTS[exercise][key]
    _LAST_MISTAKE[exercise] = key
    if _PREVIOUS_MISTAKE.get(exercise) == key:
        return str(hint)
    return f"{hint.what} {NEXT_TIME}"


def forget_mistakes() -> None:
    """Forget every mistake met so far: the next one of each gets its first hint."""
    _LAST_MISTAKE.clear()
    _PREVIOUS_MISTAKE.clear()


#: What the graded tests demand of each exercise (they use other inputs, float32).
JUDGED = {
    "content_cost": "a scalar tf.Tensor (float32), differentiable with respect to a_G, "
    "within 1e-4 (relative) of the course's value",
    "gram_matrix": "an (n_C, n_C) tf.Tensor (float32), differentiable with respect to A, "
    "within 1e-4 (relative) of the course's value",
    "layer_style_cost": "a scalar tf.Tensor (float32), differentiable with respect to a_G, "
    "within 1e-4 (relative) of the course's value",
    "style_cost": "a scalar tf.Tensor, the weighted sum over style_layers (any layers and "
    "weights) with a gradient for each of their generated activations, within 1e-4 "
    "(relative) of the course's value, judged with the course's layer style cost",
    "total_cost": "a scalar tf.Tensor, within 1e-4 (relative) of the course's value, for "
    "any alpha and beta",
    "train_step": "the variable updated in place with pixels kept in [0, 1], the optimiser "
    "passed in used once per step, the cost from before each update returned as a scalar "
    "tf.Tensor, all within 1e-4 (relative) of the course's values over several steps",
}


@lru_cache(maxsize=1)
def _data() -> dict:
    with open(DATA_FILE, encoding="utf-8") as handle:
        return json.load(handle)


def public_inputs(exercise: str) -> dict[str, Any]:
    """The fixed inputs a public check feeds to your function (as tensors)."""
    return make_inputs(_data()[exercise]["inputs"])


def make_inputs(spec: dict) -> dict[str, Any]:
    """Tensors from an input description: ``{"seed", "shape"}`` for random activations
    (uniform in [0, 1), like activations after a ReLU), or a plain number."""
    inputs: dict[str, Any] = {}
    for name, item in spec.items():
        if isinstance(item, dict):
            rng = np.random.RandomState(item["seed"])
            values = rng.uniform(0.0, 1.0, size=item["shape"]).astype(np.float32)
            inputs[name] = tf.constant(values)
        else:
            inputs[name] = tf.constant(item, dtype=tf.float32)
    return inputs


# --------------------------------------------------------------------------
# Shared steps
# --------------------------------------------------------------------------
def _run(name: str, func: Callable, *args, **kwargs):
    __tracebackhide__ = True
    if not callable(func):
        raise AssertionError(f"`{name}` should be a function, but it is a {type(func).__name__}.")
    try:
        return func(*args, **kwargs)
    except NotImplementedYet as exc:
        raise AssertionError(str(exc)) from None
    except NotImplementedError:
        raise AssertionError(
            f"`{name}` is not implemented yet: replace `raise NotImplementedError()` in its "
            "cell with your code, run that cell, then run this check again."
        ) from None
    except Exception as exc:
        raise AssertionError(
            f"`{name}` raised {type(exc).__name__}: {exc}\n"
            "Read the traceback above this message to find the failing line."
        ) from exc


def _require_tensor(name: str, result) -> np.ndarray:
    __tracebackhide__ = True
    if isinstance(result, (np.ndarray, np.generic)):
        raise AssertionError(
            f"`{name}` returned a NumPy value ({type(result).__name__}); it should return a "
            "TensorFlow tensor. Use TensorFlow operations only (no .numpy(), np.* or float()), "
            "so that gradients can flow through your function."
        )
    if isinstance(result, (int, float)):
        raise AssertionError(
            f"`{name}` returned a Python {type(result).__name__}; it should return a TensorFlow "
            "tensor. Use TensorFlow operations only (no .numpy() or float())."
        )
    if not tf.is_tensor(result):
        raise AssertionError(
            f"`{name}` returned a {type(result).__name__}; it should return a TensorFlow tensor."
        )
    if not result.dtype.is_floating:
        raise AssertionError(
            f"`{name}` returned a tensor of type {result.dtype.name}; a floating-point tensor "
            "is expected. Did integer division or a cast creep in?"
        )
    return np.asarray(result.numpy(), dtype=np.float64)


def _require_scalar(name: str, value: np.ndarray) -> None:
    __tracebackhide__ = True
    if value.shape != ():
        raise AssertionError(
            f"`{name}` returned a tensor of shape {tuple(value.shape)}; a cost is a single "
            "number (shape ()). Sum over all entries with tf.reduce_sum."
        )


def _close(a: float | np.ndarray, b: float | np.ndarray) -> bool:
    return bool(np.allclose(a, b, rtol=1e-4, atol=1e-7))


def _require_value(name: str, exercise: str, got: np.ndarray) -> None:
    __tracebackhide__ = True
    record = _data()[exercise]
    expected = np.asarray(record["expected"], dtype=np.float64)
    if _close(got, expected):
        return
    for key, value in record.get("mistakes", {}).items():
        if np.shape(value) == got.shape and _close(got, value):
            raise AssertionError(f"`{name}` gives {_fmt(got)}, expected {_fmt(expected)}: "
                                 f"{_hint(exercise, key)}")
    raise AssertionError(
        f"`{name}` gives {_fmt(got)}, expected {_fmt(expected)} on the check's inputs. "
        "Compare your code with the formula above, term by term. The graded test demands "
        f"{JUDGED[exercise]}."
    )


def _require_differentiable(name: str, func: Callable, args: list, wrt: int, label: str) -> None:
    """The result must be connected to input ``args[wrt]``: the painting needs its gradient."""
    __tracebackhide__ = True
    source = tf.identity(args[wrt])
    with tf.GradientTape() as tape:
        tape.watch(source)
        result = _run(name, func, *args[:wrt], source, *args[wrt + 1:])
    gradient = tape.gradient(result, source) if tf.is_tensor(result) else None
    if gradient is None:
        raise AssertionError(
            f"`{name}` returns a value TensorFlow cannot differentiate with respect to {label}: "
            "the link to the input was cut (a .numpy(), np.* or a new tf.constant on the way?). "
            "Gradient descent on the image needs that gradient; keep to TensorFlow operations."
        )


def _fmt(value) -> str:
    array = np.asarray(value)
    if array.shape == ():
        return f"{float(array):.6g}"
    return np.array2string(array, precision=4, threshold=12)


def _passed(name: str) -> None:
    print(f"✅ {name}: all public checks passed.")


# --------------------------------------------------------------------------
# The checks
# --------------------------------------------------------------------------
@sealed("compute_content_cost")
def check_content_cost(compute_content_cost: Callable) -> None:
    """Check ``compute_content_cost(a_C, a_G)`` on fixed inputs."""
    __tracebackhide__ = True
    name = "compute_content_cost"
    _begin("content_cost")
    inputs = public_inputs("content_cost")
    a_C, a_G = inputs["a_C"], inputs["a_G"]
    before = (a_C.numpy().copy(), a_G.numpy().copy())
    got = _require_tensor(name, _run(name, compute_content_cost, a_C, a_G))
    _require_scalar(name, got)
    _require_value(name, "content_cost", got)
    _require_differentiable(name, compute_content_cost, [a_C, a_G], 1, "a_G")
    same = _run(name, compute_content_cost, a_C, a_C)
    if not _close(_require_tensor(name, same), 0.0):
        raise AssertionError(f"`{name}(a, a)` should be 0: identical activations cost nothing.")
    if not (np.array_equal(before[0], a_C.numpy()) and np.array_equal(before[1], a_G.numpy())):
        raise AssertionError(f"`{name}` changed its inputs; it must leave them as they are.")
    _passed(name)


@sealed("gram_matrix")
def check_gram_matrix(gram_matrix: Callable) -> None:
    """Check ``gram_matrix(A)`` for A of shape (n_C, n_H·n_W)."""
    __tracebackhide__ = True
    _verify_gram_matrix(gram_matrix)
    _passed("gram_matrix")


def _verify_gram_matrix(gram_matrix: Callable) -> None:
    __tracebackhide__ = True
    name = "gram_matrix"
    _begin(name)
    A = public_inputs("gram_matrix")["A"]
    n_C, area = A.shape
    got = _require_tensor(name, _run(name, gram_matrix, A))
    if got.shape != (n_C, n_C):
        known = {(area, area): "AtA", (n_C, area): "elementwise", (): "summed"}
        key = known.get(got.shape)
        raise AssertionError(
            f"your Gram matrix has shape {tuple(got.shape)}; expected (n_C, n_C) = "
            f"({n_C}, {n_C})" + (f": {_hint(name, key)}" if key else ".")
        )
    if not np.allclose(got, got.T, rtol=1e-5, atol=1e-6):
        raise AssertionError("your Gram matrix is not symmetric, but entries (i, j) and (j, i) "
                             "are the same dot product of rows i and j.")
    _require_value(name, "gram_matrix", got)
    _require_differentiable(name, gram_matrix, [A], 0, "A")


@sealed("compute_layer_style_cost")
def check_layer_style_cost(compute_layer_style_cost: Callable) -> None:
    """Check ``compute_layer_style_cost(a_S, a_G)`` (it uses your ``gram_matrix``)."""
    __tracebackhide__ = True
    name = "compute_layer_style_cost"
    _begin("layer_style_cost")
    inputs = public_inputs("layer_style_cost")
    a_S, a_G = inputs["a_S"], inputs["a_G"]
    got = _require_tensor(name, _run(name, compute_layer_style_cost, a_S, a_G))
    _require_scalar(name, got)
    try:
        _require_value(name, "layer_style_cost", got)
    except AssertionError:
        gram = getattr(compute_layer_style_cost, "__globals__", {}).get("gram_matrix")
        if callable(gram):
            try:
                _verify_gram_matrix(gram)
            except AssertionError as exc:
                raise AssertionError(
                    f"`{name}` relies on your `gram_matrix`, which does not pass its own "
                    f"check yet ({exc}) Fix gram_matrix in 02_gram_matrix.ipynb first."
                ) from None
        raise
    _require_differentiable(name, compute_layer_style_cost, [a_S, a_G], 1, "a_G")
    same = _run(name, compute_layer_style_cost, a_S, a_S)
    if not _close(_require_tensor(name, same), 0.0):
        raise AssertionError(f"`{name}(a, a)` should be 0: identical activations have equal style.")
    _passed(name)


# --------------------------------------------------------------------------
# compute_style_cost: the sum, with the course's layer cost standing in for yours
# --------------------------------------------------------------------------
def style_cost_case(spec: dict | None = None) -> tuple[dict, tuple, list]:
    """The check's case (``spec``: its stored inputs): the arrays of each layer (the style
    layers, then one more that the dictionaries hold but the sum must leave out), the
    (layer, weight) pairs and every layer's name."""
    spec = spec or _data()["style_cost"]["inputs"]
    case = {"weights": np.asarray([w for _, w in spec["style_layers"]], np.float32)}
    names = [name for name, _ in spec["style_layers"]] + [spec["extra_layer"]]
    for index, name in enumerate(names):
        for kind, seed in spec["seeds"].items():
            rng = np.random.RandomState(seed + index)
            case[f"{kind}{index}"] = rng.uniform(size=spec["shapes"][name]).astype(np.float32)
    return case, tuple((name, float(w)) for name, w in spec["style_layers"]), names


def style_cost_run(compute_style_cost: Callable, case: dict, layers: tuple, names: list,
                   stand_in: Callable) -> tuple:
    """``compute_style_cost`` on the check's case, seeing ``stand_in`` as its
    ``compute_layer_style_cost``: its result and its gradients for the style layers'
    generated activations (None where none flows)."""
    style = {name: tf.constant(case[f"S{i}"]) for i, name in enumerate(names)}
    generated = {name: tf.constant(case[f"G{i}"]) for i, name in enumerate(names)}
    watched = [generated[name] for name, _ in layers]
    with globals_swapped(compute_style_cost, {"compute_layer_style_cost": stand_in}):
        with tf.GradientTape() as tape:
            tape.watch(watched)
            result = compute_style_cost(style, generated, layers)
    gradients = tape.gradient(result, watched) if tf.is_tensor(result) else [None] * len(watched)
    return result, gradients


def _with_values(case: dict) -> dict:
    """The case with the course's layer cost's values at each style layer (stored data)."""
    record = _data()["style_cost"]
    values = {f"V{i}": np.float32(v) for i, v in enumerate(record["layer_values"])}
    values.update({f"D{i}": np.asarray(d, np.float32) for i, d in record["layer_gradients"].items()})
    return {**case, **values}


@sealed("compute_style_cost")
def check_style_cost(compute_style_cost: Callable) -> None:
    """Check ``compute_style_cost(style_features, generated_features, style_layers)``, with
    the course's layer style cost (its stored values) standing in for yours."""
    __tracebackhide__ = True
    name = "compute_style_cost"
    _begin("style_cost")
    case, layers, names = style_cost_case()
    stand_in = graded_exercise(name).stand_in(_with_values(case))
    asked = {layer for layer, _ in layers}
    try:
        result, gradients = style_cost_run(compute_style_cost, case, layers, names, stand_in)
    except Exception as error:  # noqa: BLE001 - said as for every check, with its traceback
        key = error.args[0] if isinstance(error, KeyError) and error.args else None
        if key is not None and str(key) not in asked:
            raise AssertionError(f"`{name}` {_hint('style_cost', 'course_layers')}") from None
        result, gradients = _run(name, style_cost_run, compute_style_cost, case, layers, names,
                                 stand_in)
    got = _require_tensor(name, result)
    _require_scalar(name, got)
    _require_value(name, "style_cost", got)
    missing = [layer for (layer, _), gradient in zip(layers, gradients) if gradient is None]
    if missing:
        raise AssertionError(
            f"`{name}` returns a value TensorFlow cannot differentiate with respect to the "
            f"generated activations of {', '.join(missing)}: every style layer's term must "
            "stay a TensorFlow tensor (no .numpy(), float() or np.* on the way), so that the "
            "gradient reaches the image."
        )
    _passed(name)


@sealed("total_cost")
def check_total_cost(total_cost: Callable) -> None:
    """Check ``total_cost(J_content, J_style, alpha=10, beta=40)``."""
    __tracebackhide__ = True
    name = "total_cost"
    _begin(name)
    record = _data()["total_cost"]
    inputs = public_inputs("total_cost")
    J_content, J_style = inputs["J_content"], inputs["J_style"]
    got = _require_tensor(name, _run(name, total_cost, J_content, J_style))
    _require_scalar(name, got)
    _require_value(name, "total_cost", got)
    alpha, beta = record["other_weights"]["alpha"], record["other_weights"]["beta"]
    other = _require_tensor(
        name, _run(name, total_cost, J_content, J_style, alpha=alpha, beta=beta)
    )
    expected = record["expected_other_weights"]
    if not _close(other, expected):
        hint = (
            _hint("total_cost", "hard_coded")
            if _close(other, record["expected"])
            else _hint("total_cost", "swapped")
            if _close(other, record["swapped_other_weights"])
            else "check that alpha multiplies J_content and beta multiplies J_style."
        )
        raise AssertionError(
            f"with alpha={alpha:g}, beta={beta:g}, `{name}` gives {_fmt(other)}, expected "
            f"{_fmt(expected)}: {hint}"
        )
    _passed(name)


# --------------------------------------------------------------------------
# train_step: a few steps from a known state, on a cost without VGG19
# --------------------------------------------------------------------------
def train_step_trajectory(train_step: Callable, spec: dict) -> dict:
    """Run ``train_step`` for ``spec["steps"]`` steps from the check's known state.

    The image starts at fixed pixels; the cost pulls it towards a fixed target,
    part of which lies outside [0, 1] so that clipping matters. Returns the
    returned costs, the pixels after each step, the optimiser's step count and
    how often the cost was evaluated.
    """
    __tracebackhide__ = True
    start = np.random.RandomState(spec["image"]["seed"]).uniform(size=spec["image"]["shape"])
    goal = np.random.RandomState(spec["target"]["seed"]).uniform(size=spec["target"]["shape"])
    image = tf.Variable(start.astype(np.float32))
    target = tf.constant((2.0 * goal - 0.5).astype(np.float32))
    optimizer = tf.keras.optimizers.Adam(learning_rate=spec["learning_rate"])
    calls = []

    def compute_cost(picture):
        calls.append(1)
        return tf.reduce_sum(tf.square(picture - target))

    costs, images = [], []
    for _ in range(spec["steps"]):
        costs.append(train_step(image, optimizer, compute_cost))
        images.append(image.numpy().copy())
    return {"start": start.astype(np.float32), "costs": costs, "images": images,
            "iterations": int(optimizer.iterations.numpy()), "calls": len(calls)}


@sealed("train_step")
def check_train_step(train_step: Callable) -> None:
    """Check ``train_step(generated_image, optimizer, compute_cost)`` over a few steps."""
    __tracebackhide__ = True
    name = "train_step"
    _begin(name)
    record = _data()["train_step"]
    run = _steps(name, train_step, record["inputs"])
    _steps(name, train_step, {**record["inputs"], "steps": 1})  # a second painting, a new optimiser
    costs = [_require_tensor(name, J) for J in run["costs"]]
    for J in costs:
        if J.shape != ():
            raise AssertionError(
                f"`{name}` returned a tensor of shape {tuple(J.shape)}; return the cost J (a "
                "single number, what compute_cost gave you), not the image or the gradient."
            )
    _diagnose_step(name, run, record)
    steps = len(costs)
    for step in range(steps):
        _compare_step(name, step, run["images"][step], costs[step], record)
    _passed(name)


def _steps(name: str, train_step: Callable, spec: dict) -> dict:
    """The trajectory of ``train_step``, with errors that have a known cause explained."""
    __tracebackhide__ = True
    known = {"No gradients provided": "no_gradient", "singleton tf.Variables": "compiled"}
    def step(*args):
        __tracebackhide__ = True
        return _run(name, train_step, *args)

    try:
        return train_step_trajectory(step, spec)
    except AssertionError as exc:
        for text, key in known.items():
            if text in str(exc):
                raise AssertionError(f"`{name}`: {_hint(name, key)}") from None
        raise


def _diagnose_step(name: str, run: dict, record: dict) -> None:
    """The mistakes that show without comparing values: each has its own sign."""
    __tracebackhide__ = True
    steps = len(run["costs"])
    if run["calls"] == 0:
        raise AssertionError(f"`{name}` never called compute_cost: J = compute_cost(generated_image).")
    if np.array_equal(run["images"][0], run["start"]):
        raise AssertionError(f"`{name}`: {_hint(name, 'not_in_place')}")
    if run["iterations"] == 0:
        raise AssertionError(f"`{name}`: {_hint(name, 'fresh_optimizer')}")
    if run["iterations"] != steps:
        raise AssertionError(
            f"`{name}` made the optimiser take {run['iterations']} updates in {steps} steps; "
            "call optimizer.apply_gradients exactly once per step."
        )
    images = np.stack(run["images"])
    if images.min() < 0.0 or images.max() > 1.0:
        raise AssertionError(
            f"`{name}` left pixels between {images.min():.3f} and {images.max():.3f}: "
            f"{_hint(name, 'no_clip')}"
        )


def _compare_step(name: str, step: int, image: np.ndarray, J: np.ndarray, record: dict) -> None:
    __tracebackhide__ = True
    expected = record["expected"]
    image_ok = _close(image, expected["images"][step])
    cost_ok = _close(J, expected["costs"][step])
    if image_ok and cost_ok:
        return
    for key, mistake in record.get("mistakes", {}).items():
        if _close(image, mistake["images"][step]) and _close(J, mistake["costs"][step]):
            raise AssertionError(f"`{name}`, step {step + 1}: {_hint(name, key)}")
    if not image_ok:
        later = " The first step matched: does anything carry over between steps?" if step else ""
        worst = float(np.max(np.abs(image - np.asarray(expected["images"][step]))))
        raise AssertionError(
            f"`{name}`, step {step + 1}: the pixels differ from the expected ones by up to "
            f"{worst:.3g}.{later} One step is: J under a GradientTape, its gradient with respect "
            "to the image, optimizer.apply_gradients, then assign the clipped pixels. The "
            f"graded test demands {JUDGED[name]}."
        )
    raise AssertionError(
        f"`{name}`, step {step + 1}: returned J = {_fmt(J)}, expected {_fmt(expected['costs'][step])} "
        "(the cost of the image before this update)."
    )
