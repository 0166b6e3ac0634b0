"""What the fork server that starts nbgrader does once, so that no graded notebook pays it.

:mod:`autograder.nbgrader_run` names this module in the fork server's
preload list. Importing it loads nbgrader and this course's preprocessors,
and warms the caches that each forked child would otherwise fill again:
SQLAlchemy's mapper configuration (nbgrader's gradebook models) and the
compiled JSON schema nbformat validates notebooks with. Nothing here reads
a course or a submission.
"""

import nbformat
from sqlalchemy.orm import configure_mappers

import nbgrader.api  # noqa: F401 - the gradebook models, configured below
from autograder import execute, judge  # noqa: F401 - the course's preprocessors
from nbgrader.apps.nbgraderapp import NbGraderApp  # noqa: F401

configure_mappers()
for minor in range(nbformat.current_nbformat_minor + 1):
    notebook = nbformat.v4.new_notebook()
    notebook.nbformat_minor = minor
    nbformat.validate(notebook)
