"""Feedback for learners (the CSV export lives in :mod:`autograder.export`).

    python -m autograder feedback [--course DIR]          # feedback/<student>/nst/*.html

Feedback is nbgrader's ``generate_feedback`` with this course's
configuration: hidden tests are removed from it, their code
(``ClearHiddenTests``) and what they printed or raised
(:class:`StripHiddenOutput` keeps only the one-line verdict a learner can act
on).
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from nbgrader.preprocessors import NbGraderPreprocessor

from autograder.export import export, rows  # noqa: F401 - their former home (demo, bench)
from nst_utils import config

_HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS", re.S)
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


class StripHiddenOutput(NbGraderPreprocessor):
    """In test cells with hidden tests, reduce errors to their last line and drop tracebacks.

    A traceback through a hidden test would show its code and file names; the
    verdict (``AssertionError: gram_matrix fails a graded test (...)``) is
    what a learner needs. Markers of the tampering guard are reworded.
    """

    def preprocess_cell(self, cell, resources, cell_index):
        grading = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type != "code" or not grading.get("grade"):
            return cell, resources
        if not _HIDDEN.search(cell.source) and "autograder" not in cell.source:
            return cell, resources
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                evalue = _ANSI.sub("", str(output.get("evalue", "")))
                if "NST-TAMPERING" in evalue:
                    evalue = ("the graded tests found that code in this notebook replaced "
                              "functions they rely on; this exercise scores 0")
                evalue = evalue.replace("autograder", "grader")
                output["evalue"] = evalue
                output["traceback"] = [f"{output.get('ename', 'Error')}: {evalue}"]
        return cell, resources


def _course(path: Path | None) -> Path:
    from autograder.grade import default_course

    return (path or default_course()).resolve()


def generate_feedback(course: Path, *, force: bool = True) -> int:
    """nbgrader generate_feedback for every autograded student; returns nbgrader's status."""
    from autograder.course import run_nbgrader

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


def main(argv: list[str] | None = None) -> int:
    from autograder.cli import standalone

    return standalone(__name__, argv)


def command(args: argparse.Namespace) -> int:
    course = _course(args.course)
    status = generate_feedback(course)
    count = len(list((course / "feedback").glob(f"*/{config.ASSIGNMENT_ID}/*.html")))
    print(f"feedback: {count} HTML files in {course / 'feedback'}")
    return 0 if status == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
