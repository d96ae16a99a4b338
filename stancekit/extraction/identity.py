"""Speaker identity across a corpus: one canonical name per speaker in every article.

Two steps, both over plain strings so that a streaming run keeps only speaker names:

1. Within one article, `link_in_article(claims, text)` completes what the article itself
   says: a surname ("Han") becomes the one full name in the text that it belongs to ("Han
   Suk Yeol"); "the North" becomes the state the text names ("North Korea"); an acronym
   ("PFAC") becomes the name the text spells out; an unqualified body ("the Unification
   Ministry", "officials") gets the country the text gives it ("South Korean Unification
   Ministry"); groups whose nationality is incidental ("Analysts") stay as they are.
   Several candidates (two Moons in one article) leave the name as it is.
2. Across the corpus, `resolve_speakers(speakers, aliases)` groups the names of one speaker:
   people by romanization-aware matching (`names.same_person`: "Kim Jong Un" / "Kim
   Jong-un", "Chung-in Moon" / "Moon Chung-in"; never two people who share a family name),
   states and bodies by `names.body_key` ("Seoul" / "South Korea"), other names by case and
   spacing. Surnames alone are not merged across articles (too many Kims). The canonical
   name of a group is the alias table's when it has one, else its most frequent full form
   (two words or more for a person; a state's own name rather than its capital).

API (for `extract`, `score` and the positions report)::

    linked = link_in_article(claims, article.text)         # per article, as claims stream
    counts.update(claim.speaker for claim in linked)       # a Counter of speaker fields
    identity = resolve_speakers(counts, aliases)           # once, after the corpus
    identity.rewrite("Kim Jong Un; Seoul")                 # -> "Kim Jong-un; South Korea"
    identity.canonical("Jong-un Kim"), identity.aliases("Kim Jong-un")
    identity.alias_records()                                # merges, as --aliases records

`identify(results, aliases)` does all of it over `extract_many`'s (or `explain_many`'s)
stream: memory holds only the speaker counts; the articles and claims wait in a temporary
file until the corpus is seen, then come out rewritten, in order.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import TypeVar

from stancekit.extraction.attribution import Attribution
from stancekit.extraction.names import (
    COUNTRY_IN_TEXT,
    INDEPENDENT_GROUPS,
    AliasTable,
    body_key,
    clean_name,
    countries_in,
    is_korean_name,
    is_seat,
    name_key,
    person_keys,
    qualified,
    same_person,
)
from stancekit.records import AUTHOR_PREFIX, NARRATOR, Article, Claim, split_speakers

Item = TypeVar("Item", Claim, Attribution)  # a claim, or a claim with its rule's evidence
_COMPASS = frozenset("North South East West".split())
_NAME_IN_TEXT = re.compile(r"[A-Z][\w’'.-]*(?:\s+[A-Z][\w’'-]*){1,3}")
# Capitalised words that open or close a run of names without being part of a name.
_NOT_NAME_WORDS = frozenset(
    """the a an but and or so yet if as at in on of for to by with from after before when while
    since although though meanwhile however also still then now yesterday today tomorrow
    earlier later instead indeed here there where why how what during under over president
    former monday tuesday wednesday thursday friday saturday sunday january february march
    april may june july august september october november december""".split()
)
_ENDS_WITH_COUNTRY = re.compile(rf"(?:{COUNTRY_IN_TEXT.pattern})\s*$")
_STARTS_WITH_COUNTRY = re.compile(rf"^\s+of\s+(?:{COUNTRY_IN_TEXT.pattern})")
_SPELLED_OUT_CHARS = 150  # how far before "(ACRONYM)" its words may start
_ACRONYM_FILLERS = frozenset("of for and on the".split())
_QUALIFIER_CHARS = 60  # how far before or after a body its country may be named
_ACRONYM = re.compile(r"[A-Z]{2,}")
_SLIP_BUCKET_LIMIT = 500  # names sharing one word beyond which slips are not looked for


# --------------------------------------------------------------------------------------------
# Within one article


def link_in_article(claims: Iterable[Claim], text: str) -> list[Claim]:
    """The claims of one article with speakers (and relays) completed from its text."""
    claims = list(claims)
    mapping: dict[str, str] = {}
    for claim in claims:
        for name in (*split_speakers(claim.speaker), *split_speakers(claim.via)):
            if name not in mapping:
                mapping[name] = complete_name(name, text)
    if all(mapping[n] == n for n in mapping):
        return claims
    return [replace(claim, speaker=_mapped(claim.speaker, mapping), via=_mapped(claim.via, mapping))
            for claim in claims]


def complete_name(name: str, text: str) -> str:
    """The fullest form of a speaker name that the article text supports (see the module
    docstring); the name itself when the text does not settle it."""
    if name == NARRATOR or name.startswith(AUTHOR_PREFIX):
        return name
    bare = clean_name(name)
    key = body_key(name)
    if key is not None and key.startswith("state:"):
        return name
    if bare in _COMPASS:
        return _compass_state(bare, text) or name
    if _ACRONYM.fullmatch(bare):
        return _spelled_out(bare, text) or name
    if (key is not None and key.startswith("body:?:")
            and key.rsplit(":", 1)[1] not in INDEPENDENT_GROUPS):
        return _qualified_body(name, text) or name
    if key is None and len(bare.split()) == 1 and bare[:1].isupper():
        return _full_name(bare, text) or name
    return name


def _compass_state(word: str, text: str) -> str | None:
    """"North" -> the state whose name starts so that the text names most ("North Korea")."""
    named = Counter(c for c in countries_in(text) if c.split()[0] == word)
    return named.most_common(1)[0][0] if named else None


def _spelled_out(acronym: str, text: str) -> str | None:
    """"PFAC" -> "Pacific Fishing Action Committee", where the text introduces it so:
    "Pacific Fishing Action Committee (PFAC)"."""
    for match in re.finditer(rf"\(\s*{re.escape(acronym)}\s*\)", text):
        before = text[max(0, match.start() - _SPELLED_OUT_CHARS) : match.start()]
        words = re.findall(r"[\w’'-]+", before)
        for start in range(len(words) - 1, -1, -1):
            initials = "".join(w[0] for w in words[start:] if w[0].isupper())
            if not (words[start][0].isupper() or words[start] in _ACRONYM_FILLERS):
                break
            if initials == acronym and words[start][0].isupper():
                return " ".join(words[start:])
    return None


def _qualified_body(name: str, text: str) -> str | None:
    """An unqualified body with the one country the text gives it, right before or after
    it: "South Korea's Unification Ministry", "the Ministry of Unification of South Korea"."""
    bare = re.sub(r"^the\s+", "", name.strip(), flags=re.IGNORECASE)
    found = set()
    for match in re.finditer(rf"\b{re.escape(bare)}\b", text, re.IGNORECASE):
        before = text[max(0, match.start() - _QUALIFIER_CHARS) : match.start()]
        after = text[match.end() : match.end() + _QUALIFIER_CHARS]
        for stretch, anchored in ((before, _ENDS_WITH_COUNTRY), (after, _STARTS_WITH_COUNTRY)):
            hit = anchored.search(stretch)
            if hit:
                found.update(countries_in(hit.group()))
    return qualified(bare, found.pop()) if len(found) == 1 else None


def _full_name(surname: str, text: str) -> str | None:
    """The one person's full name in the text with this family name (first or last word)."""
    people: list[list[str]] = []
    for full in _full_names_in(text):
        parts = full.split()
        if surname not in (parts[0], parts[-1]):
            continue
        group = next((g for g in people if same_person(g[0], full)), None)
        if group is None:
            people.append([full])
        else:
            group.append(full)
    if len(people) != 1:
        return None
    return Counter(people[0]).most_common(1)[0][0]


