"""The offline network, the demo's download of the real weights, and the art bench's verdict."""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import socket
import threading

import numpy as np
import pytest

from nst_utils import config
from nst_utils import weights as W
from nst_utils.weights import offline

try:
    from vgg_fixtures import isolated_search, reference_weights, weight_files  # noqa: F401
except ImportError:  # tests/ became a package
    from tests.vgg_fixtures import isolated_search, reference_weights, weight_files  # noqa: F401

ALL_CONVS = [name for name, _, _ in config.VGG19_CONV_LAYERS]


# --------------------------------------------------------------------------
# The offline network
# --------------------------------------------------------------------------
def test_offline_weights_are_deterministic_for_a_seed():
    recipe = W.load_recipe()
    a, b = W.offline_weights(), W.offline_weights(recipe)
    plain = W.random_weights(recipe["seed"])
    for name in ALL_CONVS:
        np.testing.assert_array_equal(a[name][0], b[name][0])
        np.testing.assert_allclose(a[name][0], plain[name][0] * recipe["scales"][name], rtol=1e-6)
        assert not a[name][1].any()  # zero biases: scaling commutes with ReLU and pooling
    other = W.offline_weights(dict(recipe, seed=recipe["seed"] + 1))
    assert not np.array_equal(other["block1_conv1"][0], a["block1_conv1"][0])


def test_recipe_is_current():
    """The shipped recipe is what `python -m nst_utils.weights.make_recipe` makes today."""
    from nst_utils.weights import make_recipe

    assert make_recipe.main(["--check"]) == 0


def test_fallback_is_the_offline_network_announced_on_stdout(isolated_search, capsys):
    from nst_utils.vgg19 import load_vgg19

    model = load_vgg19("auto")
    out, err = capsys.readouterr()
    assert model.weights_source == "offline"
    assert "NOTICE" in out and "OFFLINE" in out and "make weights" in out
    assert err == ""
    assert model.get_layer("block1_pool").__class__.__name__ == "AveragePooling2D"
    assert load_vgg19("random").weights_source == "offline"
    assert "offline" in W.describe_active_weights() and "make weights" in W.describe_active_weights()


def test_real_weight_files_are_still_preferred(isolated_search, weight_files, monkeypatch, capsys):
    from nst_utils.vgg19 import load_vgg19

    monkeypatch.setenv(config.WEIGHTS_ENV_VAR, str(weight_files["h5"]))
    model = load_vgg19("auto")
    assert model.weights_source == str(weight_files["h5"])
    assert "OFFLINE" not in capsys.readouterr().out
    assert model.get_layer("block1_pool").__class__.__name__ == "MaxPooling2D"
    expected = W.read_weights(weight_files["h5"])["block3_conv1"][0]
    np.testing.assert_array_equal(model.get_layer("block3_conv1").get_weights()[0], expected)
    assert str(weight_files["h5"]) in W.describe_active_weights(model.weights_source)


# --------------------------------------------------------------------------
# make demo fetches the real weights when it can (tested on the loopback only)
# --------------------------------------------------------------------------
GOOD = b"pretend these are the VGG19 weights " * 500


@pytest.fixture
def server(tmp_path):
    """A local HTTP server on 127.0.0.1 serving good.h5, counting requests."""
    root = tmp_path / "www"
    root.mkdir()
    (root / "good.h5").write_bytes(GOOD)
    requests = []

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            requests.append(args)

    httpd = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(root)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", requests
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def demo_env(isolated_search, monkeypatch):
    monkeypatch.setattr(config, "KERAS_WEIGHTS_MD5", hashlib.md5(GOOD).hexdigest())
    monkeypatch.delenv("NST_DEMO_FETCH", raising=False)
    return isolated_search


def test_demo_downloads_the_weights_when_none_are_found(demo_env, server, monkeypatch):
    from nst_utils import demo

    url, requests = server
    monkeypatch.setenv("NST_VGG19_URL", url + "/good.h5")
    lines = []
    assert demo.get_weights_if_missing(echo=lines.append) is True
    assert "80 MB" in lines[0] and "NST_DEMO_FETCH=0" in lines[0]
    target = demo_env["pretrained"] / config.KERAS_WEIGHTS_FILENAME
    assert target.read_bytes() == GOOD and "MD5 verified" in lines[-1]
    asked = len(requests)
    assert demo.get_weights_if_missing(echo=lines.append) is True  # found now: no second download
    assert len(requests) == asked


def test_demo_offline_says_one_line_and_goes_on(demo_env, monkeypatch):
    from nst_utils import demo

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}/weights.h5"
    monkeypatch.setenv("NST_VGG19_URL", closed)
    lines = []
    assert demo.get_weights_if_missing(echo=lines.append) is False
    assert len(lines) == 2  # the announcement, then one line saying why and going on
    assert "Could not download" in lines[1] and "offline network" in lines[1]
    assert list(demo_env["pretrained"].iterdir()) == []


def test_demo_download_can_be_switched_off(demo_env, server, monkeypatch):
    from nst_utils import demo

    url, requests = server
    monkeypatch.setenv("NST_VGG19_URL", url + "/good.h5")
    monkeypatch.setenv("NST_DEMO_FETCH", "0")
    lines = []
    assert demo.get_weights_if_missing(echo=lines.append) is False
    assert requests == [] and len(lines) == 1 and "offline network" in lines[0]


# --------------------------------------------------------------------------
# The art bench's verdict (bench/art_quality.py writes docs/offline_gallery.json)
# --------------------------------------------------------------------------
BENCH_RESULTS = config.REPO_ROOT / "docs" / "offline_gallery.json"


def test_art_bench_results_meet_the_goals_and_are_current():
    assert BENCH_RESULTS.is_file(), "docs/offline_gallery.json is missing: run `python bench/art_quality.py`"
    record = json.loads(BENCH_RESULTS.read_text())
    digest = hashlib.sha256(offline.RECIPE_FILE.read_bytes()).hexdigest()[:16]
    assert record["recipe"] == digest, "re-run `python bench/art_quality.py`: the recipe changed"
    rows, goals = record["rows"], record["goals"]
    mine, photo, untrained = rows["offline"], rows["photo"], rows["untrained"]
    assert mine["colour"] <= goals["colour_vs_photo_max"] * photo["colour"]
    assert mine["texture"] <= goals["texture_vs_photo_max"] * photo["texture"]
    assert mine["ssim"] >= goals["ssim_min"]
    assert mine["hf_ratio"] <= goals["hf_ratio_max"]
    assert all(record["met"].values()), record["met"]
    # The old untrained fallback loses the photo; the offline network keeps it.
    assert untrained["ssim"] < 0.1 < goals["ssim_min"] <= mine["ssim"]
    assert (config.REPO_ROOT / "docs" / "offline_gallery.png").stat().st_size > 50_000
