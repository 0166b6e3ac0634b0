"""Generate the offline network's recipe: ``python -m nst_utils.weights.make_recipe``.

The recipe (``nst_utils/data/offline_vgg19.json``) holds a seed and one
positive scale per convolution. The scales are chosen so that, on the
course's images, every style layer's activations have a set root-mean-square
size (``STYLE_LEVELS``) and so does the content layer (``CONTENT_LEVEL``).
The learner's style cost of a layer grows with the 4th power of that size and
the content cost with its square, so the levels are the per-layer loss
normalisation, folded into the weights. Because biases are zero, scaling one
layer's kernel scales every later layer too; the scale of a layer is the
ratio of the size wanted there to the size already reached before it.

``--check`` regenerates the recipe in memory and exits 1 if the file differs.
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

from nst_utils import config
from nst_utils.weights.offline import RECIPE_FILE, random_weights

SEED = config.RANDOM_WEIGHTS_SEED
#: Pooling of the offline network (Gatys et al.'s choice; max pooling of random features
#: lost the photo's layout in our trials). load_vgg19 uses it unless asked otherwise.
POOLING = "avg"
#: RMS activation wanted at each style layer of config.STYLE_LAYERS (shallow layers
#: count more: they carry the colours and the strokes; deep random features are noisy).
#: Chosen with bench/art_quality.py: (20, 14, 10, 7, 5) against a content level of 60
#: kept the layout best but left the strokes smooth (texture 0.75x the photo's);
#: (40, 25, 14, 8, 5) against 40 lost the layout (SSIM 0.28); these meet every goal.
STYLE_LEVELS = (30.0, 20.0, 12.0, 7.0, 5.0)
#: RMS activation wanted at the content layer.
CONTENT_LEVEL = 40.0
#: Images the sizes are measured on (geometric mean over each group).
STYLE_IMAGES = ("swirls.png", "mosaic.png", "pointillism.png")
CONTENT_IMAGES = ("coffee.jpg", "chelsea.jpg", "rocket.jpg")
DIGITS = 6


def _rms(model, names: tuple[str, ...], layers: list[str]) -> dict[str, float]:
    """Geometric mean over ``names`` of each layer's RMS activation."""
    from nst_utils.features import FeatureExtractor
    from nst_utils.images import load_image

    extract = FeatureExtractor(layers, model=model)
    logs = {layer: [] for layer in layers}
    for name in names:
        features = extract(load_image(name, size=config.IMAGE_SIZE))
        for layer in layers:
            logs[layer].append(np.log(np.sqrt(np.mean(np.square(features[layer].numpy())))))
    return {layer: float(np.exp(np.mean(values))) for layer, values in logs.items()}


def make_recipe() -> dict:
    """Measure the seeded, unscaled network and return the recipe."""
    from nst_utils.vgg19 import build_vgg19

    model = build_vgg19(pooling=POOLING)
    for layer, (kernel, bias) in random_weights(SEED).items():
        model.get_layer(layer).set_weights([kernel, bias])
    style_layers = [name for name, _ in config.STYLE_LAYERS]
    wanted = {}
    for (layer, size), level in zip(_rms(model, STYLE_IMAGES, style_layers).items(), STYLE_LEVELS):
        wanted[layer] = level / size
    content = _rms(model, CONTENT_IMAGES, [config.CONTENT_LAYER])[config.CONTENT_LAYER]
    wanted[config.CONTENT_LAYER] = CONTENT_LEVEL / content
    scales, reached = {}, 1.0
    for layer, _, _ in config.VGG19_CONV_LAYERS:
        scales[layer] = round(wanted[layer] / reached, DIGITS) if layer in wanted else 1.0
        reached *= scales[layer]
    return {
        "made_by": "python -m nst_utils.weights.make_recipe",
        "seed": SEED, "pooling": POOLING,
        "style_levels": dict(zip(style_layers, STYLE_LEVELS)),
        "content_level": {config.CONTENT_LAYER: CONTENT_LEVEL},
        "measured_on": {"style": list(STYLE_IMAGES), "content": list(CONTENT_IMAGES),
                        "size": list(config.IMAGE_SIZE)},
        "scales": scales,
    }


def same_scales(a: dict, b: dict, rtol: float = 1e-3) -> bool:
    """Whether two recipes agree (scales to ``rtol``: float sums differ across machines)."""
    keys = set(a) | set(b)
    plain = all(a.get(k) == b.get(k) for k in keys if k != "scales")
    return plain and all(np.isclose(a["scales"][k], b["scales"][k], rtol=rtol) for k in a["scales"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nst_utils.weights.make_recipe",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check the file is current")
    args = parser.parse_args(argv)
    if not args.check and not config.IN_CLONE:  # never rewrite an installed package's file
        print(f"The recipe ships with the course: regenerate it in a clone of the course, "
              f"not in the installed package ({RECIPE_FILE}).", file=sys.stderr)
        return 2
    recipe = make_recipe()
    if args.check:
        current = json.loads(RECIPE_FILE.read_text(encoding="utf-8"))
        ok = same_scales(current, recipe)
        print(f"{RECIPE_FILE}: {'current' if ok else 'OUT OF DATE - run without --check'}")
        return 0 if ok else 1
    RECIPE_FILE.write_text(json.dumps(recipe, indent=1) + "\n", encoding="utf-8")
    print(f"Wrote {RECIPE_FILE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
