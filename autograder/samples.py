"""The sample class: graded sample submissions built from the release, with their expected scores.

    python -m autograder samples --out DIR    # DIR/<student>/nst/*.ipynb and DIR/expected.json

Nothing here is a hand-edited notebook. Every submission starts from the
committed release and only its graded cells are changed, by code:

* ``correct``: every graded function is the reference solution;
* ``release``: the untouched release (every graded exercise scores 0);
* ``variants-N``: submission N carries the N-th variant of *every* exercise
  (valid alternatives first, then common mistakes, from
  :mod:`autograder.variants`); exercises are graded independently, so one
  submission checks one variant of each exercise at once;
* ``faults-N``: broken work (an infinite loop, an exception, a syntax error,
  a kernel killed with ``os._exit``, a memory bomb, a million lines of output,
  a deleted / edited test cell, a duplicated graded cell, a graded cell whose
  type was changed, a file that is not JSON, a test cell whose points were
  raised), one per notebook, the other notebooks correct;
* ``tamper-N``: code that patches what the checks rely on (NumPy/TensorFlow
  comparisons, a replaced public check, a rigged ``__eq__``/``__float__``,
  silenced tracebacks, patched builtins, a custom exception handler), with a
  correct or a wrong answer: flagged for the instructor, scored by the judge
  outside the kernel as if the patch were not there (a replaced public check
  hands nothing to the grader, so that exercise scores 0).

Attacks on the grading itself (stealing answers, forging results, harming
the class) are in the tests' attack bank, ``tests/attack_bank.py``.

``expected.json`` maps each student to ``{"points": {exercise: points},
"flags": {exercise: [kinds]}}``: the flag kinds that must be reported.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import shutil
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from autograder import variants as variant_bank
from autograder.cli import standalone
from nst_utils import cells, config

main = partial(standalone, __name__)  # main(argv=None) -> exit status: python -m autograder.<command>

POINTS = {f: p for f, (_nb, p) in config.GRADED_FUNCTIONS.items()}
NOTEBOOK_OF = {f: nb for f, (nb, _p) in config.GRADED_FUNCTIONS.items()}


@dataclass
class Sample:
    student: str
    notebooks: dict  # notebook file name -> notebook JSON
    points: dict = field(default_factory=lambda: dict(POINTS))  # exercise -> expected points
    flags: dict = field(default_factory=dict)  # exercise -> flag kinds that must be reported
    note: str = ""


# ------------------------------------------------------------------ helpers
def _load(folder: Path) -> dict:
    return {name: json.loads((folder / name).read_text(encoding="utf-8"))
            for name in config.NOTEBOOKS}


def reference_sources() -> dict:
    """The correct definition of each graded function, from the source notebooks."""
    sources = {}
    for function, notebook in NOTEBOOK_OF.items():
        source_nb = json.loads((config.SOURCE_DIR / notebook).read_text(encoding="utf-8"))
        text = cells.source(cells.find(source_nb, function))
        text = re.sub(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n", "", text, flags=re.M)
        sources[function] = text
    return sources


class Builder:
    """Makes submissions from the release."""

    def __init__(self):
        self.release = _load(config.RELEASE_DIR)
        self.correct = reference_sources()

    def fresh(self) -> dict:
        return copy.deepcopy(self.release)

    def filled(self, sources: dict | None = None) -> dict:
        """The release with every graded function written (reference unless given)."""
        notebooks = self.fresh()
        for function, notebook in NOTEBOOK_OF.items():
            text = (sources or {}).get(function, self.correct[function])
            cells.set_source(cells.find(notebooks[notebook], function), text)
        return notebooks


def _wrong(exercise: str) -> str:
    return variant_bank.variants(exercise, valid=False)[0].source


# ----------------------------------------------------------------- the bank
# Edits of a submission (a dict of notebooks), used to build the broken samples.
def _solution(function, text):
    def edit(nbs):
        cells.set_source(cells.find(nbs[NOTEBOOK_OF[function]], function), text)
    return edit


def _chain(*edits):
    def edit(nbs):
        for each in edits:
            each(nbs)
    return edit


def _delete_test(function):
    def edit(nbs):
        notebook = nbs[NOTEBOOK_OF[function]]
        notebook["cells"].remove(cells.find(notebook, f"test_{function}"))
    return edit


def _edit_test(function):
    def edit(nbs):
        cell = cells.find(nbs[NOTEBOOK_OF[function]], f"test_{function}")
        cells.set_source(cell, "# the checks were here\nprint('all public checks passed')\n")
    return edit


def _duplicate(function):
    def edit(nbs):
        notebook = nbs[NOTEBOOK_OF[function]]
        original = cells.find(notebook, function)
        twin = copy.deepcopy(original)
        twin["id"] = twin.get("id", "cell") + "-copy"
        notebook["cells"].insert(notebook["cells"].index(original) + 1, twin)
    return edit


def _retype(function, grade_id):
    def edit(nbs):
        cell = cells.find(nbs[NOTEBOOK_OF[function]], grade_id)
        cell["cell_type"] = "markdown"
        cell.pop("outputs", None)
        cell.pop("execution_count", None)
    return edit


def _not_json(function):
    def edit(nbs):
        nbs[NOTEBOOK_OF[function]] = '{"cells": [ this is not a notebook'
    return edit


def _raise_points(function, points=100):
    def edit(nbs):
        cells.grading(cells.find(nbs[NOTEBOOK_OF[function]], f"test_{function}"))["points"] = points
    return edit


def _with_body(text: str, lines: list[str]) -> str:
    """A function's source with extra statements at the top of its body (after the docstring)."""
    head, docstring, rest = text.split('"""', 2)
    extra = "".join(f"    {line}\n" for line in lines)
    return f'{head}"""{docstring}"""\n{extra}' + rest.lstrip("\n")


