"""Hostile submissions are graded as a class is: none earns a forged mark or harms anyone.

A class of one honest student (the victim) and one submission per attack of
``tests/attack_bank.py`` is graded with ``python -m autograder grade
--workers 2``, sandbox on. Each attack sits in the graded cells of every
notebook but one (the witness notebook, written correctly; it changes from
attack to attack, so each notebook is a witness several times). Then:

* every attacked exercise scores 0, every witness exercise and the victim full marks;
* ``submitted/`` is byte for byte what it was, the course folder holds only
  what grading writes, a folder outside the course is untouched, and the
  gradebook still exports;
* a server on 127.0.0.1 heard nothing, and the victim's notebooks were
  never seen from a grading kernel;
* the class's feedback (``python -m autograder feedback``) holds nothing a
  kernel read or sent: not the staged reference code, printed or
  base64-encoded, not the victim's notes, no floods; no page, feedback or
  the formgrader's view of a graded notebook, would run a script;
* output floods are flagged and leave graded notebooks of bounded size.
"""

import hashlib
import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from autograder import samples, sandbox
from nst_utils import config

sys.path.insert(0, str(Path(__file__).parent))
import attack_bank  # noqa: E402

pytestmark = pytest.mark.slow

EXERCISES = [e.function for e in config.EXERCISES]
POINTS = {e.function: e.points for e in config.EXERCISES}
MARKER = "VICTIM-MARKER-7f3c9a"
ENV = {"NST_CELL_TIMEOUT": "30", "NST_MEMORY_LIMIT_GB": "4"}


class Listener:
    """A TCP server on 127.0.0.1 that records every connection it gets."""

    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.heard: list[bytes] = []
        self.server.settimeout(0.2)
        self.running = True
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while self.running:
            try:
                connection, _ = self.server.accept()
            except OSError:
                continue
            with connection:
                connection.settimeout(1)
                try:
                    self.heard.append(connection.recv(1024) or b"(connected)")
                except OSError:
                    self.heard.append(b"(connected)")

    def stop(self):
        self.running = False
        self.thread.join(timeout=5)
        self.server.close()


def _tree(folder: Path) -> dict:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _class(values: dict) -> list[samples.Sample]:
    builder = samples.Builder()
    victim = builder.filled()
    for notebook in victim.values():
        notebook["cells"].insert(0, {"cell_type": "markdown", "id": "victim-note",
                                     "metadata": {}, "source": [f"Private note {MARKER}"]})
    bank = [samples.Sample("victim", victim)]
    for number, attack in enumerate(attack_bank.ATTACKS):
        # The witness's notebook is honest work; every other notebook carries the attack. An
        # attack that switches grading off in its own kernel costs that whole notebook, so a
        # witness shares no kernel with it: what is shown is that it reaches no other notebook.
        witness = config.exercise(EXERCISES[number % len(EXERCISES)]).notebook
        honest = [e.function for e in config.exercises_in(witness)]
        sources = {f: attack_bank.solution_cell(attack, f, **values)
                   for f in EXERCISES if f not in honest}
        points = {f: (POINTS[f] if f in honest else 0.0) for f in EXERCISES}
        student = "attack-" + attack.replace(" ", "-").replace(".", "")
        notebooks = builder.filled(sources)
        if attack in attack_bank.MARKDOWN:
            for notebook in notebooks.values():
                notebook["cells"].insert(0, {"cell_type": "markdown", "id": "attack-note",
                                             "metadata": {},
                                             "source": [attack_bank.MARKDOWN[attack]]})
        bank.append(samples.Sample(student, notebooks, points, note=attack))
    return bank


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    available, reason = sandbox.sandbox_available()
    assert available, f"the grading sandbox must be active for this test: {reason}"
    root = tmp_path_factory.mktemp("attacks")
    course, sentinel = root / "course", root / "another-course"
    (sentinel / "submitted" / "someone").mkdir(parents=True)
    (sentinel / "submitted" / "someone" / "work.ipynb").write_text(f'{{"note": "{MARKER}"}}')
    (sentinel / "gradebook.db").write_bytes(b"precious")
    listener = Listener()
    bank = _class({"port": listener.port, "marker": MARKER, "sentinel": sentinel})
    samples.write(course / "submitted", bank)
    (course / "submitted" / "expected.json").unlink()
    before = {"submitted": _tree(course / "submitted"), "sentinel": _tree(sentinel)}
    env = dict(os.environ, **ENV)
    env.pop("NST_UNSANDBOXED", None)
    result = subprocess.run([sys.executable, "-m", "autograder", "grade", "--course", str(course),
                             "--workers", "2"], env=env, capture_output=True, text=True)
    listener.stop()
    exported = subprocess.run([sys.executable, "-m", "autograder", "export", "--course",
                               str(course), "--to", str(root / "grades.csv")], env=env,
                              capture_output=True, text=True)
    feedback = subprocess.run([sys.executable, "-m", "autograder", "feedback", "--course",
                               str(course)], env=env, capture_output=True, text=True)
    return {"course": course, "sentinel": sentinel, "bank": bank, "before": before,
            "grade": result, "export": exported, "feedback": feedback,
            "heard": listener.heard, "root": root}


