"""The attribution rules, one function each; `attribution` holds their order and the memory.

Two kinds of rule, each returning a `Speaker` that carries its rule's name and the words that
made it fire, or None when it does not apply:

- *sentence rules* `(scene, index, tokens)` find who a sentence (or clause) is reported as
  saying: position verbs, an opinion piece's commentary, reported speech, "according to",
  speech nouns;
- *reference rules* `(scene, token, index)` resolve one noun of a speaker's phrase to
  canonical names: "he", "they", "we", "who", a person's name, "the Moon government",
  "the top envoys", "the minister", "a government official", a body or group.

Quote continuation and the default speaker (narrator or author) look at the whole article
and are the last two rules.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from stancekit.extraction.lexicon import (
    ANALYSIS_LEMMAS,
    AUTHOR_ROLES,
    AUTHORED_NOUNS,
    AUTHORSHIP_LEMMAS,
    CONCERN_NOUNS,
    COUNTRIES,
    DOCUMENT_NOUNS,
    FIRST_PERSON,
    FIRST_PERSON_TEXT,
    GROUP_OF_NOUNS,
    GROUP_PRONOUNS,
    GROUP_SYNONYMS,
    HUMAN_NOUNS,
    LEADER_BODIES,
    LEADING_DETERMINERS,
    NON_REPORT_MODALS,
    PERSON_PRONOUNS,
    PLEDGE_NOUNS,
    POSITION_LEMMAS,
    POSITION_NOUNS,
    PUBLICATION_LEMMAS,
    RELATIONAL_NOUNS,
    RELATIVE_PRONOUNS,
    RELAY_LEMMAS,
    REPORT_LEMMAS,
    ROLE_GROUPS,
    SPEECH_NOUNS,
    STATEMENT_NOUNS,
    VAGUE_HOLDERS,
    VOICING_LEMMAS,
)
from stancekit.extraction.names import (
    POSSESSIVE,
    AliasTable,
    clean_name,
    name_key,
    preferred_spelling,
)
from stancekit.extraction.people import People, Person
from stancekit.extraction.segment import Plan
from stancekit.extraction.syntax import (
    author_of,
    base_form,
    content_words,
    depth,
    entity_of,
    is_definite,
    is_speech_verb,
    name_with_tail,
    noun_phrase,
    subject_of,
)
from stancekit.records import NARRATOR, Article

PRONOUN_WINDOW = 4  # sentences back in which a speaker is the likely "he" / "she" / "they"
QUOTED_IN_COMMENTARY = 0.25  # share of a commentary sentence quoted before it is a quote


@dataclass(frozen=True)
class Speaker:
    """Who some words are attributed to, by which rule, on which words."""

    names: tuple[str, ...]
    rule: str
    evidence: tuple[str, ...] = ()
    via: str = ""
    person: Person | None = None  # the single person speaking, if it is one
    document: bool = False  # named by "according to a statement": not a relay


class Memory(Protocol):
    """What the discourse remembers (see `attribution.DiscourseMemory`)."""

    last_person: tuple[int, Person] | None
    last_group: tuple[int, tuple[str, ...]] | None
    last_body: tuple[int, tuple[str, ...]] | None
    last_text: tuple[int, tuple[str, ...]] | None


@dataclass
class Scene:
    """One parsed article as the rules see it."""

    article: Article
    plan: Plan
    doc: Any
    people: People
    spans: list[Any]  # the tokens of each body sentence
    unquoted: list[str]  # the text of each body sentence, quotations blanked out
    quoted: set[int]  # indices of tokens inside quotation marks
    aliases: AliasTable | None
    author: str  # "author:<source>"
    opinion: bool  # the article's own commentary is the author's
    commentary: set[int]  # body lines that are the author's commentary
    memory: Memory
    resolve: Callable[[Any, int], Speaker | None]  # a subject noun to its speaker
    leaders: dict[str, Person] = field(default_factory=dict)  # see `article_facts`
    text_authors: dict[str, Any] = field(default_factory=dict)
    acronyms: dict[str, str] = field(default_factory=dict)

    def alias(self, name: str) -> str:
        return (self.aliases.lookup(name) if self.aliases is not None else None) or name

    def canonical(self, person: Person) -> str:
        key = name_key(person.name)
        return self.alias(preferred_spelling([s for s in person.spellings
                                              if name_key(s) == key]))

    def said(self, person: Person, rule: str, *evidence: Any) -> Speaker:
        return Speaker((self.canonical(person),), rule, _words(evidence), person=person)


SentenceRule = Callable[[Scene, int, Any], "Speaker | None"]
ReferenceRule = Callable[[Scene, Any, int], "Speaker | None"]


def _is_human(token: Any) -> bool:
    """A noun for people or a body of people ("officials", "media", "the ministry")."""
    return token.lemma_.lower() in HUMAN_NOUNS or token.lower_ in HUMAN_NOUNS


def _is_noun(token: Any) -> bool:
    return token.pos_ in ("NOUN", "PROPN")


def _phrase_text(token: Any) -> str:
    words = noun_phrase(token)
    return token.doc[words[0].i : words[-1].i + 1].text if words else token.text


def _words(tokens: Any) -> tuple[str, ...]:
    return tuple(t if isinstance(t, str) else t.text for t in tokens)


# --------------------------------------------------------------------------------------------
# Sentence rules


def opinion_commentary(scene: Scene, index: int, tokens: Any) -> Speaker | None:
    """In an opinion piece's commentary, a sentence mostly outside quotation marks is the
    writer's, even when it paraphrases others ("Admiral X and General Y both understand");
    but not a plain report of what someone said (see `plain_report`)."""
    sentence = scene.plan.sentences[index]
    if sentence.block not in scene.commentary or sentence.quoted_share >= QUOTED_IN_COMMENTARY:
        return None
    if plain_report(scene, index, tokens):
        return None
    return Speaker((scene.author,), "opinion commentary", ("commentary line",))


def plain_report(scene: Scene, index: int, tokens: Any) -> bool:
    """The sentence's main verb is a verb of saying (`lexicon.REPORT_LEMMAS`: "said",
    "insists", "decry", not "thinks" or "understands"; any verb of saying after what it
    reports: "..., the minister believes.") with a third-person subject, or it cites a source
    ("according to X", "X's remarks ..."), or it reads a position into an actor ("X seems to
    ...", see `reporter_analysis`), and the writer leaves no mark on it (first or second
    person, a question, an imperative)."""
    if writer_marks(scene, index):
        return False
    for token in tokens:
        if (token.dep_ == "ROOT" or (token.dep_ == "conj" and token.head.dep_ == "ROOT")) and (
                (base_form(token) in REPORT_LEMMAS or _after_its_content(token))
                and token.i not in scene.quoted
                and is_speech_verb(token) and not _hypothetical(token)):
            passive = any(c.dep_ in ("auxpass", "nsubjpass") for c in token.children)
            subject = subject_of(token)
            if (subject is not None and not passive
                    and subject.lower_ not in FIRST_PERSON | {"you"}):
                return True
    source = according_to(scene, index, tokens) or speech_noun(scene, index, tokens)
    if source is not None and not source.document:
        return True
    return reporter_analysis(scene, index, tokens) is not None


def _after_its_content(verb: Any) -> bool:
    """A verb placed after the clause it reports, as a report is written: "..., X believes"."""
    return any(c.dep_ == "ccomp" and c.i < verb.i for c in verb.children)


def _hypothetical(verb: Any) -> bool:
    """A verb in the future or under a condition: "X will not hope for ...", "if ..., X
    would say"."""
    return any(c.dep_ == "aux" and c.lower_ in ("will", "wo", "shall") for c in verb.children
               ) or any(t.dep_ == "mark" and t.lower_ in ("if", "unless") for t in verb.subtree)


