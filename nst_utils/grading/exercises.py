"""The graded exercises: one object each, registered once in :data:`EXERCISES`.

An exercise knows everything about grading one function that is not secret:

* where it is written and what it is worth (``function``, ``notebook``,
  ``points``) and the public check that hands it to the grader (``check``, a
  function of :mod:`nst_utils.checks` decorated with ``@sealed(function)``);
* the functions of earlier notebooks it is judged with (``helpers``): while
  grading, the learner's function sees the *reference* versions instead of
  their own, so a mistake in one exercise costs points there only;
* how its graded cases are drawn from a seed (:meth:`Exercise.cases`);
* how a function is called on one case and what is recorded of it, as plain
  numbers (:meth:`Exercise.run`); the grader calls the reference solution the
  same way, through :func:`nst_utils.grading.harness.run_cases`;
* the judge's words for a case (:meth:`Exercise.describe`), for a recorded
  field (:meth:`Exercise.label`) and, where a wrong value has a likely cause,
  for that cause (:meth:`Exercise.diagnose`).

What decides a score (the course's secret, the reference solutions, the
expected answers) is never here. Adding an exercise is one more object here
(and in :data:`EXERCISES`), its notebooks, its public check and its variants
in ``autograder/variants.py``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

__all__ = ["EXERCISES", "Exercise", "exercise", "record_value"]


def _float32(rng: np.random.Generator, shape, low=0.0, high=2.0) -> np.ndarray:
    return rng.uniform(low, high, size=shape).astype(np.float32)


def record_value(value, field: str = "value") -> dict[str, np.ndarray]:
    """``value`` as a float64 array, plus the code of its kind
    (:data:`nst_utils.grading.harness.KINDS`)."""
    from nst_utils._tf import tf
    from nst_utils.grading.harness import kind_code

    out = {f"{field}_kind": np.array(kind_code(value), dtype=np.int64)}
    if tf.is_tensor(value):
        out[field] = np.array(value.numpy(), dtype=np.float64)
    else:
        try:
            out[field] = np.array(value, dtype=np.float64)
        except (TypeError, ValueError):
            pass
    return out


@dataclass(frozen=True)
class Exercise:
    """One graded exercise: the function a learner writes, where, what it is worth, and how
    it is graded. Subclasses say how cases are drawn, run, described and diagnosed."""

    function: str
    notebook: str
    points: float
    check: str
    #: (function, the earlier notebook it comes from) judged with the reference's version.
    helpers: tuple[tuple[str, str], ...] = ()
    #: A function of the same notebook this one is judged with: the grader stages the
    #: reference's values of it on each case (never its code), :meth:`stand_in` answers
    #: with them in the kernel.
    judged_with: str | None = None

    @property
    def test_cell(self) -> str:
        """The grade id of the test cell that scores it."""
        return f"test_{self.function}"

    def cases(self, rng: np.random.Generator) -> list[dict]:
        """The graded cases' inputs, drawn with ``rng`` (a seed's generator)."""
        raise NotImplementedError

    def run(self, candidate: Callable, case: dict) -> dict:
        """Call ``candidate`` on one case; return what is recorded (plain arrays)."""
        raise NotImplementedError

    def describe(self, case: dict) -> str:
        """A short, learner-readable name for one case."""
        return "a graded case"

    def label(self, field: str) -> str:
        """The judge's words for a recorded field."""
        return {"value": "the value", "gradient": "the gradient"}.get(field, field)

    def diagnose(self, field: str, problem: str, case: dict, got: dict,
                 matches: Callable[[str], bool]) -> str:
        """``problem`` with its likely cause, if one shows (``matches(field)``: whether a
        recorded field is as expected)."""
        return problem

    def stage_values(self, case: dict, function: Callable) -> dict:
        """What of ``judged_with`` (``function``: the reference's) a case's inputs carry."""
        return {}

    def stand_in(self, case: dict) -> Callable:
        """The ``judged_with`` function a learner's one sees in a grading kernel."""
        raise NotImplementedError


# ----------------------------------------------------------------- the costs
#: Activation shapes (1, n_H, n_W, n_C) of the cost exercises: square, rectangular,
#: one channel, many channels.
ACTIVATION_SHAPES = ((1, 3, 5, 4), (1, 7, 2, 16), (1, 1, 9, 3), (1, 6, 4, 64), (1, 2, 2, 1))


