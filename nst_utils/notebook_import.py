"""Use functions you wrote in an earlier notebook, without re-running it.

Notebook 03 needs the ``gram_matrix`` you wrote in notebook 02; notebook 04
needs all of your cost functions. Rather than copying code between notebooks
(and fixing a bug in one copy only), a later notebook imports the earlier
one's *definitions*::

    gram_matrix = import_functions("02_gram_matrix.ipynb", "gram_matrix")

Only cheap, side-effect-free top-level statements of the earlier notebook are
run: ``import`` lines, ``def`` and ``class`` blocks, assignments of plain
values (numbers, strings, tuples, names such as ``config.STYLE_LAYERS``) and
further ``import_functions(...)`` calls. Cells that load images, build VGG19,
plot or optimise are skipped, so importing takes milliseconds.

If a function you ask for is still the stub handed out with the assignment,
you get it back anyway (so the rest of your notebook still runs), a note is
printed, and calling it raises :class:`~nst_utils.errors.NotImplementedYet`
naming the notebook to finish first.
"""

from __future__ import annotations

import ast
import builtins
import json
import linecache
import sys
import types
from pathlib import Path
from typing import Callable

from nst_utils import cells as cells_
from nst_utils.errors import NSTError, NotImplementedYet

__all__ = ["import_functions", "load_definitions", "is_stub", "bound_names"]

_LOADER_NAME = "import_functions"


def _notebook_code_cells(path: Path) -> list[str]:
    try:
        with open(path, encoding="utf-8") as handle:
            notebook = json.load(handle)
    except FileNotFoundError:
        raise _missing(path) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise NSTError(
            f"Cannot import from {path}: it is not a readable notebook ({exc}). "
            "Open it in JupyterLab and save it again."
        ) from None
    cells = []
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        if cells_.is_test(cell):
            continue  # a check cell: it tests definitions, it defines nothing
        cells.append(cells_.source(cell))
    return cells


def _is_plain_value(node: ast.AST, known: set[str]) -> bool:
    """Literals, names defined by kept statements, attributes of those: no calls."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Name):
        return node.id in known
    if isinstance(node, ast.Attribute):
        return _is_plain_value(node.value, known)
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return all(_is_plain_value(elt, known) for elt in node.elts)
    if isinstance(node, ast.Dict):
        return all(_is_plain_value(k, known) for k in node.keys if k is not None) and all(
            _is_plain_value(v, known) for v in node.values
        )
    if isinstance(node, ast.UnaryOp):
        return _is_plain_value(node.operand, known)
    if isinstance(node, ast.BinOp):
        return _is_plain_value(node.left, known) and _is_plain_value(node.right, known)
    return False


def _is_loader_call(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
    return name == _LOADER_NAME


def bound_names(node: ast.stmt) -> set[str]:
    """The names a top-level import, definition or assignment binds."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return {(alias.asname or alias.name).split(".")[0] for alias in node.names}
    if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
        return {node.name}
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}


def _keep(node: ast.stmt, known: set[str]) -> bool:
    """Keep imports, definitions and assignments of plain values; track what they bind."""
    if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)):
        keep = True
    elif isinstance(node, (ast.Assign, ast.AnnAssign)):
        value = node.value
        keep = value is not None and (_is_plain_value(value, known) or _is_loader_call(value))
    else:
        keep = False
    if keep:
        known |= bound_names(node)
    return keep


def is_stub(func: Callable) -> bool:
    """True when ``func`` is still the handed-out stub (its body raises NotImplementedError)."""
    return bool(getattr(func, "__nst_stub__", False))


def _stub_functions(tree: ast.Module) -> set[str]:
    stubs = set()
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef):
            continue
        for stmt in node.body:
            if isinstance(stmt, ast.Raise) and stmt.exc is not None:
                exc = stmt.exc.func if isinstance(stmt.exc, ast.Call) else stmt.exc
                if isinstance(exc, ast.Name) and exc.id == "NotImplementedError":
                    stubs.add(node.name)
    return stubs


