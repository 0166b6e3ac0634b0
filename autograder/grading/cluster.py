"""Dask distributed as the engine that grades a class's notebooks.

One code path for every size of class:

* ``grade --workers N`` starts a local Dask cluster of N single-threaded
  workers inside the ``grade`` process;
* ``grade --scheduler tcp://host:8786`` (or ``tls://…`` with ``--tls-*``) uses
  the workers of a cluster that already runs (``dask scheduler`` /
  ``dask worker``, or ``dask-jobqueue`` on Slurm).

A task carries everything a worker needs: the submitted notebook's bytes and
the grading assets (the graded source notebooks); the result comes back as
data (scores, gradebook rows, the autograded notebook's bytes). Workers never
read or write the course folder, and the client (the ``grade`` process) is
the only writer of the gradebook.

On a worker, a task's notebooks are graded by ``autograder.grading.jobs.run_jobs``:
nbgrader runs in a process started by a *forkserver* (never forked from the
multithreaded worker), its kernel in the sandbox, with TensorFlow and BLAS
kept to one thread, so N workers use N cores. The client first checks that
every worker runs the same course version and can sandbox its kernels. A worker that dies
while grading (out of memory, killed) is replaced by its nanny and the task
is regraded exactly once elsewhere (the scheduler's ``allowed-failures`` is
set to 1); a notebook that kills a second worker is not retried a third
time: it is reported, never filed as a grade, and the next ``grade`` run
grades its student again. A worker of another course version stops the run.
"""

from __future__ import annotations

import contextlib
import functools
import os
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

from autograder.grading.jobs import GradingTask
from autograder.grading.results import Flag, NotebookOutcome, first_exercise
from nst_utils import config

#: How often a task may be rescheduled after its worker died: exactly once.
ALLOWED_FAILURES = 1
THREAD_ENV = {"OMP_NUM_THREADS": "1", "TF_NUM_INTRAOP_THREADS": "1",
              "TF_NUM_INTEROP_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
              "MKL_NUM_THREADS": "1"}


class ClusterError(RuntimeError):
    """The Dask cluster could not be used (unreachable, or workers of another version)."""


class CourseVersionMismatch(RuntimeError):
    """Raised on a worker that runs another version of the course than the client."""


@dataclass(frozen=True)
class Assets:
    """What grading needs besides the installed course package; shipped with the tasks."""
    notebooks: dict  # graded source notebook name -> bytes
    fingerprint: str  # the course version of the client (see :func:`fingerprint`)
    secret: bytes  # the class's grading secret (never read from the course by a worker)
    settings: dict  # the grader's settings of the client (autograder.settings), by name

    @property
    def unsandboxed(self) -> bool:  # grade without the kernel sandbox (trusted work only)
        return bool(self.settings.get("unsandboxed"))

    def options(self):
        """The client's settings, as a worker grades with them (its own environment aside)."""
        from autograder.settings import NstGrader

        return NstGrader(environ={}, **self.settings)


@functools.lru_cache(maxsize=1)
def fingerprint() -> str:
    """The course version this process grades with (read once, on first use): the digest
    of what decides a grade (:func:`autograder.grading.template.assets_version`).
    A local cluster's workers share it with the client."""
    from autograder.grading.template import assets_version

    return assets_version()


def load_assets(course: Path, options) -> Assets:
    """What the workers need to grade ``course`` with the grader's settings ``options``."""
    from autograder.grading.cases import course_secret
    from autograder.grading.template import source_notebooks

    return Assets({p.name: p.read_bytes() for p in source_notebooks()}, fingerprint(),
                  course_secret(course), options.values())


def can_start_processes() -> bool:
    """Run on each worker: nbgrader runs in child processes, which daemonic ones cannot have."""
    import multiprocessing

    return not multiprocessing.current_process().daemon


def sandbox_status() -> tuple[bool, str]:
    """Run on each worker: can grading kernels be sandboxed here?"""
    from autograder import sandbox

    return sandbox.sandbox_available()


