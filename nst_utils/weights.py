"""Finding, checking, reading and downloading the VGG19 weights.

Two files can hold the weights of VGG19's convolutional base:

* Keras's official ``vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5``
  (about 80 MB, HDF5, kernels laid out for BGR input), and
* the original course's MatConvNet file ``imagenet-vgg-verydeep-19.mat``
  (about 550 MB, MATLAB v5, kernels laid out for RGB input).

Both are turned into the same thing here: a dict that maps every layer name
of :data:`nst_utils.config.VGG19_CONV_LAYERS` to ``(kernel, bias)`` NumPy
arrays, with ``kernel`` of shape ``(3, 3, in, out)`` and the first layer
expecting **BGR** input, as Keras's VGG19 does.

This module does not import TensorFlow, so ``python -m nst_utils.weights``
starts in a blink. Command line::

    python -m nst_utils.weights fetch [--dest DIR] [--url URL]
    python -m nst_utils.weights status
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import socket
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nst_utils import config
from nst_utils.errors import WeightsError

#: The two file formats this module reads.
KERAS_H5 = "keras-h5"
MATCONVNET = "matconvnet"

#: Where a weight file was found (``WeightsSource.origin``).
ORIGIN_ARGUMENT = "argument"
ORIGIN_ENV = "environment"
ORIGIN_PRETRAINED = "pretrained"
ORIGIN_KERAS_CACHE = "keras-cache"

_HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_MAT5_SIGNATURE = b"MATLAB 5.0 MAT-file"

LayerWeights = dict[str, tuple[np.ndarray, np.ndarray]]


# --------------------------------------------------------------------------
# Where weights are looked for
# --------------------------------------------------------------------------
@dataclass(frozen=True)
class WeightsSource:
    """A weight file and how it was found.

    ``official`` is true for a file named like Keras's official download
    that was found by the ``"imagenet"`` search (in ``pretrained/`` or in
    Keras's cache): such a file is checked against its published MD5.
    Files named explicitly (argument or ``$NST_VGG19_WEIGHTS``) are checked
    structurally instead, so instructors can use their own copies.
    """

    path: Path
    kind: str
    origin: str
    official: bool = False


def keras_cache_dir() -> Path:
    """The folder where Keras keeps downloaded models (honours ``KERAS_HOME``)."""
    home = os.environ.get("KERAS_HOME")
    base = Path(home) if home else Path(os.path.expanduser("~")) / ".keras"
    return base / "models"


def candidate_paths() -> list[tuple[str, Path | None]]:
    """Every place the ``"imagenet"`` search looks, in order.

    Returns ``(origin, path)`` pairs; the environment entry has ``None`` as
    its path when ``$NST_VGG19_WEIGHTS`` is not set.
    """
    env = os.environ.get(config.WEIGHTS_ENV_VAR) or None
    pretrained = Path(config.PRETRAINED_DIR)
    return [
        (ORIGIN_ENV, Path(env).expanduser() if env else None),
        (ORIGIN_PRETRAINED, pretrained / config.KERAS_WEIGHTS_FILENAME),
        (ORIGIN_PRETRAINED, pretrained / config.MATCONVNET_WEIGHTS_FILENAME),
        (ORIGIN_KERAS_CACHE, keras_cache_dir() / config.KERAS_WEIGHTS_FILENAME),
    ]


def detect_format(path: str | os.PathLike) -> str:
    """Tell a Keras HDF5 file from a MatConvNet file (by content, then by name)."""
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            head = handle.read(128)
    except OSError as exc:
        raise WeightsError(f"Cannot read the weight file {path}: {exc.strerror or exc}.") from None
    if head.startswith(_MAT5_SIGNATURE):
        return MATCONVNET
    if head.startswith(_HDF5_SIGNATURE):
        # MATLAB v7.3 files are HDF5 too; the name tells them apart.
        return MATCONVNET if path.suffix.lower() == ".mat" else KERAS_H5
    suffix = path.suffix.lower()
    if suffix == ".mat":
        return MATCONVNET
    if suffix in {".h5", ".hdf5"}:
        return KERAS_H5
    raise WeightsError(
        f"{path} is neither an HDF5 (.h5) nor a MATLAB (.mat) file. "
        "VGG19 weights must be Keras's .h5 file or MatConvNet's .mat file."
    )


def _is_official_name(path: Path) -> bool:
    return path.name == config.KERAS_WEIGHTS_FILENAME


def find_weights() -> WeightsSource | None:
    """The first weight file the ``"imagenet"`` search finds, or ``None``.

    Order: ``$NST_VGG19_WEIGHTS``, ``pretrained/<Keras file>``,
    ``pretrained/imagenet-vgg-verydeep-19.mat``, then Keras's cache
    ``~/.keras/models/<Keras file>`` (``$KERAS_HOME`` moves it).

    Raises:
        WeightsError: ``$NST_VGG19_WEIGHTS`` is set but names no file (a
            variable set on purpose should not be skipped silently).
    """
    for origin, path in candidate_paths():
        if path is None:
            continue
        if origin == ORIGIN_ENV:
            if not path.is_file():
                raise WeightsError(
                    f"${config.WEIGHTS_ENV_VAR} is set to {str(path)!r}, but there is no "
                    "such file. Point it at a VGG19 weight file (.h5 or .mat), or unset it."
                )
            return WeightsSource(path, detect_format(path), origin, official=False)
        if path.is_file():
            return WeightsSource(
                path, detect_format(path), origin, official=_is_official_name(path)
            )
    return None


def missing_weights_message() -> str:
    """What to tell someone who has no VGG19 weights: where we looked, what to do."""
    lines = ["No pretrained VGG19 weights were found. Looked in this order:"]
    for number, (origin, path) in enumerate(candidate_paths(), start=1):
        if origin == ORIGIN_ENV:
            where = f"${config.WEIGHTS_ENV_VAR}" + (f" = {path}" if path else " (not set)")
        else:
            where = str(path)
        lines.append(f"  {number}. {where}")
    lines += [
        "To get them, do ONE of these:",
        "  * run `make weights` (or `python -m nst_utils.weights fetch`) to download",
        f"    Keras's file (about 80 MB) into {config.PRETRAINED_DIR}/;",
        f"  * download {config.KERAS_WEIGHTS_URL}",
        f"    yourself and put it in {config.PRETRAINED_DIR}/ (keep the name "
        f"{config.KERAS_WEIGHTS_FILENAME});",
        f"  * put the original course's {config.MATCONVNET_WEIGHTS_FILENAME} "
        f"(about 550 MB) in {config.PRETRAINED_DIR}/;",
        f"  * set {config.WEIGHTS_ENV_VAR}=/path/to/your/copy (either file format).",
        'Or pass weights="auto" (or "random") to go on with an untrained VGG19; '
        "images made with it will not look painted.",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------
# MD5 check of the official file (remembered, so 80 MB is hashed once)
# --------------------------------------------------------------------------
_VERIFIED_IN_MEMORY: dict[tuple[str, int, int], str] = {}


def _md5_cache_file() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "nst-course" / "verified-weights.json"


def _read_md5_cache() -> dict:
    try:
        return json.loads(_md5_cache_file().read_text())
    except (OSError, ValueError):
        return {}


def _remember_md5(key: tuple[str, int, int], digest: str) -> None:
    _VERIFIED_IN_MEMORY[key] = digest
    cache = _read_md5_cache()
    cache[key[0]] = {"size": key[1], "mtime_ns": key[2], "md5": digest}
    target = _md5_cache_file()
    try:  # a read-only home is fine: the in-memory cache still works
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(target.name + f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(cache, indent=1, sort_keys=True))
        os.replace(tmp, target)
    except OSError:
        pass


def file_md5(path: str | os.PathLike, *, chunk_size: int = 1 << 20) -> str:
    """MD5 of a file, as 32 lowercase hex digits (no caching)."""
    digest = hashlib.md5()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()


def cached_md5(path: str | os.PathLike) -> str:
    """MD5 of a file, remembered by (path, size, mtime) in memory and on disk.

    A file that changes (new size or modification time) is hashed again.
    """
    path = Path(path).resolve()
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key in _VERIFIED_IN_MEMORY:
        return _VERIFIED_IN_MEMORY[key]
    entry = _read_md5_cache().get(key[0])
    if entry and entry.get("size") == key[1] and entry.get("mtime_ns") == key[2]:
        _VERIFIED_IN_MEMORY[key] = entry["md5"]
        return entry["md5"]
    digest = file_md5(path)
    _remember_md5(key, digest)
    return digest


def verify_official_file(path: str | os.PathLike) -> None:
    """Check a copy of Keras's official file against its published MD5.

    Raises:
        WeightsError: the checksum differs (a truncated or corrupt download);
            the message names the file and says to delete it and fetch again.
    """
    path = Path(path)
    digest = cached_md5(path)
    if digest != config.KERAS_WEIGHTS_MD5:
        size = path.stat().st_size
        raise WeightsError(
            f"The weight file {path} is damaged: its MD5 is {digest}, "
            f"but Keras's official file has {config.KERAS_WEIGHTS_MD5} "
            f"(this copy is {size:,} bytes; a half-finished download is the usual cause). "
            f"Delete it and fetch it again with `make weights` "
            f"(or `python -m nst_utils.weights fetch`)."
        )


# --------------------------------------------------------------------------
# Readers
# --------------------------------------------------------------------------
def _h5_string_list(group, name: str) -> list[str]:
    """An attribute holding a list of names; Keras splits long ones as name0, name1, ..."""
    if name in group.attrs:
        raw = list(group.attrs[name])
    else:
        raw, part = [], 0
        while f"{name}{part}" in group.attrs:
            raw.extend(group.attrs[f"{name}{part}"])
            part += 1
    return [item.decode("utf8") if isinstance(item, bytes) else str(item) for item in raw]


def read_keras_h5(path: str | os.PathLike) -> LayerWeights:
    """Read a Keras legacy-HDF5 weight file into ``{layer: (kernel, bias)}``.

    The layout: the root (or its ``model_weights`` group, in whole-model
    files) lists the layers in the attribute ``layer_names``; each layer's
    group lists its arrays in ``weight_names``, e.g.
    ``block1_conv1_W_1:0`` / ``block1_conv1_b_1:0`` in the official file,
    ``block1_conv1/kernel:0`` from Keras 2 or ``block1_conv1/kernel`` from
    Keras 3. The kernel is told from the bias by its rank (4 vs 1), not by
    its name. Layers without weights (pooling) are skipped.
    """
    import h5py

    path = Path(path)
    try:
        handle = h5py.File(path, "r")
    except OSError as exc:
        raise WeightsError(
            f"Cannot open {path} as an HDF5 weight file ({exc}). The file is probably "
            "truncated or not a Keras weight file; delete it and fetch it again "
            "(`make weights`)."
        ) from None
    layers: LayerWeights = {}
    try:
        with handle:
            root = handle["model_weights"] if "model_weights" in handle else handle
            names = _h5_string_list(root, "layer_names") or [
                key for key in root.keys() if isinstance(root[key], h5py.Group)
            ]
            for layer in names:
                if layer not in root:
                    continue
                group = root[layer]
                arrays = [np.asarray(group[w]) for w in _h5_string_list(group, "weight_names")]
                if not arrays:
                    continue
                kernels = [a for a in arrays if a.ndim == 4]
                biases = [a for a in arrays if a.ndim == 1]
                kernel = kernels[0] if len(kernels) == 1 else None
                bias = biases[0] if len(biases) == 1 else None
                layers[layer] = (kernel, bias)
    except (OSError, KeyError, ValueError) as exc:
        raise WeightsError(
            f"Cannot read the weights in {path} ({exc}). The file is probably truncated "
            "or damaged; delete it and fetch it again (`make weights`)."
        ) from None
    return layers


def _matconvnet_to_keras_name(name: str) -> str | None:
    """``conv3_4`` -> ``block3_conv4``; anything else -> ``None``."""
    if not name.startswith("conv"):
        return None
    block, _, index = name[4:].partition("_")
    if block.isdigit() and index.isdigit():
        return f"block{block}_conv{index}"
    return None


def _mat_field(struct, field: str):
    value = getattr(struct, field, None)
    if isinstance(value, np.ndarray) and value.dtype.kind in "US" and value.size == 1:
        return str(value.item())
    return value


def read_matconvnet(path: str | os.PathLike) -> LayerWeights:
    """Read MatConvNet's ``imagenet-vgg-verydeep-19.mat`` into ``{layer: (kernel, bias)}``.

    The file (MatConvNet's "SimpleNN" layout, the one the original course
    used) holds a ``layers`` cell array of structs. Each convolution has
    ``name`` (``conv1_1`` ...), ``type`` ``'conv'`` and ``weights``, a cell
    ``{kernel, bias}`` with ``kernel`` of shape ``(3, 3, in, out)`` and
    ``bias`` of shape ``(out, 1)`` or ``(1, out)``. (Older copies use
    ``filters``/``biases`` fields instead; those are read too.) Names are
    mapped ``convB_I`` -> ``blockB_convI``.

    **Colour order.** MatConvNet's VGG takes RGB images minus the mean
    (``meta.normalization.averageImage``, the same ImageNet means), while
    Keras's VGG19 takes BGR images minus the means. The kernels have the
    same (height, width, in, out) layout as TensorFlow's, so the only
    conversion needed is to reverse the *input-channel* axis of the first
    kernel (RGB -> BGR). After that, both files give the same activations
    for the same input from :func:`nst_utils.features.preprocess_for_vgg`.
    """
    import scipy.io

    path = Path(path)
    try:
        data = scipy.io.loadmat(
            path, squeeze_me=True, struct_as_record=False, variable_names=["layers"]
        )
    except NotImplementedError:
        raise WeightsError(
            f"{path} is a MATLAB v7.3 file, which SciPy cannot read. Re-save it in "
            "MATLAB with save(..., '-v7'), or use Keras's .h5 file (`make weights`)."
        ) from None
    except Exception as exc:  # scipy raises many kinds on a damaged file
        raise WeightsError(
            f"Cannot read {path} as a MATLAB file ({exc}). It is probably truncated or "
            "damaged; download it again, or use Keras's .h5 file (`make weights`)."
        ) from None
    if "layers" not in data:
        raise WeightsError(
            f"{path} is a MATLAB file but not MatConvNet's VGG19 in the layout this course "
            "reads (no top-level 'layers' cell array; DagNN files are not supported). "
            f"Use the original {config.MATCONVNET_WEIGHTS_FILENAME} or Keras's .h5 file "
            "(`make weights`)."
        )
    layers: LayerWeights = {}
    for entry in np.atleast_1d(data["layers"]):
        if isinstance(entry, np.ndarray):  # a cell holding a 1x1 struct array
            entry = entry.flat[0]
        name = _mat_field(entry, "name")
        if not isinstance(name, str) or _mat_field(entry, "type") not in (None, "conv"):
            continue
        keras_name = _matconvnet_to_keras_name(name)
        if keras_name is None:
            continue
        weights = _mat_field(entry, "weights")
        if weights is not None and len(weights) == 2:
            kernel, bias = weights[0], weights[1]
        elif hasattr(entry, "filters") and hasattr(entry, "biases"):
            kernel, bias = entry.filters, entry.biases
        else:
            continue
        kernel = np.asarray(kernel, dtype=np.float32)
        bias = np.asarray(bias, dtype=np.float32).reshape(-1)
        if kernel.ndim == 3:  # squeeze_me drops a trailing out-channel axis of 1
            kernel = kernel[..., np.newaxis]
        layers[keras_name] = (kernel, bias)
    if not layers:
        raise WeightsError(
            f"{path} has a 'layers' array but no convolution weights this course can read "
            "(expected structs with name 'conv1_1'..., type 'conv' and a 'weights' cell). "
            f"Use the original {config.MATCONVNET_WEIGHTS_FILENAME} or Keras's .h5 file."
        )
    first = config.VGG19_CONV_LAYERS[0][0]
    if first in layers and layers[first][0] is not None and layers[first][0].shape[2] == 3:
        kernel, bias = layers[first]
        layers[first] = (np.ascontiguousarray(kernel[:, :, ::-1, :]), bias)
    return layers


def validate_weights(layers: LayerWeights, path: str | os.PathLike) -> None:
    """Check that every VGG19 convolution is present with the right shapes.

    Raises:
        WeightsError: listing every missing layer and every wrong shape.
    """
    problems = []
    for name, n_in, n_out in config.VGG19_CONV_LAYERS:
        if name not in layers:
            problems.append(f"{name}: missing")
            continue
        kernel, bias = layers[name]
        want_k, want_b = (3, 3, n_in, n_out), (n_out,)
        if kernel is None or tuple(kernel.shape) != want_k:
            got = "no single 4-D kernel" if kernel is None else f"kernel {tuple(kernel.shape)}"
            problems.append(f"{name}: {got}, expected kernel {want_k}")
        if bias is None or tuple(bias.shape) != want_b:
            got = "no single 1-D bias" if bias is None else f"bias {tuple(bias.shape)}"
            problems.append(f"{name}: {got}, expected bias {want_b}")
    if problems:
        listed = "\n  ".join(problems)
        raise WeightsError(
            f"{path} does not hold VGG19's convolutional weights:\n  {listed}\n"
            "Use Keras's VGG19 'notop' file (`make weights`) or MatConvNet's "
            f"{config.MATCONVNET_WEIGHTS_FILENAME}."
        )


def read_weights(source: WeightsSource | str | os.PathLike) -> LayerWeights:
    """Read, check and return ``{layer: (kernel float32, bias float32)}`` (BGR layout).

    An official file found by the search is checked by MD5 first; every
    file is then checked structurally.
    """
    if not isinstance(source, WeightsSource):
        path = Path(source).expanduser()
        if not path.is_file():
            raise WeightsError(f"There is no weight file at {path}.")
        source = WeightsSource(path, detect_format(path), ORIGIN_ARGUMENT)
    if source.official:
        verify_official_file(source.path)
    reader = read_keras_h5 if source.kind == KERAS_H5 else read_matconvnet
    layers = reader(source.path)
    validate_weights(layers, source.path)
    return {
        name: (np.asarray(layers[name][0], np.float32), np.asarray(layers[name][1], np.float32))
        for name, _, _ in config.VGG19_CONV_LAYERS
    }


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


# --------------------------------------------------------------------------
# Download
# --------------------------------------------------------------------------
class DownloadError(WeightsError):
    """The download failed (no network, HTTP error, or a wrong checksum)."""


def manual_download_help(dest: Path) -> str:
    return (
        "You can also get the weights by hand:\n"
        f"  * download {config.KERAS_WEIGHTS_URL}\n"
        f"    on a machine with internet access and copy it to {dest}/ "
        f"(keep the name {config.KERAS_WEIGHTS_FILENAME}); or\n"
        f"  * put the original course's {config.MATCONVNET_WEIGHTS_FILENAME} in "
        f"{config.PRETRAINED_DIR}/; or\n"
        f"  * set {config.WEIGHTS_ENV_VAR}=/path/to/a/copy.\n"
        "Without weights the notebooks still run with an untrained VGG19, "
        "but the images will not look painted."
    )


def fetch(
    dest: str | os.PathLike | None = None,
    url: str | None = None,
    *,
    timeout: float = 30.0,
    progress: bool = True,
) -> Path:
    """Download Keras's VGG19 'notop' file into ``dest`` and check its MD5.

    The bytes go to ``<name>.part`` first and are moved into place with
    :func:`os.replace` only once the checksum matches, so an interrupted
    download never leaves a file that looks complete. A file already there
    with the right checksum is kept as it is.

    Returns:
        The path of the verified file.

    Raises:
        DownloadError: no network, an HTTP error, or a wrong checksum (the
            partial file is deleted).
    """
    from tqdm import tqdm

    dest_dir = Path(dest) if dest is not None else Path(config.PRETRAINED_DIR)
    url = url or config.KERAS_WEIGHTS_URL
    target = dest_dir / config.KERAS_WEIGHTS_FILENAME
    if target.is_file() and cached_md5(target) == config.KERAS_WEIGHTS_MD5:
        return target
    dest_dir.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    digest = hashlib.md5()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            total = int(response.headers.get("Content-Length") or 0) or None
            with open(part, "wb") as out, tqdm(
                total=total,
                unit="B",
                unit_scale=True,
                unit_divisor=1024,
                desc=config.KERAS_WEIGHTS_FILENAME,
                disable=not progress,
            ) as bar:
                for chunk in iter(lambda: response.read(1 << 16), b""):
                    out.write(chunk)
                    digest.update(chunk)
                    bar.update(len(chunk))
    except BaseException as exc:
        part.unlink(missing_ok=True)
        if not isinstance(exc, (urllib.error.URLError, socket.timeout, OSError)):
            raise  # KeyboardInterrupt and the like: cleaned up, then passed on
        if isinstance(exc, urllib.error.HTTPError):
            why = f"the server answered HTTP {exc.code} {exc.reason}"
        else:
            why = str(getattr(exc, "reason", None) or exc)
        raise DownloadError(
            f"Could not download the VGG19 weights from {url}: {why}.\n"
            "Is this machine offline, or behind a firewall?\n" + manual_download_help(dest_dir)
        ) from None
    if digest.hexdigest() != config.KERAS_WEIGHTS_MD5:
        part.unlink(missing_ok=True)
        raise DownloadError(
            f"The file downloaded from {url} has MD5 {digest.hexdigest()}, not the expected "
            f"{config.KERAS_WEIGHTS_MD5}; it was deleted. Try again (the download may have "
            "been cut short), or get the file by hand.\n" + manual_download_help(dest_dir)
        )
    os.replace(part, target)
    stat = target.stat()
    _remember_md5((str(target.resolve()), stat.st_size, stat.st_mtime_ns), digest.hexdigest())
    return target


# --------------------------------------------------------------------------
# Status report and command line
# --------------------------------------------------------------------------
def status_report() -> str:
    """Where weights are looked for, what is there, and which file would be used."""
    lines = ["VGG19 weights, in search order:"]
    chosen = None
    for number, (origin, path) in enumerate(candidate_paths(), start=1):
        if path is None:
            lines.append(f"  {number}. ${config.WEIGHTS_ENV_VAR}: not set")
            continue
        label = f"${config.WEIGHTS_ENV_VAR} = {path}" if origin == ORIGIN_ENV else str(path)
        if not path.is_file():
            lines.append(f"  {number}. {label}: not there")
            continue
        size = path.stat().st_size
        if origin != ORIGIN_ENV and _is_official_name(path):
            ok = cached_md5(path) == config.KERAS_WEIGHTS_MD5
            state = "MD5 verified" if ok else "MD5 WRONG - delete it and run `make weights`"
        else:
            state = "present (checked by structure when loaded)"
        lines.append(f"  {number}. {label}: {size / 1e6:.1f} MB, {state}")
        if chosen is None:
            chosen = label
    if chosen:
        lines.append(f'weights="imagenet" uses: {chosen}')
    else:
        lines.append('Nothing found: weights="auto" falls back to an untrained VGG19.')
        lines.append("Run `make weights` (or `python -m nst_utils.weights fetch`) to download.")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m nst_utils.weights", description="Get or inspect the VGG19 weights."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    get = commands.add_parser("fetch", help="download Keras's VGG19 weights and check them")
    get.add_argument("--dest", default=None, help=f"folder to put them in (default {config.PRETRAINED_DIR})")
    get.add_argument("--url", default=None, help="download from here instead of Keras's server")
    commands.add_parser("status", help="show where weights are looked for and what is there")
    args = parser.parse_args(argv)

    if args.command == "status":
        print(status_report())
        return 0
    try:
        path = fetch(args.dest, args.url)
    except WeightsError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nDownload interrupted; nothing was kept.", file=sys.stderr)
        return 130
    print(f"VGG19 weights ready: {path} (MD5 verified)")
    return 0


if __name__ == "__main__":  # pragma: no cover - exercised through main()
    sys.exit(main())
