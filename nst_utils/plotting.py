"""Pictures that explain: feature maps and Gram matrices."""

from __future__ import annotations

from typing import Mapping

import matplotlib.pyplot as plt
import numpy as np


def _as_array(tensor) -> np.ndarray:
    return np.asarray(tensor.numpy() if hasattr(tensor, "numpy") else tensor)


def show_feature_maps(features: Mapping[str, object], channels: int = 6, *, cmap="magma"):
    """One row per layer, showing the first ``channels`` feature maps of each.

    ``features`` maps a layer name to its activations of shape (1, n_H, n_W, n_C),
    as returned by :class:`nst_utils.features.FeatureExtractor`. Each map is
    scaled to its own range, so weak and strong channels are both visible.
    """
    names = list(features)
    fig, axes = plt.subplots(
        len(names), channels, figsize=(1.9 * channels, 1.8 * len(names)), squeeze=False
    )
    for row, name in enumerate(names):
        maps = _as_array(features[name])[0]
        n_H, n_W, n_C = maps.shape
        # Show the most active channels: they carry the clearest patterns.
        order = np.argsort(maps.reshape(-1, n_C).mean(axis=0))[::-1][:channels]
        for col in range(channels):
            ax = axes[row, col]
            ax.set_xticks([])
            ax.set_yticks([])
            if col < len(order):
                ax.imshow(maps[:, :, order[col]], cmap=cmap)
                ax.set_title(f"ch {order[col]}", fontsize=8)
        axes[row, 0].set_ylabel(f"{name}\n{n_H}×{n_W}×{n_C}", fontsize=9)
    fig.tight_layout()
    return fig


def show_gram_matrix(gram, title: str = "Gram matrix", *, max_channels: int = 64):
    """A heat map of a Gram matrix (the first ``max_channels`` channels)."""
    values = _as_array(gram)[:max_channels, :max_channels]
    fig, ax = plt.subplots(figsize=(5.2, 4.4))
    image = ax.imshow(values, cmap="viridis")
    ax.set_title(title)
    ax.set_xlabel("channel j")
    ax.set_ylabel("channel i")
    fig.colorbar(image, ax=ax, fraction=0.046)
    fig.tight_layout()
    return fig
