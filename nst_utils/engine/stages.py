"""The plan of a run: which pictures, which stages (coarse to fine), when to take snapshots.

Everything that can be refused is refused here, before VGG19 is loaded or
any step is taken: a style count that does not match its weights, an image
too small for the deepest layer, snapshot files that would be replaced.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nst_utils import config
from nst_utils.engine.errors import SettingsError
from nst_utils.engine.pictures import as_batch, resize
from nst_utils.engine.precision import resolve_precision
from nst_utils.engine.settings import TransferSettings

__all__ = ["Stage", "Plan", "make_plan"]


@dataclass(frozen=True)
class Stage:
    """One stage: ``steps`` optimisation steps at ``size``; ``index`` 0 is the coarsest."""

    index: int
    size: tuple[int, int]
    steps: int


@dataclass(frozen=True)
class Plan:
    """What a run will do, decided before it starts.

    ``styles`` and ``blend`` hold only the style images with a non-zero share
    (the shares sum to 1); ``shares`` has one share per style image given.
    """

    settings: TransferSettings
    content: Any
    styles: tuple
    blend: tuple[float, ...]
    shares: tuple[float, ...]
    stages: tuple[Stage, ...]
    fractions: tuple[float, ...]
    precision: str
    snapshot_steps: frozenset

    @property
    def full_size(self) -> tuple[int, int]:
        return self.stages[-1].size

    @property
    def total_steps(self) -> int:
        return sum(stage.steps for stage in self.stages)

    @property
    def layers(self) -> tuple[str, ...]:
        """Every layer the costs read, each once."""
        s = self.settings
        return tuple(dict.fromkeys(name for name, _ in s.content_layers + s.style_layers))

    def snapshot_path(self, step: int) -> Path | None:
        folder = self.settings.snapshot_dir
        return None if folder is None else folder / f"step_{step:05d}.png"

    def describe(self, weights_source: str) -> dict:
        """The settings the run used, after defaults were filled in (``TransferResult.settings``)."""
        s = self.settings
        return dict(
            size=self.full_size, steps=[stage.steps for stage in self.stages], optimizer=s.optimizer,
            learning_rate=s.learning_rate, alpha=s.alpha, beta=s.beta, content_layers=s.content_layers,
            style_layers=s.style_layers, style_weights=self.shares, style_scale=s.style_scale,
            tv_weight=s.tv_weight, preserve_colors=s.preserve_colors, init=s.init, noise=s.noise,
            seed=s.seed, coarse_to_fine=self.fractions, precision=self.precision, pooling=s.pooling,
            weights=weights_source,
        )


def _shares(settings: TransferSettings, n_styles: int) -> tuple[float, ...]:
    if n_styles == 0:
        raise SettingsError("Give at least one style image.")
    weights = settings.style_weights or (1.0,) * n_styles
    if len(weights) != n_styles:
        raise SettingsError(
            f"There are {n_styles} style images but {len(weights)} style weights; "
            "give one weight per style image."
        )
    return tuple(w / sum(weights) for w in weights)


def _stage_steps(steps, n_stages: int) -> list[int]:
    if isinstance(steps, int):
        share = steps // n_stages
        return [share] * (n_stages - 1) + [steps - share * (n_stages - 1)]
    if len(steps) != n_stages:
        raise SettingsError(
            f"steps lists {len(steps)} counts but there are {n_stages} stages "
            "(one per coarse_to_fine fraction, plus the full size); each must be >= 0."
        )
    return list(steps)


def _stages(settings: TransferSettings, full: tuple[int, int]) -> tuple[tuple[Stage, ...], tuple]:
    from nst_utils.features import min_input_side

    layers = [name for name, _ in settings.content_layers + settings.style_layers]
    needed = max(min_input_side(layers), 1)

    def stage_size(fraction):
        return (max(1, round(full[0] * fraction)), max(1, round(full[1] * fraction)))

    fractions = settings.coarse_to_fine
    if not settings.stages_chosen:  # the default stages: drop those too small for these layers
        fractions = tuple(f for f in fractions if min(stage_size(f)) >= needed)
    sizes = [stage_size(f) for f in fractions] + [full]
    for shape in [full] + sizes:
        if min(shape) < needed:
            deepest = max(layers, key=min_input_side)
            which = "The image" if shape == full else "The first coarse_to_fine stage"
            raise SettingsError(
                f"{which} is {shape[0]}x{shape[1]} pixels, too small for layer {deepest!r}, which "
                f"needs at least {needed} pixels a side (each pooling layer halves the size). Use a "
                "larger size" + (" or a larger coarse_to_fine fraction." if shape != full else ".")
            )
    counts = _stage_steps(settings.steps, len(sizes))
    return tuple(Stage(i, size, n) for i, (size, n) in enumerate(zip(sizes, counts))), fractions


def _snapshot_steps(settings: TransferSettings, total: int) -> frozenset:
    every = settings.save_every
    steps = set(range(every, total + 1, every)) if every else set()
    steps.add(total)
    folder = settings.snapshot_dir
    if folder is not None and not settings.overwrite:
        existing = [p for p in (folder / f"step_{n:05d}.png" for n in sorted(steps)) if p.exists()]
        if existing:
            raise SettingsError(
                f"{existing[0]} already exists ({len(existing)} snapshot file(s) would be replaced). "
                "Choose another snapshot_dir, delete them, or pass overwrite=True."
            )
    return frozenset(steps)


def make_plan(settings: TransferSettings, content, style) -> Plan:
    """Read the pictures and decide the stages, or raise :class:`SettingsError` before any work."""
    styles = list(style) if isinstance(style, (list, tuple)) else [style]
    shares = _shares(settings, len(styles))
    size = settings.size
    if size is None and isinstance(content, (str, Path)):
        size = config.IMAGE_SIZE
    picture = as_batch(content, "content")
    if size is not None:
        picture = resize(picture, size)
    stages, fractions = _stages(settings, tuple(int(s) for s in picture.shape[1:3]))
    active = [(as_batch(s, "style"), share) for s, share in zip(styles, shares) if share > 0]
    return Plan(
        settings=settings, content=picture, styles=tuple(s for s, _ in active),
        blend=tuple(share for _, share in active), shares=shares, stages=stages, fractions=fractions,
        precision=resolve_precision(settings.precision),
        snapshot_steps=_snapshot_steps(settings, sum(stage.steps for stage in stages)),
    )
