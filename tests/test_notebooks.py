"""The notebook series as learners and graders meet it.

* The committed release and the public checks' values are what the sources generate.
* Every source notebook runs top to bottom and every check passes.
* Every release notebook runs top to bottom: each graded check fails with the
  "not implemented yet" message and nothing else fails.
"""

import json
import subprocess
import sys

import pytest

from autograder.release import verify
from nst_utils import cells, config
from nst_utils.notebook_runner import run_folder

GRADING = {"NBGRADER_EXECUTION": "autograde"}


def _run_module(*args):
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True)


def test_committed_release_is_current_and_clean():
    result = _run_module("autograder", "release", "--check")
    assert result.returncode == 0, result.stdout + result.stderr
    assert verify(config.RELEASE_DIR) == []


def test_public_check_values_are_current():
    result = _run_module("autograder", "values", "--check")
    assert result.returncode == 0, result.stdout + result.stderr


def test_source_notebooks_are_kept_small_and_without_outputs():
    for folder in (config.SOURCE_DIR, config.RELEASE_DIR):
        for name in config.NOTEBOOKS:
            notebook = json.loads((folder / name).read_text(encoding="utf-8"))
            ids = [cell["id"] for cell in notebook["cells"]]
            assert len(ids) == len(set(ids)), f"{name}: duplicate cell ids"
            for cell in notebook["cells"]:
                assert not cell.get("outputs"), f"{folder.name}/{name}: outputs committed"
                assert cell.get("execution_count") is None


def test_release_has_a_stub_for_every_graded_function_and_no_solution():
    for function, (name, _points) in config.GRADED_FUNCTIONS.items():
        text = (config.RELEASE_DIR / name).read_text(encoding="utf-8")
        assert f"def {function}(" in text
        assert "BEGIN SOLUTION" not in text and "HIDDEN" not in text
        assert "autograder" not in text


def _graded_test_cells(notebook):
    return {cell.id: cell for cell in notebook.cells if cells.is_test(cell)}


@pytest.mark.slow
def test_source_series_runs_and_every_check_passes():
    results = run_folder(config.SOURCE_DIR, env=GRADING)
    assert [r.notebook for r in results] == list(config.NOTEBOOKS)
    for result in results:
        assert result.ok, (result.notebook, result.errors)
        for cell_id, cell in _graded_test_cells(result.executed).items():
            text = "".join(o.get("text", "") for o in cell.outputs)
            assert "all public checks passed" in text, (result.notebook, cell_id)
            assert cell_id not in result.stderr_cells, f"{cell_id} wrote to stderr (scores 0)"


@pytest.mark.slow
def test_release_series_runs_and_only_the_graded_checks_fail():
    results = run_folder(config.RELEASE_DIR, env=GRADING, allow_errors=True)
    failing_checks = 0
    for result in results:
        graded = _graded_test_cells(result.executed)
        for error in result.errors:
            assert error["cell"] in graded, (result.notebook, error)
            assert error["ename"] == "AssertionError", error
            assert "not implemented yet" in error["evalue"], error
            failing_checks += 1
    assert failing_checks == len(config.GRADED_FUNCTIONS)
