"""nbgrader's Execute step, sealed: the learner's kernel runs in a scratch folder of its own.

For every graded notebook, :class:`SealedExecute`:

1. draws the graded cases of the notebook's exercises (:mod:`autograder.grading.cases`;
   precomputed by ``python -m autograder grade``, which names the file in the
   private course's configuration, ``c.SealedExecute.cases_file``, or computed
   here, in the trusted nbgrader process, when plain ``nbgrader autograde`` or
   the formgrader runs);
2. adopts the kernel the grading process had forked for this notebook
   (``c.SealedExecute.forked_kernel``, :mod:`autograder.grading.kernels`), its
   scratch already staged; or else lays out a fresh scratch folder (the
   *reference* versions of the earlier notebooks this one imports from, so
   each exercise is graded on its own, and the cases' inputs, never their
   answers) and starts a kernel in the sandbox (:mod:`autograder.sandbox`)
   with that folder as its only writable place;
3. runs the cells up to the last graded one (later cells cannot change a
   score, and are not run), each within ``c.NstGrader.cell_timeout``;
4. right after each graded test cell, reads the results the harness wrote
   (a file that is missing, odd or too big counts as no result) and replaces
   that cell's outputs with a "not judged yet" failure, so that without the
   judge (:class:`autograder.preprocessors.judge.JudgeGradedCells`) no cell earns points;
5. keeps of what the kernel sends only inert output, bounded in bytes per
   message, cell and notebook as it arrives (:mod:`autograder.preprocessors.output_bounds`),
   noting in the cell, for the instructor's flags, any output it dropped.

A kernel that dies (``os._exit``, a crash) does not abort the notebook: the
cell it died in records a ``DeadKernelError`` and later cells stay unrun.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from nbclient.exceptions import DeadKernelError
from nbclient.util import run_sync
from nbformat.notebooknode import NotebookNode
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Dict, Unicode, default

from autograder.grading import cases, staging
from autograder.preprocessors import judge, output_bounds
from autograder.settings import NstGrader
from nst_utils import cells, config
from nst_utils.grading import harness

#: What nbgrader's autograde adds to the environment of the kernels it starts.
KERNEL_ENV = {"NBGRADER_EXECUTION": "autograde"}
#: Largest results file accepted from a kernel.
MAX_RESULTS_BYTES = 16 * 2**20


class SealedExecute(Execute):
    """Execute in a sandboxed scratch folder; collect each graded cell's results."""

    cases_file = Unicode("", help="The cases and answers the grading process drew for this "
                         "notebook (a private course's only)").tag(config=True)
    forked_kernel = Dict({}, help="The kernel the grading process had forked for this "
                         "notebook: what adopting it takes (a private course's only)"
                         ).tag(config=True)

    @default("timeout")
    def _cell_timeout(self):
        return self._options.cell_timeout

    @default("startup_timeout")
    def _start_timeout(self):
        return self._options.kernel_start_timeout

    @property
    def _options(self) -> NstGrader:
        if getattr(self, "_settings", None) is None:
            self._settings = NstGrader(parent=self)
        return self._settings

    @default("shutdown_kernel")
    def _kill_when_done(self):
        # Every graded cell's results were read as it ended, so nothing is lost by
        # killing the kernel at once; a polite shutdown of a kernel that imported
        # TensorFlow takes 1-3 s per notebook.
        return "immediate"

    # What the kernel says goes no further than the cell outputs, bounded and inert:
    # no timestamps of its messages, no widget state in the notebook's metadata, and
    # a lost output channel is no reason to stop grading (the results are files).
    @default("record_timing")
    def _no_timing(self):
        return False

    @default("store_widget_state")
    def _no_widgets(self):
        return False

    @default("raise_on_iopub_timeout")
    def _output_may_be_lost(self):
        return False

    def preprocess(self, nb, resources, *args, **kwargs):
        name = resources["unique_key"] + ".ipynb"
        self._dead, self._name = False, name
        options = self._options
        self._budget = output_bounds.OutputBudget(
            options.max_message_bytes, options.max_cell_bytes, options.max_notebook_bytes)
        self._output_lost = False
        self._scratch = Path(tempfile.mkdtemp(prefix="nst-scratch-"))
        grading = resources.setdefault(judge.RESOURCE_KEY, {})
        grading["results"] = {}
        grading["sets"] = self._case_sets(name, resources)
        self._forked = self.forked_kernel if self.forked_kernel.get("notebook") == name else None
        if self._forked is None:  # a forked kernel's scratch was staged already
            self._stage(grading["sets"])
        keep_path = resources.setdefault("metadata", {}).get("path")
        resources["metadata"]["path"] = str(self._scratch)
        cut = _last_graded(nb) + 1
        tail, nb.cells = nb.cells[cut:], nb.cells[:cut]
        try:
            nb, resources = super().preprocess(nb, resources, *args, **kwargs)
        finally:
            nb.cells.extend(tail)
            resources["metadata"]["path"] = keep_path
            shutil.rmtree(self._scratch, ignore_errors=True)
        return nb, resources

    def _stage(self, sets: dict) -> None:
        coursedir = self._coursedir()
        staging.stage(self._scratch, self._name, Path(coursedir.format_path(
            coursedir.source_directory, ".", config.ASSIGNMENT_ID)), sets)

    def create_kernel_manager(self):
        """A sandboxed kernel (:mod:`autograder.sandbox`): it refuses to start without one.

        The grading run may have had this notebook's kernel forked already
        (:mod:`autograder.grading.kernels`); then that one is adopted.
        """
        from autograder import sandbox
        from autograder.grading.kernels import AdoptedKernelManager
        from autograder.sandbox.mounts import Limits

        if not self.kernel_name:
            self.kernel_name = self.nb.metadata.get("kernelspec", {}).get("name") or "python3"
        options = self._options
        manager = sandbox.kernel_manager_class(options.unsandboxed)
        if manager is sandbox.SandboxedKernelManager:
            limits = {"limits": Limits.of(options), "start_timeout": options.kernel_start_timeout}
            self.km = AdoptedKernelManager(self._forked, config=self.config, **limits) \
                if self._forked else manager(kernel_name=self.kernel_name, config=self.config,
                                             **limits)
        else:
            self.km = manager(kernel_name=self.kernel_name, config=self.config)
        self.km.client_factory = output_bounds.BoundedKernelClient
        return self.km

    async def async_start_new_kernel_client(self):
        from autograder.grading.kernels import AdoptedKernelManager

        adopting = isinstance(self.km, AdoptedKernelManager)
        try:
            client = await super().async_start_new_kernel_client()
        except Exception:  # noqa: BLE001 - the forked kernel never came: one of our own
            if not adopting:
                raise
            self._forked = None
            self._stage(self.resources[judge.RESOURCE_KEY]["sets"])
            self.km = self.create_kernel_manager()
            await self.async_start_new_kernel()
            client = await super().async_start_new_kernel_client()
        if isinstance(self.km, AdoptedKernelManager):
            self.km.identify()  # before any cell runs
        client.watch_output()
        return client

    start_new_kernel_client = run_sync(async_start_new_kernel_client)

    def process_message(self, msg, cell, cell_index):
        """Keep what the budget allows, inert (:mod:`autograder.preprocessors.output_bounds`)."""
        kept = self._budget.admit(msg)
        return None if kept is None else super().process_message(kept, cell, cell_index)

    def preprocess_cell(self, cell, resources, index):
        if self._dead:
            return cell, resources
        self._budget.new_cell()
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self._dead = True
            cell.setdefault("outputs", []).append(NotebookNode(
                output_type="error", ename="DeadKernelError",
                evalue="the kernel died while this cell ran; later cells were not run",
                traceback=["DeadKernelError: the kernel died while this cell ran"]))
        self._note_dropped_output(cell)
        function = judge.graded_function(cell)
        if function:
            self._collect(function, cell, resources)
        return cell, resources

    def _note_dropped_output(self, cell) -> None:
        """Say so in the cell (and its metadata, for the flags) when output was dropped."""
        if self._budget.dropped:
            cell.metadata["nst_output_dropped"] = self._budget.dropped
            cell.setdefault("outputs", []).append(NotebookNode(
                output_type="stream", name="stdout", text=output_bounds.note(
                    self._budget.message, self._budget.cell, self._budget.notebook)))
        if not (self._dead or self._output_lost) and self.kc is not None \
                and self.kc.output_lost():
            self._output_lost = True
            self.iopub_timeout = 0  # no output will come: do not wait for it
            cell.metadata["nst_output_lost"] = True
            cell.setdefault("outputs", []).append(NotebookNode(
                output_type="stream", name="stdout", text=output_bounds.lost_note()))

    def _collect(self, function, cell, resources) -> None:
        """Read the cell's results now, before any later code can touch them."""
        from autograder import sandbox

        relative = harness.results_path(function, ".").as_posix()
        read = getattr(self.km, "read_scratch_file", None) or (
            lambda path, limit: sandbox.read_scratch_file(self._scratch, path, limit))
        resources[judge.RESOURCE_KEY]["results"][function] = read(relative, MAX_RESULTS_BYTES)
        kernel_errors = [{"output_type": "error", "ename": str(output.get("ename", "")),
                          "evalue": str(output.get("evalue", ""))[:300]}
                         for output in cell.get("outputs", []) if output.output_type == "error"]
        if kernel_errors:  # for the instructor's flags (time-out, dead kernel, memory) only
            cell.metadata["nst_kernel_errors"] = kernel_errors
        cell.outputs = judge.verdict_outputs(None, function)

    # ----------------------------------------------------------- the cases
    def _coursedir(self) -> CourseDirectory:
        return CourseDirectory(config=self.config)

    def _case_sets(self, name: str, resources) -> dict:
        """Cases of this notebook's exercises: precomputed by ``grade``, or drawn here."""
        info = resources.get("nbgrader", {})
        coursedir = self._coursedir()
        submitted = Path(coursedir.format_path(coursedir.submitted_directory,
                                               info.get("student", "."),
                                               info.get("assignment", "."))) / name
        digest = cases.submission_digest(submitted.read_bytes()) if submitted.is_file() else "none"
        precomputed = Path(self.cases_file) if self.cases_file else None
        if precomputed is not None and precomputed.is_file():
            stored_digest, stored = cases.load(precomputed)
            if stored_digest == digest:
                return stored
        from autograder.grading import reference

        source = Path(coursedir.format_path(coursedir.source_directory, ".",
                                            info.get("assignment", config.ASSIGNMENT_ID)))
        secret = cases.course_secret(Path(coursedir.root))
        return cases.prepare(name, digest, secret, reference.load(source))


def _last_graded(nb) -> int:
    graded = [index for index, cell in enumerate(nb.cells) if cells.grading(cell).get("grade")]
    return graded[-1] if graded else len(nb.cells) - 1


class DropEmptyGradingMetadata(NbGraderPreprocessor):
    """Remove the empty ``nbgrader`` metadata nbgrader's DeduplicateIds leaves on a duplicate.

    Without this, a duplicated graded cell makes nbgrader's OverwriteCells
    (with ``add_missing_cells``) fail on the missing ``grade_id`` and the
    whole notebook goes ungraded. The duplicate becomes an ordinary cell.
    """

    def preprocess_cell(self, cell, resources, cell_index):
        if "nbgrader" in cell.get("metadata", {}) and not cells.grade_id(cell):
            del cell.metadata["nbgrader"]
        return cell, resources
