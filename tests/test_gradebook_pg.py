"""The class gradebook in PostgreSQL: same results as SQLite, resumable, movable.

A real PostgreSQL server is started on 127.0.0.1 for these tests (see
``gradebook_fixtures``). The grading of each notebook is a deterministic
stand-in here: what is tested is the gradebook layer and the grade run around
it (the real grading is tested by the sample bank).
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from autograder import db, gradebook
from autograder.grade import grade
from gradebook_fixtures import fake_grade, postgres_server, table, tiny_class

TESTS = Path(__file__).parent
CLASS = {"alice": "2026-11-20 10:00:00 UTC", "bob": "2026-11-21 11:00:00 UTC",
         "carol": "2026-11-22 09:00:00 UTC"}
SERVER = {}


@pytest.fixture(scope="module")
def server():
    with postgres_server() as running:
        yield running


@pytest.fixture(scope="module")
def sqlite_result(tmp_path_factory):
    course = tiny_class(tmp_path_factory.mktemp("sqlite-course"), CLASS)
    grade(course, grader=fake_grade, quiet=True)
    return course, table(gradebook.resolve_url(course))


def _fresh_database(server, name: str) -> str:
    import psycopg

    with psycopg.connect(server.url, autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE {name}")
    return server.url.rsplit("/", 1)[0] + "/" + name


def test_a_killed_postgres_run_resumes_to_the_sqlite_result(server, sqlite_result, tmp_path):
    url = _fresh_database(server, "killed")
    course = tiny_class(tmp_path, CLASS)
    script = ("import sys; from pathlib import Path; from gradebook_fixtures import fake_grade; "
              "from autograder.grade import grade; grade(Path(sys.argv[1]), db=sys.argv[2], "
              "grader=fake_grade)")
    env = dict(os.environ, PYTHONPATH=str(TESTS), NST_FAKE_GRADE_SECONDS="1.5")
    run = subprocess.Popen([sys.executable, "-c", script, str(course), url], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 240
    while not list((course / "grading").glob("*.json")) and time.monotonic() < deadline:
        assert run.poll() is None, "the grade run ended before it could be killed"
        time.sleep(0.1)
    run.send_signal(signal.SIGKILL)
    run.wait()
    filed = len(list((course / "grading").glob("*.json")))
    assert 1 <= filed < len(CLASS), "kill the run midway"
    assert len(table(url)["totals"]) == filed  # the gradebook holds what was filed, no more

    again = grade(course, db=url, grader=fake_grade, quiet=True)
    assert len(again) == len(CLASS) - filed  # only what was missing
    assert table(url) == sqlite_result[1]
    exported = {}
    for name, source in (("pg", url), ("sqlite", None)):
        target = tmp_path / f"{name}.csv"
        gradebook_course = course if source else sqlite_result[0]
        from autograder.export import export

        export(gradebook_course, target, db=source)
        exported[name] = target.read_text()
    assert exported["pg"] == exported["sqlite"]


def _stop_server_for_carol(task, assets):
    if task.student == "carol":
        SERVER["running"].stop()
    return fake_grade(task, assets)


def test_a_database_that_goes_away_stops_the_run_cleanly_and_it_resumes(
        server, sqlite_result, tmp_path):
    url = _fresh_database(server, "goesaway")
    course = tiny_class(tmp_path, CLASS)
    SERVER["running"] = server
    try:
        with pytest.raises(gradebook.GradebookUnavailable) as stopped:
            grade(course, db=url, grader=_stop_server_for_carol, quiet=True)
    finally:
        server.start()
    message = str(stopped.value)
    assert f"127.0.0.1:{server.port}" in message and "run the same command again" in message
    assert "carol.json" not in {p.name for p in (course / "grading").glob("*.json")}
    grade(course, db=url, grader=fake_grade, quiet=True)
    assert table(url) == sqlite_result[1]


def test_db_copy_moves_a_sqlite_gradebook_into_postgres(server, sqlite_result, capsys):
    url = _fresh_database(server, "copied")
    course, expected = sqlite_result
    assert db.main(["copy", "--course", str(course), "--to", url]) == 0
    assert table(gradebook.resolve_url(course, url)) == expected
    assert "3 students" in capsys.readouterr().out
    assert db.main(["copy", "--course", str(course), "--to", url]) == 2  # not into a full one
    assert "already holds 3 submissions" in capsys.readouterr().err
