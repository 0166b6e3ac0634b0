"""The offline network: VGG19's layers filled from a seed, scaled so that it paints.

Untrained convolutional networks can describe textures well enough to
synthesise them and to transfer style, when their random filters are scaled
well (He, Wang & Hopcroft, NIPS 2016; Ustyuzhaninov et al., ICLR 2017). The
offline network keeps VGG19's architecture and layer names exactly; only the
numbers in the kernels differ from the pretrained ones:

1. every kernel is drawn He-normal from one seed (NumPy, so the same on every
   machine), with zero biases;
2. each layer's kernel is multiplied by a positive number from a small
   *recipe* (``nst_utils/data/offline_vgg19.json``). With zero biases, ReLU
   and pooling commute with positive scaling, so this only sets the size of
   every layer's activations, and so how much each layer's cost counts: the
   per-layer normalisation that makes a random network paint is folded into
   the weights, and the learner's cost functions stay as they are.

The recipe is generated, not hand-edited: ``python -m
nst_utils.weights.make_recipe`` measures the seeded network on the course's
photo and artwork and writes it (a test checks that it is current).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from nst_utils import config
from nst_utils.errors import WeightsError
from nst_utils.weights.finding import LayerWeights

#: The generated recipe: seed and per-layer kernel scales.
RECIPE_FILE = Path(__file__).resolve().parent.parent / "data" / "offline_vgg19.json"

OFFLINE_NOTICE = (
    "NOTICE: no pretrained VGG19 weights found, so VGG19 runs OFFLINE: the same layers\n"
    "filled with seeded random filters (seed {seed}), scaled layer by layer so that it\n"
    "still paints (rougher than the real network). For the real thing, run\n"
    f"{config.WEIGHTS_HOWTO}."
)


def random_weights(seed: int = config.RANDOM_WEIGHTS_SEED) -> LayerWeights:
    """A deterministic, untrained VGG19: He-normal kernels, zero biases.

    Made with NumPy from ``seed`` alone, so it is the same on every machine
    and every TensorFlow version.
    """
    rng = np.random.default_rng(seed)
    layers: LayerWeights = {}
    for name, n_in, n_out in config.VGG19_CONV_LAYERS:
        std = np.sqrt(2.0 / (3 * 3 * n_in))
        kernel = (rng.standard_normal((3, 3, n_in, n_out), dtype=np.float32) * std).astype(
            np.float32
        )
        layers[name] = (kernel, np.zeros((n_out,), np.float32))
    return layers


def load_recipe(path: str | Path = RECIPE_FILE) -> dict:
    """The offline network's recipe: ``{"seed": int, "scales": {layer: float}, ...}``."""
    try:
        recipe = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise WeightsError(
            f"Cannot read the offline network's recipe {path} ({exc}). Regenerate it with "
            "`python -m nst_utils.weights.make_recipe`."
        ) from None
    missing = [name for name, _, _ in config.VGG19_CONV_LAYERS if name not in recipe["scales"]]
    if missing:
        raise WeightsError(
            f"The recipe {path} has no scale for {', '.join(missing)}. Regenerate it with "
            "`python -m nst_utils.weights.make_recipe`."
        )
    return recipe


def offline_weights(recipe: dict | None = None) -> LayerWeights:
    """The offline network's ``{layer: (kernel, bias)}``: seeded He-normal kernels, scaled.

    Deterministic: the same recipe gives the same arrays, bit for bit.
    """
    recipe = recipe if recipe is not None else load_recipe()
    layers = random_weights(int(recipe["seed"]))
    return {
        name: ((kernel * np.float32(recipe["scales"][name])).astype(np.float32), bias)
        for name, (kernel, bias) in layers.items()
    }


def describe_active_weights(source: str | None = None) -> str:
    """One sentence for learners: which VGG19 weights are in use, and what that means.

    ``source`` is a model's ``weights_source`` (``"offline"``, ``"random"`` or a
    path); by default, what ``load_vgg19("auto")`` would use now.
    """
    if source is None:
        from nst_utils.weights.finding import find_weights

        found = find_weights()
        source = str(found.path) if found else "offline"
    if source == "offline":
        return (
            "VGG19 is running offline: no pretrained weights were found, so its layers hold "
            "seeded random filters, scaled layer by layer so that their Gram matrices still "
            "capture colours and strokes; it paints, but more roughly than the real network "
            f"(run `{config.FETCH_WEIGHTS}` to get the real ImageNet weights, about 80 MB)."
        )
    if source == "random":
        return (
            "VGG19 holds plain random filters (weights=\"random\" with no recipe): the code runs, "
            f"but images made with it will not look painted; run `{config.FETCH_WEIGHTS}` for the real ones."
        )
    return f"VGG19 uses the pretrained ImageNet weights from {source}."
