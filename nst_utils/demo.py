"""What ``make demo`` runs: ``python -m nst_utils.demo``.

Each step of the course that has something to show adds a function to
:data:`STEPS`; ``main()`` loads the shared pieces once (the content photo
and VGG19) and runs the steps in order. Figures go to ``output/`` and
plotting is headless, so it works on servers and in CI.

Steps: feature maps of a shallow and a deep VGG19 layer; then the whole
reference series, run headless, which paints the generated image.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


from nst_utils import config

#: Layers the feature-map figure shows: one early (edges, colours) and the content layer.
SHALLOW_LAYER = "block1_conv1"
DEEP_LAYER = config.CONTENT_LAYER  # block4_conv2
CHANNELS_SHOWN = 8

#: Set to 0 to keep the demo from downloading the pretrained weights.
FETCH_ENV_VAR = config.DEMO_FETCH_ENV_VAR
#: Seconds to wait for the weights' server to answer before going on offline.
CONNECT_TIMEOUT = 10.0


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
    """Save a grid of feature maps of a shallow and a deep layer for the content photo."""
    from nst_utils.features import FeatureExtractor
    from nst_utils.plotting import show_feature_maps

    plt = _headless_pyplot()
    features = FeatureExtractor([SHALLOW_LAYER, DEEP_LAYER], model=ctx.vgg)(ctx.content)
    fig = show_feature_maps(features, channels=CHANNELS_SHOWN)
    kind = ctx.vgg.weights_source if ctx.vgg.weights_source in ("offline", "untrained") else "pretrained"
    fig.suptitle(f"VGG19 feature maps ({kind} weights): shallow layers see edges and "
                 "colours, deep layers see larger parts", fontsize=10)
    fig.tight_layout()
    ctx.output_dir.mkdir(parents=True, exist_ok=True)
    path = ctx.output_dir / "feature_maps.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    shapes = {name: tuple(value.shape[1:]) for name, value in features.items()}
    print(f"Feature maps of {SHALLOW_LAYER} {shapes[SHALLOW_LAYER]} and "
          f"{DEEP_LAYER} {shapes[DEEP_LAYER]} -> {path}")
    return path


def step_reference_series(ctx: DemoContext) -> Path:
    """Run the reference notebooks (the instructor versions) headless, top to bottom.

    Notebook 04 paints with the reference cost functions and saves the
    generated image and its loss curve to ``output/``; the executed notebooks
    are kept in ``output/executed/`` to read with their outputs.
    """
    from nst_utils.notebook_runner import run_folder

    executed = ctx.output_dir / "executed"
    results = run_folder(config.SOURCE_DIR, out=executed, echo=lambda line: print("   ", line),
                         env={"NST_OUTPUT_DIR": str(ctx.output_dir)})
    failed = [r.notebook for r in results if not r.ok]
    if failed:
        raise SystemExit(f"These notebooks failed: {', '.join(failed)} (see {executed}).")
    for name in ("generated.png", "loss_curve.png", "side_by_side.png"):
        if (ctx.output_dir / name).exists():
            ctx.outputs.append(ctx.output_dir / name)
    return executed


def get_weights_if_missing(echo=print) -> bool:
    """Download the pretrained weights (about 80 MB) when none are found; True if there.

    This is the one place the course downloads anything by itself, and it says
    so first. Offline (or with ``$NST_DEMO_FETCH=0``) it says so in one line and
    the demo goes on with the offline network.
    """
    from nst_utils import weights

    if weights.find_weights() is not None:
        return True
    if not config.demo_fetch():
        echo(f"No pretrained VGG19 weights found and ${FETCH_ENV_VAR}=0: using the offline network.")
        return False
    echo(f"No pretrained VGG19 weights found: downloading Keras's file (about 80 MB) into "
         f"{config.PRETRAINED_DIR}/ (set {FETCH_ENV_VAR}=0 to skip).")
    try:
        path = weights.fetch(connect_timeout=CONNECT_TIMEOUT, progress=True)
    except weights.DownloadError as exc:
        echo(f"{str(exc).splitlines()[0]} Going on offline, with the offline network.")
        return False
    echo(f"VGG19 weights ready: {path} (MD5 verified).")
    return True


#: The demo's steps, in course order. Later parts of the course append here.
STEPS: dict[str, tuple[str, Callable[[DemoContext], Path]]] = {
    "feature-maps": ("VGG19 feature maps", step_feature_maps),
    "notebooks": ("the reference notebooks, headless (paints with the reference costs)",
                  step_reference_series),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nst_utils.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=config.OUTPUT_DIR, help="folder for the figures")
    parser.add_argument(
        "--size", type=int, nargs=2, metavar=("HEIGHT", "WIDTH"), default=None,
        help=f"image size (default {config.IMAGE_SIZE}, or {config.GRADING_IMAGE_SIZE} while grading)",
    )
    parser.add_argument("--only", nargs="+", choices=list(STEPS), help="run only these steps")
    args = parser.parse_args(argv)
    steps = [STEPS[name] for name in (args.only or STEPS)]
    size = tuple(args.size) if args.size else (
        config.GRADING_IMAGE_SIZE if config.grading_mode() else config.IMAGE_SIZE
    )

    from nst_utils.images import load_image
    from nst_utils.vgg19 import load_vgg19

    start = time.perf_counter()
    ctx = DemoContext(output_dir=Path(args.output).resolve(), image_size=size)
    ctx.content = load_image(config.DEFAULT_CONTENT_IMAGE, size=size)
    print(f"Content photo: {config.DEFAULT_CONTENT_IMAGE}, {size[0]}x{size[1]} pixels")
    get_weights_if_missing()
    ctx.vgg = load_vgg19("auto")
    from nst_utils.weights import describe_active_weights

    print(f"VGG19 weights: {ctx.vgg.weights_source}. {describe_active_weights(ctx.vgg.weights_source)}")
    for number, (title, step) in enumerate(steps, start=1):
        print(f"[{number}/{len(steps)}] {title}")
        ctx.outputs.append(step(ctx))
    print(f"Done in {time.perf_counter() - start:.1f} s. Wrote:")
    for path in ctx.outputs:
        print(f"  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
