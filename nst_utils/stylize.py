"""Style transfer from the command line, driven by *your* cost functions.

Examples::

    python -m nst_utils.stylize coffee.jpg swirls.png -o output/coffee_swirls.png
    python -m nst_utils.stylize photo.jpg mosaic.png swirls.png --style-weights 3 1 \\
        --size 256 --steps 200 --tv-weight 10 --preserve-colors -o out.png

The functions come from the notebooks you completed (by default those in
``notebooks/release/nst/`` of a clone, or in the current folder when the
package is installed; choose another folder with ``--notebooks``):
``compute_content_cost`` (01), ``gram_matrix`` (02), ``compute_layer_style_cost``
and ``compute_style_cost`` (03), ``total_cost`` and ``train_step`` (04). If one
of them is still the handed-out stub, the command says which notebook to
finish. In the instructor's repository ``--reference`` uses the reference
solutions instead. The choices of every option are the engine's own
(:mod:`nst_utils.engine.settings`).

Bare image names (``coffee.jpg``) are also looked for in the course's
``images/`` folder. An existing output file is never replaced unless you add
``--overwrite``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from nst_utils import config
from nst_utils.engine.settings import INITS, OPTIMIZERS, POOLINGS, PRECISIONS, TransferSettings
from nst_utils.errors import NSTError, NotImplementedYet



def _default(name: str):
    """The engine's own default for a setting (shown in ``--help``)."""
    return TransferSettings.__dataclass_fields__[name].default

__all__ = ["main", "build_parser", "load_engine_functions", "NOTEBOOK_FUNCTIONS", "ENGINE_FUNCTIONS"]


def _notebook_functions() -> tuple[tuple[str, tuple[str, ...]], ...]:
    by_notebook: dict[str, list[str]] = {}
    for item in config.EXERCISES:
        by_notebook.setdefault(item.notebook, []).append(item.function)
    return tuple((notebook, tuple(names)) for notebook, names in sorted(by_notebook.items()))


#: Where each function the engine needs (or one of them calls) is written: (notebook, function names).
NOTEBOOK_FUNCTIONS = _notebook_functions()
#: What the engine is handed (``style_transfer``'s keyword arguments).
ENGINE_FUNCTIONS = ("compute_content_cost", "compute_style_cost", "total_cost", "train_step")


def _notebook_folder(notebooks, reference: bool) -> Path:
    if reference:
        # The reference solutions live in the instructor notebooks; read them with the
        # same loader as the learner's own (this package never imports `autograder`).
        if not (config.SOURCE_DIR / NOTEBOOK_FUNCTIONS[0][0]).is_file():
            raise NSTError(
                "--reference needs the instructor notebooks (notebooks/source/nst/), which "
                "are not here. Leave out --reference to use your own notebooks."
            )
        return config.SOURCE_DIR
    folder = Path(notebooks) if notebooks is not None else _default_notebooks()
    if not folder.is_dir():
        raise NSTError(
            f"The notebook folder {folder} does not exist. Point --notebooks at the folder "
            "that holds your completed 01-04 notebooks."
        )
    return folder


def _default_notebooks() -> Path:
    """The student notebooks of a clone; where you are, for an installed package."""
    return config.RELEASE_DIR if config.IN_CLONE else Path.cwd()


def load_engine_functions(notebooks: str | Path | None = None, *, reference: bool = False,
                          train_step: bool = True) -> dict:
    """The functions the engine needs, from the learner's notebooks (or the reference).

    ``train_step=False`` (for L-BFGS) neither returns nor requires it. Raises
    :class:`NotImplementedYet` naming every notebook whose function is still
    a stub, and :class:`NSTError` when a notebook is missing or broken.
    """
    import contextlib
    import io

    from nst_utils.notebook_import import import_functions, is_stub

    folder = _notebook_folder(notebooks, reference)
    wanted = [name for name in ENGINE_FUNCTIONS if train_step or name != "train_step"]
    found, unfinished = {}, []
    for notebook, names in NOTEBOOK_FUNCTIONS:
        with contextlib.redirect_stdout(io.StringIO()):  # its per-stub notes; we sum them up below
            functions = import_functions(folder / notebook, *names)
        for name, function in zip(names, functions if len(names) > 1 else (functions,)):
            found[name] = function
            if is_stub(function) and (name in wanted or name not in ENGINE_FUNCTIONS):
                unfinished.append(f"`{name}` in {notebook}")
    if unfinished:
        raise NotImplementedYet(
            "Style transfer needs your completed functions, but these are still stubs: "
            + "; ".join(unfinished)
            + f" (in {folder}). Finish those exercises, save the notebooks and run this again."
        )
    return {name: found[name] for name in wanted}


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


