"""Many students handing in at the same moment, each as themselves, through nbgrader's own calls.

Every student is a process of their own Unix user (forked from one process
that imported nbgrader once, then switched to the student's uid, groups, home
and the environment their server has) that runs what the Assignments tab runs
in their server (nbgrader's ``AssignmentList``): it fetches the assignment,
then waits. At each "go" every student writes a marker into each
of their notebooks (``<name>-r<round>``: who, and which hand-in) and submits,
all at once. The markers let a collected submission be traced to the exact
hand-in it came from. Used by the hub tests and ``bench/class_day.py``.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

from nst_utils import config

#: Runs as root in the students' environment: imports nbgrader once, then forks one
#: process per student, which becomes that student (uid, groups, home, environment)
#: before it touches anything. Each fetches, says so, and at every line on stdin marks
#: its notebooks and submits ("feedback": fetches its feedback). Answers are JSON lines
#: on stdout. ``work``, if not empty, is a JSON file of notebooks (name -> notebook) each
#: student puts in place of the fetched ones: what they hand in.
STUDENTS = r"""
import json, os, pathlib, pwd, sys, threading, time
from nbgrader.server_extensions.assignment_list.handlers import AssignmentList

course, assignment, config_path, path, work = sys.argv[1:6]
names = sys.argv[6:]
work = json.loads(pathlib.Path(work).read_text()) if work else {}


def say(out, **answer):
    os.write(out, (json.dumps(answer) + "\n").encode())  # one write, under PIPE_BUF: whole


def student(name, go, out):
    entry = pwd.getpwnam(name)
    os.initgroups(name, entry.pw_gid)
    os.setgid(entry.pw_gid)
    os.setuid(entry.pw_uid)
    os.environ.clear()
    os.environ.update(HOME=entry.pw_dir, USER=name, LOGNAME=name, JUPYTERHUB_USER=name,
                      JUPYTER_CONFIG_PATH=config_path, PATH=path, LANG="C.UTF-8")
    os.chdir(entry.pw_dir)
    tab = AssignmentList()
    tab.root_dir = entry.pw_dir
    fetched = tab.fetch_assignment(course, assignment)
    say(out, student=name, fetched=fetched["success"], error=fetched.get("value", "")[-600:])
    folder = pathlib.Path(entry.pw_dir) / course / assignment
    for nb_name, notebook in work.items():
        (folder / nb_name).write_text(json.dumps(notebook))
    for line in os.fdopen(go):
        if line.strip() == "feedback":
            fetched = tab.fetch_feedback(course, assignment)
            pages = list((folder / "feedback").rglob("*.html"))
            say(out, student=name, feedback=len(pages) if fetched["success"] else -1)
            continue
        marker = f"{name}-r{line.strip()}"
        for nb_path in sorted(folder.glob("*.ipynb")):
            notebook = json.loads(nb_path.read_text())
            notebook["cells"] = [c for c in notebook["cells"] if c.get("id") != "hand-in-marker"]
            notebook["cells"].append({"cell_type": "raw", "metadata": {}, "id": "hand-in-marker",
                                      "source": f"hand-in marker: {marker}"})
            nb_path.write_text(json.dumps(notebook))
        started = time.time()
        result = tab.submit_assignment(course, assignment)
        say(out, student=name, marker=marker, submitted=result["success"], at=started,
            seconds=time.time() - started,
            error="" if result["success"] else result["value"][-600:])


answers_r, answers_w = os.pipe()
children = []
for name in names:
    go_r, go_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.close(answers_r)
            os.close(go_w)
            for _, other in children:
                os.close(other)
            student(name, go_r, answers_w)
            code = 0
        finally:
            os._exit(code)
    os.close(go_r)
    children.append((pid, go_w))
os.close(answers_w)


def relay():
    for line in os.fdopen(answers_r):
        sys.stdout.write(line)
        sys.stdout.flush()


relaying = threading.Thread(target=relay)
relaying.start()
for line in sys.stdin:
    for _, go in children:  # as close together as pipes allow
        os.write(go, line.encode())
for pid, go in children:
    os.close(go)
    os.waitpid(pid, 0)
relaying.join()
"""


def marker(student: str, round_: int) -> str:
    return f"{student}-r{round_}"


def markers_in(notebook_text: str) -> list[str]:
    """The hand-in markers a notebook file holds."""
    found = []
    for cell in json.loads(notebook_text).get("cells", []):
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        if cell.get("cell_type") == "raw" and source.startswith("hand-in marker: "):
            found.append(source.removeprefix("hand-in marker: "))
    return found


@dataclass
class HandIn:
    student: str
    marker: str
    submitted: bool
    at: float
    seconds: float
    error: str


class Crowd:
    """``students`` of ``room`` (a :class:`~autograder.hub.classroom.Classroom`), each a
    process of their own Unix user: started and fetched by :meth:`start`, handing in on
    :meth:`go`."""

    def __init__(self, room, students: list[str], work: Path | None = None):
        self.room, self.students, self.work = room, list(students), work
        self.process: subprocess.Popen | None = None
        self.rounds = 0

    def _answer(self) -> dict:
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("the students' processes ended early")
        return json.loads(line)

    def start(self) -> None:
        """Start every student's process; return once each has fetched the assignment."""
        plan = self.room.plan
        self.process = subprocess.Popen(
            [f"{plan.environment}/bin/python", "-c", STUDENTS, config.COURSE_ID,
             config.ASSIGNMENT_ID, str(plan.student_config), f"{plan.environment}/bin:/usr/bin:/bin",
             str(self.work or ""), *self.students], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            bufsize=1, cwd="/")
        for _ in self.students:
            answer = self._answer()
            if not answer["fetched"]:
                raise RuntimeError(f"{answer['student']} could not fetch the assignment: "
                                   f"{answer['error']}")

    def go(self) -> list[HandIn]:
        """Every student hands in at once; their answers, once all have answered."""
        round_, self.rounds = self.rounds, self.rounds + 1
        self.process.stdin.write(f"{round_}\n")
        self.process.stdin.flush()
        answers = [self._answer() for _ in self.students]
        return [HandIn(a["student"], a["marker"], a["submitted"], a["at"], a["seconds"],
                       a["error"]) for a in answers]

    def fetch_feedback(self) -> dict[str, int]:
        """Every student fetches their feedback; how many feedback pages each got."""
        self.process.stdin.write("feedback\n")
        self.process.stdin.flush()
        answers = [self._answer() for _ in self.students]
        return {a["student"]: a["feedback"] for a in answers}

    def close(self) -> None:
        if self.process is None:
            return
        self.process.stdin.close()
        try:
            self.process.wait(120)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
