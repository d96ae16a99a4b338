"""Small helpers over spaCy tokens: subjects, noun phrases, appositions, role words."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from stancekit.extraction.lexicon import (
    LEMMA_FIXES,
    NON_REPORT_MODALS,
    ROLE_WORD_FORMS,
    SPEECH_LEMMAS,
    STANCE_ADJECTIVES,
)


def role_word(token: Any) -> str:
    word = token.text.lower().rstrip("’'")
    return ROLE_WORD_FORMS.get(word, word.strip("."))


def content_words(tokens: Iterable[Any]) -> set[str]:
    return {role_word(t) for t in tokens if not (t.is_stop or t.is_punct or t.is_space)}



def base_form(token: Any) -> str:
    """The token's lemma, lower case, with spaCy's known misses fixed (`LEMMA_FIXES`)."""
    return LEMMA_FIXES.get(token.lower_) or token.lemma_.lower()


def is_speech_verb(token: Any) -> bool:
    """A verb of saying or of taking a stance: "said", "urged", "made it clear", "has been
    critical of"; not one under a modal of wish or possibility ("should declare")."""
    if token.pos_ not in ("VERB", "AUX") or token.lower_ == "according":
        return False
    if any(c.dep_ == "aux" and c.lower_ in NON_REPORT_MODALS for c in token.children):
        return False
    base = base_form(token)
    if base == "make":  # "made it clear that ..."
        return any(c.lower_ == "clear" for c in token.children)
    if base == "be":  # "X has been critical of ..."
        return any(c.dep_ == "acomp" and c.lemma_.lower() in STANCE_ADJECTIVES
                   for c in token.children)
    return base in SPEECH_LEMMAS


def subject_of(verb: Any) -> Any | None:
    """The subject of a verb, climbing from a participle or coordinated verb to its head."""
    current = verb
    for _ in range(4):
        subjects = [c for c in current.children if c.dep_ == "nsubj"]
        whole = [c for c in subjects if not (c.is_punct or is_hyphen_tail(c))]
        if subjects:  # the nearest: "Trump, the South Korean president said"
            return min(whole or subjects, key=lambda c: abs(c.i - current.i))
        for child in current.children:
            if child.dep_ == "agent":
                return next((g for g in child.children if g.dep_ == "pobj"), None)
        passive = any(c.dep_ in ("auxpass", "nsubjpass") for c in current.children)
        if passive or current.dep_ not in ("advcl", "xcomp", "conj", "pcomp", "acl"):
            return None
        current = current.head
    return None


def is_hyphen_tail(token: Any) -> bool:
    """The part after the hyphen of a hyphenated word the parser split: "in" of "Yong-in",
    which it may take for a subject of its own."""
    if token.i < 2:
        return False
    hyphen, before = token.doc[token.i - 1], token.doc[token.i - 2]
    return hyphen.text in ("-", "‐", "‑") and not hyphen.whitespace_ and not before.whitespace_


def author_of(noun: Any) -> Any | None:
    """Whose a statement is: "a statement by X", "X's remarks", "a translation from X", "the
    report, released by X"."""
    for child in noun.children:
        if child.dep_ == "poss":
            return child
        if child.dep_ == "prep" and child.lower_ in ("by", "from"):
            return next((g for g in child.children if g.dep_ == "pobj"), None)
        if child.dep_ == "acl":
            agent = next((g for g in child.children if g.dep_ == "agent"), None)
            if agent is not None:
                return next((g for g in agent.children if g.dep_ == "pobj"), None)
    return None


def open_apposition(token: Any) -> Any | None:
    """An apposition not closed by a comma before the verb: in "Trump, the South Korean
    president said, ..." the speaker is the president, not Trump."""
    for child in token.children:
        if child.dep_ == "appos":
            after = child.right_edge.i + 1
            if after < len(token.doc) and token.doc[after] == token.head:
                return child
    return None


def is_definite(token: Any) -> bool:
    return any(c.dep_ in ("det", "poss") and c.lower_ not in ("a", "an") for c in token.children)


def clause_verb(conjunction: Any) -> Any:
    """The verb of the clause a conjunction ("but", "while") introduces."""
    return conjunction.head if conjunction.dep_ == "mark" else next(
        (t for t in conjunction.head.children if t.dep_ == "conj" and t.i > conjunction.i),
        conjunction.head)


def depth(token: Any) -> int:
    depth = 0
    while token.head != token:
        token, depth = token.head, depth + 1
    return depth


def noun_phrase(token: Any) -> list[Any]:
    """The tokens of a noun phrase, without coordinated phrases and clauses."""
    cut = set()
    for child in token.children:
        if child.dep_ in ("conj", "cc", "relcl", "acl", "appos", "punct"):
            cut.update(t.i for t in child.subtree)
    return [t for t in token.subtree if t.i not in cut]



def entity_of(token: Any) -> Any | None:
    """The tokens of the named entity `token` is part of (its label is the token's
    `ent_type_`), or None."""
    if not token.ent_type_:
        return None
    doc, start, end = token.doc, token.i, token.i + 1
    while start > 0 and doc[start].ent_iob_ != "B" and doc[start - 1].ent_type_:
        start -= 1
    while end < len(doc) and doc[end].ent_iob_ == "I":
        end += 1
    return doc[start:end]


def name_with_tail(ent: Any) -> list[Any]:
    """An organisation's name with the capitalised words the small parser left out of it:
    "Clean Harbours" + "Now" is "Clean Harbours Now" (not a date, a pronoun or a verb, nor
    the start of a sentence)."""
    words, doc = list(ent), ent.doc
    end = ent.end
    while (end < len(doc) and doc[end].is_alpha and doc[end].text[:1].isupper()
           and not doc[end].ent_type_ and not doc[end].is_sent_start
           and doc[end].pos_ in ("PROPN", "NOUN", "ADJ", "ADV")):
        words.append(doc[end])
        end += 1
    return words
