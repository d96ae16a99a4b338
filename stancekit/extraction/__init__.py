"""Claim extraction: the body sentences of an article, each with its speaker."""

from stancekit.extraction.attribution import (
    DEFAULT_MODEL,
    AliasTable,
    canonical_name,
    clean_name,
    extract_claims,
    extract_many,
    load_nlp,
    name_key,
)

__all__ = [
    "DEFAULT_MODEL",
    "AliasTable",
    "canonical_name",
    "clean_name",
    "extract_claims",
    "extract_many",
    "load_nlp",
    "name_key",
]
