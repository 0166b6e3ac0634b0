"""Every choice of a style-transfer run, in one frozen object that checks itself when made.

``TransferSettings(steps=200, beta=100)`` either holds settings that can work,
with the defaults of :mod:`nst_utils.config` filled in, or raises
:class:`SettingsError` saying which setting is wrong and what to give instead.
The pictures and your functions are not settings: they are given to the run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from nst_utils import config
from nst_utils.engine.checks import check_choice, check_scale, check_weight, check_whole, is_whole, size_pair
from nst_utils.engine.errors import SettingsError
from nst_utils.engine.layers import layer_weights

__all__ = ["TransferSettings", "OPTIMIZERS", "INITS", "PRECISIONS", "POOLINGS", "REUSE_ENV_VAR"]

OPTIMIZERS = ("adam", "lbfgs")
INITS = ("content", "noise", "mix")
PRECISIONS = ("float32", "bfloat16", "auto")
POOLINGS = ("max", "avg")
#: Set to 0 to trace a fresh compiled step for every run and paint every run again
#: (how the engine worked before compiled steps and finished runs were kept).
REUSE_ENV_VAR = config.REUSE_ENV_VAR


@dataclass(frozen=True)
class TransferSettings:
    """The settings of one run (every keyword of :func:`nst_utils.transfer.style_transfer`).

    Attributes:
        size: ``(height, width)`` of the result. ``None``: ``config.IMAGE_SIZE``
            for a path, the image's own size for an image (and
            ``config.GRADING_IMAGE_SIZE`` while nbgrader grades).
        steps: optimisation steps (``config.ENGINE_STEPS``; ``GRADING_STEPS``
            while grading). With ``coarse_to_fine``, a total shared among the
            stages, or a list with one count per stage.
        optimizer: ``"adam"`` (default, ``config.ENGINE_OPTIMIZER``: steps with
            your ``train_step``) or ``"lbfgs"`` (SciPy's L-BFGS-B with the pixels
            bounded to [0, 1]; a step is one iteration).
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
            (see :func:`~nst_utils.engine.pictures.prepare_style_image`); 1 as in the course.
        tv_weight: weight of :func:`~nst_utils.engine.objective.total_variation` added to J (0: off).
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
        pooling: ``None`` (the network's own: max for pretrained weights, as VGG19
            was trained; average for the offline network), ``"max"`` or ``"avg"``.
        weights: VGG19 weights (see :func:`nst_utils.vgg19.load_vgg19`).
        save_every: keep a snapshot every this many steps (``None``: final image only).
        snapshot_dir: also write the snapshots there as ``step_00010.png``, ...
        overwrite: allow replacing existing snapshot files (otherwise an
            existing file stops the run before it starts).
        progress: show a progress bar with the live losses (default: yes,
            except while grading).
        reuse_compiled: reuse what earlier runs made: a step compiled with the
            same shapes and settings (:mod:`~nst_utils.engine.compiled`), the
            activations of pictures already seen (:mod:`~nst_utils.engine.activations`)
            and the whole result of an identical seeded run
            (:mod:`~nst_utils.engine.remembered`). Default yes;
            ``NST_REUSE_COMPILED=0`` in the environment turns all three off. Results
            are identical either way.

    After construction every field holds its checked, normalised value:
    layers as ``((name, weight), ...)``, numbers as floats, choices lower-case,
    ``None`` replaced by the ``config.ENGINE_*`` default (the grading defaults
    while nbgrader grades). ``size`` stays ``None`` when the image decides it,
    and ``steps`` may still be one total for the stages the plan makes.
    """

    size: Any = None
    steps: Any = None
    optimizer: str | None = None
    learning_rate: float | None = None
    alpha: float = config.ALPHA
    beta: float = config.BETA
    content_layers: Any = config.CONTENT_LAYER
    style_layers: Any = config.STYLE_LAYERS
    style_weights: Sequence[float] | None = None
    style_scale: float = 1.0
    tv_weight: float = 0.0
    preserve_colors: bool = False
    init: str | None = None
    noise: float | None = None
    seed: int | None = None
    coarse_to_fine: Sequence[float] | None = None
    precision: str = "float32"
    pooling: str | None = None
    weights: Any = "auto"
    save_every: int | None = None
    snapshot_dir: str | Path | None = None
    overwrite: bool = False
    progress: bool | None = None
    reuse_compiled: bool | None = None
    #: False when ``coarse_to_fine`` was left to the default (stages too small are then dropped).
    stages_chosen: bool = field(default=False, init=False)

    def __post_init__(self):
        for name, value in {**_defaults(self), **_numbers(self), **_choices(self)}.items():
            object.__setattr__(self, name, value)

    @classmethod
    def names(cls) -> tuple[str, ...]:
        """The settings one can give (every field but the derived ones)."""
        return tuple(f.name for f in fields(cls) if f.init)


def _defaults(s: TransferSettings) -> dict:
    grading = config.grading_mode()
    steps = s.steps if s.steps is not None else (config.GRADING_STEPS if grading else config.ENGINE_STEPS)
    size = s.size if s.size is not None or not grading else config.GRADING_IMAGE_SIZE
    reuse = s.reuse_compiled
    if reuse is None:
        reuse = config.reuse_compiled()
    return dict(
        size=None if size is None else size_pair(size),
        steps=_steps(steps),
        progress=(not grading) if s.progress is None else bool(s.progress),
        reuse_compiled=bool(reuse),
        stages_chosen=s.coarse_to_fine is not None,
        coarse_to_fine=_fractions(config.ENGINE_COARSE_TO_FINE if s.coarse_to_fine is None else s.coarse_to_fine),
        snapshot_dir=None if s.snapshot_dir is None else Path(s.snapshot_dir),
        preserve_colors=bool(s.preserve_colors),
        overwrite=bool(s.overwrite),
    )


def _numbers(s: TransferSettings) -> dict:
    learning_rate = check_weight(
        config.ENGINE_LEARNING_RATE if s.learning_rate is None else s.learning_rate, "learning_rate"
    )
    style_weights = None
    if s.style_weights is not None:
        style_weights = tuple(check_weight(w, "Each style weight") for w in s.style_weights)
        if not style_weights or sum(style_weights) <= 0:
            raise SettingsError("The style weights are all 0; at least one must be positive.")
    return dict(
        learning_rate=learning_rate,
        alpha=check_weight(s.alpha, "alpha"),
        beta=check_weight(s.beta, "beta"),
        tv_weight=check_weight(s.tv_weight, "tv_weight"),
        noise=check_weight(config.ENGINE_NOISE if s.noise is None else s.noise, "noise"),
        style_scale=check_scale(s.style_scale),
        style_weights=style_weights,
        save_every=None if s.save_every is None else check_whole(s.save_every, "save_every (or None)", 1),
        content_layers=layer_weights(s.content_layers, "content_layers"),
        style_layers=layer_weights(s.style_layers, "style_layers"),
    )


def _choices(s: TransferSettings) -> dict:
    optimizer = check_choice(s.optimizer or config.ENGINE_OPTIMIZER, OPTIMIZERS, "optimizer")
    if optimizer == "adam" and s.learning_rate is not None and float(s.learning_rate) == 0:
        raise SettingsError("learning_rate must be positive.")
    return dict(
        optimizer=optimizer,
        init=check_choice(s.init or config.ENGINE_INIT, INITS, "init"),
        precision=check_choice(s.precision, PRECISIONS, "precision"),
        pooling=None if s.pooling is None else check_choice(s.pooling, POOLINGS, "pooling"),
    )


def _steps(steps):
    """One total (an int >= 0) or one count per stage (a tuple of ints >= 0); the plan checks the count."""
    if is_whole(steps):
        return check_whole(steps, "steps")
    try:
        counts = tuple(int(s) for s in steps)
    except (TypeError, ValueError):
        raise SettingsError(f"steps must be a whole number or one per stage; got {steps!r}.") from None
    if any(c < 0 for c in counts):
        raise SettingsError(f"steps must be >= 0 for every stage; got {steps!r}.")
    return counts


def _fractions(coarse_to_fine) -> tuple[float, ...]:
    try:
        fractions = tuple(float(f) for f in coarse_to_fine)
    except (TypeError, ValueError):
        raise SettingsError(
            f"coarse_to_fine must be a list of fractions, e.g. (0.5,); got {coarse_to_fine!r}."
        ) from None
    if any(not (0 < f < 1) for f in fractions) or list(fractions) != sorted(set(fractions)):
        raise SettingsError(
            "coarse_to_fine must list increasing fractions between 0 and 1, e.g. (0.5,); "
            f"got {coarse_to_fine!r}."
        )
    return fractions
