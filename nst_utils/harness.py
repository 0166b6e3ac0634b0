"""The grading harness: runs your function on the grader's inputs, and nothing more.

While nbgrader grades a notebook, each check cell's ``check_*`` function
first hands your function to :func:`record`. The grader has left a file of
inputs, chosen for your submission, in ``_grading/inputs/`` beside the
notebook; :func:`record` calls your function on each case and writes what came
back (values, the kind of object returned, gradients, or the kind of error
raised) as plain numbers to ``_grading/results/``. Kinds are small codes
(:data:`nst_utils.harness_cases.KINDS`, :data:`~nst_utils.harness_cases.ERRORS`):
no text your code produces (an error message, a class name) is recorded.

It judges nothing and knows no expected value. The verdict is made outside
your notebook's process, by comparing these arrays with the reference
solution's answers on the same inputs. Outside grading there is no inputs
file, and this module does nothing at all.

The same :func:`run_cases` is used by the grader to compute the reference
answers, so your function and the reference are always called the same way.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Callable

import numpy as np

from nst_utils import config
# The folder, beside the graded notebook, that the grader and the harness share.
from nst_utils.sandbox_paths import GRADING, RESULTS

def inputs_path(function: str, folder: Path | str = ".") -> Path:
    return Path(folder) / GRADING / "inputs" / f"{function}.npz"


def results_path(function: str, folder: Path | str = ".") -> Path:
    return Path(folder) / RESULTS / f"{function}.npz"


def sealed(function: str) -> Callable:
    """Decorate a public check so that, while grading, it first records ``function``'s results."""

    def decorate(check: Callable) -> Callable:
        @functools.wraps(check)
        def run(candidate, *args, **kwargs):
            if config.grading_mode():
                record(function, candidate)
            return check(candidate, *args, **kwargs)

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
    """Functions a case needs from earlier notebooks (the reference copies, while grading)."""
    if function != "compute_layer_style_cost":
        return {}
    from nst_utils.notebook_import import import_functions

    return {"gram_matrix": import_functions("02_gram_matrix.ipynb", "gram_matrix")}


def case_names(inputs: dict) -> list[str]:
    """The cases in an inputs mapping (keys look like ``c3.first``), in order."""
    names = {key.split(".", 1)[0] for key in inputs}
    return sorted(names, key=lambda name: int(name[1:]))


def run_cases(function: str, candidate: Callable, inputs: dict, helpers: dict | None = None
              ) -> dict[str, np.ndarray]:
    """Call ``candidate`` on every case of ``inputs``; return flat ``{"cK.field": array}``."""
    from nst_utils.harness_cases import RUNNERS, error_code

    runner = RUNNERS[function]
    results: dict[str, np.ndarray] = {}
    for case in case_names(inputs):
        prefix = case + "."
        arguments = {key[len(prefix):]: value for key, value in inputs.items()
                     if key.startswith(prefix)}
        try:
            outcome = runner(candidate, arguments, helpers or {})
        except Exception as exc:  # noqa: BLE001 - the kind of the learner's error is the result
            outcome = {"error": np.int64(error_code(exc))}
        for field, value in outcome.items():
            results[prefix + field] = np.asarray(value)
    return results