class PairCost(Exercise):
    """A cost of two activations (content, layer style): its value and its gradient with
    respect to the second."""

    def cases(self, rng):
        return [{"first": _float32(rng, s), "second": _float32(rng, s)} for s in ACTIVATION_SHAPES]

    def run(self, candidate, case):
        from nst_utils._tf import tf

        first, second = tf.constant(case["first"]), tf.constant(case["second"])
        with tf.GradientTape() as tape:
            tape.watch(second)
            value = candidate(first, second)
        out = record_value(value)
        gradient = tape.gradient(value, second) if tf.is_tensor(value) else None
        if gradient is None:
            out["gradient_missing"] = np.array(True)
        else:
            out["gradient"] = np.array(gradient.numpy(), dtype=np.float64)
        return out

    def describe(self, case):
        return f"activations of shape {tuple(case['first'].shape)}"


#: Shapes (n_C, n_H·n_W) of the Gram-matrix exercise.
GRAM_SHAPES = ((3, 10), (8, 7), (1, 5), (64, 36), (5, 1))


class GramMatrix(Exercise):
    def cases(self, rng):
        return [{"A": _float32(rng, s, -1.0, 1.0)} for s in GRAM_SHAPES]

    def run(self, candidate, case):
        from nst_utils._tf import tf

        return record_value(candidate(tf.constant(case["A"])))

    def describe(self, case):
        return f"A of shape {tuple(case['A'].shape)}"


#: Weights of the total-cost cases (empty: the defaults).
TOTAL_WEIGHTS = ({}, {"alpha": 1.5, "beta": 0.25}, {"alpha": 0.0, "beta": 3.0},
                 {"alpha": 7.0, "beta": 0.0}, {"beta": 2.0})


class TotalCost(Exercise):
    def cases(self, rng):
        cases = []
        for weights in TOTAL_WEIGHTS:
            case = {"J_content": _float32(rng, (), 0.5, 5.0), "J_style": _float32(rng, (), 0.5, 5.0)}
            case.update({name: np.float32(value) for name, value in weights.items()})
            cases.append(case)
        return cases

    def run(self, candidate, case):
        from nst_utils._tf import tf

        J_content, J_style = tf.constant(case["J_content"]), tf.constant(case["J_style"])
        weights = {name: float(case[name]) for name in ("alpha", "beta") if name in case}
        return record_value(candidate(J_content, J_style, **weights))

    def describe(self, case):
        weights = {n: float(case[n]) for n in ("alpha", "beta") if n in case}
        return "weights " + (", ".join(f"{n}={v:g}" for n, v in weights.items()) or "default")


# ------------------------------------------------------------ the style cost
#: Style layers per case, and the shape (n_H, n_W, n_C) of each layer's activations.
STYLE_CASES = (((3, 4, 5),), ((2, 3, 4), (4, 2, 6)), ((3, 3, 2), (1, 4, 8), (2, 2, 3)),
               ((2, 5, 3), (3, 2, 4), (1, 1, 7), (2, 2, 2), (4, 3, 1)))


def _same(tensor, array: np.ndarray) -> bool:
    value = np.asarray(tensor)
    return value.shape == array.shape and np.array_equal(value, array)


