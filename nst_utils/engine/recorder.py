"""The run's memory: one entry per step in the history, snapshots, the progress bar, a stop on NaN."""

from __future__ import annotations

import math
import sys
import time

import numpy as np

from nst_utils.engine.errors import LossNotFiniteError
from nst_utils.engine.result import HISTORY_KEYS, TransferResult

__all__ = ["Recorder"]


def _why_not_finite(values) -> str:
    total, j_content, j_style, j_tv = values
    bad = [n for n, v in (("J_content", j_content), ("J_style", j_style), ("J_tv", j_tv)) if not math.isfinite(v)]
    if not bad:
        return "your total_cost returned a non-finite value from finite costs"
    return f"{' and '.join(bad)} became {'NaN' if any(math.isnan(v) for v in values) else 'infinite'}"


class Recorder:
    """Collects what a run makes, step by step, into a :class:`TransferResult`.

    ``plan`` is the run's :class:`~nst_utils.engine.stages.Plan`; call
    :meth:`begin_stage` before each stage's steps and :meth:`step` after
    each step; :meth:`finish` returns the result.
    """

    def __init__(self, plan, weights_source: str, started: float):
        from tqdm.auto import tqdm

        self.plan, self.started = plan, started  # ``started``: when the call began (perf_counter)
        self.clock = time.perf_counter()  # the history's seconds count from the first step's start
        full = plan.full_size
        self.result = TransferResult(np.zeros((1, *full, 3), np.float32), {k: [] for k in HISTORY_KEYS},
                                     settings=plan.describe(weights_source))
        self.stage, self.stage_content = 0, plan.content
        show = plan.settings.progress
        self.bar = tqdm(total=plan.total_steps, disable=not show, desc="style transfer", unit="step",
                        file=sys.stdout)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.bar.close()

    def begin_stage(self, stage, content) -> None:
        self.stage, self.stage_content = stage.index, content

    def picture(self, image, content) -> np.ndarray:
        """What is shown and saved: the image, recoloured with the photo's colours if asked."""
        if self.plan.settings.preserve_colors:
            from nst_utils.engine.pictures import in_photo_colours

            return in_photo_colours(image, content)
        return np.asarray(image, dtype=np.float32)

    def step(self, values, image_fn) -> None:
        """Record one step's ``(J, J_content, J_style, J_tv)``; ``image_fn()`` gives the image if a snapshot is due."""
        history = self.result.history
        number = len(history["step"]) + 1
        values = tuple(float(v) for v in values)
        if not math.isfinite(values[0]):
            self._stop(number, values)
        for key, value in zip(HISTORY_KEYS, (number, *values, time.perf_counter() - self.clock, self.stage)):
            history[key].append(value)
        if self.plan.settings.progress:
            total, j_content, j_style, _ = values
            self.bar.set_postfix(J=f"{total:.4g}", content=f"{j_content:.3g}", style=f"{j_style:.3g}", refresh=False)
            self.bar.update(1)
        if number in self.plan.snapshot_steps:
            self._snapshot(number, self.picture(image_fn(), self.stage_content))

    def _snapshot(self, number: int, picture: np.ndarray) -> None:
        self.result.snapshots.append((number, picture))
        path = self.plan.snapshot_path(number)
        if path is not None:
            from nst_utils.images import save_image

            self.result.saved.append(save_image(picture, path, overwrite=self.plan.settings.overwrite))

    def _stop(self, number: int, values) -> None:
        result = self.result
        if result.snapshots:
            result.image = result.snapshots[-1][1]
        advice = ("if they do, lower the learning rate." if self.plan.settings.optimizer == "adam"
                  else "if they do, try optimizer='adam'.")
        raise LossNotFiniteError(
            f"Stopped at step {number}: the cost J is {values[0]} ({_why_not_finite(values)}). Check that "
            f"your cost functions divide by non-zero numbers and return finite values on this input; {advice}",
            result,
        )

    def finish(self, image) -> TransferResult:
        """The result, its final snapshot the image at full size."""
        from nst_utils.engine.pictures import resize

        result = self.result
        steps = len(result.history["step"])
        last = result.snapshots[-1] if result.snapshots else None
        if last is None or last[0] != steps or tuple(last[1].shape[1:3]) != self.plan.full_size:
            picture = self.picture(resize(image, self.plan.full_size), self.plan.content)
            result.snapshots.append((steps, picture))
        result.image = result.snapshots[-1][1]
        result.seconds = time.perf_counter() - self.started
        return result
