"""Opinion or news: the kind of an article whose metadata does not say.

`infer_kind(article)` returns a `KindGuess(kind, confidence, evidence)`; `with_kind(article)`
returns the article with `kind` filled in (and `kind_confidence` set) when it had none, so
that the writer's own commentary in an editorial, op-ed, think-tank post, state-media
commentary or blog is attributed to `author:<source>` rather than to the narrator.

The decision is a linear score over features of the text, read with quotations masked (what
others are quoted as saying says nothing about the writer), turned into a probability by the
logistic function: ``P(opinion) = 1 / (1 + exp(-(BIAS + sum(weight * value))))``, "opinion"
when it is at least 0.5. The features (`FEATURES` holds the weights):

========================  =====================================================  ========
feature                   value                                                  sign
========================  =====================================================  ========
genre label               headline, header or sign-off names an opinion genre    opinion
                          ("Editorial", "Op-ed", "Commentary", "The writer is")
headline rhetoric         the headline asks, urges or judges (?, should, why,    opinion
                          "it's time", "mistake")
first person              share of sentences with I / we / our outside quotes    opinion
second person             share of sentences with you / your outside quotes      opinion
obligation modals         share of unattributed sentences with must / should /   opinion
                          ought to / need to
rhetorical questions      share of sentences that end in an unquoted "?"         opinion
evaluative                share of unattributed sentences with evaluative words  opinion
attribution               share of sentences that attribute ("said", "according  news
                          to", a quotation)
dateline                  the body opens with a wire dateline                    news
                          ("SEOUL, Oct. 3 (Yonhap) --", "LONDON (Reuters) -")
news-time                 share of sentences naming a weekday ("said Monday")    news
headline attribution      the headline reports speech ("X says ...", "X: ...")   news
========================  =====================================================  ========

The weights were set by hand so that each feature's usual range moves the score by about
its reliability, and checked on labeled articles of both kinds; `evidence` lists each
feature that fired with its contribution, so a wrong call can be traced.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

from stancekit.labels import furniture_lines
from stancekit.records import Article

OPINION, NEWS = "opinion", "news"

# (name, weight): a feature's value (0/1 or a share in [0, 1]) times its weight adds to the
# score; positive weights point to opinion, negative to news.
FEATURES: tuple[tuple[str, float], ...] = (
    ("genre label", 5.0),
    ("headline rhetoric", 1.0),
    ("first person", 5.0),
    ("second person", 3.0),
    ("obligation modals", 4.0),
    ("rhetorical questions", 6.0),
    ("evaluative", 3.0),
    ("attribution", -5.0),
    ("dateline", -2.0),
    ("news-time", -4.0),
    ("headline attribution", -1.5),
)
BIAS = 0.5

_GENRE_LABEL = re.compile(
    r"\b(?:editorial|op-?ed|opinion|commentary|column|viewpoint|perspective|guest essay"
    r"|letter to the editor|blog post)\b", re.IGNORECASE)
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
_QUOTATION = re.compile(r"“[^”\n]*(?:”|$)|\"[^\"\n]*(?:\"|$)", re.MULTILINE)
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"”’')\]]*\s+(?=[\"“‘'(\[]?[A-Z0-9])")
_CITY, _CAPS = r"[A-Z][\w.'-]*(?:\s[A-Z][\w.'-]*){0,3}", r"[A-Z]{2,}(?:[ .'-]+[A-Z]{2,})*"
_DATE, _AGENCY = r",\s*[A-Z][a-z]{2,8}\.?\s+\d{1,2}(?:,\s*\d{4})?", r"\s*\([^()\n]{1,40}\)"
_DATELINE = re.compile(
    rf"^(?:{_CAPS}(?:{_DATE})?(?:{_AGENCY})?\s*[-–—]{{1,2}}|{_CITY}(?:{_DATE})?{_AGENCY}"
    rf"\s*[-–—.:]|{_CITY}{_DATE}\s*[-–—]{{1,2}})")
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


def infer_kind(article: Article) -> KindGuess:
    """Opinion or news, from the text alone (see the module docstring)."""
    values = kind_features(article)
    contributions = [(name, weight * values[name]) for name, weight in FEATURES]
    score = BIAS + sum(c for _, c in contributions)
    p_opinion = 1.0 / (1.0 + math.exp(-score))
    kind = OPINION if p_opinion >= 0.5 else NEWS
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


def kind_features(article: Article) -> dict[str, float]:
    """The value of each feature of `FEATURES` for one article."""
    header, body, sign_off = _parts(article)
    sentences = [s for line in body for s in _sentences(line)]
    n = max(1, len(sentences))
    attributed = [_is_attributed(s) for s in sentences]
    unattributed = [s for s, a in zip(sentences, attributed, strict=True) if not a]
    m = max(1, len(unattributed))
    title = article.title.strip()
    return {
        "genre label": float(bool(_GENRE_LABEL.search(" ".join([title, *header]))
                                  or any(_SIGN_OFF.search(line) for line in sign_off))),
        "headline rhetoric": float(bool(_HEADLINE_RHETORIC.search(title))),
        "first person": sum(bool(_FIRST_PERSON.search(s.unquoted)) for s in sentences) / n,
        "second person": sum(bool(_SECOND_PERSON.search(s.unquoted)) for s in sentences) / n,
        "obligation modals": sum(bool(_OBLIGATION.search(s.unquoted)) for s in unattributed) / m,
        "rhetorical questions": sum(s.unquoted.rstrip().endswith("?") for s in sentences) / n,
        "evaluative": sum(bool(_EVALUATIVE.search(s.unquoted)) for s in unattributed) / m,
        "attribution": sum(attributed) / n,
        "dateline": float(bool(body and _DATELINE.match(body[0]))),
        "news-time": sum(bool(_WEEKDAY.search(s.unquoted)) for s in sentences) / n,
        "headline attribution": float(bool(_HEADLINE_ATTRIBUTION.search(title))),
    }


def _parts(article: Article) -> tuple[list[str], list[str], list[str]]:
    """The header lines (before the headline), the body lines and the last lines, where a
    sign-off ("The writer is ...") would be."""
    lines = article.text.split("\n")
    furniture = furniture_lines(article)
    title = article.title.strip()
    headline = next((i for i, line in enumerate(lines) if title and line.strip() == title), -1)
    header = [line.strip() for line in lines[:max(headline, 0)] if line.strip()]
    body = [line.strip() for i, line in enumerate(lines) if i not in furniture and line.strip()]
    tail = [line.strip() for line in lines if line.strip()][-3:]
    return header, body, tail


def _sentences(line: str) -> list[_Sentence]:
    """The sentences of one body line, each with its quotations blanked out."""
    masked = _QUOTATION.sub(lambda m: " " * len(m.group()), line)
    cuts = [0, *(m.end() for m in _SENTENCE_END.finditer(masked)), len(line)]
    sentences = []
    for start, end in zip(cuts, cuts[1:], strict=False):
        text, unquoted = line[start:end].strip(), masked[start:end].strip()
        if text:
            quoted = len(text.split()) - len(unquoted.split())
            sentences.append(_Sentence(text, unquoted, quoted))
    return sentences


def _is_attributed(sentence: _Sentence) -> bool:
    return bool(_ATTRIBUTION.search(sentence.unquoted)) or sentence.quoted_words >= _MIN_WORDS
