"""The grader's settings: one configurable class in the course's nbgrader configuration.

    python -m autograder config [--course DIR]   # every setting, its value and where it came from

Instructors set them where they configure nbgrader, in the course's
``nbgrader_config.py``, after the line that loads this course's configuration::

    c = get_config()
    load_subconfig("/path/to/the/clone/autograder/nbgrader_config.py")
    c.NstGrader.cell_timeout = 30
    c.NstGrader.late_penalty = "10%/day"

Each setting is a trait of :class:`NstGrader`, documented by its ``help``. Some
may be overridden by an environment variable (its ``env`` tag, always
``NST_*``), which wins over the file; this module is the only one of the
grader that reads them. The class gradebook's address is nbgrader's own
``c.CourseDirectory.db_url`` (``NST_GRADEBOOK_URL`` overrides it), the
exchange nbgrader's ``c.Exchange.root`` (``NST_EXCHANGE``).

A class is graded with the settings of the process that runs ``grade``: they
travel with every task to the workers (:func:`as_lines` writes them into each
private course's configuration), so a worker's own environment changes
nothing, and nbgrader's processes never read an override themselves
(:func:`without_overrides`).
"""

from __future__ import annotations

import argparse
import os
import sys
from functools import partial
from pathlib import Path

from traitlets import Bool, Float, Integer, Unicode
from traitlets.config import Config, Configurable
from traitlets.config.loader import PyFileConfigLoader

from autograder.cli import standalone

main = partial(standalone, __name__)  # main(argv=None) -> exit status: python -m autograder.<command>

#: This course's nbgrader configuration, which every course's configuration loads.
COURSE_CONFIG = Path(__file__).resolve().with_name("nbgrader_config.py")
#: Overrides of nbgrader's own settings, and the few that are not settings of a course.
GRADEBOOK_ENV = "NST_GRADEBOOK_URL"
EXCHANGE_ENV = "NST_EXCHANGE"
COURSE_ROOT_ENV = "NST_COURSE_ROOT"
SECRET_ENV = "NST_GRADING_SECRET"
HUB_CACHE_ENV = "NST_HUB_CACHE"


def _setting(trait, env: str | None = None):
    return trait.tag(config=True, env=env)


