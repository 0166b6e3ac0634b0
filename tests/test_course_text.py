"""The course speaks in its own words, and every figure is also told in words.

The assignment this course grew from (``../shared/reference/seed_assignment.txt``,
beside the repository, not part of it) is background only. No run of 8 or more
consecutive words of its prose may appear in the notebooks' text (markdown, and the
docstrings and comments of code cells), in a docstring or comment of ``nst_utils``,
or in a message of the public checks. Text is compared as lower-case words
(punctuation, underscores and case ignored). Formulas are not prose: LaTeX is
replaced by one placeholder word on both sides, ``def`` lines (the fixed signatures)
and the argument lists of calls are left out, and a run counts only if at least
four of its words are real words (three letters or more), not symbols like n_H.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

from nst_utils import cells, config

SEED = config.REPO_ROOT.parent / "shared" / "reference" / "seed_assignment.txt"
RUN = 8

_FORMULA = re.compile(r"\$\$.*?\$\$|\$[^$\n]+\$|\\\(.*?\\\)|\\\[.*?\\\]", re.S)
_SIGNATURE = re.compile(r"^\s*def \w+\(.*$", re.M)
_ARGUMENTS = re.compile(r"\b(\w+)\([^()]*\)")


def words(text: str) -> list[str]:
    text = _SIGNATURE.sub(" ", text)
    text = _FORMULA.sub(" xformulax ", text)
    text = _ARGUMENTS.sub(r"\1", text)
    return re.findall(r"[a-z0-9]+", text.lower().replace("’", "'"))


def runs(tokens: list[str], length: int = RUN) -> set[tuple[str, ...]]:
    return {tuple(tokens[i : i + length]) for i in range(len(tokens) - length + 1)}


def prose_of_code(source: str) -> str:
    """The human text in Python code: its string constants (docstrings, messages) and comments."""
    tree = ast.parse(cells.strip_magics(source))
    strings = [node.value for node in ast.walk(tree)
               if isinstance(node, ast.Constant) and isinstance(node.value, str)]
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


def _is_prose(run: tuple[str, ...]) -> bool:
    return sum(len(word) >= 3 and word.isalpha() and word != "xformulax" for word in run) >= 4


def borrowed(text: str, seed_runs: set) -> list[str]:
    tokens = words(text)
    hits = (tuple(tokens[i : i + RUN]) for i in range(len(tokens) - RUN + 1))
    return sorted({" ".join(run) for run in hits if run in seed_runs and _is_prose(run)})


@pytest.fixture(scope="module")
def seed_runs():
    if not SEED.is_file():
        pytest.skip(f"the seed text is not beside this repository ({SEED}); nothing to compare with")
    return runs(words(SEED.read_text(encoding="utf-8")))


def test_the_comparison_catches_a_copied_sentence(seed_runs):
    seed_words = words(SEED.read_text(encoding="utf-8"))
    copied = "As the notes said: " + " ".join(seed_words[40:50]) + ", in short."
    assert borrowed(copied, seed_runs)
    assert not borrowed("The Gram matrix forgets where things are.", seed_runs)


@pytest.mark.parametrize("source", ["notebooks", "nst_utils"])
def test_no_run_of_eight_words_from_the_seed(source, seed_runs):
    texts = _notebook_texts() if source == "notebooks" else _python_texts()
    found = {where: hits for where, text in texts if (hits := borrowed(text, seed_runs))}
    assert not found, f"passages that repeat the seed text word for word: {found}"


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
