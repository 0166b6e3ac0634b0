"""A class on a real JupyterHub: real Unix accounts, nbgrader's exchange, the instructor's workflow.

One class (``autograder.hub.classroom.Classroom``, what ``python -m autograder
hub`` runs) serves the whole module, and its tests tell one story in order:

1. the instructor releases ``nst``; a student logs in with Chromium, opens the
   Assignments tab, fetches ``nst``, fills in a graded cell, validates and
   submits; a second student does the same through their server's REST API
   (what the tab calls); then the deadline passes;
2. students, each in their own server, cannot read what is not theirs; one student's
   fork bomb stops at her server's task cap while a classmate works as usual;
3. a third student submits under a classmate's name and backdates a submission:
   neither counts (refused; the exchange's time is used);
4. the hub restarts while a student submits: servers keep running, nothing is lost;
5. 40 students hand in at the same moment, twice, while the instructor collects:
   every submission is collected whole, none is lost or mixed up;
6. the instructor collects, grades (sealed, sandboxed, per-kernel cgroups in
   their server's delegated cgroup), releases feedback; the browser student
   fetches it and sees their score; a resubmission after feedback does not count.

Needs root, Node.js with the proxy installed (``make setup``), Debian's
Python 3.11, cgroups, the grading sandbox, Chromium and Playwright. Locally a
missing piece skips; with ``CI`` set it fails. Screenshots and logs go to
``test-artifacts/hub/``. ``NST_UPDATE_DOCS_SCREENSHOT=1`` also refreshes
``docs/hub_assignments.png``.
"""

from __future__ import annotations

import contextlib
import csv
import importlib.util
import json
import os
import re
import secrets
import shutil
import string
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from autograder.hub.client import assignments, put_notebook, rest, run_code, status
from prerequisites import require

pytestmark = pytest.mark.hub

REPO = Path(__file__).resolve().parents[1]
ARTIFACTS = REPO / "test-artifacts" / "hub"
DOCS_SCREENSHOT = REPO / "docs" / "hub_assignments.png"
TESTS_ROOT = Path("/tmp/nst-hub-tests")
FAMILY = "nstt"  # every test class's accounts start with it
CROWD = 40
STUDENTS = 3 + CROWD
COURSE, ASSIGNMENT = "nst-course", "nst"
NOTEBOOK = "01_content_cost.ipynb"
GRADED_CROWD = 2  # the crowd's students graded end to end here (the bench grades them all)
STUDENT_TASKS = 256  # a student server's task cap here: the fork bomb's size
UI_MS = 120_000
RUN_MS = 600_000


# ------------------------------------------------------------------ prerequisites
def _prerequisites() -> None:
    from autograder.hub.environments import SYSTEM_PYTHON
    from autograder.hub.processes import PROXY_BIN
    from autograder.sandbox.cgroup import SandboxCgroup

    require(os.geteuid() == 0, "the hub tests make Unix accounts and cgroups: run them as root")
    require(all(shutil.which(t) for t in ("useradd", "userdel", "runuser")),
            "useradd, userdel and runuser are needed (Debian: passwd, util-linux)")
    require(SYSTEM_PYTHON.is_file(), f"{SYSTEM_PYTHON} is missing (apt-get install python3.11 "
            "python3.11-venv)")
    require(bool(shutil.which("node")), "Node.js is missing (the hub's proxy needs it)")
    require(PROXY_BIN.is_file(), f"{PROXY_BIN} is missing: run `make setup` "
            "(npm ci --prefix autograder/hub/proxy)")
    probe = SandboxCgroup.create(64, 2**30, cpus=1, prefix="nst-probe-")
    require(probe is not None and len(probe.folders) == 3,
            "cgroups with the pids, memory and cpu controllers are needed for per-server limits")
    probe.remove()
    sandbox = subprocess.run([sys.executable, "-m", "autograder", "sandbox", "--check"],
                             capture_output=True, text=True, timeout=300)
    require(sandbox.returncode == 0, "the grading sandbox is not usable here:\n"
            + sandbox.stdout[-1500:])
    require(Path("/usr/bin/chromium").is_file(), "/usr/bin/chromium is missing")
    require(importlib.util.find_spec("playwright") is not None, "playwright is missing")