def test_every_attack_scores_zero_and_every_witness_keeps_its_marks(graded):
    assert graded["grade"].returncode == 0, graded["grade"].stderr[-3000:]
    wrong = []
    for sample in graded["bank"]:
        record = json.loads((graded["course"] / "grading" / f"{sample.student}.json").read_text())
        got = {f: e["points"] for nb in record["notebooks"] for f, e in nb["exercises"].items()}
        for exercise, points in sample.points.items():
            if got.get(exercise) != points:
                wrong.append(f"{sample.student} ({sample.note}) {exercise}: "
                             f"{got.get(exercise)} instead of {points}")
    assert not wrong, "\n".join(wrong)


def test_nothing_outside_a_kernels_scratch_changed(graded):
    course = graded["course"]
    assert _tree(course / "submitted") == graded["before"]["submitted"]
    assert _tree(graded["sentinel"]) == graded["before"]["sentinel"]
    expected = {"submitted", "autograded", "grading", "gradebook.db", "source",
                "nbgrader_config.py", ".nst-grading-secret", "feedback"}
    assert {p.name for p in course.iterdir()} <= expected
    assert not list(course.rglob("pwned*")) and not Path("/tmp/nst-pwned").exists()
    assert graded["export"].returncode == 0, graded["export"].stderr[-2000:]
    rows = (graded["root"] / "grades.csv").read_text().splitlines()
    assert len(rows) == 1 + len(graded["bank"])


def test_no_kernel_reached_the_network_or_another_students_work(graded):
    assert graded["heard"] == []
    for path in (graded["course"] / "autograded").rglob("*.ipynb"):
        if "victim" in str(path):
            continue
        shown = json.dumps([cell.get("outputs", []) for cell in
                            json.loads(path.read_text())["cells"]])
        assert MARKER not in shown, path  # what the attacks printed of what they found


def _staged_code() -> tuple[str, str]:
    """What the leaking attack finds in notebook 04's scratch: as printed, and base64."""
    import base64
    import tempfile

    from autograder.grading import staging

    with tempfile.TemporaryDirectory() as folder:
        staging.stage(Path(folder), config.NOTEBOOKS[4], config.SOURCE_DIR, {})
        text = "".join(p.read_text() for p in sorted(Path(folder).glob("*.ipynb")))
    return text, base64.b64encode(text.encode()).decode()


def test_feedback_carries_nothing_a_kernel_read_or_sent_and_runs_nothing(graded):
    assert graded["feedback"].returncode == 0, graded["feedback"].stderr[-3000:]
    text, packed = _staged_code()
    assert '"staged-0"' in text and len(packed) > 1000
    windows = {packed[i:i + 40] for i in range(0, len(packed) - 40, 40)}
    pages = sorted((graded["course"] / "feedback").glob("*/nst/*.html"))
    assert len(pages) == 4 * len(graded["bank"])
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert "staged-" not in html and not any(w in html for w in windows), page
        assert f"Private note {MARKER}" not in html or "victim" in str(page), page
        assert "x" * 1000 not in html and "y" * 1000 not in html, page
        assert attack_bank.ActiveMarkup(html).found == [], page
        assert page.stat().st_size < 400_000, page


def test_floods_are_flagged_and_graded_notebooks_stay_bounded(graded):
    from autograder.preprocessors.output_bounds import NOTEBOOK_BYTES

    for path in (graded["course"] / "autograded").rglob("*.ipynb"):
        assert path.stat().st_size < NOTEBOOK_BYTES + 2**20, path
    for attack in ("flood stdout", "flood display_data"):
        student = "attack-" + attack.replace(" ", "-")
        record = json.loads((graded["course"] / "grading" / f"{student}.json").read_text())
        kinds = {f["kind"] for nb in record["notebooks"] for f in nb["flags"]}
        assert "output limited" in kinds, (student, kinds)


def test_the_formgraders_view_of_a_graded_notebook_runs_nothing(graded):
    """The page the formgrader makes of each attack's graded notebook, with the course's
    configuration (the browser test opens the formgrader itself)."""
    from nbconvert.exporters import HTMLExporter
    from nbgrader.server_extensions.formgrader import handlers
    from traitlets.config.loader import PyFileConfigLoader

    settings = PyFileConfigLoader("nbgrader_config.py", path=str(Path(config.REPO_ROOT) / "autograder")).load_config()
    settings.HTMLExporter.template_name = "formgrade"
    settings.HTMLExporter.extra_template_basedirs = [handlers.template_path]
    exporter = HTMLExporter(config=settings)
    resources = {"base_url": "", "index": 0, "total": 1, "notebook_id": "n", "student": "s"}
    for path in sorted((graded["course"] / "autograded").glob("attack-scripting/nst/*.ipynb")):
        page, _ = exporter.from_filename(str(path), resources=dict(resources))
        assert attack_bank.ActiveMarkup(page).found == [], path
        assert "stolen" in page  # the markdown cell, shown as text
