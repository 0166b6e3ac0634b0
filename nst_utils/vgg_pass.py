"""VGG19 run layer by layer, with a faster gradient for the image.

Style transfer differentiates the cost with respect to the image only: VGG19's
filters never change. On a CPU, TensorFlow's own gradients of two of VGG19's
layer kinds are slow, so this pass gives them other formulas that compute the
same numbers:

* **3x3 convolution** (stride 1, "same" padding). The gradient for its input
  is itself a convolution: of the incoming gradient, with the filter turned by
  180 degrees and its input and output channels swapped. A forward convolution
  computes it faster than ``Conv2DBackpropInput`` does. (Not for the first
  layer, whose 3 output channels suit the forward convolution badly.)
* **2x2 max-pool, stride 2.** Each window's gradient goes to its first
  largest value, in reading order, as TensorFlow's own ``MaxPoolGrad`` does;
  a few comparisons find it faster.

The whole pass is one custom gradient: the forward runs layer by layer and
keeps each layer's input and output, and the backward walks back through
them, adding the gradient that arrives at each chosen layer (tracing this is
quicker than one custom gradient per layer).

The forward pass is the Keras model's, number for number; the gradient agrees
with TensorFlow's to rounding (``tests/test_vgg19.py``), and nothing flows to
the filters. Each pass holds the weights the network had when the pass was
made (an extractor made after new weights are set reads them afresh).
It is used on CPUs (where it was measured); ``NST_FAST_GRADIENT=0`` turns it
off (the Keras model is used instead) and ``NST_FAST_GRADIENT=1`` forces it on.
``bench/generation.py`` measures the difference (``step_time_ratio``).
"""

from __future__ import annotations

import weakref
from typing import Any, NamedTuple

from nst_utils import config
from nst_utils._tf import tf

__all__ = ["VggPass", "supports", "wanted", "keep_weights", "ENV_VAR"]

#: "0": the Keras model and TensorFlow's own gradients; "1": this pass, even where a GPU computes.
ENV_VAR = config.FAST_GRADIENT_ENV_VAR
#: Networks whose weights never change (the engine's own), with their weights as read once.
_KEPT: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def wanted() -> bool:
    """Whether to use the pass: ``NST_FAST_GRADIENT`` "0" or "1" if set, else only where no GPU computes.

    Its speed is measured on CPUs; on a GPU, cuDNN's own gradients are the tuned path.
    """
    chosen = config.fast_gradient_choice()
    if chosen is not None:
        return chosen
    return not tf.config.list_physical_devices("GPU")


def _kind(layer) -> str | None:
    """"conv", "max" or "avg" for a layer this pass reproduces exactly, else None."""
    import keras

    if getattr(layer, "dtype_policy", None) is not None and layer.dtype_policy.name != "float32":
        return None
    if isinstance(layer, keras.layers.Conv2D) and type(layer) is keras.layers.Conv2D:
        plain = (tuple(layer.kernel_size) == (3, 3) and tuple(layer.strides) == (1, 1) and layer.padding == "same"
                 and tuple(layer.dilation_rate) == (1, 1) and layer.groups == 1 and layer.use_bias
                 and layer.data_format == "channels_last" and layer.activation is keras.activations.relu)
        return "conv" if plain else None
    pools = {keras.layers.MaxPooling2D: "max", keras.layers.AveragePooling2D: "avg"}
    if type(layer) in pools and tuple(layer.pool_size) == (2, 2) and tuple(layer.strides) == (2, 2) \
            and layer.padding == "valid" and layer.data_format == "channels_last":
        return pools[type(layer)]
    return None


def supports(model) -> bool:
    """True when every layer of ``model`` after its input is one this pass reproduces exactly."""
    import keras

    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    return bool(layers) and all(_kind(layer) is not None for layer in layers)


class _Layer(NamedTuple):
    """One layer as the pass runs it: ``kind`` "conv", "max" or "avg"; the tensors are constants (conv only)."""

    name: str
    kind: str
    kernel: Any = None
    flipped: Any = None  # the input gradient's filter; None for the RGB layer (TensorFlow's own gradient)
    bias: Any = None


def _flipped(kernel):
    """The filter of the input gradient: turned by 180 degrees, input and output channels swapped."""
    return tf.transpose(tf.reverse(kernel, [0, 1]), [0, 1, 3, 2])


def _read(model) -> list[_Layer]:
    """Every layer after the input, its weights copied as constants."""
    import keras

    plan = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        kind = _kind(layer)
        if kind != "conv":
            plan.append(_Layer(layer.name, kind))
            continue
        kernel = tf.constant(layer.kernel.numpy())
        flipped = _flipped(kernel) if kernel.shape[2] > 3 else None
        plan.append(_Layer(layer.name, kind, kernel, flipped, tf.constant(layer.bias.numpy())))
    return plan


def keep_weights(model) -> None:
    """Read ``model``'s weights once for all its later passes (about 0.1 s saved per pass).

    Only for a network whose weights never change: the engine's own
    (:func:`nst_utils.engine.models.shared`). Any other network's weights are read
    afresh for each pass, so a pass always uses them as they are.
    """
    _KEPT.setdefault(model, None)


def _weights(model) -> list[_Layer]:
    if model not in _KEPT:
        return _read(model)
    if _KEPT[model] is None:
        _KEPT[model] = _read(model)
    return _KEPT[model]


