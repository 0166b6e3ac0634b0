"""The grading harness: runs your function on the grader's inputs, nothing more.

While nbgrader grades a notebook, each check cell's ``check_*`` function first
hands your function to :func:`record`. It reads the inputs the grader chose
for this submission, calls your function on each, and writes what came back
as plain arrays next to the notebook. It judges nothing: the verdict is made
outside your notebook's process, by comparing these arrays with the
reference. Outside grading (no inputs file) it does nothing at all.
"""

from __future__ import annotations

import functools
from typing import Callable

from nst_utils import config


def sealed(function: str) -> Callable:
    """Decorate a public check so that, while grading, it first records ``function``'s results."""

    def decorate(check: Callable) -> Callable:
        @functools.wraps(check)
        def run(candidate, *args, **kwargs):
            if config.grading_mode():
                record(function, candidate)
            return check(candidate, *args, **kwargs)

        return run

    return decorate


def record(function: str, candidate: Callable) -> None:
    """Run ``candidate`` on the grader's inputs for ``function`` and save its results."""
    return None
