"""The student package, as pip, a handout, Colab and Binder deliver it.

* The wheel and the sdist, built from a clean copy, hold every file of
  ``nst_utils/`` and the course images, byte for byte, and nothing an
  instructor keeps (no ``autograder``, no notebook, no solution).
* Installed (not run from this clone), the package keeps the learner's
  weights and pictures in per-user folders, or in one they name.
* The handout runs: its notebooks, completed, run headless in a folder outside
  the repository with only the installed wheel, every check passing.
* The Colab cell installs the package on Colab only; Binder's environment
  resolves, offline, to the pinned versions.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from autograder import colab
from autograder.distribution import course_files
from autograder.samples import Builder
from installed_package import install, pip_env
from nst_utils import cells, config

GRADING = {"NBGRADER_EXECUTION": "autograde"}
FORBIDDEN_TEXT = (b"BEGIN SOLUTION", b"END SOLUTION", b"BEGIN HIDDEN TESTS", b"END HIDDEN TESTS")


def _expected_package_files() -> dict[str, bytes]:
    """What the wheel must hold, by its path there: nst_utils/ as in the tree, and images/
    as nst_utils/course_images/ (one copy in the repository, mapped by setup.py)."""
    files = {}
    for name in course_files():
        if name.startswith("nst_utils/"):
            files[name] = (config.REPO_ROOT / name).read_bytes()
        elif name.startswith("images/"):
            files["nst_utils/course_images/" + name.removeprefix("images/")] = \
                (config.REPO_ROOT / name).read_bytes()
    return files


def _wheel_files(wheel: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(wheel) as archive:
        return {n: archive.read(n) for n in archive.namelist() if not n.endswith("/")}


def _sdist_files(sdist: Path) -> dict[str, bytes]:
    with tarfile.open(sdist) as archive:
        return {m.name.split("/", 1)[1]: archive.extractfile(m).read()
                for m in archive.getmembers() if m.isfile()}


def _clean(files: dict[str, bytes], what: str) -> None:
    for name, data in files.items():
        top = name.split("/", 1)[0]
        assert top not in {"autograder", "notebooks", "tests", "bench"}, f"{what} holds {name}"
        assert "variants" not in name and not name.endswith(".ipynb"), f"{what} holds {name}"
        for marker in FORBIDDEN_TEXT:
            assert marker not in data, f"{what}: {name} contains {marker.decode()!r}"


def test_student_wheel_holds_all_of_nst_utils_and_nothing_an_instructor_keeps(student_package):
    expected = _expected_package_files()
    assert "nst_utils/engine/loop.py" in expected and "nst_utils/course_images/coffee.jpg" in expected
    wheel = _wheel_files(student_package.wheel)
    packaged = {n: d for n, d in wheel.items() if not n.startswith("nst_course-")}
    assert sorted(packaged) == sorted(expected)  # a new module or data file cannot be forgotten
    assert all(packaged[n] == expected[n] for n in expected), "stale copies in the wheel"
    _clean(wheel, "the wheel")
    metadata = wheel[f"nst_course-{_version()}.dist-info/METADATA"].decode()
    assert "autograder" not in metadata.split("\n\n", 1)[0].lower()  # the headers: no grader dependency


def test_student_sdist_builds_that_wheel_and_holds_nothing_else(student_package):
    """The wheel above was built from this sdist (as an index builds it), so the sdist is
    complete too; it holds the build's inputs and nothing an instructor keeps."""
    sdist = _sdist_files(student_package.sdist)
    for name, data in _expected_package_files().items():
        source = "images/" + name.removeprefix("nst_utils/course_images/") \
            if name.startswith("nst_utils/course_images/") else name
        assert sdist.get(source) == data, source
    extra = {n for n in sdist if not n.startswith(("nst_utils/", "images/", "nst_course.egg-info/"))}
    assert extra == {"PKG-INFO", "README.md", "pyproject.toml", "setup.py", "setup.cfg", "MANIFEST.in"}
    _clean(sdist, "the sdist")


