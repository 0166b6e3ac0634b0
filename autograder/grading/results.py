"""What grading produced, as values that cross process boundaries and serialise themselves.

Three frozen dataclasses, one each for what travels between the processes
that grade a class (a Dask worker, the ``grade`` process, the report, the
``score`` command and the JSON records):

* :class:`Flag`: something suspicious or broken, for the instructor (it never
  changes a score), and the exercise it concerns;
* :class:`NotebookOutcome`: everything grading one notebook of one student
  produced (scores, flags, errors, the judge's verdicts, nbgrader's gradebook
  rows, the autograded notebook, timings);
* :class:`StudentRecord`: a student's notebooks together, as
  ``grading/<student>.json`` keeps them.

Each has ``as_json()`` and ``from_json()``; a Dask worker hands its outcomes
back as they are (pickled by Dask).
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

from nst_utils import cells, config

#: Graded notebook -> the graded functions written in it.
GRADED_NOTEBOOKS: dict[str, list[str]] = {}
for _exercise in config.EXERCISES:
    GRADED_NOTEBOOKS.setdefault(_exercise.notebook, []).append(_exercise.function)


def first_exercise(notebook: str) -> str | None:
    """The exercise a problem of ``notebook`` concerns when no cell says otherwise."""
    return (GRADED_NOTEBOOKS.get(notebook) or [None])[0]


@dataclass(frozen=True)
class Flag:
    """Something an instructor should look at; ``exercise`` None: the notebook as a whole."""

    exercise: str | None
    kind: str
    detail: str

    def as_json(self) -> dict:
        return {"exercise": self.exercise, "kind": self.kind, "detail": self.detail}

    @classmethod
    def from_json(cls, data: dict) -> Flag:
        return cls(data.get("exercise"), str(data.get("kind")), str(data.get("detail")))


def unique(flags) -> tuple[Flag, ...]:
    """``flags`` in order, each once."""
    return tuple(dict.fromkeys(flags))


@dataclass(frozen=True)
class NotebookOutcome:
    """What grading one notebook of one student produced."""

    student: str
    notebook: str
    exercises: dict = field(default_factory=dict)  # function -> {"points", "max_points"}
    total: float = 0.0
    max_total: float = 0.0
    flags: tuple[Flag, ...] = ()
    errors: tuple[dict, ...] = ()  # {"exercise", "cell", "ename", "evalue"}
    verdicts: dict = field(default_factory=dict)  # function -> the judge's verdict (as JSON)
    rows: dict = field(default_factory=dict)  # what nbgrader's gradebook holds (gradebook_rows)
    autograded: bytes | None = None  # the graded notebook, for the instructor
    seconds: float = 0.0
    host: str | None = None
    incomplete: bool = False  # the cluster failed it: never filed as a grade, graded again
    log: str = field(default="", repr=False, compare=False)  # nbgrader's, for diagnosis

    #: What a record and ``score --json`` show of it, in this order.
    SHOWN = ("notebook", "exercises", "total", "max_total", "flags", "errors", "verdicts")

    def flagged(self, *more: Flag) -> NotebookOutcome:
        return replace(self, flags=unique((*self.flags, *more)))

    def as_json(self) -> dict:
        data = {name: getattr(self, name) for name in self.SHOWN}
        data["flags"] = [flag.as_json() for flag in self.flags]
        data["errors"] = [dict(error) for error in self.errors]
        return data

    @classmethod
    def from_json(cls, data: dict, student: str = "") -> NotebookOutcome:
        known = {f.name for f in fields(cls)} & set(cls.SHOWN)
        values = {k: v for k, v in data.items() if k in known}
        values["flags"] = tuple(Flag.from_json(f) for f in data.get("flags", []))
        values["errors"] = tuple(data.get("errors", []))
        return cls(student=student, **values)


@dataclass(frozen=True)
class StudentRecord:
    """A student's graded notebooks together: ``grading/<student>.json``, ``score --json``."""

    student: str
    notebooks: tuple[NotebookOutcome, ...]
    digest: str | None = None  # of the submitted files: a changed submission is graded again
    seconds: float = 0.0
    score: float | None = None  # what the gradebook holds (None: not filed)
    incomplete: bool = False
    unsandboxed: bool = False

    @property
    def total(self) -> float:
        return sum(nb.total for nb in self.notebooks)

    @property
    def flags(self) -> tuple[Flag, ...]:
        return tuple(flag for nb in self.notebooks for flag in nb.flags)

    def exercise_points(self) -> dict:
        return {f: e["points"] for nb in self.notebooks for f, e in nb.exercises.items()}

    def as_json(self) -> dict:
        return {"student": self.student, "digest": self.digest, "seconds": self.seconds,
                "score": self.score, "incomplete": self.incomplete,
                "unsandboxed": self.unsandboxed,
                "notebooks": [nb.as_json() for nb in self.notebooks]}

    @classmethod
    def from_json(cls, data: dict) -> StudentRecord:
        student = str(data.get("student", ""))
        return cls(student, tuple(NotebookOutcome.from_json(nb, student)
                                  for nb in data.get("notebooks", [])),
                   data.get("digest"), float(data.get("seconds") or 0.0), data.get("score"),
                   bool(data.get("incomplete")), bool(data.get("unsandboxed")))

    @classmethod
    def read(cls, path: Path) -> StudentRecord | None:
        """The record in ``path`` (None if there is none, or it is not one)."""
        try:
            return cls.from_json(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError, AttributeError):
            return None


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


def notebook_outcome(db: Path | None, student: str, name: str, executed: Path | None,
                     **more) -> NotebookOutcome:
    """One notebook's outcome: its scores from a gradebook (0 where it holds none), plus the
    errors, flags and verdicts of the autograded notebook ``executed``; ``more`` sets other
    fields."""
    from nbgrader.api import Gradebook

    from autograder.grading import tamper

    with contextlib.ExitStack() as stack:
        gb = stack.enter_context(Gradebook(f"sqlite:///{db}")) if db is not None else None
        exercises = _scores(gb, student, name)
    for function in GRADED_NOTEBOOKS.get(name, []):  # unreadable: 0
        exercises.setdefault(function, {"points": 0.0,
                                        "max_points": config.exercise(function).points})
    errors, flags, verdicts = ((), (), {})
    if executed is not None and executed.exists():
        errors, flags, verdicts = tamper.inspect_outputs(executed)
    flags = unique((*flags, *more.pop("flags", ())))
    return NotebookOutcome(student, name, exercises,
                           float(sum(e["points"] for e in exercises.values())),
                           float(sum(e["max_points"] for e in exercises.values())),
                           flags, tuple(errors), dict(verdicts), **more)


def write_json(path: Path, data) -> None:
    """Write JSON atomically (a run killed midway leaves the old file or the new one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)
