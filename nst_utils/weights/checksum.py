"""The MD5 check of Keras's official file, remembered so 80 MB is hashed once."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from nst_utils import config
from nst_utils.errors import WeightsError

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

