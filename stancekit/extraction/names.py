"""Names: keys equal for spelling variants, cleaning, canonical forms and the alias table."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from stancekit.errors import InputError
from stancekit.extraction.lexicon import NAME_TITLES

POSSESSIVE = re.compile(r"(?:['’]s|['’])$")
_NAME_PART = re.compile(r"[^\W_]+")


def name_key(name: str) -> str:
    """A key equal for variants of one name: case, accents, spacing, hyphens and the order of
    family and given names ignored; a leading "the" too ("the White House")."""
    parts = name_parts(name)
    if len(parts) > 1 and parts[0] == "the":
        parts = parts[1:]
    return " ".join(sorted(parts))


def name_parts(name: str) -> list[str]:
    """Lower-cased, accent-free parts of a name, split at spaces, hyphens and dots."""
    plain = unicodedata.normalize("NFKD", name)
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch))
    return _NAME_PART.findall(plain.lower())


def clean_name(name: str) -> str:
    """A name without leading titles, a trailing possessive and extra spaces."""
    words = name.split()
    while len(words) > 1 and words[0].lower().strip(".") in NAME_TITLES:
        words.pop(0)
    return POSSESSIVE.sub("", " ".join(words)).strip(" ,.;:")


def is_form_of(name: str, full: str) -> bool:
    """True if `name` names the person `full`: a spelling variant, the parser's cut of it
    ("Moon Jae" of "Moon Jae-in"), or its family name (first or last word)."""
    a, b = name_parts(name), name_parts(full)
    if not a or not b:
        return False
    if "".join(a) == "".join(b) or sorted(a) == sorted(b) or (len(a) >= 2 and a == b[: len(a)]):
        return True
    words = full.split()
    return len(a) == 1 and a in (name_parts(words[0]), name_parts(words[-1]))


def preferred_spelling(spellings: Iterable[str]) -> str:
    """Of the spellings of one name, the first hyphenated one (the usual romanisation of Korean
    given names, "Kim Yo-jong"), else the first."""
    spellings = list(spellings)
    return next((s for s in spellings if "-" in s), spellings[0])


def canonical_name(name: str, aliases: AliasTable | None = None, seen: Sequence[str] = ()) -> str:
    """The canonical form of a person's or body's name.

    Titles and possessives are dropped; a family name or a truncated name ("Moon Jae") becomes
    the most recent full name in `seen` (names in order of mention) that it belongs to, with
    spelling variants ("Kim Yo Jong" / "Kim Yo-jong") merged; the alias table, when given, has
    the last word.
    """
    resolved = clean_name(name)
    match = next((full for full in reversed(seen) if is_form_of(resolved, full)), None)
    if match is not None:
        key = name_key(match)
        resolved = preferred_spelling(s for s in seen if name_key(s) == key)
    if aliases is not None:
        return aliases.lookup(resolved) or resolved
    return resolved


@dataclass(frozen=True)
class AliasTable:
    """Canonical names by the key of each of their spellings (see `name_key`)."""

    names: dict[str, str] = field(default_factory=dict)
    types: dict[str, str] = field(default_factory=dict)

    @classmethod
    def empty(cls) -> AliasTable:
        return cls()

    @classmethod
    def from_jsonl(cls, path: str | Path) -> AliasTable:
        """Read records {"name", "aliases": [...], "type", "affiliation"}, one a line."""
        names: dict[str, str] = {}
        types: dict[str, str] = {}
        ambiguous: set[str] = set()
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except OSError as err:
            raise InputError(str(path), f"cannot read alias table: {err.strerror}") from err
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
                name = str(record["name"]).strip()
                spellings = [name, *map(str, record.get("aliases") or [])]
            except (ValueError, KeyError, TypeError, AttributeError) as err:
                raise InputError(str(path), f"bad alias record: {err}", number) from err
            for key in map(name_key, spellings):
                if names.setdefault(key, name) != name:
                    ambiguous.add(key)  # "Park" for two people: of no help
            types[name] = str(record.get("type") or "")
        return cls({k: v for k, v in names.items() if k not in ambiguous}, types)

    def lookup(self, name: str) -> str | None:
        """The canonical name of `name` (titles ignored), or None if the table lacks it."""
        return self.names.get(name_key(name)) or self.names.get(name_key(clean_name(name)))

