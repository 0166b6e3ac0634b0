"""The grading kernel's sandbox, tried from inside a real sandboxed kernel.

Each test runs code in a kernel started by ``SandboxedKernelManager`` (the
class nbgrader's Execute uses while grading) and checks what a hostile
submission would notice: what it can read, write, reach and exhaust.
"""

import asyncio
import json
import os
import select
import socket
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from jupyter_client.manager import AsyncKernelManager

from autograder import sandbox
from autograder.sandbox import Limits, SandboxedKernelManager, read_scratch_file
from prerequisites import require

ROOT = Path(__file__).resolve().parents[1]
SECRET_ENV = "NST_TEST_COURSE_SECRET"
#: How long a test waits for something to happen before it calls it a hang. Generous:
#: on a loaded 2-core machine a kernel takes a while to start. No test measures a duration.
WAIT_S = 300

require(sys.platform.startswith("linux"), "the grading sandbox is Linux-only", module=True)


class Kernel:
    """A sandboxed kernel driven synchronously: ``run(code)`` -> (stdout, reply content)."""

    def __init__(self, staging: Path, limits: Limits | None = None):
        self.loop = asyncio.new_event_loop()
        kwargs = {"limits": limits} if limits else {}
        self.km = SandboxedKernelManager(kernel_name="python3", **kwargs)
        self.loop.run_until_complete(self.km.start_kernel(cwd=str(staging)))
        self.kc = self.km.client()
        self.kc.start_channels()
        self.loop.run_until_complete(self.kc.wait_for_ready(timeout=WAIT_S))

    def run(self, code: str, timeout: float = WAIT_S, on_output=None) -> tuple[str, dict]:
        """Run ``code``; ``on_output(text)`` is called with each piece of output as it comes."""
        out: list[str] = []

        def hook(msg):
            if msg["msg_type"] == "stream":
                out.append(msg["content"]["text"])
                if on_output:
                    on_output(msg["content"]["text"])
        reply = self.loop.run_until_complete(
            self.kc.execute_interactive(code, timeout=timeout, output_hook=hook))
        return "".join(out), reply["content"]

    def json(self, code: str):
        out, reply = self.run(code)
        assert reply["status"] == "ok", reply.get("traceback")
        return json.loads(out.strip().splitlines()[-1])

    def close(self):
        self.kc.stop_channels()
        self.loop.run_until_complete(self.km.shutdown_kernel(now=True))
        self.loop.close()


@pytest.fixture(scope="module")
def staging(tmp_path_factory):
    folder = tmp_path_factory.mktemp("staging")
    (folder / "_grading" / "inputs").mkdir(parents=True)
    (folder / "_grading" / "inputs" / "case.json").write_text('{"seed": 7}')
    (folder / "01_sibling.ipynb").write_text("{}")
    return folder


@pytest.fixture(scope="module")
def kernel(staging):
    os.environ[SECRET_ENV] = "s3cret"
    try:
        k = Kernel(staging)
    finally:
        del os.environ[SECRET_ENV]
    yield k
    k.close()


def test_the_sandbox_is_there_and_grading_uses_it():
    """No silent fallback: where CI runs (Linux) grading kernels are sandboxed."""
    ok, reason = sandbox.sandbox_available()
    assert ok, reason
    assert sandbox.kernel_manager_class() is SandboxedKernelManager


def test_without_a_sandbox_grading_refuses_unless_told(monkeypatch):
    from autograder import settings

    monkeypatch.setattr(sandbox, "sandbox_available", lambda: (False, "no user namespaces"))
    with pytest.raises(sandbox.SandboxUnavailable, match="no user namespaces.*--unsandboxed"):
        sandbox.kernel_manager_class()
    assert sandbox.kernel_manager_class(unsandboxed=True) is AsyncKernelManager
    assert settings.NstGrader(environ={"NST_UNSANDBOXED": "1"}).unsandboxed


def test_check_command_says_what_is_enforced(capsys):
    assert sandbox.main(["--check"]) == 0
    out = capsys.readouterr().out
    assert "WILL be sandboxed" in out and "[no]" not in out