def _add_painting_options(parser: argparse.ArgumentParser) -> None:
    """What the picture looks like: weights, layers, styles, colours."""
    parser.add_argument("--alpha", type=float, help=f"content weight (default {config.ALPHA:g})")
    parser.add_argument("--beta", type=float, help=f"style weight (default {config.BETA:g})")
    parser.add_argument("--tv-weight", type=float, help="total-variation smoothing (default 0: off)")
    parser.add_argument("--style-weights", type=float, nargs="+",
                        help="one blend weight per style image (scaled to sum to 1)")
    parser.add_argument("--style-scale", type=float,
                        help="size of the style's strokes relative to the photo (default 1)")
    parser.add_argument("--preserve-colors", action="store_true", help="keep the photo's colours")
    parser.add_argument("--content-layers", type=_layers, metavar="NAME[:W],...",
                        help=f"content layers (default {config.CONTENT_LAYER})")
    parser.add_argument("--style-layers", type=_layers, metavar="NAME[:W],...",
                        help="style layers and weights (default: the course's five, 0.2 each)")
    parser.add_argument("--init", choices=INITS, help=f"starting image (default {config.ENGINE_INIT})")
    parser.add_argument("--seed", type=int, help="makes the run repeatable")


def _add_optimisation_options(parser: argparse.ArgumentParser) -> None:
    """How the picture is made: size, steps, optimiser, arithmetic, network."""
    parser.add_argument("--size", type=_size,
                        help="longest side in pixels, or HEIGHTxWIDTH (default %dx%d)" % config.IMAGE_SIZE)
    parser.add_argument("--steps", type=int, help=f"optimisation steps (default {config.ENGINE_STEPS})")
    parser.add_argument("--optimizer", choices=OPTIMIZERS, help=f"default {config.ENGINE_OPTIMIZER}")
    parser.add_argument("--lr", "--learning-rate", dest="learning_rate", type=float,
                        help=f"Adam's learning rate (default {config.ENGINE_LEARNING_RATE})")
    parser.add_argument("--coarse-to-fine", type=float, nargs="*", metavar="FRACTION",
                        help="optimise at these fractions of the size first (default "
                        f"{' '.join(map(str, config.ENGINE_COARSE_TO_FINE)) or 'none'}); "
                        "give no fraction for a single stage")
    parser.add_argument("--precision", choices=PRECISIONS, help=f"default {_default('precision')}")
    parser.add_argument("--pooling", choices=POOLINGS,
                        help="default: the network's own (max for pretrained weights, "
                        "average for the offline network)")
    parser.add_argument("--weights",
                        help=f'VGG19 weights: "auto", "imagenet", "random" or a file (default {_default("weights")})')


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m nst_utils.stylize",
        description="Paint a photo in the style of one or more artworks (Gatys et al., 2015), "
        "using the functions from your notebooks.",
    )
    parser.add_argument("content", help="the photo (bare names are also found in images/)")
    parser.add_argument("styles", nargs="+", metavar="style", help="one or more style images")
    parser.add_argument("-o", "--output", required=True, help="where to write the result (.png, .jpg, ...)")
    parser.add_argument("--overwrite", action="store_true", help="replace the output (and snapshots) if they exist")
    _add_optimisation_options(parser)
    _add_painting_options(parser)
    parser.add_argument("--save-every", type=int, metavar="N",
                        help="also save a snapshot every N steps (next to the output, in OUTPUT-stem_steps/)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--notebooks", metavar="DIR",
                        help=f"folder with your completed notebooks (default {_default_notebooks()})")
    source.add_argument("--reference", action="store_true",
                        help="use the reference solutions (instructor's repository only)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def _settings(args, output: Path) -> dict:
    """The engine settings the command line chose; those left out keep the engine's defaults."""
    chosen = {name: value for name, value in vars(args).items()
              if name in TransferSettings.names() and value is not None}
    chosen.pop("size", None)  # the content image is loaded at that size
    if args.save_every:
        chosen["snapshot_dir"] = output.parent / f"{output.stem}_steps"
    chosen["progress"] = not args.quiet
    return chosen


def _paint(args, output: Path):
    from nst_utils.images import WRITE_FORMATS, load_image, save_image
    from nst_utils.transfer import style_transfer

    if output.suffix.lower() not in WRITE_FORMATS:
        raise NSTError(f"Cannot write {output}: use one of the suffixes {', '.join(WRITE_FORMATS)}.")
    if output.exists() and not args.overwrite:
        raise NSTError(f"{output} already exists. Choose another name, or add --overwrite to replace it.")
    optimizer = args.optimizer or config.ENGINE_OPTIMIZER
    functions = load_engine_functions(args.notebooks, reference=args.reference, train_step=optimizer == "adam")
    content = load_image(args.content, size=args.size if args.size is not None else config.IMAGE_SIZE)
    styles = [load_image(path) for path in args.styles]
    result = style_transfer(content, styles, **functions, **_settings(args, output))
    return result, save_image(result.image, output, overwrite=args.overwrite)


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        result, written = _paint(args, Path(args.output).expanduser())
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
