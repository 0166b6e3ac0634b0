"""Small validators shared by the settings and the plan: each raises SettingsError saying what to give."""

from __future__ import annotations

import math

import numpy as np

from nst_utils.engine.errors import SettingsError

__all__ = ["check_weight", "check_choice", "check_whole", "size_pair", "check_scale"]


def check_weight(value, what: str) -> float:
    """``value`` as a finite float >= 0."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise SettingsError(f"{what} must be a number; got {value!r}.") from None
    if not math.isfinite(number) or number < 0:
        raise SettingsError(f"{what} must be a finite number >= 0; got {value!r}.")
    return number


def check_choice(value: str, choices: tuple[str, ...], what: str) -> str:
    """``value`` lower-cased, if it is one of ``choices``."""
    chosen = value.lower() if isinstance(value, str) else value
    if chosen not in choices:
        raise SettingsError(f"{what} must be one of {choices}; got {value!r}.")
    return chosen


def is_whole(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def check_whole(value, what: str, minimum: int = 0) -> int:
    """``value`` as an int >= ``minimum``."""
    if not is_whole(value) or value < minimum:
        raise SettingsError(f"{what} must be a whole number >= {minimum}; got {value!r}.")
    return int(value)


def size_pair(size, what: str = "size") -> tuple[int, int]:
    """``(height, width)`` as two positive ints."""
    if is_whole(size):
        raise SettingsError(f"{what} must be (height, width) here, or None; got {size!r}.")
    try:
        height, width = (int(v) for v in size)
    except (TypeError, ValueError):
        raise SettingsError(f"{what} must be (height, width); got {size!r}.") from None
    if height < 1 or width < 1:
        raise SettingsError(f"{what} must be positive; got {size!r}.")
    return height, width


def check_scale(scale) -> float:
    """The style scale as a positive finite float."""
    try:
        number = float(scale)
    except (TypeError, ValueError):
        number = float("nan")
    if not math.isfinite(number) or number <= 0:
        raise SettingsError(f"style_scale must be a positive number; got {scale!r}.")
    return number
