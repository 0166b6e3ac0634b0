"""End-to-end check in a real browser: JupyterLab plus nbgrader's lab extension.

A student opens the released ``01_content_cost.ipynb``, types a correct
``compute_content_cost`` into the graded cell, runs the notebook, sees the
check pass, runs nbgrader's *Validate* and saves.  The saved notebook is
handed in (with the reference solutions in the other notebooks, as
``nbgrader collect`` would lay them out) and graded by the course's own
``python -m autograder grade``, sandboxed kernels and all.  The instructor
then opens the formgrader, follows ``nst`` to its submissions and sees the
student's score, the total the gradebook holds.

A second test hands in a notebook whose markdown and outputs carry script,
grades it and makes its feedback with the formgrader's own buttons (their
API), and opens its graded notebook in the formgrader and its feedback page:
nothing of it runs.

Everything happens in a temporary copy of the course, linked to the course's
own nbgrader configuration (as ``make lab-instructor`` does, so the formgrader
and ``grade`` share one gradebook), served by a ``jupyter lab`` on 127.0.0.1
with a random token, and driven by Debian's
Chromium (headless, no sandbox, no background networking, fresh profile)
through Playwright's Python package.  Screenshots of every step land in
``test-artifacts/browser/`` together with the server and browser logs.

Select it with ``pytest -m browser``.  Locally it is skipped when Chromium,
Playwright or the grading sandbox (``python -m autograder sandbox --check``)
is missing; when ``CI`` is set a missing piece is a failure.

Set ``NST_UPDATE_DOCS_SCREENSHOT=1`` to also refresh ``docs/student_view.png``
(the README's picture of the student view) from this run.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from nst_utils.notebook_runner import tools_env
from prerequisites import require

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[1]
COURSE_DIR = REPO / "notebooks"
ARTIFACTS = REPO / "test-artifacts" / "browser"
DOCS_SCREENSHOT = REPO / "docs" / "student_view.png"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]

ASSIGNMENT = "nst"
NOTEBOOK = "01_content_cost.ipynb"
STUDENT = "ada"
# Lines typed, one by one, in place of the stub (from "# YOUR CODE HERE" to the
# end of the cell); the first starts after the existing indentation.
SOLUTION_LINES = [
    "_, n_H, n_W, n_C = a_G.shape",
    "return tf.reduce_sum(tf.square(a_C - a_G)) / (4 * n_H * n_W * n_C)",
]

# Timeouts (milliseconds for Playwright, seconds otherwise).  Generous: a cold
# TensorFlow import on a slow CI machine takes a while, and Validate runs the
# whole notebook again in a fresh kernel.
UI_TIMEOUT_MS = 60_000
RUN_TIMEOUT_MS = 300_000
SERVER_START_S = 120
SERVER_STOP_S = 30
GRADE_TIMEOUT_S = 600


# --------------------------------------------------------------------------
# Prerequisites: skip locally, fail on CI (prerequisites.require).


def _check_prerequisites() -> None:
    require(
        CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK),
        f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium)",
    )
    require(
        importlib.util.find_spec("playwright") is not None,
        "the playwright Python package is missing: pip install playwright==1.65.2",
    )
    release_nb = COURSE_DIR / "release" / ASSIGNMENT / NOTEBOOK
    require(release_nb.is_file(), f"{release_nb.relative_to(REPO)} is missing: run `make release`")
    sandbox = subprocess.run(
        [sys.executable, "-m", "autograder", "sandbox", "--check"],
        cwd=REPO, env=tools_env(), capture_output=True, text=True, timeout=120,
    )
    require(
        sandbox.returncode == 0,
        "the grading sandbox is not usable here (`python -m autograder sandbox --check` "
        f"exited {sandbox.returncode}), so submissions cannot be graded:\n"
        + (sandbox.stdout + sandbox.stderr)[-2000:],
    )


# --------------------------------------------------------------------------
# A temporary copy of the course and a JupyterLab serving it.


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _make_workspace(tmp: Path) -> Path:
    """A fresh course in ``tmp/course``: the source and release notebooks only.

    It loads the course's own nbgrader configuration (``link_config``, as
    ``make lab-instructor`` does); with ``$NST_COURSE_ROOT`` pointing here,
    the formgrader and ``grade`` share ``tmp/course/gradebook.db``.  The
    notebooks find images and weights through ``nst_utils``, which stays in
    the repository, so nothing else needs copying.
    """
    from autograder.grading.jobs import link_config

    course = tmp / "course"
    for part in ("source", "release"):
        shutil.copytree(COURSE_DIR / part, course / part,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    link_config(course)
    (course / "exchange").mkdir()  # the course config's exchange (students' assignment list)
    return course


def _lab_settings(settings_dir: Path) -> None:
    """User settings for the test lab: no news pop-ups, every cell in the DOM."""
    files = {
        "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
            "fetchNews": "false",
            "checkForUpdates": False,
        },
        "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    }
    for rel, data in files.items():
        path = settings_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data))


def _subprocess_env(tmp: Path) -> dict[str, str]:
    env = tools_env()  # nbgrader runs `alembic` (and kernels) from PATH
    for var, sub in [
        ("JUPYTER_CONFIG_DIR", "jupyter-config"),
        ("JUPYTER_DATA_DIR", "jupyter-data"),
        ("JUPYTER_RUNTIME_DIR", "jupyter-runtime"),
        ("IPYTHONDIR", "ipython"),
    ]:
        (tmp / sub).mkdir(exist_ok=True)
        env[var] = str(tmp / sub)
    env.pop("JUPYTER_CONFIG_PATH", None)
    env["NST_COURSE_ROOT"] = str(tmp / "course")  # read by the course's config
    env.pop("NST_GRADEBOOK_URL", None)  # the workspace's own gradebook, never a shared one
    env.pop("NST_EXCHANGE", None)
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _descendants(pid: int) -> list[int]:
    """Process ids below ``pid`` (kernels start in sessions of their own)."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        fields = text.rsplit(")", 1)[1].split()
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _get(url: str, token: str, method: str = "GET") -> int:
    req = urllib.request.Request(url, method=method, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.status


class Lab:
    def __init__(self, proc: subprocess.Popen, base_url: str, token: str, course: Path,
                 env: dict, log: Path):
        self.proc, self.base_url, self.token, self.log = proc, base_url, token, log
        self.course, self.env = course, env
        self.started = time.monotonic()

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def wait_ready(self) -> None:
        deadline = time.monotonic() + SERVER_START_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter lab exited with {self.proc.returncode}:\n{self.log.read_text()[-4000:]}")
            try:
                if _get(self.url("api/status"), self.token) == 200:
                    return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.25)  # polling interval while the server boots
        raise TimeoutError(f"jupyter lab not ready after {SERVER_START_S}s:\n{self.log.read_text()[-4000:]}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            below = _descendants(self.proc.pid)
            try:  # a clean shutdown also shuts the kernels down
                _get(self.url("api/shutdown"), self.token, method="POST")
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            try:
                self.proc.wait(SERVER_STOP_S)
            except subprocess.TimeoutExpired:
                pass
            for sig in (signal.SIGTERM, signal.SIGKILL):
                if self.proc.poll() is not None:
                    break
                try:
                    os.killpg(self.proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    self.proc.wait(10)
                except subprocess.TimeoutExpired:
                    pass
            for pid in below:  # anything left behind (e.g. a kernel)
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        try:  # whatever is still in the server's process group
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


@pytest.fixture
def lab(tmp_path):
    _check_prerequisites()
    course = _make_workspace(tmp_path)
    env = _subprocess_env(tmp_path)
    started = time.monotonic()
    settings = tmp_path / "lab-settings"
    _lab_settings(settings)
    token = secrets.token_hex(24)
    port = _free_port()
    log = tmp_path / "jupyter.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable, "-m", "jupyterlab",
                "--no-browser",
                "--ip=127.0.0.1",
                f"--port={port}",
                "--port-retries=0",
                f"--IdentityProvider.token={token}",
                f"--ServerApp.root_dir={course}",
                f"--LabApp.user_settings_dir={settings}",
                f"--LabApp.workspaces_dir={tmp_path / 'lab-workspaces'}",
                *(["--allow-root"] if os.geteuid() == 0 else []),
            ],
            cwd=course, env=env, stdout=out, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
    server = Lab(proc, f"http://127.0.0.1:{port}", token, course, env, log)
    server.started = started
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(log, ARTIFACTS / "jupyter.log")


@pytest.fixture
def page(lab, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=UI_TIMEOUT_MS)  # assertions wait as long as actions (slow CI)
    console: list[str] = []
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            user_data_dir=str(tmp_path / "chromium-profile"),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1280, "height": 900},
            timeout=UI_TIMEOUT_MS,
        )
        try:
            context.set_default_timeout(UI_TIMEOUT_MS)
            pg = context.pages[0] if context.pages else context.new_page()
            pg.on("console", lambda m: console.append(f"[{m.type}] {m.text}"))
            pg.on("pageerror", lambda e: console.append(f"[pageerror] {e}"))
            yield pg
        finally:
            context.close()
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            (ARTIFACTS / "browser-console.log").write_text("\n".join(console) + "\n")


