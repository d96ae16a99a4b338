"""Attribution: the speaker whose position each body sentence of an article expresses.

The rules are in `rules`, one function each; this module holds their order (`SENTENCE_RULES`,
`REFERENCE_RULES`, then quote continuation and the default speaker) and the discourse memory
(`DiscourseMemory`: the last person, group and body that spoke), and runs them sentence by
sentence. Segmentation is in `segment`, the people of an article in `people`, word lists in
`lexicon`, names in `names`.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from stancekit.errors import StancekitError
from stancekit.extraction.genre import infer_kind
from stancekit.extraction.lexicon import CLAUSE_CONJUNCTIONS, LEADING_CONTRASTS
from stancekit.extraction.names import AliasTable
from stancekit.extraction.people import People, Person
from stancekit.extraction.rules import (
    ReferenceRule,
    Scene,
    SentenceRule,
    Speaker,
    according_to,
    article_facts,
    authored_text,
    collective,
    country,
    default_speaker,
    first_person,
    group_leader,
    group_members,
    group_pronoun,
    introduced_description,
    leader_government,
    listed_people,
    named_person,
    opinion_commentary,
    person_pronoun,
    position_verb,
    relative_pronoun,
    reported_speech,
    reporter_analysis,
    role_description,
    speech_noun,
    stated_position,
    text_pronoun,
    unnamed_group,
    unresolved_role,
    voiced_concern,
    writer_marks,
)
from stancekit.extraction.segment import Plan, load_nlp, plan_article, prepared_doc, sections
from stancekit.extraction.syntax import clause_verb, open_apposition
from stancekit.records import AUTHOR_PREFIX, Article, Claim

# Who a sentence is reported as saying: the first rule that names someone wins.
SENTENCE_RULES: tuple[SentenceRule, ...] = (
    position_verb,
    voiced_concern,
    opinion_commentary,
    reported_speech,
    according_to,
    speech_noun,
    stated_position,
    reporter_analysis,
)
# What one noun of a speaker's phrase refers to: the first rule that resolves it wins.
REFERENCE_RULES: tuple[ReferenceRule, ...] = (
    person_pronoun,
    group_pronoun,
    text_pronoun,
    first_person,
    relative_pronoun,
    named_person,
    group_leader,
    authored_text,
    leader_government,
    listed_people,
    role_description,
    introduced_description,
    group_members,
    country,
    unnamed_group,
    unresolved_role,
    collective,
)
# Then, for a sentence still without a speaker: quote continuation, the default speaker.

SECTION_CHARS = 3_000  # a longer article is parsed in sections about this long (memory)
ArticleErrorHandler = Callable[[Article, Exception], None]


@dataclass(frozen=True)
class Attribution:
    """A claim and the words that made its rule fire (for `extract --explain`)."""

    claim: Claim
    evidence: tuple[str, ...]


@dataclass
class DiscourseMemory:
    """The last person, group and body that spoke, with the index of their sentence."""

    last_person: tuple[int, Person] | None = None
    last_group: tuple[int, tuple[str, ...]] | None = None
    last_body: tuple[int, tuple[str, ...]] | None = None
    last_text: tuple[int, tuple[str, ...]] | None = None  # a letter's or bill's author

    def remember(self, index: int, speaker: Speaker | None, author: str) -> None:
        """Note a speaker for later pronouns and spokespeople."""
        if speaker is None:
            return
        if speaker.rule.endswith("authored text"):
            self.last_text = (index, speaker.names)
        if speaker.person is not None:
            self.last_person = (index, speaker.person)
        elif speaker.names != (author,):
            self.last_group = (index, speaker.names)
            if len(speaker.names) == 1:
                self.last_body = (index, speaker.names)


@dataclass(frozen=True)
class _Unit:
    """A claim to be: a sentence, or one of two clauses of a sentence with two speakers."""

    start: int
    end: int
    sentence: int
    speaker: Speaker | None


def article_kind(article: Article, plan: Plan) -> str:
    """The article's kind: its metadata's, else the one `genre.infer_kind` reads in the text."""
    return article.kind or infer_kind(article, plan).kind


class _Attributor:
    """Speakers for the sentences of one parsed article."""

    def __init__(self, article: Article, plan: Plan, doc: Any, aliases: AliasTable | None):
        self.article, self.plan, self.doc = article, plan, doc
        spans = [doc.char_span(s.start, s.end, alignment_mode="expand") for s in plan.sentences]
        quoted = {t.i for qs, qe in plan.quotes
                  for t in doc.char_span(qs, qe, alignment_mode="expand") or ()}
        self.unquoted = _unquoted_texts(article.text, plan)
        self.kind = article_kind(article, plan)
        self.memory = DiscourseMemory()
        self.scene = Scene(
            article=article, plan=plan, doc=doc, people=People(doc, plan), spans=spans,
            unquoted=self.unquoted,
            quoted=quoted, aliases=aliases, author=AUTHOR_PREFIX + (article.source or article.id),
            opinion=self.kind == "opinion", commentary=set(), memory=self.memory,
            resolve=self.resolve)
        article_facts(self.scene)
        if self.scene.opinion:
            self.scene.commentary = self._commentary_blocks()

    # -- the result

    def attributions(self) -> list[Attribution]:
        units = [unit for index in range(len(self.scene.spans)) for unit in self._units(index)]
        self._unit_starts = [unit.start for unit in units]
        final: list[Speaker | None] = []
        for k, unit in enumerate(units):
            final.append(unit.speaker or self._continued(k, units, final))
        out = []
        for seq, (unit, speaker) in enumerate(zip(units, final, strict=True), 1):
            if speaker is None:
                block = self.plan.sentences[unit.sentence].block
                name, rule = default_speaker(self.kind, block in self.scene.commentary,
                                             self.scene.author)
                speaker = Speaker((name,), rule)
            out.append(Attribution(Claim(
                id=f"{self.article.id}-{seq:03d}", article_id=self.article.id,
                start=unit.start, end=unit.end, text=self.article.text[unit.start:unit.end],
                speaker="; ".join(speaker.names), via=speaker.via, rule=speaker.rule,
            ), speaker.evidence))
        return out

    def _units(self, index: int) -> list[_Unit]:
        """One sentence as one claim, or as two where ", but" / ", and" joins two clauses
        with different speakers ("X said ..., but experts predict ...") or a leading "While X
        ..., Y ..." contrasts two speakers."""
        sentence, span = self.plan.sentences[index], self.scene.spans[index]
        root = span.root
        for comma, second_start in self._clause_joints(span, root):
            first = self._own(index, span[: comma.i - span.start])
            second = self._own(index, span[second_start.i - span.start :])
            after_conjunction = second_start.lower_ in CLAUSE_CONJUNCTIONS
            if (first and first.names) != (second and second.names) and (
                    after_conjunction or (first is not None and second is not None)):
                self.memory.remember(index, first, self.scene.author)
                self.memory.remember(index, second, self.scene.author)
                return [_Unit(sentence.start, comma.idx, index, first),
                        _Unit(second_start.idx, sentence.end, index, second)]
        speaker = self._own(index, span)
        self.memory.remember(index, speaker, self.scene.author)
        return [_Unit(sentence.start, sentence.end, index, speaker)]

    def _clause_joints(self, span: Any, root: Any) -> Iterator[tuple[Any, Any]]:
        """(comma, first token of the second clause) where a sentence may split: ", but X",
        ", and X", ", while X"; and after a leading "While X ..." clause."""
        first = span[0]
        if first.lower_ in LEADING_CONTRASTS and first.head.dep_ == "advcl":
            edge = first.head.right_edge.i
            comma = edge if self.doc[edge].text == "," else edge + 1
            if comma + 1 < span.end and self.doc[comma].text == ",":
                yield self.doc[comma], self.doc[comma + 1]
        for token in span:
            if (token.lower_ in CLAUSE_CONJUNCTIONS and token.i > span.start
                    and self.doc[token.i - 1].text == "," and token.i not in self.scene.quoted
                    and clause_verb(token).head == root and clause_verb(token) != root):
                yield self.doc[token.i - 1], token

    def _own(self, index: int, tokens: Any) -> Speaker | None:
        """The first sentence rule's speaker for the words of a sentence or clause."""
        for rule in SENTENCE_RULES:
            speaker = rule(self.scene, index, tokens)
            if speaker is not None:
                return speaker
        return None

    def resolve(self, token: Any, index: int) -> Speaker | None:
        """The speaker a subject noun phrase refers to: the reference rules, tried in order on
        the noun and on each noun coordinated with it ("X and Y said")."""
        apposition = open_apposition(token)
        if apposition is not None:  # "Trump, the South Korean president said, ..."
            token = apposition
        found = []
        for member in (token, *token.conjuncts):
            speaker = next(filter(None, (rule(self.scene, member, index)
                                         for rule in REFERENCE_RULES)), None)
            if speaker is not None:
                found.append(speaker)
        if not found:
            return None
        names = tuple(dict.fromkeys(n for s in found for n in s.names))
        if len(found) == 1:
            return found[0]
        return Speaker(names, found[0].rule, tuple(w for s in found for w in s.evidence),
                       person=found[0].person if len(names) == 1 else None)

    def _continued(self, k: int, units: list[_Unit], final: list[Speaker | None]
                   ) -> Speaker | None:
        """Quote continuation: a quotation without its own attribution has the speaker of the
        rest of the quotation, else of the claim before it."""
        unit = units[k]
        sentence = self.plan.sentences[unit.sentence]
        if sentence.quote is None and sentence.quoted_share < 0.5:
            return None
        sharing = set()
        for qs, qe in self.plan.quotes_within(unit.start, unit.end):
            j = max(0, bisect_right(self._unit_starts, qs) - 1)
            while j < len(units) and units[j].start < qe:
                if units[j].speaker and units[j].end > qs:
                    sharing.add(j)
                j += 1
        if sharing:
            source = units[min(sorted(sharing), key=lambda j: abs(j - k))].speaker
        else:
            previous = self.plan.sentences[units[k - 1].sentence] if k else None
            if previous is None or previous.block < sentence.block - 1:
                return None
            source = final[k - 1]
        if source is None:
            return None
        return Speaker(source.names, "quote continuation", source.evidence, source.via,
                       source.person)

    # -- opinion pieces

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
                writer_marks(self.scene, i) for i in indices)
            if marked or not in_excerpt:
                commentary.add(block)
            if marked:
                in_excerpt = self.plan.block_ends_colon[block]
        return commentary