def test_kernel_sees_its_scratch_and_nothing_of_the_course(kernel, tmp_path):
    course = tmp_path / "course" / "submitted" / "other_student"
    course.mkdir(parents=True)
    (course / "01.ipynb").write_text("another student's work")
    outside = [str(course / "01.ipynb"), str(ROOT / "autograder" / "__init__.py"),
               str(ROOT / "notebooks"), str(ROOT / "README.md"), "/etc/passwd",
               "/var/run/postgresql", str(ROOT / ".git")]
    home = Path.home()
    # only the path to the Python installation may show in the instructor's home
    allowed = {Path(p).resolve().relative_to(home).parts[0]
               for p in (sys.base_prefix, sys.prefix) if home in Path(p).resolve().parents}
    seen = kernel.json(f"""
import json, os, importlib.util
def reads(p):
    try:
        return bool(os.listdir(p)) if os.path.isdir(p) else bool(open(p, 'rb').read(1))
    except OSError:
        return False
print(json.dumps({{"outside": {{p: reads(p) for p in {outside!r}}},
    "cwd": os.getcwd(), "staged": open('_grading/inputs/case.json').read(),
    "sibling": os.path.exists('01_sibling.ipynb'),
    "autograder": importlib.util.find_spec('autograder') is not None and
                  os.path.exists(importlib.util.find_spec('autograder').origin or ''),
    "secret": {SECRET_ENV!r} in os.environ,
    "home": os.listdir({str(home)!r}) if os.path.isdir({str(home)!r}) else []}}))
""")
    assert seen["outside"] == {p: False for p in outside}
    assert seen["cwd"] == "/scratch" and seen["staged"] == '{"seed": 7}' and seen["sibling"]
    assert not seen["autograder"] and not seen["secret"]
    assert set(seen["home"]) <= allowed


def test_kernel_writes_only_its_own_scratch(kernel, staging, tmp_path):
    marker = f"nst-sandbox-{os.getpid()}-{time.time_ns()}"
    targets = [str(tmp_path / marker), str(ROOT / "nst_utils" / marker), f"/{marker}",
               str(staging / marker)]
    wrote = kernel.json(f"""
import json
def write(p):
    try:
        open(p, 'w').write('x'); return True
    except OSError:
        return False
print(json.dumps({{p: write(p) for p in {targets!r} + ['/tmp/{marker}', '{marker}']}}))
""")
    assert wrote[marker] and wrote[f"/tmp/{marker}"]   # its scratch and private /tmp
    assert not any(wrote[p] for p in targets[1:3])
    assert not any(Path(p).exists() for p in targets + [f"/tmp/{marker}"])
    assert kernel.km.read_scratch_file(marker, 10) == b"x"


def test_kernel_has_no_network_and_no_host_sockets(kernel, tmp_path):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.5)
    unix = socket.socket(socket.AF_UNIX)
    unix.bind(str(tmp_path / "db.sock"))
    unix.listen()
    port = server.getsockname()[1]
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind(("127.0.0.1", 0))
    udp.settimeout(0.5)
    reached = kernel.json(f"""
import json, socket
def tcp():
    try:
        socket.create_connection(('127.0.0.1', {port}), timeout=2); return True
    except OSError:
        return False
def unix(p):
    try:
        s = socket.socket(socket.AF_UNIX); s.settimeout(2); s.connect(p); return True
    except OSError:
        return False
try:
    socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b'x', ('127.0.0.1', {udp.getsockname()[1]}))
except OSError:
    pass
print(json.dumps([tcp(), unix({str(tmp_path / "db.sock")!r}),
                  unix('/var/run/postgresql/.s.PGSQL.5432')]))
""")
    assert reached == [False, False, False]
    with pytest.raises(socket.timeout):
        server.accept()
    with pytest.raises(socket.timeout):
        udp.recv(10)
    for s in (server, unix, udp):
        s.close()


def test_proc_shows_only_the_sandbox(kernel):
    seen = kernel.json("""
import json, os
pids = [p for p in os.listdir('/proc') if p.isdigit()]
cmds = [open(f'/proc/{p}/cmdline', 'rb').read().decode(errors='replace') for p in pids]
print(json.dumps({"pids": len(pids), "ppid": os.getppid(), "pytest": any('pytest' in c for c in cmds)}))
""")
    assert seen["pids"] <= 3 and seen["ppid"] == 1 and not seen["pytest"]


