"""The graded cases: inputs chosen per submission, and the reference's answers to them.

Trusted side only. For every exercise of a notebook, :func:`prepare` draws
fresh inputs (as the exercise draws them: :mod:`nst_utils.grading.exercises`)
from a seed that depends on a course secret and the submitted notebook's
digest (a regrade of the same file gets the same cases; nobody without the
secret can predict them), then runs the reference solution on them through
the same runner the harness uses in the learner's kernel.

The learner's kernel receives the inputs only (:func:`write_inputs`); the
expected answers stay with the grader (:func:`save` / :func:`load`).
"""

from __future__ import annotations

import hashlib
import hmac
import io
import math
import os
import secrets
import zipfile
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from nst_utils import config
from nst_utils.grading import harness

#: File, in a course's root folder, holding the secret that seeds the graded cases.
SECRET_FILE = ".nst-grading-secret"


@dataclass(frozen=True)
class CaseSet:
    """One exercise's graded cases for one submission."""

    function: str
    seed: int
    inputs: dict
    expected: dict


def course_secret(root: Path) -> bytes:
    """The course's grading secret (``$NST_GRADING_SECRET``, else a file made once in ``root``)."""
    from autograder import settings

    if settings.secret_override():
        return settings.secret_override()
    path = Path(root) / SECRET_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{SECRET_FILE}.{os.getpid()}")
        partial.write_text(secrets.token_hex(32), encoding="utf-8")
        partial.chmod(0o600)
        try:
            os.link(partial, path)  # never replaces a secret made meanwhile
        except FileExistsError:
            pass
        partial.unlink()
    return path.read_bytes().strip()


def submission_digest(notebook: bytes) -> str:
    """The digest that, with the course secret, seeds a submitted notebook's cases."""
    return hashlib.sha256(notebook).hexdigest()


def seed_for(secret: bytes, digest: str, function: str) -> int:
    message = f"{digest}:{function}".encode()
    return int.from_bytes(hmac.new(secret, message, hashlib.sha256).digest()[:8], "little")


def make_inputs(function: str, seed: int) -> dict[str, np.ndarray]:
    """The flat inputs mapping (``cK.name`` -> array) of ``function``'s cases for ``seed``."""
    cases = config.exercise(function).cases(np.random.default_rng(seed))
    return {f"c{index}.{name}": np.asarray(value)
            for index, case in enumerate(cases) for name, value in case.items()}


def draw(notebook: str, digest: str, secret: bytes) -> dict[str, CaseSet]:
    """The cases of every exercise of ``notebook``, answers not yet known (no TensorFlow)."""
    sets = {}
    for exercise in config.exercises_in(notebook):
        seed = seed_for(secret, digest, exercise.function)
        sets[exercise.function] = CaseSet(exercise.function, seed,
                                          make_inputs(exercise.function, seed), {})
    return sets


def answer(sets: dict[str, CaseSet], reference: dict) -> dict[str, CaseSet]:
    """The same cases with the reference's answers to them (needs TensorFlow), each exercise
    judged with the reference versions of its helpers, as in the kernel."""
    answered = {}
    for function, case_set in sets.items():
        graded = config.exercise(function)
        helpers = {name: reference[name] for name, _notebook in graded.helpers}
        inputs = dict(case_set.inputs)
        if graded.judged_with:  # its reference's values, staged with the inputs
            helpers[graded.judged_with] = reference[graded.judged_with]
            inputs.update(_staged_values(graded, inputs, reference[graded.judged_with]))
        answered[function] = replace(case_set, inputs=inputs, expected=harness.run_cases(
            function, reference[function], inputs, helpers))
    return answered


def _staged_values(graded, inputs: dict, function) -> dict:
    """``cK.name`` arrays of what each case's inputs carry of ``graded.judged_with``."""
    staged = {}
    for case in harness.case_names(inputs):
        prefix = case + "."
        arguments = {k[len(prefix):]: v for k, v in inputs.items() if k.startswith(prefix)}
        staged.update({prefix + k: v for k, v in graded.stage_values(arguments, function).items()})
    return staged


def prepare(notebook: str, digest: str, secret: bytes, reference: dict) -> dict[str, CaseSet]:
    """Cases and expected answers for every exercise of ``notebook`` (needs TensorFlow)."""
    return answer(draw(notebook, digest, secret), reference)


def write_inputs(sets: dict[str, CaseSet], folder: Path) -> None:
    """Put each exercise's inputs (never the answers) where the harness looks for them."""
    for case_set in sets.values():
        target = harness.inputs_path(case_set.function, folder)
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "wb") as handle:
            np.savez(handle, **case_set.inputs)


def save(sets: dict[str, CaseSet], path: Path, digest: str) -> None:
    """Store the cases and answers of the submission ``digest`` (in a trusted folder only)."""
    arrays = {"_digest": np.array(digest)}
    for function, case_set in sets.items():
        arrays[f"{function}/seed"] = np.array(case_set.seed, dtype=np.uint64)
        arrays.update({f"{function}/in/{k}": v for k, v in case_set.inputs.items()})
        arrays.update({f"{function}/out/{k}": v for k, v in case_set.expected.items()})
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)


def load(path: Path) -> tuple[str, dict[str, CaseSet]]:
    """Read what :func:`save` wrote: the submission's digest and its case sets."""
    with np.load(path, allow_pickle=False) as data:
        arrays = {key: data[key] for key in data.files}
    digest = str(arrays.pop("_digest"))
    functions = {key.split("/", 1)[0] for key in arrays}
    sets = {}
    for function in functions:
        part = {key[len(function) + 1:]: v for key, v in arrays.items()
                if key.startswith(function + "/")}
        sets[function] = CaseSet(
            function, int(part["seed"]),
            {k[3:]: v for k, v in part.items() if k.startswith("in/")},
            {k[4:]: v for k, v in part.items() if k.startswith("out/")})
    return digest, sets


def read_results(data: bytes | None, max_values: int = 2_000_000) -> dict | None:
    """Parse a results file written in the learner's kernel; None if it is not sound.

    Only ``.npz`` archives of plain numbers are accepted: no pickles, no object
    arrays, no text (the harness records none), and no more than ``max_values``
    numbers in all, checked from each array's header before anything is
    allocated or decompressed.
    """
    if not data:
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            arrays = {}
            for info in archive.infolist():
                if not info.filename.endswith(".npy") or info.file_size > 8 * max_values:
                    return None
                with archive.open(info) as member:
                    arrays[info.filename[:-4]] = _read_array(member, max_values)
                max_values -= arrays[info.filename[:-4]].size
    except Exception:  # noqa: BLE001 - anything unreadable is simply no result
        return None
    return arrays


def _read_array(member, max_values: int) -> np.ndarray:
    """One ``.npy`` member, its header checked before its data is read."""
    from numpy.lib import format as npy

    version = npy.read_magic(member)
    reader = npy.read_array_header_1_0 if version == (1, 0) else npy.read_array_header_2_0
    shape, fortran, dtype = reader(member)
    if dtype.hasobject or dtype.kind not in "biuf" or math.prod(shape) > max_values:
        raise ValueError("not an array of plain numbers of a sensible size")
    count = math.prod(shape)
    raw = member.read(count * dtype.itemsize)
    if len(raw) != count * dtype.itemsize:
        raise ValueError("truncated array")
    array = np.frombuffer(raw, dtype=dtype, count=count)
    return array.reshape(shape, order="F" if fortran else "C").copy()
