"""Command line of the instructor tools: `python -m autograder COMMAND [options]`.

Every command answers ``--help`` without doing anything else; only the
module of the command asked for is imported.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys

from autograder import cli

#: Command -> (module that implements it, one-line summary).
COMMANDS = {
    "release": ("autograder.release", "generate the student release and verify it"),
    "handout": ("autograder.handout", "a zip for learners: the student notebooks and the student package"),
    "values": ("autograder.values", "recompute the public checks' expected values"),
    "score": ("autograder.score", "grade the notebooks of one submission (--json for JSON)"),
    "grade": ("autograder.grade", "autograde every submission of a course (local or Dask cluster)"),
    "feedback": ("autograder.feedback", "generate feedback for every graded submission"),
    "export": ("autograder.export", "export the gradebook to CSV (export --to grades.csv)"),
    "report": ("autograder.report", "score table, histogram and flagged submissions"),
    "db": ("autograder.db", "the class gradebook: where it is, copy it to PostgreSQL, extensions"),
    "samples": ("autograder.samples", "build the sample class (bank of graded submissions)"),
    "demo": ("autograder.demo", "release, grade the sample class, feedback, export, report"),
    "sandbox": ("autograder.sandbox", "the grading kernel's sandbox (see its --help)"),
    "config": ("autograder.settings", "the grader's settings: each value and where it came from"),
    "hub": ("autograder.hub.command", "a class on a real JupyterHub on this machine (as root)"),
}


def top_parser(chosen: str | None):
    """The parser of ``python -m autograder``; only ``chosen`` gets its full arguments."""
    parser = argparse.ArgumentParser(
        prog="python -m autograder", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="`python -m autograder COMMAND --help` describes each command.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, (module_name, summary) in COMMANDS.items():
        if name != chosen:
            commands.add_parser(name, help=summary)
            continue
        module = importlib.import_module(module_name)
        sub = commands.add_parser(name, help=summary, description=module.__doc__,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
        module.add_arguments(sub)
        sub.set_defaults(command_of=module.command)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    chosen = argv[0] if argv and argv[0] in COMMANDS else None
    if chosen is not None:
        try:
            module = importlib.import_module(COMMANDS[chosen][0])
        except ModuleNotFoundError as error:
            print(f"python -m autograder {chosen}: {COMMANDS[chosen][0]} cannot be loaded "
                  f"({error}); this installation lacks it: update the course package.",
                  file=sys.stderr)
            return 2
        if not hasattr(module, "add_arguments"):  # a command that parses its own arguments
            return module.main(argv[1:])
    args = top_parser(chosen).parse_args(argv)
    return args.command_of(args)


def exit_now(code: int) -> None:
    """End the command once its work is done and written, skipping the interpreter's
    teardown: TensorFlow's and Dask's take 2-3 s, longer than grading one notebook.

    Only a command that returned reaches here (an exception ends the normal way,
    with its traceback); every file it wrote is closed by then, and the streams
    and log handlers are flushed first, so nothing is lost.
    """
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code if isinstance(code, int) else 1)


if __name__ == "__main__":
    exit_now(main())
