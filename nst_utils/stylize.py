"""Style transfer from the command line, driven by *your* cost functions.

Examples::

    python -m nst_utils.stylize coffee.jpg swirls.png -o output/coffee_swirls.png
    python -m nst_utils.stylize photo.jpg mosaic.png swirls.png --style-weights 3 1 \\
        --size 256 --steps 200 --tv-weight 10 --preserve-colors -o out.png

The cost functions come from the notebooks you completed (by default those in
``notebooks/release/nst/``; choose another folder with ``--notebooks``):
``compute_content_cost`` (01), ``gram_matrix`` (02), ``compute_layer_style_cost``
and ``compute_style_cost`` (03) and ``total_cost`` (04). If one of them is
still the handed-out stub, the command says which notebook to finish. In the
instructor's repository ``--reference`` uses the reference solutions instead.

Bare image names (``coffee.jpg``) are also looked for in the course's
``images/`` folder. An existing output file is never replaced unless you add
``--overwrite``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from nst_utils import config
from nst_utils.errors import NSTError, NotImplementedYet

__all__ = ["main", "build_parser", "load_cost_functions", "NOTEBOOK_FUNCTIONS"]

def _notebook_functions() -> tuple[tuple[str, tuple[str, ...]], ...]:
    by_notebook: dict[str, list[str]] = {}
    for name, (notebook, _points) in config.GRADED_FUNCTIONS.items():
        by_notebook.setdefault(notebook, []).append(name)
    name, notebook = config.STYLE_COST_FUNCTION
    by_notebook.setdefault(notebook, []).append(name)
    return tuple((notebook, tuple(names)) for notebook, names in sorted(by_notebook.items()))


#: Where each function the engine needs is written: (notebook, function names).
NOTEBOOK_FUNCTIONS = _notebook_functions()
ENGINE_FUNCTIONS = ("compute_content_cost", "compute_style_cost", "total_cost")


def load_cost_functions(notebooks: str | Path | None = None, *, reference: bool = False) -> dict:
    """The cost functions the engine needs, from the learner's notebooks (or the reference).

    Raises :class:`NotImplementedYet` naming every notebook whose function is
    still a stub, and :class:`NSTError` when a notebook is missing or broken.
    """
    if reference:
        # The reference solutions live in the instructor notebooks; read them with the
        # same loader as the learner's own (this package never imports `autograder`).
        if not (config.SOURCE_DIR / NOTEBOOK_FUNCTIONS[0][0]).is_file():
            raise NSTError(
                "--reference needs the instructor notebooks (notebooks/source/nst/), which "
                "are not here. Leave out --reference to use your own notebooks."
            )
        notebooks = config.SOURCE_DIR

    import contextlib
    import io

    from nst_utils.notebook_import import import_functions, is_stub

    folder = Path(notebooks) if notebooks is not None else config.RELEASE_DIR
    if not folder.is_dir():
        raise NSTError(
            f"The notebook folder {folder} does not exist. Point --notebooks at the folder "
            "that holds your completed 01-04 notebooks."
        )
    found, unfinished = {}, []
    for notebook, names in NOTEBOOK_FUNCTIONS:
        with contextlib.redirect_stdout(io.StringIO()):  # its per-stub notes; we sum them up below
            functions = import_functions(folder / notebook, *names)
        if len(names) == 1:
            functions = (functions,)
        for name, function in zip(names, functions):
            found[name] = function
            if is_stub(function):
                unfinished.append(f"`{name}` in {notebook}")
    if unfinished:
        raise NotImplementedYet(
            "Style transfer needs your completed cost functions, but these are still stubs: "
            + "; ".join(unfinished)
            + f" (in {folder}). Finish those exercises, save the notebooks and run this again."
        )
    return {name: found[name] for name in ENGINE_FUNCTIONS}


def _size(text: str):
    text = text.lower().strip()
    try:
        if "x" in text:
            height, width = (int(part) for part in text.split("x"))
            return (height, width)
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"size must be a number (longest side) or HEIGHTxWIDTH such as 300x400; got {text!r}"
        ) from None


def _layers(text: str):
    """``block1_conv1:0.5,block2_conv1:0.5`` or ``block4_conv2`` -> pairs."""
    pairs = []
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        name, _, weight = part.partition(":")
        try:
            pairs.append((name.strip(), float(weight) if weight else 1.0))
        except ValueError:
            raise argparse.ArgumentTypeError(f"bad layer weight in {part!r}; use NAME:WEIGHT") from None
    return pairs


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m nst_utils.stylize",
        description="Paint a photo in the style of one or more artworks (Gatys et al., 2015), "
        "using the cost functions from your notebooks.",
    )
    parser.add_argument("content", help="the photo (bare names are also found in images/)")
    parser.add_argument("styles", nargs="+", metavar="style", help="one or more style images")
    parser.add_argument("-o", "--output", required=True, help="where to write the result (.png, .jpg, ...)")
    parser.add_argument("--overwrite", action="store_true", help="replace the output (and snapshots) if they exist")
    parser.add_argument("--size", type=_size, default=None,
                        help="longest side in pixels, or HEIGHTxWIDTH (default %dx%d)" % config.IMAGE_SIZE)
    parser.add_argument("--steps", type=int, default=None, help=f"optimisation steps (default {config.ENGINE_STEPS})")
    parser.add_argument("--optimizer", choices=("adam", "lbfgs"), default=None,
                        help=f"default {config.ENGINE_OPTIMIZER}")
    parser.add_argument("--lr", "--learning-rate", dest="learning_rate", type=float, default=None,
                        help=f"Adam's learning rate (default {config.ENGINE_LEARNING_RATE})")
    parser.add_argument("--alpha", type=float, default=config.ALPHA, help=f"content weight (default {config.ALPHA:g})")
    parser.add_argument("--beta", type=float, default=config.BETA, help=f"style weight (default {config.BETA:g})")
    parser.add_argument("--tv-weight", type=float, default=0.0, help="total-variation smoothing (default 0: off)")
    parser.add_argument("--style-weights", type=float, nargs="+", default=None,
                        help="one blend weight per style image (scaled to sum to 1)")
    parser.add_argument("--style-scale", type=float, default=1.0,
                        help="size of the style's strokes relative to the photo (default 1)")
    parser.add_argument("--preserve-colors", action="store_true", help="keep the photo's colours")
    parser.add_argument("--init", choices=("content", "noise", "mix"), default=None,
                        help=f"starting image (default {config.ENGINE_INIT})")
    parser.add_argument("--coarse-to-fine", type=float, nargs="*", default=None, metavar="FRACTION",
                        help="optimise at these fractions of the size first (default "
                        f"{' '.join(map(str, config.ENGINE_COARSE_TO_FINE)) or 'none'}); "
                        "give no fraction for a single stage")
    parser.add_argument("--content-layers", type=_layers, default=None, metavar="NAME[:W],...",
                        help=f"content layers (default {config.CONTENT_LAYER})")
    parser.add_argument("--style-layers", type=_layers, default=None, metavar="NAME[:W],...",
                        help="style layers and weights (default: the course's five, 0.2 each)")
    parser.add_argument("--precision", choices=("float32", "bfloat16", "auto"), default="float32")
    parser.add_argument("--pooling", choices=("max", "avg"), default="max")
    parser.add_argument("--weights", default="auto",
                        help='VGG19 weights: "auto" (default), "imagenet", "random" or a file')
    parser.add_argument("--seed", type=int, default=None, help="makes the run repeatable")
    parser.add_argument("--save-every", type=int, default=None, metavar="N",
                        help="also save a snapshot every N steps (next to the output, in OUTPUT-stem_steps/)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--notebooks", default=None, metavar="DIR",
                        help=f"folder with your completed notebooks (default {config.RELEASE_DIR})")
    source.add_argument("--reference", action="store_true",
                        help="use the reference solutions (instructor's repository only)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    output = Path(args.output).expanduser()
    try:
        from nst_utils.images import WRITE_FORMATS

        if output.suffix.lower() not in WRITE_FORMATS:
            raise NSTError(f"Cannot write {output}: use one of the suffixes {', '.join(WRITE_FORMATS)}.")
        if output.exists() and not args.overwrite:
            raise NSTError(f"{output} already exists. Choose another name, or add --overwrite to replace it.")
        functions = load_cost_functions(args.notebooks, reference=args.reference)

        from nst_utils.images import load_image, save_image
        from nst_utils.transfer import style_transfer

        size = args.size if args.size is not None else config.IMAGE_SIZE
        content = load_image(args.content, size=size)
        styles = [load_image(path) for path in args.styles]
        options = {}
        if args.content_layers is not None:
            options["content_layers"] = args.content_layers
        if args.style_layers is not None:
            options["style_layers"] = args.style_layers
        snapshot_dir = output.parent / f"{output.stem}_steps" if args.save_every else None
        result = style_transfer(
            content, styles, **functions, **options,
            steps=args.steps, optimizer=args.optimizer, learning_rate=args.learning_rate,
            alpha=args.alpha, beta=args.beta, tv_weight=args.tv_weight,
            style_weights=args.style_weights, style_scale=args.style_scale,
            preserve_colors=args.preserve_colors, init=args.init,
            coarse_to_fine=args.coarse_to_fine, precision=args.precision, pooling=args.pooling,
            weights=args.weights, seed=args.seed, save_every=args.save_every,
            snapshot_dir=snapshot_dir, overwrite=args.overwrite, progress=not args.quiet,
        )
        written = save_image(result.image, output, overwrite=args.overwrite)
    except NSTError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    history = result.history
    print(
        f"Saved {written} ({result.image.shape[2]}x{result.image.shape[1]} pixels) after "
        f"{len(history['step'])} steps in {result.seconds:.1f} s; final J = {result.final_loss:.4g} "
        f"(J_content {history['content'][-1]:.4g}, J_style {history['style'][-1]:.4g})."
        if history["step"]
        else f"Saved {written} (0 steps: the starting image)."
    )
    if result.saved:
        print(f"Snapshots: {len(result.saved)} in {result.saved[0].parent}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
