"""The class at a glance: scores per exercise, a histogram, and what needs a human look.

    python -m autograder report [--course DIR] [--db URL] [--out DIR]

Prints (and writes to ``<out>/report.txt``, default ``<course>/report/``):

* a table of every student's points per exercise (from nbgrader's
  gradebook), any late penalty and the total that counts, with the class
  mean, and how many earned full marks; the late submissions;
* ``histogram.png``: the distribution of total scores;
* the flagged submissions, each problem with the exercise it concerns
  (tampering, restored or edited cells, time-outs, a dead kernel, memory,
  cut output, exceptions, missing notebooks), from ``grading/*.json``.
"""

from __future__ import annotations

import argparse
import sys
from functools import partial
from pathlib import Path

from autograder.cli import standalone
from autograder.grading.results import StudentRecord
from nst_utils import config

main = partial(standalone, __name__)  # main(argv=None) -> exit status: python -m autograder.<command>


def load_records(course: Path) -> dict[str, StudentRecord]:
    """Each graded student's record (``grading/<student>.json``); unreadable ones left out."""
    records = {}
    for path in sorted((course / "grading").glob("*.json")):
        record = StudentRecord.read(path)
        if record is not None:
            records[record.student or path.stem] = record
    return records


def flagged(records: dict[str, StudentRecord]) -> dict:
    """Student -> list of (exercise, kind, detail)."""
    return {student: [(f.exercise, f.kind, f.detail) for f in record.flags]
            for student, record in records.items() if record.flags}


def histogram(totals: list[float], maximum: float, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(figsize=(6, 3.5), dpi=100)
    bins = [x - 0.5 for x in range(int(maximum) + 2)]
    axes.hist(totals, bins=bins, color="#4c72b0", edgecolor="white")
    axes.set_xlabel(f"total score (out of {maximum:g})")
    axes.set_ylabel("students")
    axes.set_title(f"{config.ASSIGNMENT_ID}: {len(totals)} submissions")
    axes.set_xticks(range(int(maximum) + 1))
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    plt.close(figure)
    return path


def build(course: Path, out: Path, db: str | None = None) -> str:
    from autograder.export import rows

    header, table = rows(course, db)
    exercises = list(config.GRADED_FUNCTIONS)
    records = load_records(course)
    width = max([len("student")] + [len(r["student"]) for r in table]) + 2
    short = {f: f.replace("compute_", "")[:14] for f in exercises}
    lines = [f"Report for assignment '{config.ASSIGNMENT_ID}' ({len(table)} submissions)", ""]
    lines.append("student".ljust(width) + "".join(f"{short[f]:>16s}" for f in exercises)
                 + f"{'late':>9s}{'total':>9s}")
    for row in table:
        lines.append(row["student"].ljust(width)
                     + "".join(f"{(row.get(f) or 0):>16g}" for f in exercises)
                     + f"{-row['late_penalty'] if row['late_penalty'] else 0:>9g}{(row['total'] or 0):>9g}")
    if table:
        lines.append("-" * (width + 16 * len(exercises) + 18))
        lines.append("mean".ljust(width) + "".join(
            f"{sum((r.get(f) or 0) for r in table) / len(table):>16.2f}" for f in exercises)
            + f"{'':>9s}{sum((r['total'] or 0) for r in table) / len(table):>9.2f}")
        lines.append("full marks".ljust(width) + "".join(
            f"{sum(1 for r in table if (r.get(f) or 0) >= config.GRADED_FUNCTIONS[f][1]):>16d}"
            for f in exercises) + f"{'':>18s}")
        lines.append("out of".ljust(width) + "".join(
            f"{config.GRADED_FUNCTIONS[f][1]:>16g}" for f in exercises)
            + f"{'':>9s}{sum(p for _n, p in config.GRADED_FUNCTIONS.values()):>9g}")
    late = [r for r in table if r["hours_late"] > 0]
    if late:
        lines += ["", f"Late submissions: {len(late)} (due date with extensions)"]
        lines += [f"  {r['student']}: {r['hours_late']:g} h late, due {r['due']}, "
                  f"penalty {r['late_penalty']:g} of {r['raw_total']:g}" for r in late]
    maximum = sum(p for _n, p in config.GRADED_FUNCTIONS.values())
    png = histogram([float(r["total"] or 0) for r in table], maximum, out / "histogram.png")
    lines += ["", f"Histogram of totals: {png}", ""]
    unsafe = sorted(s for s, r in records.items() if r.unsandboxed)
    if unsafe:
        lines[1:1] = [f"WARNING: graded WITHOUT the kernel sandbox (--unsandboxed): "
                      f"{', '.join(unsafe)}", ""]
    problems = flagged(records)
    lines.append(f"Flagged submissions: {len(problems)}")
    for student, items in problems.items():
        lines.append(f"  {student}")
        for exercise, kind, detail in items:
            lines.append(f"    [{exercise or '-'}] {kind}: {detail}")
    ungraded = sorted({r["student"] for r in table} - set(records))
    if ungraded:
        lines.append("")
        lines.append("In the gradebook but without a grading record (graded outside "
                     "`python -m autograder grade`): " + ", ".join(ungraded))
    text = "\n".join(lines) + "\n"
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.txt").write_text(text, encoding="utf-8")
    return text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--course", type=Path, default=None,
                        help="course folder (default: $NST_COURSE_ROOT or ./course)")
    parser.add_argument("--db", default=None, metavar="URL",
                        help="gradebook URL (default: $NST_GRADEBOOK_URL, else <course>/gradebook.db)")
    parser.add_argument("--out", type=Path, default=None, help="default: <course>/report")


def command(args: argparse.Namespace) -> int:
    from autograder.gradebook import GradebookUnavailable
    from autograder.grade import default_course

    course = (args.course or default_course()).resolve()
    try:
        print(build(course, (args.out or course / "report").resolve(), args.db), end="")
    except GradebookUnavailable as error:
        print(f"report: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
