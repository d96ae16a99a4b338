"""Engines: each only schedules the pipeline unit (`stancekit.pipeline`) over its inputs.

An engine is a module with `run(pipeline, on_error, paths=None, articles=None, skip=...)`
yielding each article with its scored claims in input order and handing every bad input
or article to `on_error`; `scoring` writes `score()` and `score_to_dir()` once over it.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from stancekit.errors import StancekitError

ENGINES = ("local", "ray")


def get_engine(name: str) -> ModuleType:
    """The engine module `name` ("local" or "ray"), imported only when asked for."""
    if name not in ENGINES:
        raise StancekitError(f"unknown engine {name!r}: use 'local' or 'ray'")
    return importlib.import_module(f"stancekit.engines.{name}")
