"""The student package, built from a clean copy of the course: what a handout ships.

``build_student_package(out)`` copies the repository's tracked files (``git
ls-files``, plus new files git does not ignore) to a temporary folder, so that
nothing lying in the working folder (build folders, caches, a stray file) can
slip into the package or be relied upon, then runs ``python -m build`` there:
the sdist first, then the wheel from the sdist, as a package index would.
It runs offline: no build isolation, setuptools comes from this environment.
The student package holds ``nst_utils`` and the course images only (see the
repository's ``setup.py``); the instructor side is a distribution of its own.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from nst_utils import config

#: Left out of the copy when the course is not a git checkout.
NOT_COURSE = (".git", ".venv", "output", "build", "dist", "*.egg-info", "__pycache__",
              ".ipynb_checkpoints", ".pytest_cache", "*.pyc", "course")


class BuildError(RuntimeError):
    """The student package could not be built (the message says why and what to do)."""


@dataclass(frozen=True)
class StudentPackage:
    sdist: Path
    wheel: Path


def course_files(root: Path = config.REPO_ROOT) -> list[str]:
    """The course's files, relative to ``root``: what git tracks or would track."""
    listed = subprocess.run(["git", "-C", str(root), "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], capture_output=True, text=True)
    if listed.returncode == 0:
        return sorted(name for name in listed.stdout.split("\0") if (root / name).is_file())
    ignored = shutil.ignore_patterns(*NOT_COURSE)
    found = []
    for folder, dirs, files in os.walk(root):
        skip = ignored(folder, dirs + files)
        dirs[:] = [d for d in dirs if d not in skip]
        found += [str((Path(folder) / f).relative_to(root)) for f in files if f not in skip]
    return sorted(found)


def clean_copy(destination: Path, root: Path = config.REPO_ROOT) -> Path:
    """Copy the course's files into ``destination`` (which must not exist yet)."""
    for name in course_files(root):
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(root / name, target)
    return destination


def build_student_package(out: Path, root: Path = config.REPO_ROOT) -> StudentPackage:
    """Build the student sdist and wheel into ``out``; return their paths."""
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="nst-package-") as tmp:
        source = clean_copy(Path(tmp) / "course", root)
        done = subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir",
                               str(Path(tmp) / "dist"), str(source)],
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise BuildError("Building the student package failed; `make setup` installs what "
                             "the build needs (build, setuptools). Its output ends with:\n"
                             + (done.stdout + done.stderr)[-3000:])
        built = {}
        for pattern in ("*.tar.gz", "*.whl"):
            [path] = (Path(tmp) / "dist").glob(pattern)
            built[pattern] = Path(shutil.copy2(path, out / path.name))
    return StudentPackage(sdist=built["*.tar.gz"], wheel=built["*.whl"])
