"""What a grading kernel sends, bounded in bytes and made inert as the trusted side reads it.

A grading kernel holds the key of its own connection, so it can send any
message it likes, as large and as many as it likes; a cap inside the kernel
(nbgrader's ``LimitOutput`` counts lines, after the fact) can be bypassed.
So the bounds are on the trusted side, where the messages arrive:

* **on the wire** (:class:`BoundedKernelClient`): ZeroMQ drops any frame
  larger than :data:`WIRE_BYTES` before it is read into Python (and, for
  the output channel, the kernel's connection with it: the rest of that
  notebook's output is lost, which :meth:`BoundedKernelClient.output_lost`
  reports), and at most :data:`QUEUED_MESSAGES` messages wait in memory per
  channel (beyond that, the kernel's side drops them);
* **as they are read** (:class:`OutputBudget`): a message keeps at most
  :data:`MESSAGE_BYTES`, a cell :data:`CELL_BYTES`, a notebook
  :data:`NOTEBOOK_BYTES`; what is over is dropped as it arrives;
* **inert**: only plain text and PNG/JPEG images are kept; HTML,
  JavaScript, SVG, Markdown, widgets and every other kind of output, and
  the metadata that comes with an output, are dropped, so nothing a kernel
  sent can run in the browser of whoever looks at the graded notebook.

Grading itself never depends on this output (the results are files the
trusted side reads after each graded cell): the bounds only decide what the
instructor can see, and a cut is flagged for them.
"""

from __future__ import annotations

import zmq
import zmq.asyncio
from jupyter_client.asynchronous import AsyncKernelClient
from nbgrader.preprocessors import LimitOutput
from traitlets import default

from autograder.settings import NstGrader

#: Largest output a single message may keep; larger ones are cut to this.
MESSAGE_BYTES = 256 * 2**10
#: Largest output a cell may keep; further output of that cell is dropped.
CELL_BYTES = 2**20
#: Largest output a notebook may keep; further output is dropped.
NOTEBOOK_BYTES = 4 * 2**20
#: Largest frame ZeroMQ accepts from a kernel (ZMQ_MAXMSGSIZE): larger ones never
#: reach Python, and the channel they came on is closed.
WIRE_BYTES = 2**20
#: Messages ZeroMQ keeps waiting per channel (ZMQ_RCVHWM).
QUEUED_MESSAGES = 16
#: The kinds of output kept (with ``text/plain`` only, an output of no kept kind says so).
INERT_TYPES = ("text/plain", "image/png", "image/jpeg")
#: Messages that can add to a cell's output (``status`` is passed on untouched).
OUTPUT_MESSAGES = {"stream", "display_data", "execute_result", "update_display_data", "error",
                   "clear_output"}
#: What a cut cell shows, once.
NOTE = ("[output truncated: the grader keeps at most {message} of a message, {cell} of a "
        "cell and {notebook} of a notebook; the rest of this cell's output was dropped]\n")
#: What a cell shows once the kernel's output channel was lost.
LOST = ("[output lost: the kernel sent a message larger than {wire}; nothing it printed "
        "after it is shown]\n")


def _size(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))


def _cut(text: str, limit: int) -> str:
    return text.encode("utf-8", "surrogatepass")[:limit].decode("utf-8", "ignore")


def _in_words(count: int) -> str:
    return f"{count // 2**20} MiB" if count % 2**20 == 0 else f"{count // 2**10} KiB"


def note(message: int = MESSAGE_BYTES, cell: int = CELL_BYTES,
         notebook: int = NOTEBOOK_BYTES) -> str:
    return NOTE.format(message=_in_words(message), cell=_in_words(cell),
                       notebook=_in_words(notebook))


def lost_note() -> str:
    return LOST.format(wire=_in_words(WIRE_BYTES))


def _strings(value) -> list[str]:
    """A traceback as a list of strings (anything else dropped)."""
    return [line for line in value if isinstance(line, str)] if isinstance(value, list) else []


def inert(msg_type: str, content: dict) -> dict | None:
    """The content as it may be kept: known fields of known types, inert kinds only."""
    if msg_type == "stream":
        name = content.get("name") if content.get("name") in ("stdout", "stderr") else "stdout"
        text = content.get("text")
        return {"name": name, "text": text if isinstance(text, str) else ""}
    if msg_type == "error":
        return {"ename": str(content.get("ename", ""))[:200], "evalue": str(content.get("evalue", "")),
                "traceback": _strings(content.get("traceback"))}
    if msg_type == "clear_output":
        return {"wait": content.get("wait") is True}
    data = content.get("data") if isinstance(content.get("data"), dict) else {}
    kept = {kind: value for kind, value in data.items()
            if kind in INERT_TYPES and isinstance(value, str)}
    if not kept:
        shown = ", ".join(sorted(str(kind)[:40] for kind in data)[:5]) or "nothing"
        kept = {"text/plain": f"[an output the grader does not keep ({shown}): only text "
                              "and PNG/JPEG images are kept]"}
    clean = {"data": kept, "metadata": {}}
    transient = content.get("transient")
    display_id = transient.get("display_id") if isinstance(transient, dict) else None
    if isinstance(display_id, str) and len(display_id) <= 100:
        clean["transient"] = {"display_id": display_id}
    if msg_type == "execute_result":
        count = content.get("execution_count")
        clean["execution_count"] = count if isinstance(count, int) else None
    return clean


