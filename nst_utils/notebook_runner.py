"""Run the course notebooks headless, top to bottom, as "Restart & Run All" would.

    python -m nst_utils.notebook_runner notebooks/release/nst --out output/executed

Each notebook runs in a fresh kernel whose working folder is a copy of the
notebook's own folder, so the originals stay clean (no outputs are written
into them) and sibling notebooks can still be imported.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from nst_utils import config


@dataclass
class RunResult:
    notebook: str
    seconds: float
    errors: list[dict] = field(default_factory=list)  # {"cell": id, "ename": ..., "evalue": ...}
    executed: nbformat.NotebookNode | None = None
    stderr_cells: list[str] = field(default_factory=list)  # ids of cells that wrote to stderr

    @property
    def ok(self) -> bool:
        return not self.errors


def tools_env() -> dict:
    """A copy of the environment with this interpreter's tools first on PATH.

    Jupyter, nbgrader (and the ``alembic`` it calls) and kernels must come from
    the course's environment even when its virtualenv is not activated.
    """
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    return env


def _kernel_env(extra: dict | None) -> dict:
    env = tools_env()
    env.setdefault("MPLBACKEND", "module://matplotlib_inline.backend_inline")
    env.update(extra or {})
    return env


def execute(path: Path, workdir: Path, *, timeout: int = 600, allow_errors: bool = False,
            env: dict | None = None) -> RunResult:
    """Execute ``path`` with ``workdir`` as the kernel's working folder."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        allow_errors=allow_errors,
        # The kernel's own start-up warnings are not the notebook's business.
        extra_arguments=["--IPKernelApp.log_level=ERROR"],
        resources={"metadata": {"path": str(workdir)}},
    )
    started = time.perf_counter()
    try:
        client.execute(env=_kernel_env(env))  # the kernel's environment; ours is left alone
    except CellExecutionError:
        pass  # recorded below from the cell outputs
    result = RunResult(path.name, time.perf_counter() - started, executed=notebook)
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                result.errors.append({"cell": cell.get("id"), "ename": output["ename"],
                                      "evalue": output["evalue"]})
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                result.stderr_cells.append(cell.get("id"))
    return result


def run_folder(folder: Path, names=None, *, out: Path | None = None, timeout: int = 600,
               allow_errors: bool = False, env: dict | None = None, echo=print) -> list[RunResult]:
    """Execute the notebooks ``names`` (default: the whole series) of ``folder`` in a copy."""
    names = list(names or config.NOTEBOOKS)
    folder = Path(folder).resolve()  # "." has no name to copy it under
    results = []
    with tempfile.TemporaryDirectory(prefix="nst-run-") as tmp:
        work = Path(tmp) / folder.name
        shutil.copytree(folder, work, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
        for name in names:
            result = execute(work / name, work, timeout=timeout, allow_errors=allow_errors, env=env)
            echo(f"{name:32s} {result.seconds:7.1f} s  "
                 + ("ok" if result.ok else f"{len(result.errors)} error(s)"))
            for error in result.errors:
                echo(f"    cell {error['cell']}: {error['ename']}: {error['evalue'][:200]}")
            if out is not None:
                out.mkdir(parents=True, exist_ok=True)
                nbformat.write(result.executed, out / name)
            results.append(result)
            if not result.ok and not allow_errors:
                break
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nst_utils.notebook_runner",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path, nargs="?", default=config.RELEASE_DIR)
    parser.add_argument("--out", type=Path, help="write the executed notebooks here")
    parser.add_argument("--only", nargs="*", help="notebook file names (default: all)")
    parser.add_argument("--grading-mode", action="store_true",
                        help="run as nbgrader would: tiny images, few steps")
    parser.add_argument("--allow-errors", action="store_true")
    args = parser.parse_args(argv)
    env = {"NBGRADER_EXECUTION": "autograde"} if args.grading_mode else None
    results = run_folder(args.folder, args.only, out=args.out, env=env,
                         allow_errors=args.allow_errors)
    total = sum(r.seconds for r in results)
    print(f"{len(results)} notebook(s) in {total:.1f} s")
    return 0 if all(r.ok for r in results) or args.allow_errors else 1


if __name__ == "__main__":
    raise SystemExit(main())