def test_twine_check_passes(student_package):
    done = subprocess.run([sys.executable, "-m", "twine", "check", "--strict",
                           str(student_package.sdist), str(student_package.wheel)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("PASSED") == 2


def test_installed_package_keeps_the_learners_files_in_folders_of_their_own(installed_python, tmp_path):
    show = ("import json; from nst_utils import config; print(json.dumps({k: str(getattr(config, k))"
            " for k in ('IN_CLONE', 'IMAGES_DIR', 'PRETRAINED_DIR', 'OUTPUT_DIR')}))")
    home = tmp_path / "home"

    def paths(**extra):
        done = subprocess.run([installed_python.python, "-c", show], capture_output=True, text=True,
                              cwd=tmp_path, env=installed_python.env(home, **extra))
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    site = installed_python.site_packages
    found = paths()
    assert found["IN_CLONE"] == "False"
    assert Path(found["IMAGES_DIR"]) == site / "nst_utils" / "course_images"
    assert (Path(found["IMAGES_DIR"]) / config.DEFAULT_CONTENT_IMAGE).is_file()
    assert found["PRETRAINED_DIR"] == str(home / "data" / "nst-course" / "pretrained")
    assert found["OUTPUT_DIR"] == str(home / "data" / "nst-course" / "output")
    named = paths(NST_HOME=str(tmp_path / "mine"))
    assert (named["PRETRAINED_DIR"], named["OUTPUT_DIR"]) == (
        str(tmp_path / "mine" / "pretrained"), str(tmp_path / "mine" / "output"))
    grader = subprocess.run([installed_python.python, "-c", "import autograder"], cwd=tmp_path,
                            capture_output=True, text=True, env=installed_python.env(home))
    assert "No module named 'autograder'" in grader.stderr


def _version() -> str:
    import tomllib

    return tomllib.loads((config.REPO_ROOT / "pyproject.toml").read_text())["project"]["version"]


# ------------------------------------------------------------------ Colab and Binder
def _colab_cell(name: str) -> dict:
    notebook = json.loads((config.RELEASE_DIR / name).read_text(encoding="utf-8"))
    first_code = next(c for c in notebook["cells"] if c["cell_type"] == "code")
    assert first_code["id"] == colab.CELL_ID and first_code["metadata"] == {}  # not an nbgrader cell
    return first_code


@pytest.mark.parametrize("on_colab, grading, installs", [
    (False, False, False), (True, False, True), (True, True, False)])
def test_the_colab_cell_installs_the_package_on_colab_only(monkeypatch, capfd, on_colab, grading,
                                                           installs):
    """The cell as released, run with Colab's module present or not (Colab cannot be reached
    from here) and pip replaced by a recorder; inside nbgrader it never installs."""
    import subprocess as real
    import types

    sources = {cells.source(_colab_cell(name)) for name in config.NOTEBOOKS}
    assert len(sources) == 1  # the same cell in every notebook
    calls = []
    monkeypatch.setattr(real, "run", lambda command, **kw: calls.append(command))
    if on_colab:
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    else:
        monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    if grading:
        monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    else:
        monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    exec(compile(sources.pop(), "colab-cell", "exec"), {})
    if installs:
        assert calls == [[sys.executable, "-m", "pip", "install", "--quiet", config.COLAB_INSTALL]]
    else:
        assert calls == []
        assert capfd.readouterr() == ("", "")  # silent: a graded run shows nothing of it


def test_binder_environment_resolves_offline_to_the_pinned_versions(student_package, tmp_path):
    """environment.yml's pins plus the student package (what Binder's postBuild installs),
    resolved by pip with no index: only the tested environment's installed distributions can
    satisfy them, so the report proves the pins and the package's ranges agree, with no
    other version of anything needed. Binder itself (repo2docker, conda) cannot run here."""
    text = (config.REPO_ROOT / "environment.yml").read_text(encoding="utf-8")
    pins = [line.strip()[2:] for line in text.splitlines() if "==" in line]
    assert len(pins) >= 15
    assert "python -m pip install --no-deps --no-build-isolation -e ." in \
        (config.REPO_ROOT / "postBuild").read_text(encoding="utf-8")
    report = tmp_path / "report.json"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--no-index",
                           "--no-build-isolation", "--report", str(report), "--quiet",
                           f"{student_package.sdist}[tensorflow,lab]", *pins],
                          capture_output=True, text=True, env=pip_env())
    assert done.returncode == 0, done.stdout + done.stderr
    installs = [item["metadata"]["name"] for item in json.loads(report.read_text())["install"]]
    assert installs == ["nst-course"]


