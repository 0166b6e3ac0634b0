"""nbgrader configuration for this course.

Used by every `python -m autograder` command (they pass it explicitly) and
by JupyterLab's formgrader when started with `make lab-instructor`.

Knobs an instructor may want to turn are read from the environment, so one
file serves the formgrader, the command line and the tests:

* ``NST_COURSE_ROOT``   the course folder (default: ``notebooks/`` of the repo)
* ``NST_CELL_TIMEOUT``  seconds one cell may run while grading (default 90)
* ``NST_EXCHANGE``      the exchange folder (default: ``<course>/exchange``)
* ``NST_MAX_OUTPUT_LINES`` lines of output kept per cell (default 200)

The meaning of every setting is explained in ``autograder/README.md``.
"""

import os
from pathlib import Path

from autograder.nbgrader_run import cell_timeout
from nst_utils.config import COURSE_ID, HAND_IN_IGNORE, HAND_IN_MAX_FILE_KB

c = get_config()  # noqa: F821 - provided by traitlets when nbgrader loads this file

_REPO = Path(__file__).resolve().parent.parent
_ROOT = os.environ.get("NST_COURSE_ROOT", str(_REPO / "notebooks"))

c.CourseDirectory.root = _ROOT
# A shared gradebook (PostgreSQL) for the formgrader, feedback and plain autograde.
if os.environ.get("NST_GRADEBOOK_URL"):
    c.CourseDirectory.db_url = os.environ["NST_GRADEBOOK_URL"]
c.CourseDirectory.course_id = COURSE_ID
# Checkpoints, caches and the figures the notebooks save are never part of an assignment.
c.CourseDirectory.ignore = list(HAND_IN_IGNORE)
c.CourseDirectory.max_file_size = HAND_IN_MAX_FILE_KB

# Students hand in through a folder inside the course unless told otherwise
# (a shared JupyterHub sets NST_EXCHANGE to its common exchange folder).
c.Exchange.root = os.environ.get("NST_EXCHANGE", str(Path(_ROOT) / "exchange"))
c.Exchange.path_includes_course = True
# A shared exchange trusts nothing students wrote: a submission counts for its
# owner only, at a time they cannot backdate, and only whole (autograder/hub/exchange.py).
if os.environ.get("NST_EXCHANGE"):
    from autograder.hub.exchange import configure

    configure(c)

# What students get in place of a solution.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# ----------------------------------------------------------------- autograde
# In grading mode (NBGRADER_EXECUTION is set) every notebook shrinks its heavy
# work to seconds, so a generous per-cell limit never fails honest work, and
# still ends an infinite loop: the kernel is interrupted, the cell records a
# CellTimeoutError, and the remaining cells run.
c.Execute.timeout = cell_timeout()
c.Execute.interrupt_on_timeout = True
c.Execute.startup_timeout = 120
c.Execute.extra_arguments = [
    # No history database: kernels run in parallel and must not share a SQLite file.
    "--HistoryManager.hist_file=:memory:",
    "--HistoryManager.enabled=False",
    # TensorFlow's C++ start-up messages go to the kernel's own stderr, not to the
    # cell's output, where nbgrader would count them as a failure.
    "--IPKernelApp.capture_fd_output=False",
    # Short tracebacks: a learner's error is easier to read in the feedback.
    "--InteractiveShell.xmode=Minimal",
]

# Python-level TensorFlow / absl / Keras warnings on stderr are noise, not errors.
c.IgnorePattern.pattern = (
    r"(?m)^(WARNING:(tensorflow|absl)|W0000|I0000|E0000|oneDNN|This TensorFlow binary|"
    r"To enable the following instructions|.*(UserWarning|DeprecationWarning|FutureWarning):"
    r".*(tensorflow|keras|absl|numpy|matplotlib))"
)
c.IgnorePattern.enabled = True

# A million printed lines must not bloat the gradebook or the feedback.
c.LimitOutput.max_lines = int(os.environ.get("NST_MAX_OUTPUT_LINES", "200"))
c.LimitOutput.max_traceback = 60

# A deleted test cell comes back (graded as usual); edited test cells and
# changed cell types are overwritten from the source by nbgrader itself.
c.OverwriteCells.add_missing_cells = True

# nbgrader's sanitising steps, plus one that keeps a duplicated graded cell
# from making the whole notebook ungradable (see autograder/execute.py).
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "autograder.execute.DropEmptyGradingMetadata",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "nbgrader.preprocessors.OverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]
# Students are created as they are graded; nbgrader's own default, made explicit.
c.Autograde.create_student = True
# nbgrader's autograde steps, sealed: the kernel runs sandboxed in a scratch folder
# of its own (autograder/execute.py), and the verdict of every graded test cell is
# made outside it, just before SaveAutoGrades records it (autograder/judge.py).
# Both run on every grading path: `python -m autograder`, plain `nbgrader
# autograde` and the formgrader. Without the judge no graded cell earns points.
c.Autograde.autograde_preprocessors = [
    "autograder.execute.SealedExecute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "autograder.judge.JudgeGradedCells",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# ------------------------------------------------------------------ feedback
# What a learner gets back is made from their own submitted notebook and the judge's
# verdicts, never from what a grading kernel sent (autograder/student_view.py).
# ClearHiddenTests stays, so hidden tests an instructor might add never leak.
c.GenerateFeedback.preprocessors = [
    "autograder.student_view.StudentFeedback",
    "nbgrader.preprocessors.GetGrades",
    "nbgrader.preprocessors.ClearHiddenTests",
    "autograder.browser_safe.SanitizeForBrowsers",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]

# ------------------------------------------------------- what browsers are shown
# Nothing a kernel or a learner wrote runs in a browser: every page nbconvert makes
# for this course (the formgrader's view of a graded notebook, feedback) escapes the
# HTML of markdown and raw cells, keeps inert outputs only, without their metadata,
# cleans rendered markdown with an allow-list (no javascript: links), and shows no
# JavaScript output (autograder/browser_safe.py). Graded notebooks hold only text and
# PNG/JPEG outputs to begin with (autograder/output_bounds.py).
c.HTMLExporter.sanitize_html = True
c.HTMLExporter.preprocessors = ["autograder.browser_safe.SanitizeForBrowsers"]
c.HTMLExporter.filters = {"markdown2html": "autograder.browser_safe.markdown2html"}
