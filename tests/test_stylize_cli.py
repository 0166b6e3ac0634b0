"""The command line, ``python -m nst_utils.stylize``, end to end on the shipped images (tiny runs)."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

from nst_utils import config
from nst_utils.images import load_image
from nst_utils.stylize import load_engine_functions, main

TINY = ["--size", "48", "--steps", "2", "--weights", "random", "--seed", "0", "--quiet"]


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
    assert out.exists()


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
    out = tmp_path / "mine.png"
    assert main(["coffee.jpg", "swirls.png", "-o", str(out), *TINY, "--notebooks", str(config.SOURCE_DIR)]) == 0
    assert out.exists()


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
