"""The instructor's workflow end to end, on the sample class.

    python -m autograder demo [--out DIR] [--workers N]

1. check the release (``release --check``: no solutions, no hidden tests);
2. write the sample class into ``DIR/submitted/`` (:mod:`autograder.samples`);
3. grade it (``grade --workers N``);
4. generate feedback; 5. export ``DIR/grades.csv``; 6. print the report.

``DIR`` defaults to a new temporary folder, which is kept (its path is printed).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from functools import partial
from pathlib import Path

from autograder.cli import standalone
from nst_utils import config

main = partial(standalone, __name__)  # main(argv=None) -> exit status: python -m autograder.<command>


def run(out: Path, workers: int = 2, students: list[str] | None = None) -> str:
    from autograder import feedback, grade, release, report, samples

    # The sample class holds an infinite loop: a shorter per-cell limit keeps the demo brisk.
    os.environ.setdefault("NST_CELL_TIMEOUT", "30")
    started = time.monotonic()
    problems = release.verify(config.RELEASE_DIR)
    print(f"1. release: {'clean' if not problems else problems}")
    built = samples.build()
    if students:
        built = [s for s in built if s.student in students]
    samples.write(out / "submitted", built)
    (out / "submitted" / "expected.json").replace(out / "expected.json")
    print(f"2. sample class: {len(built)} submissions in {out / 'submitted'}")
    print(f"3. grading, {workers} notebooks at a time ...")
    grade.grade(out, workers=workers)
    status = feedback.generate_feedback(out)
    print(f"4. feedback: {'done' if status == 0 else 'nbgrader reported a problem'} "
          f"({out / 'feedback'})")
    count = feedback.export(out, out / "grades.csv")
    print(f"5. exported {count} students to {out / 'grades.csv'}")
    print("6. report\n")
    text = report.build(out, out / "report")
    print(text)
    print(f"demo finished in {time.monotonic() - started:.0f} s; everything is in {out}")
    return text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=None, help="course folder to create")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--student", action="append", help="only these sample students")


def command(args: argparse.Namespace) -> int:
    out = (args.out or Path(tempfile.mkdtemp(prefix="nst-demo-course-"))).resolve()
    out.mkdir(parents=True, exist_ok=True)
    run(out, workers=args.workers, students=args.student)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