def writer_marks(scene: Scene, index: int) -> bool:
    """A sentence bears its writer's marks: first or second person or a question outside
    quotation marks, or an imperative."""
    unquoted = scene.unquoted[index]
    if FIRST_PERSON_TEXT.search(unquoted) or "?" in unquoted:
        return True
    first = next((t for t in scene.spans[index] if not t.is_punct), None)
    return (first is not None and first.dep_ == "ROOT" and first.tag_ == "VB"
            and not any(c.dep_ == "nsubj" for c in first.children))


def position_verb(scene: Scene, index: int, tokens: Any) -> Speaker | None:
    """The subject of the main verb when it states a position, intent or belief ("The
    council wants ...", "Critics oppose ...", "X calls for ...", "X is wary of ...", "X
    arrived with a promise to ..."): the position is the subject's, in an opinion piece too.
    Not when the writer marks the sentence (see `writer_marks`), when the verb is passive
    ("was proposed by X" reports an event) or under a modal or a condition, when another
    verb of saying or "according to" reports it ("X wants ..., Y said": see
    `reported_speech`), or when two sides are compared ("A wants X while B wants Y").
    Outside an opinion piece's commentary a verb of saying is left to `reported_speech`."""
    if writer_marks(scene, index):
        return None
    commentary = scene.plan.sentences[index].block in scene.commentary
    for token in tokens:
        if token.i in scene.quoted or not _main_verb(token, tokens):
            continue
        verb, subject = _misread_verb(token) or (token, subject_of(token))
        if not commentary and verb.i == token.i and is_speech_verb(verb):
            continue  # outside commentary, `reported_speech` has it (relays, spokespeople)
        if subject is None or not _states_position(verb) or _hypothetical(verb) or any(
                c.dep_ in ("auxpass", "nsubjpass") or (
                    c.dep_ == "aux" and c.lower_ in NON_REPORT_MODALS) for c in verb.children):
            continue
        if (subject.lower_ in FIRST_PERSON | {"you"} or _reported_elsewhere(scene, tokens, verb)
                or _two_sides(scene, tokens, verb, subject)):
            return None
        speaker = scene.resolve(subject, index)
        if speaker is None or speaker.names == (scene.author,):
            return None
        return Speaker(speaker.names, f"position verb/{speaker.rule}",
                       (_phrase_text(subject), verb.text), person=speaker.person)
    return None