# --------------------------------------------------------------------------
# The test.


class Steps:
    """Screenshots and timings of each step."""

    def __init__(self, page, start: float):
        self.page = page
        self.start = start
        self.times: list[str] = []
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for old in ARTIFACTS.glob("*.png"):
            old.unlink()

    def shot(self, name: str) -> Path:
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path))
        self.times.append(f"{time.monotonic() - self.start:7.1f}s  {name}")
        return path


def _exact(text: str) -> re.Pattern:
    return re.compile(rf"^\s*{re.escape(text)}\s*$")


def _menu(page, menu: str, item: str) -> None:
    """Click ``menu`` in the main menu bar, then its entry labelled ``item``."""
    page.locator("#jp-MainMenu .lm-MenuBar-itemLabel").filter(has_text=_exact(menu)).click()
    page.locator(".lm-Menu .lm-Menu-itemLabel").filter(has_text=_exact(item)).first.click()


def _save_docs_screenshot(src: Path) -> None:
    from PIL import Image

    DOCS_SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    with Image.open(src) as im:
        small = im.convert("RGB").quantize(colors=128, method=Image.Quantize.MEDIANCUT)
        small.save(DOCS_SCREENSHOT, optimize=True)


def _wait_saved(path: Path, timeout_s: float = 60) -> str:
    """The saved notebook's text, once it is whole, holds the typed solution and is settled.

    JupyterLab may write the file more than once (an explicit save, an
    autosave): the text is taken only when two reads a moment apart agree and
    it parses as a notebook, so a half-written file is never handed in.
    """
    deadline, previous = time.monotonic() + timeout_s, None
    while time.monotonic() < deadline:
        text = path.read_text(encoding="utf-8")
        if all(json.dumps(line)[1:-1] in text for line in SOLUTION_LINES) and text == previous:
            try:
                json.loads(text)
                return text
            except ValueError:
                pass
        previous = text
        time.sleep(0.5)  # polling interval while JupyterLab writes the file
    raise AssertionError(f"{path} does not hold the typed solution {timeout_s}s after saving")


