"""The command line, ``python -m nst_utils.stylize``, end to end on the shipped images (tiny runs)."""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import subprocess

import numpy as np
import pytest

from nst_utils import config
from nst_utils.color import rgb_to_yiq
from nst_utils.images import load_image
from nst_utils.stylize import load_engine_functions, main
from nst_utils.transfer import total_variation

TINY = ["--size", "48", "--steps", "2", "--weights", "random", "--seed", "0", "--quiet"]
#: Enough steps for an option's effect to show clearly (5 Adam steps from the same start).
SHORT = ["--size", "48", "--steps", "5", "--weights", "random", "--seed", "0", "--quiet"]


def _paint(folder, name, *options) -> dict:
    """``coffee.jpg`` painted in ``swirls.png`` by the command line: the picture and the costs it printed."""
    out, said = folder / f"{name}.png", io.StringIO()
    with contextlib.redirect_stdout(said):
        assert main(["coffee.jpg", "swirls.png", "-o", str(out), "--reference", *SHORT, *options]) == 0
    costs = re.search(r"J_content ([-+.\de]+), J_style ([-+.\de]+)", said.getvalue())
    assert costs, said.getvalue()
    return {"image": load_image(out).numpy(), "content": float(costs[1]), "style": float(costs[2])}


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    """The painting with no option: what each option's painting is compared with."""
    return _paint(tmp_path_factory.mktemp("plain"), "plain")


def test_reference_run_with_every_option(tmp_path, capsys):
    out = tmp_path / "art.png"
    code = main([
        "coffee.jpg", "swirls.png", "mosaic.png", "-o", str(out), "--reference", *TINY,
        "--style-weights", "2", "1", "--tv-weight", "0.5", "--preserve-colors",
        "--style-scale", "0.75", "--init", "mix", "--save-every", "1",
        "--content-layers", "block4_conv2:1", "--style-layers", "block1_conv1:0.5,block2_conv1:0.5",
        "--alpha", "5", "--beta", "50",
    ])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert f"Saved {out}" in captured.out and "2 steps" in captured.out
    image = load_image(out)
    assert image.shape == load_image("coffee.jpg", size=48).shape  # longest side 48, aspect kept
    steps = sorted(p.name for p in (tmp_path / "art_steps").iterdir())
    assert steps == ["step_00001.png", "step_00002.png"]


@pytest.mark.parametrize("extra", [["--optimizer", "lbfgs", "--coarse-to-fine"], ["--coarse-to-fine", "0.5", "--precision", "auto"]])
def test_reference_run_other_optimisation(tmp_path, capsys, extra):
    out = tmp_path / "art.jpg"
    assert main(["chelsea.jpg", "pointillism.png", "-o", str(out), "--reference", *TINY, *extra]) == 0
    assert "after 2 steps" in capsys.readouterr().out
    assert load_image(out).shape == load_image("chelsea.jpg", size=48).shape


def test_preserve_colors_keeps_the_photos_colours(plain, tmp_path):
    """The photo's colour (the I and Q of YIQ) at every pixel; without the option, the style's."""
    photo = load_image("coffee.jpg", size=48).numpy()
    kept = _paint(tmp_path, "kept", "--preserve-colors")["image"]

    def colour_gap(image):
        return float(np.abs(rgb_to_yiq(image).numpy()[..., 1:] - rgb_to_yiq(photo).numpy()[..., 1:]).mean())
    assert colour_gap(kept) < 0.01 < colour_gap(plain["image"]), (colour_gap(kept), colour_gap(plain["image"]))


def test_tv_weight_smooths_the_painting(plain, tmp_path):
    smooth = _paint(tmp_path, "smooth", "--tv-weight", "1e8")["image"]
    assert float(total_variation(smooth)) < 0.75 * float(total_variation(plain["image"]))


def test_alpha_and_beta_trade_the_content_cost_against_the_style_cost(tmp_path):
    photo_first = _paint(tmp_path, "photo-first", "--alpha", "1000", "--beta", "1")
    style_first = _paint(tmp_path, "style-first", "--alpha", "1", "--beta", "1000")
    costs = {name: (run["content"], run["style"]) for name, run in
             (("photo first", photo_first), ("style first", style_first))}
    assert photo_first["content"] < style_first["content"], costs
    assert style_first["style"] < photo_first["style"], costs