def _layer_output(layer: _Layer, x):
    """One layer's output for input ``x``, as the Keras layer computes it."""
    if layer.kind == "conv":
        return tf.nn.relu(tf.nn.bias_add(tf.nn.conv2d(x, layer.kernel, 1, "SAME"), layer.bias))
    if layer.kind == "max":
        return tf.nn.max_pool2d(x, 2, 2, "VALID")
    return tf.nn.avg_pool2d(x, 2, 2, "VALID")


def _sizes(tensor) -> list:
    """``tensor``'s shape: Python ints where known when traced, scalar tensors elsewhere."""
    dynamic = tf.shape(tensor) if None in tensor.shape else None
    return [size if size is not None else dynamic[axis] for axis, size in enumerate(tensor.shape)]


def _corner(windows, row: int, col: int):
    """Every 2x2 window's value at (``row``, ``col``): one slice op, quick to trace."""
    return tf.raw_ops.StridedSlice(input=windows, begin=[0, 0, row, 0, col, 0], end=[0, 0, row + 1, 0, col + 1, 0],
                                   strides=[1] * 6, begin_mask=0b101011, end_mask=0b101011,
                                   shrink_axis_mask=0b010100)


def _max_pool_gradient(x, pooled, upstream):
    """2x2 max-pool's gradient for its input: each window's upstream goes to its first largest value."""
    n, height, width, channels = _sizes(pooled)
    _, x_height, x_width, _ = _sizes(x)
    extra = (x_height - 2 * height, x_width - 2 * width)  # an odd row or column the pool left out
    fits = all(isinstance(size, int) for size in extra) and extra == (0, 0)  # sizes known when traced: ints
    windows = tf.reshape(x if fits else x[:, : 2 * height, : 2 * width, :], [n, height, 2, width, 2, channels])
    taken, parts = None, []
    for row, col in ((0, 0), (0, 1), (1, 0), (1, 1)):  # reading order: the first largest value wins a tie
        hit = tf.equal(_corner(windows, row, col), pooled)
        first = hit if taken is None else tf.logical_and(hit, tf.logical_not(taken))
        taken = hit if taken is None else tf.logical_or(taken, hit)
        parts.append(tf.where(first, upstream, 0.0))
    rows = [tf.stack(parts[0:2], axis=3), tf.stack(parts[2:4], axis=3)]
    spread = tf.reshape(tf.stack(rows, axis=2), [n, 2 * height, 2 * width, channels])
    return spread if fits else tf.pad(spread, [[0, 0], [0, extra[0]], [0, extra[1]], [0, 0]])


def _layer_gradient(layer: _Layer, x, y, upstream):
    """The gradient for the input ``x`` of a layer whose output ``y`` receives ``upstream``."""
    if layer.kind == "conv":
        upstream = tf.raw_ops.ReluGrad(gradients=upstream, features=y)  # the bias passes it on unchanged
        if layer.flipped is not None:
            return tf.nn.conv2d(upstream, layer.flipped, 1, "SAME")
        return tf.raw_ops.Conv2DBackpropInput(input_sizes=tf.shape(x), filter=layer.kernel, out_backprop=upstream,
                                              strides=[1, 1, 1, 1], padding="SAME")
    if layer.kind == "max":
        return _max_pool_gradient(x, y, upstream)
    return tf.raw_ops.AvgPoolGrad(orig_input_shape=tf.shape(x), grad=upstream, ksize=[1, 2, 2, 1],
                                  strides=[1, 2, 2, 1], padding="VALID")


class VggPass:
    """``pass_(x) -> {layer name: activation}`` for preprocessed images ``x``, through ``model``'s layers.

    Stops at the deepest of ``layer_names``. Check :func:`supports` first.
    """

    def __init__(self, model, layer_names):
        names = tuple(layer_names)
        plan = _weights(model)
        order = [layer.name for layer in plan]
        self.layer_names = names
        self.plan = plan[: max(order.index(name) for name in names) + 1]

    @tf.autograph.experimental.do_not_convert  # plain Python: traced as it is, which is quicker
    def __call__(self, x) -> dict:
        names = list(self.layer_names)

        @tf.custom_gradient
        def run(x):
            inputs, outputs = self._forward(x)
            found = dict(zip((layer.name for layer in self.plan), outputs))

            def gradient(*upstream):
                return self._backward(inputs, outputs, dict(zip(names, upstream)))

            return [found[name] for name in names], gradient

        return dict(zip(names, run(x)))

    def _forward(self, x) -> tuple[list, list]:
        """Each layer's input and output, first layer first."""
        inputs, outputs = [], []
        for layer in self.plan:
            inputs.append(x)
            x = _layer_output(layer, x)
            outputs.append(x)
        return inputs, outputs

    def _backward(self, inputs, outputs, arriving: dict):
        """The image's gradient: back from the deepest layer, adding what ``arriving`` brings at each chosen one."""
        total = None
        for layer, x, y in reversed(list(zip(self.plan, inputs, outputs))):
            if arriving.get(layer.name) is not None:
                total = arriving[layer.name] if total is None else total + arriving[layer.name]
            if total is not None:
                total = _layer_gradient(layer, x, y, total)
        return tf.zeros_like(inputs[0]) if total is None else total
