"""VGG19: architecture, loading from both file formats, pooling, features."""

from __future__ import annotations

import numpy as np
import pytest

from nst_utils import config
from nst_utils import weights as W
from nst_utils._tf import tf
from nst_utils.errors import WeightsError
from nst_utils.features import (
    FeatureExtractor,
    deprocess_from_vgg,
    min_input_side,
    preprocess_for_vgg,
    vgg19_layer_names,
)
from nst_utils.vgg19 import RANDOM_NOTICE, build_vgg19, load_vgg19

try:
    from vgg_fixtures import (  # noqa: F401  (pytest fixtures)
        isolated_search,
        reference_weights,
        weight_files,
        write_keras_h5,
        write_matconvnet,
    )
except ImportError:  # tests/ became a package
    from tests.vgg_fixtures import (  # noqa: F401
        isolated_search,
        reference_weights,
        weight_files,
        write_keras_h5,
        write_matconvnet,
    )

import keras  # noqa: E402

ALL_CONVS = [name for name, _, _ in config.VGG19_CONV_LAYERS]


@pytest.fixture(scope="module")
def image():
    return np.random.default_rng(7).random((1, 40, 48, 3)).astype(np.float32)


@pytest.fixture(scope="module")
def random_reference(image):
    """Activations of every conv layer from load_vgg19("untrained"): the reference."""
    extract = FeatureExtractor(ALL_CONVS, "untrained")
    return {k: v.numpy() for k, v in extract(image).items()}


# --------------------------------------------------------------------------
# Architecture
# --------------------------------------------------------------------------
def test_architecture_matches_keras_applications():
    ours = build_vgg19()
    theirs = keras.applications.VGG19(weights=None, include_top=False)
    assert [layer.name for layer in ours.layers] == [layer.name for layer in theirs.layers]
    assert [tuple(w.shape) for w in ours.weights] == [tuple(w.shape) for w in theirs.weights]
    assert ours.input_shape == (None, None, None, 3)
    # Same weights in -> same activations out.
    ours.set_weights(theirs.get_weights())
    x = np.random.default_rng(0).normal(size=(1, 32, 32, 3)).astype(np.float32) * 50
    np.testing.assert_allclose(ours(x).numpy(), theirs(x).numpy(), rtol=1e-5, atol=1e-5)


def test_layer_names_and_min_side():
    names = vgg19_layer_names()
    assert names[0] == "block1_conv1" and names[-1] == "block5_pool"
    assert len(names) == len(config.VGG19_CONV_LAYERS) + 5
    assert tuple(l.name for l in build_vgg19().layers[1:]) == names
    assert min_input_side("block1_conv1") == 1
    assert min_input_side("block2_conv1") == 2
    assert min_input_side(["block1_conv1", "block5_conv1"]) == 16
    assert min_input_side("block5_pool") == 32 == config.MIN_IMAGE_SIDE


def test_loaded_model_is_frozen(capsys):
    model = load_vgg19("random")
    assert model.trainable is False
    assert model.trainable_weights == []
    assert model.weights_source == "offline"


# --------------------------------------------------------------------------
# The two formats give identical activations
# --------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["h5", "mat"])
def test_file_formats_match_random_reference(kind, weight_files, image, random_reference):
    model = load_vgg19(weight_files[kind])
    assert model.weights_source == str(weight_files[kind])
    got = FeatureExtractor(ALL_CONVS, model=model)(image)
    for name in ALL_CONVS:
        np.testing.assert_allclose(got[name].numpy(), random_reference[name], rtol=1e-5, atol=1e-4)


def test_matconvnet_first_kernel_is_flipped_to_bgr(weight_files, reference_weights):
    import scipy.io

    raw = scipy.io.loadmat(weight_files["mat"], squeeze_me=True, struct_as_record=False)
    rgb_kernel = raw["layers"][0].weights[0]
    np.testing.assert_array_equal(rgb_kernel[:, :, ::-1, :], reference_weights["block1_conv1"][0])
    read = W.read_weights(weight_files["mat"])
    np.testing.assert_array_equal(read["block1_conv1"][0], reference_weights["block1_conv1"][0])
    np.testing.assert_array_equal(read["block2_conv1"][0], reference_weights["block2_conv1"][0])


def test_matconvnet_column_bias_and_unknown_layout(tmp_path, reference_weights):
    path = write_matconvnet(tmp_path / "col.mat", reference_weights, bias_shape="column")
    read = W.read_weights(path)
    np.testing.assert_array_equal(read["block3_conv2"][1], reference_weights["block3_conv2"][1])

    import scipy.io

    scipy.io.savemat(tmp_path / "other.mat", {"net": np.zeros((2, 2))})
    with pytest.raises(WeightsError, match="not MatConvNet's VGG19"):
        W.read_weights(tmp_path / "other.mat")


