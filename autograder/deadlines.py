"""Due dates, late penalties and extensions, the nbgrader way.

* The due date is nbgrader's ``Assignment.duedate`` in the class gradebook.
  ``grade --due "2026-12-01 17:00 UTC"`` or ``c.NstGrader.due = "…"`` in the
  course's ``nbgrader_config.py`` sets it; without either, the gradebook's own
  (set with ``nbgrader db assignment add nst --duedate=…``) stays.
* A submission's time is ``submitted/<student>/nst/timestamp.txt`` (what
  ``nbgrader collect`` writes), stored as nbgrader's submission timestamp.
* An extension is nbgrader's own record (``SubmittedAssignment.extension``):
  ``python -m autograder db extend --student S --days 2``.
* The penalty is computed by a late-submission plugin, nbgrader's mechanism
  (:class:`nbgrader.plugins.LateSubmissionPlugin`), chosen by
  ``c.NstGrader.late_penalty`` or ``grade --late-penalty``: ``none``, ``zero``, or
  :class:`PercentLatePenalty` (``"10%/day"``, ``"5%/hour"``: that share of the
  notebook's score per started period late, at most all of it). It is applied
  where the class gradebook is written, per notebook, as nbgrader's
  ``AssignLatePenalties`` would, and shown by ``export`` and ``report``.
  Plain nbgrader can use the same plugin:
  ``c.AssignLatePenalties.plugin_class = "autograder.deadlines.PercentLatePenalty"``.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from nbgrader.plugins import LateSubmissionPlugin
from traitlets import Enum, Float

#: Where earlier versions of the course read the late policy from.
OLD_FILE = "grading.toml"
_PERCENT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*(?:/|per)\s*(hour|day)\s*$", re.I)


class PercentLatePenalty(LateSubmissionPlugin):
    """Take ``percent`` % of a late notebook's score per started ``period`` late."""

    percent = Float(10.0, help="share of the score taken per period late (0-100)").tag(config=True)
    period = Enum(("hour", "day"), default_value="day",
                  help="the period the percentage applies to").tag(config=True)

    def late_submission_penalty(self, student_id: str, score: float,
                                total_seconds_late: float) -> float | None:
        if total_seconds_late <= 0:
            return None
        seconds = 3600.0 if self.period == "hour" else 86400.0
        share = min(1.0, self.percent / 100.0 * math.ceil(total_seconds_late / seconds))
        return score * share


def plugin(spec: str | None) -> LateSubmissionPlugin | None:
    """The plugin for a policy: ``none``, ``zero``, ``N%/hour`` or ``N%/day`` (None: none)."""
    if spec is None or spec.strip().lower() == "none":
        return None
    if spec.strip().lower() == "zero":
        return LateSubmissionPlugin(penalty_method="zero")
    match = _PERCENT.match(spec)
    if not match or not 0 <= float(match.group(1)) <= 100:
        raise ValueError(f"late penalty {spec!r} is not understood: use none, zero, "
                         "or a percentage per hour or day such as 10%/day or 5%/hour")
    return PercentLatePenalty(percent=float(match.group(1)), period=match.group(2).lower())


def parse_due(text: str | None) -> datetime | None:
    """A due date as nbgrader reads it (any common format; naive means UTC)."""
    if text is None:
        return None
    from nbgrader.utils import parse_utc

    try:
        return parse_utc(text)
    except (ValueError, OverflowError):
        raise ValueError(f"due date {text!r} is not a date: write e.g. "
                         "'2026-12-01 17:00:00 UTC'") from None


@dataclass(frozen=True)
class Policy:
    due: datetime | None  # None: keep what the gradebook has
    late_penalty: str  # none / zero / N%/hour / N%/day

    def penalty_plugin(self):
        return plugin(self.late_penalty)


def policy(course: Path, options, due: str | None = None,
           late_penalty: str | None = None) -> Policy:
    """The course's deadline policy: command-line values first, then the grader's settings
    (``c.NstGrader.due``, ``c.NstGrader.late_penalty``)."""
    if (Path(course) / OLD_FILE).exists():
        raise ValueError(f"{Path(course) / OLD_FILE} is no longer read: put its settings in "
                         f"{Path(course) / 'nbgrader_config.py'} as c.NstGrader.due = '...' "
                         "and c.NstGrader.late_penalty = '...', then delete it.")
    chosen = Policy(parse_due(due or options.due or None),
                    late_penalty or options.late_penalty or "none")
    chosen.penalty_plugin()  # an unreadable policy fails before anything is graded
    return chosen


def apply_penalties(gb, assignment: str, student: str, penalty) -> None:
    """Set each notebook's ``late_submission_penalty`` (nbgrader's AssignLatePenalties rules)."""
    submission = gb.find_submission(assignment, student)
    late = submission.total_seconds_late  # counts the student's extension
    for notebook in submission.notebooks:
        notebook.late_submission_penalty = None
        if late <= 0 or penalty is None:
            continue
        value = penalty.late_submission_penalty(student, notebook.score, late)
        if value is not None:
            notebook.late_submission_penalty = min(max(0.0, value), notebook.score)
