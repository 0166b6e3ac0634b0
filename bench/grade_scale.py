"""Benchmark: grading a class on one worker, a local Dask cluster, and a separate cluster.

    python bench/grade_scale.py [--submissions 60] [--stand-in SECONDS]

The sample class (``autograder.samples``) is replicated to ``--submissions``
students and graded three times, in one run:

(a) ``grade --workers 1``: the baseline;
(b) ``grade --workers 2``: a local Dask cluster of 2 workers inside the process;
(c) ``grade --scheduler ADDRESS``: ``dask scheduler`` and 2 ``dask worker``
    processes started on 127.0.0.1, as an instructor would on a real cluster.

For each: submissions per minute, the parallel efficiency against (a)
(``rate / workers / rate_a``; the goal is at least 0.85 with 2 workers), the
mean grading seconds per notebook measured on the workers, and the overhead
per notebook (wall time x workers - grading time, per notebook). The three
gradebooks must be identical cell by cell (an error otherwise).

``--stand-in S`` replaces the grading of each notebook by S seconds of sleep
with fixed scores: it measures the engine (Dask, the gradebook writer) alone,
without the notebooks; a full class takes about 15 s per submission per core.
"""

from __future__ import annotations

import argparse
import copy
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from autograder import gradebook, samples  # noqa: E402
from autograder.grading import cluster  # noqa: E402
from autograder.grading.jobs import template_course  # noqa: E402
from autograder.grade import grade  # noqa: E402


def make_class(folder: Path, count: int) -> str:
    """The sample class's submissions, repeated to ``count`` students; says which class."""
    try:
        bank = samples.build()
    except Exception as error:  # noqa: BLE001 - the bank being rebuilt: a simpler class
        return _two_kinds(folder, count, error)
    chosen = [copy.copy(s) for s in (bank * (count // len(bank) + 1))[:count]]
    for index, sample in enumerate(chosen):
        sample.student = f"s{index:03d}-{sample.student}"
    samples.write(folder / "submitted", chosen)
    (folder / "submitted" / "expected.json").unlink()
    return f"the sample bank ({len(bank)} submissions) repeated"


def _two_kinds(folder: Path, count: int, why: Exception) -> str:
    """Fallback class: the reference notebooks and the untouched release, alternately."""
    from nst_utils import config

    kinds = [config.SOURCE_DIR, config.RELEASE_DIR]
    for index in range(count):
        target = folder / "submitted" / f"s{index:03d}" / config.ASSIGNMENT_ID
        shutil.copytree(kinds[index % 2], target)
    return f"reference and untouched release alternately (sample bank unavailable: {why!r})"


def stand_in(seconds: float):
    """A grading stand-in: sleeps, then returns nbgrader-shaped full marks."""
    def grade_notebook(task, assets):
        from nst_utils import config

        from autograder.grading.results import NotebookOutcome

        time.sleep(seconds)
        mine = config.exercises_in(task.name)
        return NotebookOutcome(task.student, task.name, total=sum(e.points for e in mine),
                               rows={"grades": {e.test_cell: [e.points, False] for e in mine}},
                               seconds=seconds, host="stand-in")
    return grade_notebook


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_cluster(workers: int) -> tuple[str, list, float]:
    """``dask scheduler`` and ``workers`` single-threaded ``dask worker`` processes, ready.

    Returns the address, the processes and the seconds until every worker had
    loaded the course (a cost paid once per cluster, not per submission).
    """
    from distributed import Client

    started = time.monotonic()
    dask = str(Path(sys.executable).with_name("dask"))
    port = _free_port()
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL,
             "env": dict(os.environ, DASK_DISTRIBUTED__WORKER__DAEMON="False")}
    loopback = ["--host", "127.0.0.1", "--no-dashboard", "--dashboard-address", "127.0.0.1:0"]
    processes = [subprocess.Popen([dask, "scheduler", "--port", str(port), *loopback], **quiet)]
    processes += [subprocess.Popen([dask, "worker", f"tcp://127.0.0.1:{port}", "--nthreads", "1",
                                    *loopback], **quiet) for _ in range(workers)]
    address = f"tcp://127.0.0.1:{port}"
    with Client(address, timeout=120) as client:
        client.wait_for_workers(workers, timeout=300)
        client.run(cluster.fingerprint)
        client.run(cluster.sandbox_status)
    return address, processes, time.monotonic() - started


def cells(course: Path) -> dict:
    """The gradebook keyed by (student, notebook, cell), and each student's total."""
    table = {}
    for row in gradebook.submissions(gradebook.resolve_url(course)):
        table.update({(row["student"], *key): score for key, score in row["cells"].items()})
        table[(row["student"], "total")] = row["total"]
    return table


def measure(label: str, course: Path, workers: int, grader, **where) -> dict:
    started = time.monotonic()
    records = grade(course, workers=workers, grader=grader, quiet=True, **where)
    wall = time.monotonic() - started
    notebooks = sum(len(r.notebooks) for r in records.values())
    busy = sum(r.seconds for r in records.values())
    return {"label": label, "workers": workers, "wall": wall, "count": len(records),
            "rate": 60.0 * len(records) / wall, "per_notebook": busy / max(1, notebooks),
            "overhead": (wall * workers - busy) / max(1, notebooks), "cells": cells(course)}


def report(runs: list[dict]) -> str:
    base = runs[0]["rate"]
    lines = [f"{'configuration':44s}{'subs':>6s}{'wall s':>9s}{'subs/min':>10s}"
             f"{'efficiency':>12s}{'s/notebook':>12s}{'overhead s':>12s}"]
    for run in runs:
        efficiency = run["rate"] / run["workers"] / base
        lines.append(f"{run['label']:44s}{run['count']:>6d}{run['wall']:>9.1f}"
                     f"{run['rate']:>10.2f}{efficiency:>12.2f}{run['per_notebook']:>12.2f}"
                     f"{run['overhead']:>12.2f}")
    same = all(run["cells"] == runs[0]["cells"] for run in runs)
    lines.append(f"gradebooks identical cell by cell: {'yes' if same else 'NO'}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--submissions", type=int, default=60)
    parser.add_argument("--stand-in", type=float, default=None, metavar="SECONDS",
                        help="sleep this long per notebook instead of grading it")
    args = parser.parse_args(argv)
    grader = stand_in(args.stand_in) if args.stand_in is not None else None
    root = Path(tempfile.mkdtemp(prefix="nst-grade-scale-"))
    made = make_class(root / "a", args.submissions)
    for name in ("b", "c"):
        shutil.copytree(root / "a", root / name)
    template_course()  # built once (cached on disk) before anything is timed
    runs = [measure("(a) --workers 1", root / "a", 1, grader),
            measure("(b) local Dask cluster, 2 workers in-process", root / "b", 2, grader)]
    address, processes, warm_up = start_cluster(2)
    cluster.fingerprint.cache_clear()  # the course as these workers read it
    try:
        runs.append(measure("(c) scheduler + 2 worker processes", root / "c", 2, grader,
                            scheduler=address))
    finally:
        for process in processes:
            process.terminate()
    kind = f"stand-in grading, {args.stand_in:g} s per notebook" if grader else "real grading"
    print(f"{args.submissions} submissions ({made}), {kind}, {os.cpu_count()} CPUs")
    text = report(runs)
    print(text)
    print(f"(c)'s cluster took {warm_up:.1f} s to start and load the course (not counted above)")
    shutil.rmtree(root, ignore_errors=True)
    return 0 if "identical cell by cell: yes" in text else 1


if __name__ == "__main__":
    raise SystemExit(main())
