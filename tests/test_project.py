"""The project's own promises: pins agree everywhere, the layering holds, the README is true."""

import ast
import re
import tomllib
from pathlib import Path

from nst_utils import config

ROOT = config.REPO_ROOT


def _pyproject_pins() -> dict[str, str]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    pins = {}
    for requirement in data["project"]["dependencies"]:
        spec = requirement.split(";")[0].strip()
        name, version = spec.split("==")
        pins[name.lower()] = version
    return pins


def _environment_pins() -> dict[str, str]:
    text = (ROOT / "environment.yml").read_text(encoding="utf-8")
    return {m.group(1).lower(): m.group(2) for m in re.finditer(r"^\s+- ([A-Za-z0-9_.-]+)==(\S+)", text, re.M)}


def test_environment_yml_has_the_same_pins_as_pyproject():
    pins = _pyproject_pins()
    # pyproject picks tensorflow-cpu on Linux x86-64 and tensorflow elsewhere: one version.
    assert pins.pop("tensorflow") == pins["tensorflow-cpu"]
    assert _environment_pins() == pins
    assert "python=3.11" in (ROOT / "environment.yml").read_text(encoding="utf-8")


def test_constraints_agree_with_pyproject():
    lines = (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines()
    locked = {l.split("==")[0].lower().replace("_", "-"): l.split("==")[1] for l in lines if "==" in l}
    for name, version in _pyproject_pins().items():
        if name == "tensorflow":
            continue
        assert locked.get(name) == version, name


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