@lru_cache(maxsize=8)  # one article's speakers ask in turn
def _full_names_in(text: str) -> tuple[str, ...]:
    """The runs of capitalised words in a text that may be a person's full name: two words
    or more once function words and titles are cut, not a body, not naming a country."""
    names = []
    for match in _NAME_IN_TEXT.finditer(text):
        words = match.group().split()
        while words and words[0].lower().strip(".") in _NOT_NAME_WORDS:
            words = words[1:]
        while words and words[-1].lower().strip(".’'") in _NOT_NAME_WORDS:
            words = words[:-1]
        full = clean_name(" ".join(words))
        if len(full.split()) >= 2 and body_key(full) is None and not countries_in(full):
            names.append(full)
    return tuple(names)


def _mapped(speaker: str, mapping: Mapping[str, str]) -> str:
    return "; ".join(dict.fromkeys(mapping.get(n, n) for n in split_speakers(speaker)))


# --------------------------------------------------------------------------------------------
# Across the corpus


@dataclass(frozen=True)
class SpeakerIdentity:
    """Canonical names of a corpus: every spelling seen maps to its speaker's canonical name."""

    names: dict[str, str] = field(default_factory=dict)  # spelling -> canonical
    counts: dict[str, int] = field(default_factory=dict)  # spelling -> occurrences
    by_key: dict[str, str] = field(default_factory=dict)  # identity key -> canonical

    def canonical(self, name: str) -> str:
        """The canonical name of `name`; a name never seen is matched by its keys, else kept."""
        if name in self.names:
            return self.names[name]
        return next((self.by_key[k] for k in speaker_keys(name) if k in self.by_key), name)

    def aliases(self, canonical: str) -> list[str]:
        """The other spellings merged into `canonical`, most frequent first."""
        merged = [s for s, c in self.names.items() if c == canonical and s != canonical]
        return sorted(merged, key=lambda s: (-self.counts.get(s, 0), s))

    def alias_records(self) -> list[dict[str, object]]:
        """The merges as alias-table records (the format of labels/speakers.jsonl), one per
        speaker with other spellings: a user edits them and passes them back with --aliases."""
        canonicals = sorted(set(self.names.values()))
        return [{"name": name, "aliases": merged} for name in canonicals
                if (merged := self.aliases(name))]

    def rewrite(self, speaker: str) -> str:
        """A claim's speaker (or via) field with each name canonical; `narrator` and
        `author:*` unchanged; a name repeated by the merge kept once."""
        names = [n if n == NARRATOR or n.startswith(AUTHOR_PREFIX) else self.canonical(n)
                 for n in split_speakers(speaker)]
        return "; ".join(dict.fromkeys(names))


