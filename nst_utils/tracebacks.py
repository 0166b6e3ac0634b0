"""What a failed check shows the learner: the line of their cell, then the message.

The course's own frames (each public check, and the harness around it) set
``__tracebackhide__``. IPython leaves such frames out of the tracebacks it
shows, except the frame that raised. :func:`for_learner` gives a failed check's
exception a ``_render_traceback_`` (IPython's hook for exceptions that format
themselves) that leaves that one out too. What is left is the learner's cell,
and, when their own function raised, the chain of that error down to their line.

Outside IPython nothing changes: Python's own tracebacks show every frame.
"""

from __future__ import annotations

import functools
import types


def visible(tb: types.TracebackType | None) -> types.TracebackType | None:
    """``tb`` without the frames that ask to be hidden (``__tracebackhide__``)."""
    kept = []
    while tb is not None:
        if not tb.tb_frame.f_locals.get("__tracebackhide__"):
            kept.append(tb)
        tb = tb.tb_next
    rebuilt = None
    for entry in reversed(kept):
        rebuilt = types.TracebackType(rebuilt, entry.tb_frame, entry.tb_lasti, entry.tb_lineno)
    return rebuilt


def for_learner(exc: BaseException) -> BaseException:
    """Mark ``exc`` so that IPython shows it without the course's frames; returns it."""
    exc._render_traceback_ = functools.partial(_render, exc)
    return exc


def _chain(exc: BaseException):
    """``exc`` and the exceptions Python would show before it (causes and contexts)."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        yield exc
        exc = exc.__cause__ or (None if exc.__suppress_context__ else exc.__context__)


def _render(exc: BaseException) -> list[str]:
    from IPython import get_ipython

    formatter = get_ipython().InteractiveTB
    try:
        for link in _chain(exc):
            link.__traceback__ = visible(link.__traceback__)
    except Exception:  # noqa: BLE001 - showing the error must never fail: show it as it was
        pass
    return formatter.structured_traceback(type(exc), exc, exc.__traceback__)
