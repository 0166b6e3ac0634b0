"""Command line of the instructor tools: `python -m autograder COMMAND [options]`."""

from __future__ import annotations

import importlib
import sys

COMMANDS = {
    "release": ("autograder.release", "generate the student release and verify it"),
    "values": ("autograder.values", "recompute the public checks' expected values"),
    "score": ("autograder.score", "grade the notebooks of one submission (--json for JSON)"),
    "grade": ("autograder.grade", "autograde every submission of a course (--workers N)"),
    "feedback": ("autograder.feedback", "generate feedback for every graded submission"),
    "export": ("autograder.feedback", "export the gradebook to CSV (export --to grades.csv)"),
    "report": ("autograder.report", "score table, histogram and flagged submissions"),
    "samples": ("autograder.samples", "build the sample class (bank of graded submissions)"),
    "demo": ("autograder.demo", "release, grade the sample class, feedback, export, report"),
}


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] in {"-h", "--help"} or argv[0] not in COMMANDS:
        print("usage: python -m autograder COMMAND [options]\n\ncommands:")
        for name, (_module, summary) in COMMANDS.items():
            print(f"  {name:10s} {summary}")
        print("\n`python -m autograder COMMAND --help` describes each one.")
        return 0 if argv and argv[0] in {"-h", "--help"} else 2
    module = importlib.import_module(COMMANDS[argv[0]][0])
    if argv[0] == "export":
        return module.export_main(argv[1:])
    return module.main(argv[1:])


if __name__ == "__main__":
    raise SystemExit(main())