# ------------------------------------------------------------------ the class
def _sweep_old_runs() -> None:
    from autograder.hub import accounts

    accounts.remove_leftovers(FAMILY)
    if TESTS_ROOT.is_dir():
        for folder in TESTS_ROOT.iterdir():
            if not accounts.ours(folder.name):
                shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def room():
    from autograder.hub.classroom import Classroom

    _prerequisites()
    _sweep_old_runs()
    TESTS_ROOT.mkdir(mode=0o755, exist_ok=True)
    TESTS_ROOT.chmod(0o755)
    prefix = FAMILY + "".join(secrets.choice(string.ascii_lowercase) for _ in range(3)) + "-"
    log = ARTIFACTS / "class.log"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*"):
        old.unlink() if old.is_file() else shutil.rmtree(old)
    started = time.monotonic()

    def say(*args):
        with open(log, "a") as out:
            print(f"[{time.monotonic() - started:7.1f}s]", *args, file=out)

    classroom = Classroom(TESTS_ROOT / prefix, prefix=prefix, students=STUDENTS, say=say,
                          student_limits={"tasks": STUDENT_TASKS})
    try:
        classroom.setup()
        say("set up")
        classroom.start()
        classroom.spawn(classroom.plan.instructor)
        say("hub and the instructor's server up")
        released = classroom.instructor(["nbgrader", "release_assignment", ASSIGNMENT])
        assert released.returncode == 0, released.stdout
        classroom.say = say
        yield classroom
    finally:
        say("tearing down")
        classroom.teardown(keep_logs=ARTIFACTS)
        say(f"done after {time.monotonic() - started:.0f} s")


@pytest.fixture(scope="module")
def story():
    """What each step leaves for the next (the tests of this module run in order)."""
    return {}


def _phase(room, what: str) -> None:
    """A line in test-artifacts/hub/class.log, with the time since the class started."""
    room.say(what)


def _server(room, name: str) -> str:
    return f"{room.plan.url}/user/{name}/"


def _user(room, name: str, story) -> tuple[str, str]:
    """(server URL, API token) of a student whose server runs."""
    if name not in story.setdefault("tokens", {}):
        room.spawn(name)
        story["tokens"][name] = room.token(name)
    return _server(room, name), story["tokens"][name]


def _hand_in_rest(room, story, name: str, notebooks: dict) -> None:
    """Fetch, save the notebooks, submit: the Assignments tab's calls, through the proxy."""
    server, token = _user(room, name, story)
    if not (Path(room.root) / "home" / name / COURSE / ASSIGNMENT).is_dir():
        assert assignments(server, token, "fetch", COURSE, ASSIGNMENT)["success"]
    for filename, notebook in notebooks.items():
        put_notebook(server, token, f"{COURSE}/{ASSIGNMENT}/{filename}", notebook)
    answer = assignments(server, token, "submit", COURSE, ASSIGNMENT)
    assert answer["success"], answer


def _inbound(room) -> Path:
    return room.plan.exchange / COURSE / "inbound"


def _collect(room) -> str:
    collected = room.instructor(["nbgrader", "collect", "--update", ASSIGNMENT])
    (ARTIFACTS / "collect.log").open("a").write(collected.stdout + "\n----\n")
    assert collected.returncode == 0, collected.stdout[-3000:]
    return collected.stdout


def _submitted(room, name: str) -> Path:
    return Path(room.plan.course) / "submitted" / name / ASSIGNMENT


def _stamp(folder: Path) -> datetime:
    from nbgrader.utils import parse_utc

    return parse_utc((folder / "timestamp.txt").read_text()).replace(tzinfo=timezone.utc)


