"""Driving a user's single-user server the way their browser does: REST and kernel websockets.

Everything goes through the class's proxy (``plan.url``) with the user's own
API token (:meth:`Classroom.token <autograder.hub.classroom.Classroom.token>`),
so what works here works for that user's browser, and nothing else: code run
by :func:`run_code` runs in a kernel of the user's own server, as them. Used
by the hub tests and ``bench/class_day.py``.
"""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.parse
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

KERNEL_S = 300


def rest(base: str, token: str, method: str, path: str, body=None, timeout: float = 600):
    """A call to a server's (or the hub's) REST API; the JSON answer, or raises HTTPError."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"{base.rstrip('/')}/{path.lstrip('/')}", data=data,
                                     method=method, headers={"Authorization": f"token {token}",
                                                             "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as answer:
        text = answer.read().decode()
    return json.loads(text) if text.strip() else None


def status(base: str, token: str, path: str) -> int:
    """The HTTP status of a GET (a page, not JSON)."""
    request = urllib.request.Request(f"{base.rstrip('/')}/{path.lstrip('/')}",
                                     headers={"Authorization": f"token {token}"})
    try:
        with urllib.request.urlopen(request, timeout=120) as answer:
            return answer.status
    except urllib.error.HTTPError as error:
        return error.code


def assignments(server: str, token: str, action: str, course: str, assignment: str):
    """What the Assignments tab does: POST /assignments/<fetch|submit|fetch_feedback>."""
    query = urllib.parse.urlencode({"course_id": course, "assignment_id": assignment})
    return rest(server, token, "POST", f"assignments/{action}?{query}", body={})


def put_notebook(server: str, token: str, path: str, notebook: dict) -> None:
    """Save a notebook into the user's folder, as JupyterLab's save does."""
    rest(server, token, "PUT", f"api/contents/{urllib.parse.quote(path)}",
         {"type": "notebook", "format": "json", "content": notebook})


def _message(code: str, session: str) -> dict:
    return {"header": {"msg_id": uuid.uuid4().hex, "msg_type": "execute_request",
                       "session": session, "username": "", "version": "5.3"},
            "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
            "content": {"code": code, "silent": False, "store_history": False,
                        "user_expressions": {}, "allow_stdin": False, "stop_on_error": True}}


async def _run(server: str, token: str, code: str) -> str:
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    kernel = rest(server, token, "POST", "api/kernels", {"name": "python3"})["id"]
    session = uuid.uuid4().hex
    url = (server.replace("http://", "ws://").rstrip("/")
           + f"/api/kernels/{kernel}/channels?session_id={session}")
    output: list[str] = []
    try:
        socket = await websocket_connect(HTTPRequest(
            url, headers={"Authorization": f"token {token}"}, request_timeout=KERNEL_S))
        message = _message(code, session)
        await socket.write_message(json.dumps(message))
        while True:
            text = await asyncio.wait_for(socket.read_message(), KERNEL_S)
            if text is None:
                raise ConnectionError("the kernel's websocket closed")
            reply = json.loads(text)
            if reply.get("parent_header", {}).get("msg_id") != message["header"]["msg_id"]:
                continue
            kind, content = reply["msg_type"], reply["content"]
            if kind == "stream":
                output.append(content["text"])
            elif kind == "error":
                output.append(f"{content['ename']}: {content['evalue']}\n")
            elif kind == "status" and content["execution_state"] == "idle":
                break
        socket.close()
    finally:
        try:
            rest(server, token, "DELETE", f"api/kernels/{kernel}")
        except urllib.error.URLError:
            pass
    return "".join(output)


def run_code(server: str, token: str, code: str) -> str:
    """Run ``code`` in a fresh kernel of the user's server; what it printed (and any error).

    In a thread of its own: the caller may already run an event loop (Playwright's)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, _run(server, token, code)).result()
