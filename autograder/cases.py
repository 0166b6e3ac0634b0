"""The graded cases: inputs chosen per submission, and the reference's answers to them.

Trusted side only. For every exercise of a notebook, :func:`prepare` draws
fresh inputs from a seed that depends on a course secret and the submitted
notebook's digest (a regrade of the same file gets the same cases; nobody
without the secret can predict them), then runs the reference solution on
them through the same runner the harness uses in the learner's kernel.

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

from nst_utils import config, harness

#: File, in a course's root folder, holding the secret that seeds the graded cases.
SECRET_FILE = ".nst-grading-secret"
SECRET_ENV = "NST_GRADING_SECRET"

#: Activation shapes (1, n_H, n_W, n_C) of the cost exercises: square, rectangular,
#: one channel, many channels.
ACTIVATION_SHAPES = ((1, 3, 5, 4), (1, 7, 2, 16), (1, 1, 9, 3), (1, 6, 4, 64), (1, 2, 2, 1))
#: Shapes (n_C, n_H·n_W) of the Gram-matrix exercise.
GRAM_SHAPES = ((3, 10), (8, 7), (1, 5), (64, 36), (5, 1))
#: Weights of the total-cost cases (empty: the defaults).
TOTAL_WEIGHTS = ({}, {"alpha": 1.5, "beta": 0.25}, {"alpha": 0.0, "beta": 3.0},
                 {"alpha": 7.0, "beta": 0.0}, {"beta": 2.0})


@dataclass(frozen=True)
class CaseSet:
    """One exercise's graded cases for one submission."""

    function: str
    seed: int
    inputs: dict
    expected: dict


def course_secret(root: Path) -> bytes:
    """The course's grading secret (``$NST_GRADING_SECRET``, else a file made once in ``root``)."""
    if os.environ.get(SECRET_ENV):
        return os.environ[SECRET_ENV].encode()
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


def _float32(rng: np.random.Generator, shape, low=0.0, high=2.0) -> np.ndarray:
    return rng.uniform(low, high, size=shape).astype(np.float32)


def _pairs(rng):
    return [{"first": _float32(rng, s), "second": _float32(rng, s)} for s in ACTIVATION_SHAPES]


def _grams(rng):
    return [{"A": _float32(rng, s, -1.0, 1.0)} for s in GRAM_SHAPES]


def _totals(rng):
    cases = []
    for weights in TOTAL_WEIGHTS:
        case = {"J_content": _float32(rng, (), 0.5, 5.0), "J_style": _float32(rng, (), 0.5, 5.0)}
        case.update({name: np.float32(value) for name, value in weights.items()})
        cases.append(case)
    return cases


def _pushed_out(rng, image: np.ndarray, target: np.ndarray) -> None:
    """Put one pixel on each edge of [0, 1] with a target beyond it, so the first step pushes them out.

    The distance term's slope there (2) beats the smoothing term's (at most 2 x 0.5), so
    every case, whatever the draw, shows whether the step clips the image back.
    """
    low, high = rng.choice(image.size, size=2, replace=False)
    image.flat[low], target.flat[low] = 0.0, -1.0
    image.flat[high], target.flat[high] = 1.0, 2.0


def _steps(rng):
    cases = []
    for shape, rate, beta_1, epsilon in (((1, 4, 5, 3), 0.1, 0.9, 1e-7),
                                         ((1, 3, 6, 3), 0.05, 0.99, 1e-1)):
        image, target = _float32(rng, shape, 0.0, 1.0), _float32(rng, shape, -0.5, 1.5)
        _pushed_out(rng, image, target)
        cases.append({"image": image, "target": target,
                      "smooth": np.float32(rng.uniform(0.1, 0.5)),
                      "learning_rate": np.float32(rate), "beta_1": np.float32(beta_1),
                      "epsilon": np.float32(epsilon), "steps": np.int64(3)})
    return cases


_GENERATORS = {"compute_content_cost": _pairs, "gram_matrix": _grams,
               "compute_layer_style_cost": _pairs, "total_cost": _totals, "train_step": _steps}


def make_inputs(function: str, seed: int) -> dict[str, np.ndarray]:
    """The flat inputs mapping (``cK.name`` -> array) of ``function``'s cases for ``seed``."""
    cases = _GENERATORS[function](np.random.default_rng(seed))
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
    """The same cases with the reference's answers to them (needs TensorFlow)."""
    helpers = {"gram_matrix": reference["gram_matrix"]}
    return {function: replace(case_set, expected=harness.run_cases(
                function, reference[function], case_set.inputs, helpers))
            for function, case_set in sets.items()}


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