# ------------------------------------------------------------------ the browser
@pytest.fixture(scope="module")
def page(room):
    from playwright.sync_api import expect, sync_playwright

    from test_browser import CHROMIUM, CHROMIUM_ARGS

    expect.set_options(timeout=UI_MS)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                     args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 860})
        context.set_default_timeout(UI_MS)
        console: list[str] = []
        tab = context.new_page()
        tab.on("console", lambda m: console.append(f"[{m.type}] {m.text}"))
        try:
            yield tab
        finally:
            (ARTIFACTS / "browser-console.log").write_text("\n".join(console) + "\n")
            browser.close()


def _shot(page, name: str) -> Path:
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path))
    return path


@contextlib.contextmanager
def _shot_on_error(page):
    """A screenshot of the browser (``99_failure.png``) when what it drives fails."""
    try:
        yield
    except BaseException:
        try:
            _shot(page, "99_failure")
        except Exception as error:  # noqa: BLE001 - the page may be gone; keep the first error
            print(f"no failure screenshot: {error}")
        raise


def _assignments_tab(page):
    """Open nbgrader's Assignments tab from the Nbgrader menu; the menu's items."""
    from playwright.sync_api import expect

    page.locator("#jp-MainMenu .lm-MenuBar-itemLabel").filter(has_text="Nbgrader").click()
    items = page.locator(".lm-Menu .lm-Menu-itemLabel").all_inner_texts()
    page.locator(".lm-Menu .lm-Menu-itemLabel").filter(has_text="Assignment List").first.click()
    expect(page.locator("#released_assignments_list, #fetched_assignments_list").first
           ).to_be_visible()
    return [i for i in items if i.strip()]


def _type_solution(page, panel) -> None:
    """Replace the graded cell's stub with a correct compute_content_cost (as a student types)."""
    from playwright.sync_api import expect

    from test_browser import SOLUTION_LINES

    cell = panel.locator(".jp-Notebook .jp-CodeCell").filter(
        has_text="def compute_content_cost").filter(has_text="raise NotImplementedError()")
    expect(cell).to_have_count(1)
    cell.locator(".cm-line").filter(has_text="# YOUR CODE HERE").click()
    page.keyboard.press("Home")
    page.keyboard.press("Control+Shift+End")
    page.keyboard.type(SOLUTION_LINES[0])
    for line in SOLUTION_LINES[1:]:
        page.keyboard.press("Enter")
        page.keyboard.press("Shift+Home")
        page.keyboard.type("    " + line)
    page.keyboard.press("Escape")


def _save_docs_screenshot(src: Path) -> None:
    from PIL import Image

    with Image.open(src) as image:
        small = image.convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT)
        small.save(DOCS_SCREENSHOT, optimize=True)


