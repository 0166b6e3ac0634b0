"""A whole class on this machine: accounts, environments, exchange, course, proxy and hub.

:class:`Classroom` is what ``python -m autograder hub`` runs, and what the hub
tests and ``bench/class_day.py`` drive::

    room = Classroom(Path("/srv/nst-class"), prefix="nst-", students=3)
    room.setup()        # accounts, the students' environment, the course, the exchange
    room.start()        # proxy, then hub; room.plan.url is the class's address
    room.spawn("nst-s01"); room.token("nst-s01")      # a server and an API token
    room.instructor(["nbgrader", "release_assignment", "nst"])  # as the instructor
    room.teardown()     # servers, hub, proxy, accounts and the class folder: all gone

Everything runs as root (accounts, cgroups, servers as their users).
"""

from __future__ import annotations

import json
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

from autograder.hub import accounts, environments, layout, processes
from autograder.hub.settings import Plan
from autograder.sandbox.cgroup import SandboxCgroup
from nst_utils import config

SPAWN_S = 300
INSTRUCTOR_CODE = ".nst-instructor"  # in the instructor's home
COURSE_FOLDER = config.COURSE_ID  # in the instructor's home


class ClassError(RuntimeError):
    """The class could not be set up or driven (the message says what to do)."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _say(*args) -> None:
    print(*args, flush=True)


class Classroom:
    def __init__(self, root: Path, *, prefix: str = "nst-", students: int = 3,
                 checkout: Path = config.REPO_ROOT, port: int = 0, say=_say,
                 student_limits: dict | None = None, instructor_limits: dict | None = None):
        self.root, self.prefix, self.count = Path(root).resolve(), prefix, students
        self.checkout, self.port, self.say = Path(checkout).resolve(), port, say
        self.limits = (student_limits, instructor_limits)
        self.plan: Plan | None = None
        self.proxy: subprocess.Popen | None = None
        self.hub: subprocess.Popen | None = None

    # ------------------------------------------------------------------ set-up
    def _check_machine(self) -> None:
        if os.geteuid() != 0:
            raise ClassError("a class hub makes Unix accounts and runs every server as its own "
                             "user: run it as root (e.g. sudo). There is no single-user mode: "
                             "without separate accounts, students could read each other's work.")
        for tool in ("useradd", "userdel", "runuser"):
            if shutil.which(tool) is None:
                raise ClassError(f"{tool} is missing (Debian: apt-get install passwd util-linux)")
        busy = accounts.in_use(self.prefix)
        if busy:
            raise ClassError(f"a class with the prefix {self.prefix!r} is running (process "
                             f"{', '.join(map(str, busy))}); stop it or choose another --prefix")

    def setup(self) -> Plan:
        """Make everything the class needs; leftovers of a killed run are removed first."""
        self._check_machine()
        removed = accounts.remove_leftovers(self.prefix)
        if removed:
            self.say(f"removed {removed} account(s) left by an earlier class")
        if self.root.exists():
            self._remove_root()
        self._warn_if_open(self.checkout)
        environment = environments.student_environment(self.checkout, say=self.say)
        site = environments.instructor_site(self.checkout, environment, say=self.say)
        layout.make_root(self.root)
        grader, pupils = accounts.names(self.prefix, self.count)
        homes = self.root / "home"
        instructor = accounts.create(grader, homes / grader, "instructor")
        for name in pupils:
            accounts.create(name, homes / name, "student")
        code = environments.install_instructor(self.checkout, instructor.home / INSTRUCTOR_CODE,
                                               instructor.uid, instructor.gid)
        course = layout.make_course(instructor.home / COURSE_FOLDER, code, self.checkout,
                                    instructor)
        self.plan = Plan(
            root=str(self.root), prefix=self.prefix, instructor=grader, students=pupils,
            passwords={n: secrets.token_urlsafe(9) for n in [grader, *pupils]},
            environment=str(environment), instructor_code=str(code),
            instructor_site=str(site), course=str(course),
            port=self.port or _free_port(), proxy_api_port=_free_port(), hub_port=_free_port())
        student_limits, instructor_limits = self.limits
        self.plan.student_limits.update(student_limits or {})
        self.plan.instructor_limits.update(instructor_limits or {})
        weights = layout.share_weights(self.root)
        if weights:
            self.plan.shared.append(weights["folder"])
            self.plan.extra_env[weights["variable"]] = weights["file"]
        layout.make_exchange(self.plan.exchange, instructor)
        layout.write_student_config(self.plan.student_config, self.plan.exchange)
        self.plan.save()
        return self.plan

    def _warn_if_open(self, checkout: Path) -> None:
        """Students' servers never see the checkout; a student logged in some other way
        (ssh, a terminal outside the hub) would, if its permissions let every user in."""
        if all(p.stat().st_mode & 0o001 for p in [checkout, *checkout.parents]) \
                and (checkout / "autograder").stat().st_mode & 0o004:
            self.say(f"WARNING: {checkout} (the solutions in autograder/variants.py, the "
                     "source notebooks) is readable by every user of this machine. Students' "
                     "servers cannot see it, but a student with another way in could: "
                     f"`chmod 700 {checkout}`, or keep it in a folder only you can enter.")

    def _remove_root(self) -> None:
        if not (self.root / layout.MARKER).is_file():
            raise ClassError(f"{self.root} exists and is not a class folder: choose another "
                             "folder (or remove it yourself)")
        shutil.rmtree(self.root)

    # -------------------------------------------------------------- processes
    def start(self) -> None:
        self.proxy = processes.start_proxy(self.plan)
        self.start_hub()

    def start_hub(self) -> None:
        self.hub = processes.start_hub(self.plan)

    def stop_hub(self) -> None:
        processes.stop(self.hub)
        self.hub = None

    def restart_hub(self) -> None:
        """Stop and start JupyterHub alone; servers and the proxy keep running."""
        self.stop_hub()
        self.start_hub()

    def stop(self) -> None:
        """Stop every server, then the hub and the proxy."""
        if self.hub is not None and self.hub.poll() is None:
            for name in [self.plan.instructor, *self.plan.students]:
                try:
                    self.api("DELETE", f"users/{name}/server")
                except ClassError:
                    pass
            self._wait(lambda: not any(self.server(n) for n in
                                       [self.plan.instructor, *self.plan.students]), 120)
        self.stop_hub()
        processes.stop(self.proxy)
        self.proxy = None

    def teardown(self, keep_logs: Path | None = None) -> None:
        """Stop everything and remove the accounts and the class folder (its logs are
        copied to ``keep_logs`` first, if given)."""
        try:
            if self.plan is not None:
                self.stop()
        finally:
            if keep_logs is not None and self.plan is not None and self.plan.hub_dir.is_dir():
                keep_logs.mkdir(parents=True, exist_ok=True)
                for log in self.plan.hub_dir.glob("*.log"):
                    shutil.copyfile(log, keep_logs / log.name)
            accounts.remove_all(self.prefix)
            if self.root.exists() and (self.root / layout.MARKER).is_file():
                self._remove_root()

    # -------------------------------------------------------------------- API
    def api(self, method: str, path: str, body: dict | None = None, token: str | None = None):
        """A call to the hub's REST API (as the class's admin service by default)."""
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            f"{self.plan.hub_api}/{path}", data=data, method=method,
            headers={"Authorization": f"token {token or self.plan.secret('admin-token')}",
                     "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                text = answer.read().decode()
        except urllib.error.HTTPError as error:
            raise ClassError(f"{method} {path}: HTTP {error.code} "
                             f"{error.read().decode(errors='replace')[:500]}") from None
        except (urllib.error.URLError, ConnectionError, TimeoutError) as error:
            raise ClassError(f"{method} {path}: the hub did not answer ({error})") from None
        return json.loads(text) if text.strip() else None

    def server(self, name: str) -> dict | None:
        """The user's default server as the hub sees it (None when it has none)."""
        return self.api("GET", f"users/{name}").get("servers", {}).get("")

    def _wait(self, ready, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if ready():
                return
            time.sleep(0.5)  # polling interval while servers start or stop
        raise ClassError(f"gave up after {timeout:.0f} s; see {self.plan.hub_dir}/jupyterhub.log")

    def spawn(self, name: str) -> dict:
        """Start the user's server (as logging in does) and wait until it answers."""
        if not self.server(name):
            self.api("POST", f"users/{name}/server")
        self._wait(lambda: (self.server(name) or {}).get("ready"), SPAWN_S)
        return self.server(name)

    def token(self, name: str) -> str:
        """A fresh API token of user ``name`` (for their server's REST API)."""
        return self.api("POST", f"users/{name}/tokens", {"note": "class hub"})["token"]

    def server_pid(self, name: str) -> int:
        return int(self.server(name)["state"]["pid"])

    # ------------------------------------------------------- running as users
    def student_env(self, name: str) -> dict:
        """The environment of a student's own processes (what their server has)."""
        entry = pwd.getpwnam(name)
        return {"PATH": f"{self.plan.environment}/bin:/usr/bin:/bin", "HOME": entry.pw_dir,
                "USER": name, "LOGNAME": name, "LANG": "C.UTF-8", "TF_CPP_MIN_LOG_LEVEL": "2",
                "JUPYTER_CONFIG_PATH": str(self.plan.student_config), "JUPYTERHUB_USER": name,
                **self.plan.extra_env}

    def instructor_env(self) -> dict:
        """The environment of the instructor's server and terminals."""
        entry = pwd.getpwnam(self.plan.instructor)
        return {"PATH": f"{self.plan.environment}/bin:/usr/bin:/bin", "HOME": entry.pw_dir,
                "USER": entry.pw_name, "LOGNAME": entry.pw_name, "LANG": "C.UTF-8",
                "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": self.plan.instructor_pythonpath,
                "NST_EXCHANGE": str(self.plan.exchange), "NST_COURSE_ROOT": self.plan.course,
                **self.plan.extra_env}

    def as_user(self, name: str, argv: list[str], *, env: dict, cwd: str | Path | None = None,
                cgroup: SandboxCgroup | None = None, **popen) -> subprocess.Popen:
        """Start ``argv`` as user ``name`` (runuser), optionally inside ``cgroup``."""
        runuser = shutil.which("runuser") or "/usr/sbin/runuser"
        return subprocess.Popen([runuser, "-m", "-u", name, "--", *argv], env=env,
                                cwd=cwd or pwd.getpwnam(name).pw_dir,
                                preexec_fn=cgroup.join if cgroup else None, **popen)

    def server_cgroup(self, name: str) -> SandboxCgroup | None:
        """The cgroups of the user's running server (where its terminals would run)."""
        folders = (self.server(name) or {}).get("state", {}).get("cgroups")
        return SandboxCgroup([Path(f) for f in folders], ["server"]) if folders else None

    def instructor(self, argv: list[str], timeout: float = 1800) -> subprocess.CompletedProcess:
        """Run a command as the instructor, in their course folder and server's cgroup,
        as a terminal in their server would; ``nbgrader``/``python`` are the class's."""
        program = str(Path(self.plan.environment) / "bin" / argv[0])
        run = self.as_user(self.plan.instructor, [program, *argv[1:]], env=self.instructor_env(),
                           cwd=self.plan.course, cgroup=self.server_cgroup(self.plan.instructor),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        output, _ = run.communicate(timeout=timeout)
        return subprocess.CompletedProcess(run.args, run.returncode, output, "")

    def accounts_text(self) -> str:
        plan = self.plan
        rows = [f"  {plan.instructor:<16} {plan.passwords[plan.instructor]}  (instructor)"]
        rows += [f"  {name:<16} {plan.passwords[name]}" for name in plan.students]
        return "\n".join(rows)
