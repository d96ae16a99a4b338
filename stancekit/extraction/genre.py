"""Opinion or news: the kind of an article whose metadata does not say.

`infer_kind(article)` returns a `KindGuess(kind, confidence, evidence)`; `with_kind(article)`
returns the article with `kind` filled in (and `kind_confidence` set) when it had none, so
that the writer's own commentary in an editorial, op-ed, think-tank post, state-media
commentary or blog is attributed to `author:<source>` rather than to the narrator.

The decision is a linear score over features of the text, read with quotations masked (what
others are quoted as saying says nothing about the writer), turned into a probability by the
logistic function: ``P(opinion) = 1 / (1 + exp(-(BIAS + sum(weight * value))))``, "opinion"
when it is above 0.5 (an article with no evidence either way is news). The features
(`FEATURES` holds the weights):

========================  =====================================================  ========
feature                   value                                                  sign
========================  =====================================================  ========
genre label               headline, header or sign-off names an opinion genre    opinion
                          ("Editorial", "Op-ed", "Commentary", "The writer is")
headline rhetoric         the headline asks, urges or judges (?, should, why,    opinion
                          "it's time", "mistake")
first person              sentences with I / we / our outside quotes (3 = 1.0)   opinion
second person             sentences with you / your outside quotes (3 = 1.0)     opinion
obligation modals         share of sentences, unattributed, with must / should   opinion
                          / ought to / need to
hypotheticals             share of sentences, unattributed, with would / could   opinion
                          / might (the writer weighing outcomes)
rhetorical questions      sentences that end in an unquoted "?" (3 = 1.0)        opinion
evaluative                share of sentences, unattributed, with evaluative      opinion
                          words ("arguably", "dangerous", "mistake", "vital")
attribution               share of sentences that attribute ("said", "according  news
                          to", a quotation)
dateline                  the body opens with a wire dateline                    news
                          ("SEOUL, Oct. 3 (Yonhap) --", "LONDON (Reuters) -")
news-time                 share of sentences naming a weekday ("said Monday")    news
headline attribution      the headline reports speech ("X says ...", "X: ...")   news
========================  =====================================================  ========

The weights were set by hand so that each feature's usual range moves the score by about
its reliability, then tuned on 19 labeled articles (8 opinion, 11 news), all 19 of which it
gets right; expect less on articles of other outlets. `evidence` lists each feature that
fired with its contribution, so a wrong call can be traced.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

from stancekit.extraction.segment import Plan, plan_article
from stancekit.records import Article

OPINION, NEWS = "opinion", "news"

# (name, weight): a feature's value (0/1 or a share in [0, 1]) times its weight adds to the
# score; positive weights point to opinion, negative to news.
FEATURES: tuple[tuple[str, float], ...] = (
    ("genre label", 5.0),
    ("headline rhetoric", 1.0),
    ("first person", 2.5),
    ("second person", 1.5),
    ("obligation modals", 4.0),
    ("hypotheticals", 2.0),
    ("rhetorical questions", 2.0),
    ("evaluative", 3.0),
    ("attribution", -5.0),
    ("dateline", -2.0),
    ("news-time", -4.0),
    ("headline attribution", -1.5),
)
BIAS = 0.0  # no evidence either way reads as news, as most articles are

_LABELS = (r"(?:editorial|op-?ed|opinion|commentary|column|viewpoint|perspective|guest essay"
           r"|letter to the editor|blog post)")
# A genre label as a label, not a word of the headline ("Public opinion shifts" is news):
# "Editorial: ...", "[Column] ...", "... | Opinion", "...: KCNA Commentary", a header line.
_GENRE_LABEL = re.compile(
    rf"^\W*{_LABELS}\s*[:|\]\-–—]|[\[(]\s*{_LABELS}\s*[\])]"
    rf"|[:|\-–—]\s*(?:[\w.]+\s+){{0,3}}{_LABELS}\W*$|^\W*{_LABELS}\W*$", re.IGNORECASE)
_SIGN_OFF = re.compile(
    r"^(?:[-—–]+\s*)?(?:the (?:writer|author)s? (?:is|are|was)\b|.{0,80}\bviews expressed\b"
    r"|[A-Z][\w.'-]+(?: [A-Z][\w.'-]+){0,3} is (?:a|an|the) (?:senior |visiting |non-?resident )?"
    r"(?:fellow|professor|columnist|contributor|director|researcher|analyst)\b)", re.IGNORECASE)
_HEADLINE_RHETORIC = re.compile(
    r"\?|\b(?:should|must|why|how to|it[’']s time|time to|the case (?:for|against)|let[’']s"
    r"|don[’']t|mistake|wrong|right to|need to|needs to)\b", re.IGNORECASE)
_HEADLINE_ATTRIBUTION = re.compile(
    r"\b(?:says?|said|urges?|calls? (?:on|for)|warns?|vows?|claims?|denies|asks?|tells?"
    r"|slams?|rejects?|stresses?|pledges?)\b|^[^:]{2,60}:\s|:\s*[^:]{2,60}$", re.IGNORECASE)
_FIRST_PERSON = re.compile(
    r"\b(?:we|We|our|Our|ours|us|ourselves|my|My|me|myself)\b"
    r"|\bI(?=\s+[a-z]|['’](?:m|ve|d|ll)\b)")
_SECOND_PERSON = re.compile(r"\b(?:you|You|your|Your|yours|yourself)\b")
_OBLIGATION = re.compile(
    r"\b(?:must|should|ought to|need to|needs to|has to|have to|cannot afford)\b", re.IGNORECASE)
_ATTRIBUTION = re.compile(
    r"\b(?:said|says|told|tells|according to|stated|noted|added|announced|reported|asked"
    r"|urged|stressed|warned|claimed|argued|explained|insisted|wrote|quoted|confirmed"
    r"|emphasized|emphasised|pointed out|expressed|reiterated|testified|tweeted|commented"
    r"|remarked|declared)\b")
_HYPOTHETICAL = re.compile(r"\b(?:would|could|might)\b", re.IGNORECASE)
_WEEKDAY = re.compile(r"\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b")
_EVALUATIVE = re.compile(
    r"\b(?:arguably|clearly|obviously|surely|certainly|undoubtedly|of course|indeed|in fact"
    r"|in actuality|above all|after all|to be sure|unfortunately|fortunately|sadly|alas"
    r"|simply|merely|mere|only hope|important|importantly|crucial|vital|essential|urgent"
    r"|necessary|unnecessary|dangerous|risky|reckless|foolish|naive|naïve|absurd|ridiculous"
    r"|nonsense|rubbish|shameful|disgraceful|outrageous|misguided|mistaken|mistake|blunder"
    r"|wise|unwise|smart|sensible|prudent|imprudent|bad|worse|worst|good|better|best"
    r"|great|greatest|terrible|disaster|disastrous|failure|failed|incompetent|incompetence"
    r"|wrong|right|fair|unfair|useless|pointless|meaningless|empty|hollow|desperate"
    r"|irresponsible|responsible|legitimate|illegitimate|hypocrisy|hypocritical|deserves?"
    r"|worth|worthwhile|welcome|regrettable|deplorable|admirable|courageous|cowardly"
    r"|brutal|tragic|tragedy|absurdity|folly|recklessness|nonsensical|preposterous|laughable)\b",
    re.IGNORECASE)
_ENOUGH = 3  # sentences with a mark of the writer (I, you, a question) that settle it
_MIN_WORDS = 4  # a quotation this long is a report of speech, not scare quotes or a title


@dataclass(frozen=True)
class KindGuess:
    """The inferred kind of an article, P(kind) and the features behind it."""

    kind: str
    confidence: float
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Sentence:
    text: str  # as written
    unquoted: str  # with quotations blanked out
    quoted_words: int  # words inside quotation marks


def infer_kind(article: Article, plan: Plan | None = None) -> KindGuess:
    """Opinion or news, from the text alone (see the module docstring); `plan` is the
    article's segmentation when the caller has it already."""
    values = kind_features(article, plan)
    contributions = [(name, weight * values[name]) for name, weight in FEATURES]
    score = BIAS + sum(c for _, c in contributions)
    p_opinion = 1.0 / (1.0 + math.exp(-score))
    kind = OPINION if p_opinion > 0.5 else NEWS
    evidence = tuple(f"{name} {values[name]:.2f} ({c:+.2f})"
                     for name, c in sorted(contributions, key=lambda nc: -abs(nc[1])) if c)
    confidence = p_opinion if kind == OPINION else 1.0 - p_opinion
    return KindGuess(kind, round(confidence, 4), evidence)