# ================================================================== 1. hand-in
def test_students_fetch_work_validate_and_submit(room, page, story):
    _phase(room, "1. hand-in")
    from playwright.sync_api import expect

    from test_browser import SOLUTION_LINES, _menu

    ada, bea = room.plan.students[:2]
    with _shot_on_error(page):
        # ---- ada, in Chromium: log in; her Nbgrader menu has the Assignments tab only.
        page.goto(f"{room.plan.url}/hub/login")
        page.fill("#username_input", ada)
        page.fill("#password_input", room.plan.passwords[ada])
        page.click("#login_submit")
        page.wait_for_url(re.compile(rf".*/user/{ada}/lab.*"), timeout=RUN_MS)
        expect(page.locator("#jp-MainMenu")).to_be_visible()
        items = _assignments_tab(page)
        assert "Assignment List" in items and not any("Formgrader" in i for i in items), items
        released = page.locator("#released_assignments_list .list_item").filter(has_text=ASSIGNMENT)
        expect(released.locator("button", has_text="Fetch")).to_be_visible()
        shot = _shot(page, "01_student_assignments_tab")
        if os.environ.get("NST_UPDATE_DOCS_SCREENSHOT"):
            _save_docs_screenshot(shot)
        released.locator("button", has_text="Fetch").click()
        fetched = page.locator("#fetched_assignments_list .list_item").filter(has_text=ASSIGNMENT)
        expect(fetched.locator("button", has_text="Submit")).to_be_visible()

        # ---- She opens notebook 01 from the tab, fills in the graded cell, validates, saves.
        fetched.locator("a.assignment-notebooks-link").first.click()
        stem = NOTEBOOK.removesuffix(".ipynb")
        page.locator("#fetched_assignments_list a", has_text=stem).click()
        panel = page.locator(".jp-NotebookPanel").filter(has=page.locator(".jp-Notebook")).first
        expect(panel).to_be_visible()
        idle = panel.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]')
        expect(idle).to_have_count(1, timeout=RUN_MS)
        _type_solution(page, panel)
        _shot(page, "02_student_fills_graded_cell")
        panel.locator("jp-button.validate-button").click()
        dialog = page.locator(".nbgrader-SuccessDialog, .nbgrader-ErrorDialog")
        expect(dialog).to_be_visible(timeout=RUN_MS)
        _shot(page, "03_student_validates")
        text = dialog.inner_text()
        assert "Success! Your notebook passes all the tests." in text, text
        dialog.locator("button.jp-Dialog-button").first.click()
        _menu(page, "File", "Save Notebook")
        saved = Path(room.root) / "home" / ada / COURSE / ASSIGNMENT / NOTEBOOK
        deadline = time.monotonic() + 60
        while not all(json.dumps(l)[1:-1] in saved.read_text() for l in SOLUTION_LINES):
            assert time.monotonic() < deadline, "the notebook was not saved with the solution"
            time.sleep(0.5)  # polling while JupyterLab writes the file

        # ---- ...and submits from the Assignments tab.
        page.locator(".lm-TabBar-tab").filter(has_text="Assignments").click()
        fetched.locator("button", has_text="Submit").click()
        submitted = page.locator("#submitted_assignments_list .list_item").filter(
            has_text=ASSIGNMENT)
        expect(submitted.first).to_be_visible(timeout=RUN_MS)
        _shot(page, "04_student_submitted")

    # ---- bea hands in every notebook, solved, through her server's REST API.
    from autograder import samples

    story["solved"] = samples.Builder().filled()
    _hand_in_rest(room, story, bea, story["solved"])
    handed = sorted(p.name.split("+")[0] for p in _inbound(room).iterdir())
    assert handed == [ada, bea], handed

    # ---- The deadline passes: what comes now is late.
    due = datetime.fromtimestamp(int(time.time()) + 1, timezone.utc)  # whole seconds, after
    story["due"] = due
    while datetime.now(timezone.utc).timestamp() <= due.timestamp() + 1:
        time.sleep(0.1)  # the next hand-ins must come strictly after the deadline


# ================================================================== 2. isolation
PROBE = r"""
import os, json
checks = json.loads({checks!r})
for what, path, action in checks:
    try:
        if action == "list":
            os.listdir(path)
        else:
            open(path, "rb").read(1)
        print(what, "READABLE")
    except FileNotFoundError:
        print(what, "absent")
    except PermissionError:
        print(what, "denied")
try:
    import autograder
    print("autograder", "READABLE", autograder.__file__)
except ImportError:
    print("autograder", "absent")
"""


def _isolation_checks(room, me: str, other: str) -> list[tuple[str, str, str]]:
    home = Path(room.root) / "home"
    course = Path(room.plan.course)
    theirs = next(p for p in _inbound(room).iterdir() if p.name.startswith(other + "+"))
    return [("classmate's home", str(home / other), "list"),
            ("classmate's notebook", str(home / other / COURSE / ASSIGNMENT / NOTEBOOK), "read"),
            ("inbound listing", str(_inbound(room)), "list"),
            ("classmate's submission", str(theirs / NOTEBOOK), "read"),
            ("course folder", str(course), "list"),
            ("source notebook", str(course / "source" / ASSIGNMENT / NOTEBOOK), "read"),
            ("grading secret", str(course / ".nst-grading-secret"), "read"),
            ("instructor's autograder",
             str(Path(room.plan.instructor_code) / "autograder" / "variants.py"), "read"),
            ("checkout's autograder", str(REPO / "autograder" / "variants.py"), "read"),
            ("hub state", str(room.plan.hub_dir / "class.json"), "read")]


