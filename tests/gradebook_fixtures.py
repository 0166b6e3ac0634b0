"""Test support for the class-scale tests: a real PostgreSQL server, a tiny class,
and a stand-in for the grading of one notebook (where grading itself is not the point).

The server is Debian's PostgreSQL (``/usr/lib/postgresql/*/bin``, installed by
``.ci/run``), started in a temporary folder on 127.0.0.1 at a free port. initdb
and postgres refuse to run as root, so as root the server runs as the
``postgres`` account (or ``nobody``) through ``setpriv``.
"""

from __future__ import annotations

import contextlib
import glob
import hashlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from nst_utils import config
from prerequisites import require


def _bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    """A throw-away PostgreSQL server on the loopback, run as an unprivileged user."""

    def __init__(self, root: Path):
        self.bin = _bin_dir()
        self.root, self.port, self.process = root, _free_port(), None
        self.data = root / "data"
        self.user = None
        if os.geteuid() == 0:
            names = [n for n in ("postgres", "nobody") if _has_user(n)]
            self.user = names[0]
            shutil.chown(root, self.user)
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "grader", "--no-sync")
        self.start()
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "grader", "nst")

    @property
    def url(self) -> str:
        return f"postgresql://grader@127.0.0.1:{self.port}/nst"

    def _command(self, tool: str, *args: str) -> list[str]:
        argv = [str(self.bin / tool), *args]
        if not self.user:
            return argv
        account = pwd.getpwnam(self.user)  # setpriv execs: signals reach postgres itself
        return ["setpriv", f"--reuid={account.pw_uid}", f"--regid={account.pw_gid}",
                "--clear-groups", "--", *argv]

    def _run(self, tool: str, *args: str) -> None:
        result = subprocess.run(self._command(tool, *args), capture_output=True, text=True,
                                cwd=self.root, timeout=120)
        assert result.returncode == 0, result.stdout + result.stderr

    def start(self) -> None:
        self.process = subprocess.Popen(
            self._command("postgres", "-D", str(self.data), "-h", "127.0.0.1",
                          "-p", str(self.port), "-k", str(self.root), "-F"),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=self.root)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            ready = subprocess.run([str(self.bin / "pg_isready"), "-h", "127.0.0.1", "-p",
                                    str(self.port)], capture_output=True)
            if ready.returncode == 0:
                return
            assert self.process.poll() is None, "postgres exited while starting"
            time.sleep(0.2)
        raise TimeoutError("postgres did not start within 60 s")

    def stop(self) -> None:
        """Fast shutdown (SIGINT): clients are disconnected, the data stays."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(2)
            self.process.wait(timeout=60)


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


@contextlib.contextmanager
def postgres_server():
    require(_bin_dir() is not None,
            "PostgreSQL is not installed (apt-get install postgresql; .ci/run does)")
    root = Path(tempfile.mkdtemp(prefix="nst-pg-"))
    os.chmod(root, 0o755)
    server = None
    try:
        server = PostgresServer(root)
        yield server
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(root, ignore_errors=True)


# ------------------------------------------------------------------ a tiny class
def tiny_class(course: Path, students: dict[str, str | None]) -> Path:
    """``submitted/<student>/nst/`` with one placeholder per graded notebook and a timestamp."""
    for student, stamp in students.items():
        folder = course / "submitted" / student / config.ASSIGNMENT_ID
        folder.mkdir(parents=True, exist_ok=True)
        for name in sorted({e.notebook for e in config.EXERCISES}):
            (folder / name).write_text(f'{{"by": "{student}", "notebook": "{name}"}}\n')
        if stamp:
            (folder / "timestamp.txt").write_text(stamp + "\n")
    return course


def points(student: str, function: str, maximum: float) -> float:
    """A deterministic, varied score for a stand-in grading."""
    h = int(hashlib.sha256(f"{student}/{function}".encode()).hexdigest(), 16)
    return [0.0, maximum / 2, maximum][h % 3]


def fake_grade(task, assets):
    """Stand-in grader of one notebook (``cluster.run``'s ``grader``): nbgrader-shaped rows,
    no notebook run."""
    from autograder.grading.results import NotebookOutcome

    exercises = config.exercises_in(task.name)
    scores = {e.function: points(task.student, e.function, e.points) for e in exercises}
    delay = float(os.environ.get("NST_FAKE_GRADE_SECONDS", "0"))
    if delay:
        time.sleep(delay)
    return NotebookOutcome(
        task.student, task.name, {f: {"points": p} for f, p in scores.items()},
        sum(scores.values()), sum(e.points for e in exercises),
        rows={"grades": {f"test_{f}": [p, False] for f, p in scores.items()}, "comments": {}},
        autograded=task.notebook, seconds=0.01, host="test")


def table(url: str) -> dict:
    """The gradebook, keyed by (student, notebook, cell), plus each student's totals."""
    from autograder import gradebook

    cells, totals = {}, {}
    for row in gradebook.submissions(url):
        for (notebook, cell), score in row["cells"].items():
            cells[(row["student"], notebook, cell)] = score
        totals[row["student"]] = (row["raw_total"], row["late_penalty"], row["total"],
                                  row["timestamp"])
    return {"cells": cells, "totals": totals}