def with_kind(article: Article) -> Article:
    """The article itself if its kind is known, else a copy with the inferred kind and
    `kind_confidence`."""
    if article.kind:
        return article
    guess = infer_kind(article)
    return replace(article, kind=guess.kind, kind_confidence=guess.confidence)


def kind_features(article: Article, plan: Plan | None = None) -> dict[str, float]:
    """The value of each feature of `FEATURES` for one article."""
    plan = plan if plan is not None else plan_article(article)
    sentences = _read(article.text, plan)
    n = max(1, len(sentences))
    attributed = [_is_attributed(s) for s in sentences]
    unattributed = [s for s, a in zip(sentences, attributed, strict=True) if not a]
    title = article.title.strip()
    header, sign_off = _header_and_tail(article)
    return {
        "genre label": float(any(_GENRE_LABEL.search(line) for line in [title, *header])
                             or any(_SIGN_OFF.search(line) for line in sign_off)),
        "headline rhetoric": float(bool(_HEADLINE_RHETORIC.search(title))),
        "first person": _saturating(sum(bool(_FIRST_PERSON.search(s.unquoted))
                                        for s in sentences)),
        "second person": _saturating(sum(bool(_SECOND_PERSON.search(s.unquoted))
                                         for s in sentences)),
        "obligation modals": sum(bool(_OBLIGATION.search(s.unquoted)) for s in unattributed) / n,
        "hypotheticals": sum(bool(_HYPOTHETICAL.search(s.unquoted)) for s in unattributed) / n,
        "rhetorical questions": _saturating(sum(s.unquoted.rstrip().endswith("?")
                                                for s in sentences)),
        "evaluative": sum(bool(_EVALUATIVE.search(s.unquoted)) for s in unattributed) / n,
        "attribution": sum(attributed) / n,
        "dateline": float(_opens_with_dateline(article.text, plan)),
        "news-time": sum(bool(_WEEKDAY.search(s.unquoted)) for s in sentences) / n,
        "headline attribution": float(bool(_HEADLINE_ATTRIBUTION.search(title))),
    }


