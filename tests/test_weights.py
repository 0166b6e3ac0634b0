"""Finding, checking and downloading the VGG19 weight files (no real network)."""

from __future__ import annotations

import functools
import hashlib
import http.server
import os
import shutil
import socket
import subprocess
import threading

import numpy as np
import pytest

from nst_utils import config
from nst_utils import weights as W
from nst_utils.weights import checksum
from nst_utils.errors import WeightsError

try:
    from vgg_fixtures import isolated_search, reference_weights, weight_files  # noqa: F401
except ImportError:  # tests/ became a package
    from tests.vgg_fixtures import isolated_search, reference_weights, weight_files  # noqa: F401


# --------------------------------------------------------------------------
# Search order
# --------------------------------------------------------------------------
def _place(src, dest):
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dest)
    return dest


def test_search_order(isolated_search, weight_files, monkeypatch):
    pre, cache = isolated_search["pretrained"], isolated_search["keras_cache"]
    monkeypatch.setattr(config, "KERAS_WEIGHTS_MD5", W.file_md5(weight_files["h5"]))
    assert W.find_weights() is None

    in_cache = _place(weight_files["h5"], cache / config.KERAS_WEIGHTS_FILENAME)
    found = W.find_weights()
    assert (found.path, found.origin, found.official) == (in_cache, W.ORIGIN_KERAS_CACHE, True)

    mat = _place(weight_files["mat"], pre / config.MATCONVNET_WEIGHTS_FILENAME)
    found = W.find_weights()
    assert (found.path, found.kind, found.official) == (mat, W.MATCONVNET, False)

    h5 = _place(weight_files["h5"], pre / config.KERAS_WEIGHTS_FILENAME)
    found = W.find_weights()
    assert (found.path, found.kind, found.official) == (h5, W.KERAS_H5, True)

    monkeypatch.setenv(config.WEIGHTS_ENV_VAR, str(weight_files["mat"]))
    found = W.find_weights()
    assert (found.path, found.origin, found.official) == (weight_files["mat"], W.ORIGIN_ENV, False)


def test_keras_home_defaults_to_home(isolated_search, monkeypatch):
    monkeypatch.delenv("KERAS_HOME")
    home = isolated_search["root"] / "home"
    assert W.keras_cache_dir() == home / ".keras" / "models"


def test_env_var_naming_no_file_is_an_error(isolated_search, monkeypatch):
    monkeypatch.setenv(config.WEIGHTS_ENV_VAR, str(isolated_search["root"] / "missing.h5"))
    with pytest.raises(WeightsError, match=f"{config.WEIGHTS_ENV_VAR}.*no such file"):
        W.find_weights()


def test_env_var_file_is_checked_by_structure_not_md5(isolated_search, weight_files, monkeypatch):
    # Named like the official file, but given through the variable: no MD5 check.
    copy = _place(weight_files["h5"], isolated_search["root"] / "mine" / config.KERAS_WEIGHTS_FILENAME)
    monkeypatch.setenv(config.WEIGHTS_ENV_VAR, str(copy))
    layers = W.read_weights(W.find_weights())
    assert set(layers) == {name for name, _, _ in config.VGG19_CONV_LAYERS}


# --------------------------------------------------------------------------
# MD5 of the official file
# --------------------------------------------------------------------------
def test_corrupt_official_file_is_refused(isolated_search, weight_files):
    from nst_utils.vgg19 import load_vgg19

    path = isolated_search["pretrained"] / config.KERAS_WEIGHTS_FILENAME
    path.write_bytes(weight_files["h5"].read_bytes()[:100_000])  # truncated download
    with pytest.raises(WeightsError) as err:
        load_vgg19("imagenet")
    message = str(err.value)
    assert str(path) in message
    assert "Delete it" in message and "make weights" in message
    # "auto" must not hide a damaged file behind random weights either.
    with pytest.raises(WeightsError, match="damaged"):
        load_vgg19("auto")


def test_official_file_with_right_md5_loads(isolated_search, weight_files, monkeypatch, capsys):
    from nst_utils.vgg19 import load_vgg19

    monkeypatch.setattr(config, "KERAS_WEIGHTS_MD5", W.file_md5(weight_files["h5"]))
    path = _place(weight_files["h5"], isolated_search["keras_cache"] / config.KERAS_WEIGHTS_FILENAME)
    model = load_vgg19()
    assert model.weights_source == str(path)
    assert "NOTICE" not in capsys.readouterr().out  # neither the offline nor the untrained network
    np.testing.assert_array_equal(model.get_layer("block3_conv1").get_weights()[0],
                                  W.read_weights(path)["block3_conv1"][0])


def test_md5_is_cached_until_the_file_changes(isolated_search, weight_files, monkeypatch):
    path = _place(weight_files["h5"], isolated_search["pretrained"] / config.KERAS_WEIGHTS_FILENAME)
    calls = []
    real = W.file_md5

    def counting(p, **kw):
        calls.append(p)
        return real(p, **kw)

    monkeypatch.setattr(checksum, "file_md5", counting)
    first = W.cached_md5(path)
    assert W.cached_md5(path) == first and len(calls) == 1
    # A new process (empty memory) still finds it in the on-disk cache.
    monkeypatch.setattr(checksum, "_VERIFIED_IN_MEMORY", {})
    assert W.cached_md5(path) == first and len(calls) == 1
    assert (isolated_search["root"] / "cache" / "nst-course" / "verified-weights.json").is_file()
    # Changing the file invalidates the entry.
    with open(path, "ab") as handle:
        handle.write(b"x")
    os.utime(path, ns=(1, 1))
    assert W.cached_md5(path) != first and len(calls) == 2


