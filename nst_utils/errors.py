"""Exceptions with messages written for people: what happened, and what to do."""


class NSTError(Exception):
    """Base class of every error this course raises on purpose."""


class ImageError(NSTError, ValueError):
    """An image could not be read or written (the message names the file)."""


class WeightsError(NSTError, RuntimeError):
    """VGG19 weights are missing, corrupt, or do not fit the network."""


class NotImplementedYet(NSTError, NotImplementedError):
    """A graded function is still the stub handed out in the release."""
