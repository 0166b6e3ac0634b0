"""Autograde every submission of a course, N notebooks at a time, resumably.

    python -m autograder grade [--course DIR] [--workers N] [--force] [--student ID ...]

The course folder is nbgrader's layout: ``submitted/<student>/nst/*.ipynb``
(what ``nbgrader collect`` or ``zip_collect`` put there). Results go to
nbgrader's own places: ``gradebook.db`` (scores) and
``autograded/<student>/nst/`` (executed notebooks), plus
``grading/<student>.json`` (flags, errors, timings) for the report.

How it works, and why it is safe:

* each graded notebook is autograded by nbgrader in a private course of its
  own (:mod:`autograder.course`); ``submitted/`` is only ever read;
* ``--workers N`` runs N such notebooks at a time; a single process (this
  one) writes the class gradebook, one student at a time, so parallel work
  can never corrupt it, and the scores are identical to ``--workers 1``;
* a student counts as graded once ``grading/<student>.json`` is written, and
  that happens only after the gradebook holds the student's scores. A run
  killed midway leaves the gradebook consistent; running ``grade`` again
  grades the students that are not done yet (or whose files changed since).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import time
import warnings
from pathlib import Path

from autograder import course as grading
from nst_utils import config

ASSIGNMENT = config.ASSIGNMENT_ID


def default_course() -> Path:
    return Path(os.environ.get("NST_COURSE_ROOT", "course")).resolve()


def submissions(course: Path) -> dict[str, list[Path]]:
    """Student id -> their submitted notebooks."""
    root = course / "submitted"
    found = {}
    if root.is_dir():
        for folder in sorted(root.iterdir()):
            files = sorted((folder / ASSIGNMENT).glob("*.ipynb"))
            if folder.is_dir() and (folder / ASSIGNMENT).is_dir():
                found[folder.name] = files
    return found


def digest(files: list[Path]) -> str:
    h = hashlib.sha256()
    for path in sorted(files):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def record_path(course: Path, student: str) -> Path:
    return course / "grading" / f"{student}.json"


def ensure_gradebook(course: Path) -> Path:
    """The class gradebook, with the grading assignment registered."""
    from nbgrader.api import Gradebook, MissingEntry

    template = grading.template_course()
    db = course / "gradebook.db"
    source = course / "source" / ASSIGNMENT
    if not source.exists():
        shutil.copytree(template / "source" / ASSIGNMENT, source)
    if not db.exists():
        grading.copy_gradebook(template / "gradebook.db", db)
    with Gradebook(f"sqlite:///{db}") as gb:
        try:
            gb.find_assignment(ASSIGNMENT)
            return db
        except MissingEntry:
            pass
    result = grading.run_nbgrader(["generate_assignment", ASSIGNMENT, "--force", "--create"],
                                  course)
    if result.returncode != 0:
        raise SystemExit("nbgrader generate_assignment failed:\n" + result.stdout[-3000:])
    return db


def store(course: Path, db: Path, student: str, results: list, rows: dict, files: list[Path],
          staged: Path, timestamp: str | None, seconds: float) -> None:
    """File one student's results: notebooks, then gradebook, then the record (in that order)."""
    from nbgrader.api import Gradebook, MissingEntry

    target = course / "autograded" / student / ASSIGNMENT
    target.parent.mkdir(parents=True, exist_ok=True)
    incoming = target.parent / f".{ASSIGNMENT}.incoming"
    if incoming.exists():
        shutil.rmtree(incoming)
    shutil.copytree(staged, incoming) if staged.exists() else incoming.mkdir()
    if target.exists():
        shutil.rmtree(target)
    os.replace(incoming, target)

    with warnings.catch_warnings(), Gradebook(f"sqlite:///{db}") as gb:
        # nbgrader's update_or_create_submission trips a harmless SQLAlchemy warning.
        warnings.simplefilter("ignore")
        gb.update_or_create_student(student)
        kwargs = {}
        if timestamp:
            from nbgrader.utils import parse_utc

            try:
                kwargs["timestamp"] = parse_utc(timestamp)
            except (ValueError, OverflowError):
                pass  # an unreadable timestamp.txt: graded without a time, as nbgrader does
        gb.update_or_create_submission(ASSIGNMENT, student, **kwargs)
        for name in grading.GRADED_NOTEBOOKS:
            stem = Path(name).stem
            recorded = rows.get(name) or {}
            notebook = gb.find_submission_notebook(stem, ASSIGNMENT, student)
            for grade in notebook.grades:
                auto, manual = (recorded.get("grades") or {}).get(grade.name, [0.0, False])
                grade.auto_score = 0.0 if auto is None and not manual else auto
                grade.needs_manual_grade = bool(manual)
            for comment in notebook.comments:
                comment.auto_comment = (recorded.get("comments") or {}).get(comment.name)
        gb.db.commit()
        try:
            total = gb.find_submission(ASSIGNMENT, student).score
        except MissingEntry:
            total = None

    record = {
        "student": student,
        "digest": digest(files),
        "seconds": round(seconds, 2),
        "score": total,
        "notebooks": [nb.as_json() for nb in results],
    }
    grading.write_json(record_path(course, student), record)


