"""Fast checks of the autograder's parts (no nbgrader run, except the one `score` test)."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from nbformat.v4 import new_code_cell, new_output

from autograder import samples
from autograder.grading import tamper
from autograder.grading.jobs import GRADED_NOTEBOOKS
from nst_utils import cells, config

sys.path.insert(0, str(Path(__file__).parent))
import attack_bank  # noqa: E402


def _run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True)


def test_commands_are_listed():
    result = subprocess.run([sys.executable, "-m", "autograder", "--help"], capture_output=True,
                            text=True)
    for command in ("release", "score", "grade", "feedback", "export", "report", "demo"):
        assert command in result.stdout


def test_grade_ids_map_to_exercises():
    assert cells.exercise_of("test_gram_matrix") == "gram_matrix"
    assert cells.exercise_of("gram_matrix") == "gram_matrix"
    assert cells.exercise_of("test_something_else") is None
    assert sorted(f for fs in GRADED_NOTEBOOKS.values() for f in fs) == sorted(
        config.GRADED_FUNCTIONS)


def test_configuration_loads_with_the_course_settings():
    result = _run_python("""
        from traitlets.config.loader import PyFileConfigLoader
        import json
        from autograder.preprocessors.execute import SealedExecute
        from autograder.preprocessors.output_bounds import LimitOutputLines
        cfg = PyFileConfigLoader("nbgrader_config.py", path="autograder").load_config()
        print(json.dumps({
            "timeout": SealedExecute(config=cfg).timeout,
            "args": cfg.Execute.extra_arguments,
            "missing": cfg.OverwriteCells.add_missing_cells,
            "lines": LimitOutputLines(config=cfg).max_lines,
            "autograde": cfg.Autograde.autograde_preprocessors,
            "exchange": cfg.Exchange.root,
        }))
    """)
    assert result.returncode == 0, result.stderr
    settings = json.loads(result.stdout)
    assert 30 <= settings["timeout"] <= 300
    assert "--IPKernelApp.capture_fd_output=False" in settings["args"]
    assert settings["missing"] is True
    assert 0 < settings["lines"] <= 1000
    steps = settings["autograde"]
    assert steps[0] == "autograder.preprocessors.execute.SealedExecute"
    assert steps.index("autograder.preprocessors.judge.JudgeGradedCells") + 1 == steps.index(
        "nbgrader.preprocessors.SaveAutoGrades"), "the judge must speak last before scores are saved"
    assert settings["exchange"].endswith("exchange")


@pytest.mark.parametrize("code, expected", [
    ("import numpy as np\nnp.allclose = lambda *a, **k: True", "replaces np.allclose"),
    ("import numpy\nsetattr(numpy, 'isclose', None)", "calls setattr on numpy"),
    ("import nst_utils.checks as c\nc.check_gram_matrix = print", "replaces c.check_gram_matrix"),
    ("get_ipython().showtraceback = lambda *a: None", "replaces get_ipython().showtraceback"),
    ("import sys\nsys.modules['numpy'] = object()", "writes into sys.modules"),
    ("class X:\n    def __eq__(self, o):\n        return True", "class X defines __eq__"),
    ("import os\nos._exit(0)", "calls os._exit"),
    ("from autograder import cases", "imports the autograder"),
    ("import builtins\nbuiltins.abs = abs", "replaces builtins.abs"),
])
def test_static_scan_finds_tampering(code, expected):
    assert expected in tamper.scan_code(code)


@pytest.mark.parametrize("variant", [v for v in samples.variant_bank.VARIANTS])
def test_static_scan_is_quiet_on_honest_work(variant):
    assert tamper.scan_code(variant.source) == []


def test_outputs_are_read_for_flags(tmp_path):
    """What the kernel raised in a graded cell (kept aside by the judge) still raises flags."""
    cell = new_code_cell("check(f)", metadata={"nbgrader": {"grade": True, "grade_id":
                                                            "test_gram_matrix", "points": 2}})
    cell.metadata["nst_kernel_errors"] = [{"output_type": "error", "ename": "CellTimeoutError",
                                           "evalue": ""}]
    cell.metadata["nst_verdict"] = {"seed": "1", "passed": False, "cases": []}
    cell.outputs = [new_output("error", ename="GradedTestFailure", evalue="gram_matrix failed",
                               traceback=[]),
                    new_output("stream", name="stdout", text="1\n... Output truncated ...")]
    notebook = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "02_gram_matrix.ipynb"
    path.write_text(json.dumps(notebook))
    errors, flags, verdicts = tamper.inspect_outputs(path)
    assert {"timeout", "output limited"} <= {f.kind for f in flags}
    assert all(f.exercise == "gram_matrix" for f in flags)
    assert len(errors) == 2 and verdicts["gram_matrix"]["passed"] is False


def test_structure_changes_are_flagged(tmp_path):
    builder = samples.Builder()
    notebooks = builder.filled()
    name = "02_gram_matrix.ipynb"
    found = notebooks[name]["cells"]
    found.remove(cells.find(notebooks[name], "test_gram_matrix"))
    found.append(json.loads(json.dumps(cells.find(notebooks[name], "gram_matrix"))))
    cells.grading(cells.find(notebooks[name], "gram_matrix"))["points"] = 50
    path = tmp_path / name
    path.write_text(json.dumps(notebooks[name]))
    kinds = {f.kind for f in tamper.inspect_submission(path)}
    assert {"deleted test cell", "duplicated cell", "changed grading metadata"} <= kinds
    path.write_text("{ not json")
    assert [f.kind for f in tamper.inspect_submission(path)] == ["unreadable"]
    clean = tmp_path / "clean" / name
    clean.parent.mkdir()
    clean.write_text(json.dumps(builder.filled()[name]))
    assert tamper.inspect_submission(clean) == []


def test_samples_change_only_graded_cells_of_the_release():
    builder = samples.Builder()
    for sample in samples.build():
        if not sample.student.startswith(("correct", "variants-")):
            continue
        for name, notebook in sample.notebooks.items():
            released = builder.release[name]["cells"]
            assert len(notebook["cells"]) == len(released)
            for mine, theirs in zip(notebook["cells"], released):
                if mine["source"] != theirs["source"]:
                    assert mine["metadata"]["nbgrader"]["solution"], (sample.student, name)


@pytest.mark.slow
def test_score_json_follows_the_schema(tmp_path):
    built = {s.student: s for s in samples.build()}
    folder = tmp_path / "work"
    samples.write(folder, [built["correct"]])
    files = [folder / "correct" / "nst" / n for n in ("01_content_cost.ipynb",
                                                        "00_tour_of_vgg19.ipynb")]
    result = subprocess.run([sys.executable, "-m", "autograder", "score", "--json", *files],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    data = json.loads(result.stdout)
    assert list(data) == ["notebooks"]
    first, second = data["notebooks"]
    assert list(first) == ["notebook", "exercises", "total", "max_total", "flags", "errors",
                           "verdicts"]
    verdict = first.pop("verdicts")["compute_content_cost"]
    assert first == {"notebook": "01_content_cost.ipynb",
                     "exercises": {"compute_content_cost": {"points": 2.0, "max_points": 2.0}},
                     "total": 2.0, "max_total": 2.0, "flags": [], "errors": []}
    assert verdict["passed"] and len(verdict["cases"]) >= 3 and verdict["seed"]
    assert second["notebook"] == "00_tour_of_vgg19.ipynb" and second["exercises"] == {}


def test_a_machine_failure_is_never_mistaken_for_the_submissions():
    from autograder.grading import jobs as course

    log = ("[AutogradeApp | ERROR] Traceback\n    autograder.sandbox.kernel.SandboxStartError: "
           "The grading sandbox did not start\n[AutogradeApp | ERROR] There was an error")
    assert "SandboxStartError" in course._infrastructure_error(log)
    assert course._infrastructure_error("SyntaxError: invalid syntax\n") is None


def _message(kind: str, content: dict) -> dict:
    return {"msg_type": kind, "header": {"msg_type": kind, "msg_id": "m"},
            "parent_header": {"msg_id": "cell"}, "content": content, "metadata": {}}


def test_kernel_output_is_kept_inert_and_bounded_in_bytes_as_it_arrives():
    from autograder.preprocessors.output_bounds import OutputBudget

    budget = OutputBudget(message=100, cell=250, notebook=400)
    shown = budget.admit(_message("display_data", {
        "data": {"text/html": "<script>steal()</script>", "application/javascript": "steal()",
                 "image/svg+xml": "<svg onload='steal()'/>", "text/plain": "a table"},
        "metadata": {"image/png": {"width": "1 onerror=steal()"}}}))
    assert shown["content"] == {"data": {"text/plain": "a table"}, "metadata": {}}
    only_active = budget.admit(_message("execute_result", {"data": {"text/html": "<img onerror=x>"}}))
    assert "<img" not in json.dumps(only_active) and "not keep" in json.dumps(only_active)
    assert budget.admit(_message("comm_open", {"data": {"state": {}}})) is None
    assert budget.admit(_message("status", {"execution_state": "idle"}))["content"] == {
        "execution_state": "idle"}
    long = budget.admit(_message("stream", {"name": "stdout", "text": "é" * 300}))
    assert len(long["content"]["text"].encode()) <= 100 and budget.dropped > 0
    for _ in range(5):
        budget.admit(_message("stream", {"name": "stdout", "text": "x" * 80}))
    assert budget.cell_used <= 250
    budget.new_cell()
    assert budget.dropped == 0
    for _ in range(5):
        budget.admit(_message("stream", {"name": "stdout", "text": "x" * 80}))
    assert budget.cell_used <= 400 - 250 and budget.notebook_used <= 400 and budget.dropped > 0


HOSTILE = f"{attack_bank.STOLEN} = document.cookie"


def _hostile_notebook():
    from nbformat.v4 import new_markdown_cell, new_notebook, new_raw_cell

    code = new_code_cell("show()", outputs=[
        new_output("display_data", data={"text/html": f"<script>{HOSTILE}</script>",
                                         "text/plain": "a table"}),
        new_output("display_data", data={"application/javascript": HOSTILE}),
        new_output("display_data", data={"image/svg+xml": f"<svg onload='{HOSTILE}'/>"}),
        new_output("display_data", data={"image/png": "iVBORw0KGgo="},
                   metadata={"image/png": {"width": f"1 onerror={HOSTILE}"}}),
        new_output("execute_result", data={"text/markdown": f"<img src=x onerror='{HOSTILE}'>"},
                   execution_count=1)])
    code.metadata["nbgrader"] = {"grade": False, "solution": True, "locked": False,
                                 "grade_id": "answer", "schema_version": 3, "task": False}
    return new_notebook(cells=[
        new_markdown_cell(f"Mine: <img src=x onerror=\"{HOSTILE}\"> [link](javascript:{HOSTILE}) "
                          f"<script>{HOSTILE}</script> **bold** $x^2$"),
        code, new_raw_cell(f"<script>{HOSTILE}</script>", metadata={"raw_mimetype": "text/html"})])


@pytest.mark.parametrize("template", ["formgrade", "feedback"])
def test_pages_made_for_browsers_run_nothing_a_kernel_or_a_learner_wrote(template):
    """The formgrader's view of a graded notebook and a feedback page, made by nbconvert
    with the course's configuration, from a notebook holding every active thing."""
    from nbconvert.exporters import HTMLExporter
    from nbgrader.server_extensions.formgrader import handlers
    from traitlets.config.loader import PyFileConfigLoader

    settings = PyFileConfigLoader("nbgrader_config.py", path="autograder").load_config()
    settings.HTMLExporter.template_name = template
    settings.HTMLExporter.extra_template_basedirs = [handlers.template_path]
    settings.HTMLExporter.extra_template_paths = [  # as nbgrader's GenerateFeedback sets it
        str(Path(handlers.static_path) / "node_modules" / "bootstrap" / "dist" / "css")]
    resources = {"base_url": "", "index": 0, "total": 1, "notebook_id": "n", "student": "s",
                 "nbgrader": {"notebook": "n", "score": 0, "max_score": 1, "late_penalty": 0}}
    page, _ = HTMLExporter(config=settings).from_notebook_node(_hostile_notebook(), resources)
    assert attack_bank.ActiveMarkup(page).found == []
    assert "stolen" in page and "<strong>bold</strong>" in page  # shown as text, still rendered


