"""The style-transfer engine: optimise an image so it matches a photo's content and a painting's style.

You bring the cost functions and the optimisation step (the ones you wrote in
notebooks 01-04); this module brings everything around them: loading and
resizing the pictures, VGG19, the targets, the optimiser, a progress bar,
snapshots and a history of the losses::

    from nst_utils.transfer import style_transfer, plot_history

    result = style_transfer(
        "coffee.jpg", "swirls.png",
        compute_content_cost=compute_content_cost,
        compute_style_cost=compute_style_cost,
        total_cost=total_cost,
        train_step=train_step,
    )
    show_images([result.image], ["generated"])
    plot_history(result.history)

What it does, in order:

1. resize the content image; resize (and, for ``style_scale``, tile or crop)
   each style image to the same size;
2. compute the content and style targets once: ``a_C`` and ``a_S`` are fixed;
3. start the generated image ``G`` from the content photo, from noise or
   from a mix of both, as a ``tf.Variable``;
4. repeat your ``train_step(G, optimizer, compute_cost)``, compiled with
   ``tf.function``, where ``compute_cost`` is your ``total_cost`` of your
   costs on VGG19's activations of ``G``.

Options beyond the original course (see notebook 05): total-variation
smoothing, keeping the photo's colours, blending several styles, the scale of
the style, your own choice of layers and their weights, coarse-to-fine
optimisation, L-BFGS, and bfloat16 arithmetic where the processor has it.
The engine itself lives in :mod:`nst_utils.engine`; this module is its front door.

Defaults come from :mod:`nst_utils.config` (``ENGINE_*``); while nbgrader grades
a notebook they shrink to ``GRADING_IMAGE_SIZE`` and ``GRADING_STEPS``.
"""

from __future__ import annotations

import difflib
import inspect
import time
from collections.abc import Callable

from nst_utils.engine.errors import LossNotFiniteError, SettingsError
from nst_utils.engine.layers import layer_weights
from nst_utils.engine.learner import LearnerFunctions
from nst_utils.engine import models, remembered
from nst_utils.engine.loop import run
from nst_utils.engine.objective import total_variation
from nst_utils.engine.pictures import prepare_style_image
from nst_utils.engine.precision import bfloat16_supported
from nst_utils.engine.result import TransferResult
from nst_utils.engine.settings import INITS, OPTIMIZERS, POOLINGS, PRECISIONS, TransferSettings
from nst_utils.engine.stages import make_plan

__all__ = [
    "style_transfer",
    "shared_vgg19",
    "TransferResult",
    "TransferSettings",
    "SettingsError",
    "LossNotFiniteError",
    "plot_history",
    "total_variation",
    "prepare_style_image",
    "layer_weights",
    "bfloat16_supported",
    "OPTIMIZERS",
    "INITS",
    "PRECISIONS",
    "POOLINGS",
]


def _settings(given: dict) -> TransferSettings:
    known = TransferSettings.names()
    for name in given:
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise SettingsError(f"style_transfer has no setting {name!r}.{hint} Settings: {', '.join(known)}.")
    return TransferSettings(**given)


def style_transfer(
    content,
    style,
    *,
    compute_content_cost: Callable,
    compute_style_cost: Callable,
    total_cost: Callable,
    train_step: Callable | None = None,
    model=None,
    **settings,
) -> TransferResult:
    """Make an image with the content of ``content`` and the style of ``style``.

    Args:
        content: the photo: a path (bare names are found in ``images/``) or an
            image ``(1, H, W, 3)`` in [0, 1].
        style: the artwork, likewise; or a list of them to blend.
        compute_content_cost, compute_style_cost, total_cost: your functions
            from notebooks 01, 03 and 04 (same arguments as there).
        train_step: your ``train_step(generated_image, optimizer, compute_cost)``
            from notebook 04; needed by the Adam optimiser (the default).
        model: a VGG19 base of your own to use instead of ``weights`` (nothing is
            kept for it from one run to the next, since its weights may change:
            for figures beside the paintings, :func:`shared_vgg19` gives the
            engine's own).
        **settings: ``size``, ``steps``, ``optimizer``, ``learning_rate``,
            ``alpha``, ``beta``, ``content_layers``, ``style_layers``,
            ``style_weights``, ``style_scale``, ``tv_weight``,
            ``preserve_colors``, ``init``, ``noise``, ``seed``,
            ``coarse_to_fine``, ``precision``, ``pooling``, ``weights``,
            ``save_every``, ``snapshot_dir``, ``overwrite``, ``progress``,
            ``reuse_compiled``: each is described in :class:`TransferSettings`
            (``help(TransferSettings)``), with its default.

    Returns:
        A :class:`TransferResult`.

    Raises:
        SettingsError: for a setting that cannot work (unknown layer, negative
            weight, image too small for the deepest layer, ...).
        LossNotFiniteError: if J becomes NaN or infinite (its ``result``
            holds the last good image).
        nst_utils.errors.NotImplementedYet: if one of your functions is not written yet.
    """
    started = time.perf_counter()
    chosen = _settings(settings)
    functions = LearnerFunctions(compute_content_cost, compute_style_cost, total_cost,
                                 train_step if chosen.optimizer == "adam" else None)
    functions.check(chosen.optimizer)
    plan = make_plan(chosen, content, style)
    network = models.given(model)
    key = remembered.key_of(plan, functions, network)
    earlier = remembered.recall(key, plan)
    if earlier is not None:
        return _reused(earlier, chosen.progress)
    result = run(plan, functions, chosen=network, started=started)
    remembered.remember(key, result, plan, model)
    return result


def shared_vgg19(weights="auto", pooling: str | None = None):
    """The VGG19 base the engine paints with for ``weights`` and ``pooling`` (loaded once):
    use it for your own figures beside the paintings; leave its weights as they are."""
    return models.shared(weights, pooling)


def _reused(earlier: TransferResult, say: bool) -> TransferResult:
    if say:
        print(f"Same run as before (pictures, settings, seed, functions): its result is "
              f"reused, painted in {earlier.seconds:.1f} s.")
    return earlier


def _signature() -> inspect.Signature:
    """``style_transfer``'s signature with every setting spelled out (for ``help`` and completion)."""
    own = list(inspect.signature(style_transfer).parameters.values())[:-1]
    keyword = inspect.Parameter.KEYWORD_ONLY
    defaults = TransferSettings.__dataclass_fields__
    extra = [inspect.Parameter(name, keyword, default=defaults[name].default) for name in TransferSettings.names()]
    return inspect.signature(style_transfer).replace(parameters=own + extra)


style_transfer.__signature__ = _signature()


def __getattr__(name: str):
    # ``from nst_utils.transfer import plot_history`` (notebook 04) without importing
    # matplotlib for every run: the picture lives in nst_utils.plotting.
    if name == "plot_history":
        from nst_utils.plotting import plot_history

        return plot_history
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
