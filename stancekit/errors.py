"""The project's own error types: each expected failure is one of these, one line each.

`InputError` and `ArticleError` are also the records of a run's errors.jsonl
(`to_record` / `error_from_record`), so every engine writes them the same way.
"""

from __future__ import annotations

from typing import Any


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

    def to_record(self) -> dict[str, Any]:
        """The errors.jsonl record of this error."""
        return {"source": self.path, "line": self.line, "error": self.reason}


class ArticleError(StancekitError):
    """An article read well that could not be scored: a failed stage, or no claims in it."""

    def __init__(self, article_id: str, stage: str, message: str) -> None:
        self.article_id = article_id
        self.stage = stage
        self.reason = message
        super().__init__(f"article {article_id}: {stage}: {message}")

    @classmethod
    def from_exception(cls, article_id: str, stage: str, err: Exception) -> ArticleError:
        """The error of a stage that raised `err`, named by its type, on one line."""
        return cls(article_id, stage, f"{type(err).__name__}: {err}".splitlines()[0])

    def to_record(self) -> dict[str, Any]:
        """The errors.jsonl record of this error."""
        return {"article": self.article_id, "stage": self.stage, "error": self.reason}


def error_from_record(record: dict[str, Any]) -> InputError | ArticleError:
    """The error an errors.jsonl record was made from."""
    if record.get("article"):
        return ArticleError(record["article"], record["stage"], record["error"])
    return InputError(record["source"], record["error"], record.get("line"))


class LabelError(InputError):
    """A label record that breaks the labeling guide (bad offsets, values, duplicate ids)."""


class ModelError(StancekitError):
    """A model folder that is missing, incomplete, or fails its integrity check."""
