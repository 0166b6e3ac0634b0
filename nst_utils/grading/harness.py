"""The grading harness: runs your function on the grader's inputs, and nothing more.

While nbgrader grades a notebook, each check cell's ``check_*`` function
first hands your function to :func:`record`. The grader has left a file of
inputs, chosen for your submission, in ``_grading/inputs/`` beside the
notebook; :func:`record` calls your function on each case and writes what came
back (values, the kind of object returned, gradients, or the kind of error
raised) as plain numbers to ``_grading/results/``. Kinds are small codes
(:data:`KINDS`, :data:`ERRORS`), chosen by ``isinstance``: no text your code
produces (an error message, a class name) is recorded. How each exercise is
called, and which reference functions it is judged with in place of your
earlier ones, is its object's (:mod:`nst_utils.grading.exercises`).

It judges nothing and knows no expected value. The verdict is made outside
your notebook's process, by comparing these arrays with the reference
solution's answers on the same inputs. Outside grading there is no inputs
file, and this module does nothing at all.

The same :func:`run_cases` is used by the grader to compute the reference
answers, so your function and the reference are always called the same way.
"""

from __future__ import annotations

import contextlib
import functools
import os
from pathlib import Path
from typing import Callable

import numpy as np

from nst_utils import config
# The folder, beside the graded notebook, that the grader and the harness share.
from nst_utils.grading.paths import GRADING, RESULTS
from nst_utils.tracebacks import for_learner

#: What a graded function may return, told apart by ``isinstance`` in this order
#: (the last one is everything else); the harness records the position.
KINDS = ("tensor", "NumPy array", "NumPy number", "bool", "int", "float", "None",
         "list or tuple", "other")
_KIND_TYPES = ((np.ndarray, 1), (np.generic, 2), (bool, 3), (int, 4), (float, 5),
               (type(None), 6), ((list, tuple), 7))

#: The errors a graded function may raise, told apart by ``isinstance`` in this order
#: (the last one is everything else); the harness records the position.
ERRORS = ("NotImplementedError", "NameError", "TypeError", "ValueError", "AttributeError",
          "IndexError", "KeyError", "ZeroDivisionError", "RecursionError", "MemoryError",
          "AssertionError", "InvalidArgumentError", "TensorFlow error", "other")


def kind_code(value) -> int:
    """The position in :data:`KINDS` of what ``value`` is."""
    from nst_utils._tf import tf

    if tf.is_tensor(value):
        return 0
    return next((code for types, code in _KIND_TYPES if isinstance(value, types)), len(KINDS) - 1)


def error_code(error: BaseException) -> int:
    """The position in :data:`ERRORS` of the kind of ``error``."""
    from nst_utils._tf import tf

    classes = (NotImplementedError, NameError, TypeError, ValueError, AttributeError, IndexError,
               KeyError, ZeroDivisionError, RecursionError, MemoryError, AssertionError,
               tf.errors.InvalidArgumentError, tf.errors.OpError)
    return next((code for code, kind in enumerate(classes) if isinstance(error, kind)),
                len(ERRORS) - 1)


def inputs_path(function: str, folder: Path | str = ".") -> Path:
    return Path(folder) / GRADING / "inputs" / f"{function}.npz"


def results_path(function: str, folder: Path | str = ".") -> Path:
    return Path(folder) / RESULTS / f"{function}.npz"


def sealed(function: str) -> Callable:
    """Decorate a public check so that, while grading, it first records ``function``'s results."""

    def decorate(check: Callable) -> Callable:
        @functools.wraps(check)
        def run(candidate, *args, **kwargs):
            __tracebackhide__ = True
            if config.grading_mode():
                record(function, candidate)
            try:
                return check(candidate, *args, **kwargs)
            except AssertionError as failed:
                for_learner(failed)  # the learner sees their cell's line and the message
                raise

        return run

    return decorate


def record(function: str, candidate: Callable) -> None:
    """Run ``candidate`` on the grader's inputs for ``function``; save what it returns."""
    source = inputs_path(function)
    if not source.is_file():
        return
    with np.load(source, allow_pickle=False) as data:
        inputs = {key: data[key] for key in data.files}
    results = run_cases(function, candidate, inputs, _sibling_helpers(function))
    target = results_path(function)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    with open(partial, "wb") as handle:
        np.savez(handle, **results)
    os.replace(partial, target)


def _sibling_helpers(function: str) -> dict:
    """The functions of earlier notebooks this exercise is judged with: in a grading kernel,
    the reference copies staged beside the notebook."""
    from nst_utils.grading.exercises import exercise
    from nst_utils.notebook_import import import_functions

    return {name: import_functions(notebook, name) for name, notebook in exercise(function).helpers}


@contextlib.contextmanager
def globals_swapped(function: Callable, replacements: dict):
    """Let ``function`` see ``replacements`` (name -> value) as its globals while the block runs."""
    scope = getattr(function, "__globals__", None)
    if not replacements or not isinstance(scope, dict):
        yield
        return
    missing = object()
    previous = {name: scope.get(name, missing) for name in replacements}
    scope.update(replacements)
    try:
        yield
    finally:
        for name, value in previous.items():
            if value is missing:
                scope.pop(name, None)
            else:
                scope[name] = value


def case_names(inputs: dict) -> list[str]:
    """The cases in an inputs mapping (keys look like ``c3.first``), in order."""
    names = {key.split(".", 1)[0] for key in inputs}
    return sorted(names, key=lambda name: int(name[1:]))


def run_cases(function: str, candidate: Callable, inputs: dict, helpers: dict | None = None
              ) -> dict[str, np.ndarray]:
    """Call ``candidate`` on every case of ``inputs``, seeing ``helpers`` (name -> function)
    in place of its own globals of those names (and, for an exercise judged with a function
    of its own notebook that ``helpers`` lacks, the exercise's stand-in for it); return flat
    ``{"cK.field": array}``."""
    from nst_utils.grading.exercises import exercise

    graded = exercise(function)
    results: dict[str, np.ndarray] = {}
    for case in case_names(inputs):
        prefix = case + "."
        arguments = {key[len(prefix):]: value for key, value in inputs.items()
                     if key.startswith(prefix)}
        seen = dict(helpers or {})
        if graded.judged_with and graded.judged_with not in seen:  # in a grading kernel
            seen[graded.judged_with] = graded.stand_in(arguments)
        try:
            with globals_swapped(candidate, seen):
                outcome = graded.run(candidate, arguments)
        except Exception as exc:  # noqa: BLE001 - the kind of the learner's error is the result
            outcome = {"error": np.int64(error_code(exc))}
        for field, value in outcome.items():
            results[prefix + field] = np.asarray(value)
    return results