def _fault_edits(builder: Builder) -> list[tuple[str, callable, float, list]]:
    """(exercise, edit(notebooks), expected points, flag kinds) for each kind of broken work."""
    C, G, L, T, S = ("compute_content_cost", "gram_matrix", "compute_layer_style_cost",
                     "total_cost", "train_step")
    right = builder.correct
    return [
        # one submission's worth per notebook, in order 01, 02, 03, 04
        (C, _solution(C, _with_body(right[C], ["while True:", "    pass"])), 0.0, ["timeout"]),
        (G, _solution(G, _with_body(right[G], ["raise ValueError('not today')"])), 0.0,
         ["exception"]),
        (L, _solution(L, right[L] + "\nunfinished = (\n"), 0.0, ["exception"]),
        # the kernel dies in notebook 04's last graded cell: total_cost, before it, keeps its mark
        (S, _solution(S, _with_body(right[S], ["import os", "os._exit(1)"])), 0.0,
         ["dead kernel"]),
        # second submission; the bomb takes address space 1 GiB at a time without touching it,
        # so it meets the memory limit at once however loaded the machine (writing 6 GB of
        # pages first could run past the cell's time limit instead)
        (C, _solution(C, _with_body(right[C], ["import numpy as np", "hog = []", "while True:",
                                               "    hog.append(np.empty(2**27))"])),
         0.0, ["memory"]),
        (G, _solution(G, right[G] + "\nfor i in range(1_000_000):\n    print(i)\n"),
         2.0, ["output limited"]),
        (L, _chain(_solution(L, _wrong(L)), _delete_test(L)), 0.0,
         ["deleted test cell", "restored cell"]),
        (T, _chain(_solution(T, _wrong(T)), _edit_test(T)), 0.0, ["edited test cell"]),
        # third submission
        (C, _duplicate(C), 2.0, ["duplicated cell"]),
        (G, _retype(G, f"test_{G}"), 2.0, ["cell type changed"]),
        # nothing of notebook 03 can be read: its exercises score 0, the others are graded
        (L, _not_json(L), 0.0, ["unreadable", "not graded"]),
        # the points come from the course, not from the submission: scored out of 1
        (T, _raise_points(T), POINTS[T], ["changed grading metadata"]),
    ]


