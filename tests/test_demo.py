"""`make demo` on embedded defaults: the course runs end to end and leaves its pictures."""

import os
import subprocess
import sys

import pytest

from nst_utils import config


@pytest.mark.slow
def test_demo_runs_the_course_end_to_end(tmp_path):
    env = dict(os.environ, NST_OUTPUT_DIR=str(tmp_path))
    result = subprocess.run([sys.executable, "-m", "nst_utils.demo"], env=env,
                            capture_output=True, text=True, cwd=config.REPO_ROOT)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    for name in ("feature_maps.png", "generated.png", "loss_curve.png", "side_by_side.png"):
        assert (tmp_path / name).stat().st_size > 10_000, name
    executed = sorted(p.name for p in (tmp_path / "executed").glob("*.ipynb"))
    assert executed == sorted(config.NOTEBOOKS)
    assert not (config.REPO_ROOT / "notebooks" / "source" / "nst" / "gradebook.db").exists()
