"""Before a hidden test trusts anything, check that the learner's code has not replaced it.

Hidden tests run in the learner's kernel, after the learner's code, so that
code could have patched what the tests rely on: NumPy's and TensorFlow's
functions, Python's builtins, the public checks in ``nst_utils``, this
package, or IPython's error display. :func:`verify` looks at all of them and
raises an :class:`AssertionError` whose message starts with
``NST-TAMPERING`` (0 points for the exercise; the autograder turns the mark
into a flag) when something is not what the installed packages define.

The rule is provenance, not identity: every function reachable from a
watched module must be implemented in C or defined in a file that belongs to
the Python installation or this course's packages, under its own name where
the name is not a known alias. A function written in a notebook, a
``functools.partial``, a mock, a module object made up at run time, or a
code object swapped into a genuine function all fail it.
"""

from __future__ import annotations

import sys
import sysconfig
from pathlib import Path

MARK = "NST-TAMPERING"

_REAL_TYPE = (0).__class__.__class__  # `type`, even if builtins.type was replaced
_MODULE = _REAL_TYPE(sys)
_ROOTS = tuple(
    sorted({str(Path(p).resolve()) for p in (
        sysconfig.get_paths()["stdlib"], sysconfig.get_paths()["platstdlib"],
        sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"],
        sys.base_prefix, sys.prefix,
        Path(__file__).resolve().parent,  # autograder
        Path(__file__).resolve().parent.parent / "nst_utils",
        Path(__file__).resolve().parent.parent / "notebooks" / "source",  # the reference
    )} | {str(Path(p).resolve()) for p in sys.path if "site-packages" in p})
)

#: Modules whose public callables must all be genuine.
WATCHED_MODULES = (
    "builtins", "numpy", "numpy.testing", "numpy.linalg", "numpy.random",
    "tensorflow", "tensorflow.math", "tensorflow.linalg", "tensorflow.debugging",
    "tensorflow.experimental.numpy", "nst_utils", "nst_utils.checks", "nst_utils._tf",
    "nst_utils.notebook_import", "autograder.hidden", "autograder.reference",
    "autograder.guard", "importlib",
)
#: In these modules a function must also carry the name it is reached by.
NAMED_MODULES = ("builtins", "nst_utils.checks", "autograder.hidden", "autograder.reference",
                 "autograder.guard", "nst_utils.notebook_import")
_BUILTIN_ALIASES = {"open", "copyright", "credits", "license", "exit", "quit", "help",
                    "get_ipython", "display", "execfile", "runfile", "__IPYTHON__", "__loader__",
                    "__spec__", "__build_class__", "__debug__", "__doc__", "__name__",
                    "__package__", "dreload", "reload", "input", "raw_input", "breakpoint"}


def _defined_in_installation(code) -> bool:
    raw = getattr(code, "co_filename", None)
    if not isinstance(raw, str) or "ipykernel_" in raw:
        return False
    if raw.startswith("<frozen "):
        return True  # the interpreter's own frozen modules
    if raw.startswith("<"):
        return False  # exec'd or typed-in code
    if not raw.startswith("/"):
        return True  # compiled extensions (Cython) record a relative source name
    try:
        filename = str(Path(raw).resolve())
    except (OSError, ValueError):
        return False
    return any(filename == root or filename.startswith(root + "/") for root in _ROOTS)


