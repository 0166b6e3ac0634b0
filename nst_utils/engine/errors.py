"""The two ways a style-transfer run refuses or stops, with messages for people."""

from __future__ import annotations

from typing import TYPE_CHECKING

from nst_utils.errors import NSTError

if TYPE_CHECKING:  # pragma: no cover
    from nst_utils.engine.result import TransferResult

__all__ = ["SettingsError", "LossNotFiniteError"]


class SettingsError(NSTError, ValueError):
    """A setting of the engine cannot work (the message says which and why)."""


class LossNotFiniteError(NSTError, FloatingPointError):
    """The cost became NaN or infinite; the run was stopped.

    ``result`` holds what was made up to the last good step.
    """

    def __init__(self, message: str, result: TransferResult | None = None):
        super().__init__(message)
        self.result = result
