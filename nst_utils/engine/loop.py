"""The loop of a run: stage after stage, targets, a compiled step, steps recorded."""

from __future__ import annotations

from nst_utils._tf import tf
from nst_utils.engine import models
from nst_utils.engine.compiled import compiled_step
from nst_utils.engine.objective import Objective, run_weights
from nst_utils.engine.pictures import initial_image, prepare_style_image, resize
from nst_utils.engine.recorder import Recorder

__all__ = ["run"]


def _objective(plan, functions, chosen) -> tuple[Objective, str]:
    s = plan.settings
    net = models.network(s.weights, s.pooling, plan.precision, chosen)
    objective = Objective(
        network=net, extractor=models.extractor(net, plan.layers), functions=functions,
        content_layers=s.content_layers, style_layers=s.style_layers,
        precision=plan.precision, smoothing=s.tv_weight > 0,
    )
    return objective, getattr(net.model, "weights_source", "?")


def _generator(seed):
    if seed is None:
        return tf.random.Generator.from_non_deterministic_state()
    return tf.random.Generator.from_seed(seed)


def run(plan, functions, *, chosen: models.Network | None = None, started: float):
    """Carry out ``plan`` with the learner's ``functions`` (a LearnerFunctions); a TransferResult.

    ``chosen`` is the caller's own network (:func:`~nst_utils.engine.models.given`), if any.
    """
    s = plan.settings
    objective, weights_source = _objective(plan, functions, chosen)
    weights = run_weights(s.alpha, s.beta, s.tv_weight, plan.blend)
    generator = _generator(s.seed)
    image = None
    with Recorder(plan, weights_source, started) as recorder:
        for stage in plan.stages:
            content = resize(plan.content, stage.size)
            styles = [prepare_style_image(style, stage.size, s.style_scale) for style in plan.styles]
            image = initial_image(content, s.init, s.noise, generator) if image is None else resize(image, stage.size)
            recorder.begin_stage(stage, content)
            if stage.steps == 0:
                continue
            reuse = s.reuse_compiled and not objective.network.own  # a caller's network: afresh
            targets = objective.targets(content, styles, keep=reuse)
            step = compiled_step(s.optimizer, objective, tuple(image.shape), reuse=reuse)
            if s.optimizer == "adam":
                step.start(image, s.learning_rate)
                image = step.run(stage.steps, targets, weights, recorder.step)
            else:
                image = step.run(image, stage.steps, targets, weights, recorder.step)
    return recorder.finish(image)