def _problem(owner: str, name: str, obj) -> str | None:
    """Why ``owner.name`` is not genuine (None when it is)."""
    kind = _REAL_TYPE(obj)
    kind_module = getattr(kind, "__module__", "") or ""
    if kind_module == "unittest.mock" or "Mock" in kind.__name__:
        return f"{owner}.{name} is a {kind.__name__}"
    if kind_module == "functools":  # partial, lru_cache: judge what they wrap
        inner = getattr(obj, "func", None) or getattr(obj, "__wrapped__", None)
        return _problem(owner, name, inner) if inner is not None and inner is not obj \
            else f"{owner}.{name} is a {kind.__name__}"
    if isinstance(obj, _MODULE):
        spec_file = getattr(obj, "__file__", None)
        if spec_file is None and getattr(obj, "__path__", None) is None \
                and obj.__name__ not in sys.builtin_module_names:
            return f"{owner}.{name} is a module made at run time"
        return None
    target = obj
    for _ in range(20):  # through decorators (functools.wraps sets __wrapped__)
        code = getattr(target, "__code__", None)
        if code is not None and not _defined_in_installation(code):
            return f"{owner}.{name} was defined in the notebook"
        inner = getattr(target, "__wrapped__", None) if _REAL_TYPE(target).__name__ in {
            "function", "method"} else None
        if inner is None or inner is target:
            break
        target = inner
    func = getattr(obj, "__func__", obj)
    code = getattr(func, "__code__", None)
    if _REAL_TYPE(func).__name__ == "function" and code is None:
        return f"{owner}.{name} has no code"
    if owner in NAMED_MODULES and name not in _BUILTIN_ALIASES and callable(obj) \
            and not isinstance(obj, _REAL_TYPE):
        own = getattr(obj, "__name__", None)
        if isinstance(own, str) and own != name and not name.startswith("_"):
            return f"{owner}.{name} is really {own}"
    return None


def _check_module(module_name: str, problems: list) -> None:
    module = sys.modules.get(module_name)
    if module is None:
        return
    if not isinstance(module, _MODULE):
        problems.append(f"sys.modules[{module_name!r}] is not a module")
        return
    if module_name != "builtins":
        file = getattr(module, "__file__", None)
        if not file or not _defined_in_installation(type("c", (), {"co_filename": file})):
            problems.append(f"module {module_name} does not come from the installation")
            return
    namespace = module.__dict__ if module_name == "builtins" else vars(module)
    # The reference module's solutions are read from the source notebooks (so they
    # carry a notebook's name); the hidden tests do not use them but call load().
    skip = {"compute_content_cost", "gram_matrix", "compute_layer_style_cost",
            "compute_style_cost", "total_cost"} if module_name == "autograder.reference" else set()
    for name, obj in list(namespace.items()):
        if name.startswith("__") or not callable(obj) or name in skip:
            continue
        problem = _problem(module_name, name, obj)
        if problem:
            problems.append(problem)
        if len(problems) > 5:
            return


def _check_ipython(problems: list) -> None:
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return
    try:
        shell = ipython.get_ipython()
    except Exception:  # noqa: BLE001
        return
    if shell is None:
        return
    overridden = [n for n in ("showtraceback", "_showtraceback", "showsyntaxerror",
                              "run_cell", "run_code", "run_ast_nodes", "set_custom_exc")
                  if n in vars(shell) and _problem("IPython shell", n, vars(shell)[n])]
    if overridden:
        problems.append("IPython's " + ", ".join(overridden) + " replaced")
    if getattr(shell, "custom_exceptions", ()) not in ((), None):
        problems.append("IPython's error handling replaced (set_custom_exc)")
    for name in ("showtraceback", "_showtraceback", "run_cell", "run_code"):
        method = getattr(_REAL_TYPE(shell), name, None)
        problem = _problem("IPython shell", name, method) if method is not None else None
        if problem:
            problems.append(problem)
    hook = sys.excepthook
    if getattr(hook, "__code__", None) is not None and not _defined_in_installation(hook.__code__):
        problems.append("sys.excepthook replaced")


def find_problems() -> list[str]:
    """Every sign of tampering found in this process (empty when none)."""
    problems: list[str] = []
    for module_name in WATCHED_MODULES:
        _check_module(module_name, problems)
    for module_name, module in list(sys.modules.items()):
        if module_name.split(".")[0] in {"numpy", "tensorflow", "nst_utils", "autograder",
                                         "keras", "IPython", "ipykernel"}:
            if module is not None and not isinstance(module, _MODULE):
                problems.append(f"sys.modules[{module_name!r}] replaced")
    _check_ipython(problems)
    return problems


def verify(exercise: str) -> None:
    """Raise (failing the exercise) when anything the hidden tests rely on was replaced."""
    problems = find_problems()
    if problems:
        raise AssertionError(f"{MARK}: {exercise}: " + "; ".join(problems[:5]))
