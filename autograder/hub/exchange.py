"""The instructor's side of nbgrader's exchange on a shared hub: trust nothing students wrote.

nbgrader's own collect takes a submission's time from the folder's name and
its ``timestamp.txt``, both written by the student's process, and only warns
when a folder is not owned by the student it names. Here (configured by the
course's nbgrader configuration whenever ``NST_EXCHANGE`` names a shared
exchange):

* **Who.** A submission folder counts only for the Unix user who owns it, and
  everything in it must be theirs: ``alice+nst+…`` owned by bob is refused
  (logged, left in the exchange, never collected). Symbolic links, FIFOs and
  other non-files are refused too, so collect never reads anything but the
  student's own regular files (every file is opened with ``O_NOFOLLOW``).
* **When.** A submission's time is the latest *ctime* over its folder and
  everything in it. Linux sets ctime from its own clock on every change
  (writing, renaming, ``chmod``, ``touch``) and offers no call that sets it,
  so a student can make a submission later, never earlier. The name's time
  and ``timestamp.txt`` are ignored; the collected ``timestamp.txt`` holds
  the trusted time, which the gradebook, due dates and late penalties use.
* **Whole.** Students' submits write under a hidden name and rename
  (:mod:`nst_utils.exchange`); hidden names are never collected. Collect reads
  a submission's files, then looks again: if anything changed meanwhile it is
  left for the next collect. The collected folder is written under a
  temporary name and renamed into ``submitted/``.
* **Which.** The latest *valid* submission is collected (with
  ``--before-duedate``, the latest before the due date, as nbgrader does);
  earlier ones stay in the exchange.
* **After feedback.** Once a student's feedback for an assignment is released
  (:class:`TrustedReleaseFeedback` records when, in
  ``<course>/feedback_released.json``), submissions made after that moment
  are kept in the exchange but not collected: the graded submission stands.
  Delete the student's entry from that file to let a resubmission count.
"""

from __future__ import annotations

import fnmatch
import json
import os
import pwd
import secrets
import shutil
import stat
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.exchange.default.collect import ExchangeCollect
from nbgrader.exchange.default.release_feedback import ExchangeReleaseFeedback
from nbgrader.utils import parse_utc

LEDGER = "feedback_released.json"
MAX_ENTRIES = 1000  # files and folders in one submission
CLAIM_SLACK_S = 300  # a claimed time further than this from the trusted one is reported


class Refused(Exception):
    """A submission that is never collected (the message says why)."""


class Changed(Exception):
    """A submission that changed while it was being read: the next collect takes it."""


@dataclass
class Survey:
    """What a submission folder holds, by inode, ctime and size: enough to see a change."""

    stamps: dict[str, tuple[int, int, int]] = field(default_factory=dict)

    @property
    def time(self) -> datetime:
        return datetime.fromtimestamp(max(c for _, c, _ in self.stamps.values()) / 1e9,
                                      timezone.utc)


@dataclass
class Handed:
    """One submission folder in ``inbound``."""

    name: str
    student: str
    claimed: str
    survey: Survey

    @property
    def time(self) -> datetime:
        return self.survey.time


def parse_name(name: str) -> tuple[str, str, str] | None:
    """``student+assignment+timestamp[+random]`` as nbgrader names it; None otherwise."""
    if name.startswith("."):
        return None
    parts = name.rsplit("+", 3)
    if len(parts) == 4:
        return parts[0], parts[1], parts[2]
    if len(parts) == 3:
        return parts[0], parts[1], parts[2]
    return None


