"""A class on a real JupyterHub on this machine, until you press Ctrl-C.

    sudo .venv/bin/python -m autograder hub [--students 3] [--prefix nst-] [--port 8000]
                                             [--root /srv/nst-class]

Makes one instructor account (PREFIXgrader) and N student accounts
(PREFIXs01 ...) with 0700 homes, the students' shared environment (built once,
a few minutes, then reused), the instructor's nbgrader course, nbgrader's
exchange, then starts the proxy and JupyterHub on 127.0.0.1:PORT and prints
the address and every account's password. Each user's server runs as that
user, capped by cgroups; students' servers see only what they need.

Ctrl-C (or SIGTERM) stops the servers, the hub and the proxy, and removes the
accounts and ROOT: everything a class run made. A run that was killed leaves
them; the next run with the same prefix removes them first. Needs root,
Node.js (the proxy, installed by `make setup` into autograder/hub/proxy/)
and the system's Python 3.11 (python3.11-venv).
"""

from __future__ import annotations

import argparse
import signal
import sys
from functools import partial
from pathlib import Path

from autograder.cli import standalone

main = partial(standalone, __name__)  # main(argv=None) -> exit status: python -m autograder.<command>


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--students", type=int, default=3, help="student accounts (default 3)")
    parser.add_argument("--prefix", default="nst-",
                        help="prefix of the accounts' names (default nst-)")
    parser.add_argument("--port", type=int, default=8000,
                        help="the class's port on 127.0.0.1 (default 8000)")
    parser.add_argument("--root", type=Path, default=Path("/srv/nst-class"),
                        help="the class's folder: homes, exchange, hub state "
                             "(default /srv/nst-class; removed when the hub stops)")


def _wait_for_stop() -> None:
    def stop(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        signal.pause()
    except KeyboardInterrupt:
        pass


def command(args: argparse.Namespace) -> int:
    from autograder.hub.accounts import AccountError
    from autograder.hub.classroom import ClassError, Classroom
    from autograder.hub.environments import EnvironmentError_
    from autograder.hub.processes import HubError

    room = Classroom(args.root, prefix=args.prefix, students=args.students, port=args.port)
    try:
        room.setup()
        room.start()
    except ClassError as error:  # said before anything was made
        print(f"hub: {error}", file=sys.stderr)
        return 2
    except (AccountError, EnvironmentError_, HubError) as error:
        print(f"hub: {error}", file=sys.stderr)
        room.teardown()  # what this run made
        return 2
    except BaseException:
        room.teardown()
        raise
    try:
        print(f"\nThe class is at {room.plan.url}/  (127.0.0.1 only; Ctrl-C stops it and "
              f"removes its accounts and {args.root})\nAccounts and passwords:\n"
              f"{room.accounts_text()}\n", flush=True)
        _wait_for_stop()
    finally:
        print("stopping the class ...", flush=True)
        room.teardown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