@pytest.mark.parametrize("style", ["keras2", "keras3"])
def test_h5_name_variants(style, tmp_path, reference_weights):
    path = write_keras_h5(tmp_path / f"{style}.h5", reference_weights, style=style)
    read = W.read_weights(path)
    for name in ALL_CONVS:
        np.testing.assert_array_equal(read[name][0], reference_weights[name][0])


def test_h5_written_by_keras_itself(tmp_path):
    from keras.src.legacy.saving import legacy_h5_format
    import h5py

    theirs = keras.applications.VGG19(weights=None, include_top=False)
    path = tmp_path / "keras_saved.h5"
    with h5py.File(path, "w") as f:
        legacy_h5_format.save_weights_to_hdf5_group(f, theirs)
    ours = load_vgg19(path)
    x = np.random.default_rng(1).normal(size=(1, 32, 32, 3)).astype(np.float32) * 50
    np.testing.assert_allclose(ours(x).numpy(), theirs(x).numpy(), rtol=1e-5, atol=1e-5)


# --------------------------------------------------------------------------
# Structural validation of explicitly named files
# --------------------------------------------------------------------------
def test_missing_layer_is_listed(tmp_path, reference_weights):
    path = write_keras_h5(tmp_path / "short.h5", reference_weights, skip=("block5_conv4",))
    with pytest.raises(WeightsError) as err:
        load_vgg19(path)
    assert "block5_conv4: missing" in str(err.value)
    assert str(path) in str(err.value)


def test_wrong_shape_is_listed(tmp_path, reference_weights):
    path = write_keras_h5(
        tmp_path / "bad.h5", reference_weights, reshape={"block2_conv1": (3, 3, 64, 64)}
    )
    with pytest.raises(WeightsError) as err:
        load_vgg19(path)
    message = str(err.value)
    assert "block2_conv1: kernel (3, 3, 64, 64), expected kernel (3, 3, 64, 128)" in message
    assert "block1_conv1" not in message


def test_truncated_explicit_file(tmp_path, weight_files):
    data = weight_files["h5"].read_bytes()
    path = tmp_path / "cut.h5"
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(WeightsError, match="cut.h5"):
        load_vgg19(path)


def test_bad_arguments(tmp_path):
    with pytest.raises(WeightsError, match="no weight file"):
        load_vgg19(tmp_path / "nope.h5")
    with pytest.raises(ValueError, match="pooling"):
        load_vgg19("random", pooling="min")


# --------------------------------------------------------------------------
# Random weights and "auto"
# --------------------------------------------------------------------------
def test_untrained_notice_goes_to_stdout(capsys):
    load_vgg19("untrained")
    out, err = capsys.readouterr()
    assert "RANDOM (untrained) weights" in out
    assert "will NOT look painted" in out
    assert err == ""


def test_random_is_deterministic():
    a = W.random_weights()
    b = W.random_weights()
    for name in ALL_CONVS:
        np.testing.assert_array_equal(a[name][0], b[name][0])
    assert not np.array_equal(W.random_weights(seed=1)["block1_conv1"][0], a["block1_conv1"][0])


def test_auto_falls_back_to_offline_then_uses_file(isolated_search, weight_files, capsys, monkeypatch):
    model = load_vgg19("auto")
    assert model.weights_source == "offline"
    assert "OFFLINE" in capsys.readouterr().out
    monkeypatch.setenv(config.WEIGHTS_ENV_VAR, str(weight_files["mat"]))
    model = load_vgg19("auto")
    assert model.weights_source == str(weight_files["mat"])
    assert "OFFLINE" not in capsys.readouterr().out


def test_imagenet_without_files_explains_what_to_do(isolated_search):
    with pytest.raises(WeightsError) as err:
        load_vgg19("imagenet")
    message = str(err.value)
    for needle in (
        "make weights",
        "python -m nst_utils.weights fetch",
        config.KERAS_WEIGHTS_URL,
        config.MATCONVNET_WEIGHTS_FILENAME,
        config.WEIGHTS_ENV_VAR,
        str(isolated_search["pretrained"]),
    ):
        assert needle in message


