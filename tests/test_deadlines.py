"""Deadlines: nbgrader's due date, timestamps, extensions and late-penalty plugins.

The grading of each notebook is a deterministic stand-in (``gradebook_fixtures``):
what is tested is what the class gradebook, the export and the report say.
"""

import csv

import pytest

from autograder import db, deadlines, grade, report
from autograder.export import export
from autograder.grading.nbgrader_run import link_config
from gradebook_fixtures import fake_grade, tiny_class

CLASS = {"alice": "2026-11-20 10:00:00 UTC",   # on time
         "bob": "2026-11-22 13:00:00 UTC",     # 25 h late: two started days
         "carol": "2026-11-22 18:00:00 UTC"}   # 30 h late, but has a 2-day extension


def test_the_percentage_plugin_takes_a_share_per_started_period():
    per_day = deadlines.plugin("10%/day")
    assert per_day.late_submission_penalty("s", 3.0, 0) is None
    assert per_day.late_submission_penalty("s", 3.0, 60) == pytest.approx(0.3)
    assert per_day.late_submission_penalty("s", 3.0, 25 * 3600) == pytest.approx(0.6)
    assert per_day.late_submission_penalty("s", 3.0, 30 * 86400) == pytest.approx(3.0)
    assert deadlines.plugin("5% per hour").late_submission_penalty("s", 2.0, 7200) == 0.2
    assert deadlines.plugin("zero").late_submission_penalty("s", 2.0, 1) == 2.0
    assert deadlines.plugin("none") is None
    with pytest.raises(ValueError, match="10%/day"):
        deadlines.plugin("half")


def _export(course, tmp_path):
    target = tmp_path / "grades.csv"
    export(course, target)
    return {row["student"]: row for row in csv.DictReader(target.open())}


def test_late_work_is_penalised_in_the_gradebook_export_and_report(tmp_path):
    course = tiny_class(tmp_path / "course", CLASS)
    link_config(course)  # the course's own configuration, as `grade` writes it
    with open(course / "nbgrader_config.py", "a", encoding="utf-8") as settings:
        settings.write('c.NstGrader.due = "2026-11-21 12:00:00 UTC"\n'
                       'c.NstGrader.late_penalty = "10%/day"\n')
    assert db.main(["extend", "--course", str(course), "--student", "carol", "--days", "2"]) == 0
    grade.grade(course, grader=fake_grade, quiet=True)
    rows = _export(course, tmp_path)
    assert float(rows["alice"]["late_penalty"]) == 0 and float(rows["alice"]["hours_late"]) == 0
    bob = {k: float(rows["bob"][k]) for k in ("raw_total", "late_penalty", "total", "hours_late")}
    assert bob["hours_late"] == 25.0
    assert bob["late_penalty"] == pytest.approx(0.2 * bob["raw_total"])
    assert bob["total"] == pytest.approx(0.8 * bob["raw_total"])
    assert float(rows["carol"]["late_penalty"]) == 0 and float(rows["carol"]["hours_late"]) == 0
    assert rows["carol"]["due"].startswith("2026-11-23T12:00")  # the extension counts
    text = report.build(course, tmp_path / "report")
    assert "Late submissions: 1" in text and "bob: 25 h late" in text

    # The command line overrides the configuration: late work now scores zero.
    grade.grade(course, grader=fake_grade, quiet=True, force=True, late_penalty="zero")
    rows = _export(course, tmp_path)
    assert float(rows["bob"]["total"]) == 0 and float(rows["bob"]["raw_total"]) > 0
    assert float(rows["alice"]["total"]) == float(rows["alice"]["raw_total"])


def test_an_unreadable_policy_is_refused_before_anything_is_written(tmp_path, capsys):
    course = tiny_class(tmp_path / "course", {"alice": None})
    before = sorted(p.name for p in course.iterdir())
    assert grade.main(["--course", str(course), "--late-penalty", "lots"]) == 2
    assert "late penalty 'lots' is not understood" in capsys.readouterr().err
    assert grade.main(["--course", str(course), "--due", "next friday"]) == 2
    assert "is not a date" in capsys.readouterr().err
    (course / "grading.toml").write_text('late_penalty = "10%/day"\n')  # an earlier version's
    assert grade.main(["--course", str(course)]) == 2
    assert "grading.toml is no longer read" in capsys.readouterr().err
    (course / "grading.toml").unlink()
    assert sorted(p.name for p in course.iterdir()) == before
