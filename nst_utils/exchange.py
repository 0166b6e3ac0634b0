"""Handing in through nbgrader's exchange, whole or not at all (the student's side).

nbgrader's own submit copies a student's files straight into the exchange's
``inbound`` folder under their final name, so an instructor collecting at
that moment may take half a submission. :class:`AtomicSubmit` writes the same
files under a hidden temporary name first (``.incoming-…``, a name collect
never looks at), sets the permissions the exchange expects, and renames the
finished folder into place in one step. Everything else is nbgrader's submit
(names, the missing-notebook check, the student's local cache used by
fetch_feedback). :class:`FeedbackList` lets the Assignments tab offer a
submission's feedback although its ungraded notebooks have none.

A class hub configures it for students (``c.ExchangeFactory.submit``). It is
a convenience for honest students, not a safeguard: a student controls their
own process, so whatever decides what counts (who handed in, when, what) is
decided by the instructor's collect (``autograder/hub/exchange.py``), which
trusts nothing written here.
"""

from __future__ import annotations

import os
import secrets
import shutil

from nbgrader.exchange.default.list import ExchangeList
from nbgrader.exchange.default.submit import ExchangeSubmit
from nbgrader.utils import ignore_patterns

from nst_utils import config

#: What a submission's folder is called until it is whole.
INCOMING_PREFIX = ".incoming-"
#: The instructor reads through the inbound folder's group (nbgrader's set-GID
#: folder gives every submission the instructor's group); other students cannot.
FILE_MODE = 0o640
FOLDER_MODE = 0o750


class AtomicSubmit(ExchangeSubmit):
    """nbgrader's submit, made atomic: a temporary name in ``inbound``, then a rename."""

    def copy_files(self):
        self.init_release()
        secret = secrets.token_hex(64)
        final = os.path.join(self.inbound_path, self.assignment_filename)
        incoming = os.path.join(self.inbound_path, INCOMING_PREFIX + secrets.token_urlsafe(12))
        self.log.info("Source: %s", self.src_path)
        self.log.info("Destination: %s", final)
        self.check_filename_diff()
        try:
            self._write(incoming, secret)
            self.set_perms(incoming, fileperms=FILE_MODE, dirperms=FOLDER_MODE)
            os.rename(incoming, final)
        except BaseException:
            shutil.rmtree(incoming, ignore_errors=True)
            raise
        self._cache(secret)
        self.log.info("Submitted as: %s %s %s", self.coursedir.course_id,
                      self.coursedir.assignment_id, self.timestamp)

    def _write(self, folder: str, secret: str) -> None:
        """The submission as nbgrader writes it: the files, its timestamp, its secret.

        Every file is created while ``folder`` still has the set-GID bit it inherits
        in ``inbound`` (copying the files last resets the folder's mode), so all of
        them get the instructor's group.
        """
        size = self.get_size(self.src_path)
        if size > 1000 * self.coursedir.max_dir_size:
            self.fail(f"The assignment's folder is too big to submit ({size} bytes; at most "
                      f"{1000 * self.coursedir.max_dir_size}).")
        os.mkdir(folder)
        for name, text in (("timestamp.txt", self.timestamp), ("submission_secret.txt", secret)):
            with open(os.path.join(folder, name), "w", encoding="utf-8") as handle:
                handle.write(text)
        shutil.copytree(self.src_path, folder, dirs_exist_ok=True, ignore=ignore_patterns(
            exclude=self.coursedir.ignore, include=self.coursedir.include,
            max_file_size=self.coursedir.max_file_size, log=self.log))

    def _cache(self, secret: str) -> None:
        """The student's own copy, which fetch_feedback matches feedback against."""
        name = self.assignment_filename
        if self.add_random_string:
            name = name.rsplit("+", 1)[0]
        os.makedirs(self.cache_path, exist_ok=True)
        self._write(os.path.join(self.cache_path, name), secret)


class FeedbackList(ExchangeList):
    """nbgrader's list, where a submission's feedback is there once its *graded* notebooks'
    is: the notebooks that carry no points (the tour, the experiments) get no feedback
    page, and nbgrader's own list waits for every notebook's, so the Assignments tab
    would never offer "view feedback"."""

    def parse_assignments(self):
        assignments = super().parse_assignments()
        for entry in assignments:
            for info in entry.get("submissions", []):
                self._judge_feedback(info)
        return assignments

    @staticmethod
    def _judge_feedback(info: dict) -> None:
        pages = [nb for nb in info.get("notebooks", [])
                 if nb.get("has_local_feedback") or nb.get("has_exchange_feedback")]
        if not pages:
            return
        info["has_local_feedback"] = all(nb["has_local_feedback"] for nb in pages)
        info["has_exchange_feedback"] = all(nb["has_exchange_feedback"] for nb in pages)
        info["feedback_updated"] = any(nb["feedback_updated"] for nb in pages)
        if info["has_local_feedback"]:
            info["local_feedback_path"] = os.path.dirname(pages[0]["local_feedback_path"])


def configure_student(c, exchange: str) -> None:
    """A student's nbgrader configuration on a class hub whose exchange is ``exchange``."""
    c.CourseDirectory.course_id = config.COURSE_ID
    c.CourseDirectory.ignore = list(config.HAND_IN_IGNORE)
    c.CourseDirectory.max_file_size = config.HAND_IN_MAX_FILE_KB
    c.Exchange.root = exchange
    c.Exchange.path_includes_course = True
    c.ExchangeFactory.submit = "nst_utils.exchange.AtomicSubmit"
    c.ExchangeFactory.list = "nst_utils.exchange.FeedbackList"
