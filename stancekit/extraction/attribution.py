"""Attribution: the speaker whose position each body sentence of an article expresses.

Sentence by sentence: direct quotes, reported speech with a speech or stance verb (either
order, participle clauses, "according to"), relayed speech (`via`), quotes continued in the
next sentences; otherwise `narrator` in news, `author:<source>` for an opinion piece's own
commentary. Segmentation is in `segment`, the people of an article in `people`, word lists in
`lexicon`, names in `names`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from stancekit.extraction.lexicon import (
    CLAUSE_CONJUNCTIONS,
    DOCUMENT_NOUNS,
    FIRST_PERSON,
    FIRST_PERSON_TEXT,
    GROUP_PRONOUNS,
    HUMAN_NOUNS,
    LEADER_BODIES,
    LEADING_DETERMINERS,
    PERSON_PRONOUNS,
    RELATIONAL_NOUNS,
    RELATIVE_PRONOUNS,
    RELAY_LEMMAS,
    ROLE_GROUPS,
    SPEECH_NOUNS,
    STATEMENT_NOUNS,
)
from stancekit.extraction.names import (
    POSSESSIVE,
    AliasTable,
    clean_name,
    name_key,
    preferred_spelling,
)
from stancekit.extraction.people import People, Person
from stancekit.extraction.segment import Plan, load_nlp, plan_article, prepared_doc
from stancekit.extraction.syntax import (
    author_of,
    clause_verb,
    content_words,
    depth,
    is_definite,
    is_indefinite,
    is_speech_verb,
    noun_phrase,
    open_apposition,
    subject_of,
)
from stancekit.records import AUTHOR_PREFIX, NARRATOR, Article, Claim

_PRONOUN_WINDOW = 4  # sentences back in which a speaker is the likely "he" / "she" / "they"
_QUOTED_IN_COMMENTARY = 0.25  # share of a commentary sentence quoted before it is a quote

@dataclass(frozen=True)
class _Speaker:
    """Who some words are attributed to."""

    names: tuple[str, ...]
    via: str = ""
    person: Person | None = None  # the single person speaking, if it is one
    document: bool = False  # "according to a statement": a source without an author


@dataclass(frozen=True)
class _Unit:
    """A claim to be: a sentence, or one of two clauses of a sentence with two speakers."""

    start: int
    end: int
    sentence: int
    speaker: _Speaker | None


class _Attributor:
    """Speakers for the sentences of one parsed article."""

    def __init__(self, article: Article, plan: Plan, doc: Any, aliases: AliasTable | None):
        self.article, self.plan, self.doc, self.aliases = article, plan, doc, aliases
        self.people = People(doc, plan)
        self.spans = [doc.char_span(s.start, s.end, alignment_mode="expand")
                      for s in plan.sentences]
        self.quoted = {t.i for qs, qe in plan.quotes
                       for t in doc.char_span(qs, qe, alignment_mode="expand") or ()}
        self.opinion = article.kind == "opinion" or (not article.kind and self._first_person())
        self.author = AUTHOR_PREFIX + (article.source or article.id)
        self.commentary = self._commentary_blocks() if self.opinion else set()
        self.last_person: tuple[int, Person] | None = None
        self.last_group: tuple[int, tuple[str, ...]] | None = None
        self.last_body: tuple[int, tuple[str, ...]] | None = None

    # -- the result

    def claims(self) -> list[Claim]:
        units = [unit for index in range(len(self.spans)) for unit in self._units(index)]
        final: list[_Speaker | None] = []
        for k, unit in enumerate(units):
            final.append(unit.speaker or self._continued(k, units, final))
        claims = []
        for seq, (unit, speaker) in enumerate(zip(units, final, strict=True), 1):
            block = self.plan.sentences[unit.sentence].block
            default = self.author if block in self.commentary else NARRATOR
            claims.append(Claim(
                id=f"{self.article.id}-{seq:03d}", article_id=self.article.id,
                start=unit.start, end=unit.end, text=self.article.text[unit.start:unit.end],
                speaker="; ".join(speaker.names) if speaker else default,
                via=speaker.via if speaker else "",
            ))
        return claims

    def _units(self, index: int) -> list[_Unit]:
        """One sentence as one claim, or as two where ", but" / ", while" joins two clauses
        with different speakers ("X said ..., but experts predict ...")."""
        sentence, span = self.plan.sentences[index], self.spans[index]
        root = span.root
        for token in span:
            if (token.lower_ in CLAUSE_CONJUNCTIONS and token.i > span.start
                    and self.doc[token.i - 1].text == "," and token.i not in self.quoted
                    and clause_verb(token).head == root and clause_verb(token) != root):
                comma = self.doc[token.i - 1]
                first = self._own(index, span[: comma.i - span.start])
                second = self._own(index, span[token.i - span.start :])
                if (first and first.names) != (second and second.names):
                    return [_Unit(sentence.start, comma.idx, index, self._remember(index, first)),
                            _Unit(token.idx, sentence.end, index, self._remember(index, second))]
        return [_Unit(sentence.start, sentence.end, index,
                      self._remember(index, self._own(index, span)))]

    def _continued(self, k: int, units: list[_Unit], final: list[_Speaker | None]
                   ) -> _Speaker | None:
        """A quotation without its own attribution: the speaker of the rest of the quotation,
        else of the claim before it."""
        unit = units[k]
        sentence = self.plan.sentences[unit.sentence]
        if sentence.quote is None and sentence.quoted_share < 0.5:
            return None
        quotes = [(qs, qe) for qs, qe in self.plan.quotes if qs < unit.end and unit.start < qe]
        sharing = [j for j, other in enumerate(units) if other.speaker and any(
            qs < other.end and other.start < qe for qs, qe in quotes)]
        if sharing:
            return units[min(sharing, key=lambda j: abs(j - k))].speaker
        previous = self.plan.sentences[units[k - 1].sentence] if k else None
        if previous is not None and previous.block >= sentence.block - 1:
            return final[k - 1]
        return None

    # -- one sentence or clause

    def _own(self, index: int, tokens: Any) -> _Speaker | None:
        """The speaker that the words of a sentence (or clause) name: speech verbs,
        "according to", relays, speech nouns."""
        block = self.plan.sentences[index].block
        if (block in self.commentary
                and self.plan.sentences[index].quoted_share < _QUOTED_IN_COMMENTARY):
            return None  # a blogger's paraphrase of others is the blogger's own claim
        found = []
        for token in tokens:
            if token.i in self.quoted or not is_speech_verb(token):
                continue
            subject = subject_of(token)
            if subject is None or subject.i in self.quoted:
                continue
            speaker = self._resolve(subject, index)
            if speaker is not None:
                found.append((depth(token), token, speaker))
        according = self._according(tokens, index)
        if not found:
            if according is not None and according.document:
                return self._root_subject(tokens, index)
            return according or self._speech_noun(tokens, index)
        found.sort(key=lambda item: (item[0], item[1].i))
        _, verb, speaker = found[0]
        via = ""
        for _, other, inner in found[1:]:
            if inner.names == speaker.names or other.head != verb:
                continue
            if other.dep_ == "ccomp" and verb.lemma_ in RELAY_LEMMAS:
                speaker, via = inner, "; ".join(speaker.names)  # "X asked ..., Y said"
                break
            if other.dep_ == "advcl" and other.lemma_ in RELAY_LEMMAS and not via:
                via = "; ".join(inner.names)  # "..., X noted, as reported by Y"
        if according and not according.document and according.names != speaker.names:
            via = via or "; ".join(according.names)
        if (speaker.person is not None and self._is_spokesperson(speaker.person)
                and self.last_body and index - self.last_body[0] <= _PRONOUN_WINDOW):
            return _Speaker(self.last_body[1], "; ".join(speaker.names))  # speaks for a body
        return _Speaker(speaker.names, via, speaker.person)

    def _remember(self, index: int, speaker: _Speaker | None) -> _Speaker | None:
        """Note a speaker for later pronouns and spokespeople."""
        if speaker is None:
            return None
        if speaker.person is not None:
            self.last_person = (index, speaker.person)
        elif speaker.names != (self.author,):
            self.last_group = (index, speaker.names)
            if len(speaker.names) == 1:
                self.last_body = (index, speaker.names)
        return speaker

    def _is_spokesperson(self, person: Person) -> bool:
        return any(ROLE_GROUPS.get(w) == "spokesperson" for w in person.roles)

    def _according(self, tokens: Any, index: int) -> _Speaker | None:
        """The source of an "according to X" in the sentence; `document` if X is a text
        without a named author ("according to a joint statement")."""
        for token in tokens:
            if token.lower_ != "according" or token.i in self.quoted:
                continue
            to = next((c for c in token.children if c.lower_ == "to"), None)
            source = next((c for c in to.children if c.dep_ == "pobj"), None) if to else None
            if source is None:
                continue
            if source.lemma_.lower() in DOCUMENT_NOUNS:
                author = author_of(source)
                if author is None:  # a joint statement speaks for the sentence's subject
                    statement = source.lemma_.lower() in STATEMENT_NOUNS
                    return _Speaker((), document=True) if statement else None
                source = author
            return self._resolve(source, index)
        return None

    def _root_subject(self, tokens: Any, index: int) -> _Speaker | None:
        """The subject of the main verb, quoted or not ("According to the statement, "A and
        B recognized ..."")."""
        for token in tokens:
            if token.dep_ == "nsubj" and token.head.dep_ in ("ROOT", "ccomp"):
                return self._resolve(token, index)
        return None

    def _speech_noun(self, tokens: Any, index: int) -> _Speaker | None:
        """A subject such as "The comments by X" or "X's remarks"."""
        for token in tokens:
            if (token.dep_ == "nsubj" and token.lemma_.lower() in SPEECH_NOUNS
                    and token.i not in self.quoted):
                author = author_of(token)
                if author is not None:
                    return self._resolve(author, index)
        return None

    # -- references

    def _resolve(self, token: Any, index: int) -> _Speaker | None:
        """The canonical speaker(s) a subject noun phrase refers to, or None."""
        low = token.lower_
        if low in PERSON_PRONOUNS:
            person = self._pronoun(token, index)
            return _Speaker((self._canonical(person),), person=person) if person else None
        if low in GROUP_PRONOUNS:
            return self._they(token, index)
        if low in FIRST_PERSON:
            return _Speaker((self.author,)) if self.opinion else None
        if low in RELATIVE_PRONOUNS and token.head.dep_ == "relcl":
            return self._resolve(token.head.head, index)
        apposition = open_apposition(token)
        if apposition is not None:  # "Trump, the South Korean president said, ..."
            token = apposition
        named: list[tuple[str, Person | None]] = []
        for member in (token, *token.conjuncts):
            named.extend(self._names_of(member, index))
        names = tuple(dict.fromkeys(n for n, _ in named))
        if not names:
            return None
        return _Speaker(names, person=named[0][1] if len(names) == 1 else None)

    def _names_of(self, token: Any, index: int) -> list[tuple[str, Person | None]]:
        """(canonical name, person or None) for one noun: a person, a description, a body."""
        person = self.people.person_of(token)
        if person is None:
            apposed = [c for c in token.children if c.dep_ == "appos"]
            person = next(filter(None, map(self.people.person_of, apposed)), None)
        if person is None and token.pos_ not in ("NOUN", "PROPN"):
            return []
        lemma = token.lemma_.lower()
        if person is None and lemma in LEADER_BODIES:  # "the Moon Jae-in government"
            before = [t for t in noun_phrase(token) if t.i < token.i and t.dep_ != "det"]
            name = clean_name(self.doc[before[0].i : token.i].text) if before else ""
            leader = self.people.find(name, token.idx) if name else None
            if leader is not None:
                return [(self._alias(f"{leader.family_name} administration"), None)]
        if person is None and token.tag_ in ("NNS", "NNPS") and is_definite(token) and (
                lemma in HUMAN_NOUNS):  # "the top envoys": the people just named
            before = self.people.in_tokens(self.spans[index - 1]) if index else []
            if len(before) >= 2:
                return [(self._canonical(p), p) for p in before]
        if person is None and lemma in ROLE_GROUPS and token.tag_ not in ("NNS", "NNPS"):
            words = content_words(noun_phrase(token)) - {token.lower_}
            person = self.people.by_description(words, ROLE_GROUPS[lemma], token.idx)
        if person is None and token.tag_ not in ("NNS", "NNPS") and (
                lemma in RELATIONAL_NOUNS or (lemma in ROLE_GROUPS and is_indefinite(token))):
            person = self._introduced_next(token, index)  # "a government official said"
        if person is not None:
            return [(self._canonical(person), person)]
        if not (token.pos_ == "PROPN" or token.ent_type_ or lemma in HUMAN_NOUNS):
            return []  # things do not speak: "the fact sheet confirmed"
        label = self._collective(token)
        return [(label, None)] if label else []

    def _introduced_next(self, token: Any, index: int) -> Person | None:
        """The person named in the next sentence, for a description that introduces them."""
        if index + 1 >= len(self.spans):
            return None
        inside = set(self.people.in_tokens(token.subtree))
        return next((p for p in self.people.in_tokens(self.spans[index + 1])
                     if p not in inside), None)

    def _canonical(self, person: Person) -> str:
        key = name_key(person.name)
        return self._alias(preferred_spelling(
            [s for s in person.spellings if name_key(s) == key]))

    def _alias(self, name: str) -> str:
        return (self.aliases.lookup(name) if self.aliases is not None else None) or name

    def _collective(self, token: Any) -> str | None:
        """A short label for a body or group: "U.S. officials", "North Korea", "Analysts"."""
        ent = next((e for e in self.doc.ents if e.start <= token.i < e.end), None)
        if ent is not None and ent.label_ in ("ORG", "GPE", "NORP", "PERSON"):
            words = list(ent)
        else:
            words = [t for t in noun_phrase(token) if t.i <= token.i]
        while words and (words[0].lower_ in LEADING_DETERMINERS or words[0].is_punct
                         or words[0].dep_ == "poss"):
            words = words[1:]
        if not words:
            return None
        label = POSSESSIVE.sub("", self.doc[words[0].i : words[-1].i + 1].text).strip()
        if token.pos_ == "PROPN" and (ent is None or ent.label_ == "PERSON"):
            label = clean_name(label)  # an unrecognised person: "Mayor Ines Roth"
        return self._alias(label[:1].upper() + label[1:]) if label else None

    def _pronoun(self, token: Any, index: int) -> Person | None:
        """He / she: the latest person speaker nearby, else the latest person subject."""
        if self.last_person and index - self.last_person[0] <= _PRONOUN_WINDOW:
            return self.last_person[1]
        return self.people.recent_subject(token.idx)

    def _they(self, token: Any, index: int) -> _Speaker | None:
        """They: a plural or joint subject earlier in the sentence, else the latest group."""
        for earlier in reversed(list(token.sent[: token.i - token.sent.start])):
            if earlier.dep_ == "nsubj" and (earlier.tag_ in ("NNS", "NNPS") or earlier.conjuncts):
                return self._resolve(earlier, index)
        if self.last_group and index - self.last_group[0] <= _PRONOUN_WINDOW:
            return _Speaker(self.last_group[1])
        return None

    # -- opinion pieces

    def _first_person(self) -> bool:
        """An article of unknown kind reads as commentary: first person outside quotations."""
        hits = sum(1 for s in self.plan.sentences if FIRST_PERSON_TEXT.search(
            self._unquoted(s.start, s.end)))
        return hits >= 2

    def _unquoted(self, start: int, end: int) -> str:
        chars = list(self.article.text[start:end])
        for qs, qe in self.plan.quotes:
            for i in range(max(qs, start), min(qe, end)):
                chars[i - start] = " "
        return "".join(chars)

    def _commentary_blocks(self) -> set[int]:
        """The body lines of an opinion piece that are its writer's own commentary.

        A line introducing an excerpt ends with a colon; the lines after it are the excerpt
        (someone else's report) until a line with the writer's marks: first or second person,
        a question, an imperative, or another colon.
        """
        by_block: dict[int, list[int]] = {}
        for index, sentence in enumerate(self.plan.sentences):
            by_block.setdefault(sentence.block, []).append(index)
        commentary, in_excerpt = set(), self.plan.opens_excerpt
        for block, indices in sorted(by_block.items()):
            marked = self.plan.block_ends_colon[block] or any(
                self._writer_marks(i) for i in indices)
            if marked or not in_excerpt:
                commentary.add(block)
            if marked:
                in_excerpt = self.plan.block_ends_colon[block]
        return commentary

    def _writer_marks(self, index: int) -> bool:
        sentence = self.plan.sentences[index]
        unquoted = self._unquoted(sentence.start, sentence.end)
        if FIRST_PERSON_TEXT.search(unquoted) or "?" in unquoted:
            return True
        first = next((t for t in self.spans[index] if not t.is_punct), None)
        return (first is not None and first.dep_ == "ROOT" and first.tag_ == "VB"
                and not any(c.dep_ == "nsubj" for c in first.children))



def extract_claims(
    article: Article, aliases: AliasTable | None = None, nlp: Any = None
) -> list[Claim]:
    """The claims of an article's body, one a sentence, each with its speaker."""
    nlp = nlp if nlp is not None else load_nlp()
    plan = plan_article(article)
    doc = nlp(prepared_doc(nlp, plan, article.text))
    return _Attributor(article, plan, doc, aliases).claims()


def extract_many(
    articles: Iterable[Article],
    aliases: AliasTable | None = None,
    nlp: Any = None,
    batch_size: int = 32,
    n_process: int = 1,
) -> Iterator[tuple[Article, list[Claim]]]:
    """`extract_claims` over a stream of articles, parsed in batches; memory stays flat."""
    nlp = nlp if nlp is not None else load_nlp()

    def prepared() -> Iterator[tuple[Any, tuple[Article, Plan]]]:
        for article in articles:
            plan = plan_article(article)
            yield prepared_doc(nlp, plan, article.text), (article, plan)

    for doc, (article, plan) in nlp.pipe(
        prepared(), as_tuples=True, batch_size=batch_size, n_process=n_process
    ):
        yield article, _Attributor(article, plan, doc, aliases).claims()
