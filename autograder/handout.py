"""A handout for a class without a hub: the student notebooks and the student package in one zip.

    python -m autograder handout --out nst-handout.zip

The zip holds one folder, ``nst-course/``: the six student notebooks as
released, the student wheel (``nst_utils`` with the course images: no
solution, nothing of the grader) and ``README.txt``, which gives learners the
one command that installs it. Their work, weights and pictures then stay in
that folder or their own per-user folders; nothing needs this repository.
"""

from __future__ import annotations

import argparse
import tempfile
import zipfile
from functools import partial
from pathlib import Path

from autograder.cli import standalone
from autograder.distribution import BuildError, build_student_package
from autograder.release import verify
from nst_utils import config

main = partial(standalone, __name__)  # main(argv=None) -> exit status: python -m autograder.<command>

FOLDER = "nst-course"

README = """\
Neural Style Transfer: a graded course
======================================

1. Install the course's package (Python 3.11 or 3.12; one command, in this folder):

       python -m pip install "./{wheel}[tensorflow,lab]"

   Already have TensorFlow (conda, a GPU build)? Leave out "tensorflow,":
       python -m pip install "./{wheel}[lab]"

2. Open the notebooks here and work through them in order, 00 to 05:

       jupyter lab

Each graded function is followed by a check cell that says what is right or wrong.
Keep the notebooks together in this folder: later ones import your functions
from the earlier ones. Without the pretrained VGG19 weights everything runs on an
offline network (a notice says so); `python -m nst_utils.weights fetch` downloads
the real ones (80 MB). Pictures are saved in a per-user folder the notebooks name,
or in the folder named by the NST_HOME environment variable.
"""


def write_handout(out: Path) -> Path:
    """Write the handout zip to ``out``; return its path."""
    problems = verify(config.RELEASE_DIR)
    if problems:
        raise SystemExit("The release is not fit to hand out: " + "; ".join(problems)
                         + ". Run `python -m autograder release` first.")
    with tempfile.TemporaryDirectory(prefix="nst-handout-") as tmp:
        wheel = build_student_package(Path(tmp)).wheel
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name in config.NOTEBOOKS:
                archive.write(config.RELEASE_DIR / name, f"{FOLDER}/{name}")
            archive.write(wheel, f"{FOLDER}/{wheel.name}")
            archive.writestr(f"{FOLDER}/README.txt", README.format(wheel=wheel.name))
    return out


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", type=Path, default=Path("nst-handout.zip"),
                        help="the zip to write (default nst-handout.zip)")


def command(args: argparse.Namespace) -> int:
    try:
        path = write_handout(args.out)
    except BuildError as error:
        print(error)
        return 1
    print(f"Wrote {path}: the student notebooks and the student package; learners unzip it "
          "and follow its README.txt.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
