"""The verdict on each graded exercise, decided outside the learner's kernel.

:func:`judge` compares what the harness recorded in the kernel with the
reference's answers on the same inputs, case by case, and says in one line
per case what is wrong. It runs no learner code: results are plain numbers.

Every word of a verdict is the judge's own. The harness records the kind of
object returned and the kind of error raised as small codes
(:data:`nst_utils.grading.harness.KINDS`, :data:`~nst_utils.grading.harness.ERRORS`),
and the judge turns each code into its own explanation (:data:`KIND_WORDS`,
:data:`ERROR_WORDS`); a code it does not know reads as "another kind". No
text from the kernel (a message, a class name, anything printed) can appear
in a verdict, so none can reach a learner's feedback. The only things a
verdict says about the learner's answer are which cases failed, which part
differs, and its shape when that shape is small (:func:`shape_words`).

:class:`JudgeGradedCells` is the nbgrader preprocessor that makes the verdict
nbgrader's own: it runs after the notebook has executed and before
``SaveAutoGrades``, throws away whatever the kernel printed in each graded
test cell, and writes the verdict there instead (a pass line, or an error
whose message is the reason). A graded cell with no verdict fails: nothing
gives marks without the judge.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor

from nst_utils import cells
from nst_utils import config
from nst_utils.grading.harness import ERRORS, KINDS, case_names

#: Relative tolerance (of the largest expected magnitude) for float32 answers.
RELATIVE_TOLERANCE = 2e-4
ABSOLUTE_TOLERANCE = 1e-6
#: Where SealedExecute leaves the cases and the recorded results for the judge.
RESOURCE_KEY = "nst_grading"

#: The judge's words for each kind of object a function may return (``KINDS``).
KIND_WORDS = {
    "tensor": "a TensorFlow tensor",
    "NumPy array": "a NumPy array",
    "NumPy number": "a NumPy number (such as np.float64)",
    "bool": "a Python bool",
    "int": "a Python int",
    "float": "a Python float",
    "None": "None (is a return statement missing?)",
    "list or tuple": "a list or a tuple",
    "other": "an object that is neither a tensor nor a number",
}
#: The judge's words for each kind of error a function may raise (``ERRORS``).
ERROR_WORDS = {
    "NotImplementedError": "it is not implemented yet (it raises NotImplementedError)",
    "NameError": "it raised a NameError: it uses a name that is not defined where it runs; "
                 "define or import everything it needs in the notebook",
    "TypeError": "it raised a TypeError: a value of the wrong type, or a call with the wrong "
                 "arguments",
    "ValueError": "it raised a ValueError: a value or a shape that does not fit",
    "AttributeError": "it raised an AttributeError: it uses an attribute or method the object "
                      "does not have",
    "IndexError": "it raised an IndexError: an index out of range",
    "KeyError": "it raised a KeyError: a key that is not there",
    "ZeroDivisionError": "it raised a ZeroDivisionError: it divides by zero",
    "RecursionError": "it raised a RecursionError: it calls itself without end",
    "MemoryError": "it ran out of memory",
    "AssertionError": "it raised an AssertionError: one of its own checks failed",
    "InvalidArgumentError": "TensorFlow refused an operation in it (InvalidArgumentError): "
                            "shapes or types that do not fit together",
    "TensorFlow error": "TensorFlow raised an error in it",
    "other": "it raised an error",
}
#: Shapes larger than this (in any size, or in dimensions) are not quoted back.
MAX_QUOTED_SIZE, MAX_QUOTED_DIMENSIONS = 10_000, 4


def _code(value, count: int) -> int:
    """A recorded code as an index below ``count``; anything else is the last ("other")."""
    array = np.asarray(value)
    if array.shape == () and array.dtype.kind in "iu" and 0 <= int(array) < count:
        return int(array)
    return count - 1


def kind_words(value) -> str:
    return KIND_WORDS[KINDS[_code(value, len(KINDS))]]


def error_words(value) -> str:
    return ERROR_WORDS[ERRORS[_code(value, len(ERRORS))]]


def raised(reason: str) -> str | None:
    """The kind of error (a name of ``ERRORS``) a case's reason reports, if any."""
    return next((kind for kind, words in ERROR_WORDS.items() if words == reason), None)


def shape_words(shape: tuple) -> str:
    """A learner's shape, quoted only while small: it is the one thing of an answer a
    verdict repeats, so it must not become a channel for anything else."""
    if len(shape) <= MAX_QUOTED_DIMENSIONS and all(size <= MAX_QUOTED_SIZE for size in shape):
        return f"shape {tuple(int(size) for size in shape)}"
    return f"a shape with {len(shape)} dimensions"


@dataclass(frozen=True)
class CaseVerdict:
    case: str
    passed: bool
    reason: str = ""