def _not_yet(name: str, notebook: Path) -> Callable:
    def stub(*args, **kwargs):
        raise NotImplementedYet(
            f"`{name}` from {notebook.name} is not implemented yet. Complete that "
            f"exercise in {notebook.name}, save the notebook, then run this cell again."
        )

    stub.__name__ = name
    stub.__nst_stub__ = True
    return stub


def _load(path: Path) -> dict:
    module = types.ModuleType(f"notebook:{path.stem}")
    module.__file__ = str(path)
    namespace = module.__dict__
    stubs: set[str] = set()
    known = set(dir(builtins))
    for index, source in enumerate(_notebook_code_cells(path), start=1):
        code = cells_.strip_magics(source)
        try:
            tree = cells_.parse_python(code, filename=f"<{path.name}, code cell {index}>")
        except SyntaxError as exc:
            raise NSTError(
                f"Cannot import from {path.name}: code cell {index} has a syntax error "
                f"on its line {exc.lineno}: {exc.msg}. Fix it there, save, and try again."
            ) from None
        stubs |= _stub_functions(tree)
        kept = [node for node in tree.body if _keep(node, known)]
        if not kept:
            continue
        block = ast.Module(body=kept, type_ignores=[])
        filename = f"<{path.name}, code cell {index}>"
        # Register the cell's text so inspect.getsource (and TensorFlow's AutoGraph,
        # and tracebacks) can show the learner's own code.
        lines = [line + "\n" for line in code.splitlines()]
        linecache.cache[filename] = (len(code), None, lines, filename)
        with _relative_to(path.parent):
            exec(compile(block, filename, "exec"), namespace)
    for name in stubs:
        if callable(namespace.get(name)):
            namespace[name] = _not_yet(name, path)
    return namespace


class _relative_to:
    """Resolve nested ``import_functions`` calls next to the notebook being loaded."""

    stack: list[Path] = []

    def __init__(self, folder: Path):
        self.folder = folder

    def __enter__(self):
        _relative_to.stack.append(self.folder)

    def __exit__(self, *exc):
        _relative_to.stack.pop()


def _resolve(notebook: str | Path) -> Path:
    path = Path(notebook)
    if not path.is_absolute() and _relative_to.stack:
        path = _relative_to.stack[-1] / path
    return path.resolve()


def load_definitions(notebook: str | Path) -> dict:
    """Every definition of ``notebook``, read afresh from the saved file."""
    path = _resolve(notebook)
    if not path.is_file():
        raise _missing(path)
    return _load(path)


def _missing(path: Path) -> NSTError:
    """What to do when the earlier notebook is not where this one looks for it."""
    where = ("Keep the course notebooks together in one folder, with their original "
             "names.")
    if "google.colab" in sys.modules:  # each Colab notebook starts on a machine of its own
        where = (f"On Colab, this notebook's machine holds only this notebook: download your "
                 f"finished {path.name} from where you worked on it (File > Download > "
                 f"Download .ipynb), upload it here into {path.parent} (the Files panel on the "
                 "left, Upload), then run this cell again.")
    return NSTError(f"Cannot import from {path}: the notebook does not exist. {where}")


def import_functions(notebook: str | Path, *names: str):
    """Return the functions ``names`` defined in ``notebook``.

    One name gives the function itself; several give a tuple, in order. The
    notebook's path is relative to the current folder (for a notebook, the
    folder it lives in). Saving the earlier notebook and calling this again
    picks up your latest version.
    """
    if not names:
        raise TypeError("import_functions needs at least one function name")
    path = _resolve(notebook)
    definitions = load_definitions(path)
    found = []
    for name in names:
        func = definitions.get(name)
        if not callable(func):
            raise NSTError(
                f"{path.name} defines no function `{name}`. Did you rename it? "
                "Graded functions must keep the names and arguments they were given."
            )
        if is_stub(func):
            print(
                f"Note: `{name}` in {path.name} is still a stub. This notebook will run, "
                f"but cells that need `{name}` will ask you to finish {path.name} first."
            )
        found.append(func)
    return found[0] if len(found) == 1 else tuple(found)
