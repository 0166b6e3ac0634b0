"""nbgrader configuration for this course.

Every course's ``nbgrader_config.py`` loads this file (``python -m autograder``
writes one that does into a course folder that has none; ``make
lab-instructor`` into ``notebooks/``), so the formgrader, plain nbgrader and
the command line grade alike. Your own settings go in the course's file, after
the line that loads this one: nbgrader's (``c.CourseDirectory.db_url``,
``c.Exchange.root``, ...) and the grader's, ``c.NstGrader.*``
(:mod:`autograder.settings`; ``python -m autograder config`` lists them).

The meaning of every setting is explained in ``autograder/README.md``.
"""

from pathlib import Path

from autograder import settings
from autograder.grading.kernels import KERNEL_ARGUMENTS
from nst_utils.config import COURSE_ID, HAND_IN_IGNORE, HAND_IN_MAX_FILE_KB

c = get_config()  # noqa: F821 - provided by traitlets when nbgrader loads this file

_ROOT = settings.course_root(Path(__file__).resolve().parent.parent / "notebooks")

c.CourseDirectory.root = str(_ROOT)
# A shared gradebook (PostgreSQL) for the formgrader, feedback and plain autograde.
if settings.gradebook_override():
    c.CourseDirectory.db_url = settings.gradebook_override()
c.CourseDirectory.course_id = COURSE_ID
# Checkpoints, caches and the figures the notebooks save are never part of an assignment.
c.CourseDirectory.ignore = list(HAND_IN_IGNORE)
c.CourseDirectory.max_file_size = HAND_IN_MAX_FILE_KB

# Students hand in through a folder inside the course unless told otherwise
# (a shared JupyterHub sets NST_EXCHANGE to its common exchange folder).
c.Exchange.root = settings.exchange_override() or str(_ROOT / "exchange")
c.Exchange.path_includes_course = True
# A shared exchange trusts nothing students wrote: a submission counts for its
# owner only, at a time they cannot backdate, and only whole (autograder/hub/exchange.py).
if settings.exchange_override():
    from autograder.hub.exchange import configure

    configure(c)

# What students get in place of a solution.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# ----------------------------------------------------------------- autograde
# In grading mode (NBGRADER_EXECUTION is set) every notebook shrinks its heavy
# work to seconds, so a generous per-cell limit (c.NstGrader.cell_timeout, read by
# the Execute step) never fails honest work, and still ends an infinite loop: the
# kernel is interrupted, the cell records a CellTimeoutError, and the remaining
# cells run.
c.Execute.interrupt_on_timeout = True
# The grading kernels' arguments (no history, TensorFlow's C++ messages kept out of cell
# outputs, short tracebacks): one list for the kernels nbgrader starts and those forked.
c.Execute.extra_arguments = list(KERNEL_ARGUMENTS)

# Python-level TensorFlow / absl / Keras warnings on stderr are noise, not errors.
c.IgnorePattern.pattern = (
    r"(?m)^(WARNING:(tensorflow|absl)|W0000|I0000|E0000|oneDNN|This TensorFlow binary|"
    r"To enable the following instructions|.*(UserWarning|DeprecationWarning|FutureWarning):"
    r".*(tensorflow|keras|absl|numpy|matplotlib))"
)
c.IgnorePattern.enabled = True

# A million printed lines must not bloat the gradebook or the feedback: nbgrader's
# LimitOutput, its lines per cell from c.NstGrader.max_output_lines.
c.LimitOutput.max_traceback = 60

# A deleted test cell comes back (graded as usual); edited test cells and
# changed cell types are overwritten from the source by nbgrader itself.
c.OverwriteCells.add_missing_cells = True

# nbgrader's sanitising steps, plus one that keeps a duplicated graded cell
# from making the whole notebook ungradable (see autograder/preprocessors/execute.py).
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "autograder.preprocessors.execute.DropEmptyGradingMetadata",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "nbgrader.preprocessors.OverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]
# Students are created as they are graded; nbgrader's own default, made explicit.
c.Autograde.create_student = True
# nbgrader's autograde steps, sealed: the kernel runs sandboxed in a scratch folder
# of its own (autograder/preprocessors/execute.py), and the verdict of every graded test cell is
# made outside it, just before SaveAutoGrades records it (autograder/preprocessors/judge.py).
# Both run on every grading path: `python -m autograder`, plain `nbgrader
# autograde` and the formgrader. Without the judge no graded cell earns points.
c.Autograde.autograde_preprocessors = [
    "autograder.preprocessors.execute.SealedExecute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "autograder.preprocessors.output_bounds.LimitOutputLines",
    "autograder.preprocessors.judge.JudgeGradedCells",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# ------------------------------------------------------------------ feedback
# What a learner gets back is made from their own submitted notebook and the judge's
# verdicts, never from what a grading kernel sent (autograder/preprocessors/student_view.py).
# ClearHiddenTests stays, so hidden tests an instructor might add never leak.
c.GenerateFeedback.preprocessors = [
    "autograder.preprocessors.student_view.StudentFeedback",
    "nbgrader.preprocessors.GetGrades",
    "nbgrader.preprocessors.ClearHiddenTests",
    "autograder.preprocessors.browser_safe.SanitizeForBrowsers",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]

# ------------------------------------------------------- what browsers are shown
# Nothing a kernel or a learner wrote runs in a browser: every page nbconvert makes
# for this course (the formgrader's view of a graded notebook, feedback) escapes the
# HTML of markdown and raw cells, keeps inert outputs only, without their metadata,
# cleans rendered markdown with an allow-list (no javascript: links), and shows no
# JavaScript output (autograder/preprocessors/browser_safe.py). Graded notebooks hold only text and
# PNG/JPEG outputs to begin with (autograder/preprocessors/output_bounds.py).
c.HTMLExporter.sanitize_html = True
c.HTMLExporter.preprocessors = ["autograder.preprocessors.browser_safe.SanitizeForBrowsers"]
c.HTMLExporter.filters = {"markdown2html": "autograder.preprocessors.browser_safe.markdown2html"}