def voiced_concern(scene: Scene, index: int, tokens: Any) -> Speaker | None:
    """A concern with its holder and its content: "worries among the X community that ...",
    "voices from the trade aired doubts that ..." are the holder's claim; a vague
    holder (`lexicon.VAGUE_HOLDERS`) is that community's critics ("X critics", "Critics").
    Not when the writer marks the sentence or another verb of saying reports it; outside an
    opinion piece's commentary, "X expressed concern that ..." is left to `reported_speech`
    (relays, spokespeople)."""
    if writer_marks(scene, index):
        return None
    commentary = scene.plan.sentences[index].block in scene.commentary
    for token in tokens:
        if token.i in scene.quoted or token.lemma_.lower() not in CONCERN_NOUNS:
            continue
        if not _content_follows(token) or (
                not commentary and token.dep_ == "dobj" and is_speech_verb(token.head)):
            continue
        holder = _concern_holder(token)
        if holder is None or _reported_elsewhere(scene, tokens, token.head):
            continue
        of = next((c for c in holder.children if c.dep_ == "prep" and c.lower_ == "of"), None)
        members = next((c for c in of.children if c.dep_ == "pobj"), None) if of else None
        if holder.lemma_.lower() in GROUP_OF_NOUNS and members is not None:
            holder = members  # "a number of voices"
        if holder.lemma_.lower() in VAGUE_HOLDERS:
            proper = [t for c in holder.lefts if c.dep_ in ("amod", "compound")
                      and c.text[:1].isupper() for t in c.subtree]
            label = f"{_text(proper)} critics".strip()
            return Speaker((scene.alias(label[:1].upper() + label[1:]),),
                           "voiced concern/vague holder", (*_words(proper), holder.text,
                                                           token.text))
        speaker = scene.resolve(holder, index)
        if speaker is not None and speaker.names != (scene.author,):
            return Speaker(speaker.names, f"voiced concern/{speaker.rule}",
                           (_phrase_text(holder), token.text), person=speaker.person)
    return None


def _content_follows(noun: Any) -> bool:
    """A "that" clause follows the noun, past its modifiers: "concerns among X that ..."."""
    doc, j = noun.doc, noun.i + 1
    while j < len(doc) and doc[j].lower_ != "that" and doc[j].pos_ != "VERB" and doc[j].dep_ in (
            "det", "amod", "compound", "prep", "pobj", "punct", "nmod", "poss", "case"):
        j += 1
    return j < len(doc) and doc[j].lower_ == "that"


def _concern_holder(concern: Any) -> Any | None:
    """Who holds a concern: "concerns among / within X", or the subject of the verb that
    voices it ("X raised concerns"), found left of the verb when the parser lost it."""
    for prep in concern.children:
        if prep.dep_ == "prep" and prep.lower_ in ("among", "within", "in", "from", "inside"):
            holder = next((g for g in prep.children if g.dep_ == "pobj"), None)
            if holder is not None:
                return holder
    verb = concern.head
    if concern.dep_ != "dobj" or base_form(verb) not in VOICING_LEMMAS:
        return None
    if any(c.dep_ in ("auxpass", "nsubjpass") for c in verb.children):
        return None
    return subject_of(verb) or _stranded_subject(verb)


def _stranded_subject(verb: Any) -> Any | None:
    """The noun phrase just left of a verb (and its auxiliaries) that the parser attached
    elsewhere: in "..., a host of voices from the trade have aired ..." it is "host"."""
    first = min([verb, *(c for c in verb.children if c.dep_ in ("aux", "neg") and c.i < verb.i)],
                key=lambda t: t.i)
    if first.i == 0:
        return None
    noun = first.doc[first.i - 1]
    while noun.dep_ in ("pobj", "prep") and noun.head.i < noun.i:
        noun = noun.head
    return noun if noun.pos_ in ("NOUN", "PROPN") else None


def _main_verb(token: Any, tokens: Any) -> bool:
    """The root of the sentence, a verb coordinated with it, or the root of the clause
    `tokens` ("while B wants Y" after "A wants X,")."""
    return (token.dep_ == "ROOT" or (token.dep_ == "conj" and token.head.dep_ == "ROOT")
            or (token.pos_ in ("VERB", "AUX") and not tokens[0].i <= token.head.i <= tokens[-1].i))


def _states_position(verb: Any) -> bool:
    """A verb of position or intent (`lexicon.POSITION_LEMMAS`), "calls for", "is wary of",
    or any verb carrying a pledge ("arrived with a promise to ...")."""
    base = base_form(verb)
    if base in POSITION_LEMMAS or (base == "be" and is_speech_verb(verb)):
        return True
    for prep in verb.children:
        if prep.dep_ == "prep" and (
                (base == "call" and prep.lower_ == "for") or (prep.lower_ == "with" and any(
                    g.dep_ == "pobj" and g.lemma_.lower() in PLEDGE_NOUNS
                    for g in prep.children))):
            return True
    return False


def _misread_verb(token: Any) -> tuple[Any, Any] | None:
    """(verb, subject) where the parser read a plural subject and its verb as one noun
    phrase: in "Critics decry plans for ..." the subject "decry" has "Critics" as its
    compound; the verb is "decry", its subject "Critics"."""
    for noun in token.children:
        if noun.dep_ == "nsubj" and noun.tag_ == "NN" and noun.lower_ in POSITION_LEMMAS:
            holder = next((c for c in noun.children if c.dep_ == "compound"
                           and c.tag_ == "NNS" and _is_human(c)), None)
            if holder is not None:
                return noun, holder
    return None


