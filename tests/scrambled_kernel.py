"""A grading step that hears random bytes wherever a kernel's messages hold text.

``ScramblingExecute`` is the course's ``SealedExecute`` with one change: every
string a kernel sends (what it prints or displays, an error's name, message
and traceback, in output messages and in execute replies) is replaced by
random bytes of random length before the grader sees it. Message kinds and
the keys nbclient needs to follow the protocol are kept. The results files
are untouched: their numbers are what the judge turns into its own words.

Used by ``tests/test_no_leak.py``, loaded by nbgrader from a course
configuration that puts it in place of ``SealedExecute``.
"""

from __future__ import annotations

import os
import random

from autograder.preprocessors.execute import SealedExecute

#: Keys whose values steer the protocol, not the output: kept as they are.
PROTOCOL = {"execution_state", "name", "status", "wait", "execution_count"}


def noise() -> str:
    return os.urandom(random.randint(0, 80)).decode("latin-1")


def scrambled(value):
    if isinstance(value, dict):  # keys (mimetypes, field names) are kept
        return {key: item if key in PROTOCOL else scrambled(item) for key, item in value.items()}
    if isinstance(value, list):
        return [scrambled(item) for item in value]
    return noise() if isinstance(value, str) else value


class ScramblingExecute(SealedExecute):
    def process_message(self, msg, cell, cell_index):
        return super().process_message(dict(msg, content=scrambled(msg["content"])), cell,
                                       cell_index)

    def on_cell_executed(self, **kwargs):
        reply = kwargs["execute_reply"]
        kwargs["execute_reply"] = dict(reply, content=scrambled(reply["content"]))
        return super().on_cell_executed(**kwargs)
