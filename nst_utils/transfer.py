"""The style-transfer engine: optimise an image so it matches a photo's content and a painting's style.

You bring the cost functions (the ones you wrote in notebooks 01-04); this
module brings everything around them: loading and resizing the pictures,
VGG19, the targets, the optimiser, a progress bar, snapshots and a history
of the losses::

    from nst_utils.transfer import style_transfer, plot_history

    result = style_transfer(
        "coffee.jpg", "swirls.png",
        compute_content_cost=compute_content_cost,
        compute_style_cost=compute_style_cost,
        total_cost=total_cost,
    )
    show_images([result.image], ["generated"])
    plot_history(result.history)

What it does, in order:

1. resize the content image; resize (and, for ``style_scale``, tile or crop)
   each style image to the same size;
2. compute the content and style targets once: ``a_C`` and ``a_S`` are fixed;
3. start the generated image ``G`` from the content photo, from noise or
   from a mix of both;
4. repeat a compiled (``tf.function``) step: VGG19 activations of ``G``, your
   costs, the gradient of ``J(G)``, one optimiser update, and clipping ``G``
   back into [0, 1].

Options beyond the original course (see notebook 05): total-variation
smoothing, keeping the photo's colours, blending several styles, the scale of
the style, your own choice of layers and their weights, coarse-to-fine
optimisation, L-BFGS, and bfloat16 arithmetic where the processor has it.

Defaults come from :mod:`nst_utils.config` (``ENGINE_*``); while nbgrader grades
a notebook they shrink to ``GRADING_IMAGE_SIZE`` and ``GRADING_STEPS``.
"""

from __future__ import annotations

import difflib
import math
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nst_utils import config
from nst_utils._tf import tf
from nst_utils.errors import NSTError

__all__ = [
    "style_transfer",
    "TransferResult",
    "SettingsError",
    "LossNotFiniteError",
    "plot_history",
    "total_variation",
    "prepare_style_image",
    "layer_weights",
    "bfloat16_supported",
    "OPTIMIZERS",
    "INITS",
    "PRECISIONS",
]

OPTIMIZERS = ("adam", "lbfgs")
INITS = ("content", "noise", "mix")
PRECISIONS = ("float32", "bfloat16", "auto")


class SettingsError(NSTError, ValueError):
    """A setting of the engine cannot work (the message says which and why)."""


class LossNotFiniteError(NSTError, FloatingPointError):
    """The cost became NaN or infinite; the run was stopped.

    ``result`` holds what was made up to the last good step.
    """

    def __init__(self, message: str, result: TransferResult | None = None):
        super().__init__(message)
        self.result = result


# ---------------------------------------------------------------------------
# The result
# ---------------------------------------------------------------------------
@dataclass
class TransferResult:
    """What :func:`style_transfer` returns.

    Attributes:
        image: the generated picture, ``float32`` array ``(1, H, W, 3)`` in [0, 1]
            (with the content's colours if ``preserve_colors`` was asked).
        history: lists of equal length, one entry per step: ``"step"``,
            ``"total"`` (J, including any total-variation term), ``"content"``,
            ``"style"`` (your J_content and J_style, unweighted), ``"tv"``,
            ``"seconds"`` (wall time since the start) and ``"stage"``
            (coarse-to-fine stage, 0 for a single stage). The losses are those
            of the image *before* that step's update.
        snapshots: ``[(step, image), ...]`` every ``save_every`` steps, and the final image.
        settings: every setting the run used, after defaults were filled in.
        seconds: wall time of the whole call.
        saved: paths of the snapshot files written (when ``snapshot_dir`` was given).
    """

    image: np.ndarray
    history: dict[str, list]
    snapshots: list[tuple[int, np.ndarray]] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    saved: list[Path] = field(default_factory=list)

    @property
    def final_loss(self) -> float:
        """J of the last recorded step (``nan`` if no step ran)."""
        return self.history["total"][-1] if self.history["total"] else float("nan")

    def __repr__(self) -> str:
        shape = "x".join(str(s) for s in self.image.shape[1:3])
        return (
            f"TransferResult(image {shape}, {len(self.history['step'])} steps, "
            f"final J={self.final_loss:.4g}, {self.seconds:.1f} s)"
        )


def _empty_history() -> dict[str, list]:
    return {key: [] for key in ("step", "total", "content", "style", "tv", "seconds", "stage")}


