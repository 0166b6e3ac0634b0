"""Find what is suspicious or broken in a submission, and say which exercise it concerns.

These findings are for the instructor; none of them changes a score (the
judge, outside the kernel, alone decides). Two sources, both read after
nbgrader has graded:

* the *executed* notebook (``autograded/``): the judge's verdicts, errors of
  graded cells, cells stopped by the time limit, a kernel that died or ran
  out of memory, output that was cut (lines by nbgrader, bytes by
  :mod:`autograder.preprocessors.output_bounds`), test cells nbgrader put back;
* the *submitted* notebook, compared with the release and scanned (as
  Python syntax, never executed) for code that patches or fools what a check
  relies on: NumPy/TensorFlow comparisons, ``nst_utils``, IPython's
  traceback display, ``sys.modules``, objects with a rigged
  ``__eq__``/``__float__``, ``os._exit``. A correct function keeps its marks
  even when such code is found: the flag only tells the instructor.

A flag is a :class:`~autograder.grading.results.Flag` (exercise, kind, detail).
In a notebook with several graded functions, a problem in a graded cell
concerns that cell's exercise; elsewhere, the notebook's first exercise.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

from autograder.grading.results import Flag
from nst_utils import cells, config

_CUT = "... Output truncated ..."
_RESTORED = re.compile(r"^# This cell \(id:([\w-]+)\) was missing")

#: Names under which learners reach the modules the checks rely on.
_WATCHED_ROOTS = {"np", "numpy", "tf", "tensorflow", "nst_utils", "checks", "autograder",
                  "builtins", "__builtins__", "IPython", "sys", "keras", "math"}
_RIGGED_DUNDERS = {"__eq__", "__ne__", "__float__", "__bool__", "__array__", "__lt__",
                   "__le__", "__gt__", "__ge__", "__abs__", "__index__", "__int__",
                   "__array_ufunc__", "__array_function__", "__tf_tensor__"}


def _exercise(notebook: str) -> str | None:
    exercises = config.exercises_in(notebook)
    return exercises[0].function if exercises else None


def _flag(exercise, kind, detail) -> Flag:
    return Flag(exercise, kind, detail)


# ----------------------------------------------------------- executed output
def inspect_outputs(executed: Path) -> tuple[list, list, dict]:
    """Errors of graded cells, flags and the judge's verdicts in an autograded notebook.

    A graded test cell shows the judge's verdict; what the kernel raised there
    (a time-out, a dead kernel, running out of memory) is kept, for flags only,
    in the cell's ``nst_kernel_errors`` metadata.
    """
    exercise = _exercise(executed.name)
    errors, flags, verdicts = [], [], {}
    try:
        notebook = json.loads(executed.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return errors, [_flag(exercise, "unreadable", f"autograded notebook unreadable: {exc}")], {}
    for index, cell in enumerate(notebook.get("cells", []), start=1):
        grading = cells.grading(cell)
        grade_id = grading.get("grade_id") or f"cell {index}"
        cell_exercise = cells.exercise_of(grade_id) or exercise
        match = _RESTORED.match(cells.source(cell))
        if match:
            flags.append(_flag(cell_exercise, "restored cell",
                               f"test cell {match.group(1)} was missing and was put back"))
        if "nst_verdict" in cell.get("metadata", {}):
            verdicts[cell_exercise] = cell["metadata"]["nst_verdict"]
            flags.extend(_raised(verdicts[cell_exercise], cell_exercise))
        metadata = cell.get("metadata", {})
        if metadata.get("nst_output_dropped") or metadata.get("nst_output_lost"):
            flags.append(_flag(cell_exercise, "output limited", f"{grade_id} sent more output "
                               "than the grader keeps; the rest was dropped"))
        kernel = metadata.get("nst_kernel_errors", [])
        for output in [*cell.get("outputs", []), *kernel]:
            _inspect_output(output, grading, grade_id, cell_exercise, errors, flags)
    return errors, flags, verdicts


def _inspect_output(output, grading, grade_id, exercise, errors, flags) -> None:
    kind = output.get("output_type")
    if kind == "stream" and _CUT in output.get("text", ""):
        flags.append(_flag(exercise, "output limited",
                           f"{grade_id} printed more than the output limit"))
    if kind != "error":
        return
    ename, evalue = printable(output.get("ename", ""), 80), printable(output.get("evalue", ""))
    if grading.get("grade") or grading.get("solution"):
        errors.append({"exercise": exercise, "cell": grade_id, "ename": ename, "evalue": evalue})
        if grading.get("solution") and ename not in {"CellTimeoutError", "DeadKernelError"}:
            flags.append(_flag(exercise, "exception",
                               f"{grade_id} itself fails: {ename}: {evalue[:120]}"))
    if ename == "CellTimeoutError" or "Timeout" in ename:
        flags.append(_flag(exercise, "timeout", f"{grade_id} ran past the per-cell time limit"))
    elif ename in {"DeadKernelError", "KernelDied"} or "kernel died" in evalue.lower():
        flags.append(_flag(exercise, "dead kernel", f"the kernel died in {grade_id}"))
    elif ename == "MemoryError":
        flags.append(_flag(exercise, "memory", f"{grade_id} ran out of memory"))


def _raised(verdict: dict, exercise) -> list:
    """Flags for the errors the judge saw the function raise (in its own words)."""
    from autograder.preprocessors.judge import raised

    kinds = {raised(str(case.get("reason", ""))) for case in verdict.get("cases", [])}
    flags = [_flag(exercise, "exception", f"the function raised {kind}")
             for kind in sorted(k for k in kinds if k not in {None, "MemoryError",
                                                              "NotImplementedError"})]
    if "MemoryError" in kinds:
        flags.append(_flag(exercise, "memory", "the function ran out of memory"))
    return flags


def printable(text, limit: int = 300) -> str:
    """Text a kernel produced, made safe to show an instructor in a terminal or a page:
    control characters (escape sequences) replaced, and cut to ``limit`` characters."""
    text = str(text)[:limit]
    return "".join(c if c.isprintable() or c == "\n" else "\ufffd" for c in text)


# --------------------------------------------------------- submitted source
def _release_cells(notebook: str) -> dict:
    path = config.RELEASE_DIR / notebook
    if not path.exists():
        return {}
    released = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    return {cells.grade_id(c): c for c in released if cells.grade_id(c)}


def inspect_submission(submitted: Path) -> list:
    """Flags from the submitted notebook: changed structure and suspicious code."""
    exercise = _exercise(submitted.name)
    try:
        found = json.loads(submitted.read_text(encoding="utf-8"))["cells"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return [_flag(exercise, "unreadable", f"the submitted notebook is not valid: {exc}")]
    return (_structure_changes(found, _release_cells(submitted.name), exercise)
            + _suspicious_code(found, exercise))


def _structure_changes(found: list, released: dict, exercise: str | None) -> list:
    """Graded cells retyped, edited, duplicated or deleted, compared with the release."""
    flags, seen = [], {}
    for cell in found:
        identifier = cells.grade_id(cell)
        original = released.get(identifier)
        owner = cells.exercise_of(identifier) or exercise
        seen[identifier] = seen.get(identifier, 0) + 1
        if original is None:
            continue
        if cell.get("cell_type") != original.get("cell_type"):
            flags.append(_flag(owner, "cell type changed",
                               f"{identifier} was turned into a {cell.get('cell_type')} cell"))
        if cells.grading(original).get("locked") and \
                cells.source(cell).strip() != cells.source(original).strip():
            flags.append(_flag(owner, "edited test cell",
                               f"{identifier} was edited (the original was graded)"))
        changed = [f"{key} {cells.grading(original).get(key)!r} -> {cells.grading(cell).get(key)!r}"
                   for key in ("points", "grade", "solution", "locked", "task")
                   if cells.grading(cell).get(key) != cells.grading(original).get(key)]
        if changed:
            flags.append(_flag(owner, "changed grading metadata",
                               printable(f"{identifier}: " + ", ".join(changed), 200)
                               + " (the course's values are used)"))
    for identifier, count in seen.items():
        if identifier and count > 1:
            flags.append(_flag(cells.exercise_of(identifier) or exercise, "duplicated cell",
                               f"{identifier} appears {count} times (only the last one is graded)"))
    for identifier, original in released.items():
        if identifier not in seen:
            kind = "deleted test cell" if cells.grading(original).get("grade") else "deleted cell"
            flags.append(_flag(cells.exercise_of(identifier) or exercise, kind,
                               f"{identifier} was deleted"))
    return flags


def _suspicious_code(found: list, exercise: str | None) -> list:
    """Scan the learner's code; a finding concerns the graded cell it first appears in."""
    flags, seen, code = [], set(), ""
    for cell in found:
        if cell.get("cell_type") != "code" or cells.grading(cell).get("locked"):
            continue
        code += "\n" + cells.strip_magics(cells.source(cell))
        owner = cells.exercise_of(cells.grade_id(cell)) or exercise
        for problem in scan_code(code):
            if problem not in seen:
                seen.add(problem)
                flags.append(_flag(owner, "suspicious code", problem))
    return flags


