"""Fixtures shared by several test modules."""

import os
import subprocess
from pathlib import Path

import pytest

from nst_utils import config


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """`make demo`, run once per session exactly as the README's quick start runs it.

    Its learner part (the reference notebooks paint) is checked in ``test_demo``;
    its instructor part grades the whole sample bank, whose every expectation
    ``test_autograder_bank`` checks on the same graded class.
    """
    out = tmp_path_factory.mktemp("demo")
    # Never the real weights' server from a test: the demo's download is switched off.
    env = dict(os.environ, NST_DEMO_FETCH="0")
    result = subprocess.run(["make", "demo", f"OUT={os.path.relpath(out, config.REPO_ROOT)}"],
                            cwd=config.REPO_ROOT, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return {"out": Path(out), "stdout": result.stdout}
