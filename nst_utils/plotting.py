"""Pictures that explain: feature maps, Gram matrices, diagrams of the method, costs.

Where colour carries meaning, the colours come from the Okabe-Ito palette
(``PALETTE``), which stays distinct with every common colour-vision
deficiency, and the meaning is also written in text or shown by line style;
heat maps use perceptually uniform maps (viridis, magma).
"""

from __future__ import annotations

from typing import Mapping

import matplotlib.pyplot as plt
import numpy as np


#: Okabe & Ito's colour-blind-safe palette, by name.
PALETTE = {
    "blue": "#0072B2", "orange": "#E69F00", "green": "#009E73", "vermillion": "#D55E00",
    "sky": "#56B4E9", "purple": "#CC79A7", "yellow": "#F0E442", "black": "#000000",
}


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
_CHANNEL_COLOURS = tuple(PALETTE[name] for name in ("blue", "orange", "green", "purple", "sky", "vermillion"))


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
    outlined in vermillion with a dashed line and labelled "content", the style
    layers in blue with a solid line, labelled with their weights.
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
        edge, width, style = (PALETTE["vermillion"], 3, "--") if name == content_layer else (
            (PALETTE["blue"], 3, "-") if name in weights else ("#555555", 1, "-"))
        ax.add_patch(plt.Rectangle((x, 0), 0.8, height, facecolor="#dde3ea", edgecolor=edge,
                                   linewidth=width, linestyle=style))
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


#: The Gram matrices as matplotlib writes them (its own fonts have the curly G).
_GRAM_S, _GRAM_G = r"$\mathcal{G}^{(S)}$", r"$\mathcal{G}^{(G)}$"


def _box(ax, x, y, text, *, colour, width=1.9, height=0.8, style="-", fill="white"):
    """A labelled box centred on (x, y)."""
    ax.add_patch(plt.Rectangle((x - width / 2, y - height / 2), width, height, facecolor=fill,
                               edgecolor=colour, linewidth=2, linestyle=style))
    ax.text(x, y, text, ha="center", va="center", fontsize=8.5)


def _arrow(ax, start, end, *, colour="#444444", style="-", text="", text_at=None, curve=0.0):
    ax.annotate("", xy=end, xytext=start,
                arrowprops=dict(arrowstyle="-|>", color=colour, linestyle=style, linewidth=1.6,
                                shrinkA=2, shrinkB=2, connectionstyle=f"arc3,rad={curve}"))
    if text:
        x, y = text_at or ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2 + 0.2)
        ax.text(x, y, text, ha="center", va="center", fontsize=8, color=colour)


def show_method(content_layer: str | None = None, style_layers=None):
    """The whole method in one picture: fixed targets, the variable G, J, and its gradient.

    Three rows go through the same frozen VGG19: the photo C (top) and the
    artwork S (bottom) once, before any step, to give fixed targets (blue
    boxes, solid lines); the generated image G (middle, the ``tf.Variable``,
    orange, dashed) at every step. The costs compare G's activations with the
    targets and add up to J; the gradient ∂J/∂G (vermillion, dotted) flows back
    through VGG19 to G's pixels, which the optimiser moves.
    """
    from nst_utils import config

    content_layer = content_layer or config.CONTENT_LAYER
    layers = [name for name, _ in (style_layers if style_layers is not None else config.STYLE_LAYERS)]
    fixed, variable, grad = PALETTE["blue"], PALETTE["orange"], PALETTE["vermillion"]
    fig, ax = plt.subplots(figsize=(11.5, 4.8))
    rows = {"C": 4.6, "G": 2.6, "S": 0.4}
    _box(ax, 0.9, rows["C"], "photo C", colour=fixed)
    _box(ax, 0.9, rows["G"], "image G\n(tf.Variable)", colour=variable, style="--")
    _box(ax, 0.9, rows["S"], "artwork S", colour=fixed)
    for row in rows.values():
        _box(ax, 3.6, row, "VGG19\n(frozen)", colour="#555555", width=1.6, fill="#eeeeee")
        _arrow(ax, (1.85, row), (2.8, row))
    _box(ax, 6.6, rows["C"], f"a_C at {content_layer}\nfixed target", colour=fixed, width=2.5)
    _box(ax, 6.6, rows["G"], "a_G, and its Gram\nmatrices " + _GRAM_G, colour=variable, width=2.5,
         style="--")
    _box(ax, 6.6, rows["S"], f"Gram matrices {_GRAM_S} at\n{len(layers)} layers: fixed targets",
         colour=fixed, width=2.5)
    for row in rows.values():
        _arrow(ax, (4.4, row), (5.35, row))
    _box(ax, 9.3, 3.7, "J_content\ncompares a_C, a_G", colour="#555555", width=2.0)
    _box(ax, 9.3, 1.3, f"J_style\ncompares {_GRAM_S}, {_GRAM_G}", colour="#555555", width=2.0)
    _arrow(ax, (7.85, rows["C"]), (8.3, 3.9))
    _arrow(ax, (7.85, rows["G"]), (8.3, 3.5))
    _arrow(ax, (7.85, rows["G"]), (8.3, 1.5))
    _arrow(ax, (7.85, rows["S"]), (8.3, 1.1))
    _box(ax, 11.6, rows["G"], "J = α·J_content\n+ β·J_style", colour=PALETTE["black"], width=1.9)
    _arrow(ax, (10.3, 3.7), (10.65, 2.8))
    _arrow(ax, (10.3, 1.3), (10.65, 2.4))
    bottom = rows["G"] - 0.4
    ax.annotate("", xy=(0.9, bottom), xytext=(11.6, bottom),
                arrowprops=dict(arrowstyle="-|>", color=grad, linestyle=":", linewidth=2.2,
                                connectionstyle="bar,fraction=-0.025", shrinkA=0, shrinkB=0))
    ax.text(2.2, bottom - 0.42, "∂J/∂G", fontsize=9, color=grad, ha="center")
    ax.text(6.6, -0.75, "∂J/∂G flows back through VGG19 to the pixels of G; the optimiser moves "
            "them, and the next step starts again from the middle row", ha="center",
            fontsize=8.5, color=grad)
    ax.text(0.0, 5.35, "computed once, before the first step:  top and bottom rows (solid)   |   "
            "computed at every step:  middle row (dashed)", fontsize=8.5)
    ax.set_xlim(-0.3, 12.8)
    ax.set_ylim(-1.1, 5.6)
    ax.axis("off")
    ax.set_title("Neural style transfer: what is fixed, what changes, where the gradient goes",
                 fontsize=10)
    fig.tight_layout()
    return fig


