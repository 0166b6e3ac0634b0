"""The class's two long-running processes: the HTTP proxy and JupyterHub.

The proxy is configurable-http-proxy from npm, installed into
``autograder/hub/proxy/node_modules`` by ``npm ci`` (``make setup`` runs it;
the versions are pinned by ``package-lock.json``). It is started beside the
hub rather than by it, so a hub restart leaves every student's route, and
server, in place. Both listen on 127.0.0.1 only; their logs go to
``<class>/hub/``.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from autograder.hub.settings import Plan

PROXY_DIR = Path(__file__).with_name("proxy")
PROXY_BIN = PROXY_DIR / "node_modules" / "configurable-http-proxy" / "bin" / "configurable-http-proxy"
START_S = 180


class HubError(RuntimeError):
    """The proxy or the hub did not start (the message says why, with its log)."""


def proxy_command(plan: Plan) -> list[str]:
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        raise HubError("Node.js is missing: the hub's proxy needs it "
                       "(Debian: apt-get install nodejs)")
    if not PROXY_BIN.is_file():
        raise HubError(f"configurable-http-proxy is not installed in {PROXY_DIR}: run "
                       f"`npm ci --prefix {PROXY_DIR}` (make setup does)")
    hub = f"http://127.0.0.1:{plan.hub_port}"
    return [node, str(PROXY_BIN), "--ip", "127.0.0.1", "--port", str(plan.port),
            "--api-ip", "127.0.0.1", "--api-port", str(plan.proxy_api_port),
            "--default-target", hub, "--error-target", f"{hub}/hub/error", "--log-level", "warn"]


def _start(argv: list[str], log: Path, env: dict) -> subprocess.Popen:
    with open(log, "ab") as out:
        return subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=env, start_new_session=True,
                                cwd=log.parent)


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as answer:
            return answer.status < 500
    except urllib.error.HTTPError as error:
        return error.code < 500
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return False


def wait_ready(process: subprocess.Popen, url: str, log: Path, what: str) -> None:
    deadline = time.monotonic() + START_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise HubError(f"{what} exited with status {process.returncode}:\n"
                           + log.read_text(errors="replace")[-4000:])
        if _ready(url):
            return
        time.sleep(0.25)  # polling interval while it starts
    raise HubError(f"{what} did not answer at {url} within {START_S} s:\n"
                   + log.read_text(errors="replace")[-4000:])


def start_proxy(plan: Plan) -> subprocess.Popen:
    log = plan.hub_dir / "proxy.log"
    env = dict(os.environ, CONFIGPROXY_AUTH_TOKEN=plan.secret("proxy-token"))
    process = _start(proxy_command(plan), log, env)
    wait_ready(process, f"http://127.0.0.1:{plan.proxy_api_port}/api/routes", log, "the proxy")
    return process


def start_hub(plan: Plan) -> subprocess.Popen:
    log = plan.hub_dir / "jupyterhub.log"
    config = plan.hub_dir / "jupyterhub_config.py"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JUPYTER", "NST_"))}
    env["PATH"] = f"{Path(sys.executable).parent}:{env.get('PATH', '/usr/bin:/bin')}"
    process = _start([sys.executable, "-m", "jupyterhub", "-f", str(config)], log, env)
    wait_ready(process, f"http://127.0.0.1:{plan.hub_port}/hub/health", log, "JupyterHub")
    return process


def stop(process: subprocess.Popen | None, grace_s: float = 30) -> None:
    """SIGTERM, then SIGKILL after ``grace_s``; the process's own children are its business
    (the hub leaves the servers running on purpose)."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(grace_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
