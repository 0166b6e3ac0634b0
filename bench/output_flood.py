"""Benchmark: the grading process's peak memory, and what it writes, while a kernel floods it.

    python bench/output_flood.py [--seconds 5,20]

A private course (this course's configuration, sandboxed kernels) gets one
submission of notebook 02 per case, each graded by plain ``nbgrader
autograde`` in a process of its own, then given feedback:

* ``quiet``: the reference solution (the baseline, in the same run);
* ``stdout S``: the same, whose solution cell then prints 100 kB lines for
  S seconds as fast as it can;
* ``display S``: the same, displaying 200 kB outputs (text and an image)
  for S seconds.

For each case it prints the peak resident memory of the grading process
(nbgrader, where every kernel message is read: ``ru_maxrss``, the kernel not
included) and its excess over the baseline, the size of the graded notebook
and of the feedback page, the exercise's score and the wall time. Bounded
output means the peak and the sizes do not grow with S: compare two values
of ``--seconds``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from autograder import gradebook, samples  # noqa: E402
from autograder.grading import template
from autograder.grading.nbgrader_run import course_env, link_config  # noqa: E402
from nst_utils import config  # noqa: E402

NOTEBOOK = "02_gram_matrix.ipynb"
FLOODS = {
    "stdout": ("import time\n_end = time.time() + {seconds}\nwhile time.time() < _end:\n"
               "    print('x' * 100_000)\n"),
    "display": ("import time\nfrom IPython.display import display\n"
                "_end = time.time() + {seconds}\nwhile time.time() < _end:\n"
                "    display({{'text/plain': 'y' * 100_000, 'image/png': 'A' * 100_000}}, "
                "raw=True)\n"),
}
#: Runs nbgrader in this process and reports the process's own peak memory.
MEASURED = ("import os, resource, sys\n"
            "from nbgrader.apps.nbgraderapp import NbGraderApp\n"
            "code = 0\n"
            "try:\n"
            "    NbGraderApp.launch_instance(argv=sys.argv[1:])\n"
            "except SystemExit as exit:\n"
            "    code = exit.code if isinstance(exit.code, int) else 0\n"
            "sys.stdout.flush(); sys.stderr.flush()\n"
            "print('PEAK_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, flush=True)\n"
            "os._exit(code)\n")


def cases(durations: list[float]) -> dict[str, str]:
    """Student name -> the code after the reference gram_matrix in their solution cell."""
    found = {"quiet": ""}
    for seconds in durations:
        for kind, code in FLOODS.items():
            found[f"{kind}-{seconds:g}s"] = code.format(seconds=seconds)
    return found


def make_course(root: Path, students: dict[str, str]) -> Path:
    course = root / "course"
    gradebook.prepare(course, f"sqlite:///{course / 'gradebook.db'}", template.template_course())
    builder = samples.Builder()
    for student, flood in students.items():
        notebook = builder.filled({"gram_matrix": builder.correct["gram_matrix"] + "\n" + flood})
        folder = course / "submitted" / student / config.ASSIGNMENT_ID
        folder.mkdir(parents=True)
        (folder / NOTEBOOK).write_text(json.dumps(notebook[NOTEBOOK], indent=1), encoding="utf-8")
    link_config(course)
    return course


def nbgrader(course: Path, *args: str) -> tuple[int, str]:
    """Run nbgrader in ``course``; its peak resident memory (kB) and its output."""
    env = course_env()
    env.pop("NST_UNSANDBOXED", None)
    env.pop("NST_GRADEBOOK_URL", None)
    done = subprocess.run([sys.executable, "-c", MEASURED, *args], cwd=course, env=env,
                          capture_output=True, text=True)
    peaks = [line.split()[1] for line in done.stdout.splitlines() if line.startswith("PEAK_KB")]
    if done.returncode != 0 or not peaks:
        raise SystemExit(f"nbgrader {' '.join(args)} failed:\n{done.stdout[-3000:]}"
                         f"{done.stderr[-3000:]}")
    return int(peaks[0]), done.stdout + done.stderr


def score(course: Path, student: str) -> float:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return gb.find_submission_notebook(Path(NOTEBOOK).stem, config.ASSIGNMENT_ID,
                                           student).score


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", default="5,20",
                        help="flood durations to compare, comma-separated (default 5,20)")
    args = parser.parse_args(argv)
    durations = [float(x) for x in args.seconds.split(",") if x.strip()]
    root = Path(tempfile.mkdtemp(prefix="nst-flood-"))
    try:
        students = cases(durations)
        course = make_course(root, students)
        rows = []
        for student in students:
            started = time.monotonic()
            peak, _log = nbgrader(course, "autograde", config.ASSIGNMENT_ID, "--student", student)
            seconds = time.monotonic() - started
            graded = course / "autograded" / student / config.ASSIGNMENT_ID / NOTEBOOK
            rows.append([student, peak, graded.stat().st_size, score(course, student), seconds])
        nbgrader(course, "generate_feedback", config.ASSIGNMENT_ID)
        baseline = rows[0][1]
        print(f"{'case':14s} {'peak MiB':>9s} {'over quiet':>10s} {'graded nb':>10s} "
              f"{'feedback':>9s} {'score':>5s} {'wall s':>6s}")
        for student, peak, size, points, seconds in rows:
            page = course / "feedback" / student / config.ASSIGNMENT_ID / \
                NOTEBOOK.replace(".ipynb", ".html")
            print(f"{student:14s} {peak / 1024:9.0f} {(peak - baseline) / 1024:+10.0f} "
                  f"{size / 1024:8.0f}kB {page.stat().st_size / 1024:7.0f}kB {points:5g} "
                  f"{seconds:6.1f}")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
