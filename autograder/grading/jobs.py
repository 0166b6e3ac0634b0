"""Grade notebooks with nbgrader, each in a private, throw-away course folder.

Every command that grades (``score``, ``grade``, the sample bank, the
benchmarks, a Dask worker) goes through :func:`run_jobs`:

1. a private course is laid out from the template (:mod:`autograder.grading.template`):
   the graded source notebooks, a copy of their gradebook, and the submitted
   notebook, written from the bytes the task carries (``submitted/`` of the
   class is only ever read, by the trusted process);
2. this process draws the graded cases of the notebook's exercises and the
   reference's answers to them (:mod:`autograder.grading.cases`; TensorFlow is
   imported once per process, not once per notebook) and leaves them in the
   private course, which no kernel can see;
3. ``nbgrader autograde`` runs there with this course's configuration: the
   kernel runs sandboxed in a scratch folder (:mod:`autograder.preprocessors.execute`) and
   the verdict is made outside it (:mod:`autograder.preprocessors.judge`);
4. the private gradebook and the executed notebook are read back as plain
   data (:class:`~autograder.grading.results.NotebookOutcome`).

Only the notebooks that hold graded cells form the grading assignment.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from autograder import settings
from autograder.grading import cases
from autograder.grading.nbgrader_run import (JOB_ENV, course_env, kill_orphans, kill_tagged,  # noqa: F401
                                             link_config, run_nbgrader, spawn_nbgrader,
                                             start_fork_server)
from autograder.grading.results import (GRADED_NOTEBOOKS, Flag, NotebookOutcome,  # noqa: F401
                                        StudentRecord, first_exercise, gradebook_rows,
                                        notebook_outcome, write_json)
from autograder.grading.template import (assets_version, build_assignment,  # noqa: F401
                                         copy_gradebook, source_notebooks, template_course)
from autograder.settings import cache_root
from nst_utils import config


class GradingFailure(RuntimeError):
    """The machine, not the submission, failed (no sandbox, a kernel that could not start).

    Never filed as a grade: the notebook is to be graded again once it is fixed.
    """


#: What nbgrader's log says when grading failed for a reason that is not the submission's.
INFRASTRUCTURE = ("SandboxStartError", "SandboxUnavailable", "Kernel didn't respond",
                  "Kernel died before replying to kernel_info")


@dataclass(frozen=True)
class GradingTask:
    """One graded notebook of one submission, as data: everything grading it needs."""

    student: str
    name: str
    notebook: bytes | None  # None: not handed in
    timestamp: str | None = None

    @classmethod
    def from_path(cls, student: str, path: Path | None, name: str,
                  timestamp: str | None = None) -> GradingTask:
        """The task of the notebook in ``path`` (None: not handed in), read now."""
        return cls(student, name, Path(path).read_bytes() if path is not None else None,
                   timestamp)


_references: dict[Path, dict] = {}
_loading_references = threading.Lock()


def _reference(template: Path) -> dict:
    """The reference functions of this template's source notebooks (imported once, even
    when several worker threads ask at the same time)."""
    with _loading_references:
        if template not in _references:
            from autograder.grading import reference

            _references[template] = reference.load(template / "source" / config.ASSIGNMENT_ID)
        return _references[template]


def default_secret() -> bytes:
    """The secret that seeds graded cases outside a class (``score``): one per user."""
    return cases.course_secret(cache_root())


class _Job:
    """A notebook being graded by nbgrader in a private course: its cases, its kernel (forked
    by the submission's factory, if any), the nbgrader process and its deadline."""

    def __init__(self, task: GradingTask, template: Path, secret: bytes,
                 options: settings.NstGrader, factory=None):
        self.task, self.template, self.options = task, template, options
        self.digest = cases.submission_digest(task.notebook)
        # the answers first: an exercise's staged inputs may carry values of the reference
        self.sets = cases.answer(cases.draw(task.name, self.digest, secret), _reference(template))
        self.token = f"{os.getpid()}-{id(self)}-{time.monotonic_ns()}"
        self.kernel = self._fork(factory)
        self.factory = factory if self.kernel is not None else None
        self.tmp: tempfile.TemporaryDirectory | None = None
        self.status: int | None = None

    def _fork(self, factory) -> dict | None:
        """Have the submission's kernel factory fork this notebook's kernel, before nbgrader
        starts (its Execute adopts it); without a factory, or while the factory serves
        another notebook, nbgrader starts a kernel of its own."""
        from autograder.grading import staging

        if factory is None:
            return None
        source = self.template / "source" / config.ASSIGNMENT_ID
        return factory.kernel(self.task.name, lambda folder: staging.stage(
            folder, self.task.name, source, self.sets))

    def start(self) -> None:
        """Lay out the private course (the cases and their answers beside it), start nbgrader."""
        task, options = self.task, self.options
        self.tmp = tempfile.TemporaryDirectory(prefix="nst-grade-")
        self.course = Path(self.tmp.name)
        shutil.copytree(self.template / "source", self.course / "source")
        copy_gradebook(self.template / "gradebook.db", self.course / "gradebook.db")
        submitted = self.course / "submitted" / task.student / config.ASSIGNMENT_ID
        submitted.mkdir(parents=True)
        (submitted / task.name).write_bytes(task.notebook)
        if task.timestamp:
            (submitted / "timestamp.txt").write_text(task.timestamp, encoding="utf-8")
        cases_file = self.course / "cases.npz"
        cases.save(self.sets, cases_file, self.digest)
        self.log = self.course / "nbgrader.log"
        job = [f"c.SealedExecute.cases_file = {str(cases_file)!r}"]
        if self.kernel is not None:
            job.append(f"c.SealedExecute.forked_kernel = {self.kernel!r}")
        link_config(self.course, options, tuple(job))
        argv = ["autograde", config.ASSIGNMENT_ID, "--student", task.student,
                "--notebook", Path(task.name).stem, "--force"]
        self.process = spawn_nbgrader(argv, self.course, self.log, {JOB_ENV: self.token},
                                      options)
        self.deadline = time.monotonic() + options.notebook_seconds()

    def poll(self) -> bool:
        """True once the job has ended (killing it when it ran out of time)."""
        if self.status is None:
            if self.process.exitcode is not None:
                self.status = self.process.exitcode
            elif time.monotonic() > self.deadline:
                self.kill()
                self.status = -9
            if self.status is not None:
                kill_tagged(self.token)  # anything left behind by nbgrader
        return self.status is not None

    def kill(self) -> None:
        for kill in (lambda: os.killpg(self.process.pid, 9), self.process.kill):
            try:
                kill()
            except (ProcessLookupError, PermissionError, AttributeError):
                pass
        kill_tagged(self.token)
        self.process.join(timeout=10)

    def _raise_if_not_the_submission(self, output: str) -> None:
        problem = _infrastructure_error(output)
        if problem:
            self.cleanup()
            raise GradingFailure(f"{self.task.student}/{self.task.name} could not be graded on "
                                 f"this machine: {problem}. Nothing was filed; fix the machine "
                                 "(python -m autograder sandbox --check) and grade again.")

    def collect(self) -> NotebookOutcome:
        from autograder.grading import tamper

        task, function = self.task, first_exercise(self.task.name)
        output = self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""
        executed = self.course / "autograded" / task.student / config.ASSIGNMENT_ID / task.name
        flags = list(tamper.inspect_submission(self.course / "submitted" / task.student
                                               / config.ASSIGNMENT_ID / task.name))
        if self.status == -9:
            flags.append(Flag(function, "timeout", "the notebook ran past its overall time limit"))
        elif not executed.exists():
            self._raise_if_not_the_submission(output)
            flags.append(Flag(function, "not graded", "nbgrader could not grade this notebook: "
                              + _last_error(output)))
        db = self.course / "gradebook.db"
        outcome = notebook_outcome(
            db, task.student, task.name, executed, flags=flags, log=output,
            rows=gradebook_rows(db, task.student, task.name),
            autograded=executed.read_bytes() if executed.exists() else None)
        self.cleanup()
        return outcome

    def cleanup(self) -> None:
        """The notebook is graded: its kernel's leftovers end (before any next staging)."""
        if self.factory is not None:
            self.factory.release()
            self.factory = None
        if self.tmp is not None:
            self.tmp.cleanup()
            self.tmp = None


def _infrastructure_error(log: str) -> str | None:
    lines = [line.strip() for line in log.splitlines() if any(m in line for m in INFRASTRUCTURE)]
    return lines[-1][-300:] if lines else None


def run_jobs(jobs: list, *, workers: int = 1, template: Path | None = None,
             keep: Path | None = None, on_done=None, secret: bytes | None = None,
             on_start=None, options: settings.NstGrader | None = None) -> list:
    """Grade notebooks (:class:`GradingTask`), ``workers`` at a time,
    with the grader's settings ``options`` (default: this course's, overrides applied).

    Returns a :class:`~autograder.grading.results.NotebookOutcome` per task, in task
    order. ``keep`` receives each autograded notebook under ``keep/<student>/``;
    ``on_done(index, outcome)`` is called as each one finishes, ``on_start(index, task)``
    as each one starts.
    """
    start_fork_server()  # nbgrader loads in the background while the references are computed
    template = template or template_course()
    secret = secret or default_secret()
    options = options or settings.load()
    tasks = list(jobs)
    outcomes: list = [None] * len(tasks)
    pending, running = list(enumerate(tasks)), []

    def finish(index, outcome):
        outcomes[index] = outcome
        if keep is not None and outcome.autograded is not None:
            folder = keep / tasks[index].student
            folder.mkdir(parents=True, exist_ok=True)
            (folder / tasks[index].name).write_bytes(outcome.autograded)
        if on_done:
            on_done(index, outcome)

    factories = _Factories(options)
    with SLOTS.taken(max(1, workers)):
        try:
            while pending or running:
                while pending and len(running) < max(1, workers):
                    index, task = pending.pop(0)
                    if on_start:
                        on_start(index, task)
                    if task.notebook is None:
                        finish(index, _missing(task))
                    else:
                        job = _Job(task, template, secret, options, factories.of(task.student))
                        job.start()
                        running.append((index, job))
                factories.start_next(pending)
                for item in [item for item in running if item[1].poll()]:
                    running.remove(item)
                    finish(item[0], item[1].collect())
                    factories.close_unneeded(pending, running)
                if running:
                    time.sleep(0.05)
        finally:
            for _index, run in running:
                run.kill()
                run.cleanup()
            factories.close()
    return outcomes


class _Slots:
    """How many notebooks this process grades at once (every ``run_jobs`` call's workers,
    Dask's worker threads included). A submission's kernel factory is started ahead only
    while that leaves a core free: where every core grades a notebook already, its
    TensorFlow import would only slow them down."""

    def __init__(self):
        self._count, self._lock = 0, threading.Lock()

    @contextlib.contextmanager
    def taken(self, n: int):
        with self._lock:
            self._count += n
        try:
            yield
        finally:
            with self._lock:
                self._count -= n

    def core_to_spare(self) -> bool:
        return self._count < (os.cpu_count() or 1)


SLOTS = _Slots()


class _Factories:
    """The kernel factory of each submission being graded (:mod:`autograder.grading.kernels`),
    started when its first notebook is due (or ahead, onto a spare core) and ended after
    its last."""

    def __init__(self, options: settings.NstGrader):
        from autograder import sandbox

        self._options = options
        self._on = options.kernels_ahead and not options.unsandboxed \
            and sandbox.sandbox_available()[0]
        self._env = {**course_env(), **_kernel_env()}
        self._running: dict[str, object] = {}

    def of(self, student: str, start: bool = True):
        """The student's factory (None without a sandbox, or if it could not start)."""
        if self._on and start and student not in self._running:
            from autograder.grading.kernels import KernelFactory
            from autograder.sandbox.mounts import Limits

            options = self._options
            self._running[student] = KernelFactory.start(
                self._env, Limits.of(options), start_timeout=options.kernel_start_timeout,
                cleanup_timeout=options.kernel_cleanup_timeout)
        return self._running.get(student)

    def start_next(self, pending: list) -> None:
        """Start the next submission's factory while a core is free."""
        if pending and SLOTS.core_to_spare() and len(self._running) < 2:
            self.of(pending[0][1].student)

    def close_unneeded(self, pending: list, running: list) -> None:
        wanted = {task.student for _index, task in pending}
        wanted |= {run.task.student for _index, run in running}
        for student in [s for s in self._running if s not in wanted]:
            self._close(student)

    def _close(self, student: str) -> None:
        factory = self._running.pop(student)
        if factory is not None:
            factory.close()

    def close(self) -> None:
        for student in list(self._running):
            self._close(student)


def _kernel_env() -> dict:
    from autograder.preprocessors.execute import KERNEL_ENV

    return KERNEL_ENV


def _missing(task: GradingTask) -> NotebookOutcome:
    return notebook_outcome(None, task.student, task.name, None, flags=[Flag(
        first_exercise(task.name), "missing notebook", f"{task.name} was not handed in")])


def _last_error(log: str) -> str:
    lines = [line for line in log.splitlines() if "ERROR" in line or "Error" in line]
    return (lines[-1] if lines else "see the log")[-200:]


def submission_tasks(files: list[Path], student: str, *, all_graded: bool = False,
                     timestamp: str | None = None) -> tuple[list[GradingTask], list[str]]:
    """The grading tasks of one submission, and the names of its ungraded notebooks."""
    given = {Path(p).name: Path(p) for p in files}
    names = list(GRADED_NOTEBOOKS) if all_graded else [n for n in given if n in GRADED_NOTEBOOKS]
    tasks = [GradingTask.from_path(student, given.get(n), n, timestamp) for n in sorted(names)]
    ungraded = [n for n in given if n not in GRADED_NOTEBOOKS]
    return tasks, ungraded


def autograde_one(files: list[Path], student: str = "learner", *, workers: int | None = None,
                  template: Path | None = None, options: settings.NstGrader | None = None
                  ) -> StudentRecord:
    """Autograde the notebooks of one submission; its graded notebooks run side by side."""
    from autograder.grading import tamper

    started = time.monotonic()
    tasks, ungraded = submission_tasks(files, student)
    outcomes = run_jobs(tasks, workers=workers or default_workers(), template=template,
                        options=options)
    by_name = {outcome.notebook: outcome for outcome in outcomes}
    for name in ungraded:
        path = next(Path(p) for p in files if Path(p).name == name)
        by_name[name] = NotebookOutcome(student, name, flags=tuple(tamper.inspect_submission(path)))
    ordered = tuple(by_name[Path(p).name] for p in files if Path(p).name in by_name)
    return StudentRecord(student, ordered, seconds=time.monotonic() - started)


def default_workers() -> int:
    """Notebooks graded at a time by default: one per core, at least two."""
    return max(2, min(4, os.cpu_count() or 2))
