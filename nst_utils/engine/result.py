"""What a style-transfer run hands back."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["TransferResult", "HISTORY_KEYS"]

#: The columns of ``TransferResult.history``.
HISTORY_KEYS = ("step", "total", "content", "style", "tv", "seconds", "stage")


@dataclass
class TransferResult:
    """What :func:`~nst_utils.transfer.style_transfer` returns.

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
