"""The one way an instructor command is declared and parsed.

Each command module (``autograder/grade.py``, ``values.py``, …) exposes
``add_arguments(parser)`` and ``command(args) -> int``; ``python -m autograder
COMMAND`` builds a subparser from them, and ``python -m autograder.COMMAND``
builds the same parser through the module's own ``main = partial(standalone,
__name__)`` (:func:`standalone`).
Parsing never does any work, so ``--help`` never has a side effect.
"""

from __future__ import annotations

import argparse
import sys


def new_parser(prog: str, module) -> argparse.ArgumentParser:
    """A parser for ``module``: its docstring as description, its own arguments."""
    parser = argparse.ArgumentParser(prog=prog, description=module.__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    module.add_arguments(parser)
    return parser


def standalone(module_name: str, argv: list[str] | None = None) -> int:
    """``main(argv)`` of a command module: parse its arguments, then run it."""
    module = sys.modules[module_name]
    command = module_name.rsplit(".", 1)[-1]
    if command == "__main__":
        command = sys.argv[0].rsplit("/", 1)[-1].removesuffix(".py")
    parser = new_parser(f"python -m autograder {command}", module)
    return module.command(parser.parse_args(argv))
