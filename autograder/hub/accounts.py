"""The class's Unix accounts: one instructor (grader) and N students.

Every account this module makes carries a mark in its comment field (GECOS):
``nst-course class account, pid N`` where N is the process that made it. Only
accounts with that mark are ever removed, so a name prefix that happens to
match someone else's accounts deletes nothing of theirs. Accounts whose maker
is gone are leftovers of a run that was killed: the next run removes them
before it starts (:func:`remove_leftovers`).

Homes are 0700 and live in the class's own folder, so removing the class
removes every file its users wrote.
"""

from __future__ import annotations

import os
import pwd
import re
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

MARK = "nst-course class account"
_VALID = re.compile(r"^[a-z_][a-z0-9_-]{0,23}$")


class AccountError(RuntimeError):
    """An account could not be made or removed (the message says what to do)."""


@dataclass(frozen=True)
class Account:
    name: str
    uid: int
    gid: int
    home: Path
    role: str  # "instructor" or "student"


def names(prefix: str, students: int) -> tuple[str, list[str]]:
    """The instructor's name and the students' names for a class with ``prefix``."""
    width = max(2, len(str(students)))
    grader = f"{prefix}grader"
    pupils = [f"{prefix}s{i:0{width}d}" for i in range(1, students + 1)]
    for name in [grader, *pupils]:
        if not _VALID.match(name):
            raise AccountError(f"{name!r} is not a usable Unix user name: use a prefix of "
                               "lower-case letters, digits, '-' or '_' (at most 16 characters)")
    return grader, pupils


def _marked(entry: pwd.struct_passwd) -> int | None:
    """The pid in an account's mark, or None when the account is not ours."""
    match = re.match(rf"^{re.escape(MARK)}, pid (\d+)", entry.pw_gecos)
    return int(match.group(1)) if match else None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def ours(prefix: str) -> list[pwd.struct_passwd]:
    """Accounts with this prefix that carry our mark."""
    return [e for e in pwd.getpwall() if e.pw_name.startswith(prefix) and _marked(e) is not None]


def create(name: str, home: Path, role: str) -> Account:
    """A new account with a private (0700) home; refuses a name that already exists."""
    try:
        pwd.getpwnam(name)
    except KeyError:
        pass
    else:
        raise AccountError(f"the user {name} already exists and is not a leftover of a class "
                           "run: choose another prefix")
    home.parent.mkdir(parents=True, exist_ok=True)
    made = subprocess.run(["useradd", "--create-home", "--home-dir", str(home), "--user-group",
                           "--shell", "/bin/bash", "--comment", f"{MARK}, pid {os.getpid()}",
                           name], capture_output=True, text=True)
    if made.returncode != 0:
        raise AccountError(f"useradd {name} failed: {made.stderr.strip()}")
    home.chmod(0o700)
    entry = pwd.getpwnam(name)
    return Account(name, entry.pw_uid, entry.pw_gid, home, role)


def _kill_processes_of(uid: int) -> None:
    """SIGKILL every process running as ``uid`` (a class account: all of them are the class's)."""
    for _ in range(20):
        found = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                if entry.stat().st_uid == uid:
                    found.append(int(entry.name))
            except OSError:
                continue
        if not found:
            return
        for pid in found:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.1)  # let the kernel reap them before looking again


def remove(entry: pwd.struct_passwd) -> None:
    """Remove one of our accounts: its processes, the account, its home."""
    if _marked(entry) is None:
        raise AccountError(f"{entry.pw_name} is not a class account; it is left alone")
    _kill_processes_of(entry.pw_uid)
    gone = subprocess.run(["userdel", "--remove", entry.pw_name], capture_output=True, text=True)
    if gone.returncode not in (0, 12):  # 12: the home could not be removed (already gone)
        raise AccountError(f"userdel {entry.pw_name} failed: {gone.stderr.strip()}")


def remove_all(prefix: str) -> int:
    """Remove every account of ours with this prefix (the end of a class); how many."""
    found = ours(prefix)
    for entry in found:
        remove(entry)
    return len(found)


def remove_leftovers(prefix: str) -> int:
    """Remove our accounts whose name starts with ``prefix`` and whose maker is gone."""
    found = [e for e in ours(prefix) if not _alive(_marked(e))]
    for entry in found:
        remove(entry)
    return len(found)


def in_use(prefix: str) -> list[int]:
    """Live processes (other than this one) that made accounts with this prefix."""
    return sorted({_marked(e) for e in ours(prefix)
                   if _alive(_marked(e)) and _marked(e) != os.getpid()})