def _hand_in(course: Path, saved_text: str) -> Path:
    """Lay out a submission as ``nbgrader collect`` does: ``submitted/<student>/nst/``.

    The notebook the student filled in the browser, plus every other release
    notebook with the reference solutions (so the whole assignment is graded).
    """
    from autograder import samples

    folder = course / "submitted" / STUDENT / ASSIGNMENT
    folder.mkdir(parents=True)
    for name, notebook in samples.Builder().filled().items():
        if name != NOTEBOOK:
            (folder / name).write_text(json.dumps(notebook, indent=1), encoding="utf-8")
    (folder / NOTEBOOK).write_text(saved_text, encoding="utf-8")
    stamp = time.strftime("%Y-%m-%d %H:%M:%S.000000 UTC", time.gmtime())
    (folder / "timestamp.txt").write_text(stamp, encoding="utf-8")
    return folder


def _grade(lab: Lab) -> str:
    """The instructor's ``python -m autograder grade`` on the workspace course."""
    graded = subprocess.run(
        [sys.executable, "-m", "autograder", "grade", "--course", str(lab.course),
         "--workers", "1"],
        cwd=REPO, env=lab.env, capture_output=True, text=True, timeout=GRADE_TIMEOUT_S,
    )
    out = graded.stdout + graded.stderr
    (ARTIFACTS / "grade.log").write_text(out)
    assert graded.returncode == 0, f"autograder grade exited {graded.returncode}:\n{out[-4000:]}"
    return out