@lru_cache(maxsize=65536)
def speaker_keys(name: str) -> frozenset[str]:
    """The identity keys of one speaker name: names sharing a key are one speaker."""
    body = body_key(name)
    if body is not None:
        return frozenset({body})
    bare = clean_name(name)
    words = bare.split()
    if len(words) >= 2 and all(w[:1].isupper() for w in words):
        return frozenset(f"person:{k}" for k in person_keys(bare))
    return frozenset({f"name:{name_key(bare)}"})


def resolve_speakers(
    speakers: Iterable[str] | Mapping[str, int], aliases: AliasTable | None = None
) -> SpeakerIdentity:
    """Group the speaker names of a corpus and choose each group's canonical name.

    `speakers` are speaker fields, one per claim (joint "A; B" fields count for each name),
    or a mapping from speaker field to its number of claims. `narrator` and `author:*` stay
    as they are.
    """
    counts: Counter[str] = Counter()
    items = speakers.items() if isinstance(speakers, Mapping) else ((s, 1) for s in speakers)
    for field_value, n in items:
        for name in split_speakers(field_value):
            if name != NARRATOR and not name.startswith(AUTHOR_PREFIX):
                counts[name] += n
    names = list(counts)
    groups = _Groups(len(names))
    owner: dict[str, int] = {}
    table_name: dict[int, str] = {}
    for i, name in enumerate(names):
        keys = set(speaker_keys(name))
        listed = aliases.lookup(name) if aliases is not None else None
        if listed is not None:
            table_name[i] = listed
            keys |= {f"alias:{listed}", *speaker_keys(listed)}
        for key in keys:
            groups.union(i, owner.setdefault(key, i))
    _merge_slips(names, groups)
    _link_lone_surnames(names, groups)
    members: dict[int, list[int]] = {}
    for i in range(len(names)):
        members.setdefault(groups.find(i), []).append(i)
    canonical: dict[str, str] = {}
    for group in members.values():
        listed = Counter(table_name[i] for i in group if i in table_name)
        chosen = (listed.most_common(1)[0][0] if listed
                  else _most_frequent_full_form([names[i] for i in group], counts))
        for i in group:
            canonical[names[i]] = table_name.get(i, chosen)
    by_key = {key: canonical[name] for name in names for key in speaker_keys(name)}
    return SpeakerIdentity(canonical, dict(counts), by_key)


