"""The course speaks in its own words, and every figure is also told in words.

The texts this course grew from (``../shared/reference/``, beside the
repository, not part of it) are background only. No run of 8 or more
consecutive words of their prose may appear in the notebooks' text (markdown,
and the docstrings and comments of code cells), in a docstring or comment of
``nst_utils``, or in a message of the public checks.

The comparison runs on every clone, CI included, against the committed
fingerprint of the reference texts (``tests/reference_fingerprint.py`` says
how runs are normalised and digested); where the texts are present, a test
also proves that fingerprint current.
"""

from __future__ import annotations

import ast
import json
import re
import warnings

import pytest

import reference_fingerprint as fingerprint
from nst_utils import cells, config


def prose_of_code(source: str) -> str:
    """The human text in Python code: its string constants (docstrings, messages) and comments.
    A string that is one identifier (a dictionary key, a function's name) is a name, not prose."""
    tree = ast.parse(cells.strip_magics(source))
    strings = [node.value for node in ast.walk(tree) if isinstance(node, ast.Constant)
               and isinstance(node.value, str) and not re.fullmatch(r"\w*", node.value)]
    return "\n".join(strings + re.findall(r"#[^\n]*", source))


def _notebook_texts():
    for path in sorted(config.SOURCE_DIR.glob("*.ipynb")):
        for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
            source = cells.source(cell)
            text = source if cell["cell_type"] == "markdown" else prose_of_code(source)
            yield f"{path.name}#{cell.get('id')}", text


def _python_texts():
    """Docstrings, comments and string constants (check messages) of nst_utils."""
    for path in sorted((config.REPO_ROOT / "nst_utils").rglob("*.py")):
        yield str(path.relative_to(config.REPO_ROOT)), prose_of_code(path.read_text(encoding="utf-8"))


def borrowed(text: str, reference_runs) -> list[str]:
    """The runs of ``text`` whose digests are among ``reference_runs``."""
    return sorted(" ".join(run) for key, run in fingerprint.prose_runs(text).items()
                  if key in reference_runs)


@pytest.fixture(scope="module")
def reference_runs():
    return set(fingerprint.load()["runs"])


def test_the_comparison_catches_a_copied_sentence():
    background = ("A photograph keeps its layout while a painting lends it colours and strokes; "
                  "the optimiser changes pixels until both costs are small enough.")
    runs = set(fingerprint.prose_runs(background))
    copied = "As the notes said: its layout, while a painting lends it colours and strokes; the end."
    assert borrowed(copied, runs) == ["a painting lends it colours and strokes the",
                                      "its layout while a painting lends it colours",
                                      "layout while a painting lends it colours and",
                                      "while a painting lends it colours and strokes"]
    assert not borrowed("The Gram matrix forgets where things are in the picture, "
                        "and keeps only which features fire together.", runs)


def test_the_fingerprint_holds_digests_only(reference_runs):
    stored = fingerprint.load()
    assert set(stored) == {"about", "sources", "method", "runs"}
    assert len(reference_runs) > 1000
    assert all(re.fullmatch(r"[0-9a-f]{16}", key) for key in stored["runs"])


@pytest.mark.parametrize("source", ["notebooks", "nst_utils"])
def test_no_run_of_eight_words_from_the_reference(source, reference_runs):
    texts = _notebook_texts() if source == "notebooks" else _python_texts()
    found = {where: hits for where, text in texts if (hits := borrowed(text, reference_runs))}
    assert not found, f"passages that repeat the reference texts word for word: {found}"


def test_the_fingerprint_is_current(reference_runs):
    """Made the way runs are made today everywhere; from the texts themselves where they are."""
    assert fingerprint.load()["method"] == fingerprint.method(), (
        "tests/reference_fingerprint.py now normalises or digests runs differently: "
        "run `python tests/reference_fingerprint.py` where ../shared/reference is present")
    if not fingerprint.present():  # a clone on its own (CI): nothing more to compare with
        warnings.warn(f"{fingerprint.REFERENCE_DIR} is not beside this clone: the fingerprint's "
                      "method was checked, not the texts themselves", stacklevel=1)
        return
    assert fingerprint.load() == fingerprint.make(), (
        "the reference texts changed: run `python tests/reference_fingerprint.py`")
    seed = fingerprint.words((fingerprint.REFERENCE_DIR / "seed_assignment.txt").read_text(encoding="utf-8"))
    assert borrowed("As the notes said: " + " ".join(seed[40:50]) + ".", reference_runs)


def _draws(source: str) -> bool:
    """Does the cell itself (not a function it defines) call a drawing function?"""
    for statement in ast.parse(cells.strip_magics(source)).body:
        if isinstance(statement, ast.FunctionDef):
            continue
        for node in ast.walk(statement):
            name = getattr(getattr(node, "func", None), "id", "") if isinstance(node, ast.Call) else ""
            if name.startswith("show_") or name in ("gallery", "plot_history"):
                return True
    return False


def test_every_figure_has_a_description_in_words_beside_it():
    """A learner who cannot see a figure reads what it shows in the cell before or after it."""
    missing = []
    for path in sorted(config.SOURCE_DIR.glob("*.ipynb")):
        notebook = json.loads(path.read_text(encoding="utf-8"))["cells"]
        text = [cells.source(cell) for cell in notebook]
        for i, cell in enumerate(notebook):
            if cell["cell_type"] == "code" and _draws(text[i]):
                beside = [text[j] for j in (i - 1, i + 1) if 0 <= j < len(notebook)
                          and notebook[j]["cell_type"] == "markdown"]
                if not any("in words" in t for t in beside):
                    missing.append(f"{path.name}#{cell['id']}")
    assert not missing, f"figures without a description in words beside them: {missing}"