# ------------------------------------------------------------ worker side
def grade_submission_on_worker(tasks: list, assets: Assets) -> list[NotebookOutcome]:
    """Run on a Dask worker: grade one student's notebooks, one at a time, their kernels
    forked by one sandbox that imports TensorFlow once (:mod:`autograder.grading.kernels`)."""
    from autograder.grading import jobs

    if fingerprint() != assets.fingerprint:
        raise CourseVersionMismatch(
            f"a worker runs course version {fingerprint()}, the client {assets.fingerprint}: "
            "install the same course package on every worker and restart the workers")
    os.environ.update(THREAD_ENV)
    seconds, last = {}, [time.monotonic()]

    def timed(index, _outcome):  # each notebook's share of the wall time, in the order they end
        seconds[index], last[0] = time.monotonic() - last[0], time.monotonic()

    with tempfile.TemporaryDirectory(prefix="nst-task-") as tmp:
        for name, data in assets.notebooks.items():
            (Path(tmp) / name).write_bytes(data)
        template = jobs.template_course(Path(tmp))
        outcomes = jobs.run_jobs(list(tasks), workers=1, template=template,
                                 secret=assets.secret, on_done=timed, options=assets.options(),
                                 on_start=lambda _index, task: announce(task))
    return [replace(outcome, seconds=seconds.get(index, 0.0), host=os.uname().nodename, log="")
            for index, outcome in enumerate(outcomes)]


def each(grader):
    """A grader of one notebook (``grader(task, assets) -> NotebookOutcome``, e.g. a test's
    stand-in)
    as a grader of a student's notebooks, each announced as the real grader does."""
    def grade_all(tasks: list, assets: Assets) -> list[NotebookOutcome]:
        outcomes = []
        for task in tasks:
            announce(task)
            outcomes.append(grader(task, assets))
        return outcomes
    return grade_all


#: The topic of the events that say which notebook a task is grading.
GRADING_EVENTS = "nst-grading"


def announce(task: GradingTask) -> None:
    """Tell the scheduler which notebook this task grades now: if the worker dies, the
    client names that notebook."""
    from distributed import get_worker

    try:
        worker = get_worker()
    except ValueError:  # not on a Dask worker
        return
    worker.log_event(GRADING_EVENTS, {"key": str(worker.get_current_task()),
                                      "notebook": task.name})


def flagged(task: GradingTask, kind: str, detail: str) -> NotebookOutcome:
    """A notebook the cluster failed to grade: never filed as a grade; regraded next run."""
    exercises = {e.function: {"points": 0.0, "max_points": e.points}
                 for e in config.exercises_in(task.name)}
    return NotebookOutcome(task.student, task.name, exercises, 0.0,
                           sum(e["max_points"] for e in exercises.values()),
                           (Flag(first_exercise(task.name), kind, detail),), incomplete=True)


# ------------------------------------------------------------ client side
@contextlib.contextmanager
def engine(*, scheduler: str | None = None, workers: int = 1, security=None,
           timeout: float = 15.0):
    """A connected Dask client: to ``scheduler``, or to a local in-process cluster."""
    import dask
    from distributed import Client, LocalCluster

    with dask.config.set({"distributed.scheduler.allowed-failures": ALLOWED_FAILURES,
                          "distributed.scheduler.worker-saturation": 1.0,
                          "distributed.worker.daemon": False}):
        if scheduler is None:
            with LocalCluster(n_workers=workers, threads_per_worker=1, processes=False,
                              dashboard_address="127.0.0.1:0",
                              worker_dashboard_address="127.0.0.1:0",
                              memory_limit=0) as local, \
                    Client(local) as client:
                yield client
            return
        try:
            client = Client(scheduler, security=security, timeout=timeout)
        except (OSError, TimeoutError, ValueError) as error:
            raise ClusterError(f"cannot reach the Dask scheduler at {scheduler} ({error}). "
                               "Check the address (tcp://host:port, or tls:// with --tls-*), "
                               "that `dask scheduler` runs there and that this machine can "
                               "reach it; nothing was graded or written.") from None
        with client:
            _prepare_scheduler(client)
            yield client


def _prepare_scheduler(client) -> None:
    """Exactly-once regrading on an existing cluster: a task may lose one worker, not two.

    Workers hold no queue of tasks (saturation 1.0), so a worker that dies takes
    down only the submission it was grading, not the ones waiting behind it.
    """
    def settle(dask_scheduler=None, allowed=ALLOWED_FAILURES):
        dask_scheduler.allowed_failures = allowed
        dask_scheduler.WORKER_SATURATION = 1.0

    client.run_on_scheduler(settle)


