"""Benchmark: a class day on the hub, from the deadline until every student can read their feedback.

    sudo .venv/bin/python bench/class_day.py [--students 40] [--workers 2] [--work solved|release]

A class of N students (real Unix accounts) on a real JupyterHub
(:class:`autograder.hub.classroom.Classroom`). Each student fetches ``nst``
through nbgrader's exchange and puts their work in place (``solved``: the
reference solutions, so every graded check runs; ``release``: the untouched
release, the cheapest to grade). At the deadline all of them hand in at the
same moment, as themselves, through nbgrader's submit (the code the
Assignments tab calls). Then the instructor, as a terminal in their server
would: ``nbgrader collect``, ``python -m autograder grade --workers W``,
``python -m autograder feedback``, ``nbgrader release_feedback``; and every
student fetches their feedback.

It prints where the time goes, the time from the deadline until every
student's feedback can be fetched, hand-ins per minute over that time, and the
submissions lost (a student whose collected submission is not the one they
handed in, or who got no feedback): it must be 0. The baseline, in the same
run, is nbgrader's own collect of the same exchange (which trusts the
students' timestamps and only warns about owners) beside the course's.
"""

from __future__ import annotations

import argparse
import json
import secrets
import shutil
import string
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from autograder import samples  # noqa: E402
from autograder.hub.classroom import Classroom  # noqa: E402
from autograder.hub.crowd import Crowd, markers_in  # noqa: E402
from nst_utils import config  # noqa: E402

ROOT = Path("/tmp/nst-class-day")
PREFIX_FAMILY = "nstb"


def _run(room, argv: list[str], what: str, times: dict) -> str:
    started = time.monotonic()
    done = room.instructor(argv)
    times[what] = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(f"{what} failed:\n{done.stdout[-3000:]}")
    return done.stdout


def _baseline_collect(room, times: dict) -> None:
    """nbgrader's own collect of the same exchange, into a scratch course."""
    scratch = Path(room.plan.course).parent / "baseline-course"
    room.instructor(["python", "-c", f"import os; os.makedirs({str(scratch)!r}, exist_ok=True)"])
    _run(room, ["nbgrader", "collect", "--update", config.ASSIGNMENT_ID,
                f"--CourseDirectory.root={scratch}",
                "--ExchangeFactory.collect=nbgrader.exchange.default.ExchangeCollect"],
         "baseline: nbgrader's own collect", times)


PAINT = r"""
import os, time
os.chdir(os.path.expanduser("~/nst-course/nst"))
from nst_utils import config
from nst_utils.notebook_import import import_functions
from nst_utils.transfer import style_transfer
content_cost = import_functions("01_content_cost.ipynb", "compute_content_cost")
style_cost = import_functions("03_style_cost.ipynb", "compute_style_cost")
total_cost, train_step = import_functions("04_total_cost_and_art.ipynb", "total_cost", "train_step")
started = time.monotonic()
style_transfer(config.DEFAULT_CONTENT_IMAGE, config.DEFAULT_STYLE_IMAGE,
               compute_content_cost=content_cost, compute_style_cost=style_cost,
               total_cost=total_cost, train_step=train_step, steps={steps}, seed=0)
print("seconds", time.monotonic() - started)
"""


def _memory_file(room, name: str, what: str) -> Path:
    folder = next(Path(f) for f in room.server(name)["state"]["cgroups"] if "/memory/" in f)
    return folder / {"usage": "memory.usage_in_bytes", "peak": "memory.max_usage_in_bytes"}[what]


def capacity(room, name: str, steps: int = 20) -> dict:
    """One student's server: memory idle, and while painting at the notebooks' size."""
    from autograder.hub.client import assignments, put_notebook, run_code

    room.spawn(name)
    token = room.token(name)
    server = f"{room.plan.url}/user/{name}/"
    assignments(server, token, "fetch", config.COURSE_ID, config.ASSIGNMENT_ID)
    for filename, notebook in samples.Builder().filled().items():
        put_notebook(server, token, f"{config.COURSE_ID}/{config.ASSIGNMENT_ID}/{filename}",
                     notebook)
    idle = int(_memory_file(room, name, "usage").read_text())
    _memory_file(room, name, "peak").write_text("0")
    said = run_code(server, token, PAINT.format(steps=steps))
    seconds = float(said.split("seconds", 1)[1]) if "seconds" in said else float("nan")
    peak = int(_memory_file(room, name, "peak").read_text())
    room.api("DELETE", f"users/{name}/server")
    return {"idle_mb": idle / 2**20, "painting_peak_gb": peak / 2**30,
            "seconds_per_step": seconds / steps, "cpus": room.plan.student_limits["cpus"],
            "said": said[-300:]}