def _tamper_edits(builder: Builder) -> list[list[tuple[str, str, float, list]]]:
    """Submissions of (exercise, solution cell, expected points, flag kinds).

    Code that patches what a check relies on is flagged for the instructor
    but changes no score: the verdict is made outside the kernel. A correct
    function keeps its marks; a wrong one still scores 0; replacing the
    public check (which hands the function to the grader) leaves nothing to
    judge, so that exercise scores 0.
    """
    C, G, L, T, S = ("compute_content_cost", "gram_matrix", "compute_layer_style_cost",
                     "total_cost", "train_step")
    patch_compare = (
        "import numpy as np\n"
        "np.allclose = lambda *args, **kwargs: True\n"
        "np.isclose = lambda a, b, *args, **kwargs: np.ones_like(a, dtype=bool)\n"
        "np.testing.assert_allclose = lambda *args, **kwargs: None\n"
        "tf.debugging.assert_near = lambda *args, **kwargs: None\n"
        "tf.math.equal = lambda x, y, name=None: tf.ones_like(x, dtype=tf.bool)\n\n"
    )
    replace_checks = (
        "import nst_utils.checks\n"
        "nst_utils.checks.check_gram_matrix = lambda function: print('all public checks passed')\n\n"
    )
    rigged = (
        "class Anything(float):\n"
        "    def __eq__(self, other):\n"
        "        return True\n"
        "    def __float__(self):\n"
        "        return 0.0\n"
        "    def numpy(self):\n"
        "        return self\n\n"
        "def compute_layer_style_cost(a_S, a_G):\n"
        "    return Anything(0.0)\n"
    )
    silence = (
        "get_ipython().showtraceback = lambda *args, **kwargs: None\n"
        "get_ipython().showsyntaxerror = lambda *args, **kwargs: None\n\n"
    )
    patch_builtins = "import builtins\nbuiltins.abs = lambda value: 0.0 * value\n\n"
    patch_tf_compare = (
        "tf.reduce_all = lambda *args, **kwargs: tf.constant(True)\n"
        "tf.experimental.numpy.allclose = lambda *args, **kwargs: True\n\n"
    )
    custom_exc = (
        "import sys\n"
        "get_ipython().set_custom_exc((Exception,), lambda *args, **kwargs: None)\n"
        "sys.excepthook = lambda *args: None\n\n"
    )
    right, flagged = builder.correct, ["suspicious code"]
    return [
        [(C, patch_compare + right[C], POINTS[C], flagged),
         (G, replace_checks + right[G], 0.0, flagged),
         (L, rigged, 0.0, flagged),
         (T, silence + right[T], POINTS[T], flagged),
         (S, patch_builtins + right[S], POINTS[S], flagged)],
        [(C, patch_builtins + _wrong(C), 0.0, flagged),
         (G, patch_tf_compare + right[G], POINTS[G], flagged),
         (L, custom_exc + _wrong(L), 0.0, flagged)],
    ]


def build() -> list[Sample]:
    """Every sample submission with its expectations."""
    builder = Builder()
    samples = [
        Sample("correct", builder.filled(), note="the reference solutions"),
        Sample("release", builder.fresh(), {f: 0.0 for f in POINTS},
               note="the untouched release"),
    ]
    slots = {f: variant_bank.variants(f, valid=True) + variant_bank.variants(f, valid=False)
             for f in POINTS}
    for index in range(max(len(v) for v in slots.values())):
        sources, points, chosen = {}, dict(POINTS), []
        for function, options in slots.items():
            if index < len(options):
                variant = options[index]
                sources[function] = variant.source
                points[function] = POINTS[function] if variant.valid else 0.0
                chosen.append(f"{function}:{variant.key}")
        samples.append(Sample(f"variants-{index + 1:02d}", builder.filled(sources), points,
                              note=", ".join(chosen)))
    faults = _fault_edits(builder)
    for number, start in enumerate(range(0, len(faults), 4), start=1):
        notebooks, points, flags = builder.filled(), dict(POINTS), {}
        for exercise, edit, expected, kinds in faults[start:start + 4]:
            edit(notebooks)
            if "unreadable" in kinds:  # nothing of its notebook is read: none of its exercises scores
                notebook = config.exercise(exercise).notebook
                points.update({item.function: 0.0 for item in config.exercises_in(notebook)})
            points[exercise] = expected
            flags[exercise] = kinds
        samples.append(Sample(f"faults-{number}", notebooks, points, flags))
    for number, group in enumerate(_tamper_edits(builder), start=1):
        sources = {exercise: code for exercise, code, _points, _kinds in group}
        points = dict(POINTS)
        points.update({exercise: expected for exercise, _code, expected, _kinds in group})
        flags = {exercise: kinds for exercise, _code, _points, kinds in group}
        samples.append(Sample(f"tamper-{number}", builder.filled(sources), points, flags))
    return samples


def write(destination: Path, samples: list[Sample] | None = None) -> list[Sample]:
    """Write the class as ``destination/<student>/nst/*.ipynb`` plus ``expected.json``."""
    samples = build() if samples is None else samples
    destination.mkdir(parents=True, exist_ok=True)
    for sample in samples:
        folder = destination / sample.student / config.ASSIGNMENT_ID
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        for name, notebook in sample.notebooks.items():
            text = notebook if isinstance(notebook, str) else json.dumps(
                notebook, indent=1, ensure_ascii=False) + "\n"
            (folder / name).write_text(text, encoding="utf-8")
    expected = {s.student: {"points": s.points, "flags": s.flags, "note": s.note}
                for s in samples}
    (destination / "expected.json").write_text(json.dumps(expected, indent=1) + "\n",
                                               encoding="utf-8")
    return samples


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, required=True,
                        help="folder to write (e.g. a course's submitted/ folder)")


def command(args: argparse.Namespace) -> int:
    samples = write(args.out)
    print(f"Wrote {len(samples)} sample submissions to {args.out} (expectations in expected.json)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
