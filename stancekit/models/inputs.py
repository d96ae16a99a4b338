"""What a model reads: one `ClaimInput` row per claim (text, target, speaker, context),
the claim's context in its article, and masking of the claim's own speaker."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from stancekit.records import NARRATOR, split_speakers

SPEAKER_PLACEHOLDER = "[SPEAKER]"
CONTEXT_CHARS = 400  # at most this much context is read (the previous sentence and headline)

_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+(?=[^a-z])|\s*\n\s*")


@dataclass(frozen=True)
class ClaimInput:
    """One row of a model's X: the claim, the target it is judged toward, who said it, and
    the text around it (`context`: previous sentence and headline, "" if unknown).

    `target` None means the model's default target.
    """

    text: str
    target: str | None = None
    speaker: str = ""
    context: str = ""


def claim_context(article_text: str, start: int, title: str = "") -> str:
    """The context of the claim starting at `start`: the sentence before it and the headline.

    The previous sentence is the last one of the article text before `start` (a line break
    ends a sentence too); the headline is left out when it is that sentence.
    """
    # Only a bounded stretch before the claim is read, so context costs the same in any article.
    stretch = article_text[max(0, start - 4 * CONTEXT_CHARS) : max(0, start)]
    before = [s for s in _SENTENCE_END.split(stretch) if s.strip()]
    previous = before[-1].strip() if before else ""
    title = title.strip()
    parts = [previous] + ([title] if title and title != previous else [])
    return " ".join(parts)[:CONTEXT_CHARS]


def as_rows(
    X: Sequence[Any],
    target: str | Sequence[str | None] | None = None,
    speakers: Sequence[str | None] | None = None,
    contexts: Sequence[str | None] | None = None,
) -> list[ClaimInput]:
    """`ClaimInput` rows from texts, mappings or records with `text` (and optionally
    `target`, `speaker`, `context`) fields; given columns override the rows' own values.

    `target` may be one value for every row or one per row.
    """
    rows = [_row(x) for x in X]
    n = len(rows)
    if target is None or isinstance(target, str):
        targets: Sequence[str | None] = [target or r.target for r in rows]
    else:
        targets = [t or r.target for t, r in zip(_column(target, n, "targets"), rows, strict=True)]
    speakers = _column(speakers, n, "speakers") if speakers is not None else None
    contexts = _column(contexts, n, "contexts") if contexts is not None else None
    return [
        ClaimInput(
            r.text,
            targets[i],
            (speakers[i] or "") if speakers is not None else r.speaker,
            (contexts[i] or "") if contexts is not None else r.context,
        )
        for i, r in enumerate(rows)
    ]


def _column(values: Sequence[Any], n: int, name: str) -> Sequence[Any]:
    if len(values) != n:
        raise ValueError(f"got {len(values)} {name} for {n} texts")
    return values


def _row(x: Any) -> ClaimInput:
    if isinstance(x, ClaimInput):
        return x
    if isinstance(x, str):
        return ClaimInput(x)
    get = x.get if isinstance(x, Mapping) else lambda k, d=None: getattr(x, k, d)
    text = get("text")
    if not isinstance(text, str):
        raise ValueError(f"a model input needs a text string, got {type(x).__name__}")
    return ClaimInput(text, get("target") or None, get("speaker") or "", get("context") or "")


# Words that make a name part generic (direction, body, role) rather than a person's own name.
# Places are recognised by these words ("North ...", "United ...") or as single-word names,
# which are masked only whole; no country or target is named here.
_NOT_PERSONAL = frozenset(
    """north south east west central united states kingdom union republic people's democratic
    national ministry department office house white blue party government foreign defense
    defence unification security council nations command forces army military officials
    official analysts experts president minister secretary spokesperson agency news media
    the of and for""".split()
)


def _name_patterns(speaker: str) -> list[str]:
    names: set[str] = set()
    for name in split_speakers(speaker):
        if name == NARRATOR or name.startswith("author:"):
            continue
        names.add(name)
        parts = name.split()
        if len(parts) > 1 and not any(p.lower() in _NOT_PERSONAL for p in parts):
            names.update(p for p in parts if len(p) > 1)
    return sorted(names, key=len, reverse=True)


def mask_speaker(text: str, speaker: str | None) -> str:
    """Replace mentions of the claim's own speaker in `text` by SPEAKER_PLACEHOLDER.

    Masks the full name and, for personal names, each name part ("Moon Jae-in" masks
    "Moon Jae-in", "Moon" and "Jae-in"); each name of a joint "A; B" speaker counts.
    Collective speakers ("North Korea", "U.S. officials") are masked only as a whole.
    """
    patterns = _name_patterns(speaker or "")
    if not patterns:
        return text
    alternation = "|".join(re.escape(p) for p in patterns)
    return re.sub(rf"(?<!\w)(?:{alternation})(?!\w)", SPEAKER_PLACEHOLDER, text)


def mask_speakers(texts: Sequence[str], speakers: Sequence[str | None] | None) -> list[str]:
    """`mask_speaker` over parallel lists; with no speakers the texts come back unchanged."""
    if speakers is None:
        return list(texts)
    if len(speakers) != len(texts):
        raise ValueError(f"got {len(speakers)} speakers for {len(texts)} texts")
    return [mask_speaker(t, s) for t, s in zip(texts, speakers, strict=True)]
