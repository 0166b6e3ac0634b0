"""`make demo`, exactly as the README's quick start runs it, on embedded defaults."""

import os
import subprocess

import pytest

from nst_utils import config


@pytest.mark.slow
def test_make_demo_runs_the_course_end_to_end(tmp_path):
    out = os.path.relpath(tmp_path, config.REPO_ROOT)  # relative, as the default `output` is
    # Never the real weights' server from a test: the demo's download is switched off.
    env = dict(os.environ, NST_DEMO_FETCH="0")
    result = subprocess.run(["make", "demo", f"OUT={out}"], cwd=config.REPO_ROOT,
                            capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    # The learner's side: what VGG19 sees, and the painting made by the reference notebooks.
    for name in ("feature_maps.png", "generated.png", "loss_curve.png", "side_by_side.png"):
        assert (tmp_path / name).stat().st_size > 10_000, name
    executed = sorted(p.name for p in (tmp_path / "executed").glob("*.ipynb"))
    assert executed == sorted(config.NOTEBOOKS)
    # The instructor's side: the sample class graded, exported and reported.
    grades = (tmp_path / "sample-class" / "grades.csv").read_text(encoding="utf-8")
    assert "student" in grades.splitlines()[0].lower()
    assert "flag" in result.stdout.lower()
