"""The class gradebook's database.

    python -m autograder db where  [--course DIR] [--db URL]
    python -m autograder db copy   --to postgresql://user@host/db [--course DIR] [--db URL]
    python -m autograder db extend --student ID [--days D] [--hours H] [--course DIR] [--db URL]

``where`` prints the gradebook in use (``--db``, ``$NST_GRADEBOOK_URL``, else
``<course>/gradebook.db``). ``copy`` moves an existing gradebook (by default
the course's SQLite file) into another database, e.g. PostgreSQL, keeping
every row and id; the destination must hold no submissions yet. Then grade
with ``--db URL`` or ``NST_GRADEBOOK_URL=URL``. ``extend`` grants a student
an extension of the due date, as nbgrader's own extension record (later
grants replace earlier ones; ``--days 0`` removes it).
"""

from __future__ import annotations

import argparse
import sys
from functools import partial
from pathlib import Path

from autograder import gradebook
from autograder.cli import standalone

main = partial(standalone, __name__)  # main(argv=None) -> exit status: python -m autograder.<command>


def add_arguments(parser: argparse.ArgumentParser) -> None:
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    where = actions.add_parser("where", help="print the gradebook in use")
    copy = actions.add_parser("copy", help="copy the gradebook into another database")
    copy.add_argument("--to", required=True, metavar="URL",
                      help="destination, e.g. postgresql://grader@dbhost/nst")
    extend = actions.add_parser("extend", help="grant a student an extension of the due date")
    extend.add_argument("--student", required=True)
    extend.add_argument("--days", type=float, default=0.0)
    extend.add_argument("--hours", type=float, default=0.0)
    for sub in (where, copy, extend):
        sub.add_argument("--course", type=Path, default=None,
                         help="course folder (default: $NST_COURSE_ROOT or ./course)")
        sub.add_argument("--db", default=None, metavar="URL",
                         help="gradebook URL (default: $NST_GRADEBOOK_URL, else "
                              "<course>/gradebook.db)")


def command(args: argparse.Namespace) -> int:
    from autograder.grade import default_course

    course = (args.course or default_course()).resolve()
    url = gradebook.resolve_url(course, args.db)
    try:
        if args.action == "where":
            print(gradebook.describe(url))
            return 0
        if args.action == "copy":
            return copy(url, gradebook.resolve_url(course, args.to))
        return extend(course, url, args.student, days=args.days, hours=args.hours)
    except gradebook.GradebookUnavailable as error:
        print(f"db {args.action}: {error}", file=sys.stderr)
        return 1


def copy(source: str, destination: str) -> int:
    """Copy the gradebook ``source`` into the empty database ``destination``."""
    path = gradebook.sqlite_file(source)
    if path is not None and not path.exists():
        print(f"db copy: there is no gradebook at {path}: grade the class first, or name "
              "the source with --db URL.", file=sys.stderr)
        return 2
    with gradebook.opened(destination) as gb:
        held = sum(len(a.submissions) for a in gb.assignments)
    if held:
        print(f"db copy: {gradebook.describe(destination)} already holds {held} submissions; "
              "copy into an empty database.", file=sys.stderr)
        return 2
    rows = gradebook.copy_rows(source, destination)
    with gradebook.opened(destination) as gb:
        students = len(gb.students)
    print(f"copied {rows} rows ({students} students) from {gradebook.describe(source)} to "
          f"{gradebook.describe(destination)}; grade with --db {gradebook.describe(destination)}")
    return 0


def extend(course: Path, url: str, student: str, *, days: float = 0.0,
           hours: float = 0.0) -> int:
    """Grant (or with 0, remove) an extension, creating the submission record if needed."""
    from nbgrader.api import MissingEntry

    from autograder.grading.jobs import template_course

    gradebook.prepare(course, url, template_course())
    with gradebook.opened(url) as gb:
        gb.update_or_create_student(student)
        try:
            gb.find_submission(gradebook.ASSIGNMENT, student)
        except MissingEntry:  # not graded yet: the grade run keeps the extension
            gb.add_submission(gradebook.ASSIGNMENT, student)
        gb.grant_extension(gradebook.ASSIGNMENT, student, days=days, hours=hours)
    when = f"{days:g} days {hours:g} hours" if days or hours else "none"
    print(f"extension for {student} on {gradebook.ASSIGNMENT}: {when}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
