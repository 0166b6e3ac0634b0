"""nbgrader's Execute step, with the sibling notebooks a graded notebook reads.

Notebooks 03 and 04 import functions from earlier notebooks of the series
(``import_functions("02_gram_matrix.ipynb", ...)``), read from the folder the
notebook runs in. The autograder grades every notebook on its own, in its
own private course, so each exercise is scored independently of the others:
before a notebook runs, the *reference* versions of its siblings (the source
notebooks) are placed beside it. A wrong ``gram_matrix`` therefore costs
points in notebook 02 only, never again in 03.

Cells after the last graded cell cannot change any score (nbgrader reads
scores from the graded cells' outputs only), so they are not run while
grading: in this course they hold the demonstrations (VGG19 feature maps, a
short painting run) that would otherwise be most of the time a notebook
takes. They stay in the graded notebook, without outputs.

The folder of siblings is named by the environment variable
``NST_GRADING_CONTEXT``; without it this is nbgrader's plain Execute step
(so the formgrader and a bare ``nbgrader autograde`` behave as usual).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from nbclient.exceptions import DeadKernelError
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import Execute, NbGraderPreprocessor

CONTEXT_ENV = "NST_GRADING_CONTEXT"


class ExecuteWithSiblings(Execute):
    """Execute, after copying the missing sibling notebooks beside the notebook.

    A kernel that dies (``os._exit``, a crash) no longer aborts the notebook:
    the cell it died in records a ``DeadKernelError``, later cells are left
    unrun, and the notebook is graded as it stands (the dead cell scores 0,
    earlier graded cells keep their scores).
    """

    _dead = False

    def preprocess_cell(self, cell, resources, index):
        if self._dead:
            return cell, resources
        try:
            return super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self._dead = True
            cell.setdefault("outputs", []).append(NotebookNode(
                output_type="error", ename="DeadKernelError",
                evalue="the kernel died while this cell ran; later cells were not run",
                traceback=["DeadKernelError: the kernel died while this cell ran"]))
            return cell, resources

    def preprocess(self, nb, resources, *args, **kwargs):
        self._dead = False
        context = os.environ.get(CONTEXT_ENV)
        folder = resources.get("metadata", {}).get("path")
        if context and folder:
            this = resources.get("unique_key")
            for sibling in sorted(Path(context).glob("*.ipynb")):
                target = Path(folder) / sibling.name
                if sibling.stem != this and not target.exists():
                    shutil.copyfile(sibling, target)
        if not context:
            return super().preprocess(nb, resources, *args, **kwargs)
        graded = [i for i, cell in enumerate(nb.cells)
                  if cell.get("metadata", {}).get("nbgrader", {}).get("grade")]
        cut = graded[-1] + 1 if graded else len(nb.cells)
        tail = nb.cells[cut:]
        nb.cells = nb.cells[:cut]
        try:
            nb, resources = super().preprocess(nb, resources, *args, **kwargs)
        finally:
            nb.cells.extend(tail)
        return nb, resources


class DropEmptyGradingMetadata(NbGraderPreprocessor):
    """Remove the empty ``nbgrader`` metadata nbgrader's DeduplicateIds leaves on a duplicate.

    Without this, a duplicated graded cell makes nbgrader's OverwriteCells
    (with ``add_missing_cells``) fail on the missing ``grade_id`` and the
    whole notebook goes ungraded. The duplicate becomes an ordinary cell.
    """

    def preprocess_cell(self, cell, resources, cell_index):
        if "nbgrader" in cell.get("metadata", {}) and not cell.metadata.nbgrader.get("grade_id"):
            del cell.metadata["nbgrader"]
        return cell, resources
