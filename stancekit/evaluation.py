"""Evaluation: how well each stage does against hand labels."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any, Protocol

from stancekit.records import AUTHOR_PREFIX, Claim, split_speakers


class _GoldClaim(Protocol):
    article: str
    start: int | None
    end: int | None
    speaker: str


def normalise_speaker(name: str) -> str:
    """A comparison key for speaker names: case, spacing, hyphens, accents and word order
    (family name first or last) ignored; every `author:*` is the same author."""
    name = name.strip()
    if name.lower().startswith(AUTHOR_PREFIX):
        return AUTHOR_PREFIX
    plain = unicodedata.normalize("NFKD", name)
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch))
    return " ".join(sorted(re.findall(r"[^\W_]+", plain.lower())))


def _speaker_set(speaker: str) -> frozenset[str]:
    return frozenset(normalise_speaker(name) for name in split_speakers(speaker))


def extraction_scores(gold: Sequence[_GoldClaim], extracted: Sequence[Claim]) -> dict[str, Any]:
    """Claim recall and speaker accuracy of extracted claims against gold claims.

    A gold claim is covered by an extracted claim of the same article that overlaps at least
    half of the gold span (the one overlapping most); speaker accuracy is over covered claims,
    a joint speaker "A; B" matching when the sets of names match.
    """
    by_article: dict[str, list[Claim]] = {}
    for claim in extracted:
        by_article.setdefault(claim.article_id, []).append(claim)
    n_gold = n_covered = n_right = 0
    for item in gold:
        if item.start is None or item.end is None:
            continue
        n_gold += 1
        best, best_overlap = None, 0
        for claim in by_article.get(item.article, ()):
            overlap = min(claim.end, item.end) - max(claim.start, item.start)
            if overlap > best_overlap:
                best, best_overlap = claim, overlap
        if best is None or 2 * best_overlap < item.end - item.start:
            continue
        n_covered += 1
        n_right += _speaker_set(best.speaker) == _speaker_set(item.speaker)
    return {
        "claim_recall": n_covered / n_gold if n_gold else 0.0,
        "speaker_accuracy": n_right / n_covered if n_covered else 0.0,
        "n_gold": n_gold,
        "n_covered": n_covered,
    }
