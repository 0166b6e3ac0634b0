"""Autograde every submission of a course on a Dask cluster, resumably.

    python -m autograder grade [--course DIR] [--workers N | --scheduler ADDRESS]
                               [--db URL] [--due DATE] [--late-penalty POLICY]
                               [--force] [--student ID ...] [--unsandboxed]

The course folder is nbgrader's layout: ``submitted/<student>/nst/*.ipynb``
(what ``nbgrader collect`` or ``zip_collect`` put there), with
``timestamp.txt`` beside them. Results go to nbgrader's own places: the
gradebook (``gradebook.db``, or ``--db`` / ``$NST_GRADEBOOK_URL``, e.g.
PostgreSQL; :mod:`autograder.gradebook`) and ``autograded/<student>/nst/``,
plus ``grading/<student>.json`` (flags, errors, timings) for the report.

How it works, and why it is safe:

* every student is one task on a Dask cluster (:mod:`autograder.grading.cluster`):
  ``--workers N`` starts a local one inside this process, ``--scheduler``
  uses an existing one; the task carries the notebooks' bytes, the result
  comes back as data, and ``submitted/`` is only ever read; a student's
  kernels are forked by one sandbox that imports TensorFlow once
  (:mod:`autograder.grading.kernels`);
* this process alone writes the class gradebook, one student at a time in
  one transaction, with nbgrader's due date, extensions and late-penalty
  plugin applied there (:mod:`autograder.deadlines`); the scores are the
  same whatever the number of workers;
* a student counts as graded once ``grading/<student>.json`` is written,
  after the gradebook holds their scores. A run killed midway, or stopped
  because the database went away, leaves the gradebook consistent; running
  ``grade`` again grades the students that are not done yet (or whose files
  changed, or whose grading was cut short by dying workers).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import sys
import time
from functools import partial
from pathlib import Path

from autograder.grading import jobs as grading
from autograder import gradebook, settings
from autograder.cli import standalone
from autograder.grading.results import NotebookOutcome, StudentRecord
from nst_utils import config

main = partial(standalone, __name__)  # main(argv=None) -> exit status: python -m autograder.<command>

ASSIGNMENT = config.ASSIGNMENT_ID
#: A submission's files besides its notebooks that feedback needs: its time, and the
#: secret nbgrader's release_feedback names the student's feedback files with.
SUBMISSION_FILES = ("timestamp.txt", "submission_secret.txt")


def default_course() -> Path:
    return settings.course_root(Path("course"))


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


def pending_submissions(course: Path, force: bool = False,
                        students: list[str] | None = None) -> tuple[dict, int]:
    """Submissions still to grade (new, changed, or flagged as incomplete), and how many exist."""
    found = submissions(course)
    if students:
        found = {s: f for s, f in found.items() if s in set(students)}
    pending = {}
    for student, files in found.items():
        record = None if force else StudentRecord.read(record_path(course, student))
        if record is not None and record.digest == digest(files) and not record.incomplete:
            continue
        pending[student] = files
    return pending, len(found)


def tasks_for(course: Path, pending: dict) -> list:
    """One grading task per graded notebook of each pending student (bytes, not paths)."""
    from autograder.grading.jobs import GradingTask

    names = sorted({e.notebook for e in config.EXERCISES})
    tasks = []
    for student, files in pending.items():
        stamp_file = course / "submitted" / student / ASSIGNMENT / "timestamp.txt"
        stamp = stamp_file.read_text(encoding="utf-8").strip() if stamp_file.exists() else None
        given = {p.name: p for p in files}
        tasks += [GradingTask(student, name, given[name].read_bytes() if name in given else None,
                              stamp) for name in names]
    return tasks


def parse_timestamp(stamp: str | None):
    """A timestamp.txt as nbgrader reads it; unreadable means none (nbgrader does the same)."""
    from nbgrader.utils import parse_utc

    try:
        return parse_utc(stamp) if stamp else None
    except (ValueError, OverflowError):
        return None


class ClassWriter:
    """The only writer of the class's results: files each student once all notebooks are back.

    Order per student: autograded notebooks, then the gradebook (one
    transaction), then ``grading/<student>.json``, which marks them done.
    """

    def __init__(self, course: Path, url: str, pending: dict, tasks: list, penalty, say,
                 unsandboxed: bool = False):
        self.course, self.url, self.pending, self.penalty, self.say = (
            course, url, pending, penalty, say)
        self.unsandboxed = unsandboxed
        self.expected = {s: sum(1 for t in tasks if t.student == s) for s in pending}
        self.stamps = {t.student: t.timestamp for t in tasks}
        self.outcomes: dict[str, dict[str, NotebookOutcome]] = {s: {} for s in pending}
        self.records: dict[str, StudentRecord] = {}
        self.started = time.monotonic()
        self.tasks_done, self.tasks_total = 0, len(tasks)

    def __call__(self, outcome: NotebookOutcome) -> None:
        self.outcomes[outcome.student][outcome.notebook] = outcome
        self.tasks_done += 1
        if len(self.outcomes[outcome.student]) == self.expected[outcome.student]:
            self.file(outcome.student)

    def file(self, student: str) -> None:
        """Store a student whose notebooks were all graded; one the cluster failed is not
        stored (the gradebook keeps what it had) but recorded as incomplete, to regrade."""
        outcomes = tuple(self.outcomes[student][n] for n in sorted(self.outcomes[student]))
        incomplete = any(o.incomplete for o in outcomes)
        total = None
        if not incomplete:
            self._write_notebooks(student, outcomes)
            total = gradebook.store_student(self.url, student,
                                            {o.notebook: o.rows for o in outcomes},
                                            parse_timestamp(self.stamps[student]), self.penalty)
        record = StudentRecord(student, outcomes, digest(self.pending[student]),
                               round(sum(o.seconds for o in outcomes), 2), total, incomplete,
                               self.unsandboxed)
        grading.write_json(record_path(self.course, student), record.as_json())
        self.records[student] = record
        self._progress(student, record)

    def _write_notebooks(self, student: str, outcomes) -> None:
        target = self.course / "autograded" / student / ASSIGNMENT
        incoming = target.parent / f".{ASSIGNMENT}.incoming"
        shutil.rmtree(incoming, ignore_errors=True)
        incoming.mkdir(parents=True)
        for outcome in outcomes:
            if outcome.autograded is not None:
                (incoming / outcome.notebook).write_bytes(outcome.autograded)
        for name in SUBMISSION_FILES:  # carried along, as nbgrader's autograde does
            given = self.course / "submitted" / student / ASSIGNMENT / name
            if given.is_file() and not given.is_symlink():
                shutil.copyfile(given, incoming / name)
        shutil.rmtree(target, ignore_errors=True)
        os.replace(incoming, target)

    def _progress(self, student: str, record: StudentRecord) -> None:
        done, total = len(self.records), len(self.pending)
        elapsed = time.monotonic() - self.started
        eta = elapsed / max(1, self.tasks_done) * (self.tasks_total - self.tasks_done)
        flags = len(record.flags)
        verdict = (f"{record.score or 0:g} points" if not record.incomplete else
                   "NOT graded (the cluster failed it; see the report); the next run retries")
        self.say(f"[{done}/{total} students] {student}: {verdict}"
                 + (f" [{flags} flag(s)]" if flags else "")
                 + f"  ({elapsed:.0f} s, ETA {eta:.0f} s)")


def grade(course: Path, *, workers: int | None = None, force: bool = False,
          students: list[str] | None = None, quiet: bool = False, scheduler: str | None = None,
          db: str | None = None, due: str | None = None, late_penalty: str | None = None,
          security=None, grader=None, unsandboxed: bool = False) -> dict[str, StudentRecord]:
    """Grade the course's pending submissions on a Dask cluster; return {student: record}.

    The arguments left out come from the course's settings (:mod:`autograder.settings`).
    Raises ClusterError (scheduler unreachable, workers of another version: nothing
    written) and GradebookUnavailable (the database went away: the students filed
    so far stay filed, the next run resumes). ``grader``: see :func:`cluster.run`.
    """
    from autograder import deadlines
    from autograder.grading import cluster

    course = course.resolve()
    options = settings.load(course)
    if unsandboxed:
        options.unsandboxed = True
    workers = workers or options.workers
    scheduler = scheduler or options.scheduler or None
    rules = deadlines.policy(course, options, due, late_penalty)
    pending, found = pending_submissions(course, force, students)
    say = (lambda *a: None) if quiet else (lambda *a: print(*a, file=sys.stderr, flush=True))
    where = scheduler or f"a local cluster of {workers} worker(s)"
    say(f"grading {len(pending)} of {found} submissions "
        f"({found - len(pending)} already graded) on {where}")
    if not pending:
        return {}
    if scheduler is None:
        grading.start_fork_server()  # it loads nbgrader while the cluster starts
    tasks = tasks_for(course, pending)
    with cluster.engine(scheduler=scheduler, workers=workers, security=security) as client:
        assets = cluster.load_assets(course, options)
        count = cluster.check_workers(client, assets.fingerprint, options.unsandboxed)
        say(f"{count} worker(s) ready, course version {assets.fingerprint}"
            + (", WITHOUT the kernel sandbox" if options.unsandboxed else ""))
        url = settings.gradebook_url(course, db)
        gradebook.prepare(course, url, grading.template_course())
        if rules.due is not None:
            gradebook.set_due_date(url, rules.due)
        writer = ClassWriter(course, url, pending, tasks, rules.penalty_plugin(), say,
                             options.unsandboxed)
        cluster.run(client, tasks, assets, writer, grader)
    elapsed = time.monotonic() - writer.started
    say(f"graded {len(pending)} submissions in {elapsed:.1f} s "
        f"({elapsed / len(pending):.1f} s per submission)")
    return writer.records


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--course", type=Path, default=None,
                        help="course folder (default: $NST_COURSE_ROOT or ./course)")
    parser.add_argument("--workers", type=int, default=None,
                        help="local cluster: notebooks graded at a time "
                             "(default: c.NstGrader.workers, 1)")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="grade on an existing Dask cluster, e.g. tcp://10.0.0.5:8786 "
                             "(default: c.NstGrader.scheduler)")
    parser.add_argument("--db", default=None, metavar="URL",
                        help="gradebook: sqlite:///… or postgresql://user@host/db (default: "
                             "$NST_GRADEBOOK_URL, c.CourseDirectory.db_url, <course>/gradebook.db)")
    parser.add_argument("--due", default=None, metavar="DATE",
                        help="due date, e.g. '2026-12-01 17:00 UTC' (default: c.NstGrader.due)")
    parser.add_argument("--late-penalty", default=None, metavar="POLICY",
                        help="none, zero, N%%/hour or N%%/day "
                             "(default: c.NstGrader.late_penalty, none)")
    parser.add_argument("--force", action="store_true", help="grade again what is already graded")
    parser.add_argument("--unsandboxed", action="store_true",
                        help="grade without the kernel sandbox (only for work you trust; "
                             "the report says so)")
    parser.add_argument("--student", action="append", help="grade only this student (repeatable)")
    tls = parser.add_argument_group("TLS to the scheduler (Dask security)")
    tls.add_argument("--tls-ca-file", default=None, help="certificate authority file")
    tls.add_argument("--tls-cert", default=None, help="this client's certificate")
    tls.add_argument("--tls-key", default=None, help="this client's private key")


def security_of(args: argparse.Namespace):
    """Dask's Security object from the --tls-* options (None without them)."""
    if not (args.tls_ca_file or args.tls_cert or args.tls_key):
        return None
    from distributed.security import Security

    return Security(tls_ca_file=args.tls_ca_file, tls_client_cert=args.tls_cert,
                    tls_client_key=args.tls_key, require_encryption=True)


def command(args: argparse.Namespace) -> int:
    from autograder.grading.cluster import ClusterError

    course = (args.course or default_course()).resolve()
    if not (course / "submitted").is_dir():
        print(f"grade: {course}/submitted does not exist (collect the submissions first)",
              file=sys.stderr)
        return 2
    if args.unsandboxed:
        print("grade: WARNING: grading WITHOUT the kernel sandbox (--unsandboxed): a submission "
              "can read and change what this user can. The report will say so.", file=sys.stderr)
    try:
        grade(course, workers=args.workers and max(1, args.workers), force=args.force,
              students=args.student,
              scheduler=args.scheduler, db=args.db, due=args.due, unsandboxed=args.unsandboxed,
              late_penalty=args.late_penalty, security=security_of(args))
    except (ClusterError, ValueError) as error:
        print(f"grade: {error}", file=sys.stderr)
        return 2
    except gradebook.GradebookUnavailable as error:
        print(f"grade: stopped. {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
