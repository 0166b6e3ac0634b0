"""Command line of the instructor tools: `python -m autograder COMMAND [options]`."""

from __future__ import annotations

import importlib
import sys

COMMANDS = {
    "release": ("autograder.release", "generate the student release and verify it"),
    "values": ("autograder.values", "recompute the public checks' expected values"),
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
    return module.main(argv[1:])


if __name__ == "__main__":
    raise SystemExit(main())
