"""Grade the notebooks of one submission, exactly as the class is graded.

    python -m autograder score 01_content_cost.ipynb 02_gram_matrix.ipynb
    python -m autograder score notebooks/release/nst/*.ipynb --json

The files are copied into a private, temporary nbgrader course and graded by
``nbgrader autograde`` with this course's configuration; the originals are
only read. The exit status is 0 whatever the score (2 for unusable
arguments). Learners can use it on their own work too.

With ``--json`` one JSON object is printed::

    {"notebooks": [{"notebook": "01_content_cost.ipynb",
                    "exercises": {"compute_content_cost": {"points": 2.0, "max_points": 2.0}},
                    "total": 2.0, "max_total": 2.0, "flags": [], "errors": []}, ...]}

``flags`` lists anything suspicious or broken (tampering, restored cells,
time-outs, a dead kernel), each naming the exercise it concerns; ``errors``
lists the errors raised in graded cells.
"""

from __future__ import annotations

import argparse
import json
import sys
from functools import partial
from pathlib import Path

from autograder.cli import standalone
from autograder.grading.jobs import GradingFailure, autograde_one

main = partial(standalone, __name__)  # main(argv=None) -> exit status: python -m autograder.<command>


def format_text(result) -> str:
    lines = []
    for nb in result.notebooks:
        lines.append(f"{nb.notebook}: {nb.total:g} / {nb.max_total:g}")
        for function, score in nb.exercises.items():
            lines.append(f"    {function:26s} {score['points']:g} / {score['max_points']:g}")
        for error in nb.errors:
            lines.append(f"    error in {error['cell']}: {error['ename']}: {error['evalue'][:160]}")
        for flag in nb.flags:
            lines.append(f"    FLAG [{flag.exercise}] {flag.kind}: {flag.detail}")
    total = sum(n.total for n in result.notebooks)
    most = sum(n.max_total for n in result.notebooks)
    lines.append(f"total: {total:g} / {most:g}   ({result.seconds:.1f} s)")
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("notebooks", nargs="+", type=Path, help="the submission's notebooks")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def command(args: argparse.Namespace) -> int:
    names = [p.name for p in args.notebooks]
    problems = [f"{p}: not a file" for p in args.notebooks if not p.is_file()]
    problems += [f"{p}: not a .ipynb notebook" for p in args.notebooks if p.suffix != ".ipynb"]
    if len(set(names)) != len(names):
        problems.append("two notebooks share a file name")
    if problems:
        for problem in problems:
            print("score:", problem, file=sys.stderr)
        return 2
    try:
        result = autograde_one(list(args.notebooks), options=_sandbox_or_say_why())
    except GradingFailure as failure:
        print(f"score: {failure}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps({"notebooks": [nb.as_json() for nb in result.notebooks]}))
    else:
        print(format_text(result))
    return 0


def _sandbox_or_say_why():
    """The grader's settings for one's own work, which may run without the sandbox: it
    says so when it does."""
    from autograder import sandbox, settings

    options = settings.load()
    available, reason = sandbox.sandbox_available()
    if not available and not options.unsandboxed:
        options.unsandboxed = True
        print(f"score: no sandbox on this machine ({reason}); your notebooks run without one. "
              "That is fine for your own work; never grade other people's work this way.",
              file=sys.stderr)
    return options


if __name__ == "__main__":
    raise SystemExit(main())
