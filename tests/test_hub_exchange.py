"""The class hub's exchange on its own, in seconds: what the trusted collect takes and refuses,
what a student's submit leaves; the class command refusing to run without root; the
machine's pretrained weights shared with every server.

No hub, no accounts made: submissions are laid out in a temporary exchange and
given to existing system users (``daemon``, ``bin``) with ``chown``, so these
need root (CI runs as root); ``tests/test_hub.py`` does the same with real
students through their servers.
"""

from __future__ import annotations

import json
import os
import pwd
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest
from nbgrader.auth import Authenticator
from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config

from autograder.hub.exchange import Changed, Reader, TrustedCollect, released_at
from nst_utils import config
from nst_utils.exchange import AtomicSubmit, FeedbackList
from nst_utils.notebook_runner import tools_env
from prerequisites import require

ALICE, BOB = "daemon", "bin"  # two users every Debian system has
NOTEBOOK = "01_content_cost.ipynb"


@pytest.fixture
def exchange(tmp_path, monkeypatch):
    require(os.geteuid() == 0, "giving files to other users (chown) needs root")
    monkeypatch.setenv("PATH", tools_env()["PATH"])  # nbgrader's gradebook runs alembic
    inbound = tmp_path / "exchange" / config.COURSE_ID / "inbound"
    inbound.mkdir(parents=True)
    return inbound


def _hand_in(inbound: Path, name: str, owner: str, text: str, claimed: str) -> Path:
    """A submission folder as a student's process would leave it, owned by ``owner``."""
    folder = inbound / f"{name}+{config.ASSIGNMENT_ID}+{claimed}+x{time.monotonic_ns()}"
    folder.mkdir()
    (folder / NOTEBOOK).write_text(json.dumps({"cells": [], "marker": text}))
    (folder / "timestamp.txt").write_text(claimed)
    uid = pwd.getpwnam(owner).pw_uid
    for path in (folder, folder / NOTEBOOK, folder / "timestamp.txt"):
        os.chown(path, uid, -1)
    return folder


def _collect(tmp_path: Path, inbound: Path, **settings) -> TrustedCollect:
    course = tmp_path / "course"
    course.mkdir(exist_ok=True)
    cfg = Config()
    cfg.CourseDirectory.root = str(course)
    cfg.CourseDirectory.course_id = config.COURSE_ID
    cfg.CourseDirectory.assignment_id = config.ASSIGNMENT_ID
    cfg.CourseDirectory.ignore = list(config.HAND_IN_IGNORE)
    cfg.Exchange.root = str(inbound.parent.parent)
    collect = TrustedCollect(coursedir=CourseDirectory(config=cfg),
                             authenticator=Authenticator(config=cfg), config=cfg, update=True,
                             **settings)
    collect.start()
    return collect


def _collected(tmp_path: Path, student: str) -> tuple[str, str]:
    folder = tmp_path / "course" / "submitted" / student / config.ASSIGNMENT_ID
    return (json.loads((folder / NOTEBOOK).read_text())["marker"],
            (folder / "timestamp.txt").read_text())


def test_a_submission_counts_for_its_owner_only_at_the_time_the_exchange_saw_it(tmp_path,
                                                                                 exchange):
    own = _hand_in(exchange, ALICE, ALICE, "alice's own", "2026-01-01 00:00:00.000000 UTC")
    handed = datetime.now(timezone.utc).timestamp()
    time.sleep(0.1)  # what comes next happens clearly later than the hand-in
    os.utime(own / NOTEBOOK, (0, 0))  # "backdating" a file is a change: it makes it later
    _hand_in(exchange, ALICE, BOB, "forged by bob", "2999-01-01 00:00:00.000000 UTC")
    collect = _collect(tmp_path, exchange)
    marker, stamp = _collected(tmp_path, ALICE)
    assert marker == "alice's own"
    assert [why for _, why in collect.refused] == [
        f"the submission folder is owned by {BOB}, not by {ALICE}, whose name it bears"]
    when = datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S.%f UTC").replace(tzinfo=timezone.utc)
    # The time of the latest change (the clock that sets ctime ticks every few ms).
    assert handed + 0.05 < when.timestamp() <= time.time(), (stamp, handed)


def test_links_and_other_owners_files_inside_a_submission_are_refused(tmp_path, exchange):
    linked = _hand_in(exchange, ALICE, ALICE, "with a link", "2026-01-01 00:00:00.000000 UTC")
    (linked / "secret.ipynb").symlink_to(tmp_path / "course" / ".nst-grading-secret")
    planted = _hand_in(exchange, BOB, BOB, "with a planted file", "2026-01-01 00:00:00.000000 UTC")
    os.chown(planted / NOTEBOOK, pwd.getpwnam(ALICE).pw_uid, -1)
    collect = _collect(tmp_path, exchange)
    reasons = dict(collect.refused)
    assert "secret.ipynb is not a plain file or folder" in reasons[linked.name]
    assert f"{NOTEBOOK} is owned by {ALICE}, not by {BOB}" in reasons[planted.name]
    assert not (tmp_path / "course" / "submitted").exists()


def test_the_latest_valid_submission_is_collected_and_hidden_names_never(tmp_path, exchange):
    _hand_in(exchange, ALICE, ALICE, "first", "2026-01-01 00:00:00.000000 UTC")
    _hand_in(exchange, ALICE, ALICE, "second", "2020-01-01 00:00:00.000000 UTC")
    _hand_in(exchange, ALICE, BOB, "forged, latest", "2026-06-01 00:00:00.000000 UTC")
    half = exchange / ".incoming-half"  # a submit still writing
    half.mkdir()
    (half / NOTEBOOK).write_text("{")
    _collect(tmp_path, exchange)
    assert _collected(tmp_path, ALICE)[0] == "second"


