"""What a learner gets back: their own submitted notebook and the judge's verdicts, nothing else.

nbgrader makes feedback from the *autograded* notebook, which holds whatever
the grading kernel sent. A grading kernel can read what it was staged (the
reference functions its notebook imports), so that notebook must never reach
a learner. :class:`StudentFeedback`, the first of ``GenerateFeedback``'s
preprocessors in this course's configuration, therefore throws the
autograded notebook away and builds the one feedback is made from:

1. the learner's submitted notebook (``submitted/<student>/<assignment>/``),
   read afresh;
2. put through the very steps autograde sanitised it with
   (``Autograde.sanitize_preprocessors``: outputs cleared, ids deduplicated,
   test cells restored from the gradebook), so it has the cells nbgrader
   graded and scored;
3. stripped of every output, execution count and metadata but nbgrader's;
4. with each graded test cell showing the judge's verdict, rebuilt from the
   verdict the judge kept in the autograded notebook's cell metadata
   (:class:`autograder.preprocessors.judge.Verdict`): the judge's own words, which quote no
   kernel text.

So every byte of a feedback page comes from the learner's own file, the
course's source, the gradebook or the judge; none from a grading kernel.
It is in the course's nbgrader configuration, so every way of making
feedback gets it: ``python -m autograder feedback``, ``nbgrader
generate_feedback``, the formgrader's button, and so ``release_feedback``.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.notebooknode import NotebookNode
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import import_item

from autograder.preprocessors import judge
from nst_utils import cells

#: The kinds of markdown attachment kept (images only).
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif")


class FeedbackSourceMissing(RuntimeError):
    """The submitted notebook that feedback is made from cannot be read."""


class StudentFeedback(NbGraderPreprocessor):
    """Replace the autograded notebook with the submitted one and the judge's verdicts."""

    def preprocess(self, nb, resources):
        verdicts = {cells.grade_id(cell): cell.get("metadata", {}).get("nst_verdict")
                    for cell in nb.cells if judge.graded_function(cell)}
        submitted = self._submitted(resources)
        try:
            own = nbformat.read(str(submitted), as_version=4)
        except (OSError, ValueError) as error:
            raise FeedbackSourceMissing(
                f"Feedback is made from the submitted notebook {submitted}, which cannot be "
                f"read ({error}); put the submission back and generate feedback again.") from None
        for name in self._sanitizers():
            step = import_item(name)(parent=self)
            own, resources = step.preprocess(own, resources)
        own.metadata = NotebookNode({key: own.metadata[key] for key in ("kernelspec",)
                                     if key in own.metadata})
        own.cells = [_student_cell(cell, verdicts) for cell in own.cells]
        return own, resources

    def _submitted(self, resources) -> Path:
        info = resources["nbgrader"]
        coursedir = getattr(getattr(self.parent, "parent", None), "coursedir", None) \
            or CourseDirectory(config=self.config)
        folder = coursedir.format_path(coursedir.submitted_directory, info["student"],
                                       info["assignment"])
        return Path(folder) / f"{info['notebook']}.ipynb"

    def _sanitizers(self) -> list[str]:
        from nbgrader.converters import Autograde

        configured = self.config.Autograde.get("sanitize_preprocessors")
        steps = configured if configured is not None else Autograde.sanitize_preprocessors.default_value
        return [step if isinstance(step, str) else f"{step.__module__}.{step.__name__}"
                for step in steps]


def _student_cell(cell, verdicts: dict) -> NotebookNode:
    """The cell as the learner wrote it (or nbgrader restored it), and a verdict if graded."""
    kept = NotebookNode(cell_type=cell.cell_type, id=cell.get("id") or "cell",
                        source=cells.source(cell), metadata=NotebookNode())
    if "nbgrader" in cell.get("metadata", {}):
        kept.metadata["nbgrader"] = cell.metadata["nbgrader"]
    if cell.cell_type == "markdown" and isinstance(cell.get("attachments"), dict):
        kept.attachments = NotebookNode({
            name: {kind: data for kind, data in item.items() if kind in IMAGE_TYPES}
            for name, item in cell.attachments.items() if isinstance(item, dict)})
    if cell.cell_type == "code":
        kept.execution_count = None
        function = judge.graded_function(cell)
        kept.outputs = judge.verdict_outputs(
            judge.Verdict.from_json(function, verdicts.get(cells.grade_id(cell))), function
        ) if function else []
    return kept