def test_the_readme_shows_the_three_ways_in_at_the_courses_address():
    """The README's clone, pip, Colab and Binder addresses are the ones config names (the
    Colab cell installs from there too), and what they open exists."""
    readme = (config.REPO_ROOT / "README.md").read_text(encoding="utf-8")
    ways = readme.split("## Three ways in", 1)[1].split("\n## ", 1)[0]
    repo, branch = config.COURSE_REPOSITORY, config.COURSE_BRANCH
    release = config.RELEASE_DIR.relative_to(config.REPO_ROOT).as_posix()
    assert f"git clone https://github.com/{repo}" in ways
    assert f'pip install "nst-course[tensorflow,lab] @ git+https://github.com/{repo}@{branch}"' in ways
    assert config.COLAB_INSTALL.endswith(f"git+https://github.com/{repo}@{branch}")
    colab_link = (f"https://colab.research.google.com/github/{repo}/blob/{branch}/{release}/"
                  f"{config.NOTEBOOKS[0]}")
    binder_link = f"https://mybinder.org/v2/gh/{repo}/{branch}?urlpath=lab/tree/{release}"
    assert f"]({colab_link})" in ways and f"]({binder_link})" in ways
    assert (config.RELEASE_DIR / config.NOTEBOOKS[0]).is_file()
    assert (config.REPO_ROOT / "postBuild").stat().st_mode & 0o111  # repo2docker runs it


# ------------------------------------------------------------------ the handout, outside the clone
@pytest.mark.slow
def test_the_handout_installs_and_runs_outside_the_clone(tmp_path):
    """A learner's folder: the handout unzipped, its wheel installed offline in a fresh
    environment, notebooks 00-04 completed and run headless at grading sizes."""
    zipped = tmp_path / "nst-handout.zip"
    done = subprocess.run([sys.executable, "-m", "autograder", "handout", "--out", str(zipped)],
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    with zipfile.ZipFile(zipped) as archive:
        archive.extractall(tmp_path / "learner")
    folder = tmp_path / "learner" / "nst-course"
    [wheel] = folder.glob("*.whl")
    assert f'pip install "./{wheel.name}[tensorflow,lab]"' in (folder / "README.txt").read_text()
    for name in config.NOTEBOOKS:  # handed out exactly as released
        assert (folder / name).read_bytes() == (config.RELEASE_DIR / name).read_bytes()
    learner = install(wheel, tmp_path / "venv")

    completed = Builder().filled()  # a learner who wrote every graded function
    for name in config.NOTEBOOKS:
        (folder / name).write_text(json.dumps(completed[name], indent=1), encoding="utf-8")
    home, executed = tmp_path / "home", tmp_path / "executed"
    run = subprocess.run([learner.python, "-m", "nst_utils.notebook_runner", ".", "--grading-mode",
                          "--out", str(executed), "--only", *config.NOTEBOOKS[:5]],
                         capture_output=True, text=True, cwd=folder, env=learner.env(home))
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    outputs = {}
    for name in config.NOTEBOOKS[:5]:
        notebook = json.loads((executed / name).read_text(encoding="utf-8"))
        outputs[name] = {c.get("id"): "".join("".join(o.get("text", "")) for o in c.get("outputs", []))
                         for c in notebook["cells"]}
    for exercise in config.EXERCISES:
        assert "all public checks passed" in outputs[exercise.notebook][exercise.test_cell], exercise
    # The kernels used the installed package (the clone's would say `make weights`) and the
    # offline network, with the course images shipped inside the wheel.
    notice = outputs["00_tour_of_vgg19.ipynb"]["load-vgg"]
    assert "OFFLINE" in notice and "`python -m nst_utils.weights fetch`" in notice
    assert outputs["00_tour_of_vgg19.ipynb"]["load-images"].startswith("content: (1, 64, 64, 3)")
    assert not (learner.site_packages / "pretrained").exists()
    assert not (learner.site_packages / "output").exists()

