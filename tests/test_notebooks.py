"""The notebook series as learners and graders meet it.

* The committed release and the public checks' values are what the sources generate
  (the values to a tolerance that float noise between CPUs stays within, and a real
  change does not).
* Every source notebook runs top to bottom and every check passes.
* Every release notebook runs top to bottom: each graded check fails with the
  "not implemented yet" message and nothing else fails.
"""

import json
import re
import subprocess
import sys

import pytest

from autograder.release import verify
from nst_utils import cells, checks, config
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


def _moved(tree, factor, where=""):
    """A copy of the stored values with every computed number times ``factor(where)``."""
    if isinstance(tree, dict):
        return {k: v if k in ("inputs", "other_weights", "environment", "about")
                else _moved(v, factor, f"{where}.{k}".lstrip(".")) for k, v in tree.items()}
    if isinstance(tree, list):
        return [_moved(v, factor, where) for v in tree]
    return tree * factor(where)


def test_values_check_tolerates_float_noise_and_names_a_real_change(tmp_path):
    """`values --check` run on copies of the stored file: every value moved by 3e-7 (more than
    CPUs disagree by) is still current; one moved by 1e-3, or a changed input, is named."""
    stored = json.loads(checks.DATA_FILE.read_text(encoding="utf-8"))
    noisy, changed = tmp_path / "noisy.json", tmp_path / "changed.json"
    sign = {}  # alternate up and down from key to key
    noisy.write_text(json.dumps(_moved(stored, lambda key: 1 + 3e-7 * sign.setdefault(
        key, (-1) ** len(sign)))))
    moved = _moved(stored, lambda key: 1 + 1e-3 if key == "layer_style_cost.expected" else 1)
    moved["gram_matrix"]["inputs"]["A"]["seed"] += 1
    changed.write_text(json.dumps(moved))

    current = _run_module("autograder", "values", "--check", "--file", str(noisy))
    assert current.returncode == 0, current.stdout + current.stderr
    assert "up to date" in current.stdout
    stale = _run_module("autograder", "values", "--check", "--file", str(changed))
    assert stale.returncode == 1, stale.stdout + stale.stderr
    problems = stale.stdout.splitlines()[1:]
    assert len(problems) == 2, stale.stdout
    assert re.search(r"layer_style_cost\.expected: 1 of 1 values differ; the worst by "
                     r"8\.2\de-06 \(1\.0e-03 relative", problems[1]), stale.stdout
    assert "gram_matrix.inputs.A.seed: the file has 202, now 201" in problems[0], stale.stdout


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
