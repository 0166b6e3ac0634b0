"""What a test needs from the machine: skipped where it is missing, a failure where CI runs.

CI must run every test: ``.ci/run`` installs every piece and sets ``CI``, and
when ``CI`` is set a missing piece fails the test instead of skipping it quietly.
"""

from __future__ import annotations

import os

import pytest


def require(ok: bool, reason: str, *, module: bool = False) -> None:
    """Go on if ``ok``; otherwise skip (locally) or fail (under CI), saying ``reason``."""
    if ok:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI is set, so this is a failure, not a skip)", pytrace=False)
    pytest.skip(reason, allow_module_level=module)
