"""What ``make demo`` runs: ``python -m nst_utils.demo``.

Each step of the course that has something to show adds a function to
:data:`STEPS`; ``main()`` loads the shared pieces once (the content photo
and VGG19) and runs the steps in order. Figures go to ``output/`` and
plotting is headless, so it works on servers and in CI.

Today it has one step: feature maps of a shallow and a deep VGG19 layer.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nst_utils import config

#: Layers the feature-map figure shows: one early (edges, colours) and the content layer.
SHALLOW_LAYER = "block1_conv1"
DEEP_LAYER = config.CONTENT_LAYER  # block4_conv2
CHANNELS_SHOWN = 8


@dataclass
class DemoContext:
    """What the steps share: output folder, the content photo, VGG19, and results."""

    output_dir: Path
    image_size: tuple[int, int]
    content: object = None
    vgg: object = None
    outputs: list[Path] = field(default_factory=list)


def _headless_pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def step_feature_maps(ctx: DemoContext) -> Path:
    """Save a grid of feature maps: the photo, then channels of a shallow and a deep layer.

    The channels shown are the most active ones on this photo (largest mean
    activation), which says more than the first few, some of which are
    often all zero.
    """
    from nst_utils.features import FeatureExtractor

    plt = _headless_pyplot()
    extract = FeatureExtractor([SHALLOW_LAYER, DEEP_LAYER], model=ctx.vgg)
    maps = {name: value.numpy()[0] for name, value in extract(ctx.content).items()}

    columns = CHANNELS_SHOWN
    fig, axes = plt.subplots(3, columns, figsize=(2 * columns, 6.6))
    for ax in axes.flat:
        ax.axis("off")
    photo = np.asarray(ctx.content)[0]
    axes[0, 0].imshow(np.clip(photo, 0, 1))
    axes[0, 0].set_title("content photo", fontsize=9)
    for row, name in enumerate([SHALLOW_LAYER, DEEP_LAYER], start=1):
        fmap = maps[name]
        strongest = np.argsort(fmap.mean(axis=(0, 1)))[::-1][:columns]
        for col, channel in enumerate(strongest):
            axes[row, col].imshow(fmap[:, :, channel], cmap="viridis")
            axes[row, col].set_title(f"{name}\nch {channel} ({fmap.shape[0]}x{fmap.shape[1]})", fontsize=7)
    kind = "random" if ctx.vgg.weights_source == "random" else "pretrained"
    fig.suptitle(
        f"VGG19 feature maps ({kind} weights): shallow layers see edges and colours, "
        "deep layers see larger parts",
        fontsize=10,
    )
    fig.tight_layout()
    ctx.output_dir.mkdir(parents=True, exist_ok=True)
    path = ctx.output_dir / "feature_maps.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    print(
        f"Feature maps of {SHALLOW_LAYER} {maps[SHALLOW_LAYER].shape} and "
        f"{DEEP_LAYER} {maps[DEEP_LAYER].shape} -> {path}"
    )
    return path


#: The demo's steps, in course order. Later parts of the course append here.
STEPS: list[tuple[str, Callable[[DemoContext], Path]]] = [
    ("VGG19 feature maps", step_feature_maps),
]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nst_utils.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=config.OUTPUT_DIR, help="folder for the figures")
    parser.add_argument(
        "--size", type=int, nargs=2, metavar=("HEIGHT", "WIDTH"), default=None,
        help=f"image size (default {config.IMAGE_SIZE}, or {config.GRADING_IMAGE_SIZE} while grading)",
    )
    args = parser.parse_args(argv)
    size = tuple(args.size) if args.size else (
        config.GRADING_IMAGE_SIZE if config.grading_mode() else config.IMAGE_SIZE
    )

    from nst_utils.images import load_image
    from nst_utils.vgg19 import load_vgg19

    start = time.perf_counter()
    ctx = DemoContext(output_dir=Path(args.output), image_size=size)
    ctx.content = load_image(config.DEFAULT_CONTENT_IMAGE, size=size)
    print(f"Content photo: {config.DEFAULT_CONTENT_IMAGE}, {size[0]}x{size[1]} pixels")
    ctx.vgg = load_vgg19("auto")
    print(f"VGG19 weights: {ctx.vgg.weights_source}")
    for number, (title, step) in enumerate(STEPS, start=1):
        print(f"[{number}/{len(STEPS)}] {title}")
        ctx.outputs.append(step(ctx))
    print(f"Done in {time.perf_counter() - start:.1f} s. Wrote:")
    for path in ctx.outputs:
        print(f"  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
