"""The people of one article: their names, role words and mentions, to resolve references."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from stancekit.extraction.lexicon import PERSON_TITLES, ROLE_GROUPS
from stancekit.extraction.names import clean_name, is_form_of, name_parts
from stancekit.extraction.segment import Plan
from stancekit.extraction.syntax import content_words, open_apposition

FORWARD_CHARS = 400  # how far ahead a description may find the person it introduces

@dataclass(eq=False)
class Person:
    name: str  # the fullest spelling
    spellings: list[str]
    roles: set[str]
    mentions: list[tuple[int, bool]]  # (char offset, as a subject)

    @property
    def family_name(self) -> str:
        """First word of a name with a hyphenated given name (Korean style), else the last."""
        words = self.name.split()
        return words[0] if any("-" in w for w in words[1:]) else words[-1]


class People:
    """The people named in an article, with role words and mentions, for resolving references."""

    def __init__(self, doc: Any, plan: Plan) -> None:
        self.doc = doc
        self.people: list[Person] = []
        self.at_token: dict[int, Person] = {}
        body = [(s.start, s.end) for s in plan.sentences]
        mentions = [(span, clean_name(span.text)) for span in self._name_spans(body)]
        for _, name in mentions:
            if len(name_parts(name)) >= 2:
                self._add_full(name)
        for span, name in mentions:
            person = self.find(name, span.start_char)
            if person is None and name:  # only ever named by one word
                person = Person(name, [name], set(), [])
                self.people.append(person)
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

    def _add_full(self, name: str) -> None:
        person = next((p for p in self.people if is_form_of(name, p.name)
                       or is_form_of(p.name, name)), None)
        if person is None:
            self.people.append(Person(name, [name], set(), []))
            return
        person.spellings.append(name)
        if len(name_parts(name)) > len(name_parts(person.name)):
            person.name = name

    def _mention(self, person: Person, span: Any) -> None:
        person.mentions.append((span.start_char, span.root.dep_ in ("nsubj", "nsubjpass")))
        person.roles |= self._roles(span)
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
        return self._nearest([p for p in self.people
                              if any(is_form_of(name, s) for s in p.spellings)], offset)

    @staticmethod
    def _nearest(candidates: list[Person], offset: int) -> Person | None:
        """Of `candidates`, the one mentioned last before `offset`, else first after it."""
        def last_before(p: Person) -> int:
            return max((o for o, _ in p.mentions if o < offset), default=-1)

        before = [p for p in candidates if last_before(p) >= 0]
        if before:
            return max(before, key=last_before)
        after = [(min(o for o, _ in p.mentions), i) for i, p in enumerate(candidates)
                 if p.mentions]
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
        fitting = [p for p in self.people if any(ROLE_GROUPS.get(w) == group for w in p.roles)
                   and any(o < offset + FORWARD_CHARS for o, _ in p.mentions)]
        if not fitting:
            return None
        best = max(len(words & p.roles) for p in fitting)
        return self._nearest([p for p in fitting if len(words & p.roles) == best], offset)

    def recent_subject(self, offset: int) -> Person | None:
        """The person most recently mentioned as a subject before `offset`, else mentioned."""
        for subjects_only in (True, False):
            best, where = None, -1
            for person in self.people:
                for o, is_subject in person.mentions:
                    if where < o < offset and (is_subject or not subjects_only):
                        best, where = person, o
            if best is not None:
                return best
        return None

    def in_tokens(self, tokens: Iterable[Any]) -> list[Person]:
        """The people named in `tokens`, in order of first mention there."""
        found: list[Person] = []
        for token in tokens:
            person = self.at_token.get(token.i)
            if person is not None and person not in found:
                found.append(person)
        return found
