"""nbgrader configuration for this course.

Used by every `python -m autograder` command (they pass it explicitly) and
by JupyterLab's formgrader when started with `make lab-instructor`.
"""

import os
from pathlib import Path

c = get_config()  # noqa: F821 - provided by traitlets when nbgrader loads this file

_REPO = Path(__file__).resolve().parent.parent

c.CourseDirectory.root = os.environ.get("NST_COURSE_ROOT", str(_REPO / "notebooks"))
c.CourseDirectory.course_id = "nst-course"

# What students get in place of a solution.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