def check_workers(client, expected: str, unsandboxed: bool = False,
                  wait: float = 60.0) -> int:
    """Refuse workers of another course version, or without a sandbox; return their number."""
    client.wait_for_workers(1, timeout=wait)
    versions = client.run(fingerprint)
    wrong = {w: v for w, v in versions.items() if v != expected}
    if wrong:
        raise ClusterError(
            f"{len(wrong)} of {len(versions)} Dask workers run another version of the course "
            f"(this machine: {expected}; " + ", ".join(f"{w}: {v}" for w, v in wrong.items())
            + "). Install the same course package (same commit) on every worker.")
    daemonic = [w for w, ok in client.run(can_start_processes).items() if not ok]
    if daemonic:
        raise ClusterError(
            f"{len(daemonic)} of {len(versions)} workers run as daemonic processes, which cannot "
            "start the processes grading needs: start the workers with "
            "DASK_DISTRIBUTED__WORKER__DAEMON=False in their environment, e.g. "
            "`DASK_DISTRIBUTED__WORKER__DAEMON=False dask worker tcp://HOST:8786 --nthreads 1`.")
    if not unsandboxed:
        lacking = {w: why for w, (ok, why) in client.run(sandbox_status).items() if not ok}
        if lacking:
            worker, why = next(iter(lacking.items()))
            raise ClusterError(
                f"{len(lacking)} of {len(versions)} workers cannot sandbox the grading kernels "
                f"({worker}: {why}). Fix that, or grade with --unsandboxed only if you trust "
                "every submission.")
    return len(versions)


def run(client, tasks: list[GradingTask], assets: Assets, on_done, grader=None) -> None:
    """Grade ``tasks`` on the cluster; call ``on_done(outcome)`` as each notebook's outcome
    (a :class:`~autograder.grading.results.NotebookOutcome`) comes back.

    A Dask task is one student, whose notebooks are graded one after the other, their
    kernels forked by one sandbox (:mod:`autograder.grading.kernels`); a task says which
    notebook it grades (:func:`announce`), so a worker that dies names it.
    ``grader(task, assets) -> NotebookOutcome`` grades one notebook on the workers (tests give
    a stand-in).

    Each task is accepted once (by its key), so a task regraded after its worker
    died can never be stored twice. If ``on_done`` raises, the rest is cancelled.
    """
    from distributed import as_completed

    grade_all = grade_submission_on_worker if grader is None else each(grader)
    groups: dict[str, list] = {}
    for task in tasks:
        groups.setdefault(task.student, []).append(task)
    run_id = os.urandom(4).hex()
    # The assets travel inside every task (tens of kB): scattered data would be lost
    # for good when the workers holding it die, and the tasks needing it with it.
    futures = {client.submit(grade_all, group, assets, pure=False,
                             key=f"grade-{run_id}-{name}"): group
               for name, group in groups.items()}
    accepted = set()
    try:
        for future in as_completed(futures):
            if future.key in accepted:
                continue
            accepted.add(future.key)
            for outcome in _outcomes(client, future, futures[future]):
                on_done(outcome)
    finally:
        client.cancel(list(futures))


def _outcomes(client, future, group: list) -> list[NotebookOutcome]:
    """The notebooks' outcomes of one student's task, or each notebook flagged if it failed."""
    from distributed.scheduler import KilledWorker

    try:
        return future.result()
    except CourseVersionMismatch as error:  # never a grade: stop the run
        raise ClusterError(f"{error}; the students filed so far stay filed") from None
    except KilledWorker:
        return _died(group, _graded_when_killed(client, future.key))
    except Exception as error:  # noqa: BLE001 - one student's failure is flagged
        return [flagged(task, "not graded", f"grading failed on the worker: {error!r}; "
                        "the next `grade` run grades it again") for task in group]


def _graded_when_killed(client, key: str) -> str | None:
    """The notebook task ``key`` last said it was grading (None if it said nothing)."""
    try:
        events = client.get_events(GRADING_EVENTS)
    except Exception:  # noqa: BLE001 - the flags then name no notebook
        return None
    said = [message.get("notebook") for _time, message in events
            if isinstance(message, dict) and message.get("key") == str(key)]
    return said[-1] if said else None


def _died(group: list, culprit: str | None) -> list[NotebookOutcome]:
    """Every notebook of a student whose task killed two workers: flagged, never filed."""
    again = "; the next `grade` run grades it again"
    return [flagged(task, "worker died", "this notebook was being graded on two workers that "
                    "both died (out of memory?)" + again)
            if culprit in (None, task.name) else
            flagged(task, "not graded", f"the worker grading this submission died while it "
                    f"graded {culprit}" + again) for task in group]
