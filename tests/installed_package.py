"""The student package as a learner has it: built, then installed in a fresh environment.

A fresh virtual environment holds only the student wheel, installed with
``pip --no-deps --no-index`` (no network). TensorFlow and the rest come from
the tested environment, whose ``site-packages`` a ``.pth`` file adds as a
plain folder: its editable installs (``nst_utils`` and ``autograder`` of this
clone) are not switched on there, so nothing of the clone can stand in for a
file the wheel lacks.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path


def pip_env() -> dict:
    """pip with no configuration of this machine (no index, link or constraint files)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    return env


@dataclass(frozen=True)
class Installed:
    python: Path

    def env(self, home: Path, **extra: str) -> dict:
        """A learner's environment: per-user folders under ``home``, nothing of the grader's."""
        env = {k: v for k, v in os.environ.items()
               if k not in {"PYTHONPATH", "NBGRADER_EXECUTION", "NST_HOME", "NST_OUTPUT_DIR",
                            "NST_VGG19_WEIGHTS", "VIRTUAL_ENV"}}
        env.update({"HOME": str(home), "XDG_DATA_HOME": str(home / "data"),
                    "XDG_CACHE_HOME": str(home / "cache"), "KERAS_HOME": str(home / "keras"),
                    "NST_DEMO_FETCH": "0", **extra})
        return env

    @property
    def site_packages(self) -> Path:
        return Path(subprocess.run(
            [str(self.python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            capture_output=True, text=True, check=True).stdout.strip())


def install(wheel: Path, folder: Path) -> Installed:
    """A fresh environment in ``folder`` with ``wheel`` installed, offline."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    python = folder / "bin" / "python"
    done = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install",
                           "--quiet", "--no-deps", "--no-index", str(wheel)],
                          capture_output=True, text=True, env=pip_env())
    assert done.returncode == 0, done.stdout + done.stderr
    installed = Installed(python)
    # After the install, so that pip never saw the tested environment's packages.
    (installed.site_packages / "_tested_environment.pth").write_text(
        sysconfig.get_path("purelib") + "\n", encoding="utf-8")
    return installed