def _dotted(node) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    if isinstance(node, ast.Call):
        inner = _dotted(node.func)
        if inner:
            parts.append(inner + "()")
            return ".".join(reversed(parts))
    return None


def scan_code(source: str) -> list[str]:
    """Patterns that patch or fool the checks, found in a learner's code (never run)."""
    try:
        tree = cells.parse_python(source)
    except SyntaxError:
        return []  # a syntax error is an error, not tampering; it shows in the output
    problems, watched = _imports(tree)
    for node in ast.walk(tree):
        for finder in (_assignments, _calls, _rigged_classes, _touches):
            problems.extend(finder(node, watched))
    replaced = {p.split(" ", 1)[1] for p in problems if p.startswith("replaces ")}
    return [p for p in dict.fromkeys(problems)
            if not (p.startswith("touches ") and p.split(" ", 1)[1] in replaced)]


def _imports(tree) -> tuple[list[str], set[str]]:
    """Problems in import statements, and every name under which a watched module is reached."""
    problems, aliases = [], {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for alias in node.names:
                root = (node.module or "") if isinstance(node, ast.ImportFrom) else alias.name
                aliases[alias.asname or alias.name.split(".")[0]] = root.split(".")[0]
                if root.split(".")[0] == "autograder" or alias.name.startswith("autograder"):
                    problems.append("imports the autograder")
    return problems, _WATCHED_ROOTS | {a for a, root in aliases.items() if root in _WATCHED_ROOTS}


def _targets(node) -> list:
    if isinstance(node, (ast.Assign, ast.Delete)):
        targets = node.targets
    elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
        targets = [node.target]
    else:
        return []
    flat = []
    for target in targets:
        flat.extend(target.elts if isinstance(target, (ast.Tuple, ast.List)) else [target])
    return flat


def _assignments(node, watched) -> list[str]:
    problems = []
    for part in _targets(node):
        if isinstance(part, ast.Attribute):
            dotted = _dotted(part) or ""
            if dotted.split(".")[0] in watched or "get_ipython()" in dotted \
                    or "showtraceback" in dotted:
                problems.append(f"replaces {dotted}")
        elif isinstance(part, ast.Subscript):
            dotted = _dotted(part.value) or ""
            if dotted in {"sys.modules", "builtins.__dict__", "__builtins__"} \
                    or dotted.endswith(("__dict__", "__globals__")):
                problems.append(f"writes into {dotted}")
    return problems


def _calls(node, watched) -> list[str]:
    if not isinstance(node, ast.Call):
        return []
    problems, dotted = [], _dotted(node.func) or ""
    last = dotted.split(".")[-1]
    if last in {"setattr", "delattr"} and node.args:
        target = _dotted(node.args[0]) or ""
        if target.split(".")[0] in watched or "get_ipython" in target:
            problems.append(f"calls {last} on {target}")
    if last in {"set_custom_exc", "register_post_execute"} or dotted.endswith("excepthook"):
        problems.append(f"changes error handling ({dotted})")
    if dotted in {"os._exit", "sys.exit", "os.kill", "os.abort"}:
        problems.append(f"calls {dotted}")
    if last == "patch" and "mock" in dotted:
        problems.append(f"uses {dotted}")
    return problems


def _rigged_classes(node, watched) -> list[str]:
    if not isinstance(node, ast.ClassDef):
        return []
    return [f"class {node.name} defines {item.name}" for item in node.body
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
            and item.name in _RIGGED_DUNDERS]


def _touches(node, watched) -> list[str]:
    if isinstance(node, ast.Name) and node.id == "ctypes":
        return ["uses ctypes"]
    if isinstance(node, ast.Attribute) and node.attr in {"showtraceback", "_showtraceback",
                                                         "excepthook", "InteractiveTB"}:
        return [f"touches {_dotted(node) or node.attr}"]
    return []