def test_students_reach_only_their_own(room, story):
    _phase(room, "2. isolation")
    ada, bea, cat = room.plan.students[:3]
    checks = _isolation_checks(room, bea, ada)
    server, token = _user(room, bea, story)
    in_server = run_code(server, token, PROBE.format(checks=json.dumps(checks)))
    # The same as a plain process of bea's (say, a login shell): Unix permissions alone
    # (the checkout's own permissions are the instructor's business; the class warns).
    plain_checks = [c for c in checks if not c[0].startswith("checkout")]
    plain = room.as_user(bea, [f"{room.plan.environment}/bin/python", "-c",
                               PROBE.format(checks=json.dumps(plain_checks))],
                         env=room.student_env(bea), stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True).communicate(timeout=120)[0]
    (ARTIFACTS / "isolation.txt").write_text(f"in her server:\n{in_server}\nplain:\n{plain}")
    for output, expected in ((in_server, checks), (plain, plain_checks)):
        assert "READABLE" not in output, output
        assert output.count("denied") + output.count("absent") == len(expected) + 1, output
    # In her server, what is not hers is not even there.
    assert "checkout's autograder absent" in in_server and "course folder absent" in in_server
    # Students get no formgrader; the instructor does.
    assert status(server, token, "formgrader") == 404
    grader = room.plan.instructor
    assert status(_server(room, grader), room.token(grader), "formgrader") == 200
    # cat fetches now (her own copy, in her home) for what comes next.
    server, token = _user(room, cat, story)
    assert assignments(server, token, "fetch", COURSE, ASSIGNMENT)["success"]


BOMB = r"""
import os, sys, time
kids = []
try:
    while len(kids) < {tasks} + 64:
        pid = os.fork()
        if pid == 0:
            time.sleep(60)
            os._exit(0)
        kids.append(pid)
except OSError as error:
    print("stopped at", len(kids), type(error).__name__, flush=True)
    deadline = time.monotonic() + 120
    while not os.path.exists({done!r}) and time.monotonic() < deadline:
        time.sleep(0.2)  # holding every task it got while a classmate works
finally:
    for pid in kids:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
"""


def test_a_students_fork_bomb_stops_at_her_cap_and_starves_nobody(room, story):
    _phase(room, "2. fork bomb")
    bea, cat = room.plan.students[1:3]
    tasks = room.plan.student_limits["tasks"]
    server, token = _user(room, bea, story)
    pids = next(Path(f) for f in room.server(bea)["state"]["cgroups"] if "/pids/" in f)
    assert int((pids / "pids.max").read_text()) == tasks
    done = Path(room.root) / "home" / bea / "bomb-may-stop"
    said: list[str] = []
    code = BOMB.format(tasks=tasks, done=str(done))
    bomb = threading.Thread(target=lambda: said.append(run_code(server, token, (
        "import subprocess, sys\n"
        f"print(subprocess.run([sys.executable, '-c', {code!r}], capture_output=True,"
        " text=True).stdout)"))))
    bomb.start()
    try:
        deadline = time.monotonic() + 300
        while int((pids / "pids.current").read_text()) < tasks - 8:
            assert bomb.is_alive() and time.monotonic() < deadline, said
            time.sleep(0.2)  # polling while the bomb grows
        # bea's server is full; cat's, a kernel and all, works as usual.
        other, other_token = _user(room, cat, story)
        assert run_code(other, other_token, "print(6 * 7)").strip() == "42"
    finally:
        done.touch()
        bomb.join()
    (ARTIFACTS / "fork-bomb.txt").write_text("".join(said))
    stopped = re.search(r"stopped at (\d+)", said[0] if said else "")
    assert stopped and int(stopped.group(1)) < tasks, said


