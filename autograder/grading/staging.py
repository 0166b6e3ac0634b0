"""What a grading kernel's scratch folder starts with, and nothing more.

The inputs of the graded cases (never their answers), and, for a notebook
that imports functions from earlier ones (``import_functions`` in notebooks
03 and 04), the *reference* versions of exactly those functions, so each
exercise is graded on its own: ``import_functions`` in the learner's notebook
finds the reference, not the learner's earlier attempt.

Each earlier notebook is staged as a small notebook of its own name that
holds only the statements those functions need (their ``def``, the imports
and values they use, the further imports they make), written back from the
source's syntax tree: no other solution, no markdown, no comment of the
instructor's notebooks. The kernel runs these functions and so can read
them; what keeps them from a learner is that nothing a grading kernel
produces reaches one (see the instructor's guide).

The same layout whether the kernel is started by nbgrader's Execute step or
forked by the submission's sandbox (:mod:`autograder.grading.kernels`).
"""

from __future__ import annotations

import ast
import json
import symtable
from pathlib import Path

from autograder.grading import cases
from nst_utils import cells, config
from nst_utils.notebook_import import bound_names

_LOADER = "import_functions"


def stage(folder: Path, name: str, source: Path, sets: dict) -> None:
    """Fill ``folder`` for grading notebook ``name``, with the source notebooks in ``source``."""
    for earlier, statements in imported_definitions(source, name).items():
        (folder / earlier).write_text(json.dumps(_notebook(statements)), encoding="utf-8")
    cases.write_inputs(sets, folder)


def imported_definitions(source: Path, name: str) -> dict[str, list[str]]:
    """Earlier notebook -> the code of the statements that define what ``name`` imports
    from it (directly, or through the functions it imports)."""
    wanted = _loader_calls(_statements(source / name), name)
    while True:
        kept = {notebook: _closure(_statements(source / notebook), names)
                for notebook, names in wanted.items()}
        more = dict(wanted)
        for notebook, statements in kept.items():
            for imported, names in _loader_calls(statements, notebook).items():
                more[imported] = more.get(imported, frozenset()) | names
        if more == wanted:
            return {notebook: [ast.unparse(node) for node in kept[notebook]]
                    for notebook in sorted(kept)}
        wanted = more


def _statements(path: Path) -> list[ast.stmt]:
    """The top-level imports, definitions and assignments of a notebook's code cells."""
    if not path.is_file():
        return []
    found = []
    for cell in json.loads(path.read_text(encoding="utf-8")).get("cells", []):
        if cell.get("cell_type") != "code" or cells.is_test(cell):
            continue
        try:
            tree = cells.parse_python(cells.strip_magics(cells.source(cell)))
        except SyntaxError:
            continue
        found += [node for node in tree.body if isinstance(node, (
            ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef, ast.Assign, ast.AnnAssign))]
    return found


def _closure(statements: list[ast.stmt], names: frozenset) -> list[ast.stmt]:
    """The statements that bind ``names``, and those that bind what they use, in order."""
    needed, kept = set(names), set()
    changed = True
    while changed:
        changed = False
        for index, node in enumerate(statements):
            if index not in kept and bound_names(node) & needed:
                kept.add(index)
                needed |= _uses(node)
                changed = True
    return [node for index, node in enumerate(statements) if index in kept]


def _uses(node: ast.stmt) -> set[str]:
    """The module-level names a statement reads (a function's own arguments and locals
    are not among them)."""
    names: set[str] = set()

    def visit(table) -> None:
        module = table.get_type() == "module"
        names.update(symbol.get_name() for symbol in table.get_symbols()
                     if symbol.is_referenced() and (module or symbol.is_global()))
        for child in table.get_children():
            visit(child)

    visit(symtable.symtable(ast.unparse(node), "<staged>", "exec"))
    return names


def _loader_calls(statements: list[ast.stmt], name: str) -> dict[str, frozenset]:
    """``import_functions("X.ipynb", "f", ...)`` calls: earlier notebook X -> the names."""
    earlier = config.NOTEBOOKS[:config.NOTEBOOKS.index(name)] if name in config.NOTEBOOKS else ()
    calls: dict[str, frozenset] = {}
    for node in statements:
        for call in ast.walk(node):
            function = getattr(call, "func", None)
            if not isinstance(call, ast.Call) or _LOADER not in {
                    getattr(function, "id", None), getattr(function, "attr", None)}:
                continue
            words = [a.value for a in call.args if isinstance(a, ast.Constant)
                     and isinstance(a.value, str)]
            if len(words) >= 2 and Path(words[0]).name in earlier:
                notebook = Path(words[0]).name
                calls[notebook] = calls.get(notebook, frozenset()) | frozenset(words[1:])
    return calls


def _notebook(statements: list[str]) -> dict:
    return {"cells": [{"cell_type": "code", "id": f"staged-{index}", "metadata": {},
                       "execution_count": None, "outputs": [], "source": text}
                      for index, text in enumerate(statements)],
            "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