def _merge_slips(names: list[str], groups: _Groups) -> None:
    """Join people whose names differ by a typing slip (`names.same_person`); only names
    sharing a word are compared, and never Korean names (their keys already matched)."""
    by_word: dict[str, list[int]] = {}
    for i, name in enumerate(names):
        if (next(iter(speaker_keys(name))).startswith("person:")
                and not is_korean_name(clean_name(name))):  # no slips in Korean names
            for word in {w.lower() for w in clean_name(name).split()}:
                by_word.setdefault(word, []).append(i)
    for bucket in by_word.values():
        if len(bucket) > _SLIP_BUCKET_LIMIT:
            continue
        for k, i in enumerate(bucket):
            for j in bucket[k + 1 :]:
                if groups.find(i) != groups.find(j) and same_person(names[i], names[j]):
                    groups.union(i, j)


def _link_lone_surnames(names: list[str], groups: _Groups) -> None:
    """Join a one-word name ("Trump") to the one person of the corpus whose full name ends in
    it ("Donald Trump"), when exactly one does; never a Korean family name, which many people
    share ("Moon" stays apart from "Moon Jae-in" and "Moon Chung-in")."""
    by_surname: dict[str, set[int]] = {}
    for i, name in enumerate(names):
        if next(iter(speaker_keys(name))).startswith("person:"):
            by_surname.setdefault(clean_name(name).split()[-1].lower(), set()).add(i)
    for i, name in enumerate(names):
        word = clean_name(name)
        if (len(word.split()) != 1 or not word[:1].isupper() or is_korean_name(word)
                or not next(iter(speaker_keys(name))).startswith("name:")):
            continue
        people = {groups.find(j) for j in by_surname.get(word.lower(), ())}
        if len(people) == 1:
            groups.union(i, people.pop())


def _most_frequent_full_form(group: list[str], counts: Counter[str]) -> str:
    """A group's canonical name: its most frequent full form (a person's name of two words
    or more, a state's own name rather than its capital), hyphenated given names first on a
    tie ("Kim Yo-jong" over "Kim Yo Jong"), titles dropped from a person's name."""
    def full(name: str) -> bool:
        key = body_key(name)
        if key is not None:
            return not is_seat(name)
        return len(clean_name(name).split()) >= 2

    first_seen = {name: k for k, name in enumerate(group)}
    candidates = [n for n in group if full(n)] or group
    best = max(candidates, key=lambda n: (counts[n], "-" in n, -first_seen[n]))
    key = body_key(best)
    if key is not None and key.startswith("state:") and is_seat(best):
        return key.removeprefix("state:")  # only ever named by its capital
    return best if key is not None else clean_name(best)


class _Groups:
    """Union-find over name indexes."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, i: int, j: int) -> None:
        a, b = self.find(i), self.find(j)
        if a != b:
            self.parent[max(a, b)] = min(a, b)


# --------------------------------------------------------------------------------------------
# Over a stream of extraction results


def identify(
    results: Iterable[tuple[Article, list[Item]]], aliases: AliasTable | None = None
) -> Iterator[tuple[Article, list[Item]]]:
    """`extract_many`'s (or `explain_many`'s) results with every speaker canonical across the
    whole stream.

    Each article's claims are linked within the article as they come, spooled to a temporary
    file, and yielded again, rewritten, once the last article is in (memory stays flat).
    """
    counts: Counter[str] = Counter()
    with tempfile.TemporaryFile("w+", encoding="utf-8") as spool:
        for article, items in results:
            claims = link_in_article((_claim_of(item) for item in items), article.text)
            counts.update(c.speaker for c in claims)
            counts.update(c.via for c in claims if c.via)
            evidence = [list(item.evidence) if isinstance(item, Attribution) else None
                        for item in items]
            spool.write(json.dumps({"article": vars(article),
                                    "claims": [vars(c) for c in claims],
                                    "evidence": evidence}) + "\n")
        identity = resolve_speakers(counts, aliases)
        rewrite = lru_cache(maxsize=None)(identity.rewrite)  # bounded by the names counted
        spool.seek(0)
        for line in spool:
            record = json.loads(line)
            rewritten: list[Item] = []
            for fields, words in zip(record["claims"], record["evidence"], strict=True):
                fields.update(speaker=rewrite(fields["speaker"]), via=rewrite(fields["via"]))
                claim = Claim(**fields)
                rewritten.append(claim if words is None else Attribution(claim, tuple(words)))
            yield Article(**record["article"]), rewritten


def _claim_of(item: Item) -> Claim:
    return item.claim if isinstance(item, Attribution) else item