# ================================================================== 3. forgery
FORGE = r"""
import os, shutil, subprocess, json
home, inbound, victim = {home!r}, {inbound!r}, {victim!r}
mine = os.path.join(home, "nst-course", "nst")
def mark(folder, text):
    for name in os.listdir(folder):
        if name.endswith(".ipynb"):
            path = os.path.join(folder, name)
            nb = json.load(open(path))
            nb["cells"].append({{"cell_type": "raw", "metadata": {{}}, "source": text}})
            json.dump(nb, open(path, "w"))
# 1. Submit as a classmate, with nbgrader's own --student, claiming a far-future time.
mark(mine, "FORGED BY " + os.environ["USER"])
run = subprocess.run(["nbgrader", "submit", "nst", "--course", "nst-course", "--student", victim],
                     cwd=home, capture_output=True, text=True)
print("submit as classmate:", run.returncode)
future = os.path.join(inbound, victim + "+nst+2999-01-01 00:00:00.000000 UTC+forged")
shutil.copytree(mine, future)
os.chmod(future, 0o755)
# 2. Hand in my own work, backdated: name, timestamp.txt and file times say 2000-01-01.
old = os.path.join(inbound, os.environ["USER"] + "+nst+2000-01-01 00:00:00.000000 UTC+early")
shutil.copytree({solved!r}, old)
open(os.path.join(old, "timestamp.txt"), "w").write("2000-01-01 00:00:00.000000 UTC")
for root, dirs, files in os.walk(old):
    for name in files + ["."]:
        os.utime(os.path.join(root, name), (946684800, 946684800))
os.chmod(old, 0o750)
print("backdated", sorted(os.listdir(old)))
"""


def test_forged_submissions_count_for_nothing(room, story):
    _phase(room, "3. forgery")
    ada, bea, cat = room.plan.students[:3]
    server, token = _user(room, cat, story)
    home = Path(room.root) / "home" / cat
    solved = home / "solved"  # cat's own correct work, prepared in her home
    rest(server, token, "PUT", "api/contents/solved", {"type": "directory"})
    for filename, notebook in story["solved"].items():
        put_notebook(server, token, f"solved/{filename}", notebook)
    output = run_code(server, token, FORGE.format(home=str(home), inbound=str(_inbound(room)),
                                                  victim=bea, solved=str(solved)))
    (ARTIFACTS / "forge.txt").write_text(output)
    assert "submit as classmate: 0" in output and "backdated" in output, output
    log = _collect(room)
    # bea's own hand-in is the one collected; cat's two hand-ins under her name are refused.
    refused = re.findall(rf"Refused submission ({re.escape(bea)}\+nst\+[^+]*\+\S*): ([^\n]*)",
                         log)
    assert len(refused) == 2 and all(f"owned by {cat}" in why for _, why in refused), log
    for path in _submitted(room, bea).glob("*.ipynb"):
        assert "FORGED" not in path.read_text(), path
    # cat's backdated work counts at the time the exchange saw it, after the deadline.
    when = _stamp(_submitted(room, cat))
    assert story["due"] < when <= datetime.now(timezone.utc), (when, story["due"])
    assert "2000-01-01" not in (_submitted(room, cat) / "timestamp.txt").read_text()
    assert re.search(rf"{re.escape(cat)}\+nst\+2000.*the exchange saw it", log), log


