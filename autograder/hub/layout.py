"""The class's folders and who may do what in them.

::

    <class>/                     root 0755
      hub/                       root 0700: the hub's database, tokens, the plan, logs
      home/<user>/               each user's home, 0700 (students' work, the course folder)
      jupyter/student/           root 0755: the students' Jupyter and nbgrader configuration
      exchange/                  root 1777 (nbgrader: writable by all; sticky, as /tmp)
        nst-course/              instructor 0755
          outbound/              instructor 0755: released assignments, readable by all
          inbound/               instructor:instructor 3733: students may create entries but
                                 not list, rename or delete others' (set-GID: the
                                 instructor's group on every submission)
          feedback/              instructor 0711: feedback files by unguessable name

The course's exchange folders are made before any student can log in, owned
by the instructor: a student cannot take the course's name in the exchange.
The instructor's course folder (``~/nst-course``, in the 0700 home) is
nbgrader's course root, with this course's sealed grading configuration.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

from autograder.grading.cases import course_secret
from autograder.hub.accounts import Account
from nst_utils import config

EXCHANGE_MODES = {"": 0o1777, config.COURSE_ID: 0o755, "outbound": 0o755, "inbound": 0o3733,
                  "feedback": 0o711}
#: nbgrader's lab and server extensions students do not get (the instructor's tools).
STUDENT_HIDDEN_LAB = ("@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:course-list",
                      "@jupyter/nbgrader:create-assignment")
STUDENT_HIDDEN_SERVER = ("nbgrader.server_extensions.formgrader",
                         "nbgrader.server_extensions.course_list")


#: The file that marks a folder as a class's (only such a folder is ever removed).
MARKER = ".nst-class"


def make_root(root: Path) -> None:
    root.mkdir(parents=True, exist_ok=False)
    root.chmod(0o755)
    (root / MARKER).write_text("made by python -m autograder hub; removed with the class\n")
    (root / "hub").mkdir(mode=0o700)
    (root / "home").mkdir(mode=0o755)


def make_exchange(exchange: Path, instructor: Account) -> Path:
    """nbgrader's exchange with the course's folders made, owned by the instructor."""
    exchange.mkdir()
    exchange.chmod(EXCHANGE_MODES[""])
    course = exchange / config.COURSE_ID
    for folder in (course, course / "outbound", course / "inbound", course / "feedback"):
        folder.mkdir()
        os.chown(folder, instructor.uid, instructor.gid)
        folder.chmod(EXCHANGE_MODES[folder.name])
    return course


def write_student_config(folder: Path, exchange: Path) -> None:
    """What a student's server loads (``JUPYTER_CONFIG_PATH``): nbgrader's exchange and
    course, the Assignments tab and validation but not the instructor's tools."""
    (folder / "labconfig").mkdir(parents=True)
    (folder / "nbgrader_config.py").write_text(
        "# A student's nbgrader configuration on this class hub.\n"
        "from nst_utils.exchange import configure_student\n\n"
        f"configure_student(get_config(), {str(exchange)!r})  # noqa: F821\n", encoding="utf-8")
    (folder / "jupyter_server_config.json").write_text(json.dumps(
        {"ServerApp": {"jpserver_extensions": {name: False for name in STUDENT_HIDDEN_SERVER}}},
        indent=1), encoding="utf-8")
    (folder / "labconfig" / "page_config.json").write_text(json.dumps(
        {"disabledExtensions": {name: True for name in STUDENT_HIDDEN_LAB}}, indent=1),
        encoding="utf-8")
    for path in [folder.parent, folder, *folder.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)


def make_course(course: Path, code: Path, checkout: Path, instructor: Account) -> Path:
    """The instructor's nbgrader course: the source and release notebooks, the course's
    nbgrader configuration from the instructor's copy of ``autograder``, its grading
    secret."""
    for part in ("source", "release"):
        shutil.copytree(checkout / "notebooks" / part / config.ASSIGNMENT_ID,
                        course / part / config.ASSIGNMENT_ID,
                        ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    settings = code / "autograder" / "nbgrader_config.py"
    (course / "nbgrader_config.py").write_text(
        f"c = get_config()  # noqa: F821\nload_subconfig({str(settings)!r})  # noqa: F821\n",
        encoding="utf-8")
    course_secret(course)  # the grading secret, made with the course (0600)
    subprocess.run(["chown", "-R", f"{instructor.uid}:{instructor.gid}", str(course)], check=True)
    course.chmod(0o700)
    return course


def share_weights(root: Path) -> dict:
    """The pretrained VGG19 weights this machine has (found as the course finds them), in
    ``<class>/shared`` (0644) for every server: ``{"folder", "variable", "file"}``, or
    ``{}`` when there are none (the notebooks then say they run the offline network)."""
    from nst_utils.weights.finding import find_weights

    found = find_weights()
    if found is None:
        return {}
    folder = root / "shared"
    folder.mkdir(mode=0o755)
    target = folder / found.path.name
    shutil.copyfile(found.path, target)
    target.chmod(0o644)
    return {"folder": str(folder), "variable": config.WEIGHTS_ENV_VAR, "file": str(target)}