def _two_sides(scene: Scene, tokens: Any, verb: Any, subject: Any) -> bool:
    """Another position verb with a subject of its own: "A wants X while B wants Y" sets two
    sides side by side, the writer's comparison rather than either side's claim."""
    return any(t.i != verb.i and t.i not in scene.quoted and _states_position(t) and any(
        c.dep_ == "nsubj" and c.i not in (subject.i, verb.i) for c in t.children)
        for t in tokens)


def _reported_elsewhere(scene: Scene, tokens: Any, verb: Any) -> bool:
    """Another verb of saying with a subject, or "according to", outside quotation marks."""
    return any(t.i != verb.i and t.i not in scene.quoted and (
        t.lower_ == "according" or (is_speech_verb(t) and t.lemma_ in RELAY_LEMMAS
                                    and subject_of(t) is not None)) for t in tokens)


def reported_speech(scene: Scene, index: int, tokens: Any) -> Speaker | None:
    """The subject of the main speech or stance verb outside quotation marks, in either order
    ("X said ...", "..., X said"), climbing from participles ("..., X said, adding ...").

    Relays: "X asked ..., Y said" is X's, relayed by Y; "..., as reported by Y" adds Y as
    `via`, and so does an "according to Y" beside the verb. A spokesperson speaks for the
    body named just before.
    """
    found = []
    for token in tokens:
        if token.i in scene.quoted or not is_speech_verb(token):
            continue
        subject = subject_of(token)
        if subject is None or subject.i in scene.quoted:
            continue
        speaker = scene.resolve(subject, index)
        if speaker is not None:
            found.append((depth(token), token, subject, speaker))
    if not found:
        return None
    found.sort(key=lambda item: (item[0], item[1].i))
    _, verb, subject, speaker = found[0]
    rule, via, evidence = "reported speech", "", (_phrase_text(subject), verb.text)
    for _, other, other_subject, inner in found[1:]:
        if inner.names == speaker.names:
            continue
        clause = _clause_under(other, verb)
        if (clause is not None and clause.dep_ == "ccomp" and clause.i < verb.i
                and verb.lemma_ in RELAY_LEMMAS):
            # "X asked ..., Y said", "X sent a letter urging ..., Y said" (but "Y said X
            # will ..." is Y's)
            speaker, via, rule = inner, "; ".join(speaker.names), "relay"
            evidence = (_phrase_text(other_subject), other.text, *evidence)
            break
        if other.head != verb:
            continue
        if other.dep_ == "advcl" and other.lemma_ in RELAY_LEMMAS and not via:
            via, rule = "; ".join(inner.names), "relay"  # "..., X noted, as reported by Y"
    if rule == "reported speech" and verb.lemma_ in RELAY_LEMMAS:
        relayed = _relayed(scene, verb, index)
        if relayed is not None and relayed[1].names != speaker.names:
            other_subject, inner = relayed
            speaker, via, rule = inner, "; ".join(speaker.names), "relay"
            evidence = (_phrase_text(other_subject), *evidence)
    according = according_to(scene, index, tokens)
    if according and not according.document and according.names != speaker.names:
        via = via or "; ".join(according.names)
    last_body = scene.memory.last_body
    if (speaker.person is not None and _is_spokesperson(speaker.person)
            and last_body and index - last_body[0] <= PRONOUN_WINDOW):
        return Speaker(last_body[1], "spokesperson", evidence, "; ".join(speaker.names))
    return Speaker(speaker.names, f"{rule}/{speaker.rule}", evidence, via, speaker.person)


def _relayed(scene: Scene, verb: Any, index: int) -> tuple[Any, Speaker] | None:
    """(subject, speaker) of a verb of saying in the clause a relay verb reports, even when
    the verb itself is quoted: "Y said that X "have expressed concerns"" is X's, via Y; but
    "Y said X will push for ..." is Y's."""
    for clause in verb.children:
        if (clause.dep_ != "ccomp" or clause.i < verb.i or not is_speech_verb(clause)
                or _hypothetical(clause)):
            continue
        subject = next((c for c in clause.children if c.dep_ == "nsubj"), None)
        if subject is None or subject.i in scene.quoted:
            continue
        speaker = scene.resolve(subject, index)
        if speaker is not None:
            return subject, speaker
    return None


def _clause_under(token: Any, verb: Any) -> Any | None:
    """The child of `verb` whose subtree holds `token` (through verbs only), or None."""
    for _ in range(4):
        if token.head == verb:
            return token
        if token.head == token or token.dep_ not in ("advcl", "xcomp", "conj", "ccomp"):
            return None
        token = token.head
    return None


