"""The class gradebook as CSV: one row per student, one column per exercise.

    python -m autograder export --to grades.csv [--course DIR] [--db URL]

Columns: ``student``, the points of each exercise, ``raw_total`` (before any
late penalty), ``late_penalty``, ``total`` (what counts), ``max_total``, the
submission ``timestamp``, the ``due`` date (with the student's extension) and
``hours_late``. Everything is read from nbgrader's gradebook.
"""

from __future__ import annotations

import argparse
import csv
import sys
from functools import partial
from pathlib import Path

from autograder import gradebook
from autograder.cli import standalone
from nst_utils import config

main = partial(standalone, __name__)  # main(argv=None) -> exit status: python -m autograder.<command>

SUMMARY = ["raw_total", "late_penalty", "total", "max_total", "timestamp", "due", "hours_late"]


def rows(course: Path, db: str | None = None) -> tuple[list[str], list[dict]]:
    """Header and one row per student, from the gradebook."""
    header = ["student", *config.GRADED_FUNCTIONS, *SUMMARY]
    return header, gradebook.submissions(gradebook.resolve_url(course, db))


def export(course: Path, destination: Path, db: str | None = None) -> int:
    header, table = rows(course, db)
    destination.parent.mkdir(parents=True, exist_ok=True)
    with open(destination, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header)
        writer.writeheader()
        for row in table:
            writer.writerow({k: row.get(k, "") for k in header})
    return len(table)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--course", type=Path, default=None,
                        help="course folder (default: $NST_COURSE_ROOT or ./course)")
    parser.add_argument("--db", default=None, metavar="URL",
                        help="gradebook URL (default: $NST_GRADEBOOK_URL, else <course>/gradebook.db)")
    parser.add_argument("--to", type=Path, default=Path("grades.csv"), help="CSV file to write")


def command(args: argparse.Namespace) -> int:
    from autograder.grade import default_course

    try:
        count = export((args.course or default_course()).resolve(), args.to, args.db)
    except gradebook.GradebookUnavailable as error:
        print(f"export: {error}", file=sys.stderr)
        return 1
    print(f"exported {count} students to {args.to}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