class StyleCost(Exercise):
    """The style cost over several layers, judged with the reference layer style cost.

    A case is a few layers, each with its weight and the artwork's and the image's
    activations, in dictionaries that also hold a layer not among them (as the
    extractor's do). The layer cost comes from the same notebook, so the grading
    kernel cannot be given the reference's code: the grader stages its value and its
    gradient at each layer's activations instead (:meth:`stage_values`), and the
    function the learner's sum calls answers with them (:meth:`stand_in`): the same
    value, and the same gradient, as the reference there.
    """

    def cases(self, rng):
        from nst_utils import config

        names = [name for name, _, _ in config.VGG19_CONV_LAYERS]
        cases = []
        for shapes in STYLE_CASES:
            chosen = rng.choice(len(names), size=len(shapes) + 1, replace=False)
            weights = rng.uniform(0.05, 1.0, size=len(shapes)).astype(np.float32)
            case = {"layers": np.asarray(chosen, np.int64), "weights": weights}
            for index, shape in enumerate((*shapes, (2, 2, 2))):  # the last: not a style layer
                case[f"S{index}"] = _float32(rng, (1, *shape), 0.0, 1.0)
                case[f"G{index}"] = _float32(rng, (1, *shape), 0.0, 1.0)
            cases.append(case)
        return cases

    @staticmethod
    def _layers(case) -> list[str]:
        from nst_utils import config

        names = [name for name, _, _ in config.VGG19_CONV_LAYERS]
        return [names[int(i)] for i in case["layers"]]

    def run(self, candidate, case):
        from nst_utils._tf import tf

        names = self._layers(case)
        count = len(case["weights"])
        order = [count // 2, *[i for i in range(len(names)) if i != count // 2]]
        style = {names[i]: tf.constant(case[f"S{i}"]) for i in order}
        generated = {names[i]: tf.constant(case[f"G{i}"]) for i in order}
        layers = tuple((names[i], float(w)) for i, w in enumerate(case["weights"]))
        watched = [generated[names[i]] for i in range(count)]
        with tf.GradientTape() as tape:
            tape.watch(watched)
            value = candidate(style, generated, layers)
        out = record_value(value)
        gradients = tape.gradient(value, watched) if tf.is_tensor(value) else [None] * count
        for index, gradient in enumerate(gradients):
            if gradient is None:
                out["gradient_missing"] = np.array(True)
            else:
                out[f"gradient{index}"] = np.array(gradient.numpy(), dtype=np.float64)
        return out

    def stage_values(self, case, function):
        from nst_utils._tf import tf

        staged = {}
        for index in range(len(case["weights"])):
            generated = tf.constant(case[f"G{index}"])
            with tf.GradientTape() as tape:
                tape.watch(generated)
                value = function(tf.constant(case[f"S{index}"]), generated)
            staged[f"V{index}"] = np.asarray(value.numpy(), np.float32)
            staged[f"D{index}"] = np.asarray(tape.gradient(value, generated).numpy(), np.float32)
        return staged

    def stand_in(self, case):
        """A layer cost that answers, at each style layer's activations, with the value and
        the gradient staged for them (the first-order expansion around them); for any other
        pair, 0 (so the sum comes out wrong, as with the wrong layer's activations)."""
        from nst_utils._tf import tf

        layers = [(case[f"S{i}"], case[f"G{i}"], case[f"V{i}"], case[f"D{i}"])
                  for i in range(len(case["weights"]))]

        def compute_layer_style_cost(a_S, a_G):
            for style, image, value, gradient in layers:
                if _same(a_S, style) and _same(a_G, image):
                    moved = a_G
                elif _same(a_S, image) and _same(a_G, style):  # the cost is symmetric
                    moved = a_S
                else:
                    continue
                moved = tf.cast(moved, tf.float32)
                return tf.constant(value) + tf.reduce_sum(tf.constant(gradient) * (moved - image))
            return 0.0 * tf.reduce_sum(tf.cast(a_G, tf.float32))

        return compute_layer_style_cost

    def describe(self, case):
        weights = ", ".join(f"{float(w):.3g}" for w in case["weights"])
        count = len(case["weights"])
        return f"{count} style layer{'s' if count > 1 else ''} weighted {weights}"

    def label(self, field):
        if field.startswith("gradient"):
            return f"the gradient for style layer {int(field[8:]) + 1}'s generated activations"
        return super().label(field)

    def diagnose(self, field, problem, case, got, matches):
        if not problem.endswith("differs from the expected one"):
            return problem
        return (f"{problem}: J_style is the sum, over the (layer, weight) pairs of style_layers "
                "(the argument, not the course's list), of weight × compute_layer_style_cost of "
                "that layer's style and generated activations")


# ------------------------------------------------------------------ the step
def _pushed_out(rng, image: np.ndarray, target: np.ndarray) -> None:
    """Put one pixel on each edge of [0, 1] with a target beyond it, so the first step pushes them out.

    The distance term's slope there (2) beats the smoothing term's (at most 2 x 0.5), so
    every case, whatever the draw, shows whether the step clips the image back.
    """
    low, high = rng.choice(image.size, size=2, replace=False)
    image.flat[low], target.flat[low] = 0.0, -1.0
    image.flat[high], target.flat[high] = 1.0, 2.0


def _step_cost(target, smooth: float) -> Callable:
    """A small cost of an image: squared distance to ``target`` plus a smoothness term."""
    from nst_utils._tf import tf

    def compute_cost(image):
        distance = tf.reduce_sum(tf.square(image - target))
        ripples = tf.reduce_sum(tf.abs(image[:, 1:, :, :] - image[:, :-1, :, :]))
        return distance + smooth * ripples

    return compute_cost


class TrainStep(Exercise):
    """Several optimisation steps from a known state: the cost returned and the image after each."""

    def cases(self, rng):
        cases = []
        for shape, rate, beta_1, epsilon in (((1, 4, 5, 3), 0.1, 0.9, 1e-7),
                                             ((1, 3, 6, 3), 0.05, 0.99, 1e-1)):
            image, target = _float32(rng, shape, 0.0, 1.0), _float32(rng, shape, -0.5, 1.5)
            _pushed_out(rng, image, target)
            cases.append({"image": image, "target": target,
                          "smooth": np.float32(rng.uniform(0.1, 0.5)),
                          "learning_rate": np.float32(rate), "beta_1": np.float32(beta_1),
                          "epsilon": np.float32(epsilon), "steps": np.int64(3)})
        return cases

    def run(self, candidate, case):
        from nst_utils._tf import tf

        image = tf.Variable(case["image"])
        optimizer = tf.keras.optimizers.Adam(learning_rate=float(case["learning_rate"]),
                                             beta_1=float(case["beta_1"]),
                                             epsilon=float(case["epsilon"]))
        compute_cost = _step_cost(tf.constant(case["target"]), float(case["smooth"]))
        out = {}
        for step in range(int(case["steps"])):
            out.update(record_value(candidate(image, optimizer, compute_cost), f"cost{step}"))
            out[f"image{step}"] = np.array(image.numpy(), dtype=np.float64)
        return out

    def describe(self, case):
        return f"{int(case['steps'])} steps on an image of shape {tuple(case['image'].shape)}"

    def label(self, field):
        if field.startswith("cost"):
            return f"the cost returned at step {int(field[4:]) + 1}"
        if field.startswith("image"):
            return f"the image after step {int(field[5:]) + 1}"
        return super().label(field)

    def diagnose(self, field, problem, case, got, matches):
        """Turn 'the image differs' into the likely mistake."""
        if not field.startswith("image") or not problem.endswith("differs from the expected one"):
            return problem
        step = int(field[5:])
        before = case["image"] if step == 0 else got.get(f"image{step - 1}")
        after = got[field]
        if before is not None and np.array_equal(np.asarray(before, np.float64), after):
            return (f"{problem}: the image variable did not change. Update the variable itself "
                    "(apply_gradients changes it in place; put the clipped value back with .assign)")
        if after.min() < 0.0 or after.max() > 1.0:
            return f"{problem}: pixels left [0, 1]. Clip the image back into range after the step"
        if step > 0 and matches("image0"):
            return (f"{problem}: the first step is right, a later one is not. Use the optimizer "
                    "you are given and do not create one per step (Adam remembers past steps)")
        return (f"{problem}: take the gradient of the cost with respect to the image, and let "
                "the optimizer apply it")


# --------------------------------------------------------------- the registry
#: The one registry of graded exercises, in the order a learner meets them.
EXERCISES: tuple[Exercise, ...] = (
    PairCost("compute_content_cost", "01_content_cost.ipynb", 2.0, "check_content_cost"),
    GramMatrix("gram_matrix", "02_gram_matrix.ipynb", 2.0, "check_gram_matrix"),
    PairCost("compute_layer_style_cost", "03_style_cost.ipynb", 3.0, "check_layer_style_cost",
             helpers=(("gram_matrix", "02_gram_matrix.ipynb"),)),
    StyleCost("compute_style_cost", "03_style_cost.ipynb", 2.0, "check_style_cost",
              judged_with="compute_layer_style_cost"),
    TotalCost("total_cost", "04_total_cost_and_art.ipynb", 1.0, "check_total_cost"),
    TrainStep("train_step", "04_total_cost_and_art.ipynb", 2.0, "check_train_step"),
)


def exercise(function: str) -> Exercise:
    """The registered exercise whose graded function is ``function`` (KeyError if none)."""
    for item in EXERCISES:
        if item.function == function:
            return item
    raise KeyError(f"no graded exercise named {function!r}")
