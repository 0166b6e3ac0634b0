"""What the fork server that starts nbgrader does once, so that no graded notebook pays it.

:mod:`autograder.grading.nbgrader_run` names this module in the fork server's
preload list. Importing it loads nbgrader, this course's preprocessors and
what nbgrader would otherwise import late (``sqlite3``, IPython's paths), and
warms the caches each forked child would otherwise fill again: SQLAlchemy's
mapper and schema set-up for nbgrader's gradebook models (on a throw-away
in-memory database), the compiled JSON schema nbformat validates with, and
where the kernels' matplotlib font list is (:mod:`autograder.sandbox.fonts`).
Nothing here reads a course or a submission.
"""

import sqlite3  # noqa: F401 - imported late by SQLAlchemy otherwise, in every child

import IPython.paths  # noqa: F401 - jupyter_client's kernel specs need it
import nbformat
from sqlalchemy import create_engine, inspect
from sqlalchemy.orm import configure_mappers

from autograder.preprocessors import execute, judge  # noqa: F401 - the course's preprocessors
from autograder.sandbox.fonts import font_list
from nbgrader.api import Base
from nbgrader.apps.nbgraderapp import NbGraderApp  # noqa: F401


def _warm_gradebook() -> None:
    configure_mappers()
    engine = create_engine("sqlite://", future=True)
    Base.metadata.create_all(bind=engine)
    inspect(engine).get_table_names()
    engine.dispose()


def _warm_validator() -> None:
    for minor in range(nbformat.current_nbformat_minor + 1):
        notebook = nbformat.v4.new_notebook()
        notebook.nbformat_minor = minor
        nbformat.validate(notebook)


_warm_gradebook()
_warm_validator()
font_list()
