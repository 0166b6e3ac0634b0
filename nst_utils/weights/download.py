"""Downloading Keras's VGG19 file: progress bar, MD5 check, atomic write."""

from __future__ import annotations

import hashlib
import os
import socket
import urllib.error
import urllib.request
from pathlib import Path

from nst_utils import config
from nst_utils.errors import WeightsError
from nst_utils.weights.checksum import _remember_md5, cached_md5


#: Set to download from another address (a mirror; tests use a server on 127.0.0.1).
URL_ENV_VAR = config.WEIGHTS_URL_ENV_VAR


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
        "Without them the notebooks still run, on the offline network (seeded random "
        "filters, scaled so that it paints, more roughly than the real weights)."
    )


def _set_read_timeout(response, seconds: float) -> None:
    """Give the open connection a longer timeout for reads than for connecting."""
    sock = getattr(getattr(getattr(response, "fp", None), "raw", None), "_sock", None)
    if sock is not None:
        sock.settimeout(seconds)


def _download(url: str, part: Path, *, timeout: float, connect_timeout: float,
              progress: bool) -> str:
    """Stream ``url`` into ``part`` with a progress bar; the MD5 of what was written."""
    from tqdm import tqdm

    digest = hashlib.md5()
    with urllib.request.urlopen(url, timeout=connect_timeout) as response:
        _set_read_timeout(response, timeout)
        total = int(response.headers.get("Content-Length") or 0) or None
        with open(part, "wb") as out, tqdm(
            total=total, unit="B", unit_scale=True, unit_divisor=1024,
            desc=config.KERAS_WEIGHTS_FILENAME, disable=not progress,
        ) as bar:
            for chunk in iter(lambda: response.read(1 << 16), b""):
                out.write(chunk)
                digest.update(chunk)
                bar.update(len(chunk))
    return digest.hexdigest()


def _why(exc: BaseException) -> str:
    if isinstance(exc, urllib.error.HTTPError):
        return f"the server answered HTTP {exc.code} {exc.reason}"
    return str(getattr(exc, "reason", None) or exc)


def fetch(
    dest: str | os.PathLike | None = None,
    url: str | None = None,
    *,
    timeout: float = 30.0,
    connect_timeout: float | None = None,
    progress: bool = True,
) -> Path:
    """Download Keras's VGG19 'notop' file into ``dest`` and check its MD5.

    The bytes go to ``<name>.part`` first and are moved into place with
    :func:`os.replace` only once the checksum matches, so an interrupted
    download never leaves a file that looks complete. A file already there
    with the right checksum is kept as it is. ``url`` defaults to
    ``$NST_VGG19_URL``, then Keras's server. ``connect_timeout`` (default:
    ``timeout``) bounds the wait for the server to answer; ``timeout`` then
    bounds each read.

    Returns:
        The path of the verified file.

    Raises:
        DownloadError: no network, an HTTP error, or a wrong checksum (the
            partial file is deleted).
    """
    dest_dir = Path(dest) if dest is not None else Path(config.PRETRAINED_DIR)
    url = url or config.weights_url()
    target = dest_dir / config.KERAS_WEIGHTS_FILENAME
    if target.is_file() and cached_md5(target) == config.KERAS_WEIGHTS_MD5:
        return target
    dest_dir.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    try:
        digest = _download(url, part, timeout=timeout, progress=progress,
                           connect_timeout=connect_timeout or timeout)
    except BaseException as exc:
        part.unlink(missing_ok=True)
        if not isinstance(exc, (urllib.error.URLError, socket.timeout, OSError)):
            raise  # KeyboardInterrupt and the like: cleaned up, then passed on
        raise DownloadError(
            f"Could not download the VGG19 weights from {url}: {_why(exc)}.\n"
            "Is this machine offline, or behind a firewall?\n" + manual_download_help(dest_dir)
        ) from None
    if digest != config.KERAS_WEIGHTS_MD5:
        part.unlink(missing_ok=True)
        raise DownloadError(
            f"The file downloaded from {url} has MD5 {digest}, not the expected "
            f"{config.KERAS_WEIGHTS_MD5}; it was deleted. Try again (the download may have "
            "been cut short), or get the file by hand.\n" + manual_download_help(dest_dir)
        )
    os.replace(part, target)
    stat = target.stat()
    _remember_md5((str(target.resolve()), stat.st_size, stat.st_mtime_ns), digest)
    return target