# ================================================================== 4. hub restart
def test_hub_restart_keeps_servers_and_hand_ins(room, story):
    _phase(room, "4. hub restart")
    cat = room.plan.students[2]
    server, token = _user(room, cat, story)
    for filename, notebook in story["solved"].items():  # her real work: right, and late
        put_notebook(server, token, f"{COURSE}/{ASSIGNMENT}/{filename}", notebook)
    running = {n: room.server_pid(n) for n in [room.plan.instructor, *room.plan.students[:3]]}
    before = {p.name for p in _inbound(room).iterdir() if p.name.startswith(cat + "+")}
    outcomes: list[bool] = []
    restarted = threading.Event()

    def hand_in_until_restarted():
        while not restarted.is_set() or len(outcomes) < 2:
            try:
                outcomes.append(assignments(server, token, "submit", COURSE, ASSIGNMENT)["success"])
            except Exception:  # noqa: BLE001 - a request may fail while the hub is down
                outcomes.append(False)
            restarted.wait(0.5)  # a student's pace, not a flood

    worker = threading.Thread(target=hand_in_until_restarted)
    worker.start()
    try:
        room.restart_hub()
        _phase(room, "4. hub restarted")
    finally:
        restarted.set()
        worker.join()
    after = {p.name for p in _inbound(room).iterdir() if p.name.startswith(cat + "+")}
    # Every hand-in the server confirmed is in the exchange (a request the client saw fail
    # may still have been made).
    assert outcomes.count(True) <= len(after - before) <= len(outcomes), outcomes
    assert outcomes.count(True) >= 1, outcomes
    # The servers kept running through the restart and the new hub knows them.
    assert {n: room.server_pid(n) for n in running} == running
    assert rest(server, token, "GET", "api/status")["started"]
    story["restart_hand_ins"] = outcomes.count(True)


# ================================================================== 5. the crowd
def test_forty_students_hand_in_at_once_and_nothing_is_lost(room, story):
    _phase(room, "5. crowd")
    from autograder.hub.crowd import Crowd, markers_in

    crowd_names = room.plan.students[3:3 + CROWD]
    crowd = Crowd(room, crowd_names)
    crowd.start()
    _phase(room, f"5. crowd: {CROWD} students fetched")
    torn: list[str] = []
    stop = threading.Event()

    def collect_meanwhile():
        """The instructor collects over and over; every collected submission must be whole."""
        while not stop.is_set():
            run = room.instructor(["nbgrader", "collect", "--update", ASSIGNMENT])
            if run.returncode != 0:
                torn.append(f"collect failed: {run.stdout[-1000:]}")
            for name in crowd_names:
                folder = _submitted(room, name)
                if folder.is_dir():
                    found = {m for p in folder.glob("*.ipynb") for m in markers_in(p.read_text())}
                    count = len(list(folder.glob("*.ipynb")))
                    if count != 6 or found not in ({f"{name}-r0"}, {f"{name}-r1"}):
                        torn.append(f"{name}: {count} notebooks, markers {sorted(found)}")

    try:
        collector = threading.Thread(target=collect_meanwhile)
        collector.start()
        rounds = [crowd.go(), crowd.go()]
    finally:
        stop.set()
        collector.join()
        crowd.close()
    failed = [h for r in rounds for h in r if not h.submitted]
    assert not failed, failed[:3]
    spread = max(h.at for h in rounds[0]) - min(h.at for h in rounds[0])
    (ARTIFACTS / "crowd.txt").write_text(
        f"first round: {CROWD} hand-ins started within {spread:.2f} s\n" + "\n".join(
            f"{h.student} {h.marker} {h.seconds:.2f}s" for r in rounds for h in r))
    assert not torn, torn[:5]
    _phase(room, "5. crowd: two rounds handed in, collected meanwhile")
    _collect(room)
    inbound = [p.name for p in _inbound(room).iterdir()]
    for name in crowd_names:
        assert sum(n.startswith(name + "+") for n in inbound) == 2, name
        folder = _submitted(room, name)
        markers = [m for p in sorted(folder.glob("*.ipynb")) for m in markers_in(p.read_text())]
        assert markers == [f"{name}-r1"] * 6, (name, markers)
    story["crowd"] = crowd_names


