"""The sample bank, graded end to end by nbgrader, with every expectation asserted.

One class is built from the release (``autograder.samples``) and graded once
with ``python -m autograder grade --workers 2``; that first run is killed
midway on purpose and a second run finishes it. Then every submission's
per-exercise scores (read from nbgrader's gradebook) and flags are compared
with the bank's expectations, and feedback, export and report are checked.
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
from autograder.course import kill_orphans
from nst_utils import config

pytestmark = pytest.mark.slow

ENV = {"NST_CELL_TIMEOUT": "20", "NST_MEMORY_LIMIT_GB": "4"}
BANK = samples.build()
EXPECTED = {s.student: s for s in BANK}
CLEAN_KINDS = set()  # a clean submission raises no flag at all


def _autograder(*args, cwd=None, check=True, **kwargs):
    env = dict(os.environ, **ENV)
    result = subprocess.run([sys.executable, "-m", "autograder", *map(str, args)], env=env,
                            capture_output=True, text=True, cwd=cwd, **kwargs)
    if check:
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def _tree_digest(folder: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        h.update(str(path.relative_to(folder)).encode())
        if path.is_file():
            h.update(path.read_bytes())
            h.update(str(path.stat().st_mtime_ns).encode())
    return h.hexdigest()


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    course = tmp_path_factory.mktemp("bank-course")
    samples.write(course / "submitted", BANK)
    (course / "submitted" / "expected.json").unlink()
    before = _tree_digest(course / "submitted")

    # First run: killed once a few students are filed.
    env = dict(os.environ, **ENV)
    first = subprocess.Popen([sys.executable, "-m", "autograder", "grade", "--course", course,
                              "--workers", "2"], env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline and first.poll() is None:
        if len(list((course / "grading").glob("*.json"))) >= 2:
            break
        time.sleep(1)
    first.send_signal(signal.SIGKILL)
    first.wait()
    kill_orphans(first.pid)
    interrupted = sorted(p.stem for p in (course / "grading").glob("*.json"))
    with sqlite3.connect(course / "gradebook.db") as db:
        integrity = db.execute("PRAGMA integrity_check").fetchone()[0]

    started = time.monotonic()
    second = _autograder("grade", "--course", course, "--workers", "2")
    seconds = time.monotonic() - started
    _autograder("feedback", "--course", course)
    _autograder("export", "--course", course, "--to", course / "grades.csv")
    report = _autograder("report", "--course", course).stdout
    return {"course": course, "before": before, "interrupted": interrupted,
            "integrity": integrity, "second": second.stderr, "report": report,
            "seconds": seconds}


def _records(course):
    return {p.stem: json.loads(p.read_text()) for p in (course / "grading").glob("*.json")}


def _gradebook_points(course):
    from autograder.feedback import rows

    _header, table = rows(course)
    return {row["student"]: row for row in table}


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
    assert sum(len(s.flags) for s in faults) == 10
    assert {"correct", "release"} <= set(EXPECTED)


def test_killed_run_left_a_consistent_gradebook_and_the_rerun_finished(graded):
    assert graded["integrity"] == "ok"
    assert len(graded["interrupted"]) >= 2
    assert f"{len(graded['interrupted'])} already graded" in graded["second"]
    assert set(_records(graded["course"])) == set(EXPECTED)


def test_grading_never_writes_inside_submitted(graded):
    assert _tree_digest(graded["course"] / "submitted") == graded["before"]


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
        assert student in graded["report"]


def test_feedback_shows_verdicts_and_no_grader_internals(graded):
    pages = list((graded["course"] / "feedback").glob("*/nst/*.html"))
    assert len(pages) == 4 * len(EXPECTED)
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


def test_parallel_results_equal_serial(graded, tmp_path):
    subset = ["faults-2", "variants-05"]
    samples.write(tmp_path / "submitted", [EXPECTED[s] for s in subset])
    (tmp_path / "submitted" / "expected.json").unlink()
    _autograder("grade", "--course", tmp_path, "--workers", "1")
    serial, parallel = _records(tmp_path), _records(graded["course"])

    def essence(record):
        return [(nb["notebook"], nb["exercises"], sorted((f["exercise"], f["kind"])
                                                         for f in nb["flags"]))
                for nb in record["notebooks"]]

    for student in subset:
        assert essence(serial[student]) == essence(parallel[student])