def size_of(msg_type: str, content: dict) -> int:
    if msg_type == "stream":
        return _size(content["text"])
    if msg_type == "error":
        return _size(content["ename"]) + _size(content["evalue"]) + sum(
            _size(line) for line in content["traceback"])
    if msg_type == "clear_output":
        return 0
    return sum(_size(value) for value in content["data"].values())


def _shrunk(msg_type: str, content: dict, limit: int) -> dict:
    """``content`` cut to at most ``limit`` bytes of output."""
    if msg_type == "stream":
        return {**content, "text": _cut(content["text"], limit)}
    if msg_type == "error":
        evalue = _cut(content["evalue"], limit // 2)
        room, traceback = limit - _size(evalue), []
        for line in content["traceback"]:
            room -= _size(line)
            if room < 0:
                break
            traceback.append(line)
        return {**content, "evalue": evalue, "traceback": traceback}
    text = content["data"].get("text/plain", "")
    return {**content, "data": {"text/plain": _cut(text, limit)}}


class OutputBudget:
    """How much output a notebook, and each of its cells, may still keep."""

    def __init__(self, message: int = MESSAGE_BYTES, cell: int = CELL_BYTES,
                 notebook: int = NOTEBOOK_BYTES):
        self.message, self.cell, self.notebook = message, cell, notebook
        self.notebook_used, self.cell_used, self.dropped = 0, 0, 0

    def new_cell(self) -> None:
        self.cell_used, self.dropped = 0, 0

    def admit(self, msg: dict) -> dict | None:
        """``msg`` as it may be kept (cut, inert), or None to drop it."""
        msg_type = msg.get("msg_type")
        if msg_type == "status":
            return msg
        if msg_type not in OUTPUT_MESSAGES or not isinstance(msg.get("content"), dict):
            return None
        content = inert(msg_type, msg["content"])
        size = size_of(msg_type, content)
        room = min(self.message, self.cell - self.cell_used, self.notebook - self.notebook_used)
        if size > room:
            self.dropped += size - max(room, 0)
            if room <= 0 or msg_type == "update_display_data":
                return None
            content = _shrunk(msg_type, content, room)
            size = size_of(msg_type, content)
        self.cell_used += size
        self.notebook_used += size
        header = {"msg_type": msg_type, "msg_id": str(msg.get("header", {}).get("msg_id", ""))}
        return {"header": header, "msg_type": msg_type, "parent_header": msg["parent_header"],
                "metadata": {}, "content": content, "buffers": []}


class BoundedKernelClient(AsyncKernelClient):
    """A kernel client whose sockets refuse large frames and queue few messages, and
    that can tell when the kernel's output channel was closed for a too large frame."""

    _monitor: zmq.Socket | None = None

    @default("context")
    def _bounded_context(self):
        self._created_context = True
        context = zmq.asyncio.Context()
        context.setsockopt(zmq.MAXMSGSIZE, WIRE_BYTES)
        context.setsockopt(zmq.RCVHWM, QUEUED_MESSAGES)
        return context

    def watch_output(self) -> None:
        """Start watching the output channel's connection (call once its socket exists)."""
        monitor = self.iopub_channel.socket.get_monitor_socket(zmq.EVENT_DISCONNECTED)
        self._watching = monitor
        self._monitor = zmq.Socket.shadow(monitor.underlying)

    def output_lost(self) -> bool:
        """Whether the output channel's connection was closed (a frame over the limit)."""
        if self._monitor is None:
            return False
        try:
            self._monitor.recv_multipart(zmq.NOBLOCK)
        except zmq.Again:
            return False
        return True

    def stop_channels(self) -> None:
        if self._monitor is not None:
            try:
                self.iopub_channel.socket.disable_monitor()
            except (zmq.ZMQError, AttributeError):
                pass
            self._watching.close(linger=0)
            self._monitor = None
        super().stop_channels()


class LimitOutputLines(LimitOutput):
    """nbgrader's ``LimitOutput``, keeping ``c.NstGrader.max_output_lines`` lines per cell."""

    @default("max_lines")
    def _grader_setting(self):
        return NstGrader(parent=self).max_output_lines