class NstGrader(Configurable):
    """How this course grades: time limits, the sandbox's limits, output caps, the class run."""

    # ------------------------------------------------------------ time limits
    cell_timeout = _setting(Integer(90, help=(
        "Seconds one cell may run while grading; then the kernel is interrupted, the cell "
        "records a time-out and later cells run.")), "NST_CELL_TIMEOUT")
    notebook_timeout = _setting(Float(0.0, help=(
        "Seconds one notebook's grading may take in all, nbgrader included, before it is "
        "killed and flagged; 0 means 3 x cell_timeout + 120.")), "NST_NOTEBOOK_TIMEOUT")
    kernel_start_timeout = _setting(Integer(120, help=(
        "Seconds a grading kernel may take to start and answer (its sandbox set up, "
        "TensorFlow imported).")))
    kernel_cleanup_timeout = _setting(Integer(10, help=(
        "Seconds a submission's sandbox may take to end what a graded notebook's kernel "
        "left running before the next notebook's kernel is forked.")))
    # ---------------------------------------------------- the sandbox's limits
    memory_limit_gb = _setting(Float(6.0, help=(
        "Address space one grading process may use (RLIMIT_AS), in GiB; fractions allowed. "
        "TensorFlow reserves much it never touches.")), "NST_MEMORY_LIMIT_GB")
    cpu_limit_s = _setting(Integer(1800, help=(
        "CPU seconds one process of a grading sandbox may use (RLIMIT_CPU).")), "NST_CPU_LIMIT_S")
    file_limit_mb = _setting(Integer(64, help=(
        "Largest file a grading kernel may write, in MB (RLIMIT_FSIZE).")), "NST_FILE_LIMIT_MB")
    process_limit = _setting(Integer(1024, help=(
        "Tasks, threads included, one grading sandbox may run (a pids cgroup as root, "
        "RLIMIT_NPROC otherwise).")), "NST_PROCESS_LIMIT")
    scratch_limit_mb = _setting(Integer(256, help="Size of /scratch, a grading kernel's "
                                        "working folder, in MB."), "NST_SCRATCH_LIMIT_MB")
    tmp_limit_mb = _setting(Integer(256, help="Size of a grading kernel's /tmp, in MB."),
                            "NST_TMP_LIMIT_MB")
    unsandboxed = _setting(Bool(False, help=(
        "Grade without the kernel sandbox: only for work you trust (the report says so).")),
        "NST_UNSANDBOXED")
    # ------------------------------------------------------------- output caps
    max_output_lines = _setting(Integer(200, help=(
        "Lines of output a graded notebook keeps per cell (nbgrader's LimitOutput).")),
        "NST_MAX_OUTPUT_LINES")
    max_message_bytes = _setting(Integer(256 * 2**10, help=(
        "Bytes of output one message of a grading kernel may keep.")))
    max_cell_bytes = _setting(Integer(2**20, help="Bytes of output one cell may keep."))
    max_notebook_bytes = _setting(Integer(4 * 2**20, help="Bytes of output one notebook may keep."))
    # --------------------------------------------------------- the class's run
    workers = _setting(Integer(1, help=(
        "Notebooks `grade` grades at a time on a local Dask cluster (its --workers).")))
    scheduler = _setting(Unicode("", help=(
        "Address of an existing Dask scheduler `grade` uses instead of a local cluster "
        "(its --scheduler), e.g. tcp://10.0.0.5:8786.")))
    kernels_ahead = _setting(Bool(True, help=(
        "Fork each submission's kernels from one sandbox that imported TensorFlow once; "
        "False: nbgrader starts every kernel itself, in a sandbox of its own.")),
        "NST_KERNELS_AHEAD")
    # ---------------------------------------------------------- late policy
    due = _setting(Unicode("", help=(
        "The assignment's due date, e.g. '2026-12-01 17:00:00 UTC' (`grade --due`); empty: "
        "the gradebook's own, if any.")))
    late_penalty = _setting(Unicode("none", help=(
        "What late work loses (`grade --late-penalty`): none, zero, N%/day or N%/hour of a "
        "notebook's score per started period late.")))

    def __init__(self, environ=None, **kwargs):
        super().__init__(**kwargs)
        environ = os.environ if environ is None else environ
        self.overridden: dict[str, str] = {}
        for name, trait in self.traits(config=True).items():
            variable = trait.metadata.get("env")
            if variable and environ.get(variable, "").strip():
                setattr(self, name, _parse(trait, variable, environ[variable]))
                self.overridden[name] = variable

    def notebook_seconds(self) -> float:
        """The wall-clock limit of one notebook (``notebook_timeout``, or its default)."""
        return self.notebook_timeout or 3 * self.cell_timeout + 120.0

    @classmethod
    def names(cls) -> list[str]:
        """The settings' names, in the order they are declared (grouped by what they set)."""
        return [name for name in vars(cls) if name in cls.class_traits(config=True)]

    def values(self) -> dict:
        """Every setting's value, by name."""
        return {name: getattr(self, name) for name in self.names()}


def _parse(trait, variable: str, text: str):
    """The value of ``$variable`` for ``trait``, or an error saying what it should be."""
    text = text.strip()
    try:
        if isinstance(trait, Bool):
            if text.lower() not in ("0", "1", "true", "false", "yes", "no"):
                raise ValueError
            return text.lower() in ("1", "true", "yes")
        if isinstance(trait, Integer):
            return int(text)
        if isinstance(trait, Float):
            return float(text)
    except ValueError:
        kind = {Bool: "0 or 1", Integer: "a whole number", Float: "a number"}[type(trait)]
        raise ValueError(f"{variable}={text!r} is not understood: unset it or give {kind}.") \
            from None
    return text


def course_config(course: Path | None) -> Path:
    """The configuration a course is graded with: its own ``nbgrader_config.py``, else this
    course's (``COURSE_CONFIG``)."""
    own = Path(course) / "nbgrader_config.py" if course is not None else None
    return own if own is not None and own.is_file() else COURSE_CONFIG


def load_config(course: Path | None = None) -> Config:
    """The nbgrader configuration a course is graded with, as traitlets reads it."""
    path = course_config(course)
    return PyFileConfigLoader(path.name, path=str(path.parent)).load_config()


def load(course: Path | None = None, environ=None) -> NstGrader:
    """The grader's settings for ``course`` (None: this course's defaults), overrides applied."""
    grader = NstGrader(environ=environ, config=load_config(course))
    grader.source = course_config(course)
    return grader


def as_lines(grader: NstGrader) -> list[str]:
    """``c.NstGrader.NAME = VALUE`` for every setting: a private course's configuration."""
    return [f"c.NstGrader.{name} = {value!r}" for name, value in grader.values().items()]