def test_existing_output_is_kept_unless_overwrite(tmp_path, capsys):
    out = tmp_path / "art.png"
    out.write_bytes(b"precious")
    assert main(["coffee.jpg", "swirls.png", "-o", str(out), "--reference", *TINY]) == 2
    assert "already exists" in capsys.readouterr().err and out.read_bytes() == b"precious"
    assert main(["coffee.jpg", "swirls.png", "-o", str(out), "--reference", *TINY, "--overwrite"]) == 0
    assert load_image(out).shape == load_image("coffee.jpg", size=48).shape


def test_errors_are_one_clear_line(tmp_path, capsys):
    out = str(tmp_path / "art.png")
    assert main(["coffee.jpg", "swirls.png", "-o", out, "--reference", *TINY, "--style-layers", "block9_conv1"]) == 2
    assert "Unknown VGG19 layer 'block9_conv1'" in capsys.readouterr().err
    assert main(["nope.jpg", "swirls.png", "-o", out, "--reference", *TINY]) == 2
    assert "nope.jpg" in capsys.readouterr().err
    assert main(["coffee.jpg", "swirls.png", "-o", str(tmp_path / "art.gif"), "--reference", *TINY]) == 2
    assert "suffix" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["coffee.jpg", "-o", out])  # no style image


def test_learners_notebooks_with_stubs_say_what_to_finish(tmp_path, capsys):
    code = main(["coffee.jpg", "swirls.png", "-o", str(tmp_path / "a.png"), *TINY,
                 "--notebooks", str(config.RELEASE_DIR)])
    err = capsys.readouterr().err
    assert code == 2
    assert "still stubs" in err and "01_content_cost.ipynb" in err and "04_total_cost_and_art.ipynb" in err
    assert not (tmp_path / "a.png").exists()


def test_completed_notebooks_drive_the_engine(tmp_path, capsys):
    # The source notebooks hold completed functions: the same loader a learner's copies go through.
    functions = load_engine_functions(config.SOURCE_DIR)
    assert set(functions) == {"compute_content_cost", "compute_style_cost", "total_cost", "train_step"}
    assert "train_step" not in load_engine_functions(config.SOURCE_DIR, train_step=False)  # L-BFGS
    mine, reference = tmp_path / "mine.png", tmp_path / "reference.png"
    assert main(["coffee.jpg", "swirls.png", "-o", str(mine), *TINY, "--notebooks", str(config.SOURCE_DIR)]) == 0
    assert main(["coffee.jpg", "swirls.png", "-o", str(reference), *TINY, "--reference"]) == 0
    # The same functions, found in the notebooks: the same painting.
    np.testing.assert_allclose(load_image(mine).numpy(), load_image(reference).numpy(), atol=1.5 / 255)


def test_missing_notebook_folder(tmp_path, capsys):
    assert main(["coffee.jpg", "swirls.png", "-o", str(tmp_path / "a.png"), "--notebooks", str(tmp_path / "none")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_module_runs_as_a_program(tmp_path, installed_python):
    # The installed student package, as a learner has it (conftest: installed_python), run in
    # a folder of completed notebooks (its default --notebooks; it has no --reference to use).
    out = tmp_path / "cli.png"
    env = installed_python.env(tmp_path / "home")
    work = shutil.copytree(config.SOURCE_DIR, tmp_path / "work")
    done = subprocess.run(
        [installed_python.python, "-m", "nst_utils.stylize", "rocket.jpg", "mosaic.png", "-o", str(out),
         "--size", "40x56", "--steps", "2", "--weights", "random", "--seed", "1"],
        capture_output=True, text=True, timeout=120, cwd=work, env=env,
    )
    assert done.returncode == 0, done.stderr
    assert "Saved" in done.stdout
    image = load_image(out)
    assert image.shape == (1, 40, 56, 3) and np.isfinite(image.numpy()).all()