class Reader:
    """Reads one submission folder beneath ``inbound`` through directory descriptors."""

    def __init__(self, inbound_fd: int, student: str, uid: int | None, coursedir, log):
        self.inbound_fd, self.student, self.uid = inbound_fd, student, uid
        self.coursedir, self.log = coursedir, log

    def _skip(self, name: str, st: os.stat_result) -> bool:
        """nbgrader's rules: excluded names, not-included files, files too large."""
        if any(fnmatch.fnmatch(name, glob) for glob in self.coursedir.ignore):
            return True
        if not stat.S_ISREG(st.st_mode):
            return False
        include = self.coursedir.include
        if include and not any(fnmatch.fnmatch(name, glob) for glob in include):
            return True
        if st.st_size > 1000 * self.coursedir.max_file_size:
            self.log.warning("Ignoring file too large: %s (%d bytes)", name, st.st_size)
            return True
        return False

    def _check(self, st: os.stat_result, where: str) -> None:
        if not (stat.S_ISDIR(st.st_mode) or stat.S_ISREG(st.st_mode)):
            raise Refused(f"{where} is not a plain file or folder (a link, FIFO or device)")
        if self.uid is not None and st.st_uid != self.uid:
            owner = _user_name(st.st_uid)
            raise Refused(f"{where} is owned by {owner}, not by {self.student}, whose name it "
                          "bears")

    def survey(self, name: str) -> Survey:
        survey = Survey()
        self._walk(self.inbound_fd, name, "", survey, None)
        return survey

    def read(self, name: str, survey: Survey) -> dict[str, bytes]:
        """The folder's files, exactly as ``survey`` saw them (else :class:`Changed`)."""
        files: dict[str, bytes] = {}
        seen = Survey()
        self._walk(self.inbound_fd, name, "", seen, files)
        if seen.stamps != survey.stamps or self.survey(name).stamps != survey.stamps:
            raise Changed(name)
        return files

    def _walk(self, parent_fd: int, name: str, rel: str, survey: Survey,
              files: dict[str, bytes] | None) -> None:
        where = rel or "the submission folder"
        try:
            fd = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=parent_fd)
        except OSError as error:
            raise Refused(f"{where} cannot be opened as a folder ({error.strerror})") from None
        try:
            st = os.fstat(fd)
            self._check(st, where)
            survey.stamps[rel or "."] = (st.st_ino, st.st_ctime_ns, 0)
            for entry in sorted(os.listdir(fd)):
                path = f"{rel}/{entry}" if rel else entry
                st = os.stat(entry, dir_fd=fd, follow_symlinks=False)
                if self._skip(entry, st):
                    continue
                self._check(st, path)
                if len(survey.stamps) >= MAX_ENTRIES:
                    raise Refused(f"it holds more than {MAX_ENTRIES} files and folders")
                if stat.S_ISDIR(st.st_mode):
                    self._walk(fd, entry, path, survey, files)
                    continue
                survey.stamps[path] = (st.st_ino, st.st_ctime_ns, st.st_size)
                if files is not None:
                    files[path] = self._read_file(fd, entry, st, path)
        finally:
            os.close(fd)

    def _read_file(self, dir_fd: int, entry: str, st: os.stat_result, path: str) -> bytes:
        fd = os.open(entry, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
        try:
            now = os.fstat(fd)
            self._check(now, path)
            if (now.st_ino, now.st_ctime_ns) != (st.st_ino, st.st_ctime_ns):
                raise Changed(path)
            with os.fdopen(os.dup(fd), "rb") as handle:
                return handle.read(1000 * self.coursedir.max_file_size + 1)
        except PermissionError:
            raise Refused(f"{path} is not readable by the instructor (its permissions were "
                          "changed after submitting)") from None
        finally:
            os.close(fd)


def _user_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def _uid(student: str) -> int | None:
    try:
        return pwd.getpwnam(student).pw_uid
    except KeyError:
        return None


def released_at(course_root: str | Path, assignment: str) -> dict[str, datetime]:
    """When each student's feedback for ``assignment`` was first released."""
    path = Path(course_root) / LEDGER
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {student: parse_utc(when) for student, when in data.get(assignment, {}).items()}


def _record_release(course_root: str | Path, assignment: str, students: set[str],
                    now: datetime) -> None:
    path = Path(course_root) / LEDGER
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {}
    known = data.setdefault(assignment, {})
    for student in sorted(students - set(known)):
        known[student] = now.strftime("%Y-%m-%d %H:%M:%S.%f UTC")
    temporary = path.with_name(f".{LEDGER}.{secrets.token_hex(4)}")
    temporary.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(temporary, path)


class TrustedCollect(ExchangeCollect):
    """nbgrader's collect for a shared exchange: owner, time and wholeness checked."""

    def init_src(self):
        if self.coursedir.course_id == "":
            self.fail("No course id specified. Re-run with --course flag.")
        self.inbound_path = os.path.join(self.root, self.coursedir.course_id, "inbound")
        try:
            self.inbound_fd = os.open(self.inbound_path, os.O_RDONLY | os.O_DIRECTORY)
            names = os.listdir(self.inbound_fd)
        except OSError as error:
            self.fail(f"Cannot read the exchange's inbound folder {self.inbound_path}: "
                      f"{error.strerror}. Run collect as the course's instructor.")
        self.duedate = self._duedate()
        self.refused: list[tuple[str, str]] = []
        handed = self._survey_all(names)
        self.src_records = [self._choose(student, found) for student, found in handed.items()]
        self.src_records = [r for r in self.src_records if r is not None]

    def _duedate(self):
        with Gradebook(self.coursedir.db_url, self.coursedir.course_id) as gb:
            try:
                return gb.find_assignment(self.coursedir.assignment_id).duedate
            except MissingEntry:
                return None

    def _survey_all(self, names: list[str]) -> dict[str, list[Handed]]:
        wanted = self.coursedir.student_id if self.coursedir.student_id not in ("", "*") else None
        released = released_at(self.coursedir.root, self.coursedir.assignment_id)
        handed: dict[str, list[Handed]] = {}
        for name in sorted(names):
            parsed = parse_name(name)
            if parsed is None or parsed[1] != self.coursedir.assignment_id:
                continue
            student, _, claimed = parsed
            if wanted is not None and not fnmatch.fnmatch(student, wanted):
                continue
            try:
                found = self._survey(name, student, claimed, released.get(student))
            except Refused as reason:
                self.refused.append((name, str(reason)))
                self.log.error("Refused submission %s: %s. It stays in the exchange and is "
                               "not collected.", name, reason)
                continue
            handed.setdefault(student, []).append(found)
        return handed

    def _survey(self, name: str, student: str, claimed: str, released: datetime | None) -> Handed:
        uid = _uid(student)
        if self.check_owner and uid is None:
            raise Refused(f"there is no user called {student}")
        reader = Reader(self.inbound_fd, student, uid if self.check_owner else None,
                        self.coursedir, self.log)
        found = Handed(name, student, claimed, reader.survey(name))
        if released is not None and found.time > released.replace(tzinfo=timezone.utc):
            raise Refused(f"made at {found.time:%Y-%m-%d %H:%M:%S} UTC, after {student}'s "
                          f"feedback was released ({released:%Y-%m-%d %H:%M:%S} UTC); the "
                          f"graded submission stands (see {LEDGER})")
        self._report_claim(found)
        return found

    def _report_claim(self, found: Handed) -> None:
        try:
            claim = parse_utc(found.claimed).replace(tzinfo=timezone.utc)
        except (ValueError, OverflowError):
            claim = None
        if claim is None or abs((claim - found.time).total_seconds()) > CLAIM_SLACK_S:
            self.log.warning("%s: the student's files say it was submitted at %s; the exchange "
                             "saw it at %s UTC, which is the time that counts.", found.name,
                             found.claimed, f"{found.time:%Y-%m-%d %H:%M:%S}")

    def _choose(self, student: str, found: list[Handed]) -> dict | None:
        found = sorted(found, key=lambda h: h.time, reverse=True)
        chosen = found[0]
        if self.before_duedate and self.duedate is not None:
            due = self.duedate.replace(tzinfo=timezone.utc)
            chosen = next((h for h in found if h.time <= due), found[0])
        return {"username": student, "filename": chosen.name,
                "timestamp": chosen.time.replace(tzinfo=None), "handed": chosen}

    def copy_files(self):
        if not self.src_records:
            self.log.warning("No submissions of '%s' for course '%s' to collect",
                             self.coursedir.assignment_id, self.coursedir.course_id)
        for record in self.src_records:
            self._collect(record)
        os.close(self.inbound_fd)

    def _collect(self, record: dict) -> None:
        student, handed = record["username"], record["handed"]
        assignment = self.coursedir.assignment_id
        dest = Path(self.coursedir.format_path(self.coursedir.submitted_directory, student,
                                               assignment))
        if dest.is_dir():
            existing = self.coursedir.get_existing_timestamp(str(dest))
            newer = existing is None or record["timestamp"] > existing
            if not ((self.update and newer) or
                    (self.before_duedate and existing != record["timestamp"])):
                self.log.info("No newer submission to collect: %s %s" if self.update else
                              "Submission already exists, use --update to update: %s %s",
                              student, assignment)
                return
        uid = _uid(student) if self.check_owner else None
        try:
            files = Reader(self.inbound_fd, student, uid, self.coursedir, self.log).read(
                handed.name, handed.survey)
        except Changed:
            self.log.warning("%s changed while it was being collected; the next collect takes "
                             "it.", handed.name)
            return
        except Refused as reason:
            self.refused.append((handed.name, str(reason)))
            self.log.error("Refused submission %s: %s.", handed.name, reason)
            return
        self.log.info("Collecting submission: %s %s (handed in at %s UTC)", student, assignment,
                      f"{handed.time:%Y-%m-%d %H:%M:%S}")
        self._install(dest, files, handed.time)

    def _install(self, dest: Path, files: dict[str, bytes], when: datetime) -> None:
        """Write the submission beside ``dest`` under a temporary name, then put it in place."""
        dest.parent.mkdir(parents=True, exist_ok=True)
        token = secrets.token_hex(6)
        incoming = dest.with_name(f".{dest.name}.incoming-{token}")
        for rel, data in files.items():
            target = incoming / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        incoming.mkdir(exist_ok=True)
        stamp = when.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f UTC")
        (incoming / "timestamp.txt").write_text(stamp, encoding="utf-8")
        old = dest.with_name(f".{dest.name}.old-{token}")
        if dest.exists():
            os.rename(dest, old)
        os.rename(incoming, dest)
        shutil.rmtree(old, ignore_errors=True)


class TrustedReleaseFeedback(ExchangeReleaseFeedback):
    """nbgrader's release_feedback, which records when each student's feedback went out and
    skips (saying so) a student whose submission lacked the files that name the feedback,
    instead of failing for the whole class."""

    def copy_files(self):
        now = datetime.now(timezone.utc)
        excluded = set(filter(None, (self.coursedir.student_id_exclude or "").split(",")))
        wanted = self.coursedir.student_id if self.coursedir.student_id not in ("", "*") else "*"
        folders = [p.parent for p in Path(self.src_path).parent.parent.glob(
            f"*/{self.coursedir.assignment_id}/*.html")]
        students = {f.parent.name for f in folders if fnmatch.fnmatch(f.parent.name, wanted)}
        for folder in sorted(set(folders)):
            missing = [n for n in ("timestamp.txt", "submission_secret.txt")
                       if not (folder / n).is_file()]
            if missing and folder.parent.name in students - excluded:
                self.log.error("No feedback released for %s: their submission had no %s "
                               "(it was not handed in with nbgrader's submit).",
                               folder.parent.name, " or ".join(missing))
                excluded.add(folder.parent.name)
        given = self.coursedir.student_id_exclude
        self.coursedir.student_id_exclude = ",".join(sorted(excluded))
        try:
            super().copy_files()
        finally:
            self.coursedir.student_id_exclude = given
        _record_release(self.coursedir.root, self.coursedir.assignment_id, students - excluded,
                        now)


def configure(c) -> None:
    """Use these classes (and the students' atomic submit) in nbgrader config ``c``."""
    c.ExchangeFactory.collect = "autograder.hub.exchange.TrustedCollect"
    c.ExchangeFactory.release_feedback = "autograder.hub.exchange.TrustedReleaseFeedback"
    c.ExchangeFactory.submit = "nst_utils.exchange.AtomicSubmit"
