"""Feedback for learners and the gradebook as CSV.

    python -m autograder feedback [--course DIR]          # feedback/<student>/nst/*.html
    python -m autograder export --to grades.csv [--course DIR]

Feedback is nbgrader's ``generate_feedback`` with this course's
configuration: hidden tests are removed from it, their code
(``ClearHiddenTests``) and what they printed or raised
(:class:`StripHiddenOutput` keeps only the one-line verdict a learner can act
on). The CSV has one row per student and one column per exercise, read from
nbgrader's gradebook.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from pathlib import Path

from nbgrader.preprocessors import NbGraderPreprocessor

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


def rows(course: Path) -> tuple[list[str], list[dict]]:
    """Header and one row per student, from the gradebook."""
    from nbgrader.api import Gradebook

    from autograder.course import exercise_of_grade_id

    exercises = list(config.GRADED_FUNCTIONS)
    header = ["student", *exercises, "total", "max_total", "timestamp"]
    table = []
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for submission in sorted(gb.assignment_submissions(config.ASSIGNMENT_ID),
                                 key=lambda s: s.student_id):
            row = {"student": submission.student_id, "total": submission.score,
                   "max_total": submission.max_score,
                   "timestamp": submission.timestamp.isoformat() if submission.timestamp else ""}
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    exercise = exercise_of_grade_id(grade.name)
                    if exercise:
                        row[exercise] = grade.score
            table.append(row)
    return header, table


def export(course: Path, destination: Path) -> int:
    header, table = rows(course)
    destination.parent.mkdir(parents=True, exist_ok=True)
    with open(destination, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        for row in table:
            writer.writerow({k: row.get(k, "") for k in header})
    return len(table)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder feedback", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--course", type=Path, default=None)
    args = parser.parse_args(argv)
    course = _course(args.course)
    status = generate_feedback(course)
    count = len(list((course / "feedback").glob(f"*/{config.ASSIGNMENT_ID}/*.html")))
    print(f"feedback: {count} HTML files in {course / 'feedback'}")
    return 0 if status == 0 else 1


def export_main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder export", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--course", type=Path, default=None)
    parser.add_argument("--to", type=Path, default=Path("grades.csv"), help="CSV file to write")
    args = parser.parse_args(argv)
    count = export(_course(args.course), args.to)
    print(f"exported {count} students to {args.to}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