def test_unknown_file_type(tmp_path):
    path = tmp_path / "weights.bin"
    path.write_bytes(b"not weights at all")
    with pytest.raises(WeightsError, match="neither an HDF5"):
        W.read_weights(path)


# --------------------------------------------------------------------------
# Download
# --------------------------------------------------------------------------
GOOD = b"pretend these are VGG19 weights " * 1000
BAD = b"pretend these are VGG19 weights " * 999 + b"but the end is damaged.........."


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A local HTTP server on 127.0.0.1 serving good.h5 and bad.h5."""
    root = tmp_path_factory.mktemp("www")
    (root / "good.h5").write_bytes(GOOD)
    (root / "bad.h5").write_bytes(BAD)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def good_md5(monkeypatch, isolated_search):
    monkeypatch.setattr(config, "KERAS_WEIGHTS_MD5", hashlib.md5(GOOD).hexdigest())


def _closed_port_url():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/weights.h5"


def test_fetch_good_file(server, good_md5, tmp_path):
    dest = tmp_path / "dest"
    path = W.fetch(dest, server + "/good.h5", progress=False)
    assert path == dest / config.KERAS_WEIGHTS_FILENAME
    assert path.read_bytes() == GOOD
    assert list(dest.iterdir()) == [path]  # no .part left behind
    # Already there and verified: kept, not downloaded again.
    assert W.fetch(dest, server + "/missing.h5", progress=False) == path


def test_fetch_corrupt_file_is_deleted(server, good_md5, tmp_path):
    dest = tmp_path / "dest"
    with pytest.raises(W.DownloadError, match="MD5") as err:
        W.fetch(dest, server + "/bad.h5", progress=False)
    assert "deleted" in str(err.value)
    assert list(dest.iterdir()) == []


def test_fetch_http_error(server, good_md5, tmp_path):
    with pytest.raises(W.DownloadError, match="HTTP 404"):
        W.fetch(tmp_path, server + "/nothing.h5", progress=False)


def test_cli_fetch(server, good_md5, tmp_path, capsys):
    dest = tmp_path / "cli"
    assert W.main(["fetch", "--dest", str(dest), "--url", server + "/good.h5"]) == 0
    out, _ = capsys.readouterr()
    assert "MD5 verified" in out and str(dest) in out


def test_cli_fetch_without_network_is_friendly(good_md5, tmp_path, capsys):
    dest = tmp_path / "offline"
    code = W.main(["fetch", "--dest", str(dest), "--url", _closed_port_url()])
    out, err = capsys.readouterr()
    assert code != 0
    assert "Traceback" not in out + err
    assert "Could not download" in err
    assert config.KERAS_WEIGHTS_URL in err  # the manual way
    assert config.WEIGHTS_ENV_VAR in err
    assert list(dest.iterdir()) == []


def test_cli_status(isolated_search, weight_files, capsys, monkeypatch):
    assert W.main(["status"]) == 0
    out = capsys.readouterr().out
    assert "not set" in out and "Nothing found" in out
    _place(weight_files["h5"], isolated_search["pretrained"] / config.KERAS_WEIGHTS_FILENAME)
    assert W.main(["status"]) == 0
    out = capsys.readouterr().out
    assert "MD5 WRONG" in out and "uses:" in out
    monkeypatch.setattr(config, "KERAS_WEIGHTS_MD5", W.file_md5(weight_files["h5"]))
    W.main(["status"])
    assert "MD5 verified" in capsys.readouterr().out


def test_installed_module_runs_without_tensorflow_and_keeps_weights_out_of_the_package(
        isolated_search, installed_python):
    """The installed student package (conftest: installed_python), as a learner runs it: the
    weights are looked for and fetched into a per-user folder, never into site-packages."""
    home = isolated_search["root"] / "home"
    env = installed_python.env(home, KERAS_HOME=str(isolated_search["keras_cache"].parent))
    code = (
        "import runpy, sys; sys.argv = ['x', 'status']\n"
        "try:\n    runpy.run_module('nst_utils.weights', run_name='__main__')\n"
        "except SystemExit as e:\n    assert e.code == 0\n"
        "assert 'tensorflow' not in sys.modules"
    )
    result = subprocess.run([installed_python.python, "-c", code], env=env, capture_output=True,
                            text=True, timeout=60, cwd=isolated_search["root"])
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    pretrained = home / "data" / "nst-course" / "pretrained"
    assert result.stdout.splitlines()[:5] == [
        "VGG19 weights, in search order:", f"  1. ${config.WEIGHTS_ENV_VAR}: not set",
        f"  2. {pretrained / config.KERAS_WEIGHTS_FILENAME}: not there",
        f"  3. {pretrained / config.MATCONVNET_WEIGHTS_FILENAME}: not there",
        f"  4. {isolated_search['keras_cache'] / config.KERAS_WEIGHTS_FILENAME}: not there"]
    assert "Run `python -m nst_utils.weights fetch` to download." in result.stdout
    fetch_help = subprocess.run([installed_python.python, "-m", "nst_utils.weights", "fetch", "--help"],
                                env={**env, "COLUMNS": "400"}, capture_output=True, text=True, timeout=60,
                                cwd=isolated_search["root"])
    assert f"(default {pretrained})" in fetch_help.stdout
    # A learner's own folder, named by $NST_HOME, takes their place.
    mine = isolated_search["root"] / "mine"
    named = subprocess.run([installed_python.python, "-m", "nst_utils.weights", "status"],
                           env={**env, "NST_HOME": str(mine)}, capture_output=True, text=True,
                           timeout=60, cwd=isolated_search["root"])
    assert f"  2. {mine / 'pretrained' / config.KERAS_WEIGHTS_FILENAME}: not there" in named.stdout