def test_a_fractional_memory_limit_is_one_setting_read_alike_everywhere():
    """NST_MEMORY_LIMIT_GB=1.5 is a valid limit: the grading commands start with it, the
    settings say where it came from, and the nbgrader process and the kernels' sandbox
    both get 1.5 GiB."""
    env = dict(os.environ, NST_MEMORY_LIMIT_GB="1.5")
    started = subprocess.run([sys.executable, "-m", "autograder", "score", "--help"],
                             capture_output=True, text=True, env=env)
    assert started.returncode == 0, started.stderr[-2000:]
    shown = subprocess.run([sys.executable, "-m", "autograder", "config"],
                           capture_output=True, text=True, env=env)
    assert "c.NstGrader.memory_limit_gb = 1.5    [$NST_MEMORY_LIMIT_GB]" in shown.stdout, shown
    limits = subprocess.run([sys.executable, "-c", textwrap.dedent("""
        import resource
        from autograder import settings
        from autograder.grading.nbgrader_run import _memory_limiter
        from autograder.sandbox import Limits
        options = settings.load()
        _memory_limiter(options)()
        print(resource.getrlimit(resource.RLIMIT_AS)[0], Limits.of(options).rlimits()["RLIMIT_AS"])
    """)], capture_output=True, text=True, env=env)
    assert limits.returncode == 0, limits.stderr[-2000:]
    assert limits.stdout.split() == [str(int(1.5 * 2**30))] * 2
