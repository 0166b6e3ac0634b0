"""What grading one notebook produced: scores from nbgrader's gradebook, errors and flags.

Plain data (:class:`NotebookResult`, :class:`SubmissionResult`) that travels
from the grading of one notebook to the class gradebook, the JSON records,
the report and ``score --json``.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from nst_utils import cells, config

#: Graded notebook -> the graded functions written in it.
GRADED_NOTEBOOKS: dict[str, list[str]] = {}
for _exercise in config.EXERCISES:
    GRADED_NOTEBOOKS.setdefault(_exercise.notebook, []).append(_exercise.function)


@dataclass
class NotebookResult:
    notebook: str
    exercises: dict = field(default_factory=dict)  # function -> {"points", "max_points"}
    total: float = 0.0
    max_total: float = 0.0
    flags: list = field(default_factory=list)  # {"exercise", "kind", "detail"}
    errors: list = field(default_factory=list)  # {"exercise", "cell", "ename", "evalue"}
    verdicts: dict = field(default_factory=dict)  # function -> {"seed", "passed", "cases"}
    log: str = field(default="", repr=False, compare=False)

    def as_json(self) -> dict:
        data = asdict(self)
        data.pop("log", None)
        return data

    @classmethod
    def from_json(cls, data: dict) -> "NotebookResult":
        return cls(**{k: v for k, v in data.items() if k in cls.__dataclass_fields__})


@dataclass
class SubmissionResult:
    student: str
    notebooks: list  # NotebookResult
    seconds: float = 0.0
    log: str = ""

    def as_json(self) -> dict:
        return {"notebooks": [n.as_json() for n in self.notebooks]}

    @property
    def total(self) -> float:
        return sum(n.total for n in self.notebooks)

    def exercise_points(self) -> dict:
        return {f: e["points"] for n in self.notebooks for f, e in n.exercises.items()}


def dedupe(flags: list) -> None:
    seen, unique = set(), []
    for flag in flags:
        key = (flag.get("exercise"), flag.get("kind"), flag.get("detail"))
        if key not in seen:
            seen.add(key)
            unique.append(flag)
    flags[:] = unique


def gradebook_rows(db: Path, student: str, name: str) -> dict:
    """What nbgrader recorded for one notebook: ``{"grades": {cell: [score, manual]},
    "comments": {cell: text}}``."""
    from nbgrader.api import Gradebook, MissingEntry

    rows = {"grades": {}, "comments": {}}
    with Gradebook(f"sqlite:///{db}") as gb:
        try:
            notebook = gb.find_submission_notebook(Path(name).stem, config.ASSIGNMENT_ID, student)
        except MissingEntry:
            return rows
        for grade in notebook.grades:
            rows["grades"][grade.name] = [grade.auto_score, bool(grade.needs_manual_grade)]
        for comment in notebook.comments:
            rows["comments"][comment.name] = comment.auto_comment
    return rows


def _scores(gb, student: str, name: str) -> dict:
    from nbgrader.api import MissingEntry

    if gb is None:
        return {}
    try:
        submission = gb.find_submission_notebook(Path(name).stem, config.ASSIGNMENT_ID, student)
    except MissingEntry:
        return {}
    scores = {}
    for grade in submission.grades:
        exercise = cells.exercise_of(grade.name)
        if exercise is not None:
            scores[exercise] = {"points": float(grade.score or 0.0),
                                "max_points": float(grade.max_score)}
    return scores


def read_results(db: Path | None, student: str, autograded: Path | None,
                 names: list[str] | None = None) -> list[NotebookResult]:
    """Per-notebook scores from a gradebook, plus errors, flags and verdicts from the output."""
    from nbgrader.api import Gradebook

    from autograder.grading import tamper

    names = list(names) if names is not None else list(GRADED_NOTEBOOKS)
    results = []
    with contextlib.ExitStack() as stack:
        gb = stack.enter_context(Gradebook(f"sqlite:///{db}")) if db is not None else None
        for name in names:
            nb = NotebookResult(name, exercises=_scores(gb, student, name))
            for function in GRADED_NOTEBOOKS.get(name, []):  # unreadable: 0
                nb.exercises.setdefault(function, {"points": 0.0, "max_points":
                                                   config.exercise(function).points})
            nb.total = float(sum(e["points"] for e in nb.exercises.values()))
            nb.max_total = float(sum(e["max_points"] for e in nb.exercises.values()))
            if autograded is not None and autograded.exists():
                errors, flags, verdicts = tamper.inspect_outputs(autograded)
                nb.errors.extend(errors)
                nb.flags.extend(flags)
                nb.verdicts.update(verdicts)
            results.append(nb)
    return results


def write_json(path: Path, data) -> None:
    """Write JSON atomically (a run killed midway leaves the old file or the new one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)