def according_to(scene: Scene, index: int, tokens: Any) -> Speaker | None:
    """The source of an "according to X" outside quotation marks. A statement or report with
    an author ("according to a statement by X", "according to the report, released by X") is
    X's; a joint statement without one speaks for the sentence's own subject ("According to
    the statement, A and B agreed ...")."""
    for token in tokens:
        if token.lower_ != "according" or token.i in scene.quoted:
            continue
        to = next((c for c in token.children if c.lower_ == "to"), None)
        source = next((c for c in to.children if c.dep_ == "pobj"), None) if to else None
        if source is None:
            continue
        if source.lemma_.lower() in DOCUMENT_NOUNS:
            author = _document_author(source)
            if author is None:
                if source.lemma_.lower() not in STATEMENT_NOUNS:
                    return None
                return _root_subject(scene, index, tokens)
            source = author
        speaker = scene.resolve(source, index)
        if speaker is not None:
            return Speaker(speaker.names, f"according to/{speaker.rule}",
                           ("according to", _phrase_text(source)), person=speaker.person)
    return None


def _document_author(document: Any) -> Any | None:
    """Who put out a statement or report (see `syntax.author_of`), also where the parser hung
    the author on the document's title ("the study “Title,” released by X") or left the
    participle after it unattached ("according to the report, released by X, ...")."""
    author = author_of(document) or next(filter(None, (
        author_of(c) for c in document.children if c.dep_ == "appos")), None)
    if author is not None:
        return author
    title = {t.i for c in document.children if c.dep_ in ("appos", "punct") for t in c.subtree}
    doc, after = document.doc, document.i + 1
    while after < len(doc) and (after in title or doc[after].is_punct):
        after += 1
    verb = doc[after] if after < len(doc) else None
    if verb is None or verb.tag_ != "VBN" or base_form(verb) not in PUBLICATION_LEMMAS:
        return None
    agent = next((c for c in verb.children if c.dep_ == "agent"), None)
    return next((g for g in agent.children if g.dep_ == "pobj"), None) if agent else None


def _root_subject(scene: Scene, index: int, tokens: Any) -> Speaker | None:
    """The subject of the main verb, quoted or not."""
    for token in tokens:
        if token.dep_ == "nsubj" and token.head.dep_ in ("ROOT", "ccomp"):
            speaker = scene.resolve(token, index)
            if speaker is not None:
                return Speaker(speaker.names, f"according to/{speaker.rule}",
                               ("according to", _phrase_text(token)), person=speaker.person,
                               document=True)
    return None


def speech_noun(scene: Scene, index: int, tokens: Any) -> Speaker | None:
    """A subject such as "The comments by X" or "X's remarks"."""
    for token in tokens:
        if (token.dep_ in ("nsubj", "nsubjpass") and token.lemma_.lower() in SPEECH_NOUNS
                and token.i not in scene.quoted):
            author = author_of(token)
            speaker = scene.resolve(author, index) if author is not None else None
            if speaker is not None:
                return Speaker(speaker.names, f"speech noun/{speaker.rule}",
                               (_phrase_text(author), token.text), person=speaker.person)
    return None


def stated_position(scene: Scene, index: int, tokens: Any) -> Speaker | None:
    """A position with its holder and its content: "Washington's position that ...", "the
    minister's view that ..." is the holder's."""
    for token in tokens:
        if token.lemma_.lower() not in POSITION_NOUNS or token.i in scene.quoted:
            continue
        owner = next((c for c in token.children if c.dep_ == "poss"), None)
        content = any(c.dep_ in ("acl", "ccomp", "relcl") and any(
            g.lower_ == "that" and g.dep_ == "mark" for g in c.children) for c in token.children)
        speaker = scene.resolve(owner, index) if owner is not None and content else None
        if speaker is not None:
            return Speaker(speaker.names, f"stated position/{speaker.rule}",
                           (_phrase_text(owner), token.text), person=speaker.person)
    return None


def reporter_analysis(scene: Scene, index: int, tokens: Any) -> Speaker | None:
    """The reporter's analysis that puts a position on an actor: "X seems to have stepped on
    the brakes", "Y appears ready to ..." is X's (Y's)."""
    for token in tokens:
        if (token.dep_ == "ROOT" and base_form(token) in ANALYSIS_LEMMAS
                and token.i not in scene.quoted):
            subject = next((c for c in token.children if c.dep_ == "nsubj"), None)
            speaker = scene.resolve(subject, index) if subject is not None else None
            if speaker is not None:
                return Speaker(speaker.names, f"reporter analysis/{speaker.rule}",
                               (_phrase_text(subject), token.text), person=speaker.person)
    return None


def _is_spokesperson(person: Person) -> bool:
    return any(ROLE_GROUPS.get(w) == "spokesperson" for w in person.roles)


# --------------------------------------------------------------------------------------------
# Reference rules: one noun of a speaker's phrase to canonical names


def person_pronoun(scene: Scene, token: Any, index: int) -> Speaker | None:
    """He / she: the latest person speaker nearby, else the latest person subject."""
    if token.lower_ not in PERSON_PRONOUNS:
        return None
    last = scene.memory.last_person
    if last and index - last[0] <= PRONOUN_WINDOW:
        person = last[1]
    else:
        person = scene.people.recent_subject(token.idx)
    return scene.said(person, "pronoun", token) if person else None


