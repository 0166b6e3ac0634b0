"""Feedback for learners (the CSV export lives in :mod:`autograder.export`).

    python -m autograder feedback [--course DIR]          # feedback/<student>/nst/*.html

Feedback is nbgrader's ``generate_feedback`` with this course's
configuration, which makes each page from the learner's own submitted
notebook and the judge's verdicts (:mod:`autograder.preprocessors.student_view`): a pass
line, or the one-line reason of the first failed case, in the judge's words.
Nothing a grading kernel printed is in it, and no page runs script
(:mod:`autograder.preprocessors.browser_safe`).
"""

from __future__ import annotations

import argparse
import sys
from functools import partial
from pathlib import Path

from autograder.cli import standalone
from autograder.export import export, rows  # noqa: F401 - their former home (demo, bench)
from nst_utils import config

main = partial(standalone, __name__)  # main(argv=None) -> exit status: python -m autograder.<command>


def _course(path: Path | None) -> Path:
    from autograder.grade import default_course

    return (path or default_course()).resolve()


def generate_feedback(course: Path, *, force: bool = True) -> int:
    """nbgrader generate_feedback for every autograded student; returns nbgrader's status."""
    from autograder.grading.jobs import run_nbgrader

    args = ["generate_feedback", config.ASSIGNMENT_ID]
    if force:
        args.append("--force")
    result = run_nbgrader(args, course)
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-4000:])
    return result.returncode


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--course", type=Path, default=None,
                        help="course folder (default: $NST_COURSE_ROOT or ./course)")


def command(args: argparse.Namespace) -> int:
    course = _course(args.course)
    status = generate_feedback(course)
    count = len(list((course / "feedback").glob(f"*/{config.ASSIGNMENT_ID}/*.html")))
    print(f"feedback: {count} HTML files in {course / 'feedback'}")
    return 0 if status == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
