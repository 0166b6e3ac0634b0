"""The sample bank, graded end to end by nbgrader, with every expectation asserted.

The whole bank is the sample class that `make demo` grades (``grade --workers
2``, then feedback, export and report): the session's one demo run
(``conftest.demo_run``) is checked here, submission by submission, against
the bank's expectations. A second, small class of bank submissions is graded
serially and killed midway on purpose: the gradebook stays consistent, a
second run finishes it, and its results equal the parallel run's.
"""

import csv
import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder import samples
from autograder import variants as variant_bank
from autograder.grading.jobs import kill_orphans
from nst_utils import config

pytestmark = pytest.mark.slow

ENV = {"NST_CELL_TIMEOUT": "20", "NST_MEMORY_LIMIT_GB": "4"}
BANK = samples.build()
EXPECTED = {s.student: s for s in BANK}
#: Graded again, serially, in a run killed midway (one valid, one faulty, one mixed).
RESUMED = ["correct", "faults-2", "variants-05"]


def _autograder(*args, cwd=None, check=True, **kwargs):
    env = dict(os.environ, **ENV)
    result = subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], env=env,
                            capture_output=True, text=True, cwd=cwd, **kwargs)
    if check:
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def _tree_digest(folder: Path, with_times: bool = True) -> str:
    h = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        h.update(str(path.relative_to(folder)).encode())
        if path.is_file():
            h.update(path.read_bytes())
            if with_times:
                h.update(str(path.stat().st_mtime_ns).encode())
    return h.hexdigest()


@pytest.fixture(scope="module")
def graded(demo_run, tmp_path_factory):
    """The sample class as `make demo` graded it, beside the bank as it was written."""
    course = demo_run["out"] / "sample-class"
    fresh = tmp_path_factory.mktemp("bank-as-written")
    samples.write(fresh / "submitted", BANK)
    (fresh / "submitted" / "expected.json").unlink()
    report = _autograder("report", "--course", course).stdout
    return {"course": course, "as_written": fresh / "submitted", "report": report}


