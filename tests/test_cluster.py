"""Grading on a Dask cluster: workers that die, a scheduler that is not there.

A scheduler and two workers run as separate processes on 127.0.0.1 (as an
instructor would start them with ``dask scheduler`` / ``dask worker``). The
grading of each notebook is a stand-in (``gradebook_fixtures.fake_grade``) that
can kill the worker running it: what is tested is the engine around grading.
"""

import os
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from autograder.grading import cluster
from autograder import gradebook
from autograder.grade import grade
from autograder import grade as grade_command
from gradebook_fixtures import fake_grade, table, tiny_class

TESTS = Path(__file__).parent
CLASS = {"alice": None, "bob": None, "carol": None}
ATTEMPTS_ENV = "NST_TEST_ATTEMPTS"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory):
    """``dask scheduler`` and two ``dask worker`` processes (with nannies) on the loopback."""
    from distributed import Client

    attempts = tmp_path_factory.mktemp("attempts")
    env = dict(os.environ, PYTHONPATH=str(TESTS), DASK_DISTRIBUTED__WORKER__DAEMON="False",
               **{ATTEMPTS_ENV: str(attempts)})
    dask = str(Path(sys.executable).with_name("dask"))
    address = f"tcp://127.0.0.1:{_free_port()}"
    loopback = ["--host", "127.0.0.1", "--no-dashboard", "--dashboard-address", "127.0.0.1:0"]
    quiet = {"env": env, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    processes = [subprocess.Popen([dask, "scheduler", "--port", address.rsplit(":", 1)[1],
                                   *loopback], **quiet)]
    processes += [subprocess.Popen([dask, "worker", address, "--nthreads", "1", *loopback,
                                    "--death-timeout", "120"], **quiet) for _ in range(2)]
    try:
        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=120)
        yield address, attempts
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def killing_grade(task, assets):
    """Bob's notebook 02 kills its worker once; carol's notebook 03 kills every worker."""
    folder = Path(os.environ[ATTEMPTS_ENV])
    tried = list(folder.glob(f"{task.student}-{task.name}-*"))
    (folder / f"{task.student}-{task.name}-{uuid.uuid4().hex}").touch()
    killer = (task.student == "bob" and task.name.startswith("02") and not tried) or \
        (task.student == "carol" and task.name.startswith("03"))
    if killer:
        time.sleep(0.5)
        os.kill(os.getpid(), signal.SIGKILL)  # the worker dies while it grades
    return fake_grade(task, assets)


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    course = tiny_class(tmp_path_factory.mktemp("reference"), CLASS)
    grade(course, grader=fake_grade, quiet=True)
    return table(gradebook.resolve_url(course))


def test_a_killed_worker_is_replaced_and_its_notebook_graded_exactly_once(
        scheduler, reference, tmp_path, capsys):
    address, attempts = scheduler
    course = tiny_class(tmp_path / "course", CLASS)
    cluster.fingerprint.cache_clear()  # read the course as the workers just did
    records = grade(course, scheduler=address, grader=killing_grade)
    said = capsys.readouterr().err
    for student in CLASS:  # each student filed once
        assert len(re.findall(rf"\] {student}: ", said)) == 1, said
    tries = {}
    for path in attempts.iterdir():
        student, name, _ = path.name.rsplit("-", 2)
        tries[(student, name)] = tries.get((student, name), 0) + 1
    # Regraded elsewhere. (A result still held by a worker that dies is computed
    # again by Dask; the gradebook still receives it once.)
    assert tries.get(("bob", "02_gram_matrix.ipynb"), 0) >= 2, (tries, said)
    assert tries[("carol", "03_style_cost.ipynb")] == 2  # twice, then flagged: not a third
    assert not records["bob"].incomplete and records["carol"].incomplete
    flags = {nb.notebook: [f.kind for f in nb.flags] for nb in records["carol"].notebooks}
    assert flags.pop("03_style_cost.ipynb") == ["worker died"], flags  # the one to blame
    assert all(kinds == ["not graded"] for kinds in flags.values()), flags
    got = table(gradebook.resolve_url(course))
    assert got["totals"]["bob"] == reference["totals"]["bob"]
    assert "carol" not in got["totals"]  # a failure of the cluster is never filed as a grade

    again = grade(course, scheduler=address, grader=fake_grade)  # carol is graded again
    assert list(again) == ["carol"]
    assert table(gradebook.resolve_url(course)) == reference


def test_an_unreachable_scheduler_is_named_and_nothing_is_written(tmp_path, capsys):
    course = tiny_class(tmp_path / "course", CLASS)
    before = sorted(str(p.relative_to(course)) for p in course.rglob("*"))
    address = f"tcp://127.0.0.1:{_free_port()}"
    assert grade_command.main(["--course", str(course), "--scheduler", address]) == 2
    message = capsys.readouterr().err
    assert f"cannot reach the Dask scheduler at {address}" in message
    assert "nothing was graded or written" in message
    assert sorted(str(p.relative_to(course)) for p in course.rglob("*")) == before


def _course_version(root: Path) -> str:
    """The course version a worker installed from ``root`` reports."""
    done = subprocess.run([sys.executable, "-c",
                           "from autograder.grading import cluster; print(cluster.fingerprint())"],
                          cwd=root, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(root)})
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


def test_a_worker_running_another_judge_or_runner_runs_another_course_version(tmp_path):
    """The version the client checks every worker against covers the grader's own code: a
    copy of the course reports the same version, and one whose judge has another tolerance,
    or whose harness calls the learner's function otherwise, reports another."""
    import shutil

    from autograder.preprocessors import judge
    from nst_utils import config
    from nst_utils.grading import exercises

    root = config.REPO_ROOT
    copy = tmp_path / "worker-course"
    for part in ("autograder", "nst_utils", "notebooks/source", "images"):
        shutil.copytree(root / part, copy / part, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(root / "pyproject.toml", copy / "pyproject.toml")
    original = _course_version(root)
    assert _course_version(copy) == original
    seen = {original}
    for module, old, new in ((judge, "RELATIVE_TOLERANCE = 2e-4", "RELATIVE_TOLERANCE = 2e-2"),
                             (exercises, "value = candidate(first, second)",
                              "value = candidate(second, first)")):
        path = copy / Path(module.__file__).resolve().relative_to(root)
        text = path.read_text(encoding="utf-8")
        assert old in text, (path, old)
        path.write_text(text.replace(old, new), encoding="utf-8")
        seen.add(_course_version(copy))
    assert len(seen) == 3, seen
