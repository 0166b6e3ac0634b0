"""Fixtures shared by several test modules."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from installed_package import install
from nst_utils import config


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    """`make demo`, run once per session as the README's quick start runs it, in the
    interpreter running the tests and without its set-up step (a test never installs).

    Its learner part (the reference notebooks paint) is checked in ``test_demo``;
    its instructor part grades the whole sample bank, whose every expectation
    ``test_autograder_bank`` checks on the same graded class.
    """
    out = tmp_path_factory.mktemp("demo")
    # Never the real weights' server from a test: the demo's download is switched off.
    env = dict(os.environ, NST_DEMO_FETCH="0")
    result = subprocess.run(["make", "demo", f"PY={sys.executable}", "SETUP=",
                             f"OUT={os.path.relpath(out, config.REPO_ROOT)}"],
                            cwd=config.REPO_ROOT, capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return {"out": Path(out), "stdout": result.stdout}


@pytest.fixture(scope="session")
def student_package(tmp_path_factory):
    """The student sdist and wheel, built once from a clean copy of the course (offline)."""
    from autograder.distribution import build_student_package

    return build_student_package(tmp_path_factory.mktemp("student-package"))


@pytest.fixture(scope="session")
def installed_python(student_package, tmp_path_factory):
    """A Python whose ``nst_utils`` is the student wheel, installed as a learner has it
    (``installed_package``); ``.env(home)`` gives a learner's environment."""
    return install(student_package.wheel, tmp_path_factory.mktemp("learner-venv"))