@pytest.fixture(scope="module")
def resumed(tmp_path_factory):
    """A small class graded with ``--workers 1``, killed once a student is filed, then rerun."""
    course = tmp_path_factory.mktemp("resumed-course")
    samples.write(course / "submitted", [EXPECTED[s] for s in RESUMED])
    (course / "submitted" / "expected.json").unlink()
    before = _tree_digest(course / "submitted")
    env = dict(os.environ, **ENV)
    first = subprocess.Popen([sys.executable, "-m", "autograder", "grade", "--course", course,
                              "--workers", "1"], env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and first.poll() is None:
        if list((course / "grading").glob("*.json")):
            break
        time.sleep(0.5)
    first.send_signal(signal.SIGKILL)
    first.wait()
    kill_orphans(first.pid)
    interrupted = sorted(p.stem for p in (course / "grading").glob("*.json"))
    with sqlite3.connect(course / "gradebook.db") as db:
        integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
    second = _autograder("grade", "--course", course, "--workers", "1")
    return {"course": course, "before": before, "interrupted": interrupted,
            "integrity": integrity, "second": second.stderr}


def _records(course):
    return {p.stem: json.loads(p.read_text()) for p in (course / "grading").glob("*.json")}


def _gradebook_points(course):
    from autograder.feedback import rows

    _header, table = rows(course)
    return {row["student"]: row for row in table}


def flagged_in_report(report: str) -> dict[str, set[tuple[str, str]]]:
    """The students listed under the report's "Flagged submissions", each with its
    (exercise, kind) pairs; the count the report gives is checked against the list."""
    count, *lines = report.split("Flagged submissions: ", 1)[1].splitlines()
    flagged: dict[str, set[tuple[str, str]]] = {}
    for line in lines:
        if line.startswith("    ["):
            exercise, rest = line.strip()[1:].split("] ", 1)
            flagged[student].add((exercise, rest.split(":", 1)[0]))
        elif line.startswith("  ") and line.strip():
            student = line.strip()
            flagged[student] = set()
        else:
            break
    assert len(flagged) == int(count), report
    return flagged


def test_bank_covers_what_the_issue_asks():
    valid = {f: 0 for f in config.GRADED_FUNCTIONS}
    wrong = {f: 0 for f in config.GRADED_FUNCTIONS}
    for sample in BANK:
        if sample.student.startswith("variants-"):
            for function, points in sample.points.items():
                if f"{function}:" in sample.note:
                    (valid if points else wrong)[function] += 1
    assert all(n >= 3 for n in valid.values()), valid
    assert all(n >= 4 for n in wrong.values()), wrong
    faults = [s for s in BANK if s.student.startswith("faults-")]
    assert sum(len(s.flags) for s in faults) == 12
    assert {"correct", "release"} <= set(EXPECTED)


def test_killed_run_left_a_consistent_gradebook_and_the_rerun_finished(resumed):
    assert resumed["integrity"] == "ok"
    assert 1 <= len(resumed["interrupted"]) < len(RESUMED)
    assert f"{len(resumed['interrupted'])} already graded" in resumed["second"]
    assert set(_records(resumed["course"])) == set(RESUMED)
    assert _tree_digest(resumed["course"] / "submitted") == resumed["before"]


def test_grading_never_writes_inside_submitted(graded):
    assert (_tree_digest(graded["course"] / "submitted", with_times=False)
            == _tree_digest(graded["as_written"], with_times=False))


@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_scores_match_the_bank(graded, student):
    expected = EXPECTED[student]
    row = _gradebook_points(graded["course"])[student]
    got = {f: float(row[f]) for f in config.GRADED_FUNCTIONS}
    assert got == expected.points, expected.note
    record = _records(graded["course"])[student]
    from_record = {f: e["points"] for nb in record["notebooks"] for f, e in nb["exercises"].items()}
    assert from_record == got  # what score/grade report is what nbgrader stored


@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_flags_name_the_problem_and_the_exercise(graded, student):
    expected = EXPECTED[student]
    record = _records(graded["course"])[student]
    kinds = {}
    for nb in record["notebooks"]:
        for flag in nb["flags"]:
            kinds.setdefault(flag["exercise"], set()).add(flag["kind"])
    for exercise, wanted in expected.flags.items():
        assert set(wanted) <= kinds.get(exercise, set()), (exercise, kinds)
    if student == "correct" or student.startswith("variants-"):
        # valid work raises no flag; a mistake may only be flagged for the error it raised
        mistakes = {v.exercise for v in variant_bank.VARIANTS if not v.valid
                    and f"{v.exercise}:{v.key}" in expected.note.split(", ")}
        assert {e: k for e, k in kinds.items() if e not in mistakes} == {}, kinds
        assert all(kinds.get(e, set()) <= {"exception"} for e in mistakes), kinds
    if student.startswith(("faults-", "tamper-")):
        assert student in flagged_in_report(graded["report"])
    if student == "release":
        # Work not started is not suspicious: nothing is flagged, and each graded case
        # tells the student why it scored nothing.
        assert kinds == {} and student not in flagged_in_report(graded["report"]), kinds
        reasons = {case["reason"] for nb in record["notebooks"]
                   for verdict in nb["verdicts"].values() for case in verdict["cases"]}
        assert reasons and all(r.startswith("it is not implemented yet") for r in reasons), reasons


def test_feedback_shows_verdicts_and_no_grader_internals(graded):
    pages = list((graded["course"] / "feedback").glob("*/nst/*.html"))
    unreadable = [(s.student, name) for s in BANK for name, nb in s.notebooks.items()
                  if isinstance(nb, str)]  # not JSON: never graded, so no feedback
    assert len(pages) == 4 * len(EXPECTED) - len(unreadable) and unreadable
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert "graded cases" in text, page  # every graded cell shows the judge's verdict
        for secret in ("HIDDEN TESTS", "autograder", "_grading", "harness", "nst_verdict",
                       "nst_kernel_errors", "NST-TAMPERING"):
            assert secret not in text, (page, secret)


def test_export_and_report(graded):
    with open(graded["course"] / "grades.csv", newline="") as handle:
        table = list(csv.DictReader(handle))
    assert {row["student"] for row in table} == set(EXPECTED)
    correct = next(r for r in table if r["student"] == "correct")
    assert float(correct["total"]) == sum(p for _n, p in config.GRADED_FUNCTIONS.values())
    assert (graded["course"] / "report" / "histogram.png").stat().st_size > 1000
    assert "Flagged submissions" in graded["report"]


def test_parallel_results_equal_serial(graded, resumed):
    serial, parallel = _records(resumed["course"]), _records(graded["course"])

    def essence(record):
        return [(nb["notebook"], nb["exercises"], sorted((f["exercise"], f["kind"])
                                                         for f in nb["flags"]))
                for nb in record["notebooks"]]

    for student in RESUMED:
        assert essence(serial[student]) == essence(parallel[student])