def _gradebook_scores(course: Path) -> dict[str, tuple[float, float]]:
    """(score, max score) of the student's submission and of its notebook 01, per nbgrader."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        sub = gb.find_submission(ASSIGNMENT, STUDENT)
        nb = gb.find_submission_notebook(Path(NOTEBOOK).stem, ASSIGNMENT, STUDENT)
        return {"total": (sub.score, sub.max_score), NOTEBOOK: (nb.score, nb.max_score)}


def _as_formgrader_shows(score: float, max_score: float) -> str:
    """The formgrader's "score / max" text (rounded to 2 decimals, as its JavaScript does)."""
    return f"{round(score, 2):g} / {round(max_score, 2):g}"


def test_student_and_instructor_in_jupyterlab(lab, page, capsys):
    from playwright.sync_api import expect

    steps = Steps(page, lab.started)
    try:
        # ---- Student: open the released notebook --------------------------------
        rel = f"release/{ASSIGNMENT}/{NOTEBOOK}"
        page.goto(lab.url(f"lab/tree/{rel}?token={lab.token}"), wait_until="domcontentloaded")
        panel = page.locator(".jp-NotebookPanel").filter(
            has=page.locator(".jp-Notebook")
        ).first
        expect(panel).to_be_visible()
        idle = panel.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]')
        expect(idle).to_have_count(1, timeout=RUN_TIMEOUT_MS)

        code_cells = panel.locator(".jp-Notebook .jp-CodeCell")
        placeholder = code_cells.filter(has_text="def compute_content_cost").filter(
            has_text="raise NotImplementedError()"
        )
        expect(placeholder).to_have_count(1)
        # Pin the graded cell (and the check right after it) by position: the
        # text that found it is about to change.
        index = placeholder.evaluate(
            "el => [...el.closest('.jp-Notebook').querySelectorAll('.jp-CodeCell')].indexOf(el)"
        )
        graded, check = code_cells.nth(index), code_cells.nth(index + 1)
        graded.scroll_into_view_if_needed()
        steps.shot("01_student_opens_notebook")

        # ---- Student: type a solution in place of the placeholder ---------------
        graded.locator(".cm-line").filter(has_text="# YOUR CODE HERE").click()
        page.keyboard.press("Home")  # to the end of the indentation
        page.keyboard.press("Control+Shift+End")  # the stub, to the end of the cell
        page.keyboard.type(SOLUTION_LINES[0])
        for line in SOLUTION_LINES[1:]:
            page.keyboard.press("Enter")
            # Whatever indentation the editor offered, replace it with the body's.
            page.keyboard.press("Shift+Home")
            page.keyboard.type("    " + line)
        page.keyboard.press("Escape")  # leave edit mode
        typed = graded.locator(".cm-content").inner_text()
        for line in SOLUTION_LINES:
            assert f"    {line}\n" in typed + "\n", f"editor holds:\n{typed}"
        assert "NotImplementedError" not in typed and "YOUR CODE HERE" not in typed, typed
        steps.shot("02_student_types_solution")

        # ---- Student: run the notebook; the check after the graded cell passes ---
        _menu(page, "Run", "Run All Cells")
        outcome = check.locator(".jp-OutputArea-output").filter(
            has_text=re.compile(r"passed|Error|Traceback")
        )
        expect(outcome.first).to_be_visible(timeout=RUN_TIMEOUT_MS)
        output = check.locator(".jp-OutputArea").inner_text()
        assert "passed" in output and "Error" not in output, f"check cell says:\n{output}"
        # Let the rest of the notebook finish: no cell queued ("[*]"), kernel idle.
        queued = panel.locator(".jp-InputPrompt").filter(has_text="[*]")
        expect(queued).to_have_count(0, timeout=RUN_TIMEOUT_MS)
        expect(idle).to_have_count(1, timeout=RUN_TIMEOUT_MS)
        graded.evaluate("el => el.scrollIntoView({block: 'start'})")
        student_view = steps.shot("03_student_check_passes")

        # ---- Student: nbgrader's Validate from the notebook toolbar -------------
        panel.locator("jp-button.validate-button").click()
        dialog = page.locator(".nbgrader-SuccessDialog, .nbgrader-ErrorDialog")
        expect(dialog).to_be_visible(timeout=RUN_TIMEOUT_MS)
        steps.shot("04_student_validate")
        text = dialog.inner_text()
        assert "Success! Your notebook passes all the tests." in text, f"Validate says:\n{text}"
        assert page.locator(".nbgrader-ErrorDialog").count() == 0, text
        dialog.locator("button.jp-Dialog-button").first.click()
        expect(dialog).to_have_count(0)

        # ---- Student: save; the notebook is handed in and graded ----------------
        _menu(page, "File", "Save Notebook")
        saved = lab.course / rel
        _hand_in(lab.course, _wait_saved(saved))
        grade_log = _grade(lab)
        scores = _gradebook_scores(lab.course)
        got, most = scores[NOTEBOOK]
        assert most > 0 and got == most, (
            f"the notebook solved in the browser scored {got} of {most}:\n{grade_log[-3000:]}")
        steps.times.append(f"{time.monotonic() - steps.start:7.1f}s  graded: {scores}")

        # ---- Instructor: the formgrader shows the student's score ---------------
        _menu(page, "Nbgrader", "Formgrader")
        tab = page.locator("#jp-main-dock-panel .lm-TabBar-tab").filter(has_text="Formgrader")
        expect(tab).to_have_count(1)
        frame = page.locator("#jp-main-dock-panel iframe").last.content_frame
        expect(frame.locator(".breadcrumb li").first).to_have_text("Assignments")
        row = frame.locator("#main-table tr").filter(
            has=frame.locator("td.name", has_text=_exact(ASSIGNMENT))
        )
        expect(row).to_have_count(1)
        submissions = row.locator("td.num-submissions a")
        expect(submissions).to_have_text("1")
        steps.shot("05_instructor_formgrader")
        submissions.click()
        expect(frame.locator(".breadcrumb li").last).to_have_text(ASSIGNMENT)
        student_row = frame.locator("#main-table tr").filter(
            has=frame.locator("td", has_text=_exact(STUDENT))
        )
        expect(student_row.locator("td.score")).to_have_text(
            _as_formgrader_shows(*scores["total"]))
        steps.shot("06_instructor_sees_score")

        if os.environ.get("NST_UPDATE_DOCS_SCREENSHOT"):
            _save_docs_screenshot(student_view)
    except Exception:
        try:
            steps.shot("99_failure")
        except Exception as exc:  # the page may be gone; keep the first error
            print(f"no failure screenshot: {exc}")
        raise
    finally:
        elapsed = time.monotonic() - steps.start
        report = "\n".join(steps.times + [f"{elapsed:7.1f}s  total (server start to last step)"])
        (ARTIFACTS / "timings.txt").write_text(report + "\n")
        with capsys.disabled():
            print(f"\nbrowser end-to-end steps (screenshots in {ARTIFACTS.relative_to(REPO)}/):\n{report}")