def without_overrides(environ: dict) -> dict:
    """``environ`` without the grader's override variables: a process started with it reads
    its settings from its configuration alone."""
    variables = {trait.metadata.get("env") for trait in NstGrader.class_traits(config=True).values()}
    return {key: value for key, value in environ.items() if key not in variables}


# ---------------------------------------------------- overrides of other things
def gradebook_url(course: Path, given: str | None = None, environ=None) -> str:
    """The class gradebook: ``given`` (--db), else ``$NST_GRADEBOOK_URL``, else the course's
    ``c.CourseDirectory.db_url``, else ``COURSE/gradebook.db``."""
    environ = os.environ if environ is None else environ
    configured = load_config(course).CourseDirectory.get("db_url") if course else None
    url = given or environ.get(GRADEBOOK_ENV) or configured \
        or f"sqlite:///{Path(course).resolve() / 'gradebook.db'}"
    if url.startswith("postgresql://"):  # psycopg 3, not SQLAlchemy's psycopg2 default
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


def gradebook_override() -> str | None:
    """``$NST_GRADEBOOK_URL``, for nbgrader's own ``CourseDirectory.db_url``."""
    return os.environ.get(GRADEBOOK_ENV) or None


def exchange_override() -> str | None:
    """``$NST_EXCHANGE``, for nbgrader's own ``Exchange.root`` (a shared hub folder)."""
    return os.environ.get(EXCHANGE_ENV) or None


def course_root(default: Path) -> Path:
    """The course folder commands work on: ``$NST_COURSE_ROOT``, else ``default``."""
    return Path(os.environ.get(COURSE_ROOT_ENV) or default).resolve()


def cache_root() -> Path:
    """Where the grader keeps what it builds once (grading templates, the kernels' font list):
    ``$XDG_CACHE_HOME/nst-autograder``, else a per-user folder of the temporary one."""
    import tempfile

    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "nst-autograder"
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError:  # no writable home: a per-user folder in the temporary directory
        cache = Path(tempfile.gettempdir()) / f"nst-autograder-{os.getuid()}"
        cache.mkdir(parents=True, exist_ok=True)
    return cache


def hub_cache() -> Path:
    """Where a class hub keeps the students' environments: ``$NST_HUB_CACHE``, else
    ``/var/cache/nst-course/hub`` (a folder every student can traverse)."""
    return Path(os.environ.get(HUB_CACHE_ENV) or "/var/cache/nst-course/hub")


def secret_override() -> bytes | None:
    """``$NST_GRADING_SECRET``: the secret that seeds graded cases, instead of the course's file."""
    value = os.environ.get(SECRET_ENV)
    return value.encode() if value else None


# ------------------------------------------------------------------ command
def describe(grader: NstGrader, course: Path | None) -> str:
    """Every setting, its value and where it came from, with what it means."""
    import textwrap

    configured = set(grader.config.get("NstGrader", {}))
    lines = [f"The grader's settings, from {grader.source} (sources: [default], "
             "[configuration], [$VARIABLE]):", ""]
    for name in grader.names():
        trait = grader.traits()[name]
        env = trait.metadata.get("env")
        if name in grader.overridden:
            source = f"${grader.overridden[name]}"
        elif name in configured:
            source = "configuration"
        else:
            source = "default"
        lines.append(f"c.NstGrader.{name} = {getattr(grader, name)!r}    [{source}]")
        lines += textwrap.wrap(trait.help + (f" Override: ${env}." if env else ""), 88,
                               initial_indent="    ", subsequent_indent="    ")
    folder = course if course is not None else Path("COURSE")
    lines += ["", f"c.CourseDirectory.db_url = {gradebook_url(folder)!r}    "
              f"[{'$' + GRADEBOOK_ENV if os.environ.get(GRADEBOOK_ENV) else 'configuration or default'}]",
              "    The class gradebook (SQLite or PostgreSQL); `--db URL` wins for one command."]
    return "\n".join(lines)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--course", type=Path, default=None,
                        help="course folder whose nbgrader_config.py is read "
                             "(default: $NST_COURSE_ROOT or ./course)")


def command(args: argparse.Namespace) -> int:
    course = args.course.resolve() if args.course else course_root(Path("course"))
    try:
        options = load(course)
    except ValueError as error:
        print(f"config: {error}", file=sys.stderr)
        return 2
    print(describe(options, course))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
