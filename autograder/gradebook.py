"""The class gradebook: nbgrader's own database, embedded SQLite or a PostgreSQL server.

Where it lives, in this order: ``--db URL``, ``$NST_GRADEBOOK_URL``, the course's
``c.CourseDirectory.db_url``, else ``sqlite:///<course>/gradebook.db``. Any
SQLAlchemy URL nbgrader accepts works;
``postgresql+psycopg://user@host/db`` (or plain ``postgresql://``) uses
psycopg 3. Only the trusted ``grade`` process writes it, one student at a
time, in one transaction per student.

A database that cannot be reached raises :class:`GradebookUnavailable`, whose
message names the database (password hidden) and says what to do; nothing
half-written stays behind, because a student's scores are committed together.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import sys
import warnings
from pathlib import Path

from nst_utils import config

ASSIGNMENT = config.ASSIGNMENT_ID


class GradebookUnavailable(RuntimeError):
    """The gradebook's database could not be reached or used."""


def resolve_url(course: Path, db: str | None = None) -> str:
    """The gradebook URL: ``db``, else ``$NST_GRADEBOOK_URL``, else the course's
    ``c.CourseDirectory.db_url``, else its SQLite file (:func:`autograder.settings.gradebook_url`)."""
    from autograder import settings

    return settings.gradebook_url(course, db)


def describe(url: str) -> str:
    """The URL with its password hidden, for messages."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def sqlite_file(url: str) -> Path | None:
    return Path(url[len("sqlite:///"):]) if url.startswith("sqlite:///") else None


@contextlib.contextmanager
def opened(url: str):
    """nbgrader's ``Gradebook`` on ``url``; database failures become GradebookUnavailable."""
    from nbgrader.api import Gradebook
    from sqlalchemy.exc import DBAPIError, OperationalError

    _alembic_on_path()
    try:
        with warnings.catch_warnings():
            # nbgrader's update_or_create_submission trips a harmless SQLAlchemy warning.
            warnings.simplefilter("ignore")
            with Gradebook(url) as gb:
                yield gb
    except (OperationalError, DBAPIError) as error:
        reason = str(getattr(error, "orig", error) or error).strip().splitlines()
        raise GradebookUnavailable(
            f"the gradebook database {describe(url)} is not reachable or failed "
            f"({reason[0] if reason else type(error).__name__}). Start it (or fix --db / "
            "$NST_GRADEBOOK_URL) and run the same command again; a `grade` run keeps the "
            "students it had filed (one transaction each) and resumes with the rest.") from None


def _alembic_on_path() -> None:
    """nbgrader runs the ``alembic`` command when it creates a gradebook: find this venv's."""
    tools = str(Path(sys.executable).parent)
    if shutil.which("alembic") is None and tools not in os.environ.get("PATH", ""):
        os.environ["PATH"] = tools + os.pathsep + os.environ.get("PATH", "")


def copy_rows(source: str, destination: str) -> int:
    """Copy nbgrader's tables from one gradebook into another, keeping ids; return rows copied.

    Rows whose primary key the destination already holds are left alone, so an
    assignment's definition can be merged into a course database.
    """
    from nbgrader.api import Base
    from sqlalchemy import create_engine, insert, select

    with opened(destination):  # creates nbgrader's tables (and alembic version) if needed
        pass
    copied = 0
    src, dst = create_engine(source), create_engine(destination)
    try:
        with src.connect() as read, dst.begin() as write:
            for table in Base.metadata.sorted_tables:
                keys = table.primary_key.columns
                have = {tuple(r) for r in write.execute(select(*keys))}
                rows = [dict(r._mapping) for r in read.execute(select(table))]
                new = [r for r in rows if tuple(r[k.name] for k in keys) not in have]
                if new:
                    write.execute(insert(table), new)
                    copied += len(new)
    finally:
        src.dispose()
        dst.dispose()
    return copied


def prepare(course: Path, url: str, template: Path) -> None:
    """Make the class gradebook hold the grading assignment (from the template's gradebook)."""
    from nbgrader.api import MissingEntry

    source = course / "source" / ASSIGNMENT
    if not source.exists():  # nbgrader's feedback reads the source notebooks from the course
        shutil.copytree(template / "source" / ASSIGNMENT, source)
    path = sqlite_file(url)
    if path is not None and not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(template / "gradebook.db") as src, sqlite3.connect(path) as dst:
            src.backup(dst)
        return
    with opened(url) as gb:
        try:
            gb.find_assignment(ASSIGNMENT)
            return
        except MissingEntry:
            pass
    copy_rows(f"sqlite:///{template / 'gradebook.db'}", url)


def set_due_date(url: str, due) -> None:
    """Record the assignment's due date (a UTC datetime, or None for no deadline)."""
    with opened(url) as gb:
        assignment = gb.find_assignment(ASSIGNMENT)
        if assignment.duedate != due:
            assignment.duedate = due
            gb.db.commit()


def store_student(url: str, student: str, rows: dict, timestamp, penalty=None) -> float | None:
    """Write one student's scores (and late penalty) in one transaction; return their total.

    ``rows``: notebook name -> {"grades": {cell: [auto_score, needs_manual]},
    "comments": {cell: text}} as nbgrader recorded them while grading.
    ``penalty``: a late-submission plugin (:mod:`autograder.deadlines`) or None.
    """
    from nbgrader.api import MissingEntry

    from autograder import deadlines

    with opened(url) as gb:
        gb.update_or_create_student(student)
        extra = {"timestamp": timestamp} if timestamp is not None else {}
        gb.update_or_create_submission(ASSIGNMENT, student, **extra)
        for name in sorted({e.notebook for e in config.EXERCISES}):
            _store_notebook(gb, student, name, rows.get(name) or {})
        gb.db.flush()
        deadlines.apply_penalties(gb, ASSIGNMENT, student, penalty)
        gb.db.commit()
        try:
            return gb.find_submission(ASSIGNMENT, student).score
        except MissingEntry:
            return None


def _store_notebook(gb, student: str, name: str, recorded: dict) -> None:
    notebook = gb.find_submission_notebook(Path(name).stem, ASSIGNMENT, student)
    for grade in notebook.grades:
        auto, manual = (recorded.get("grades") or {}).get(grade.name, [0.0, False])
        grade.auto_score = 0.0 if auto is None and not manual else auto
        grade.needs_manual_grade = bool(manual)
    for comment in notebook.comments:
        comment.auto_comment = (recorded.get("comments") or {}).get(comment.name)


def submissions(url: str) -> list[dict]:
    """Every graded submission as plain data: scores per exercise, penalty, times."""
    from nst_utils.cells import exercise_of

    table = []
    with opened(url) as gb:
        for sub in sorted(gb.assignment_submissions(ASSIGNMENT), key=lambda s: s.student_id):
            penalty = float(sub.late_submission_penalty or 0.0)
            row = {"student": sub.student_id, "raw_total": sub.score, "late_penalty": penalty,
                   "total": (sub.score or 0.0) - penalty, "max_total": sub.max_score,
                   "timestamp": sub.timestamp.isoformat() if sub.timestamp else "",
                   "due": sub.duedate.isoformat() if sub.duedate else "",
                   "hours_late": round(sub.total_seconds_late / 3600, 2),
                   "cells": {}}
            for notebook in sub.notebooks:
                for grade in notebook.grades:
                    row["cells"][(notebook.name, grade.name)] = grade.score
                    exercise = exercise_of(grade.name)
                    if exercise:
                        row[exercise] = grade.score
            table.append(row)
    return table
