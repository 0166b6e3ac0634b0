"""Benchmark: grading a class with plain nbgrader versus `python -m autograder grade`.

    python bench/autograde.py [--students K] [--workers 2] [--also-serial]

A class of K submissions is taken from the sample bank (the reference and
valid alternatives, repeated as needed). The same class is graded

* by ``nbgrader autograde nst`` in one serial run (the baseline: the same
  graded notebooks, this course's configuration, nbgrader as it comes), and
* by ``python -m autograder grade --workers N`` (each notebook in its own
  private course, N at a time, nbgrader imported once; each submission's
  kernels forked by one sandbox that imports TensorFlow once:
  ``autograder/grading/kernels.py``);
* optionally by ``grade --workers 1`` as well (``--also-serial``).

Seconds per submission and the speed-up are printed; both runs must agree
on every score (they are compared, and a difference is an error).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from autograder.grading import jobs as grading  # noqa: E402
from autograder import samples  # noqa: E402
from autograder.feedback import rows  # noqa: E402
from nst_utils import config  # noqa: E402


def make_class(folder: Path, count: int) -> list[str]:
    # Honest, complete work only (the reference and valid alternatives): plain nbgrader
    # runs notebook 03 with the learner's own gram_matrix, so a wrong one there would
    # (rightly, for this course, wrongly) cost points twice and the scores would differ.
    full = dict(samples.POINTS)
    bank = [s for s in samples.build() if s.points == full and not s.flags]
    chosen = (bank * (count // len(bank) + 1))[:count]
    for index, sample in enumerate(chosen):
        sample.student = f"s{index:02d}-{sample.student}"
    samples.write(folder / "submitted", chosen)
    (folder / "submitted" / "expected.json").unlink()
    return [s.student for s in chosen]


def baseline(course: Path) -> float:
    """Plain `nbgrader autograde` over the whole class, serially."""
    template = grading.template_course()
    shutil.copytree(template / "source", course / "source")
    grading.copy_gradebook(template / "gradebook.db", course / "gradebook.db")
    grading.link_config(course)
    env = grading.course_env()
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "nbgrader", "autograde", config.ASSIGNMENT_ID,
                             "--create"], cwd=course, env=env, capture_output=True, text=True)
    seconds = time.monotonic() - started
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-3000:] + result.stderr[-3000:])
    return seconds


def ours(course: Path, workers: int) -> float:
    started = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "autograder", "grade", "--course", str(course),
                             "--workers", str(workers)], capture_output=True, text=True)
    seconds = time.monotonic() - started
    if result.returncode != 0:
        sys.stderr.write(result.stdout[-3000:] + result.stderr[-3000:])
    return seconds


def scores(course: Path) -> dict:
    _header, table = rows(course)
    return {r["student"]: {f: r.get(f) for f in config.GRADED_FUNCTIONS} for r in table}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--also-serial", action="store_true", help="also time grade --workers 1")
    args = parser.parse_args(argv)
    grading.template_course()  # built (or found in the cache) before any clock starts
    with tempfile.TemporaryDirectory(prefix="nst-bench-") as tmp:
        root = Path(tmp)
        runs = {}
        names = ["nbgrader autograde (serial)", f"grade --workers {args.workers}"]
        if args.also_serial:
            names.append("grade --workers 1")
        for name in names:
            folder = root / name.split()[0].replace("nbgrader", "baseline") / str(len(runs))
            folder.mkdir(parents=True)
            make_class(folder, args.students)
            if name.startswith("nbgrader"):
                seconds = baseline(folder)
            else:
                seconds = ours(folder, int(name.rsplit(" ", 1)[1]))
            runs[name] = (seconds, scores(folder))
            print(f"{name:32s} {seconds:7.1f} s   {seconds / args.students:6.1f} s per submission",
                  flush=True)
        base_seconds, base_scores = runs[names[0]]
        fast_seconds, fast_scores = runs[names[1]]
        print(f"speed-up of grade --workers {args.workers} over serial nbgrader: "
              f"{base_seconds / fast_seconds:.2f}x  ({args.students} submissions, "
              f"{os.cpu_count()} cores)")
        differ = {s for s in base_scores if base_scores[s] != fast_scores.get(s)}
        if differ:
            print("SCORES DIFFER for:", ", ".join(sorted(differ)))
            for student in sorted(differ):
                print(f"  {student}: nbgrader {base_scores[student]}  "
                      f"grade {fast_scores.get(student)}")
            return 1
        print("Both runs gave every student the same scores.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
