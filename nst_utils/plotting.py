"""Pictures that explain: feature maps and Gram matrices."""

from __future__ import annotations

from typing import Mapping

import matplotlib.pyplot as plt
import numpy as np


def _as_array(tensor) -> np.ndarray:
    return np.asarray(tensor.numpy() if hasattr(tensor, "numpy") else tensor)


def show_feature_maps(features: Mapping[str, object], channels: int = 6, *, cmap="magma"):
    """One row per layer, showing its ``channels`` most active feature maps (highest mean).

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


# --------------------------------------------------------------------------
# Diagrams drawn from the course's own facts (nst_utils.config)
# --------------------------------------------------------------------------
_CHANNEL_COLOURS = ("#e4572e", "#29335c", "#f3a712", "#669bbc", "#a8c686", "#8f2d56")


def _cell(ax, x, y, colour, label="", *, size=1.0, text_colour="white"):
    ax.add_patch(plt.Rectangle((x, y), size, size, facecolor=colour, edgecolor="white"))
    if label:
        ax.text(x + size / 2, y + size / 2, label, ha="center", va="center",
                fontsize=8, color=text_colour)


def show_unrolling(n_H: int = 2, n_W: int = 3, n_C: int = 3):
    """Draw how an activation volume (n_H, n_W, n_C) becomes a matrix (n_C, n_H·n_W).

    Left: the volume as ``n_C`` stacked channel sheets, each position numbered.
    Right: the matrix, one row per channel (same colour), one column per position.
    """
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.5, 3.4),
                                      gridspec_kw={"width_ratios": [1, 1.6]})
    for c in reversed(range(n_C)):
        shift = 0.45 * c
        for h in range(n_H):
            for w in range(n_W):
                _cell(left, w + shift, n_H - 1 - h + shift, _CHANNEL_COLOURS[c % 6],
                      f"{h * n_W + w + 1}" if c == 0 else "")
        left.text(n_W + 0.45 * n_C, shift + 0.2, f"channel {c + 1}", fontsize=8,
                  color=_CHANNEL_COLOURS[c % 6])
    left.set_title(f"activations: {n_H} × {n_W} positions, {n_C} channels", fontsize=10)
    for c in range(n_C):
        for p in range(n_H * n_W):
            _cell(right, p, n_C - 1 - c, _CHANNEL_COLOURS[c % 6], str(p + 1))
        right.text(-0.2, n_C - 1 - c + 0.5, f"channel {c + 1}", ha="right", va="center", fontsize=8)
    right.set_title(f"unrolled: {n_C} rows × {n_H * n_W} columns (numbers = positions)", fontsize=10)
    for ax in (left, right):
        ax.set_aspect("equal")
        ax.autoscale_view()
        ax.axis("off")
    right.set_xlim(-2.2, n_H * n_W + 0.2)
    fig.tight_layout()
    return fig


def show_vgg19(content_layer: str | None = None, style_layers=None):
    """VGG19's convolutional base as blocks of layers, with the course's layers marked.

    Bar height grows with the number of channels; the label under each block gives
    the side of its feature maps as a fraction of the image's. The content layer is
    outlined in red, the style layers in blue (with their weights).
    """
    from nst_utils import config

    content_layer = content_layer or config.CONTENT_LAYER
    weights = dict(style_layers if style_layers is not None else config.STYLE_LAYERS)
    fig, ax = plt.subplots(figsize=(11, 3.6))
    x, block = 0.0, None
    for name, _inputs, channels in config.VGG19_CONV_LAYERS:
        this_block = name.split("_")[0]
        if block is not None and this_block != block:
            ax.text(x + 0.35, 0.2, "pool\n÷2", ha="center", fontsize=7, color="grey")
            x += 0.9
        if this_block != block:
            depth = int(this_block.replace("block", ""))
            count = sum(n.startswith(this_block + "_") for n, _, _ in config.VGG19_CONV_LAYERS)
            ax.text(x + count / 2 - 0.1, -0.55, f"{this_block}\nside 1/{2 ** (depth - 1)}",
                    ha="center", fontsize=8)
            block = this_block
        height = 0.6 + channels / 160
        edge, width = ("#d62828", 3) if name == content_layer else (
            ("#1d4ed8", 3) if name in weights else ("#555555", 1))
        ax.add_patch(plt.Rectangle((x, 0), 0.8, height, facecolor="#dde3ea", edgecolor=edge, linewidth=width))
        ax.text(x + 0.4, height + 0.1, str(channels), ha="center", fontsize=7)
        if name == content_layer:
            ax.text(x + 0.4, height + 0.55, "content", ha="center", fontsize=8, color=edge)
        elif name in weights:
            ax.text(x + 0.4, height + 0.55, f"style {weights[name]:g}", ha="center", fontsize=8, color=edge)
        x += 1.0
    ax.set_xlim(-0.3, x + 0.2)
    ax.set_ylim(-1.0, 5.2)
    ax.axis("off")
    ax.set_title("VGG19, convolutional layers (numbers = channels)", fontsize=10)
    fig.tight_layout()
    return fig


def show_style_fingerprint(activations, gram_matrix, title: str = "Gram matrix (per position)"):
    """Heat map of ``gram_matrix`` applied to one layer's activations (1, n_H, n_W, n_C).

    Read this one after notebook 03's exercise: it unrolls the activations, which is
    part of what that exercise asks you to work out. The Gram matrix is divided by
    the number of positions so that the colours do not depend on the image size.
    """
    from nst_utils._tf import tf

    volume = _as_array(activations)[0]
    positions = volume.shape[0] * volume.shape[1]
    rows = np.moveaxis(volume, -1, 0).reshape(volume.shape[-1], positions)
    return show_gram_matrix(gram_matrix(tf.constant(rows)) / positions, title=title)


def plot_history(history, *, ax=None, log: bool = True, weighted: bool = False,
                 alpha: float | None = None, beta: float | None = None):
    """Plot the loss curves of a style-transfer run (``result.history``, or the result itself).

    Draws J and, when ``weighted``, α·J_content and β·J_style (else the raw
    J_content and J_style), against the step, on a log scale by default;
    dashed lines mark where a coarse-to-fine stage begins. α and β default to
    the run's own (when given the result) or ``config.ALPHA`` and ``config.BETA``.
    Returns the matplotlib ``Figure``.
    """
    from nst_utils import config

    run_settings = getattr(history, "settings", {})
    alpha = run_settings.get("alpha", config.ALPHA) if alpha is None else alpha
    beta = run_settings.get("beta", config.BETA) if beta is None else beta
    history = getattr(history, "history", history)
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 4))
    else:
        fig = ax.figure
    steps = history["step"]
    content_factor, style_factor = (alpha, beta) if weighted else (1.0, 1.0)
    ax.plot(steps, history["total"], label="J (total)", linewidth=2)
    ax.plot(steps, [content_factor * v for v in history["content"]],
            label="α·J_content" if weighted else "J_content")
    ax.plot(steps, [style_factor * v for v in history["style"]],
            label="β·J_style" if weighted else "J_style")
    if any(history.get("tv", [])):
        ax.plot(steps, history["tv"], label="J_tv", linestyle=":")
    stages = history.get("stage", [])
    for index in range(1, len(stages)):
        if stages[index] != stages[index - 1]:
            ax.axvline(steps[index], color="grey", linestyle="--", linewidth=0.8)
    if log:
        ax.set_yscale("log")
    ax.set(xlabel="step", ylabel="cost")
    ax.legend()
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    return fig
