"""What a grading kernel's scratch folder starts with, and nothing more.

The reference versions of the notebooks *before* the graded one (so each
exercise is graded on its own: ``import_functions`` in the learner's
notebook finds the reference, not the learner's earlier attempt), and the
inputs of the graded cases (never their answers). The same layout whether
the kernel is started by nbgrader's Execute step or forked by the
submission's sandbox (:mod:`autograder.forked_kernels`).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from autograder import cases
from nst_utils import config


def stage(folder: Path, name: str, source: Path, sets: dict) -> None:
    """Fill ``folder`` for grading notebook ``name``, with the source notebooks in ``source``."""
    for earlier in config.NOTEBOOKS[:config.NOTEBOOKS.index(name)]:
        if (source / earlier).is_file():
            shutil.copyfile(source / earlier, folder / earlier)
    cases.write_inputs(sets, folder)