def test_memory_file_size_and_disk_are_bounded(kernel):
    out = kernel.json("""
import errno, json, os
result = {}
try:
    block = bytearray(8 * 2**30); result['memory'] = 'allocated'
except MemoryError:
    result['memory'] = 'MemoryError'
try:
    with open('big.bin', 'wb') as f:
        f.write(b'0' * (65 * 2**20))
    result['file'] = 'written'
except OSError as e:
    result['file'] = errno.errorcode[e.errno]
os.remove('big.bin')
for folder in ('/scratch', '/tmp', '/dev/shm'):
    written, n = 0, 0
    try:
        while written < 2**31:
            with open(f'{folder}/fill{n}', 'wb') as f:
                f.write(b'0' * (16 * 2**20)); written += 16 * 2**20; n += 1
    except OSError as e:
        result[folder] = [errno.errorcode[e.errno], written // 2**20]
    for i in range(n + 1):
        if os.path.exists(f'{folder}/fill{i}'):
            os.remove(f'{folder}/fill{i}')
print(json.dumps(result))
""")
    assert out["memory"] == "MemoryError" and out["file"] == "EFBIG"
    for folder, cap in (("/scratch", 256), ("/tmp", 256), ("/dev/shm", 64)):
        assert out[folder][0] == "ENOSPC" and out[folder][1] <= cap, (folder, out[folder])


def test_results_are_read_safely_from_the_trusted_side(kernel):
    kernel.run("""
import os
os.makedirs('_grading/results', exist_ok=True)
open('_grading/results/ok.npz', 'wb').write(b'abc')
os.symlink('/etc/hostname', '_grading/results/link.npz')
os.mkfifo('_grading/results/fifo.npz')
open('_grading/results/big.npz', 'wb').write(b'0' * 2048)
os.symlink('/etc', 'etc_link')
""")
    read = kernel.km.read_scratch_file
    assert read("_grading/results/ok.npz", 100) == b"abc"
    for name in ("link.npz", "fifo.npz", "big.npz", "missing.npz"):
        assert read(f"_grading/results/{name}", 1024) is None, name
    assert read("etc_link/hostname", 100) is None
    assert read("../etc/hostname", 100) is None and read("/etc/hostname", 100) is None


def test_read_scratch_file_on_a_host_folder(tmp_path):
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "a.npz").write_bytes(b"1")
    (tmp_path / "r" / "b.npz").symlink_to(tmp_path / "r" / "a.npz")
    (tmp_path / "s").symlink_to(tmp_path / "r")
    assert read_scratch_file(tmp_path, "r/a.npz", 10) == b"1"
    assert read_scratch_file(tmp_path, "r/b.npz", 10) is None
    assert read_scratch_file(tmp_path, "s/a.npz", 10) is None


def test_interrupt_stops_a_runaway_cell(kernel):
    """Interrupted once it is spinning, the cell stops (it would run past any deadline otherwise)."""
    interrupts = []

    def interrupt_when_spinning(text):
        if "spinning" in text and not interrupts:
            interrupts.append(kernel.loop.create_task(kernel.km.interrupt_kernel()))
    _, reply = kernel.run("print('spinning', flush=True)\nwhile True:\n    pass",
                          on_output=interrupt_when_spinning)
    kernel.loop.run_until_complete(asyncio.gather(*interrupts))
    assert reply["status"] == "error" and reply["ename"] == "KeyboardInterrupt"
    assert kernel.run("print(1 + 1)")[0].strip() == "2"


def test_tensorflow_and_nst_utils_work_inside(kernel):
    out, reply = kernel.run("from nst_utils import tf\nimport numpy as np\n"
                            "print(float(tf.reduce_sum(tf.ones((2, 3)))), np.arange(3).sum())")
    assert reply["status"] == "ok", reply.get("traceback")
    assert out.split() == ["6.0", "3"]


FRESH_MATPLOTLIB = """
import json, logging, matplotlib
records = []
class Keep(logging.Handler):
    def emit(self, record): records.append(record.getMessage())
logging.getLogger("matplotlib.font_manager").addHandler(Keep())
logging.getLogger("matplotlib.font_manager").setLevel(logging.DEBUG)
import matplotlib.font_manager as fm
print(json.dumps([matplotlib.get_cachedir(), records, fm.findfont("DejaVu Sans")]))
"""


def test_matplotlib_finds_its_font_list_made_once(kernel):
    """Each kernel's /tmp is new, so without the shared list matplotlib rebuilt it per notebook."""
    found = kernel.json("import subprocess, sys\n"
                        f"print(subprocess.run([sys.executable, '-c', {FRESH_MATPLOTLIB!r}],\n"
                        "      capture_output=True, text=True).stdout)")
    cache, messages, font = found
    assert cache == "/tmp/matplotlib"
    assert any("Using fontManager instance from" in m for m in messages), messages
    assert not any("generated new fontManager" in m for m in messages), messages
    assert os.path.isfile(font)