def group_pronoun(scene: Scene, token: Any, index: int) -> Speaker | None:
    """They: a plural or joint subject earlier in the sentence, else the latest group."""
    if token.lower_ not in GROUP_PRONOUNS:
        return None
    for earlier in reversed(list(token.sent[: token.i - token.sent.start])):
        if earlier.dep_ == "nsubj" and (earlier.tag_ in ("NNS", "NNPS") or earlier.conjuncts):
            return scene.resolve(earlier, index)
    last = scene.memory.last_group
    if last and index - last[0] <= PRONOUN_WINDOW:
        return Speaker(last[1], "pronoun", (token.text,))
    return None


def first_person(scene: Scene, token: Any, index: int) -> Speaker | None:
    """I / we outside quotation marks, in an opinion piece: its writer."""
    if token.lower_ in FIRST_PERSON and scene.opinion:
        return Speaker((scene.author,), "first person", (token.text,))
    return None


def relative_pronoun(scene: Scene, token: Any, index: int) -> Speaker | None:
    """Who / which / that of a relative clause: the noun the clause describes."""
    if token.lower_ in RELATIVE_PRONOUNS and token.head.dep_ == "relcl":
        return scene.resolve(token.head.head, index)
    return None


def named_person(scene: Scene, token: Any, index: int) -> Speaker | None:
    """A person's name, a known family name, or a noun with a person in apposition."""
    person = scene.people.person_of(token)
    if person is None:
        apposed = [c for c in token.children if c.dep_ == "appos"]
        person = next(filter(None, map(scene.people.person_of, apposed)), None)
    return scene.said(person, "name", token) if person else None


def leader_government(scene: Scene, token: Any, index: int) -> Speaker | None:
    """"the Moon Jae-in government", "the government of President Moon": "<family name>
    administration"."""
    if not _is_noun(token) or token.lemma_.lower() not in LEADER_BODIES:
        return None
    before = [t for t in noun_phrase(token) if t.i < token.i and t.dep_ != "det"]
    name = clean_name(scene.doc[before[0].i : token.i].text) if before else ""
    leader = scene.people.find(name, token.idx) if name else None
    if leader is None:
        of = next((c for c in token.children if c.dep_ == "prep" and c.lower_ == "of"), None)
        owner = next((c for c in of.children if c.dep_ == "pobj"), None) if of else None
        leader = scene.people.person_of(owner) if owner is not None else None
        before = [owner] if leader is not None else before
    if leader is None:
        return None
    label = scene.alias(f"{leader.family_name} administration")
    return Speaker((label,), "leader government", (*_words(before), token.text))


def listed_people(scene: Scene, token: Any, index: int) -> Speaker | None:
    """"the top envoys", "the two leaders": the people named in the sentence before."""
    if not (_is_noun(token) and token.tag_ in ("NNS", "NNPS") and is_definite(token)
            and _is_human(token)) or not index:
        return None
    before = scene.people.in_tokens(scene.spans[index - 1])
    if len(before) < 2:
        return None
    return Speaker(tuple(scene.canonical(p) for p in before), "listed people", (token.text,))


def role_description(scene: Scene, token: Any, index: int) -> Speaker | None:
    """"the minister", "the US defence chief": the person named near it whose role words fit
    best (see `People.by_description`)."""
    lemma = token.lemma_.lower()
    if not _is_noun(token) or lemma not in ROLE_GROUPS or token.tag_ in ("NNS", "NNPS"):
        return None
    words = content_words(noun_phrase(token)) - {token.lower_}
    person = scene.people.by_description(words, ROLE_GROUPS[lemma], token.idx)
    return scene.said(person, "description", *noun_phrase(token)) if person else None


def introduced_description(scene: Scene, token: Any, index: int) -> Speaker | None:
    """"a government official said", "his sister said", "the new minister said" (no one
    named before fits): the person the next sentence names."""
    lemma = token.lemma_.lower()
    if not _is_noun(token) or token.tag_ in ("NNS", "NNPS") or not (
            lemma in RELATIONAL_NOUNS or lemma in ROLE_GROUPS):
        return None
    if index + 1 >= len(scene.spans):
        return None
    inside = set(scene.people.in_tokens(token.subtree))
    person = next((p for p in scene.people.in_tokens(scene.spans[index + 1])
                   if p not in inside), None)
    return scene.said(person, "introduced description", *noun_phrase(token)) if person else None


def group_members(scene: Scene, token: Any, index: int) -> Speaker | None:
    """"a group of lawmakers", "a number of fishermen": the members are the speakers."""
    if token.lemma_.lower() not in GROUP_OF_NOUNS:
        return None
    of = next((c for c in token.children if c.dep_ == "prep" and c.lower_ == "of"), None)
    members = next((c for c in of.children if c.dep_ == "pobj"), None) if of else None
    if members is None or members.tag_ != "NNS":
        return None
    speaker = scene.resolve(members, index)
    if speaker is not None:
        return speaker
    label, words = _group_label(members)
    return Speaker((scene.alias(label),), "unnamed group", words)


def country(scene: Scene, token: Any, index: int) -> Speaker | None:
    """A country, its capital or seat of government acting as a government: "Seoul",
    "Washington", "the White House", "the North" (labels in `lexicon.COUNTRIES`)."""
    if not _is_noun(token):
        return None
    ent = entity_of(token)
    words = list(ent) if ent is not None else [t for t in noun_phrase(token) if t.i <= token.i]
    label = COUNTRY_LABELS.get(_country_key(_text(words)))
    if label is None:
        return None
    return Speaker((scene.alias(label),), "country", _words(words))


