"""Notebook cells, read and written in one way everywhere.

A cell's source may be stored as one string or as a list of lines; nbgrader
keeps its marks in ``metadata.nbgrader``; a graded exercise's solution cell
has the grade id ``<function>`` and its test cell ``test_<function>``;
IPython magics (``%matplotlib``, ``!pip``) are not Python. These helpers are
the one home of those facts, for the notebook loader, the checks' tooling and
the autograder alike.
"""

from __future__ import annotations

import ast
import re
import threading

from nst_utils import config

#: A line that IPython, not Python, runs.
MAGIC = re.compile(r"^\s*[%!]")


def source(cell) -> str:
    text = cell.get("source", "")
    return "".join(text) if isinstance(text, list) else text


def set_source(cell, text: str) -> None:
    cell["source"] = text.splitlines(keepends=True)


def grading(cell) -> dict:
    """nbgrader's metadata of ``cell`` (empty for an ordinary cell)."""
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def grade_id(cell) -> str | None:
    return grading(cell).get("grade_id") or None


def is_test(cell) -> bool:
    """A cell nbgrader scores by running it (a check cell), not one the learner writes."""
    marks = grading(cell)
    return bool(marks.get("grade")) and not marks.get("solution")


def find(notebook, wanted: str):
    """The cell of ``notebook`` whose grade id is ``wanted`` (KeyError if none)."""
    for cell in notebook["cells"]:
        if grade_id(cell) == wanted:
            return cell
    raise KeyError(wanted)


def exercise_of(identifier: str | None) -> str | None:
    """The graded function a grade id belongs to (``test_<function>`` or ``<function>``)."""
    name = (identifier or "")
    name = name[5:] if name.startswith("test_") else name
    return name if name in config.GRADED_FUNCTIONS else None


def strip_magics(text: str) -> str:
    """``text`` with IPython magic lines blanked (line numbers are kept)."""
    return "\n".join("" if MAGIC.match(line) else line for line in text.splitlines())


_PARSING = threading.Lock()


def parse_python(source: str, filename: str = "<cell>") -> ast.Module:
    """``ast.parse``, one thread at a time.

    CPython 3.11 and 3.12 can fail with ``SystemError: AST constructor recursion depth
    mismatch`` when two threads build ASTs at once (python/cpython#106905); the
    autograder parses notebooks in several Dask worker threads.
    """
    with _PARSING:
        return ast.parse(source, filename=filename)