# --------------------------------------------------------------------------
# A hostile submission, graded and given feedback from the formgrader's buttons.

HOSTILE = "mallory"


def _post(lab: Lab, path: str, timeout_s: float = GRADE_TIMEOUT_S) -> dict:
    """A formgrader API call, as its buttons make it (token-authenticated)."""
    req = urllib.request.Request(lab.url(path), method="POST", data=b"",
                                 headers={"Authorization": f"token {lab.token}"})
    with urllib.request.urlopen(req, timeout=timeout_s) as resp:
        return json.loads(resp.read())


def _hand_in_scripting(course: Path) -> None:
    """Notebook 01 whose markdown and outputs would run script, with a correct function."""
    from textwrap import dedent

    from autograder import gradebook, samples
    from autograder.grading import template

    sys.path.insert(0, str(Path(__file__).parent))
    import attack_bank

    builder = samples.Builder()
    solution = (dedent(attack_bank.ATTACKS["scripting"]) + "\n"
                + builder.correct["compute_content_cost"])
    notebook = builder.filled({"compute_content_cost": solution})[NOTEBOOK]
    notebook["cells"].insert(0, {"cell_type": "markdown", "id": "attack-note", "metadata": {},
                                 "source": [attack_bank.MARKDOWN["scripting"]]})
    folder = course / "submitted" / HOSTILE / ASSIGNMENT
    folder.mkdir(parents=True)
    (folder / NOTEBOOK).write_text(json.dumps(notebook, indent=1), encoding="utf-8")
    gradebook.prepare(course, f"sqlite:///{course / 'gradebook.db'}", template.template_course())


