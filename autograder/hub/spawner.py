"""JupyterHub's LocalProcessSpawner for the class: each server as its own user, capped.

On top of LocalProcessSpawner (a server is a process of the user's own Unix
account; these machines have no systemd):

* **Limits.** Each server starts in cgroups of its own (made with
  :mod:`autograder.sandbox.cgroup`, children of the hub's), capping its CPU
  (cores), memory and tasks: one student's painting cannot starve the class.
  The instructor's cgroup is delegated to the instructor, so grading from
  their server still gives every grading kernel a cgroup of its own beneath.
  Stopping a server asks every process in its cgroups to end, then removes the
  cgroups (anything left in them is killed).
* **Views.** A student's server runs in :mod:`autograder.hub.server_sandbox`,
  with the students' configuration (the Assignments tab, no formgrader). The
  instructor's server runs in the course folder with the instructor side on
  ``PYTHONPATH`` and the shared exchange in ``NST_EXCHANGE``.
* **Hub restarts.** The process id and the cgroups are kept in the spawner's
  state: servers keep running while the hub restarts (``cleanup_servers`` is
  off) and a new hub stops them properly.
"""

from __future__ import annotations

import asyncio
import os
import pwd
import signal
import time
from pathlib import Path

from jupyterhub.spawner import LocalProcessSpawner
from traitlets import Dict, List, Unicode

from autograder.hub import server_sandbox
from autograder.sandbox.cgroup import SandboxCgroup

PREFIX = "nst-server-"


class ClassSpawner(LocalProcessSpawner):
    """LocalProcessSpawner with per-server cgroups and a role per user."""

    venv = Unicode(help="the students' shared environment (a venv), also the instructor's").tag(config=True)
    exchange = Unicode(help="nbgrader's exchange folder").tag(config=True)
    student_config = Unicode(help="the students' Jupyter configuration folder").tag(config=True)
    shared = List(Unicode(), help="more read-only folders students see").tag(config=True)
    instructor = Unicode(help="the instructor's user name").tag(config=True)
    course = Unicode(help="the instructor's course folder").tag(config=True)
    instructor_path = Unicode(help="the instructor's PYTHONPATH (the instructor side)").tag(
        config=True)
    student_limits = Dict(help="memory_gb, cpus, tasks of a student's server").tag(config=True)
    instructor_limits = Dict(help="memory_gb, cpus, tasks of the instructor's").tag(config=True)
    extra_env = Dict(help="more environment variables for every server").tag(config=True)

    cgroup: SandboxCgroup | None = None

    @property
    def is_instructor(self) -> bool:
        return self.user.name == self.instructor

    def _bin(self, name: str) -> str:
        return str(Path(self.venv) / "bin" / name)

    def get_env(self):
        env = super().get_env()
        for name in ("PYTHONPATH", "VIRTUAL_ENV", "CONDA_DEFAULT_ENV", "CONDA_ROOT",
                     "LD_LIBRARY_PATH", "JUPYTER_CONFIG_DIR", "JUPYTER_PATH"):
            env.pop(name, None)
        env.update(self.extra_env)
        env["PATH"] = f"{Path(self.venv) / 'bin'}:/usr/local/bin:/usr/bin:/bin"
        env["TF_CPP_MIN_LOG_LEVEL"] = "2"
        if self.is_instructor:
            env.update(PYTHONPATH=self.instructor_path, NST_EXCHANGE=self.exchange,
                       NST_COURSE_ROOT=self.course)
        else:
            env["JUPYTER_CONFIG_PATH"] = self.student_config
        return env

    def _command(self) -> list[str]:
        server = [self._bin("jupyterhub-singleuser")]
        if self.is_instructor:
            return server
        from autograder.hub.environments import bwrap

        home = Path(pwd.getpwnam(self.user.name).pw_dir)
        view = server_sandbox.command(
            bwrap(Path(self.venv)), home=home,
            read_only=[Path(self.venv), Path(self.student_config),
                       *map(Path, self.shared)],
            writable=[Path(self.exchange)])
        return view + server

    def _limits(self) -> dict:
        return self.instructor_limits if self.is_instructor else self.student_limits

    def make_preexec_fn(self, name):
        become_user = super().make_preexec_fn(name)
        cgroup = self.cgroup

        def preexec():
            if cgroup is not None:
                cgroup.join()
            become_user()

        return preexec

    async def start(self):
        self.cmd = self._command()
        self.notebook_dir = self.course if self.is_instructor else ""
        limits = self._limits()
        self.cgroup = SandboxCgroup.create(int(limits.get("tasks", 1024)),
                                           int(float(limits.get("memory_gb", 4)) * 2**30),
                                           cpus=float(limits.get("cpus", 1)), prefix=PREFIX)
        if self.cgroup is None:
            self.log.warning("no cgroup for %s's server: its CPU and memory are not capped "
                             "(the hub must run as root on Linux with cgroups)", self.user.name)
        elif self.is_instructor:
            entry = pwd.getpwnam(self.user.name)
            self.cgroup.delegate(entry.pw_uid, entry.pw_gid)
        return await super().start()

    async def stop(self, now=False):
        """Ask every process of the server to end (a student's server runs in a sandbox
        whose outer process passes no signal on), give them ``term_timeout``, then stop."""
        if not now and self.cgroup is not None:
            for pid in self.cgroup.processes():
                try:
                    os.kill(pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
            deadline = time.monotonic() + self.term_timeout
            while self.cgroup.processes() and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
        await super().stop(now=now)

    def get_state(self):
        state = super().get_state()
        if self.cgroup is not None:
            state["cgroups"] = [str(f) for f in self.cgroup.folders]
        return state

    def load_state(self, state):
        super().load_state(state)
        if state.get("cgroups"):
            self.cgroup = SandboxCgroup([Path(f) for f in state["cgroups"]], ["restored"])

    def clear_state(self):
        super().clear_state()
        if self.cgroup is not None:
            self.cgroup.remove()
            self.cgroup = None
