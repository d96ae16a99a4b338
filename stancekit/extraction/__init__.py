"""Claim extraction: the body sentences of an article, each with its speaker.

Modules, in import order: `lexicon` (word lists), `names` (name keys, alias table), `segment`
(sentences, quotations, the parse), `syntax` (token helpers), `people` (the people of one
article), `attribution` (the speaker of each sentence).
"""

from stancekit.extraction.attribution import (
    Attribution,
    explain_claims,
    explain_many,
    extract_claims,
    extract_many,
)
from stancekit.extraction.names import AliasTable, canonical_name, clean_name, name_key
from stancekit.extraction.segment import DEFAULT_MODEL, load_nlp

__all__ = [
    "DEFAULT_MODEL",
    "AliasTable",
    "Attribution",
    "canonical_name",
    "clean_name",
    "explain_claims",
    "explain_many",
    "extract_claims",
    "extract_many",
    "load_nlp",
    "name_key",
]
