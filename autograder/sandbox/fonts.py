"""matplotlib's font list for grading kernels, built once instead of once per kernel.

A grading kernel's ``/tmp`` is a fresh tmpfs, so matplotlib found no font
list there and rebuilt it (running ``fc-list`` and reading every font file)
in every graded notebook: about 0.35 s each. The list is made here once per
machine, *inside* a sandbox with the kernels' mounts (so it names exactly the
fonts a kernel can see), kept in the autograder's cache folder, and copied
into each kernel's ``/tmp/matplotlib``. Where it cannot be made, kernels
simply build their own, as before.
"""

from __future__ import annotations

import functools
import hashlib
import os
import subprocess
import sys
from pathlib import Path

from .mounts import MPL_DIR

_DUMP = ("import sys, matplotlib.font_manager as fm\n"
         "fm.json_dump(fm.fontManager, '/tmp/fontlist.json')\n"
         "sys.stdout.write(open('/tmp/fontlist.json').read())\n")


def file_name() -> str:
    """The name matplotlib looks for (it changes with matplotlib's font-list version)."""
    from matplotlib.font_manager import FontManager

    return f"fontlist-v{FontManager.__version__}.json"


def _cache_path() -> Path:
    import matplotlib

    from autograder.settings import cache_root

    key = hashlib.sha256(f"{matplotlib.__version__}:{sys.prefix}".encode()).hexdigest()[:12]
    return cache_root() / "sandbox-fonts" / key / file_name()


def _build(target: Path) -> None:
    from . import bwrap_executable
    from .mounts import Binds, Limits, probe_command  # noqa: I001

    binds = Binds()
    try:
        command = probe_command(bwrap_executable(), binds, Limits(), code=_DUMP,
                                env={"MPLCONFIGDIR": MPL_DIR, "HOME": "/tmp"})
        done = subprocess.run(command, capture_output=True, text=True, timeout=120,
                              stdin=subprocess.DEVNULL, pass_fds=binds.fds)
    finally:
        binds.close()
    if done.returncode != 0 or not done.stdout.lstrip().startswith("{"):
        raise RuntimeError((done.stderr or "no output")[-300:])
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f"{target.name}.{os.getpid()}")
    partial.write_text(done.stdout, encoding="utf-8")
    os.replace(partial, target)


@functools.lru_cache(maxsize=1)
def font_list() -> Path | None:
    """The font list to copy into every kernel (made on first use), or None if it cannot be."""
    try:
        target = _cache_path()
        if not target.is_file():
            _build(target)
        return target
    except Exception:  # noqa: BLE001 - a speed-up only: kernels then build their own
        return None
