"""The project's own error types: each expected failure is one of these, one line each."""

from __future__ import annotations


class StancekitError(Exception):
    """Base class for errors stancekit reports to its users."""


class InputError(StancekitError):
    """A bad input file or record; the message names the file and, where known, the line."""

    def __init__(self, path: str, message: str, line: int | None = None) -> None:
        self.path = str(path)
        self.line = line
        self.reason = message
        where = f"{self.path}:{line}" if line is not None else self.path
        super().__init__(f"{where}: {message}")


class LabelError(InputError):
    """A label record that breaks the labeling guide (bad offsets, values, duplicate ids)."""


class ModelError(StancekitError):
    """A model folder that is missing, incomplete, or fails its integrity check."""