def grade(course: Path, *, workers: int = 1, force: bool = False,
          students: list[str] | None = None, quiet: bool = False) -> dict:
    """Grade the course's pending submissions; return {student: record}."""
    course = course.resolve()
    found = submissions(course)
    if students:
        found = {s: f for s, f in found.items() if s in set(students)}
    db = ensure_gradebook(course)
    pending = {}
    for student, files in found.items():
        path = record_path(course, student)
        if not force and path.exists():
            try:
                if json.loads(path.read_text(encoding="utf-8")).get("digest") == digest(files):
                    continue
            except ValueError:
                pass
        pending[student] = files
    say = (lambda *a: None) if quiet else (lambda *a: print(*a, file=sys.stderr, flush=True))
    say(f"grading {len(pending)} of {len(found)} submissions "
        f"({len(found) - len(pending)} already graded), {workers} at a time")

    jobs, owner = [], {}
    for student, files in pending.items():
        stamp_file = course / "submitted" / student / ASSIGNMENT / "timestamp.txt"
        stamp = stamp_file.read_text(encoding="utf-8").strip() if stamp_file.exists() else None
        student_jobs, _ungraded = grading.submission_jobs(files, student, all_graded=True,
                                                          timestamp=stamp)
        for job in student_jobs:
            owner[len(jobs)] = student
            jobs.append(job)
    remaining = {s: sum(1 for j in jobs if j.student == s) for s in pending}
    collected: dict[str, dict] = {s: {"results": {}, "rows": {}, "started": None} for s in pending}
    started = time.monotonic()
    staging = course / "grading" / ".staging"
    if staging.exists():
        shutil.rmtree(staging)
    done_jobs = [0]
    records = {}

    def on_done(index, job, result, rows):
        student = job.student
        done_jobs[0] += 1
        entry = collected[student]
        entry["results"][job.name] = result
        entry["rows"][job.name] = rows
        remaining[student] -= 1
        flags = f"  [{len(result.flags)} flag(s)]" if result.flags else ""
        say(f"[{done_jobs[0]}/{len(jobs)}] {student} {job.name}: {result.total:g}/"
            f"{result.max_total:g}{flags}  ({time.monotonic() - started:.0f} s)")
        if remaining[student] == 0:
            ordered = [entry["results"][n] for n in sorted(entry["results"])]
            store(course, db, student, ordered, entry["rows"], pending[student],
                  staging / student, job.timestamp, time.monotonic() - started)
            records[student] = json.loads(record_path(course, student).read_text())

    grading.run_jobs(jobs, workers=workers, keep=staging, on_done=on_done)
    if staging.exists():
        shutil.rmtree(staging)
    elapsed = time.monotonic() - started
    if pending:
        say(f"graded {len(pending)} submissions in {elapsed:.1f} s "
            f"({elapsed / len(pending):.1f} s per submission)")
    return records


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder grade", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--course", type=Path, default=None,
                        help="course folder (default: $NST_COURSE_ROOT or ./course)")
    parser.add_argument("--workers", type=int, default=1, help="notebooks graded at a time")
    parser.add_argument("--force", action="store_true", help="grade again what is already graded")
    parser.add_argument("--student", action="append", help="grade only this student (repeatable)")
    args = parser.parse_args(argv)
    course = (args.course or default_course()).resolve()
    if not (course / "submitted").is_dir():
        print(f"grade: {course}/submitted does not exist (collect the submissions first)",
              file=sys.stderr)
        return 2
    grade(course, workers=max(1, args.workers), force=args.force, students=args.student)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
