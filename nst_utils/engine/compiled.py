"""Compiled steps, kept for the next run with the same shapes and settings.

Tracing a ``tf.function`` through VGG19 and its gradient takes seconds, as
long as many steps; notebook 05 makes some twenty short runs. A compiled
step is therefore kept in a small cache keyed on everything that changes its
graph: the optimiser, the image size, the network and layers, your functions
(and the helpers they call), the precision and whether smoothing is on.

What must not leak from one run into the next never lives in the graph: the
targets and the weights are arguments of every call, the image is a
variable assigned afresh, and the optimiser's state (its step count and
moment estimates) is put back to its just-built values at the start of each
run. Equal seeds therefore give identical images with or without the cache.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from nst_utils import config
from nst_utils._tf import tf
from nst_utils.engine.errors import SettingsError
from nst_utils.engine.learner import NEVER_CALLED

__all__ = ["AdamStep", "LbfgsStep", "compiled_step"]

#: How many compiled steps are kept (least recently used goes first).
CAPACITY = 16
_CACHE: OrderedDict = OrderedDict()


class AdamStep:
    """Your ``train_step`` with an Adam optimiser on an image variable, compiled once per shape."""

    def __init__(self, objective, shape: tuple[int, ...]):
        import keras

        self.objective = objective
        self.image = tf.Variable(tf.zeros(shape, tf.float32), trainable=True)
        self.optimizer = keras.optimizers.Adam(
            learning_rate=config.ENGINE_LEARNING_RATE, beta_1=config.ADAM_BETA_1, epsilon=config.ADAM_EPSILON
        )
        self.optimizer.build([self.image])
        self._fresh = [variable.numpy() for variable in self.optimizer.variables]
        learner_step = objective.functions.train_step
        self._learner_step = getattr(learner_step, "python_function", learner_step)  # we compile it ourselves
        self._step = tf.function(self._one_step)

    def start(self, image, learning_rate: float) -> None:
        """Begin a run: the image set to ``image``, the optimiser as if just made with ``learning_rate``."""
        self.image.assign(image)
        for variable, value in zip(self.optimizer.variables, self._fresh):
            variable.assign(value)
        self.optimizer.learning_rate.assign(learning_rate)

    def _one_step(self, targets, weights):
        costs = []

        def compute_cost(image):
            losses = self.objective(image, targets, weights)
            if not costs:  # the costs of the image before the update
                costs.append(losses)
            return losses[0]

        self._learner_step(self.image, self.optimizer, compute_cost)
        if not costs:
            raise SettingsError(NEVER_CALLED)  # the eager trial says it first, as a rule
        return tf.stack(costs[0])

    def run(self, n_steps: int, targets: dict, weights: dict, record) -> tf.Tensor:
        for _ in range(n_steps):
            record(self._step(targets, weights).numpy(), self.image.read_value)
        return tf.convert_to_tensor(self.image)


class LbfgsStep:
    """SciPy's L-BFGS-B on the pixels (bounded to [0, 1]), with the cost and gradient compiled once per shape."""

    def __init__(self, objective, shape: tuple[int, ...]):
        self.objective, self.shape = objective, tuple(shape)
        self._value_and_gradient = tf.function(self._compute)

    def _compute(self, flat, targets, weights):
        with tf.GradientTape() as tape:
            tape.watch(flat)
            losses = self.objective(tf.reshape(flat, self.shape), targets, weights)
        return tf.stack(losses), tape.gradient(losses[0], flat)

    def run(self, start, n_steps: int, targets: dict, weights: dict, record) -> tf.Tensor:
        from scipy.optimize import minimize

        last = {}

        def as_image(x):
            return lambda: tf.reshape(tf.constant(x, tf.float32), self.shape)

        def fun(x):
            values, grad = self._value_and_gradient(tf.constant(x, dtype=tf.float32), targets, weights)
            last["values"], last["x"] = values.numpy(), x
            if not np.isfinite(last["values"][0]):
                record(last["values"], as_image(x))
            return float(last["values"][0]), grad.numpy().astype(np.float64)

        def callback(intermediate_result):
            x = intermediate_result.x
            if not np.array_equal(last.get("x"), x):
                fun(x)
            record(last["values"], as_image(x))

        x0 = np.asarray(start, dtype=np.float64).ravel()
        outcome = minimize(
            fun, x0, jac=True, method="L-BFGS-B", bounds=[(0.0, 1.0)] * x0.size, callback=callback,
            options={"maxiter": n_steps, "maxfun": 2 * n_steps + 20, "ftol": 0.0, "gtol": 0.0, "maxcor": 10},
        )
        return tf.reshape(tf.constant(outcome.x, tf.float32), self.shape)


def compiled_step(optimizer: str, objective, shape: tuple[int, ...], reuse: bool = True):
    """The compiled step for ``optimizer`` at ``shape``: a kept one when ``reuse`` and one fits, else a new one.

    A new one is preceded by an eager trial of your functions
    (:meth:`~nst_utils.engine.learner.LearnerFunctions.probe`), so an
    unwritten function says so before anything is traced.
    """
    key = (optimizer, tuple(shape), objective.key)
    if reuse and key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key]
    objective.functions.probe()
    step = AdamStep(objective, shape) if optimizer == "adam" else LbfgsStep(objective, shape)
    if reuse:
        _CACHE[key] = step
        while len(_CACHE) > CAPACITY:
            _CACHE.popitem(last=False)
    return step
