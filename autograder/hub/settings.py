"""A class's plan (who, where, which ports, which limits) and the JupyterHub config made from it.

``python -m autograder hub`` writes the plan to ``<class>/hub/class.json``
(root only: it holds the passwords) and a ``jupyterhub_config.py`` that
applies it (:func:`apply`), so ``jupyterhub -f <class>/hub/jupyterhub_config.py``
runs the same hub by hand. Everything listens on 127.0.0.1.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path

#: Per-server limits (cgroups). A student painting uses about one core and 1-2 GB.
STUDENT_LIMITS = {"memory_gb": 3, "cpus": 1, "tasks": 1024}
INSTRUCTOR_LIMITS = {"memory_gb": 16, "cpus": 2, "tasks": 4096}
ADMIN_SERVICE = "class-admin"


@dataclass
class Plan:
    root: str  # the class folder
    prefix: str
    instructor: str
    students: list[str]
    passwords: dict[str, str]
    environment: str  # the students' shared environment
    instructor_code: str  # the instructor side (a partial clone), first on their PYTHONPATH
    instructor_site: str  # the third-party packages only the instructor side needs, next
    course: str  # the instructor's nbgrader course folder
    port: int  # the proxy's public port: the class's URL
    proxy_api_port: int
    hub_port: int
    student_limits: dict = field(default_factory=lambda: dict(STUDENT_LIMITS))
    instructor_limits: dict = field(default_factory=lambda: dict(INSTRUCTOR_LIMITS))
    shared: list[str] = field(default_factory=list)  # more read-only folders for students
    extra_env: dict = field(default_factory=dict)  # e.g. NST_VGG19_WEIGHTS

    @property
    def hub_dir(self) -> Path:
        return Path(self.root) / "hub"

    @property
    def exchange(self) -> Path:
        return Path(self.root) / "exchange"

    @property
    def student_config(self) -> Path:
        return Path(self.root) / "jupyter" / "student"

    @property
    def instructor_pythonpath(self) -> str:
        return f"{self.instructor_code}:{self.instructor_site}"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def hub_api(self) -> str:
        return f"http://127.0.0.1:{self.hub_port}/hub/api"

    def secret(self, name: str) -> str:
        """A token of the hub's (made once, kept in the hub's root-only folder)."""
        path = self.hub_dir / name
        if not path.exists():
            path.touch(mode=0o600)
            path.write_text(secrets.token_hex(32))
        return path.read_text().strip()

    def save(self) -> Path:
        path = self.hub_dir / "class.json"
        path.touch(mode=0o600)
        path.write_text(json.dumps(asdict(self), indent=1) + "\n", encoding="utf-8")
        config = self.hub_dir / "jupyterhub_config.py"
        config.write_text("# Made by python -m autograder hub: the class's plan, applied.\n"
                          "from autograder.hub.settings import apply\n\n"
                          f"apply(get_config(), {str(path)!r})  # noqa: F821\n",
                          encoding="utf-8")
        return config

    @classmethod
    def load(cls, path: str | Path) -> "Plan":
        return cls(**json.loads(Path(path).read_text(encoding="utf-8")))


def apply(c, path: str | Path) -> None:
    """Configure JupyterHub (config object ``c``) for the class in ``path``."""
    plan = Plan.load(path)
    hub = plan.hub_dir
    c.JupyterHub.bind_url = f"{plan.url}/"
    c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{plan.hub_port}"
    # The proxy is started beside the hub, not by it, so that it (and every route to a
    # running server) outlives a restart of the hub.
    c.ConfigurableHTTPProxy.should_start = False
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{plan.proxy_api_port}"
    c.ConfigurableHTTPProxy.auth_token = plan.secret("proxy-token")
    c.JupyterHub.cleanup_servers = False
    c.JupyterHub.db_url = f"sqlite:///{hub / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret_file = str(hub / "cookie-secret")
    c.JupyterHub.pid_file = str(hub / "jupyterhub.pid")
    c.JupyterHub.authenticator_class = "autograder.hub.login.ClassPasswords"
    c.ClassPasswords.passwords = plan.passwords
    c.Authenticator.allowed_users = {plan.instructor, *plan.students}
    c.JupyterHub.services = [{"name": ADMIN_SERVICE, "api_token": plan.secret("admin-token")}]
    c.JupyterHub.load_roles = [{"name": ADMIN_SERVICE, "services": [ADMIN_SERVICE],
                                "scopes": ["admin:users", "admin:servers", "tokens"]}]
    c.JupyterHub.spawner_class = "autograder.hub.spawner.ClassSpawner"
    c.Spawner.ip = "127.0.0.1"
    c.Spawner.default_url = "/lab"
    c.Spawner.start_timeout = 300
    c.Spawner.http_timeout = 300
    spawner = c.ClassSpawner
    spawner.venv = plan.environment
    spawner.exchange = str(plan.exchange)
    spawner.student_config = str(plan.student_config)
    spawner.shared = plan.shared
    spawner.instructor = plan.instructor
    spawner.course = plan.course
    spawner.instructor_path = plan.instructor_pythonpath
    spawner.student_limits = plan.student_limits
    spawner.instructor_limits = plan.instructor_limits
    spawner.extra_env = plan.extra_env