# --------------------------------------------------------------------------
# Pooling
# --------------------------------------------------------------------------
def test_avg_pooling_uses_average_layers_and_differs(image):
    avg = load_vgg19("random", pooling="avg")
    mx = load_vgg19("random", pooling="max")
    pools = [layer for layer in avg.layers if layer.name.endswith("_pool")]
    assert len(pools) == 5
    assert all(isinstance(p, keras.layers.AveragePooling2D) for p in pools)
    assert all(isinstance(mx.get_layer(p.name), keras.layers.MaxPooling2D) for p in pools)
    a = FeatureExtractor(["block1_conv1", "block3_conv1"], model=avg)(image)
    m = FeatureExtractor(["block1_conv1", "block3_conv1"], model=mx)(image)
    np.testing.assert_allclose(a["block1_conv1"].numpy(), m["block1_conv1"].numpy())
    assert not np.allclose(a["block3_conv1"].numpy(), m["block3_conv1"].numpy())


# --------------------------------------------------------------------------
# Preprocessing and the feature extractor
# --------------------------------------------------------------------------
def test_preprocess_numbers():
    pixel = np.array([[[[1.0, 0.5, 0.0]]]], np.float32)  # R=255, G=127.5, B=0
    out = preprocess_for_vgg(pixel).numpy()[0, 0, 0]
    b, g, r = config.IMAGENET_MEAN_BGR
    np.testing.assert_allclose(out, [0.0 - b, 127.5 - g, 255.0 - r], rtol=1e-6)
    mean_rgb = np.array(config.IMAGENET_MEAN_BGR[::-1], np.float32) / 255
    np.testing.assert_allclose(preprocess_for_vgg(mean_rgb.reshape(1, 1, 1, 3)).numpy(), 0, atol=1e-4)
    x = np.random.default_rng(0).random((2, 5, 6, 3)).astype(np.float32)
    np.testing.assert_allclose(deprocess_from_vgg(preprocess_for_vgg(x)).numpy(), x, atol=1e-6)
    with pytest.raises(ValueError, match="RGB"):
        preprocess_for_vgg(np.zeros((1, 4, 4, 4), np.float32))


def test_preprocess_is_differentiable():
    x = tf.Variable(np.full((1, 2, 2, 3), 0.5, np.float32))
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(preprocess_for_vgg(x))
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), 255.0)


def test_unknown_layer_lists_valid_names():
    with pytest.raises(ValueError) as err:
        FeatureExtractor(["block1_conv1", "conv4_2"], "random")
    assert "'conv4_2'" in str(err.value)
    assert "block4_conv2" in str(err.value) and "block5_pool" in str(err.value)


def test_too_small_image_is_refused(capsys):
    extract = FeatureExtractor(["block1_conv1", "block5_conv1"], "random")
    assert extract.min_side == 16
    with pytest.raises(ValueError, match=r"block5_conv1.*at least 16x16"):
        extract(np.zeros((1, 15, 40, 3), np.float32))
    out = extract(np.zeros((1, 16, 16, 3), np.float32))
    assert out["block5_conv1"].shape == (1, 1, 1, 512)