def show_gram_product(n_C: int = 3, positions: int = 6, i: int = 0, j: int = 2):
    """The shapes of 𝒢 = A·Aᵀ: (n_C, positions) times (positions, n_C) gives (n_C, n_C).

    Row ``i`` of A and column ``j`` of Aᵀ (which is row ``j`` of A) are
    filled, and so is the entry (i, j) of 𝒢 that their dot product makes; the
    labels say the same in words.
    """
    fig, ax = plt.subplots(figsize=(10, 3.6))
    row_colour, column_colour, both = PALETTE["sky"], PALETTE["orange"], PALETTE["green"]

    def grid(x0, rows, columns, fill):
        for r in range(rows):
            for c in range(columns):
                ax.add_patch(plt.Rectangle((x0 + 0.5 * c, 0.5 * (n_C + 1) - 0.5 * r), 0.5, 0.5,
                                           facecolor=fill(r, c), edgecolor="#333333"))

    top = 0.5 * (n_C + 2)
    grid(0.0, n_C, positions, lambda r, c: row_colour if r == i else "white")
    x_t = 0.5 * positions + 1.0
    grid(x_t, positions, n_C, lambda r, c: column_colour if c == j else "white")
    x_g = x_t + 0.5 * n_C + 1.0
    grid(x_g, n_C, n_C, lambda r, c: both if (r, c) == (i, j) else "white")
    middle = 0.5 * (n_C + 1) - 0.5 * (n_C - 1) / 2 + 0.25
    ax.text(x_t - 0.5, middle, "·", fontsize=22, ha="center", va="center")
    ax.text(x_g - 0.5, middle, "=", fontsize=18, ha="center", va="center")
    for x0, columns, name, shape in [
        (0.0, positions, "A", f"(n_C, n_H·n_W) = ({n_C}, {positions})"),
        (x_t, n_C, "Aᵀ", f"(n_H·n_W, n_C) = ({positions}, {n_C})"),
        (x_g, n_C, r"$\mathcal{G}$", f"(n_C, n_C) = ({n_C}, {n_C})"),
    ]:
        ax.text(x0 + 0.25 * columns, top + 0.35, name, ha="center", fontsize=13)
        ax.text(x0 + 0.25 * columns, 0.5 * (n_C + 1) - 0.5 * (positions if name == "Aᵀ" else n_C)
                + 0.15, shape, ha="center", va="top", fontsize=8.5)
    ax.text(0.0, -0.5 * positions + 0.5 * (n_C + 1) - 0.55,
            f"row {i + 1} of A (channel {i + 1} at every position)  ·  column {j + 1} of Aᵀ "
            f"(channel {j + 1} at every position)  =  entry ({i + 1}, {j + 1}) of " r"$\mathcal{G}$",
            fontsize=9)
    ax.set_aspect("equal")
    ax.autoscale_view()
    ax.axis("off")
    fig.tight_layout()
    return fig


def show_layer_costs(costs: Mapping[str, float], weights: Mapping[str, float], title: str = ""):
    """Each style layer's share of J_style: λ·J_style^[l] as a bar, on a log scale.

    ``costs`` maps a layer name to its layer style cost, ``weights`` to its λ.
    Each bar is labelled with the weighted cost and its percentage of the sum,
    so the figure can be read without telling colours apart.
    """
    names = list(costs)
    weighted = np.array([weights[name] * costs[name] for name in names], dtype=float)
    total = weighted.sum() or 1.0
    fig, ax = plt.subplots(figsize=(7.5, 0.55 * len(names) + 1.2))
    positions = np.arange(len(names))[::-1]
    ax.barh(positions, np.maximum(weighted, 1e-30), color=PALETTE["blue"])
    ax.set_xscale("log")
    ax.set_yticks(positions, [f"{name}  (λ = {weights[name]:.3g})" for name in names])
    for y, value in zip(positions, weighted):
        ax.text(value, y, f"  {value:.3g}  ({100 * value / total:.0f}%)", va="center", fontsize=8)
    ax.set_xlim(right=ax.get_xlim()[1] * 50)
    ax.set_xlabel("λ · J_style^[l]  (log scale)")
    ax.set_title(title or "each layer's part of J_style", fontsize=10)
    fig.tight_layout()
    return fig


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
    ax.plot(steps, history["total"], label="J (total)", linewidth=2, color=PALETTE["black"])
    ax.plot(steps, [content_factor * v for v in history["content"]], color=PALETTE["vermillion"],
            linestyle="--", label="α·J_content" if weighted else "J_content")
    ax.plot(steps, [style_factor * v for v in history["style"]], color=PALETTE["blue"],
            linestyle="-.", label="β·J_style" if weighted else "J_style")
    if any(history.get("tv", [])):
        ax.plot(steps, history["tv"], label="J_tv", linestyle=":", color=PALETTE["green"])
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
