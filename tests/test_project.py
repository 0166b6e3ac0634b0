"""The project's own promises: pins agree everywhere, the layering holds, the README is true."""

import ast
import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from nst_utils import config

ROOT = config.REPO_ROOT


def _requirements(pyproject: Path, extras=()) -> list[Requirement]:
    """The requirements of a distribution (and of the extras named) that apply here."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    texts = project["dependencies"] + [r for e in extras for r in project["optional-dependencies"][e]]
    found = [Requirement(text) for text in texts]
    return [r for r in found if r.marker is None or r.marker.evaluate({"extra": ""})]


STUDENT, INSTRUCTOR = ROOT / "pyproject.toml", ROOT / "autograder" / "pyproject.toml"


def _direct_requirements() -> dict[str, Requirement]:
    """What the tested environment installs directly: both distributions, with the
    student package's TensorFlow and JupyterLab (never the course's own packages)."""
    found = _requirements(STUDENT, ["tensorflow", "lab"]) + _requirements(INSTRUCTOR)
    merged: dict[str, Requirement] = {}
    for requirement in found:
        name = canonicalize_name(requirement.name)
        if name == "nst-course":
            continue
        if name in merged:
            requirement.specifier &= merged[name].specifier
        merged[name] = requirement
    return merged


def _environment_pins() -> dict[str, str]:
    text = (ROOT / "environment.yml").read_text(encoding="utf-8")
    return {canonicalize_name(m.group(1)): m.group(2)
            for m in re.finditer(r"^\s+- ([A-Za-z0-9_.-]+)==(\S+)", text, re.M)}


def _locked() -> dict[str, str]:
    lines = (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines()
    return {canonicalize_name(l.split("==")[0]): l.split("==")[1] for l in lines if "==" in l}


def test_environment_yml_pins_every_direct_requirement_to_the_tested_version():
    """environment.yml (conda, Binder) = the direct requirements, each at constraints.txt's
    version, which the distributions' ranges allow."""
    direct, pins, locked = _direct_requirements(), _environment_pins(), _locked()
    assert set(pins) == set(direct)
    for name, requirement in direct.items():
        assert pins[name] == locked.get(name), name
        assert requirement.specifier.contains(pins[name]), (name, str(requirement.specifier))
    assert "python=3.11" in (ROOT / "environment.yml").read_text(encoding="utf-8")


def test_constraints_pin_every_requirement_within_its_range():
    locked = _locked()
    every = _requirements(STUDENT, ["tensorflow", "lab", "test", "bench"]) + _requirements(INSTRUCTOR)
    for requirement in every:
        name = canonicalize_name(requirement.name)
        if name == "nst-course":
            continue
        assert name in locked, f"{name} is not pinned in constraints.txt (`make lock`)"
        assert requirement.specifier.contains(locked[name]), (name, str(requirement.specifier))


def test_the_instructor_side_requires_this_very_student_package():
    version = tomllib.loads(STUDENT.read_text(encoding="utf-8"))["project"]["version"]
    [student] = [r for r in _requirements(INSTRUCTOR) if r.name == "nst-course"]
    assert str(student.specifier) == f"=={version}"
    assert {"tensorflow", "lab"} <= student.extras


def test_nst_utils_never_imports_autograder():
    """nst_utils ships to students: it must hold no solution and no hidden check."""
    for path in (ROOT / "nst_utils").rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                assert not name.startswith("autograder"), f"{path.name} imports {name}"


def test_readme_quick_start_is_two_make_commands_that_exist():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"^make (\w+)", quick, re.M)
    assert commands == ["demo", "test"]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in ["setup", "demo", "test", "lab", "weights"]:
        assert re.search(rf"^{target}:", makefile, re.M), target
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in ci


def test_every_make_target_in_the_readme_resolves_to_real_commands():
    """`make -n` each target the README lists: it must exist and call modules that exist."""
    import importlib.util
    import subprocess

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = sorted(set(re.findall(r"`make ([a-z-]+)", readme)))
    assert {"demo", "test", "lab", "weights", "release", "setup"} <= set(targets)
    for target in targets:
        # The stamp is older than nothing here, so setup is not re-run by -n.
        result = subprocess.run(["make", "-n", target], cwd=ROOT, capture_output=True, text=True)
        assert result.returncode == 0, (target, result.stderr)
        for module in re.findall(r"-m ([\w.]+)", result.stdout):
            if module in {"venv", "pip"}:
                continue
            assert importlib.util.find_spec(module) is not None, (target, module)