def test_extractor_in_tf_function_and_shares_model(image, capsys):
    vgg = load_vgg19("random")
    extract = FeatureExtractor(config.CONTENT_LAYER, model=vgg)
    assert extract.vgg is vgg
    eager = extract(image)[config.CONTENT_LAYER]

    @tf.function
    def content(x):
        return extract(x)[config.CONTENT_LAYER]

    np.testing.assert_allclose(content(tf.constant(image)).numpy(), eager.numpy(), rtol=1e-5, atol=1e-4)
    assert eager.shape == (1, 40 // 8, 48 // 8, 512)

    # Gradients reach the image through preprocessing and the network.
    var = tf.Variable(image)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(extract(var)[config.CONTENT_LAYER])
    gradient = tape.gradient(loss, var)
    assert gradient is not None and float(tf.reduce_max(tf.abs(gradient))) > 0


# --------------------------------------------------------------------------
# The fast gradient (nst_utils.vgg_pass)
# --------------------------------------------------------------------------
@pytest.mark.parametrize("pooling", ["max", "avg"])
def test_fast_gradient_agrees_with_tensorflows_own(pooling):
    """Same activations, number for number, and the image's gradient to rounding, at sizes pools cut."""
    vgg = load_vgg19("random", pooling=pooling)
    layers = ["block1_conv1", "block2_conv2", "block3_pool", "block4_conv2", "block5_conv1"]
    fast, keras_own = FeatureExtractor(layers, model=vgg), FeatureExtractor(layers, model=vgg, fast_gradient=False)
    assert fast.fast is not None and keras_own.fast is None
    image = tf.constant(np.random.default_rng(3).random((2, 37, 51, 3)).astype(np.float32))

    def maps_and_gradient(extract):
        with tf.GradientTape() as tape:
            tape.watch(image)
            maps = extract(image)
            cost = tf.add_n([(i + 1) * tf.reduce_mean(tf.square(maps[name])) for i, name in enumerate(layers)])
        return maps, tape.gradient(cost, image).numpy()

    (ours, ours_grad), (theirs, their_grad) = maps_and_gradient(fast), maps_and_gradient(keras_own)
    for name in layers:
        np.testing.assert_array_equal(ours[name].numpy(), theirs[name].numpy())
    np.testing.assert_allclose(ours_grad, their_grad, rtol=0, atol=1e-5 * np.abs(their_grad).max())
    assert np.abs(their_grad[:, 32:, :, :]).max() > 0  # the rows the pools cut still get a gradient


def test_fast_max_pool_gradient_breaks_ties_like_tensorflow():
    """Windows with equal largest values (zeros after ReLU, repeated pixels) give the gradient to the same one."""
    from nst_utils.vgg_pass import _max_pool_gradient

    values = np.random.default_rng(5).integers(0, 3, (2, 7, 9, 4)).astype(np.float32)  # many ties
    x = tf.constant(values)
    upstream = tf.constant(np.random.default_rng(6).random((2, 3, 4, 4)).astype(np.float32))
    with tf.GradientTape() as tape:
        tape.watch(x)
        pooled = tf.nn.max_pool2d(x, 2, 2, "VALID")
    theirs = tape.gradient(pooled, x, output_gradients=upstream).numpy()
    np.testing.assert_array_equal(_max_pool_gradient(x, pooled, upstream).numpy(), theirs)
    unknown = tf.TensorSpec([None] * 4, tf.float32)  # traced without the sizes: they are read when it runs
    traced = tf.function(_max_pool_gradient, input_signature=[unknown] * 3)
    np.testing.assert_array_equal(traced(x, pooled, upstream).numpy(), theirs)


def test_fast_pass_reads_weights_set_after_an_earlier_extractor():
    vgg = load_vgg19("random")
    image = np.random.default_rng(4).random((1, 16, 16, 3)).astype(np.float32)
    before = FeatureExtractor("block2_conv1", model=vgg)(image)["block2_conv1"].numpy()
    layer = vgg.get_layer("block1_conv2")
    kernel, bias = layer.get_weights()
    layer.set_weights([kernel * 0.5, bias])
    ours = FeatureExtractor("block2_conv1", model=vgg)(image)["block2_conv1"].numpy()
    theirs = FeatureExtractor("block2_conv1", model=vgg, fast_gradient=False)(image)["block2_conv1"].numpy()
    np.testing.assert_array_equal(ours, theirs)
    assert not np.allclose(ours, before)


def test_fast_gradient_is_skipped_where_it_would_differ(monkeypatch):
    """bfloat16 layers, NST_FAST_GRADIENT=0, or a GPU (unless NST_FAST_GRADIENT=1) use the Keras model."""
    from nst_utils.engine.models import given, network
    from nst_utils import vgg_pass

    vgg = load_vgg19("random")
    assert vgg_pass.supports(vgg) and not vgg_pass.supports(network(None, "max", "bfloat16", given(vgg)).model)
    monkeypatch.setenv(vgg_pass.ENV_VAR, "0")
    assert FeatureExtractor("block1_conv1", model=vgg).fast is None
    monkeypatch.delenv(vgg_pass.ENV_VAR)
    monkeypatch.setattr(tf.config, "list_physical_devices", lambda kind=None: ["a GPU"] if kind == "GPU" else [])
    assert FeatureExtractor("block1_conv1", model=vgg).fast is None
    monkeypatch.setenv(vgg_pass.ENV_VAR, "1")
    assert FeatureExtractor("block1_conv1", model=vgg).fast is not None


# --------------------------------------------------------------------------
# The demo
# --------------------------------------------------------------------------
def test_demo_writes_feature_map_figure(isolated_search, tmp_path, capsys):
    from nst_utils import demo

    out_dir = tmp_path / "out"
    assert demo.main(["--output", str(out_dir), "--size", "48", "64", "--only", "feature-maps"]) == 0
    figure = out_dir / "feature_maps.png"
    assert figure.is_file() and figure.stat().st_size > 10_000
    out = capsys.readouterr().out
    assert "OFFLINE" in out and str(figure) in out
    # a shallow layer at full size, the content layer at an eighth of it
    assert "block1_conv1 (48, 64, 64) and block4_conv2 (6, 8, 512)" in out
    assert "NST_DEMO_FETCH=0" in out  # the fixture switched the download off: nothing fetched
