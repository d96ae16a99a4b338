"""Text rules shared by the labels and extraction: page furniture and uncovered sentences.

What counts as page furniture (header, subheads, bylines, "ALSO READ" lines, disclaimers)
instead of body text is decided once, here, by `furniture_lines`: `labels` checks that
every body sentence is labeled, and `extraction` skips the same lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from stancekit.records import Article

FURNITURE_PREFIXES: tuple[str, ...] = (
    "also read",
    "read more",
    "related:",
    "advertisement",
    "disclaimer",
    "©",
    "photo:",
    "image:",
    "source:",
    "subscribe",
    "sign up",
    "click here",
    "share this",
)
_CLOSERS = "\"'”’»)]*_ \t"
_FINAL = ".!?…:"
_BULLET = re.compile(r"^\s*[-•*·]\s+")
_WORD = re.compile(r"[^\W\d_]+")
_MIN_WORDS = 2  # a stretch with fewer words is never a sentence (datelines, elision marks)
_LONG_WORDS = 6  # a stretch this long in a body line is a sentence even without final punctuation


def furniture_lines(article: Article) -> set[int]:
    """Indexes of the lines of `article.text` that are page furniture, not body text.

    A general rule, not tuned to any site:
    - the header: every line up to the headline (the line that is, or starts with, the
      article's title; an article without a title, such as a JSONL record, has no header);
    - title-like lines: no sentence-final punctuation (. ! ? … :) at the end, once closing
      quotes and brackets are stripped: subheads, section names, bylines, datelines, "Join
      the ... mailing list";
    - lines that are one bracketed token, like ``[ad_1]`` or ``[mc4wp_form id=""]``;
    - lines starting with a furniture label ("ALSO READ", "Disclaimer", "©", "Photo:", ...);
    - a disclaimer line and every line after it (disclaimers close a page);
    - bullet lists directly under a title-like line (summary boxes such as "Key Takeaways").
    """
    lines = article.text.split("\n")
    title = article.title.strip()
    header_end = -1
    if title:
        header_end = next((i for i, line in enumerate(lines) if line.strip().startswith(title)), -1)
    furniture: set[int] = set(range(header_end + 1))
    after_disclaimer = False
    in_summary_box = False
    for i, line in enumerate(lines):
        stripped = line.strip()
        lowered = stripped.lower()
        if not stripped:
            continue
        if lowered.startswith("disclaimer"):
            after_disclaimer = True
        is_bullet = bool(_BULLET.match(line))
        if (
            after_disclaimer
            or i <= header_end
            or not _ends_sentence(stripped)
            or (stripped.startswith("[") and stripped.endswith("]"))
            or lowered.startswith(FURNITURE_PREFIXES)
            or (is_bullet and in_summary_box)
        ):
            furniture.add(i)
        if not is_bullet:
            in_summary_box = not _ends_sentence(stripped)
    return furniture


def uncovered_sentences(
    article: Article, covered: Iterable[tuple[int, int]]
) -> list[tuple[int, int, str]]:
    """The stretches `(start, end, text)` of body text that no `[start, end)` span covers.

    Only stretches that look like a sentence are returned: at least two words ending with
    sentence-final punctuation, or at least six words; furniture lines are ignored.
    """
    text = article.text
    mask = bytearray(len(text))
    for start, end in covered:
        low, high = max(start, 0), min(end, len(text))
        if low < high:
            mask[low:high] = b"\x01" * (high - low)
    furniture = furniture_lines(article)
    found: list[tuple[int, int, str]] = []
    pos = 0
    for index, line in enumerate(text.split("\n")):
        line_start, pos = pos, pos + len(line) + 1
        if index in furniture:
            continue
        for match in re.finditer(r"[^\n]+", line):
            piece_start = line_start + match.start()
            for start, end in _runs(mask, piece_start, line_start + match.end()):
                piece = text[start:end].strip()
                words = len(_WORD.findall(piece))
                if words >= _LONG_WORDS or (words >= _MIN_WORDS and _ends_sentence(piece)):
                    lead = len(text[start:end]) - len(text[start:end].lstrip())
                    found.append((start + lead, start + lead + len(piece), piece))
    return found


def _runs(mask: bytearray, start: int, end: int) -> Iterator[tuple[int, int]]:
    """The maximal uncovered runs within [start, end)."""
    run_start = None
    for i in range(start, end):
        if not mask[i] and run_start is None:
            run_start = i
        elif mask[i] and run_start is not None:
            yield run_start, i
            run_start = None
    if run_start is not None:
        yield run_start, end


def _ends_sentence(text: str) -> bool:
    stripped = text.rstrip(_CLOSERS)
    return bool(stripped) and stripped[-1] in _FINAL