def lost(room, students: list[str], feedback: dict[str, int]) -> list[str]:
    """Students whose collected submission is not their hand-in, or who got no feedback."""
    missing = []
    pages = len({e.notebook for e in config.EXERCISES})
    for name in students:
        folder = Path(room.plan.course) / "submitted" / name / config.ASSIGNMENT_ID
        found = [m for p in sorted(folder.glob("*.ipynb")) for m in markers_in(p.read_text())]
        if found != [f"{name}-r0"] * len(config.NOTEBOOKS) or feedback.get(name) != pages:
            missing.append(name)
    return missing


def class_day(students: int, workers: int, work: str, measure_capacity: bool = False) -> dict:
    ROOT.mkdir(mode=0o755, exist_ok=True)
    prefix = PREFIX_FAMILY + "".join(secrets.choice(string.ascii_lowercase) for _ in range(3)) + "-"
    from autograder.hub import accounts

    accounts.remove_leftovers(PREFIX_FAMILY)
    room = Classroom(ROOT / prefix, prefix=prefix, students=students)
    times: dict[str, float] = {}
    try:
        started = time.monotonic()
        room.setup()
        room.start()
        room.spawn(room.plan.instructor)
        _run(room, ["nbgrader", "release_assignment", config.ASSIGNMENT_ID], "release", times)
        times["set-up (accounts, environment, hub, release)"] = time.monotonic() - started
        probe = capacity(room, room.plan.students[0]) if measure_capacity else None
        work_file = None
        if work == "solved":
            work_file = Path(room.plan.root) / "work.json"
            work_file.write_text(json.dumps(samples.Builder().filled()))
            work_file.chmod(0o644)
        crowd = Crowd(room, room.plan.students[1:] if probe else room.plan.students, work_file)
        started = time.monotonic()
        crowd.start()
        times["students fetch"] = time.monotonic() - started
        deadline = time.monotonic()
        handed = crowd.go()
        times["hand-in (all at once)"] = time.monotonic() - deadline
        failed = [h.student for h in handed if not h.submitted]
        _run(room, ["nbgrader", "collect", "--update", config.ASSIGNMENT_ID], "collect", times)
        _run(room, ["python", "-m", "autograder", "grade", "--course", room.plan.course,
                    "--workers", str(workers)], "grade", times)
        _run(room, ["python", "-m", "autograder", "feedback", "--course", room.plan.course],
             "generate feedback", times)
        _run(room, ["nbgrader", "release_feedback", config.ASSIGNMENT_ID], "release feedback",
             times)
        started = time.monotonic()
        feedback = crowd.fetch_feedback()
        times["students fetch feedback"] = time.monotonic() - started
        total = started - deadline
        crowd.close()
        _baseline_collect(room, times)
        gone = sorted(set(failed) | set(lost(room, crowd.students, feedback)))
        return {"students": len(crowd.students), "workers": workers, "work": work,
                "times": times, "deadline_to_feedback_s": total, "lost": gone,
                "hand_ins_per_minute": len(crowd.students) / (total / 60), "capacity": probe}
    finally:
        room.teardown()
        shutil.rmtree(ROOT / prefix, ignore_errors=True)


def report(result: dict) -> str:
    lines = [f"class day: {result['students']} students ({result['work']} work), "
             f"grading with {result['workers']} worker(s)"]
    for what, seconds in result["times"].items():
        lines.append(f"  {what:<46} {seconds:8.1f} s")
    lines += [f"  {'deadline -> every feedback fetchable':<46} "
              f"{result['deadline_to_feedback_s']:8.1f} s",
              f"  hand-ins per minute over that time: {result['hand_ins_per_minute']:.1f}",
              f"  grading: {result['times']['grade'] / result['students']:.1f} s per submission",
              f"  submissions lost: {len(result['lost'])}"
              + (f"  {result['lost']}" if result["lost"] else "")]
    probe = result.get("capacity")
    if probe:
        lines.append(f"  one student's server: {probe['idle_mb']:.0f} MB idle; painting at the "
                     f"notebooks' size: {probe['painting_peak_gb']:.2f} GB at peak, "
                     f"{probe['seconds_per_step']:.2f} s per step on {probe['cpus']} core(s)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--work", choices=("solved", "release"), default="solved")
    parser.add_argument("--capacity", action="store_true",
                        help="first measure one student's server: memory idle and while "
                             "painting (that student then sits the hand-in out)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    result = class_day(args.students + (1 if args.capacity else 0), args.workers, args.work,
                       args.capacity)
    print(report(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n")
    return 0 if not result["lost"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
