"""An IPython kernel that imports TensorFlow and matplotlib before it starts.

``python -m nst_utils.grading.preloaded_kernel -f CONNECTION_FILE`` is what the
grading sandbox runs in place of ``ipykernel_launcher``. While one of a
learner's notebooks is graded, the kernel of their next notebook is started
(it reads nothing of theirs until it runs their cells); importing the heavy
libraries here lets it do that wait usefully. Your cells import what they
import as always: those modules are simply loaded already. If a preload
fails, the kernel starts anyway and your own import reports the problem.
"""

import sys
from pathlib import Path

PRELOADED = ("nst_utils._tf", "matplotlib.pyplot", "matplotlib_inline.backend_inline",
             "nst_utils.checks")


def preload() -> None:
    import importlib

    for name in PRELOADED:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 - the learner's own import will say what is wrong
            pass


def leave_working_folder_off_path() -> None:
    """As ipykernel_launcher does: the working folder leaves ``sys.path`` while the kernel
    loads (IPython puts it back)."""
    if sys.path and (sys.path[0] == "" or Path(sys.path[0]) == Path.cwd()):
        del sys.path[0]


if __name__ == "__main__":
    leave_working_folder_off_path()
    preload()
    from ipykernel import kernelapp

    kernelapp.launch_new_instance()