def unnamed_group(scene: Scene, token: Any, index: int) -> Speaker | None:
    """A plural group no name resolves: its head noun with its nationality only, "critics",
    "supporters", "South Korean officials", "U.S. experts" (other modifiers are dropped)."""
    if not (token.pos_ == "NOUN" and token.tag_ == "NNS" and _is_human(token)
            ) or token.ent_type_ in ("ORG", "GPE"):
        return None
    label, words = _group_label(token)
    return Speaker((scene.alias(label),), "unnamed group", words)


def _group_label(token: Any) -> tuple[str, tuple[str, ...]]:
    """"Some veteran Japanese port officials" -> "Japanese officials", and its words; a
    synonym of a canonical group is that group ("observers" -> "Analysts",
    `lexicon.GROUP_SYNONYMS`)."""
    lefts = list(token.lefts)
    kept = []  # nationality words next to the head: "South Korean officials", not "Korean
    for child in reversed(lefts):  # issue experts"
        if child.dep_ in ("det", "predet", "nummod", "quantmod", "poss"):
            break
        if child.ent_type_ not in ("NORP", "GPE") or child.dep_ not in ("amod", "compound",
                                                                        "nmod"):
            if child.right_edge.i == token.i - 1 or kept:
                break
            continue
        kept.insert(0, child)
    words = [t for child in kept for t in child.subtree]
    nationality = _text(words)
    head = GROUP_SYNONYMS.get(token.lower_, token.text)
    label = f"{COUNTRY_ADJECTIVES.get(_country_key(nationality), nationality)} {head}"
    label = label.strip()
    return label[:1].upper() + label[1:], (*_words(words), token.text)


def unresolved_role(scene: Scene, token: Any, index: int) -> Speaker | None:
    """A person's role that no name resolves, by the whole description: "the head of the
    agency" is "Head of the agency", never "Head"."""
    if not (_is_noun(token) and token.lemma_.lower() in ROLE_GROUPS
            and token.tag_ not in ("NNS", "NNPS")) or token.ent_type_:
        return None
    words = [t for t in noun_phrase(token) if not (t.i < token.i and t.dep_ in ("det", "poss"))
             and t.dep_ != "case"]
    words = [t for t in words if t.dep_ not in ("advmod", "npadvmod") or t.i < token.i]
    label = POSSESSIVE.sub("", _text(words)).strip()
    return Speaker((scene.alias(label[:1].upper() + label[1:]),), "unresolved role",
                   _words(words))


def collective(scene: Scene, token: Any, index: int) -> Speaker | None:
    """A body or group by a short label: "the Foreign Ministry", "PFAC", "Analysts".
    Things do not speak: "the fact sheet confirmed" names nobody."""
    if not _is_noun(token) or not (token.pos_ == "PROPN" or token.ent_type_ or _is_human(token)
                                   or any(c.dep_ == "appos" for c in token.children)):
        return None
    named = next((c for c in token.children if c.dep_ == "appos" and c.ent_type_ == "ORG"),
                 None)
    token = named if named is not None else token  # "the campaign Clean Harbours Now"
    ent = entity_of(token)
    if ent is not None and token.ent_type_ == "ORG":
        words = name_with_tail(ent)
    elif ent is not None and token.ent_type_ in ("GPE", "NORP", "PERSON"):
        words = list(ent)
    else:
        words = [t for t in noun_phrase(token) if t.i <= token.i]
    while words and (words[0].lower_ in LEADING_DETERMINERS or words[0].is_punct
                     or words[0].dep_ == "poss"):
        words = words[1:]
    if not words:
        return None
    label = POSSESSIVE.sub("", _text(words)).strip()
    if token.pos_ == "PROPN" and token.ent_type_ in ("", "PERSON"):
        label = clean_name(label)  # an unrecognised person: "Mayor Ines Roth"
    if not label:
        return None
    label = _qualified_body(scene.acronyms.get(label, GROUP_SYNONYMS.get(label.lower(), label)))
    owner = next((c for c in token.children if c.dep_ == "poss"), None)
    if owner is not None and label in token.doc[token.i + 1 - len(words) : token.i + 1].text:
        country_of = COUNTRY_ADJECTIVES.get(_country_key(_text(noun_phrase(owner))))
        label = f"{country_of} {label}" if country_of else label  # "Japan's Transport Ministry"
    return Speaker((scene.alias(label[:1].upper() + label[1:]),), "collective", _words(words))


def _text(words: list[Any]) -> str:
    return words[0].doc[words[0].i : words[-1].i + 1].text if words else ""


def _country_key(text: str) -> str:
    key = POSSESSIVE.sub("", text.lower().replace(".", "")).strip()
    key = re.sub(r"^the\s+", "", key)
    return re.sub(r"\s+", " ", key)


COUNTRY_LABELS = {_country_key(n): label for _, label, names in COUNTRIES for n in names}
COUNTRY_ADJECTIVES = {_country_key(n): adjective for adjective, _, names in COUNTRIES
                      for n in (*names, adjective)}


