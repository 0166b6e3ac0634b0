"""Generate the student release from the source notebooks, and verify it.

    python -m autograder release           # regenerate notebooks/release/nst/
    python -m autograder release --check   # fail if the committed release is stale

nbgrader's ``generate_assignment`` runs in a throw-away course folder, so no
gradebook or log is left in the repository. Each notebook then gets the Colab
cell (:mod:`autograder.colab`) before its first code cell. The result is
checked: no solution text, no hidden test, no hidden-test marker, every graded
function reduced to its stub, and the current Colab cell in place.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import shutil
import sys
import tempfile
from functools import partial
from pathlib import Path

from autograder import colab
from autograder.cli import standalone
from autograder.grading.jobs import run_nbgrader
from nst_utils import cells, config

main = partial(standalone, __name__)  # main(argv=None) -> exit status: python -m autograder.<command>

FORBIDDEN = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS",
             "autograder")


def generate(destination: Path) -> None:
    """Write the student version of every source notebook into ``destination``."""
    with tempfile.TemporaryDirectory(prefix="nst-release-") as tmp:
        course = Path(tmp)
        shutil.copytree(config.SOURCE_DIR, course / "source" / config.ASSIGNMENT_ID,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        result = run_nbgrader(["generate_assignment", config.ASSIGNMENT_ID, "--force"], course)
        if result.returncode != 0:
            sys.stderr.write(result.stdout[-4000:])
            raise SystemExit("nbgrader generate_assignment failed (its output is above).")
        released = course / "release" / config.ASSIGNMENT_ID
        if destination.exists():
            shutil.rmtree(destination)
        shutil.copytree(released, destination)
    for notebook in sorted(destination.glob("*.ipynb")):
        _normalise(notebook)


def _normalise(path: Path) -> None:
    """The Colab cell added; stable, diff-friendly JSON (the same layout as the source notebooks)."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    colab.add_to(notebook)
    path.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def verify(release_dir: Path) -> list[str]:
    """Problems found in a release folder (empty when it is fit to hand out)."""
    problems = []
    expected = set(config.NOTEBOOKS)
    present = {p.name for p in release_dir.glob("*.ipynb")}
    if present != expected:
        problems.append(f"release holds {sorted(present)}, expected {sorted(expected)}")
    for name in sorted(present):
        notebook = json.loads((release_dir / name).read_text(encoding="utf-8"))
        if not colab.present(notebook):
            problems.append(f"{name}: its first code cell is not the current Colab cell")
        for index, cell in enumerate(notebook["cells"], start=1):
            source = cells.source(cell)
            for marker in FORBIDDEN:
                if marker in source:
                    problems.append(f"{name} cell {index}: contains {marker!r}")
            if cell.get("outputs"):
                problems.append(f"{name} cell {index}: has outputs")
            if cells.grading(cell).get("solution") and cell["cell_type"] == "code":
                if "raise NotImplementedError()" not in source:
                    problems.append(f"{name} cell {index}: graded cell is not a stub")
    for function, (notebook, _points) in config.GRADED_FUNCTIONS.items():
        path = release_dir / notebook
        if path.exists() and f"def {function}(" not in path.read_text(encoding="utf-8"):
            problems.append(f"{notebook}: the stub of {function} is missing")
    return problems


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--check", action="store_true",
                        help="compare a fresh release with the committed one; change nothing")


def command(args: argparse.Namespace) -> int:
    if not args.check:
        generate(config.RELEASE_DIR)
        problems = verify(config.RELEASE_DIR)
        for problem in problems:
            print("PROBLEM:", problem)
        print(f"Released {len(config.NOTEBOOKS)} notebooks to {config.RELEASE_DIR}"
              + (" with problems" if problems else ""))
        return 1 if problems else 0
    with tempfile.TemporaryDirectory(prefix="nst-release-check-") as tmp:
        fresh = Path(tmp) / config.ASSIGNMENT_ID
        generate(fresh)
        problems = verify(config.RELEASE_DIR)
        names = sorted({p.name for p in fresh.glob("*")} | {p.name for p in config.RELEASE_DIR.glob("*")})
        for name in names:
            a, b = fresh / name, config.RELEASE_DIR / name
            if not (a.exists() and b.exists() and filecmp.cmp(a, b, shallow=False)):
                problems.append(f"{name}: the committed release differs from what the source "
                                "generates; run `python -m autograder release`")
    for problem in problems:
        print("PROBLEM:", problem)
    if not problems:
        print(f"{config.RELEASE_DIR} is up to date and clean.")
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