@dataclass(frozen=True)
class Verdict:
    function: str
    seed: int
    cases: tuple[CaseVerdict, ...]

    @property
    def passed(self) -> bool:
        return bool(self.cases) and all(case.passed for case in self.cases)

    def summary(self) -> str:
        failed = [case for case in self.cases if not case.passed]
        if not failed:
            return f"{self.function} passed all {len(self.cases)} graded cases."
        first = failed[0]
        return (f"{self.function} failed {len(failed)} of {len(self.cases)} graded cases; "
                f"first: {first.case}: {first.reason}")

    def as_json(self) -> dict:
        return {"seed": str(self.seed), "passed": self.passed,
                "cases": [{"case": c.case, "passed": c.passed, "reason": c.reason}
                          for c in self.cases]}

    @classmethod
    def from_json(cls, function: str, data) -> Verdict | None:
        """What :meth:`as_json` wrote (None if it is not that shape)."""
        try:
            found = tuple(CaseVerdict(str(c["case"]), c["passed"] is True, str(c["reason"]))
                          for c in data["cases"])
            return cls(function, int(data["seed"]), found)
        except (KeyError, TypeError, ValueError):
            return None


def judge(function: str, seed: int, inputs: dict, expected: dict, results: dict | None
          ) -> Verdict:
    """Compare ``results`` (recorded in the kernel) with ``expected``, case by case, in the
    words of the judge and of the exercise (its cases' and fields' names, its diagnoses)."""
    graded = config.exercise(function)
    verdicts = []
    for case in case_names(inputs):
        prefix = case + "."
        part = lambda mapping: {k[len(prefix):]: v for k, v in mapping.items()  # noqa: E731
                                if k.startswith(prefix)}
        case_inputs, wanted = part(inputs), part(expected)
        label = graded.describe(case_inputs)
        if results is None:
            reason = ("no result was recorded: the check cell stopped before calling your "
                      "function (an error, a time-out or a crash earlier in the notebook)")
        else:
            reason = _first_problem(graded, case_inputs, wanted, part(results))
        verdicts.append(CaseVerdict(label, reason is None, reason or ""))
    return Verdict(function, seed, tuple(verdicts))


def _first_problem(graded, case: dict, wanted: dict, got: dict) -> str | None:
    if "error" in got:
        return error_words(got["error"])
    for field, value in wanted.items():
        if field.endswith("_kind") or field == "gradient_missing":
            continue
        problem = _field_problem(graded, field, value, wanted, got)
        if problem:
            matches = lambda other: _field_problem(  # noqa: E731
                graded, other, wanted[other], wanted, got) is None
            return graded.diagnose(field, problem, case, got, matches)
    return None


def _field_problem(graded, field: str, value: np.ndarray, wanted: dict, got: dict) -> str | None:
    tensor = KINDS.index("tensor")
    kind = got.get(f"{field}_kind")
    if f"{field}_kind" in wanted and _code(wanted[f"{field}_kind"], len(KINDS)) == tensor \
            and kind is not None and _code(kind, len(KINDS)) != tensor:
        return f"it returned {kind_words(kind)}, not a TensorFlow tensor"
    if field not in got:
        if field == "gradient" and "gradient_missing" in got:
            return ("no gradient flows back to the generated activations: use TensorFlow "
                    "operations only (no NumPy or Python numbers in between)")
        return f"nothing was recorded for {graded.label(field)}"
    answer = got[field]
    if answer.shape != value.shape:
        return f"{graded.label(field)} has {shape_words(answer.shape)}, expected {value.shape}"
    if answer.dtype.kind not in "biuf" or not np.isfinite(answer).all():
        return f"{graded.label(field)} is not finite"
    scale = float(np.abs(value).max()) if value.size else 0.0
    error = float(np.abs(answer.astype(np.float64) - value).max()) if value.size else 0.0
    if not error <= RELATIVE_TOLERANCE * scale + ABSOLUTE_TOLERANCE:
        return f"{graded.label(field)} differs from the expected one"
    return None


# ------------------------------------------------------------- preprocessor
def graded_function(cell) -> str | None:
    """The exercise a graded test cell scores (None for any other cell)."""
    if cell.get("cell_type") != "code" or not cells.is_test(cell):
        return None
    return cells.exercise_of(cells.grade_id(cell))


def verdict_outputs(verdict: Verdict | None, function: str) -> list:
    """What a graded test cell shows: nbgrader scores an ``error`` output 0."""
    if verdict is not None and verdict.passed:
        return [NotebookNode(output_type="stream", name="stdout",
                             text=f"✅ {verdict.summary()}\n")]
    message = verdict.summary() if verdict is not None else (
        f"{function} was not judged: this notebook was not graded with the course's "
        "grading configuration, so this exercise earns no points")
    return [NotebookNode(output_type="error", ename="GradedTestFailure", evalue=message,
                         traceback=[f"GradedTestFailure: {message}"])]


class JudgeGradedCells(NbGraderPreprocessor):
    """Replace every graded test cell's outputs with the judge's verdict."""

    def preprocess(self, nb, resources):
        grading = resources.get(RESOURCE_KEY) or {}
        self._verdicts = {}
        for function, case_set in (grading.get("sets") or {}).items():
            from autograder.grading.cases import read_results

            results = read_results((grading.get("results") or {}).get(function))
            self._verdicts[function] = judge(function, case_set.seed, case_set.inputs,
                                             case_set.expected, results)
        resources.setdefault(RESOURCE_KEY, {})["verdicts"] = {
            f: v.as_json() for f, v in self._verdicts.items()}
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        function = graded_function(cell)
        if function is None:
            return cell, resources
        verdict = self._verdicts.get(function)
        cell.outputs = verdict_outputs(verdict, function)
        if verdict is not None:
            cell.metadata["nst_verdict"] = verdict.as_json()
        return cell, resources