# ---------------------------------------------------------------------------
# Settings checks
# ---------------------------------------------------------------------------
def _valid_layer_names() -> tuple[str, ...]:
    from nst_utils.features import vgg19_layer_names

    return vgg19_layer_names()


def _check_weight(value, what: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise SettingsError(f"{what} must be a number; got {value!r}.") from None
    if not math.isfinite(number) or number < 0:
        raise SettingsError(f"{what} must be a finite number >= 0; got {value!r}.")
    return number


def layer_weights(spec, what: str = "layers") -> tuple[tuple[str, float], ...]:
    """Normalise a choice of layers into ``((name, weight), ...)``, checking it.

    ``spec`` may be a layer name (weight 1), a list of names (equal weights
    summing to 1), a list of ``(name, weight)`` pairs or a ``{name: weight}``
    dict. Unknown names, duplicates, negative or non-finite weights and
    all-zero weights raise :class:`SettingsError`.
    """
    if isinstance(spec, str):
        pairs = [(spec, 1.0)]
    elif isinstance(spec, Mapping):
        pairs = list(spec.items())
    else:
        try:
            items = list(spec)
        except TypeError:
            raise SettingsError(f"{what} must be a layer name or a list of them; got {spec!r}.") from None
        if items and all(isinstance(item, str) for item in items):
            pairs = [(name, 1.0 / len(items)) for name in items]
        else:
            pairs = []
            for item in items:
                if isinstance(item, str) or not isinstance(item, Sequence) or len(item) != 2:
                    raise SettingsError(
                        f"{what}: each entry must be a (layer name, weight) pair; got {item!r}."
                    )
                pairs.append((item[0], item[1]))
    if not pairs:
        raise SettingsError(f"{what} is empty; name at least one VGG19 layer.")
    valid = _valid_layer_names()
    result, seen = [], set()
    for name, weight in pairs:
        if not isinstance(name, str) or name not in valid:
            close = difflib.get_close_matches(str(name), valid, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise SettingsError(
                f"Unknown VGG19 layer {name!r} in {what}.{hint} Valid names: {', '.join(valid)}."
            )
        if name in seen:
            raise SettingsError(f"Layer {name!r} appears twice in {what}; give each layer once.")
        seen.add(name)
        result.append((name, _check_weight(weight, f"The weight of {name!r} in {what}")))
    if not any(weight > 0 for _, weight in result):
        raise SettingsError(f"All weights in {what} are 0; at least one must be positive.")
    return tuple(result)


def bfloat16_supported() -> bool:
    """True when this machine computes in bfloat16 natively (a recent GPU, or a CPU with AVX512-BF16/AMX)."""
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        try:
            capability = tf.config.experimental.get_device_details(gpus[0]).get("compute_capability")
        except Exception:  # pragma: no cover - depends on the driver
            capability = None
        return bool(capability and tuple(capability) >= (8, 0))
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="ignore") as handle:
            for line in handle:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    return bool(flags & {"avx512_bf16", "amx_bf16"})
    except OSError:
        pass
    return False


def _resolve_precision(precision: str) -> str:
    if precision not in PRECISIONS:
        raise SettingsError(f"precision must be one of {PRECISIONS}; got {precision!r}.")
    if precision == "float32":
        return "float32"
    if bfloat16_supported():
        return "bfloat16"
    if precision == "bfloat16":
        print(
            "Note: this processor has no native bfloat16 arithmetic (it would be slower, "
            "not faster), so this run uses float32.",
            flush=True,
        )
    return "float32"


def _size_pair(size, what="size") -> tuple[int, int]:
    if isinstance(size, (int, np.integer)) and not isinstance(size, bool):
        raise SettingsError(f"{what} must be (height, width) here, or None; got {size!r}.")
    try:
        height, width = (int(v) for v in size)
    except (TypeError, ValueError):
        raise SettingsError(f"{what} must be (height, width); got {size!r}.") from None
    if height < 1 or width < 1:
        raise SettingsError(f"{what} must be positive; got {size!r}.")
    return height, width


# ---------------------------------------------------------------------------
# Images
# ---------------------------------------------------------------------------
def _resize(image, size: tuple[int, int]):
    image = tf.convert_to_tensor(image, dtype=tf.float32)
    if tuple(image.shape[1:3]) == tuple(size):
        return image
    resized = tf.image.resize(image, size, method="bicubic", antialias=True)
    return tf.clip_by_value(resized, 0.0, 1.0)


def _as_batch(image, what: str):
    if isinstance(image, (str, Path)):
        from nst_utils.images import load_image

        return load_image(image)
    array = tf.convert_to_tensor(image, dtype=tf.float32)
    if array.shape.rank == 3:
        array = array[None]
    if array.shape.rank != 4 or array.shape[0] != 1 or array.shape[-1] != 3:
        raise SettingsError(
            f"The {what} image must have shape (1, H, W, 3) or (H, W, 3); got {tuple(array.shape)}."
        )
    return array


def _mirror_tile(image, size: tuple[int, int]):
    """Repeat ``image`` (1, h, w, 3), flipping every other copy, until it covers ``size``."""
    height, width = size
    _, h, w, _ = image.shape
    row = [image if i % 2 == 0 else tf.reverse(image, axis=[2]) for i in range(-(-width // w))]
    strip = tf.concat(row, axis=2)
    column = [strip if i % 2 == 0 else tf.reverse(strip, axis=[1]) for i in range(-(-height // h))]
    return tf.concat(column, axis=1)


def prepare_style_image(style, size: tuple[int, int], scale: float = 1.0):
    """The style image at the content's ``size``, its features ``scale`` times as large.

    With ``scale`` 1 the style image is simply resized to ``size`` (as the
    original course does). With ``scale`` 0.5 it is resized to half of
    ``size`` and mirror-tiled to fill it, so brush strokes come out half as
    big; with ``scale`` 2 it is resized to twice ``size`` and its centre is
    cropped, so they come out twice as big. Either way the style activations
    have the same shape as the generated image's.
    """
    height, width = size
    scale = float(scale)
    if not math.isfinite(scale) or scale <= 0:
        raise SettingsError(f"style_scale must be a positive number; got {scale!r}.")
    target = (max(1, round(height * scale)), max(1, round(width * scale)))
    if min(target) < 8:
        raise SettingsError(
            f"style_scale={scale} shrinks the style image to {target[0]}x{target[1]} pixels, "
            "too small to carry any style. Use a larger style_scale or a larger image."
        )
    image = _resize(_as_batch(style, "style"), target)
    if scale < 1:
        image = _mirror_tile(image, size)
    top = (image.shape[1] - height) // 2
    left = (image.shape[2] - width) // 2
    return image[:, top : top + height, left : left + width, :]


def total_variation(image):
    """Mean absolute difference between neighbouring pixels (down and across), per pixel and channel.

    Small for smooth images, large for noisy ones: adding ``tv_weight *
    total_variation(G)`` to the cost removes speckle from the generated image.
    """
    down = tf.abs(image[:, 1:, :, :] - image[:, :-1, :, :])
    across = tf.abs(image[:, :, 1:, :] - image[:, :, :-1, :])
    return tf.reduce_mean(down) + tf.reduce_mean(across)


# ---------------------------------------------------------------------------
# VGG19, loaded once per process and setting
# ---------------------------------------------------------------------------
_MODELS: dict[tuple, Any] = {}


def _vgg(weights, pooling: str, precision: str, model=None):
    import keras

    if model is None:
        key = (str(weights), pooling)
        if key not in _MODELS:
            from nst_utils.vgg19 import load_vgg19

            _MODELS[key] = load_vgg19(weights, pooling=pooling)
        model = _MODELS[key]
    if precision == "float32":
        return model
    key = (id(model), precision)
    if key not in _MODELS:
        def as_bfloat16(layer):
            settings = layer.get_config()
            if not isinstance(layer, keras.layers.InputLayer):
                settings["dtype"] = "mixed_bfloat16"
            return layer.__class__.from_config(settings)

        clone = keras.models.clone_model(model, clone_function=as_bfloat16)
        clone.set_weights(model.get_weights())
        clone.trainable = False
        clone.weights_source = getattr(model, "weights_source", "?")
        _MODELS[key] = (model, clone)  # keep ``model`` alive so its id stays unique
    return _MODELS[key][1]


# ---------------------------------------------------------------------------
# The engine
# ---------------------------------------------------------------------------
def _defaults(size, steps):
    grading = config.grading_mode()
    if steps is None:
        steps = config.GRADING_STEPS if grading else config.ENGINE_STEPS
    if size is None and grading:
        size = config.GRADING_IMAGE_SIZE
    return size, steps


def _stage_steps(steps, n_stages: int) -> list[int]:
    if isinstance(steps, (int, np.integer)) and not isinstance(steps, bool):
        steps = int(steps)
        if steps < 0:
            raise SettingsError(f"steps must be >= 0; got {steps}.")
        share = steps // n_stages
        return [share] * (n_stages - 1) + [steps - share * (n_stages - 1)]
    try:
        counts = [int(s) for s in steps]
    except (TypeError, ValueError):
        raise SettingsError(f"steps must be a whole number or one per stage; got {steps!r}.") from None
    if len(counts) != n_stages or any(c < 0 for c in counts):
        raise SettingsError(
            f"steps lists {len(counts)} counts but there are {n_stages} stages "
            "(one per coarse_to_fine fraction, plus the full size); each must be >= 0."
        )
    return counts


def _check_cost_functions(functions: Mapping[str, Any]) -> None:
    from nst_utils.notebook_import import is_stub

    for name, func in functions.items():
        if not callable(func):
            raise SettingsError(
                f"{name} must be a function (your {name} from the notebooks); got {func!r}."
            )
        if is_stub(func):
            func()  # raises NotImplementedYet, naming the notebook to finish


def style_transfer(
    content,
    style,
    *,
    compute_content_cost: Callable,
    compute_style_cost: Callable,
    total_cost: Callable,
    size: tuple[int, int] | None = None,
    steps: int | Sequence[int] | None = None,
    optimizer: str | None = None,
    learning_rate: float | None = None,
    alpha: float = config.ALPHA,
    beta: float = config.BETA,
    content_layers=config.CONTENT_LAYER,
    style_layers=config.STYLE_LAYERS,
    style_weights: Sequence[float] | None = None,
    style_scale: float = 1.0,
    tv_weight: float = 0.0,
    preserve_colors: bool = False,
    init: str | None = None,
    noise: float | None = None,
    seed: int | None = None,
    coarse_to_fine: Sequence[float] | None = None,  # None: config.ENGINE_COARSE_TO_FINE
    precision: str = "float32",
    pooling: str = "max",
    weights="auto",
    model=None,
    save_every: int | None = None,
    snapshot_dir: str | Path | None = None,
    overwrite: bool = False,
    progress: bool | None = None,
) -> TransferResult:
    """Make an image with the content of ``content`` and the style of ``style``.

    Args:
        content: the photo: a path (bare names are found in ``images/``) or an
            image ``(1, H, W, 3)`` in [0, 1].
        style: the artwork, likewise; or a list of them to blend.
        compute_content_cost, compute_style_cost, total_cost: your functions
            from notebooks 01, 03 and 04 (same arguments as there).
        size: ``(height, width)`` of the result. ``None``: ``config.IMAGE_SIZE``
            for a path, the image's own size for an image (and
            ``config.GRADING_IMAGE_SIZE`` while nbgrader grades).
        steps: optimisation steps (``config.ENGINE_STEPS``; ``GRADING_STEPS``
            while grading). With ``coarse_to_fine``, a total shared among the
            stages, or a list with one count per stage.
        optimizer: ``"adam"`` (default, ``config.ENGINE_OPTIMIZER``) or ``"lbfgs"``
            (SciPy's L-BFGS-B with the pixels bounded to [0, 1]; a step is one iteration).
        learning_rate: Adam's step size (``config.ENGINE_LEARNING_RATE``); Adam
            also uses ``config.ADAM_BETA_1`` and ``config.ADAM_EPSILON``.
        alpha, beta: passed to your ``total_cost``.
        content_layers: a layer name, or ``(name, weight)`` pairs: the content
            cost is the weighted sum of your ``compute_content_cost`` on each.
        style_layers: ``(name, weight)`` pairs (or names, equally weighted)
            passed to your ``compute_style_cost``.
        style_weights: with several style images, how much of each (any
            non-negative numbers; they are scaled to sum to 1).
        style_scale: size of the style's features relative to the content image
            (see :func:`prepare_style_image`); 1 as in the course.
        tv_weight: weight of :func:`total_variation` added to J (0: off).
        preserve_colors: keep the photo's colours (the generated image's
            luminance with the content's chroma; see :mod:`nst_utils.color`).
        init: ``"content"`` (start from the photo), ``"noise"`` (uniform noise)
            or ``"mix"`` (the photo plus uniform noise in ``[-noise, noise]``,
            as the original course did); default ``config.ENGINE_INIT``.
        noise: amplitude for ``"mix"`` (``config.ENGINE_NOISE``).
        seed: makes the noise, and so the whole run, repeatable.
        coarse_to_fine: fractions of the full size to optimise at first, in
            increasing order, e.g. ``(0.5,)``: half size, then full size
            (each stage starts from the previous result, enlarged). Default
            ``config.ENGINE_COARSE_TO_FINE`` (stages too small for the layers
            are then dropped); ``()`` for a single stage at full size.
        precision: ``"float32"``; ``"bfloat16"`` runs VGG19 in bfloat16
            (costs and the image stay float32) where the processor supports
            it, else falls back to float32 with a note; ``"auto"`` picks.
        pooling: ``"max"`` (as VGG19 was trained) or ``"avg"`` (as Gatys et al.).
        weights: VGG19 weights (see :func:`nst_utils.vgg19.load_vgg19`).
        model: an already loaded VGG19 base to use instead of ``weights``.
        save_every: keep a snapshot every this many steps (``None``: final image only).
        snapshot_dir: also write the snapshots there as ``step_00010.png``, ...
        overwrite: allow replacing existing snapshot files (otherwise an
            existing file stops the run before it starts).
        progress: show a progress bar with the live losses (default: yes,
            except while grading).

    Returns:
        A :class:`TransferResult`.

    Raises:
        SettingsError: for a setting that cannot work (unknown layer, negative
            weight, image too small for the deepest layer, ...).
        LossNotFiniteError: if J becomes NaN or infinite (its ``result``
            holds the last good image).
        nst_utils.errors.NotImplementedYet: if a cost function is still a stub.
    """
    started = time.perf_counter()
    _check_cost_functions(
        {
            "compute_content_cost": compute_content_cost,
            "compute_style_cost": compute_style_cost,
            "total_cost": total_cost,
        }
    )
    size, steps = _defaults(size, steps)
    optimizer = (optimizer or config.ENGINE_OPTIMIZER).lower()
    if optimizer not in OPTIMIZERS:
        raise SettingsError(f"optimizer must be one of {OPTIMIZERS}; got {optimizer!r}.")
    if learning_rate is None:
        learning_rate = config.ENGINE_LEARNING_RATE
    learning_rate = _check_weight(learning_rate, "learning_rate")
    if learning_rate == 0 and optimizer == "adam":
        raise SettingsError("learning_rate must be positive.")
    init = init or config.ENGINE_INIT
    if init not in INITS:
        raise SettingsError(f"init must be one of {INITS}; got {init!r}.")
    noise = _check_weight(config.ENGINE_NOISE if noise is None else noise, "noise")
    alpha = _check_weight(alpha, "alpha")
    beta = _check_weight(beta, "beta")
    tv_weight = _check_weight(tv_weight, "tv_weight")
    content_pairs = layer_weights(content_layers, "content_layers")
    style_pairs = layer_weights(style_layers, "style_layers")
    precision = _resolve_precision(precision)
    if save_every is not None and (not isinstance(save_every, (int, np.integer)) or save_every < 1):
        raise SettingsError(f"save_every must be a whole number >= 1 or None; got {save_every!r}.")

    styles = list(style) if isinstance(style, (list, tuple)) else [style]
    if not styles:
        raise SettingsError("Give at least one style image.")
    if style_weights is None:
        style_weights = [1.0] * len(styles)
    style_weights = [_check_weight(w, "Each style weight") for w in style_weights]
    if len(style_weights) != len(styles):
        raise SettingsError(
            f"There are {len(styles)} style images but {len(style_weights)} style weights; "
            "give one weight per style image."
        )
    if sum(style_weights) <= 0:
        raise SettingsError("The style weights are all 0; at least one must be positive.")
    blend = [w / sum(style_weights) for w in style_weights]

    chosen_stages = coarse_to_fine is not None
    if not chosen_stages:
        coarse_to_fine = config.ENGINE_COARSE_TO_FINE
    try:
        fractions = tuple(float(f) for f in coarse_to_fine)
    except (TypeError, ValueError):
        raise SettingsError(f"coarse_to_fine must be a list of fractions, e.g. (0.5,); got {coarse_to_fine!r}.") from None
    if any(not (0 < f < 1) for f in fractions) or list(fractions) != sorted(set(fractions)):
        raise SettingsError(
            f"coarse_to_fine must list increasing fractions between 0 and 1, e.g. (0.5,); got {coarse_to_fine!r}."
        )

    # The pictures.
    if size is None and isinstance(content, (str, Path)):
        size = config.IMAGE_SIZE
    content_full = _as_batch(content, "content")
    if size is not None:
        size = _size_pair(size)
        content_full = _resize(content_full, size)
    full = tuple(int(s) for s in content_full.shape[1:3])
    style_sources = [_as_batch(s, "style") for s in styles]
    from nst_utils.features import FeatureExtractor, min_input_side

    all_layers = [name for name, _ in content_pairs] + [name for name, _ in style_pairs]
    needed = max(min_input_side(all_layers), 1)

    def stage_size(fraction):
        return (max(1, round(full[0] * fraction)), max(1, round(full[1] * fraction)))

    if not chosen_stages:  # the default stages: drop those too small for these layers
        fractions = tuple(f for f in fractions if min(stage_size(f)) >= needed)
    stage_steps = _stage_steps(steps, len(fractions) + 1)
    sizes = [stage_size(f) for f in fractions] + [full]
    for shape in [full] + sizes:
        if min(shape) < needed:
            deepest = max(all_layers, key=min_input_side)
            which = "the image" if shape == full else "the first coarse_to_fine stage"
            raise SettingsError(
                f"{which.capitalize()} is {shape[0]}x{shape[1]} pixels, too small for layer "
                f"{deepest!r}, which needs at least {needed} pixels a side (each pooling layer halves "
                "the size). Use a larger size"
                + (" or a larger coarse_to_fine fraction." if shape != full else ".")
            )

    total_steps = sum(stage_steps)
    snapshot_steps = set(range(save_every, total_steps + 1, save_every)) if save_every else set()
    snapshot_steps.add(total_steps)
    planned: list[Path] = []
    if snapshot_dir is not None:
        snapshot_dir = Path(snapshot_dir)
        planned = [snapshot_dir / f"step_{n:05d}.png" for n in sorted(snapshot_steps)]
        existing = [p for p in planned if p.exists()]
        if existing and not overwrite:
            raise SettingsError(
                f"{existing[0]} already exists ({len(existing)} snapshot file(s) would be replaced). "
                "Choose another snapshot_dir, delete them, or pass overwrite=True."
            )

    settings = dict(
        size=full, steps=stage_steps, optimizer=optimizer, learning_rate=learning_rate,
        alpha=alpha, beta=beta, content_layers=content_pairs, style_layers=style_pairs,
        style_weights=tuple(blend), style_scale=float(style_scale), tv_weight=tv_weight,
        preserve_colors=bool(preserve_colors), init=init, noise=noise, seed=seed,
        coarse_to_fine=fractions, precision=precision, pooling=pooling,
    )

    vgg = _vgg(weights, pooling, precision, model)
    settings["weights"] = getattr(vgg, "weights_source", "?")
    extractor = FeatureExtractor(list(dict.fromkeys(all_layers)), model=vgg)
    generator = tf.random.Generator.from_seed(seed) if seed is not None else tf.random.Generator.from_non_deterministic_state()

    if progress is None:
        progress = not config.grading_mode()
    from tqdm.auto import tqdm

    bar = tqdm(total=total_steps, disable=not progress, desc="style transfer", unit="step", file=sys.stdout)
    history = _empty_history()
    snapshots: list[tuple[int, np.ndarray]] = []
    saved: list[Path] = []
    result = TransferResult(np.zeros((1, *full, 3), np.float32), history, snapshots, settings, 0.0, saved)
    clock = time.perf_counter()

    def finish(image, stage_content) -> np.ndarray:
        picture = image
        if preserve_colors:
            picture = _keep_colors(picture, stage_content)
        return np.asarray(picture, dtype=np.float32)

    def record(stage, values, image_fn, stage_content):
        step = len(history["step"]) + 1
        total, j_content, j_style, j_tv = (float(v) for v in values)
        if not math.isfinite(total):
            bad = [n for n, v in (("J_content", j_content), ("J_style", j_style), ("J_tv", j_tv)) if not math.isfinite(v)]
            cause = (
                f"{' and '.join(bad)} became {'NaN' if any(math.isnan(v) for v in values) else 'infinite'}"
                if bad
                else "your total_cost returned a non-finite value from finite costs"
            )
            if snapshots:
                result.image = snapshots[-1][1]
            raise LossNotFiniteError(
                f"Stopped at step {step}: the cost J is {total} ({cause}). Check that your cost "
                "functions divide by non-zero numbers and return finite values on this input; "
                + ("if they do, lower the learning rate." if optimizer == "adam" else "if they do, try optimizer='adam'."),
                result,
            )
        history["step"].append(step)
        history["total"].append(total)
        history["content"].append(j_content)
        history["style"].append(j_style)
        history["tv"].append(j_tv)
        history["seconds"].append(time.perf_counter() - clock)
        history["stage"].append(stage)
        if progress:
            bar.set_postfix(J=f"{total:.4g}", content=f"{j_content:.3g}", style=f"{j_style:.3g}", refresh=False)
            bar.update(1)
        if step in snapshot_steps:
            picture = finish(image_fn(), stage_content)
            snapshots.append((step, picture))
            if snapshot_dir is not None:
                from nst_utils.images import save_image

                saved.append(save_image(picture, snapshot_dir / f"step_{step:05d}.png", overwrite=overwrite))

    image = None
    stage_content = content_full
    try:
        for stage, (shape, n_steps) in enumerate(zip(sizes, stage_steps)):
            stage_content = _resize(content_full, shape)
            stage_styles = [prepare_style_image(s, shape, style_scale) for s in style_sources]
            if image is None:
                image = _initial_image(stage_content, init, noise, generator)
            else:
                image = _resize(image, shape)
            objective = _objective(
                extractor, stage_content, stage_styles, blend, content_pairs, style_pairs,
                compute_content_cost, compute_style_cost, total_cost, alpha, beta, tv_weight, precision,
            )
            if n_steps == 0:
                continue
            if optimizer == "adam":
                image = _run_adam(objective, image, n_steps, learning_rate,
                                  lambda values, fn, s=stage, c=stage_content: record(s, values, fn, c))
            else:
                image = _run_lbfgs(objective, image, n_steps,
                                   lambda values, fn, s=stage, c=stage_content: record(s, values, fn, c))
    finally:
        bar.close()

    if image is None:  # pragma: no cover - there is always one stage
        image = content_full
    if not snapshots or snapshots[-1][0] != len(history["step"]) or tuple(snapshots[-1][1].shape[1:3]) != full:
        snapshots.append((len(history["step"]), finish(_resize(image, full), content_full)))
    result.image = snapshots[-1][1]
    result.seconds = time.perf_counter() - started
    return result


def _keep_colors(image, content):
    from nst_utils.color import keep_content_colors

    return keep_content_colors(image, content)


def _initial_image(content, init: str, noise: float, generator):
    shape = content.shape
    if init == "content":
        return tf.identity(content)
    if init == "noise":
        return generator.uniform(shape, 0.0, 1.0, dtype=tf.float32)
    return tf.clip_by_value(content + generator.uniform(shape, -noise, noise, dtype=tf.float32), 0.0, 1.0)


def _objective(extractor, content, styles, blend, content_pairs, style_pairs,
               compute_content_cost, compute_style_cost, total_cost, alpha, beta, tv_weight, precision):
    """``J(image) -> (J, J_content, J_style, J_tv)`` with the targets computed once, here."""

    def features(image):
        maps = extractor(image)
        if precision != "float32":
            maps = {name: tf.cast(value, tf.float32) for name, value in maps.items()}
        return maps

    content_maps = features(content)
    content_targets = {name: content_maps[name] for name, _ in content_pairs}
    style_targets = []
    for style in styles:
        maps = features(style)
        style_targets.append({name: maps[name] for name, _ in style_pairs})
    style_layers = tuple(style_pairs)

    def objective(image):
        maps = features(image)
        j_content = None
        for name, weight in content_pairs:
            term = compute_content_cost(content_targets[name], maps[name])
            term = term if weight == 1.0 else weight * term
            j_content = term if j_content is None else j_content + term
        j_style = None
        for share, targets in zip(blend, style_targets):
            if share == 0:
                continue
            term = compute_style_cost(targets, maps, style_layers)
            term = term if share == 1.0 else share * term
            j_style = term if j_style is None else j_style + term
        j_content = tf.cast(j_content, tf.float32)
        j_style = tf.cast(j_style, tf.float32)
        total = tf.cast(total_cost(j_content, j_style, alpha=alpha, beta=beta), tf.float32)
        if tv_weight:
            j_tv = total_variation(image)
            total = total + tv_weight * j_tv
        else:
            j_tv = tf.zeros((), tf.float32)
        return total, j_content, j_style, j_tv

    return objective


def _run_adam(objective, start, n_steps: int, learning_rate: float, record) -> tf.Tensor:
    import keras

    image = tf.Variable(start, dtype=tf.float32, trainable=True)
    opt = keras.optimizers.Adam(
        learning_rate=learning_rate, beta_1=config.ADAM_BETA_1, epsilon=config.ADAM_EPSILON
    )
    opt.build([image])

    @tf.function
    def step():
        with tf.GradientTape() as tape:
            losses = objective(image)
        grad = tape.gradient(losses[0], image)
        opt.apply_gradients([(grad, image)])
        image.assign(tf.clip_by_value(image, 0.0, 1.0))
        return tf.stack(losses)

    for _ in range(n_steps):
        record(step().numpy(), image.read_value)
    return tf.convert_to_tensor(image)


def _run_lbfgs(objective, start, n_steps: int, record) -> tf.Tensor:
    from scipy.optimize import minimize

    shape = tuple(start.shape)

    @tf.function
    def value_and_gradient(flat):
        with tf.GradientTape() as tape:
            tape.watch(flat)
            image = tf.reshape(flat, shape)
            losses = objective(image)
        return tf.stack(losses), tape.gradient(losses[0], flat)

    last = {}

    def fun(x):
        values, grad = value_and_gradient(tf.constant(x, dtype=tf.float32))
        values = values.numpy()
        last["values"], last["x"] = values, x
        if not np.isfinite(values[0]):
            record(values, lambda: tf.reshape(tf.constant(x, tf.float32), shape))
        return float(values[0]), grad.numpy().astype(np.float64)

    def callback(intermediate_result):
        x = intermediate_result.x
        values = last["values"] if np.array_equal(last.get("x"), x) else fun(x) and last["values"]
        record(values, lambda: tf.reshape(tf.constant(x, tf.float32), shape))

    x0 = np.asarray(start, dtype=np.float64).ravel()
    outcome = minimize(
        fun, x0, jac=True, method="L-BFGS-B", bounds=[(0.0, 1.0)] * x0.size, callback=callback,
        options={"maxiter": n_steps, "maxfun": 2 * n_steps + 20, "ftol": 0.0, "gtol": 0.0, "maxcor": 10},
    )
    return tf.reshape(tf.constant(outcome.x, tf.float32), shape)


# ---------------------------------------------------------------------------
# Plotting
# ---------------------------------------------------------------------------
def plot_history(history, *, ax=None, log: bool = True, weighted: bool = False,
                 alpha: float = config.ALPHA, beta: float = config.BETA):
    """Plot the loss curves of a run (``result.history`` or the result itself).

    Draws J and, when ``weighted``, alpha·J_content and beta·J_style (else the
    raw J_content and J_style), against the step, on a log scale by default.
    Returns the matplotlib ``Figure``.
    """
    import matplotlib.pyplot as plt

    if isinstance(history, TransferResult):
        alpha = history.settings.get("alpha", alpha)
        beta = history.settings.get("beta", beta)
        history = history.history
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 4))
    else:
        fig = ax.figure
    steps = history["step"]
    content_scale, style_scale = (alpha, beta) if weighted else (1.0, 1.0)
    ax.plot(steps, history["total"], label="J (total)", linewidth=2)
    ax.plot(steps, [content_scale * v for v in history["content"]],
            label="α·J_content" if weighted else "J_content")
    ax.plot(steps, [style_scale * v for v in history["style"]],
            label="β·J_style" if weighted else "J_style")
    if any(history.get("tv", [])):
        ax.plot(steps, history["tv"], label="J_tv", linestyle=":")
    stages = history.get("stage", [])
    for index in range(1, len(stages)):
        if stages[index] != stages[index - 1]:
            ax.axvline(steps[index], color="grey", linestyle="--", linewidth=0.8)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("cost")
    ax.legend()
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    return fig