def _unquoted_texts(text: str, plan: Plan) -> list[str]:
    """Each body sentence with its quoted characters blanked out."""
    out = []
    for sentence in plan.sentences:
        chars = list(text[sentence.start : sentence.end])
        for qs, qe in plan.quotes_within(sentence.start, sentence.end):
            for i in range(max(qs, sentence.start), min(qe, sentence.end)):
                chars[i - sentence.start] = " "
        out.append("".join(chars))
    return out


def explain_claims(
    article: Article, aliases: AliasTable | None = None, nlp: Any = None
) -> list[Attribution]:
    """The claims of an article's body, each with the evidence of its speaker's rule.

    A long article is parsed in sections of `SECTION_CHARS`; an article that cannot be
    extracted raises a one-line `StancekitError` naming it.
    """
    found = next(explain_many([article], aliases, nlp), None)
    return found[1] if found is not None else []


def extract_claims(
    article: Article, aliases: AliasTable | None = None, nlp: Any = None
) -> list[Claim]:
    """The claims of an article's body, one a sentence, each with its speaker."""
    return [a.claim for a in explain_claims(article, aliases, nlp)]


def explain_many(
    articles: Iterable[Article],
    aliases: AliasTable | None = None,
    nlp: Any = None,
    batch_size: int = 32,
    n_process: int = 1,
    on_error: ArticleErrorHandler | None = None,
) -> Iterator[tuple[Article, list[Attribution]]]:
    """`explain_claims` over a stream of articles, parsed in batches; memory stays flat.

    An article that fails goes to `on_error(article, error)` and the others go on; without a
    handler the failure raises a `StancekitError` naming the article.
    """
    nlp = nlp if nlp is not None else load_nlp()
    handle = on_error or _raise
    source = iter(articles)
    in_flight: deque[tuple[Article, Plan]] = deque()

    def pieces() -> Iterator[tuple[Any, bool]]:
        for article in source:
            try:
                plan = plan_article(article)
                docs = [prepared_doc(nlp, plan, article.text, start, end)
                        for start, end in sections(plan, len(article.text), SECTION_CHARS)]
            except Exception as err:  # noqa: BLE001 - one bad article, the rest go on
                handle(article, err)
                continue
            in_flight.append((article, plan))
            for k, doc in enumerate(docs):
                yield doc, k == len(docs) - 1

    while True:
        parsed = nlp.pipe(pieces(), as_tuples=True, batch_size=batch_size, n_process=n_process)
        docs: list[Any] = []
        try:
            for doc, last in parsed:
                docs.append(doc)
                if last:
                    article, plan = in_flight.popleft()
                    found = _attributed(article, plan, docs, aliases, handle)
                    docs = []
                    if found is not None:
                        yield article, found
            return
        except StancekitError:
            raise
        except Exception:  # noqa: BLE001 - the parse failed: find the article, go on
            stuck = list(in_flight)
            in_flight.clear()
            for article, plan in stuck:
                try:
                    docs = [nlp(prepared_doc(nlp, plan, article.text, start, end))
                            for start, end in sections(plan, len(article.text), SECTION_CHARS)]
                except Exception as err:  # noqa: BLE001
                    handle(article, err)
                    continue
                found = _attributed(article, plan, docs, aliases, handle)
                if found is not None:
                    yield article, found


def extract_many(
    articles: Iterable[Article],
    aliases: AliasTable | None = None,
    nlp: Any = None,
    batch_size: int = 32,
    n_process: int = 1,
    on_error: ArticleErrorHandler | None = None,
) -> Iterator[tuple[Article, list[Claim]]]:
    """`extract_claims` over a stream of articles (see `explain_many`)."""
    for article, found in explain_many(articles, aliases, nlp, batch_size, n_process, on_error):
        yield article, [a.claim for a in found]


def _attributed(article: Article, plan: Plan, docs: list[Any], aliases: AliasTable | None,
                handle: ArticleErrorHandler) -> list[Attribution] | None:
    """The attributions of one article from its parsed sections; None if it failed."""
    from spacy.tokens import Doc

    try:
        doc = docs[0] if len(docs) == 1 else Doc.from_docs(docs, ensure_whitespace=False)
        return _Attributor(article, plan, doc, aliases).attributions()
    except Exception as err:  # noqa: BLE001 - one bad article, the rest go on
        handle(article, err)
        return None


def _raise(article: Article, error: Exception) -> None:
    raise StancekitError(f"article {article.id}: extraction failed: "
                         f"{type(error).__name__}: {error}".splitlines()[0]) from error
