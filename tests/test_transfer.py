"""Tests of the style-transfer engine (nst_utils.transfer, nst_utils.engine) and its colour helpers.

Every run is tiny (48x48 pixels, a few steps) on a seeded random VGG19,
loaded once for the module, with the reference functions (cost functions and
``train_step``) read from the instructor notebooks by ``autograder.grading.reference``.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograder.grading.reference as reference
from nst_utils import config
from nst_utils._tf import tf
from nst_utils.color import keep_content_colors, rgb_to_yiq
from nst_utils.errors import NotImplementedYet, NSTError
from nst_utils.images import load_image
from nst_utils.transfer import (
    LossNotFiniteError,
    SettingsError,
    TransferResult,
    layer_weights,
    plot_history,
    prepare_style_image,
    style_transfer,
    total_variation,
)

SIZE = (48, 48)
REFERENCE = reference.load()
COSTS = {name: REFERENCE[name] for name in ("compute_content_cost", "compute_style_cost", "total_cost")}
FUNCTIONS = {**COSTS, "train_step": REFERENCE["train_step"]}


@pytest.fixture(scope="module")
def vgg():
    from nst_utils.transfer import shared_vgg19

    return shared_vgg19("random")


@pytest.fixture(scope="module")
def pictures():
    return load_image("coffee.jpg", size=SIZE), load_image("swirls.png", size=SIZE), load_image("mosaic.png", size=SIZE)


@pytest.fixture()
def run(vgg, pictures):
    content, style, _ = pictures

    def go(**options):
        options.setdefault("size", SIZE)
        options.setdefault("steps", 3)
        options.setdefault("progress", False)
        options.setdefault("seed", 0)
        options.setdefault("coarse_to_fine", ())  # one stage unless a test asks for more
        for name, function in FUNCTIONS.items():
            options.setdefault(name, function)
        options.setdefault("weights", "random")  # the engine's own, seeded random VGG19 (``vgg``)
        return style_transfer(options.pop("content", content), options.pop("style", style),
                              **options)

    return go


def _in_unit_range(image):
    return float(np.min(image)) >= 0.0 and float(np.max(image)) <= 1.0


# ---------------------------------------------------------------- the basic run
def test_adam_run_lowers_the_cost_and_records_everything(run):
    result = run(steps=6, save_every=2, init="content")
    assert isinstance(result, TransferResult)
    assert result.image.shape == (1, *SIZE, 3) and result.image.dtype == np.float32
    assert _in_unit_range(result.image)
    history = result.history
    assert history["step"] == [1, 2, 3, 4, 5, 6]
    assert all(len(values) == 6 for values in history.values())
    assert history["total"][-1] < history["total"][0]
    assert history["seconds"] == sorted(history["seconds"])
    assert [step for step, _ in result.snapshots] == [2, 4, 6]
    np.testing.assert_array_equal(result.snapshots[-1][1], result.image)
    settings = result.settings
    assert settings["optimizer"] == config.ENGINE_OPTIMIZER
    assert settings["learning_rate"] == config.ENGINE_LEARNING_RATE
    assert settings["content_layers"] == ((config.CONTENT_LAYER, 1.0),)
    assert settings["style_layers"] == tuple(config.STYLE_LAYERS)
    assert "6 steps" in repr(result)


def test_total_is_the_learners_total_cost_of_the_learners_costs(run):
    result = run(steps=1, alpha=3.0, beta=7.0)
    h = result.history
    assert h["total"][0] == pytest.approx(3.0 * h["content"][0] + 7.0 * h["style"][0], rel=1e-5)


def test_step_is_traced_once_and_reused_by_the_next_run(run):
    calls = {"n": 0}

    def counting_content_cost(a_C, a_G):
        calls["n"] += 1  # Python runs only while TensorFlow traces (and once in the eager trial)
        return COSTS["compute_content_cost"](a_C, a_G)

    run(steps=6, compute_content_cost=counting_content_cost)
    assert calls["n"] == 2, f"6 steps ran the Python function {calls['n']} times (trial + trace expected)"
    calls["n"] = 0
    run(steps=3, beta=1.0, compute_content_cost=counting_content_cost)
    assert calls["n"] == 0, "a second run with the same shapes traced the step again"
    run(steps=2, size=(48, 64), compute_content_cost=counting_content_cost)
    assert calls["n"] == 2, "another image size must get its own compiled step"



def test_naming_the_networks_own_pooling_reuses_its_steps(run, vgg):
    """pooling= the network's own pooling is the same network: nothing is traced again, and a
    run otherwise identical to an earlier one is answered from it. The other pooling is
    another network, with steps of its own."""
    from nst_utils.transfer import shared_vgg19

    own = "avg" if "Average" in type(vgg.get_layer("block1_pool")).__name__ else "max"
    other = "max" if own == "avg" else "avg"
    assert shared_vgg19("random", pooling=own) is vgg
    assert shared_vgg19("random", pooling=other) is not vgg
    calls = {"n": 0}

    def counting_content_cost(a_C, a_G):
        calls["n"] += 1
        return COSTS["compute_content_cost"](a_C, a_G)

    first = run(steps=2, size=(40, 48), compute_content_cost=counting_content_cost)
    calls["n"] = 0
    again = run(steps=2, size=(40, 48), pooling=own, compute_content_cost=counting_content_cost)
    assert again.seconds == first.seconds, "naming the network's own pooling painted it again"
    run(steps=2, size=(40, 48), pooling=own, beta=2.0, compute_content_cost=counting_content_cost)
    assert calls["n"] == 0, "naming the network's own pooling traced its step again"
    run(steps=2, size=(40, 48), pooling=other, beta=2.0, compute_content_cost=counting_content_cost)
    assert calls["n"] == 2, "the other pooling must get its own network and step"


def test_reused_step_takes_each_runs_targets_weights_and_fresh_optimizer(run, pictures):
    """A kept step gives exactly what a freshly traced one gives (what a fresh process would)."""
    _, swirls, mosaic = pictures
    runs = [dict(style=swirls, alpha=10.0, beta=40.0, init="mix", seed=1),
            dict(style=mosaic, alpha=3.0, beta=900.0, learning_rate=0.2, init="content", seed=2,
                 content=pictures[2]),
            dict(style=swirls, alpha=10.0, beta=40.0, init="mix", seed=1)]
    fresh = [run(steps=4, reuse_compiled=False, **options) for options in runs]
    kept = [run(steps=4, **options) for options in runs]  # one compiled step, three runs
    for new, old in zip(kept, fresh):
        np.testing.assert_array_equal(new.image, old.image)
        assert new.history["total"] == old.history["total"]
    assert kept[0].history["total"][0] != kept[1].history["total"][0]
    np.testing.assert_array_equal(kept[0].image, kept[2].image)  # the first run's image was not touched


def test_a_redefined_helper_is_not_served_from_the_old_step(run):
    namespace = {"content_cost": COSTS["compute_content_cost"]}
    exec("def factor():\n    return 1.0\n\n"
         "def my_content_cost(a_C, a_G):\n    return factor() * content_cost(a_C, a_G)\n", namespace)
    once = run(steps=1, compute_content_cost=namespace["my_content_cost"])
    exec("def factor():\n    return 2.0\n", namespace)  # the learner fixes a helper and reruns
    twice = run(steps=1, compute_content_cost=namespace["my_content_cost"])
    assert twice.history["content"][0] == pytest.approx(2 * once.history["content"][0], rel=1e-6)


def test_a_changed_value_the_functions_read_paints_anew(run):
    """A learner who changes a module-level value their functions read (directly, through a
    helper, in a generator, from a list changed in place) and runs again gets what the code
    now paints, never a remembered run or a step traced with the old value."""
    namespace = {"content_cost": COSTS["compute_content_cost"], "SCALE": 1.0, "EXTRA": [0.0]}
    exec("def extra():\n    return sum(e for e in EXTRA)\n\n"
         "def my_content_cost(a_C, a_G):\n"
         "    return SCALE * content_cost(a_C, a_G) + extra()\n", namespace)
    cost = namespace["my_content_cost"]
    first = run(steps=2, compute_content_cost=cost).history["content"][0]
    namespace["SCALE"] = 3.0  # the learner edits a constant and reruns the painting cell
    assert run(steps=2, compute_content_cost=cost).history["content"][0] == pytest.approx(
        3 * first, rel=1e-6)
    namespace["EXTRA"].append(5.0)  # ... or a list their helper reads
    assert run(steps=2, compute_content_cost=cost).history["content"][0] == pytest.approx(
        3 * first + 5.0, rel=1e-6)


def test_an_identical_seeded_run_is_painted_once(run, pictures):
    """The same pictures, settings, seed and functions hand back the first result; a change paints anew."""
    first = run(steps=3, beta=123.0)
    first.history["total"].append(-1.0)  # the caller's own copy
    again = run(steps=3, beta=123.0)
    np.testing.assert_array_equal(again.image, first.image)
    assert again.seconds == first.seconds, "an identical seeded run was painted again"
    assert again.history["total"][-1] != -1.0
    changed = pictures[0].numpy().copy()
    changed[0, 0, 0, 0] = 1.0 - changed[0, 0, 0, 0]
    assert run(steps=3, beta=123.0, content=changed).seconds != first.seconds
    unseeded = [run(steps=1, init="noise", seed=None) for _ in range(2)]
    assert np.abs(unseeded[0].image - unseeded[1].image).max() > 1e-3


def test_a_picture_seen_before_is_not_sent_through_the_network_again(run, pictures, monkeypatch):
    """Later runs take the photo's and the artwork's activations from earlier ones, layer by layer,
    and paint exactly what they paint when everything is computed afresh."""
    from collections import OrderedDict

    from nst_utils.engine import activations

    monkeypatch.setattr(activations, "_KEPT", OrderedDict())  # nothing seen yet
    asked = []
    compute = activations._compute
    monkeypatch.setattr(activations, "_compute", lambda net, picture, layers: asked.append(layers)
                        or compute(net, picture, layers))
    mosaic = pictures[2]
    run(steps=2, beta=11.0, style=mosaic)
    assert len(asked) == 2, f"the first run computed {asked}"
    asked.clear()
    second = run(steps=2, beta=12.0, style=mosaic)
    assert asked == [], f"a run with pictures already seen computed {asked} again"
    deeper = run(steps=2, beta=12.0, style=mosaic, content_layers="block2_conv2")
    assert asked == [["block2_conv2"]], f"only the new content layer was to be computed, not {asked}"
    for kept in (second, deeper):
        fresh = run(steps=2, style=mosaic, reuse_compiled=False, **{k: kept.settings[k] for k in
                                                                     ("beta", "content_layers")})
        np.testing.assert_array_equal(kept.image, fresh.image)
        assert kept.history["total"] == fresh.history["total"]


def test_the_engines_own_weights_are_read_once_a_given_networks_each_run(run, vgg, pictures,
                                                                         monkeypatch):
    """The faster gradient copies a network's weights (about 0.1 s): once for the engine's own,
    whatever the layers a run asks for; for each run with a network passed in, whose weights
    may have changed."""
    from nst_utils import vgg_pass
    from nst_utils.vgg19 import load_vgg19

    monkeypatch.setenv(vgg_pass.ENV_VAR, "1")
    run(steps=1)  # the engine's own network has been used at least once
    reads = []
    real_read = vgg_pass._read
    monkeypatch.setattr(vgg_pass, "_read", lambda model: reads.append(model) or real_read(model))
    for layer in ("block1_conv2", "block2_conv2", "block3_conv2"):
        run(steps=1, beta=0.0, content_layers=layer)
    assert reads == [], "the engine's own weights were read again for new layers"
    given = load_vgg19("random")
    options = dict(size=SIZE, steps=1, progress=False, seed=0, coarse_to_fine=(), **FUNCTIONS)
    for _ in range(2):
        style_transfer(pictures[0], pictures[1], model=given, **options)
    assert reads.count(given) >= 2, "a network passed in must be read afresh for each run"

def test_weights_set_between_runs_are_used_by_the_next_run(pictures):
    """A network given new weights paints with them: nothing kept from before (the run, its
    activations, the engine's copy of the weights) answers for the old weights."""
    from nst_utils.vgg19 import load_vgg19

    ours, twin = load_vgg19("random"), load_vgg19("random")
    options = dict(size=SIZE, steps=2, progress=False, seed=0, coarse_to_fine=(), **FUNCTIONS)
    before = style_transfer(pictures[0], pictures[1], model=ours, **options)
    new_weights = [w * 0.9 if w.ndim == 4 else w for w in ours.get_weights()]
    ours.set_weights(new_weights)
    twin.set_weights(new_weights)
    after = style_transfer(pictures[0], pictures[1], model=ours, **options)
    with_twin = style_transfer(pictures[0], pictures[1], model=twin, **options)
    assert after.seconds != before.seconds, "the run before the new weights was handed back"
    np.testing.assert_array_equal(after.image, with_twin.image)
    assert after.history["total"] == with_twin.history["total"]
    assert after.history["total"][0] != before.history["total"][0]


def test_runs_that_paint_the_same_are_answered_from_the_first(run, pictures):
    """A style weighted 0, or the photo's colours, paints what an earlier run painted: not painted again,
    and exactly what a fresh run gives, coarse-stage snapshots included."""
    _, swirls, mosaic = pictures
    same = dict(steps=4, beta=321.0, save_every=1, coarse_to_fine=(0.5,))
    plain = run(**same)
    kept_image = plain.image.copy()
    blended = run(**same, style=[swirls, mosaic], style_weights=[2, 0])
    assert blended.seconds == plain.seconds, "a run with a zero-weight style was painted again"
    np.testing.assert_array_equal(blended.image, plain.image)
    assert blended.settings["style_weights"] == (1.0, 0.0)
    coloured = run(**same, preserve_colors=True)
    assert coloured.seconds == plain.seconds, "keeping the photo's colours painted the run again"
    fresh = run(**same, preserve_colors=True, reuse_compiled=False)
    assert [n for n, _ in coloured.snapshots] == [n for n, _ in fresh.snapshots] == [1, 2, 3, 4]
    for (_, ours), (_, theirs) in zip(coloured.snapshots, fresh.snapshots):
        np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(coloured.image, fresh.image)
    assert coloured.settings["preserve_colors"] and np.abs(coloured.image - plain.image).max() > 1e-3
    np.testing.assert_array_equal(plain.image, kept_image)


def test_seed_makes_a_noisy_start_repeatable(run):
    first = run(init="mix", seed=7, steps=2)
    second = run(init="mix", seed=7, steps=2, reuse_compiled=False)  # painted again, not recalled
    other = run(init="mix", seed=8, steps=2)
    np.testing.assert_allclose(first.image, second.image, atol=1e-6)
    assert np.abs(first.image - other.image).max() > 1e-3


def test_start_images(run, pictures):
    content = pictures[0]
    untouched = run(init="content", steps=0)
    np.testing.assert_allclose(untouched.image, content.numpy(), atol=1e-6)
    assert untouched.history["step"] == []
    noise = run(init="noise", steps=0, seed=1)
    assert np.abs(noise.image - content.numpy()).mean() > 0.15
    mix = run(init="mix", noise=0.1, steps=0, seed=1)
    assert 0 < np.abs(mix.image - content.numpy()).max() <= 0.1 + 1e-6


def test_lbfgs_keeps_pixels_in_range_and_lowers_the_cost(run):
    result = run(optimizer="lbfgs", steps=4, init="mix", seed=0)
    assert _in_unit_range(result.image)
    assert 1 <= len(result.history["step"]) <= 4
    assert result.history["total"][-1] < result.history["total"][0]


# ---------------------------------------------------------------- the options
def test_total_variation_smooths(run):
    plain = run(steps=5, init="noise", seed=3)
    smooth = run(steps=5, init="noise", seed=3, tv_weight=1e9)
    assert all(v > 0 for v in smooth.history["tv"]) and not any(plain.history["tv"])
    assert float(total_variation(smooth.image)) < float(total_variation(plain.image))
    assert smooth.history["total"][0] == pytest.approx(
        plain.history["total"][0] + 1e9 * smooth.history["tv"][0], rel=1e-4
    )


def test_total_variation_of_flat_and_striped_images():
    flat = tf.fill((1, 8, 8, 3), 0.5)
    assert float(total_variation(flat)) == 0.0
    stripes = tf.tile(tf.constant([0.0, 1.0])[None, None, :, None], (1, 8, 4, 3))
    assert float(total_variation(stripes)) == pytest.approx(1.0)


def test_preserve_colors_keeps_the_photos_chroma(run, pictures):
    content = pictures[0]
    result = run(steps=2, preserve_colors=True, init="content")
    plain = run(steps=2, init="content")
    ours, photo, painted = (rgb_to_yiq(x).numpy() for x in (result.image, content, plain.image))
    inside = (result.image > 0.02).all(-1) & (result.image < 0.98).all(-1)  # not clipped
    assert inside.mean() > 0.5
    np.testing.assert_allclose(ours[..., 1:][inside], photo[..., 1:][inside], atol=2e-3)
    np.testing.assert_allclose(ours[..., 0][inside], painted[..., 0][inside], atol=2e-3)


def test_keep_content_colors_resizes_the_content():
    generated = tf.random.stateless_uniform((1, 16, 16, 3), seed=(1, 2))
    content = tf.random.stateless_uniform((1, 32, 32, 3), seed=(3, 4))
    out = keep_content_colors(generated, content)
    assert out.shape == (1, 16, 16, 3) and _in_unit_range(out.numpy())


def test_style_blend_weights(run, pictures):
    _, swirls, mosaic = pictures
    alone = run(style=swirls, init="content")
    only_first = run(style=[swirls, mosaic], style_weights=[2, 0], init="content")
    np.testing.assert_allclose(only_first.image, alone.image, atol=1e-5)
    both = run(style=[swirls, mosaic], style_weights=[1, 3], init="content")
    assert both.settings["style_weights"] == (0.25, 0.75)
    assert np.abs(both.image - alone.image).max() > 1e-4
    with pytest.raises(SettingsError, match="one weight per style"):
        run(style=[swirls, mosaic], style_weights=[1])
    with pytest.raises(SettingsError, match=">= 0"):
        run(style=[swirls, mosaic], style_weights=[1, -1])
    with pytest.raises(SettingsError, match="all 0"):
        run(style=[swirls, mosaic], style_weights=[0, 0])


def test_style_scale(run, pictures):
    style = pictures[1]
    same = prepare_style_image(style, SIZE, 1.0)
    np.testing.assert_allclose(same.numpy(), style.numpy(), atol=1e-6)
    small = prepare_style_image(style, (48, 64), 0.5)
    big = prepare_style_image(style, (48, 64), 2.0)
    assert small.shape == big.shape == (1, 48, 64, 3)
    half = small.numpy()[0]
    np.testing.assert_allclose(half[:, 32:], half[:, :32][:, ::-1], atol=1e-6)  # mirrored tiles
    np.testing.assert_allclose(half[24:], half[:24][::-1], atol=1e-6)
    result = run(style_scale=0.5, steps=2, seed=11)
    assert result.settings["style_scale"] == 0.5
    # Painted with the style at half scale (tiled), not with the style as given.
    tiled = run(style=prepare_style_image(style, SIZE, 0.5), steps=2, seed=11)
    np.testing.assert_allclose(result.image, tiled.image, atol=1e-4)
    assert np.abs(result.image - run(steps=2, seed=11).image).max() > 1e-3
    for bad in (0, -1, float("nan")):
        with pytest.raises(SettingsError, match="style_scale"):
            run(style_scale=bad)
    with pytest.raises(SettingsError, match="too small"):
        run(style_scale=0.1)


def test_choice_of_layers_and_weights(run):
    result = run(
        steps=2,
        content_layers=[("block3_conv2", 0.5), ("block4_conv2", 0.5)],
        style_layers={"block1_conv1": 0.7, "block2_conv1": 0.3},
    )
    assert result.settings["content_layers"] == (("block3_conv2", 0.5), ("block4_conv2", 0.5))
    assert result.settings["style_layers"] == (("block1_conv1", 0.7), ("block2_conv1", 0.3))
    assert layer_weights(["block1_conv1", "block2_conv1"]) == (("block1_conv1", 0.5), ("block2_conv1", 0.5))
    weighted = run(steps=1, content_layers=[("block4_conv2", 2.0)])
    single = run(steps=1)
    assert weighted.history["content"][0] == pytest.approx(2 * single.history["content"][0], rel=1e-5)


@pytest.mark.parametrize(
    "options, message",
    [
        ({"content_layers": "block4_conv9"}, "Unknown VGG19 layer 'block4_conv9'.*Did you mean"),
        ({"style_layers": [("conv1_1", 1.0)]}, "Unknown VGG19 layer 'conv1_1'"),
        ({"style_layers": [("block1_conv1", -0.2)]}, "finite number >= 0"),
        ({"style_layers": [("block1_conv1", 0.5), ("block1_conv1", 0.5)]}, "twice"),
        ({"style_layers": [("block1_conv1", 0.0)]}, "at least one must be positive"),
        ({"content_layers": []}, "empty"),
        ({"alpha": -1}, "alpha"),
        ({"beta": float("nan")}, "beta"),
        ({"tv_weight": -1e-3}, "tv_weight"),
        ({"learning_rate": 0}, "learning_rate"),
        ({"optimizer": "sgd"}, "optimizer"),
        ({"init": "zeros"}, "init"),
        ({"precision": "float16"}, "precision"),
        ({"save_every": 0}, "save_every"),
        ({"steps": -1}, "steps"),
        ({"coarse_to_fine": (0.5, 0.25)}, "increasing"),
        ({"coarse_to_fine": (1.5,)}, "between 0 and 1"),
    ],
)
def test_bad_settings_get_clear_errors(run, options, message):
    with pytest.raises(SettingsError, match=message):
        run(**options)


def test_image_too_small_for_the_deepest_layer(run):
    with pytest.raises(SettingsError, match=r"too small for layer 'block5_conv1'.*at least 16"):
        run(size=(12, 40))
    run(size=(12, 40), style_layers=[("block1_conv1", 1.0), ("block2_conv1", 1.0)],
        content_layers="block3_conv1", steps=1)  # fine for shallow layers
    with pytest.raises(SettingsError, match="coarse_to_fine"):
        run(coarse_to_fine=(0.25,))


def test_coarse_to_fine(run):
    result = run(coarse_to_fine=(0.5,), steps=5, save_every=1)
    assert result.history["stage"] == [0, 0, 1, 1, 1]
    assert result.settings["steps"] == [2, 3]
    assert [img.shape[1:3] for _, img in result.snapshots[:2]] == [(24, 24)] * 2
    assert result.snapshots[-1][1].shape == (1, *SIZE, 3) == result.image.shape
    explicit = run(coarse_to_fine=(0.5,), steps=[1, 2])
    assert explicit.history["stage"] == [0, 1, 1]
    with pytest.raises(SettingsError, match="one per coarse_to_fine"):
        run(coarse_to_fine=(0.5,), steps=[1, 2, 3])


def test_default_stages_come_from_config_and_skip_stages_too_small(run):
    result = run(coarse_to_fine=None, steps=4)
    assert result.settings["coarse_to_fine"] == tuple(config.ENGINE_COARSE_TO_FINE)
    assert len(set(result.history["stage"])) == len(config.ENGINE_COARSE_TO_FINE) + 1
    small = run(coarse_to_fine=None, steps=2, size=(20, 40))  # half size would be too small for block5
    assert small.settings["coarse_to_fine"] == () and small.history["stage"] == [0, 0]


def test_bfloat16_precision(run, capsys):
    result = run(precision="bfloat16", steps=3, init="content")
    from nst_utils.transfer import bfloat16_supported

    expected = "bfloat16" if bfloat16_supported() else "float32"
    assert result.settings["precision"] == expected
    if expected == "float32":
        assert "float32" in capsys.readouterr().out
    assert np.isfinite(result.history["total"]).all()
    assert result.history["total"][-1] < result.history["total"][0]
    float32 = run(steps=1, init="content")
    assert result.history["total"][0] == pytest.approx(float32.history["total"][0], rel=0.1)


# ---------------------------------------------------------------- safety
def test_nan_cost_stops_the_run_and_says_why(run):
    def broken_content_cost(a_C, a_G):
        return COSTS["compute_content_cost"](a_C, a_G) / tf.constant(0.0)  # inf, then NaN gradients

    with pytest.raises(LossNotFiniteError, match=r"step 1.*J_content became infinite") as caught:
        run(compute_content_cost=broken_content_cost)
    assert isinstance(caught.value, NSTError) and caught.value.result is not None


def test_existing_snapshots_are_not_overwritten(run, tmp_path):
    (tmp_path / "step_00002.png").write_bytes(b"keep me")
    with pytest.raises(SettingsError, match="already exists"):
        run(steps=2, save_every=1, snapshot_dir=tmp_path)
    assert (tmp_path / "step_00002.png").read_bytes() == b"keep me"
    assert not (tmp_path / "step_00001.png").exists()  # refused before any work
    result = run(steps=2, save_every=1, snapshot_dir=tmp_path, overwrite=True)
    assert [p.name for p in result.saved] == ["step_00001.png", "step_00002.png"]
    assert (tmp_path / "step_00002.png").read_bytes() != b"keep me"


def test_stub_cost_functions_name_the_notebook(run):
    from pathlib import Path

    from nst_utils.notebook_import import _not_yet

    stub = _not_yet("total_cost", Path("04_total_cost_and_art.ipynb"))
    with pytest.raises(NotImplementedYet, match="04_total_cost_and_art.ipynb"):
        run(total_cost=stub)
    with pytest.raises(SettingsError, match="must be a function"):
        run(total_cost=3)


def test_unwritten_local_functions_say_so_before_any_tracing(run):
    # In notebook 04 total_cost and train_step are defined in the notebook itself: an unwritten
    # one is a plain function raising NotImplementedError, not the loader's stub.
    def train_step(generated_image, optimizer, compute_cost):
        raise NotImplementedError()

    def total_cost(J_content, J_style, alpha=10, beta=40):
        raise NotImplementedError()

    for name, function in (("train_step", train_step), ("total_cost", total_cost)):
        with pytest.raises(NotImplementedYet, match=rf"`{name}` is not implemented yet.*04_total_cost") as caught:
            run(**{name: function, "size": (40, 40)})  # a size no other test compiles
        assert "tensorflow" not in "".join(str(entry.path) for entry in caught.traceback)


def test_the_learners_train_step_drives_adam(run):
    seen = []

    def my_train_step(generated_image, optimizer, compute_cost):
        seen.append((type(generated_image).__name__, type(optimizer).__name__))
        return FUNCTIONS["train_step"](generated_image, optimizer, compute_cost)

    mine = run(steps=3, train_step=my_train_step)
    assert seen and seen[0][0].endswith("Variable") and seen[0][1] == "Adam"
    np.testing.assert_array_equal(mine.image, run(steps=3).image)
    with pytest.raises(SettingsError, match="train_step"):
        run(train_step=None)
    assert np.isfinite(run(train_step=None, optimizer="lbfgs", steps=2).final_loss)  # L-BFGS needs none

    def forgets_the_cost(generated_image, optimizer, compute_cost):
        return tf.constant(0.0)

    with pytest.raises(SettingsError, match="never called compute_cost"):
        run(train_step=forgets_the_cost)


def test_unknown_setting_suggests_the_right_name(run):
    with pytest.raises(SettingsError, match="no setting 'stpes'.*Did you mean 'steps'"):
        run(stpes=3)


def test_grading_mode_defaults_are_tiny(monkeypatch, vgg, capsys):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    result = style_transfer("coffee.jpg", "swirls.png", weights="random", **FUNCTIONS)
    assert result.image.shape[1:3] == config.GRADING_IMAGE_SIZE
    assert len(result.history["step"]) == config.GRADING_STEPS
    captured = capsys.readouterr()
    assert captured.err == ""  # no progress bar (nbgrader scores stderr output 0)


def test_progress_bar_goes_to_stdout(run, capsys):
    run(steps=2, progress=True, reuse_compiled=False)  # painted, whatever ran before
    captured = capsys.readouterr()
    assert "style transfer" in captured.out and "J=" in captured.out
    assert captured.err == ""


def test_plot_history(run):
    import matplotlib

    matplotlib.use("Agg")
    result = run(coarse_to_fine=(0.5,), steps=4, tv_weight=1.0)
    figure = plot_history(result)
    labels = [line.get_label() for line in figure.axes[0].get_lines()]
    assert {"J (total)", "J_content", "J_style", "J_tv"} <= set(labels)
    figure = plot_history(result.history, weighted=True, log=False)
    assert "β·J_style" in [line.get_label() for line in figure.axes[0].get_lines()]