def _wait_for(condition, what: str) -> None:
    """Wait until ``condition()`` holds; fail, naming ``what``, if it has not within WAIT_S."""
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, f"{what}: not so after {WAIT_S} s"
        time.sleep(0.1)


def _processes_with(token: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and token in (entry / "cmdline").read_bytes().decode(errors="replace"):
                found.append(int(entry.name))
        except OSError:
            pass
    return found


def test_fork_bomb_is_contained_and_everything_dies_with_the_kernel(kernel, tmp_path):
    token = str(900000 + os.getpid() % 99999)
    bomb = Kernel(tmp_path, Limits(processes=64))
    try:
        bomb.run(f"import subprocess\nsubprocess.Popen(['sleep', '{token}'])")
        out, reply = bomb.run("""
import os, time
children = 0
try:
    while True:
        if os.fork() == 0:
            while True:
                try:
                    os.fork()
                except OSError:
                    time.sleep(0.2)
        children += 1
except OSError as e:
    print(children, e.errno)
""")
        assert reply["status"] == "ok" and int(out.split()[0]) < 64, out
        assert kernel.run("print('still here')")[0].strip() == "still here"
        assert _processes_with(token)
    finally:
        bomb.close()
    _wait_for(lambda: not _processes_with(token), "every process of the closed kernel ended")


def _adopted_run(loop, forked: dict, name: str, code: str) -> str:
    """Adopt a forked kernel as Execute does, run ``code``, end it; what it printed."""
    from autograder.grading.kernels import AdoptedKernelManager

    assert forked["notebook"] == name
    km = AdoptedKernelManager(forked)
    loop.run_until_complete(km.start_kernel())
    kc = km.client()
    kc.start_channels()
    try:
        loop.run_until_complete(kc.wait_for_ready(timeout=WAIT_S))
        assert km.identify()  # before anything of the learner's runs
        out = []
        reply = loop.run_until_complete(kc.execute_interactive(
            code, timeout=WAIT_S, output_hook=lambda m: out.append(m["content"].get("text", ""))))
        assert reply["content"]["status"] == "ok", out
        assert loop.run_until_complete(km.is_alive())
    finally:
        kc.stop_channels()
    loop.run_until_complete(km.shutdown_kernel(now=True))
    return "".join(out)


def _in_sandbox(sandbox_pid: int, inner: int) -> int | None:
    """The host's PID of process ``inner`` of a sandbox (a test's look, never the grader's)."""
    namespace = os.readlink(f"/proc/{sandbox_pid}/ns/pid")
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.readlink(f"/proc/{entry}/ns/pid") != namespace:
                continue
            status = Path(f"/proc/{entry}/status").read_text()
        except OSError:
            continue
        line = next((x for x in status.splitlines() if x.startswith("NSpid:")), "")
        if line.split()[-1:] == [str(inner)]:
            return int(entry)
    return None


def test_a_submissions_kernels_are_forked_fresh_in_course_order(tmp_path, monkeypatch):
    """One sandbox per submission forks each notebook's kernel (TensorFlow imported once):
    each sees only its own staging, nothing an earlier kernel left (files, processes)
    survives into the next, and no kernel is forked out of the course's order."""
    from autograder.grading import kernels as forked_kernels
    from nst_utils import config

    first, second = config.NOTEBOOKS[2], config.NOTEBOOKS[3]
    factory = forked_kernels.KernelFactory.start({"NBGRADER_EXECUTION": "autograde"})
    assert factory is not None
    loop = asyncio.new_event_loop()
    bound = {Path(p).resolve().relative_to("/tmp").parts[0] for p in (sys.prefix, __file__)
             if Path(p).resolve().is_relative_to("/tmp")}  # a clone or venv under /tmp
    look = ("import os, sys, tensorflow as tf\n"
            f"print(sorted(os.listdir('.')), sorted(set(os.listdir('/tmp')) - {bound!r}),"
            " sorted(os.listdir('/staging')),"
            " [p for p in os.listdir('/proc') if p.isdigit() and int(p) not in (1, 2, os.getpid())],"
            " 'tensorflow' in sys.modules, float(tf.reduce_sum(tf.ones(3))),"
            " os.environ.get('NBGRADER_EXECUTION'))\n"
            "for what in ('mem', 'environ'):\n"  # the factory (its parent) cannot be tampered with
            "    try:\n"
            "        open(f'/proc/{os.getppid()}/{what}', 'rb').read(1); print('open', what)\n"
            "    except OSError as error:\n"
            "        print('closed', what)\n")
    try:
        kernel = factory.kernel(first, lambda folder: (folder / "first.txt").write_text("1"))
        assert factory.kernel(second, lambda folder: None) is None  # one at a time
        said = _adopted_run(loop, kernel, first, look + (
            "import subprocess; subprocess.Popen(['sleep', '300'], start_new_session=True)\n"
            "open('/tmp/left-behind', 'w').write('x'); open('mine.txt', 'w').write('x')"))
        assert said.startswith("['_grading', 'first.txt'] ['.ipython', 'matplotlib'] "
                               "['first.txt'] [] True 3.0 autograde\nclosed mem\nclosed environ"), said
        factory.release()
        assert factory.kernel(first, lambda folder: None) is None  # never the same again
        kernel = factory.kernel(second, lambda folder: (folder / "second.txt").write_text("2"))
        said = _adopted_run(loop, kernel, second, look)
        assert said.startswith("['_grading', 'second.txt'] ['.ipython', 'matplotlib'] "
                               "['second.txt'] [] True 3.0"), said
        factory.release()
        assert factory.kernel(config.NOTEBOOKS[1], lambda folder: None) is None  # an earlier one
        factory_pid = _in_sandbox(factory.sandbox_pid, 2)
        os.kill(factory_pid, 9)  # the factory is killed
        _wait_for(lambda: not forked_kernels.alive(factory_pid), "the killed factory is gone")
        waits = []  # its later notebooks start kernels of their own, at once: nothing waits for it
        monkeypatch.setattr(forked_kernels, "select", SimpleNamespace(
            select=lambda *args: waits.append(args) or select.select(*args)))
        assert factory.kernel(config.NOTEBOOKS[4], lambda folder: None) is None
        assert waits == [], f"asked a dead factory for a kernel and waited for its answer: {waits}"
    finally:
        loop.close()
        pid = factory.sandbox_pid
        factory.close()
    _wait_for(lambda: not forked_kernels.alive(pid), "the closed factory's sandbox ended")


#: An ungraded cell that shows how its kernel was started: what a C library writes to the
#: process's stderr, whether the kernel keeps a history, and how a traceback is printed.
_HOW_STARTED = ("import os\n"
                "os.write(2, b'written by C code to the kernel process stderr\\n')\n"
                "shell = get_ipython()\n"
                "print('history', shell.history_manager.enabled, shell.history_manager.hist_file)\n"
                "def broken():\n"
                "    return 1 / 0\n"
                "broken()\n")


@pytest.mark.slow
def test_a_forked_kernel_is_started_as_nbgrader_starts_its_own(monkeypatch):
    """The same notebook graded with its kernel forked by the submission's sandbox and with
    the kernel nbgrader starts itself comes out the same: same outputs, tracebacks and
    score (the forked kernel gets the kernel arguments of the course's configuration)."""
    from autograder.grading import jobs as course
    from autograder import samples

    notebooks = samples.Builder().filled()
    name = "02_gram_matrix.ipynb"
    cells_ = notebooks[name]["cells"]
    test_at = next(i for i, cell in enumerate(cells_)
                   if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == "test_gram_matrix")
    cells_.insert(test_at, {"cell_type": "code", "id": "how-started", "metadata": {},
                            "execution_count": None, "outputs": [], "source": _HOW_STARTED})
    task = course.GradingTask("learner", name, json.dumps(notebooks[name]).encode())
    graded = {}
    for path, switch in (("forked", "1"), ("nbgrader's own", "0")):
        monkeypatch.setenv("NST_KERNELS_AHEAD", switch)
        [outcome] = course.run_jobs([task], workers=1, secret=b"the same cases on both paths")
        graded[path] = outcome
    forked, own = (json.loads(graded[p].autograded) for p in ("forked", "nbgrader's own"))
    shown = {path: [cell.get("outputs") for cell in nb["cells"] if cell["cell_type"] == "code"]
             for path, nb in (("forked", forked), ("own", own))}
    how = next(cell["outputs"] for cell in own["cells"] if cell.get("id") == "how-started")
    assert any("ZeroDivisionError" in str(o) for o in how), how
    assert shown["forked"] == shown["own"]
    assert graded["forked"].exercises == graded["nbgrader's own"].exercises
    assert graded["forked"].exercises["gram_matrix"]["points"] == 2.0
