"""Names: keys equal for spelling variants, cleaning, canonical forms and the alias table.

Two finer tools serve identity across a corpus (`identity.py`):

- `person_keys` / `same_person`: romanization-aware matching of people's names. Korean
  romanizations vary systematically (eo/o/u, ae/e, yeol/youl/yul, oo/u), given names are
  hyphenated, spaced or run together, and the family name comes first or last; a name whose
  every word reads as romanized Korean syllables is compared with those differences ignored.
  Other names are compared exactly (case, accents, hyphens, initials and word order aside),
  with one typing slip allowed in a long word. Two people who share only a family name
  ("Moon Jae-in", "Moon Chung-in") never match.
- `body_key`: a key for states and institutions, with the country read from its name, its
  demonym, an abbreviation or its capital ("Seoul", "South Korea", "the South Korean
  government" are one state; "Ministry of Foreign Affairs" is "Foreign Ministry").
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
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



# --------------------------------------------------------------------------------------------
# People: romanization-aware keys

# One romanized Korean syllable: an initial, a vowel group, a final consonant (RR, McCune-
# Reischauer without breves, and the common informal spellings: "Park", "Ahn").
_SYLLABLE = r"(?:kk|tt|pp|ss|jj|ch|sh|[gkndtrlmbpsjhcyw])?[aeiouwy]{1,4}(?:ng|rk|hn|[nlkmptgbrh])?"
_KOREAN_WORD = re.compile(rf"(?:{_SYLLABLE}){{1,3}}")
# Applied in order: the spelling differences of one Korean vowel, folded to one form.
_VOWEL_FOLDS: tuple[tuple[str, str], ...] = (
    ("yeo", "yo"), ("you", "yu"), ("eo", "o"), ("eu", "u"), ("ou", "u"), ("oo", "u"),
    ("ae", "e"), ("o", "u"),
)
_MIN_SLIP_WORD = 6  # a word this long may carry one typing slip ("Blinkin" for "Blinken")


@lru_cache(maxsize=65536)
def is_korean_name(name: str) -> bool:
    """Whether every word of a name reads as one to three romanized Korean syllables."""
    words = [name_parts(word) for word in name.split()]
    return bool(words) and all(
        parts and _KOREAN_WORD.fullmatch("".join(parts)) for parts in words)


def _fold(word: str) -> str:
    for spelling, folded in _VOWEL_FOLDS:
        word = word.replace(spelling, folded)
    return word


@lru_cache(maxsize=65536)
def _word_keys(name: str) -> tuple[str, ...]:
    """The words of a person's name, each lower-cased and joined across hyphens; vowels
    folded when the name is Korean, initials dropped when it is not."""
    cleaned = clean_name(name)
    if is_korean_name(cleaned):  # each syllable group folded apart: "Jae-on" is not "Jaon"
        words = ["".join(map(_fold, name_parts(word))) for word in cleaned.split()]
        return tuple(word for word in words if word)
    words = ["".join(name_parts(word)) for word in cleaned.split()]
    kept = [w for w in words if len(w) > 1]  # initials go; "Jr." stays: it is another person
    return tuple(kept or [w for w in words if w])


def _orders(words: Sequence[str]) -> Iterator[list[str]]:
    """The word orders under which a name may be written: as given, family name moved from
    last to first, and from first to last."""
    yield list(words)
    if len(words) > 1:
        yield [words[-1], *words[:-1]]
        yield [*words[1:], words[0]]


@lru_cache(maxsize=65536)
def person_keys(name: str) -> frozenset[str]:
    """Keys shared by every spelling of a person's name and by no other person's name:
    the name's letters in each order the family name may take, spacing and hyphens dropped
    ("Kim Jong Un", "Kim Jong-un", "Jong-un Kim" share "kimjongun")."""
    words = _word_keys(name)
    return frozenset("".join(order) for order in _orders(words)) if words else frozenset()


def same_person(a: str, b: str) -> bool:
    """Whether two full names (two words or more) name one person (see the module
    docstring); a one-word name is a surname and never matches here."""
    words_a, words_b = _word_keys(a), _word_keys(b)
    if len(words_a) < 2 or len(words_b) < 2:
        return False
    if person_keys(a) & person_keys(b):
        return True
    if is_korean_name(clean_name(a)) or is_korean_name(clean_name(b)):
        return False  # Korean given names differ by one letter between people
    return any(_one_slip(words_a, order) for order in _orders(words_b))


def _one_slip(a: Sequence[str], b: Sequence[str]) -> bool:
    """Same words but one, which differs by one edit after its first letter, in a long word."""
    if len(a) != len(b):
        return False
    differing = [(x, y) for x, y in zip(a, b, strict=True) if x != y]
    if len(differing) != 1:
        return False
    x, y = differing[0]
    return (min(len(x), len(y)) >= _MIN_SLIP_WORD and x[0] == y[0]
            and _within_one_edit(x, y))


def _within_one_edit(x: str, y: str) -> bool:
    if abs(len(x) - len(y)) > 1:
        return False
    if len(x) > len(y):
        x, y = y, x
    i = 0
    while i < len(x) and x[i] == y[i]:
        i += 1
    return x[i + (len(x) == len(y)):] == y[i + 1:]


# --------------------------------------------------------------------------------------------
# States and bodies: the country in a name

# name: (adjective, other names and abbreviations, capital and seats of government)
COUNTRIES: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "United States": ("U.S.", ("United States of America", "U.S.", "US", "U.S.A.", "USA",
                               "America", "American"), ("Washington", "White House")),
    "South Korea": ("South Korean", ("South Korean", "S. Korea", "S. Korean", "S.Korea",
                                     "Republic of Korea", "ROK"), ("Seoul",)),
    "North Korea": ("North Korean", ("North Korean", "N. Korea", "N. Korean", "N.Korea", "DPRK",
                                     "Democratic People's Republic of Korea"), ("Pyongyang",)),
    "China": ("Chinese", ("Chinese", "People's Republic of China", "PRC"), ("Beijing",)),
    "Japan": ("Japanese", ("Japanese",), ("Tokyo",)),
    "Russia": ("Russian", ("Russian", "Russian Federation"), ("Moscow", "Kremlin")),
    "United Kingdom": ("British", ("Britain", "British", "UK", "U.K."), ("London",)),
    "France": ("French", ("French",), ("Paris",)),
    "Germany": ("German", ("German",), ("Berlin",)),
    "India": ("Indian", ("Indian",), ("New Delhi",)),
    "Taiwan": ("Taiwanese", ("Taiwanese",), ("Taipei",)),
    "Ukraine": ("Ukrainian", ("Ukrainian",), ("Kyiv", "Kiev")),
    "Iran": ("Iranian", ("Iranian",), ("Tehran",)),
    "Israel": ("Israeli", ("Israeli",), ()),
    "Australia": ("Australian", ("Australian",), ("Canberra",)),
    "Canada": ("Canadian", ("Canadian",), ("Ottawa",)),
    "Vietnam": ("Vietnamese", ("Vietnamese",), ("Hanoi",)),
    "Philippines": ("Philippine", ("Philippine", "Filipino"), ("Manila",)),
    "Mongolia": ("Mongolian", ("Mongolian",), ("Ulaanbaatar",)),
    "Singapore": ("Singaporean", ("Singaporean",), ()),
}
# A name whose head noun is one of these names a body or group, never a person.
BODY_NOUNS = frozenset(
    """
    government administration regime state authorities side ministry office department
    agency council committee commission command forces military army navy embassy mission
    delegation parliament congress senate assembly court party media press officials
    diplomats lawmakers legislators experts analysts critics people public
    """.split()
)
# Groups whose nationality is incidental to what they say: "Analysts", not "U.S. analysts".
INDEPENDENT_GROUPS = frozenset("experts analysts critics observers scholars people public "
                               "supporters opponents".split())
# Common nouns for groups of people: "U.S. officials", not "U.S. Officials".
_GROUP_NOUNS = frozenset("officials diplomats lawmakers legislators experts analysts critics "
                         "people public media press".split())
# What a state's own name means with nothing else said: the state itself.
_STATE_WORDS = frozenset("government state authorities regime side".split())
_BODY_FILLERS = frozenset("the of and for on affairs".split())
_WORD_FORMS = {"defence": "defense"}


_COUNTRY_FORMS = {form: country for country, (_, others, seats) in COUNTRIES.items()
                  for form in (country, *others, *seats)}
_SEATS = frozenset(seat for _, _, seats in COUNTRIES.values() for seat in seats)
# Any form of any country, longest first, with an optional "the" and possessive.
COUNTRY_IN_TEXT = re.compile(
    r"(?<![\w.])(?:the\s+)?("
    + "|".join(re.escape(form) for form in sorted(_COUNTRY_FORMS, key=len, reverse=True))
    + r")(?:['’]s)?(?![\w])")


def countries_in(name: str) -> list[str]:
    """The countries a name mentions, in order, by any of their forms."""
    return [_COUNTRY_FORMS[m.group(1)] for m in COUNTRY_IN_TEXT.finditer(name)]


def is_seat(name: str) -> bool:
    """Whether a name is only a capital or a seat of government ("Seoul", "the Kremlin"):
    a state named by metonymy."""
    return clean_name(name) in _SEATS


def body_key(name: str) -> str | None:
    """A key for a state or body, equal across the ways of naming it, or None when the name
    is not one (a person's, a plain group's). ``state:<country>`` for a state ("Seoul",
    "South Korea", "the South Korean government"), ``body:<country>:<words>`` for a body
    ("Ministry of Foreign Affairs of South Korea" = "South Korean Foreign Ministry"), with
    country ``?`` when the name does not say it."""
    cleaned = POSSESSIVE.sub("", name.strip()).strip(" ,;:")
    found = set(countries_in(cleaned))
    if len(found) > 1:
        return None
    rest = name_parts(COUNTRY_IN_TEXT.sub(" ", cleaned) if found else cleaned)
    head = rest[: rest.index("of")] if "of" in rest else rest  # "Ministry of Unification"
    words = [_WORD_FORMS.get(w, w) for w in rest if w not in _BODY_FILLERS]
    country = found.pop() if found else "?"
    if not words or set(words) <= _STATE_WORDS:
        return f"state:{country}" if country != "?" else None
    if not head or head[-1] not in BODY_NOUNS:
        return None
    return f"body:{country}:{' '.join(sorted(words))}"


def qualified(body: str, country: str) -> str:
    """A body's name qualified by its country: "Unification Ministry" -> "South Korean
    Unification Ministry"."""
    words = body.split()
    if words and words[0].lower() == "the":
        words = words[1:]
    words = [w.lower() if w.lower() in _GROUP_NOUNS else w for w in words]
    return f"{COUNTRIES[country][0]} {' '.join(words)}"
