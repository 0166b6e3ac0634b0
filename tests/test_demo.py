"""`make demo`, exactly as the README's quick start runs it, on embedded defaults.

What a newcomer sees: a painting of the course's photo in the style's colours
with the photo's layout kept, and the sample class graded, with the broken
and the tampered submissions flagged and the reason given for each.
"""

import csv

import numpy as np
import pytest
from PIL import Image, ImageFilter

from autograder import samples
from nst_utils import config
from nst_utils.images import load_image
from test_autograder_bank import flagged_in_report


def _colours(image: np.ndarray) -> np.ndarray:
    """Mean and spread of each channel: the palette, whatever the layout."""
    pixels = image.reshape(-1, 3)
    return np.concatenate([pixels.mean(axis=0), pixels.std(axis=0)])


def _layout(image: np.ndarray) -> np.ndarray:
    """Brightness, blurred: where things are, without strokes or colours."""
    grey = Image.fromarray(np.uint8(np.clip(image @ [0.299, 0.587, 0.114], 0, 1) * 255))
    return np.asarray(grey.filter(ImageFilter.GaussianBlur(4)), dtype=np.float64).ravel()


@pytest.mark.slow
def test_make_demo_paints_the_photo_in_the_style(demo_run):
    out = demo_run["out"]
    for name in ("feature_maps.png", "generated.png", "loss_curve.png", "side_by_side.png"):
        assert (out / name).stat().st_size > 10_000, name
    assert sorted(p.name for p in (out / "executed").glob("*.ipynb")) == sorted(config.NOTEBOOKS)
    painted = np.asarray(Image.open(out / "generated.png").convert("RGB"), dtype=np.float64) / 255
    assert painted.shape[:2] == tuple(config.IMAGE_SIZE)
    photo = load_image(config.DEFAULT_CONTENT_IMAGE, size=painted.shape[:2]).numpy()[0]
    style = load_image(config.DEFAULT_STYLE_IMAGE).numpy()[0]
    # The style's palette: much nearer to it than the photo was (0.08x offline, at this size).
    moved = np.linalg.norm(_colours(painted) - _colours(style))
    assert moved < 0.5 * np.linalg.norm(_colours(photo) - _colours(style)), moved
    # The photo's layout, but painted over.
    assert np.corrcoef(_layout(painted), _layout(photo))[0, 1] > 0.5
    assert np.abs(painted - photo).mean() > 0.05


@pytest.mark.slow
def test_make_demo_grades_the_sample_class_and_says_who_is_flagged_and_why(demo_run):
    bank = {sample.student: sample for sample in samples.build()}
    full_marks = sum(points for _notebook, points in config.GRADED_FUNCTIONS.values())
    with open(demo_run["out"] / "sample-class" / "grades.csv", newline="") as handle:
        totals = {row["student"]: float(row["total"]) for row in csv.DictReader(handle)}
    assert totals == {name: sum(s.points.values()) for name, s in bank.items()}
    flagged = flagged_in_report(demo_run["stdout"])
    for name, sample in bank.items():
        if name.startswith(("faults-", "tamper-")):  # each reason it was built with, named
            wanted = {(exercise, kind) for exercise, kinds in sample.flags.items() for kind in kinds}
            assert wanted <= flagged.get(name, set()), (name, flagged.get(name))
        elif name == "release" or sum(sample.points.values()) == full_marks:  # nothing to flag
            assert name not in flagged, (name, flagged[name])
