"""docs/architecture.md stays true: what it names exists, and nothing is left out."""

import re

from nst_utils import config

PAGE = config.REPO_ROOT / "docs" / "architecture.md"


def _named() -> set[str]:
    return set(re.findall(r"`([\w./]+\.(?:py|ipynb|json))`", PAGE.read_text(encoding="utf-8")))


def _modules(package: str) -> set[str]:
    root = config.REPO_ROOT / package
    return {str(p.relative_to(root)) for p in root.rglob("*.py")
            if "__pycache__" not in p.parts and p.name != "__init__.py"}


def test_every_path_the_page_names_exists():
    text = PAGE.read_text(encoding="utf-8")
    for path in re.findall(r"`((?:nst_utils|autograder|notebooks|tests|docs)/[\w./*]+)`", text):
        if "*" in path:
            assert list(config.REPO_ROOT.glob(path)), path
        else:
            assert (config.REPO_ROOT / path).exists(), path


def test_every_module_is_on_the_page():
    text = PAGE.read_text(encoding="utf-8")
    named = _named()
    missing = []
    for package in ("nst_utils", "autograder"):
        for module in sorted(_modules(package)):
            name = module.rsplit("/", 1)[-1]
            folder = module.split("/", 1)[0] + "/" if "/" in module else ""
            stem = name[:-3]
            if name in named or f"{package}/{module}" in named or module in named:
                continue
            if folder and f"`{folder}`" in text and stem in text:
                continue  # a sub-package's room, listed by name beside its folder
            missing.append(f"{package}/{module}")
    assert not missing, f"modules the architecture page does not mention: {missing}"


def _table(heading: str) -> list[list[str]]:
    """The rows of the first table under ``heading``, as lists of cells (its header left out)."""
    lines = PAGE.read_text(encoding="utf-8").split(heading, 1)[1].splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("|"))
    rows = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows[2:]


def test_every_process_on_the_page_runs_a_module_that_exists():
    processes = _table("### The processes")
    assert len(processes) >= 6
    for name, _started_by, runs, _sees in processes:
        paths = re.findall(r"`((?:nst_utils|autograder)/[\w./]+\.py)`", runs)
        assert paths, f"the process {name} names no module it runs"
        for path in paths:
            assert (config.REPO_ROOT / path).is_file(), (name, path)