# ================================================================== 6. grading
def test_instructor_grades_releases_feedback_and_students_see_their_score(room, page, story):
    _phase(room, "6. grading")
    from playwright.sync_api import expect

    from nst_utils import config

    ada, bea, cat = room.plan.students[:3]
    graded = [ada, bea, cat, *story.get("crowd", [])[:GRADED_CROWD]]
    course = Path(room.plan.course)
    _collect(room)
    # The deadline, with late work worth nothing, in the course's nbgrader configuration.
    with open(course / "nbgrader_config.py", "a", encoding="utf-8") as settings:
        settings.write(f'\nc.NstGrader.due = "{story["due"]:%Y-%m-%d %H:%M:%S} UTC"\n'
                       'c.NstGrader.late_penalty = "zero"\n')
    # Grading from the instructor's server keeps a cgroup per grading kernel.
    check = room.instructor(["python", "-m", "autograder", "sandbox", "--check"])
    assert "a cgroup per kernel: pids" in check.stdout, check.stdout
    grade = room.instructor(["python", "-m", "autograder", "grade", "--course", str(course),
                             "--workers", "2", *[a for n in graded for a in ("--student", n)]])
    (ARTIFACTS / "grade.log").write_text(grade.stdout)
    _phase(room, f"6. graded {len(graded)} students")
    assert grade.returncode == 0, grade.stdout[-3000:]
    exported = room.instructor(["python", "-m", "autograder", "export", "--course", str(course),
                                "--to", str(course / "grades.csv")])
    assert exported.returncode == 0, exported.stdout
    rows = {r["student"]: r for r in csv.DictReader((course / "grades.csv").open())}
    points = sum(e.points for e in config.EXERCISES)
    first = config.exercise("compute_content_cost").points
    assert float(rows[bea]["total"]) == points, rows[bea]
    assert float(rows[ada]["total"]) == first, rows[ada]
    # cat's work was right, and late by the exchange's clock: zero.
    assert float(rows[cat]["raw_total"]) == points and float(rows[cat]["total"]) == 0, rows[cat]
    for name in graded[3:]:
        assert float(rows[name]["total"]) == 0, rows[name]

    feedback = room.instructor(["python", "-m", "autograder", "feedback", "--course", str(course)])
    assert feedback.returncode == 0, feedback.stdout
    released = room.instructor(["nbgrader", "release_feedback", ASSIGNMENT])
    assert released.returncode == 0, released.stdout

    _phase(room, "6. feedback released")
    # ---- bea fetches her feedback through her server and finds her score.
    server, token = _user(room, bea, story)
    assert assignments(server, token, "fetch_feedback", COURSE, ASSIGNMENT)["success"]
    pages = list((Path(room.root) / "home" / bea / COURSE / ASSIGNMENT / "feedback").rglob(
        "*.html"))
    assert len(pages) == 4, pages
    found = re.search(r"02_gram_matrix \(Score: ([\d.]+) / ([\d.]+)\)",
                      next(p for p in pages if p.stem == "02_gram_matrix").read_text())
    assert found and float(found.group(1)) == float(found.group(2)) > 0, found

    with _shot_on_error(page):
        # ---- ada, in Chromium, fetches her feedback in the Assignments tab and sees her score.
        page.locator(".lm-TabBar-tab").filter(has_text="Assignments").click()
        page.locator("#refresh_assignments_list").click()
        submitted = page.locator("#submitted_assignments_list .list_item").filter(
            has_text=ASSIGNMENT)
        submitted.locator("button", has_text="Fetch Feedback").first.click()
        view = page.locator("#submitted_assignments_list a", has_text="view feedback").first
        expect(view).to_be_visible()
        _shot(page, "05_student_feedback_fetched")
        view.click()
        name = NOTEBOOK.replace(".ipynb", ".html")
        page.locator(".jp-DirListing-item", has_text=name).dblclick()
        frame = page.locator("iframe").last.content_frame
        expect(frame.locator("body")).to_contain_text(
            re.compile(rf"Score: {first:.1f} / {first:.1f}"), timeout=UI_MS)
        _shot(page, "06_student_sees_score")

    # ---- A resubmission after feedback does not replace the graded one.
    graded_at = _stamp(_submitted(room, bea))
    _hand_in_rest(room, story, bea, {NOTEBOOK: story["solved"][NOTEBOOK]})
    log = _collect(room)
    assert re.search(rf"Refused submission {re.escape(bea)}\+.*after {re.escape(bea)}'s feedback "
                     "was released", log), log
    assert _stamp(_submitted(room, bea)) == graded_at
