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


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(name: str) -> bool:
    folder = ROOT.joinpath(*name.split("."))
    return folder.with_suffix(".py").is_file() or (folder / "__init__.py").is_file()


def _imports(path: Path) -> set[str]:
    """The course's own modules ``path`` imports, anywhere in it (functions included)."""
    here = _module_name(path).split(".")
    package = here if path.name == "__init__.py" else here[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(package[:len(package) - node.level + 1] if node.level else [])
            module = ".".join(p for p in (base, node.module or "") if p)
            found |= {f"{module}.{a.name}" if _is_module(f"{module}.{a.name}") else module
                      for a in node.names}
    return {name for name in found if name.split(".")[0] in ("nst_utils", "autograder")}


def _layers() -> dict[str, tuple[str, ...]]:
    """The layer table of docs/architecture.md: modules -> what they may import."""
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    lines = text.split("## The layers", 1)[1].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    rules = {}
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        modules, allowed = (cell.strip() for cell in line.strip().strip("|").split("|"))
        rules[modules.strip("`")] = tuple(re.findall(r"`([\w.]+)`", allowed))
    return rules


def _within(name: str, prefixes) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def test_imports_follow_the_layers_the_architecture_page_draws():
    """nst_utils ships to students: it never imports autograder (no solution, no hidden
    check). And every module imports only what its layer may (docs/architecture.md)."""
    rules = _layers()
    assert {"nst_utils", "nst_utils.grading", "autograder.sandbox", "autograder"} <= set(rules)
    wrong = []
    for path in [*(ROOT / "nst_utils").rglob("*.py"), *(ROOT / "autograder").rglob("*.py")]:
        module = _module_name(path)
        layer = max((r for r in rules if _within(module, [r])), key=len)
        wrong += [f"{module} imports {name} (its layer, {layer}, may not)"
                  for name in sorted(_imports(path)) if not _within(name, rules[layer])]
    assert not wrong, "\n".join(wrong)


def _environment_reads(path: Path) -> list[str]:
    """The course's variables (``NST_*``, or a constant named ``*_ENV``/``*_ENV_VAR``) that
    ``path`` reads from the environment: ``environ.get(x)``, ``getenv(x)``, ``environ[x]``."""
    def ours(node) -> str | None:
        if isinstance(node, ast.Constant) and str(node.value).startswith("NST_"):
            return node.value
        name = getattr(node, "id", None) or getattr(node, "attr", None) or ""
        return name if name.endswith(("_ENV", "_ENV_VAR")) else None

    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and node.args and \
                getattr(node.func, "attr", getattr(node.func, "id", "")) in ("get", "getenv") and \
                ("environ" in ast.unparse(node.func) or "getenv" in ast.unparse(node.func)):
            found.append(ours(node.args[0]))
        elif isinstance(node, ast.Subscript) and isinstance(node.ctx, ast.Load) and \
                "environ" in ast.unparse(node.value):
            found.append(ours(node.slice))
    return [name for name in found if name]


def test_the_course_reads_its_environment_variables_in_one_module_per_side():
    """Settings have one home a side: the grader's overrides are read in
    autograder/settings.py, the learner's in nst_utils/config.py; nowhere else."""
    readers = {}
    for path in [*(ROOT / "nst_utils").rglob("*.py"), *(ROOT / "autograder").rglob("*.py")]:
        if _environment_reads(path):
            readers[_module_name(path)] = _environment_reads(path)
    assert readers.get("nst_utils.config") and readers.get("autograder.settings"), readers
    assert set(readers) <= {"autograder.settings", "nst_utils.config"}, readers


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