def _ran_nothing(page) -> None:
    """Nothing of the payload ran: no global it sets, no dialog, no handler holding it."""
    assert page.evaluate("typeof window.stolen") == "undefined"
    armed = page.evaluate("""() => [...document.querySelectorAll('*')].flatMap(element =>
        [...element.attributes].filter(a => (a.name.startsWith('on') && a.value.includes('stolen'))
                                            || a.value.trim().toLowerCase().startsWith('javascript:'))
                               .map(a => element.tagName + ' ' + a.name))""")
    assert armed == []


def test_hostile_output_is_harmless_in_the_formgrader_and_in_feedback(lab, page):
    """The formgrader's Autograde and Generate feedback (their API, as the buttons call it)
    on a submission whose markdown and outputs carry script: its graded notebook in the
    formgrader and its feedback page, opened in Chromium, run none of it, and show the
    score and the judge's verdict."""
    from nbgrader.api import Gradebook

    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    _hand_in_scripting(lab.course)
    graded = _post(lab, f"formgrader/api/submission/{ASSIGNMENT}/{HOSTILE}/autograde")
    assert graded["success"], graded.get("error", "") + graded.get("log", "")[-3000:]
    with Gradebook(f"sqlite:///{lab.course / 'gradebook.db'}") as gb:
        submitted = gb.find_submission_notebook(Path(NOTEBOOK).stem, ASSIGNMENT, HOSTILE)
        submission_id, score = submitted.id, (submitted.score, submitted.max_score)
    assert score[1] > 0 and score[0] == score[1], graded.get("log", "")[-3000:]

    page.goto(lab.url(f"formgrader/submissions/{submission_id}/?token={lab.token}"),
              wait_until="load")
    page.get_by_text("Look:").first.wait_for()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "07_formgrader_hostile_submission.png"))
    _ran_nothing(page)

    made = _post(lab, f"formgrader/api/assignment/{ASSIGNMENT}/{HOSTILE}/generate_feedback")
    assert made["success"], made.get("error", "") + made.get("log", "")[-3000:]
    feedback = lab.course / "feedback" / HOSTILE / ASSIGNMENT / NOTEBOOK.replace(".ipynb", ".html")
    page.goto(feedback.as_uri(), wait_until="load")
    page.screenshot(path=str(ARTIFACTS / "08_feedback_hostile_submission.png"))
    _ran_nothing(page)
    text = page.inner_text("body")
    assert "compute_content_cost passed all" in text and "Look:" in text
    assert f"Score: {score[0]:.1f} / {score[1]:.1f}" in text
    assert dialogs == []