def _qualified_body(label: str) -> str:
    """A body with its country: "South Korea's Unification Ministry" and "the Foreign
    Ministry of Seoul" are "South Korean Unification Ministry", "South Korean Foreign
    Ministry"."""
    owned = re.match(r"^(.+?)['’]s\s+(.+)$", label)
    if owned and _country_key(owned[1]) in COUNTRY_ADJECTIVES:
        return f"{COUNTRY_ADJECTIVES[_country_key(owned[1])]} {owned[2]}"
    of = re.match(r"^(.+?)\s+of\s+(.+)$", label)
    if of and _country_key(of[2]) in COUNTRY_ADJECTIVES:
        return f"{COUNTRY_ADJECTIVES[_country_key(of[2])]} {of[1]}"
    return label


def group_leader(scene: Scene, token: Any, index: int) -> Speaker | None:
    """"the lawmakers" where the article names them as "X and 22 other lawmakers": X."""
    if token.tag_ != "NNS":
        return None
    person = scene.leaders.get(token.lemma_.lower())
    return scene.said(person, "group leader", token) if person else None


def authored_text(scene: Scene, token: Any, index: int) -> Speaker | None:
    """A letter, bill or resolution speaks for whoever wrote, signed or sponsored it: "a
    letter by X", "the bill, introduced by X", "X sent a letter", "the lead sponsor is X"."""
    lemma = token.lemma_.lower()
    if not (lemma in AUTHORED_NOUNS or token.ent_type_ == "LAW"):
        return None
    author = (scene.text_authors.get(lemma) or author_of(token)
              or scene.text_authors.get(""))
    speaker = scene.resolve(author, index) if author is not None else None
    if speaker is None:
        return None
    return Speaker(speaker.names, "authored text", (token.text, author.text),
                   person=speaker.person)


def text_pronoun(scene: Scene, token: Any, index: int) -> Speaker | None:
    """It, after a sentence whose speaker was a text ("The bill urges ... It also calls
    for ..."): that text's author."""
    last = scene.memory.last_text
    if token.lower_ != "it" or not last or index - last[0] > 1:
        return None
    return Speaker(last[1], "authored text", (token.text,))


def article_facts(scene: Scene) -> None:
    """What the whole article says once, for the rules above: groups led by a named person
    ("X and 22 other lawmakers"), the authors of texts ("signed by X", "X introduced the
    bill", "the lead sponsor is X"), acronyms ("Public Action Committee (PAC)")."""
    for token in scene.doc:
        lemma = token.lemma_.lower()
        if (token.tag_ == "NNS" and token.dep_ == "conj"
                and any(c.lower_ == "other" for c in token.children)):
            leader = scene.people.person_of(token.head)
            if leader is not None:
                scene.leaders.setdefault(lemma, leader)
        elif lemma in AUTHORSHIP_LEMMAS and token.pos_ == "VERB":
            _note_author(scene, token)
        elif lemma == "be":
            role = next((c for c in token.children if c.dep_ == "nsubj"), None)
            who = next((c for c in token.children if c.dep_ == "attr"), None)
            if role is not None and who is not None and role.lemma_.lower() in AUTHOR_ROLES:
                scene.text_authors.setdefault("", who)
    for match in _ACRONYM.finditer(scene.article.text):
        words, acronym = match[1].split(), match[2]
        capitals = [w for w in words if w[:1].isupper()]
        if len(acronym) <= len(capitals) and "".join(
                w[0] for w in capitals[-len(acronym):]) == acronym:
            first = words.index(capitals[-len(acronym)])
            scene.acronyms.setdefault(acronym, " ".join(words[first:]))


_ACRONYM = re.compile(r"((?:[\w'’-]+ ){1,8})\(([A-Z]{2,8})\)")


def _note_author(scene: Scene, verb: Any) -> None:
    """Record the author of a text an authorship verb governs, active or passive."""
    agent = next((g for c in verb.children if c.dep_ == "agent"
                  for g in c.children if g.dep_ == "pobj"), None)
    for child in verb.children:
        texts = [child, *child.conjuncts] if child.dep_ in ("nsubjpass", "dobj") else []
        for text in texts:
            lemma = text.lemma_.lower()
            if not (lemma in AUTHORED_NOUNS or text.ent_type_ == "LAW"):
                continue
            author = agent if child.dep_ == "nsubjpass" else subject_of(verb)
            if author is not None:
                scene.text_authors.setdefault(lemma, author)
    head = verb.head
    if verb.dep_ == "acl" and agent is not None and head.lemma_.lower() in AUTHORED_NOUNS:
        scene.text_authors.setdefault(head.lemma_.lower(), agent)


# --------------------------------------------------------------------------------------------
# Article-level rules


def default_speaker(kind: str, in_commentary: bool, author: str) -> tuple[str, str]:
    """The speaker of a sentence no rule attributes, and the rule's name: the writer of an
    opinion piece for its commentary lines, else the narrator. `kind` is the article's
    ("news", "opinion"), given or inferred."""
    if kind == "opinion" and in_commentary:
        return author, "opinion commentary"
    return NARRATOR, "narrator"
