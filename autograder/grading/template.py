"""The grading assignment: graded source notebooks plus their gradebook, built once.

Every notebook is graded in a throw-away nbgrader course copied from this
template, so ``nbgrader generate_assignment`` runs once per version of the
source notebooks and configuration, not once per submission.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import tempfile
import threading
from pathlib import Path

from autograder.grading.nbgrader_run import run_nbgrader
from autograder.settings import cache_root
from autograder.grading.results import GRADED_NOTEBOOKS
from nst_utils import config

_lock = threading.Lock()
_built: dict[str, Path] = {}


def source_notebooks(source_dir: Path | None = None) -> list[Path]:
    folder = source_dir or config.SOURCE_DIR
    return [folder / name for name in config.NOTEBOOKS if name in GRADED_NOTEBOOKS]


def grading_code() -> dict[str, Path]:
    """The grader's own code, by name inside its package: both packages' modules (the judge,
    the cases, the harness and its runners, the public checks, this configuration...) and
    their data files."""
    files = {}
    for root in (Path(__file__).resolve().parents[1], config.PACKAGE_DIR):  # autograder, nst_utils
        found = [*root.rglob("*.py"), *(root / "data").glob("*.json")]
        files.update({path.relative_to(root.parent).as_posix(): path for path in found
                      if "__pycache__" not in path.parts})
    return dict(sorted(files.items()))


def assets_version(source_dir: Path | None = None) -> str:
    """A digest of everything that decides a grade: the source notebooks, the grader's own
    code (:func:`grading_code`) and the versions of nbgrader, TensorFlow and NumPy."""
    from importlib.metadata import PackageNotFoundError, version

    import nbgrader

    digest = hashlib.sha256(nbgrader.__version__.encode())
    for package in ("tensorflow-cpu", "tensorflow", "numpy"):
        try:
            digest.update(f"{package}=={version(package)}".encode())
        except PackageNotFoundError:
            pass
    for path in source_notebooks(source_dir):
        digest.update(path.name.encode() + path.read_bytes())
    for name, path in grading_code().items():
        digest.update(name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def template_course(source_dir: Path | None = None) -> Path:
    """A course folder with the graded source notebooks and their gradebook (cached on disk)."""
    key = assets_version(source_dir)
    with _lock:
        if key in _built and (_built[key] / "gradebook.db").exists():
            return _built[key]
        cache = cache_root()
        root = cache / key
        if not (root / "gradebook.db").exists():
            building = Path(tempfile.mkdtemp(prefix=f"{key}-", dir=cache))
            build_assignment(building, source_dir)
            try:
                os.replace(building, root)
            except OSError:  # built meanwhile by another process
                shutil.rmtree(building, ignore_errors=True)
        _built[key] = root
        return root


def build_assignment(course: Path, source_dir: Path | None = None) -> None:
    """Put the graded source notebooks in ``course/source/nst`` and register them."""
    target = course / "source" / config.ASSIGNMENT_ID
    target.mkdir(parents=True, exist_ok=True)
    for path in source_notebooks(source_dir):
        shutil.copy2(path, target / path.name)
    result = run_nbgrader(["generate_assignment", config.ASSIGNMENT_ID, "--force",
                           "--create"], course)
    if result.returncode != 0:
        raise RuntimeError("nbgrader generate_assignment failed:\n" + result.stdout[-3000:])


def copy_gradebook(source: Path, destination: Path) -> None:
    """A consistent copy of a SQLite gradebook, even while it is being written."""
    with sqlite3.connect(source) as src, sqlite3.connect(destination) as dst:
        src.backup(dst)
