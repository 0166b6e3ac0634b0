"""Nothing a grading kernel produces reaches a learner: proved differentially, on nbgrader's paths.

A small class is graded by plain ``nbgrader autograde`` and given feedback by
plain ``nbgrader generate_feedback``, with the course's configuration only:

* ``leaker`` hands in notebooks 03 and 04 whose graded cells carry the
  reference code staged for them out through every channel a kernel has
  (printed, displayed as an image, in a file name, in an error's message and
  type name: ``attack_bank``'s "leak the staged code");
* ``ada`` hands in honest work with a wrong ``total_cost`` and a private note.

Then ``leaker`` is graded again in a copy of the course where every string
any kernel message holds is replaced by random bytes as it arrives
(``scrambled_kernel.ScramblingExecute``). Feedback must come out byte for byte
the same: whatever the encoding, no kernel text can be in it (only the
results' numbers, which the judge turns into its own words, are common to
both runs). Each learner's feedback shows their score and the judge's
reasons, and nothing of the other's. (The formgrader's autograde and
feedback buttons are run in ``tests/test_browser.py``.)
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import gradebook, samples
from autograder.grading import template
from autograder.grading.nbgrader_run import course_env, link_config
from autograder.variants import variants
from nst_utils import config

sys.path.insert(0, str(Path(__file__).parent))
import attack_bank  # noqa: E402

pytestmark = pytest.mark.slow

NOTEBOOKS = ["03_style_cost.ipynb", "04_total_cost_and_art.ipynb"]
NOTE = "ADA-PRIVATE-NOTE-51c2"
ENV = {"NST_CELL_TIMEOUT": "30", "NST_MEMORY_LIMIT_GB": "4",
       "NST_GRADING_SECRET": "the same cases in both runs"}
SCRAMBLE = ("\nc.Autograde.autograde_preprocessors = [\n"
            "    'scrambled_kernel.ScramblingExecute' if step == 'autograder.preprocessors.execute.SealedExecute'\n"
            "    else step for step in c.Autograde.autograde_preprocessors]\n")


def _class() -> dict[str, dict]:
    builder = samples.Builder()
    leak = {f: attack_bank.solution_cell("leak the staged code", f)
            for f, notebook in samples.NOTEBOOK_OF.items() if notebook in NOTEBOOKS}
    honest = builder.filled({"total_cost": variants("total_cost", valid=False)[0].source})
    for notebook in honest.values():
        notebook["cells"].insert(0, {"cell_type": "markdown", "id": "ada-note", "metadata": {},
                                     "source": [NOTE]})
    return {"leaker": builder.filled(leak), "ada": honest}


def _course(root: Path, students: dict, scramble: bool = False) -> Path:
    course = root / ("scrambled" if scramble else "plain")
    gradebook.prepare(course, f"sqlite:///{course / 'gradebook.db'}", template.template_course())
    for student, notebooks in students.items():
        folder = course / "submitted" / student / config.ASSIGNMENT_ID
        folder.mkdir(parents=True)
        for name in NOTEBOOKS:
            (folder / name).write_text(json.dumps(notebooks[name], indent=1), encoding="utf-8")
        (folder / "timestamp.txt").write_text("2026-01-05 10:00:00.000000 UTC")
    link_config(course)
    if scramble:
        with open(course / "nbgrader_config.py", "a", encoding="utf-8") as handle:
            handle.write(SCRAMBLE)
    return course


def _nbgrader(course: Path, *args: str) -> str:
    env = {**course_env(), **ENV}
    env["PYTHONPATH"] = os.pathsep.join([str(Path(__file__).parent), env.get("PYTHONPATH", "")])
    env.pop("NST_UNSANDBOXED", None)
    env.pop("NST_GRADEBOOK_URL", None)
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=env,
                          capture_output=True, text=True, timeout=1800)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return done.stdout + done.stderr


def _pages(course: Path, student: str) -> dict[str, bytes]:
    folder = course / "feedback" / student / config.ASSIGNMENT_ID
    return {page.name: page.read_bytes() for page in sorted(folder.glob("*.html"))}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("no-leak")
    students = _class()
    plain, scrambled = _course(root, students), _course(root, {"leaker": students["leaker"]}, True)
    logs = {"plain": _nbgrader(plain, "autograde", config.ASSIGNMENT_ID)}
    _nbgrader(plain, "generate_feedback", config.ASSIGNMENT_ID)
    logs["scrambled"] = _nbgrader(scrambled, "autograde", config.ASSIGNMENT_ID)
    _nbgrader(scrambled, "generate_feedback", config.ASSIGNMENT_ID)
    yield {"plain": plain, "scrambled": scrambled, "logs": logs}
    shutil.rmtree(root, ignore_errors=True)


def test_feedback_is_byte_for_byte_the_same_whatever_the_kernel_said(graded):
    plain, scrambled = _pages(graded["plain"], "leaker"), _pages(graded["scrambled"], "leaker")
    assert sorted(plain) == ["03_style_cost.html", "04_total_cost_and_art.html"]
    assert plain == scrambled
    # the kernel did say things, and they differed between the runs
    autograded = [json.dumps(json.loads((course / "autograded" / "leaker" / "nst" /
                                         "04_total_cost_and_art.ipynb").read_text())["cells"])
                  for course in (graded["plain"], graded["scrambled"])]
    assert "staged-0" in autograded[0] and autograded[0] != autograded[1]


def test_each_learner_sees_their_score_and_the_judges_reasons_and_no_one_elses(graded):
    from nbgrader.api import Gradebook

    course = graded["plain"]
    pages = {student: _pages(course, student) for student in ("leaker", "ada")}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student, found in pages.items():
            for name, page in found.items():
                notebook = gb.find_submission_notebook(Path(name).stem, config.ASSIGNMENT_ID,
                                                       student)
                assert f"Score: {notebook.score:.1f} / {notebook.max_score:.1f}" in page.decode()
    ada = pages["ada"]["04_total_cost_and_art.html"].decode()
    assert "total_cost failed" in ada and "train_step passed all" in ada and NOTE in ada
    leaked = pages["leaker"]["03_style_cost.html"].decode()
    assert "compute_layer_style_cost failed 5 of 5 graded cases" in leaked
    assert "it raised a ValueError" in leaked and "staged-" not in leaked
    assert all(NOTE.encode() not in page for page in pages["leaker"].values())
