"""A fingerprint of the reference texts that holds none of their words.

The course grew from background texts kept beside the repository, not in it
(``../shared/reference/``). No run of 8 consecutive words of them may appear
in the course's own text (``tests/test_course_text.py``). So that this holds
on every clone, CI included, the comparison uses a fingerprint committed in
``tests/data/reference_fingerprint.json``: a salted BLAKE2 digest of each
normalised 8-word run of prose, sorted, and nothing else readable.

    python tests/reference_fingerprint.py          # write it (needs ../shared/reference/)
    python tests/reference_fingerprint.py --check  # exit 1 if it is not current

Text is compared as lower-case words (punctuation, underscores and case
ignored). Formulas are not prose: LaTeX becomes one placeholder word, ``def``
lines (the fixed signatures) and the argument lists of calls are left out,
and a run counts only if at least four of its words are real words (three
letters or more), not symbols like n_H.
"""

from __future__ import annotations

import argparse
import hashlib
import inspect
import json
import re
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
REFERENCE_DIR = REPO.parent / "shared" / "reference"
SOURCES = ("seed_assignment.txt", "anchors.md")
FINGERPRINT = Path(__file__).resolve().parent / "data" / "reference_fingerprint.json"
RUN = 8
#: Mixed into every digest, so that the file answers no look-up of common phrases.
SALT = b"nst-course/reference-runs/1"

_FORMULA = re.compile(r"\$\$.*?\$\$|\$[^$\n]+\$|\\\(.*?\\\)|\\\[.*?\\\]", re.S)
_SIGNATURE = re.compile(r"^\s*def \w+\(.*$", re.M)
_ARGUMENTS = re.compile(r"\b(\w+)\([^()]*\)")


def words(text: str) -> list[str]:
    text = _SIGNATURE.sub(" ", text)
    text = _FORMULA.sub(" xformulax ", text)
    text = _ARGUMENTS.sub(r"\1", text)
    return re.findall(r"[a-z0-9]+", text.lower().replace("’", "'"))


def is_prose(run: tuple[str, ...]) -> bool:
    return sum(len(word) >= 3 and word.isalpha() and word != "xformulax" for word in run) >= 4


def digest(run: tuple[str, ...]) -> str:
    return hashlib.blake2b(" ".join(run).encode(), key=SALT, digest_size=8).hexdigest()


def prose_runs(text: str) -> dict[str, tuple[str, ...]]:
    """Each 8-word run of prose in ``text``, by its digest."""
    tokens = words(text)
    runs = (tuple(tokens[i : i + RUN]) for i in range(len(tokens) - RUN + 1))
    return {digest(run): run for run in runs if is_prose(run)}


def method() -> str:
    """A digest of how runs are made: the fingerprint must be remade when this code changes."""
    parts = [inspect.getsource(f) for f in (words, is_prose, digest, prose_runs)]
    parts += [p.pattern for p in (_FORMULA, _SIGNATURE, _ARGUMENTS)] + [str(RUN), SALT.decode()]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def make(folder: Path | None = None) -> dict:
    """The fingerprint of the reference texts in ``folder`` (REFERENCE_DIR by default)."""
    folder = folder or REFERENCE_DIR
    digests: set[str] = set()
    for name in SOURCES:
        digests |= set(prose_runs((folder / name).read_text(encoding="utf-8")))
    return {"about": "Salted digests of the reference texts' 8-word runs of prose; made by "
                     "`python tests/reference_fingerprint.py`, do not edit.",
            "sources": list(SOURCES), "method": method(), "runs": sorted(digests)}


def load() -> dict:
    return json.loads(FINGERPRINT.read_text(encoding="utf-8"))


def present() -> bool:
    return all((REFERENCE_DIR / name).is_file() for name in SOURCES)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed file is not current")
    args = parser.parse_args(argv)
    if not present():
        print(f"The reference texts are not in {REFERENCE_DIR}; nothing to fingerprint.", file=sys.stderr)
        return 2
    fresh = make()
    if args.check:
        current = FINGERPRINT.is_file() and load() == fresh
        print(f"{FINGERPRINT}: {'current' if current else 'OUT OF DATE: run python tests/reference_fingerprint.py'}")
        return 0 if current else 1
    FINGERPRINT.parent.mkdir(parents=True, exist_ok=True)
    FINGERPRINT.write_text(json.dumps(fresh, indent=0) + "\n", encoding="utf-8")
    print(f"Wrote {FINGERPRINT} ({len(fresh['runs'])} runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
