"""`make demo`, exactly as the README's quick start runs it, on embedded defaults."""

import pytest

from nst_utils import config


@pytest.mark.slow
def test_make_demo_runs_the_course_end_to_end(demo_run):
    out = demo_run["out"]
    # The learner's side: what VGG19 sees, and the painting made by the reference notebooks.
    for name in ("feature_maps.png", "generated.png", "loss_curve.png", "side_by_side.png"):
        assert (out / name).stat().st_size > 10_000, name
    executed = sorted(p.name for p in (out / "executed").glob("*.ipynb"))
    assert executed == sorted(config.NOTEBOOKS)
    # The instructor's side: the sample class graded, exported and reported
    # (every score and flag of it is checked in test_autograder_bank).
    grades = (out / "sample-class" / "grades.csv").read_text(encoding="utf-8")
    assert "student" in grades.splitlines()[0].lower()
    assert "flag" in demo_run["stdout"].lower()
