"""The people of one article: their names, role words and mentions, to resolve references."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from stancekit.extraction.lexicon import PERSON_TITLES, ROLE_GROUPS
from stancekit.extraction.names import clean_name, is_form_of, name_parts
from stancekit.extraction.segment import Plan
from stancekit.extraction.syntax import content_words, open_apposition

FORWARD_CHARS = 400  # how far ahead a description may find the person it introduces
_parts = lru_cache(maxsize=65536)(name_parts)

@dataclass(eq=False)
class Person:
    name: str  # the fullest spelling
    spellings: list[str]  # distinct, in order of first use
    roles: set[str]
    mentions: list[tuple[int, bool]]  # (char offset, as a subject), sorted

    @property
    def family_name(self) -> str:
        """First word of a name with a hyphenated given name (Korean style), else the last."""
        words = self.name.split()
        return words[0] if any("-" in w for w in words[1:]) else words[-1]

    def last_before(self, offset: int) -> int:
        """The offset of the last mention before `offset`, or -1."""
        k = bisect_left(self.mentions, (offset, False))
        return self.mentions[k - 1][0] if k else -1


class People:
    """The people named in an article, with role words and mentions, for resolving references.

    Lookups are indexed (by name part, by role group, by offset), so that the work grows with
    the article's length, not with its length times the number of people.
    """

    def __init__(self, doc: Any, plan: Plan) -> None:
        self.doc = doc
        self.people: list[Person] = []
        self.at_token: dict[int, Person] = {}
        self._by_part: dict[str, list[Person]] = {}
        self._by_group: dict[str, list[Person]] = {}
        self._mentions: list[tuple[int, int]] = []  # (offset, person number), sorted
        self._subjects: list[tuple[int, int]] = []  # the same, of mentions as a subject
        self._number: dict[int, int] = {}  # id(person) -> its index in self.people
        self._forms: dict[tuple[str, str], bool] = {}
        body = [(s.start, s.end) for s in plan.sentences]
        mentions = [(span, clean_name(span.text)) for span in self._name_spans(body)]
        for _, name in mentions:
            if len(_parts(name)) >= 2:
                self._add_full(name)
        for span, name in mentions:
            person = self.find(name, span.start_char)
            if person is None and name:  # only ever named by one word
                person = self._new(name)
            if person is not None:
                self._mention(person, span)

    def _name_spans(self, body: list[tuple[int, int]]) -> Iterator[Any]:
        """Person names inside body sentences: PERSON entities (extended over a cut hyphenated
        given name) and capitalised names after a title ("General In-Choul Won")."""
        text, starts = self.doc.text, [s for s, _ in body]
        spans = [(e.start_char, e.end_char) for e in self.doc.ents if e.label_ == "PERSON"]
        spans += self._titled_names()
        for start, end in sorted(spans):
            end -= text[end - 1] == "-"  # "Moon Jae-" of "Moon Jae-in"
            tail = re.match(r"-[^\W_]+", text[end:])
            end += tail.end() if tail else 0
            k = bisect_right(starts, start) - 1
            if k >= 0 and start < body[k][1]:
                span = self.doc.char_span(start, min(end, body[k][1]), alignment_mode="expand")
                if span is not None and any(t.is_alpha and t.text[0].isupper() for t in span):
                    yield span

    def _titled_names(self) -> list[tuple[int, int]]:
        spans = []
        for token in self.doc:
            if token.lower_.rstrip(".") not in PERSON_TITLES or token.ent_type_ == "PERSON":
                continue
            end = token.i + 1
            while end < len(self.doc) and self.doc[end].ent_type_ not in ("ORG", "GPE") and (
                    self.doc[end].pos_ == "PROPN" or (self.doc[end].text == "-"
                                                      and not self.doc[end - 1].whitespace_)):
                end += 1
            if end > token.i + 1:
                spans.append((self.doc[token.i + 1].idx, self.doc[end - 1].idx
                              + len(self.doc[end - 1])))
        return spans

    def _new(self, name: str) -> Person:
        person = Person(name, [], set(), [])
        self._number[id(person)] = len(self.people)
        self.people.append(person)
        self._spell(person, name)
        return person

    def _spell(self, person: Person, name: str) -> None:
        if name in person.spellings:
            return
        person.spellings.append(name)
        for part in _parts(name):
            holders = self._by_part.setdefault(part, [])
            if person not in holders:
                holders.append(person)

    def _is_form(self, name: str, spelling: str) -> bool:
        key = (name, spelling)
        if key not in self._forms:
            self._forms[key] = is_form_of(name, spelling)
        return self._forms[key]

    def _candidates(self, name: str) -> list[Person]:
        """The people sharing a name part with `name`, in order of first mention."""
        found = {id(p): p for part in _parts(name) for p in self._by_part.get(part, ())}
        return sorted(found.values(), key=lambda p: self._number[id(p)])

    def _add_full(self, name: str) -> None:
        person = next((p for p in self._candidates(name) if self._is_form(name, p.name)
                       or self._is_form(p.name, name)), None)
        if person is None:
            self._new(name)
            return
        self._spell(person, name)
        if len(_parts(name)) > len(_parts(person.name)):
            person.name = name

    def _mention(self, person: Person, span: Any) -> None:
        is_subject = span.root.dep_ in ("nsubj", "nsubjpass")
        insort(person.mentions, (span.start_char, is_subject))
        number = self._number[id(person)]
        insort(self._mentions, (span.start_char, number))
        if is_subject:
            insort(self._subjects, (span.start_char, number))
        for role in self._roles(span) - person.roles:
            person.roles.add(role)
            group = ROLE_GROUPS.get(role)
            if group is not None and person not in self._by_group.setdefault(group, []):
                self._by_group[group].append(person)
        for token in span:
            self.at_token[token.i] = person

    @staticmethod
    def _roles(span: Any) -> set[str]:
        """Words describing a person mention: titles before it and closed appositions."""
        doc, words = span.doc, []
        i = span.start - 1
        while i >= span.sent.start and doc[i].dep_ in ("compound", "amod", "nmod", "poss",
                                                       "case") :
            words.append(doc[i])
            i -= 1
        root = span.root
        words.extend(t for child in root.children if child.dep_ == "appos"
                     and open_apposition(root) is not child for t in child.subtree)
        if root.dep_ == "appos":
            words.extend(t for t in root.head.subtree if t.i < span.start)
        return content_words(words)

    def find(self, name: str, offset: int) -> Person | None:
        """The person a name belongs to: most recent mention before `offset`, else the next."""
        return self._nearest([p for p in self._candidates(name)
                              if any(self._is_form(name, s) for s in p.spellings)], offset)

    @staticmethod
    def _nearest(candidates: list[Person], offset: int) -> Person | None:
        """Of `candidates`, the one mentioned last before `offset`, else first after it."""
        before = [p for p in candidates if p.last_before(offset) >= 0]
        if before:
            return max(before, key=lambda p: p.last_before(offset))
        after = [(p.mentions[0][0], i) for i, p in enumerate(candidates) if p.mentions]
        if after:
            return candidates[min(after)[1]]
        return candidates[0] if candidates else None

    def person_of(self, token: Any) -> Person | None:
        """The person a name token refers to, if any (a known family name counts too)."""
        person = self.at_token.get(token.i)
        if person is None and token.pos_ == "PROPN" and token.text[:1].isupper():
            person = self.find(clean_name(token.text), token.idx)
            if person is not None:
                self._mention(person, self.doc[token.i : token.i + 1])
        return person

    def by_description(self, words: set[str], group: str, offset: int) -> Person | None:
        """The person a description such as "the US defence chief" fits best: of the people
        named before it or just after it, with a role of its kind, the most words in common."""
        fitting = [p for p in self._by_group.get(group, ())
                   if p.mentions and p.mentions[0][0] < offset + FORWARD_CHARS]
        if not fitting:
            return None
        best = max(len(words & p.roles) for p in fitting)
        return self._nearest([p for p in fitting if len(words & p.roles) == best], offset)

    def recent_subject(self, offset: int) -> Person | None:
        """The person most recently mentioned as a subject before `offset`, else mentioned."""
        for mentions in (self._subjects, self._mentions):
            k = bisect_left(mentions, (offset, -1))
            if k:
                return self.people[mentions[k - 1][1]]
        return None

    def in_tokens(self, tokens: Iterable[Any]) -> list[Person]:
        """The people named in `tokens`, in order of first mention there."""
        found: list[Person] = []
        for token in tokens:
            person = self.at_token.get(token.i)
            if person is not None and person not in found:
                found.append(person)
        return found