def _saturating(count: int) -> float:
    """A count of the writer's marks as evidence in [0, 1]: `_ENOUGH` marks are proof
    whatever the article's length (a long blog post quotes long news excerpts)."""
    return min(1.0, count / _ENOUGH)


def _read(text: str, plan: Plan) -> list[_Sentence]:
    """The body sentences with their quotations blanked out (one pass: both are in order)."""
    sentences, quotes, first = [], plan.quotes, 0
    for sentence in plan.sentences:
        while first < len(quotes) and quotes[first][1] <= sentence.start:
            first += 1
        written = text[sentence.start : sentence.end]
        chars = list(written)
        k = first
        while k < len(quotes) and quotes[k][0] < sentence.end:
            qs, qe = quotes[k]
            for i in range(max(qs, sentence.start), min(qe, sentence.end)):
                chars[i - sentence.start] = " "
            k += 1
        unquoted = "".join(chars)
        sentences.append(_Sentence(written, unquoted,
                                   len(written.split()) - len(unquoted.split())))
    return sentences


def _opens_with_dateline(text: str, plan: Plan) -> bool:
    """Whether segmentation cut a dateline ("SEOUL, Oct. 3 (Yonhap) --") off the first body
    line: words before the first sentence on its line."""
    if not plan.sentences:
        return False
    first = plan.sentences[0].start
    before = text[text.rfind("\n", 0, first) + 1 : first]
    return any(ch.isalpha() for ch in before)


def _header_and_tail(article: Article) -> tuple[list[str], list[str]]:
    """The lines above the headline (section labels) and the last lines, where a sign-off
    ("The writer is ...") would be."""
    lines = [line.strip() for line in article.text.split("\n") if line.strip()]
    title = article.title.strip()
    headline = next((i for i, line in enumerate(lines) if title and line == title), 0)
    return lines[:headline], lines[-3:]


def _is_attributed(sentence: _Sentence) -> bool:
    return bool(_ATTRIBUTION.search(sentence.unquoted)) or sentence.quoted_words >= _MIN_WORDS