def test_a_submission_that_changes_while_read_is_left_for_next_time(tmp_path, exchange):
    folder = _hand_in(exchange, ALICE, ALICE, "v1", "2026-01-01 00:00:00.000000 UTC")
    fd = os.open(exchange, os.O_RDONLY | os.O_DIRECTORY)
    try:
        reader = Reader(fd, ALICE, pwd.getpwnam(ALICE).pw_uid, CourseDirectory(), None)
        survey = reader.survey(folder.name)
        (folder / NOTEBOOK).write_text(json.dumps({"cells": [], "marker": "v2"}))
        with pytest.raises(Changed):
            reader.read(folder.name, survey)
        assert json.loads(reader.read(folder.name, reader.survey(folder.name))[NOTEBOOK])[
            "marker"] == "v2"
    finally:
        os.close(fd)


def test_after_feedback_a_later_submission_is_kept_but_not_collected(tmp_path, exchange):
    _hand_in(exchange, ALICE, ALICE, "graded", "2026-01-01 00:00:00.000000 UTC")
    _collect(tmp_path, exchange)
    ledger = tmp_path / "course" / "feedback_released.json"
    ledger.write_text(json.dumps({config.ASSIGNMENT_ID: {
        ALICE: datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f UTC")}}))
    assert ALICE in released_at(tmp_path / "course", config.ASSIGNMENT_ID)
    time.sleep(0.05)  # the next hand-in must come after the release
    late = _hand_in(exchange, ALICE, ALICE, "after feedback", "2026-01-02 00:00:00.000000 UTC")
    collect = _collect(tmp_path, exchange)
    assert _collected(tmp_path, ALICE)[0] == "graded"
    assert "feedback was released" in dict(collect.refused)[late.name]


def test_a_students_submit_appears_whole_or_not_at_all(tmp_path, monkeypatch):
    inbound = tmp_path / "exchange" / config.COURSE_ID / "inbound"
    outbound = tmp_path / "exchange" / config.COURSE_ID / "outbound" / config.ASSIGNMENT_ID
    for folder in (inbound, outbound):
        folder.mkdir(parents=True)
    work = tmp_path / "home" / config.COURSE_ID / config.ASSIGNMENT_ID
    work.mkdir(parents=True)
    (work / NOTEBOOK).write_text("{}")
    (outbound / NOTEBOOK).write_text("{}")
    cfg = Config()
    cfg.CourseDirectory.course_id = config.COURSE_ID
    cfg.CourseDirectory.assignment_id = config.ASSIGNMENT_ID
    cfg.Exchange.root = str(tmp_path / "exchange")
    cfg.Exchange.path_includes_course = True
    cfg.Exchange.assignment_dir = str(tmp_path / "home")
    cfg.Exchange.cache = str(tmp_path / "cache")

    def submit():
        AtomicSubmit(coursedir=CourseDirectory(config=cfg), authenticator=Authenticator(config=cfg),
                     config=cfg).start()

    monkeypatch.setattr(AtomicSubmit, "set_perms", lambda *a, **k: (_ for _ in ()).throw(
        OSError("the disk filled up")))
    with pytest.raises(OSError):
        submit()
    assert list(inbound.iterdir()) == []  # nothing half-written is left
    monkeypatch.undo()
    submit()
    [handed] = list(inbound.iterdir())
    assert sorted(p.name for p in handed.iterdir()) == [NOTEBOOK, "submission_secret.txt",
                                                         "timestamp.txt"]
    assert oct(handed.stat().st_mode & 0o777) == "0o750"
    assert oct((handed / NOTEBOOK).stat().st_mode & 0o777) == "0o640"


def test_the_assignments_tab_offers_feedback_once_the_graded_notebooks_have_it():
    info = {"notebooks": [
        {"notebook_id": "00_tour_of_vgg19", "has_local_feedback": False,
         "has_exchange_feedback": False, "feedback_updated": False, "local_feedback_path": None},
        {"notebook_id": "01_content_cost", "has_local_feedback": True,
         "has_exchange_feedback": True, "feedback_updated": False,
         "local_feedback_path": "/home/s/nst-course/nst/feedback/T/01_content_cost.html"}],
        "has_local_feedback": False, "has_exchange_feedback": False}
    FeedbackList._judge_feedback(info)
    assert info["has_local_feedback"] and not info["feedback_updated"]
    assert info["local_feedback_path"] == "/home/s/nst-course/nst/feedback/T"


def test_without_root_the_class_command_refuses_and_says_why(tmp_path, monkeypatch, capsys):
    from autograder.hub import command

    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert command.main(["--root", str(tmp_path / "class"), "--students", "2"]) == 2
    said = capsys.readouterr().err
    assert "run it as root" in said and "no single-user mode" in said, said
    assert not (tmp_path / "class").exists()


def test_the_machines_weights_are_shared_read_only_with_every_server(tmp_path, monkeypatch):
    from autograder.hub.layout import share_weights

    weights = tmp_path / "mine.h5"
    weights.write_bytes(b"\x89HDF\r\n\x1a\n" + b"0" * 64)
    monkeypatch.setenv(config.WEIGHTS_ENV_VAR, str(weights))
    root = tmp_path / "class"
    root.mkdir()
    shared = share_weights(root)
    assert shared == {"folder": str(root / "shared"), "variable": config.WEIGHTS_ENV_VAR,
                      "file": str(root / "shared" / "mine.h5")}
    assert (root / "shared" / "mine.h5").read_bytes() == weights.read_bytes()
    assert oct((root / "shared" / "mine.h5").stat().st_mode & 0o777) == "0o644"
