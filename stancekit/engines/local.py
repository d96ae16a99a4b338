"""The local engine: the pipeline in this process (extraction in `workers` spaCy processes)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from stancekit.pipeline import ErrorHandler, Pipeline, Scored
from stancekit.records import Article


def run(pipeline: Pipeline, on_error: ErrorHandler, paths: Iterable[str | Path] | None = None,
        articles: Iterable[Article] | None = None, skip: frozenset[str] = frozenset()
        ) -> Iterator[Scored]:
    """Each article of `paths` (or `articles`) not in `skip`, with its scored claims, in
    input order."""
    source = pipeline.read(paths, on_error) if paths is not None else articles or ()
    yield from pipeline.run((a for a in source if a.id not in skip), on_error)
