"""One or more tests per attribution rule (stancekit.extraction.rules), on sentences written
for these tests, checking the speaker and the rule the claim records."""

from __future__ import annotations

import pytest

from stancekit.errors import StancekitError
from stancekit.extraction import explain_claims, extract_claims, extract_many, load_nlp
from stancekit.extraction.attribution import REFERENCE_RULES, SENTENCE_RULES
from stancekit.extraction.segment import plan_article, sections
from stancekit.extraction.syntax import is_hyphen_tail, name_with_tail
from stancekit.records import NARRATOR, Article


@pytest.fixture(scope="module")
def nlp():
    return load_nlp()


def article(body: str, kind: str = "news", title: str = "Harbour plan divides the town",
            source: str = "Coast Post") -> Article:
    return Article(id="r", text=f"{title}\n\n{body}\n", title=title, source=source, kind=kind)


def attributed(body: str, nlp, kind: str = "news") -> list[tuple[str, str]]:
    """(speaker, rule) per claim."""
    return [(a.claim.speaker, a.claim.rule) for a in explain_claims(article(body, kind), nlp=nlp)]


def test_rule_order_is_written_down_in_one_place():
    assert [rule.__name__ for rule in SENTENCE_RULES] == [
        "position_verb", "voiced_concern", "opinion_commentary", "reported_speech",
        "according_to", "speech_noun", "stated_position", "reporter_analysis"]
    assert REFERENCE_RULES[0].__name__ == "person_pronoun"
    assert REFERENCE_RULES[-1].__name__ == "collective"


# -- sentence rules


def test_reported_speech_names_the_subject_of_the_speech_verb(nlp):
    assert attributed("Harbour master Olga Brandt warned that the pier would flood.", nlp) == [
        ("Olga Brandt", "reported speech/name")]


def test_a_speech_verb_under_should_is_not_a_report(nlp):
    assert attributed("The mayor should announce a new vote on the pier.", nlp) == [
        (NARRATOR, "narrator")]


def test_stance_adjective_with_be_is_a_stance(nlp):
    body = "Olga Brandt runs the harbour. Brandt has been critical of the pier plan."
    assert attributed(body, nlp)[1] == ("Olga Brandt", "reported speech/name")


def test_relay_keeps_the_speaker_and_names_the_relay(nlp):
    body = ("Olga Brandt asked the council to delay the vote, her spokesman Tim Ruiz said.")
    claim = extract_claims(article(body), nlp=nlp)[0]
    assert (claim.speaker, claim.via, claim.rule) == ("Olga Brandt", "Tim Ruiz", "relay/name")


def test_said_before_the_reported_clause_is_not_a_relay(nlp):
    body = "Olga Brandt said the council will never approve the pier."
    assert attributed(body, nlp) == [("Olga Brandt", "reported speech/name")]


def test_relay_through_the_reported_clause(nlp):
    body = ("Olga Brandt sent a note to the council, urging it to delay the vote, "
            "a local newspaper reported.")
    claim = extract_claims(article(body), nlp=nlp)[0]
    assert claim.speaker == "Olga Brandt"
    assert claim.via == "Local newspaper"


def test_according_to(nlp):
    body = "The pier will cost twice the estimate, according to Olga Brandt."
    assert attributed(body, nlp) == [("Olga Brandt", "according to/name")]


def test_speech_noun(nlp):
    body = "Olga Brandt spoke on Monday. Brandt's remarks drew applause from the crowd."
    assert attributed(body, nlp)[1] == ("Olga Brandt", "speech noun/name")


def test_quote_continuation_keeps_the_speaker_of_the_quote(nlp):
    body = ('"The pier is too costly," said Olga Brandt. "We cannot pay for it."\n'
            '"Nobody asked the fishermen."')
    assert attributed(body, nlp) == [("Olga Brandt", "reported speech/name"),
                                     ("Olga Brandt", "quote continuation"),
                                     ("Olga Brandt", "quote continuation")]


def test_debater_quote_and_pronoun_follow_the_speaker_of_the_quote(nlp):
    body = ("Olga Brandt and Tim Ruiz met in a debate on Friday.\n"
            'Ruiz countered, "The pier pays for itself."\n'
            "He added that the fishermen support it.")
    assert [s for s, _ in attributed(body, nlp)][1:] == ["Tim Ruiz", "Tim Ruiz"]


def test_narrator_by_default_in_news(nlp):
    assert attributed("The pier was built in 1952.", nlp) == [(NARRATOR, "narrator")]


def test_opinion_commentary_is_the_author_but_not_a_plain_report(nlp):
    body = ("The pier is a costly mistake.\n"
            "Olga Brandt argues that the pier will pay for itself.")
    assert attributed(body, nlp, kind="opinion") == [
        ("author:Coast Post", "opinion commentary"), ("Olga Brandt", "reported speech/name")]


def test_opinion_commentary_with_the_writers_marks_stays_the_authors(nlp):
    body = ("The pier is a costly mistake.\n"
            "Olga Brandt insists that it will pay for itself, but do you believe her?")
    assert [s for s, _ in attributed(body, nlp, kind="opinion")] == ["author:Coast Post"] * 2



def test_position_verb_in_an_opinion_piece_is_the_subjects(nlp):
    body = ("The pier is a costly mistake.\n"
            "Japan wants the fishing accord signed before the winter.\n"
            "Harbour critics oppose any new pier on the north shore.")
    assert attributed(body, nlp, kind="opinion") == [
        ("author:Coast Post", "opinion commentary"), ("Japan", "position verb/country"),
        ("Harbour critics", "position verb/unnamed group")]


def test_position_verb_of_each_clause_and_of_a_belief(nlp):
    body = ("The pier is a costly mistake.\n"
            "Japan supports the fishing accord, while Russia wants more time.\n"
            "Analysts fear the accord will fail.")
    assert attributed(body, nlp, kind="opinion")[1:] == [
        ("Japan", "position verb/country"), ("Russia", "position verb/country"),
        ("Analysts", "position verb/unnamed group")]


def test_position_verb_misread_as_a_noun_is_still_the_subjects(nlp):
    body = "The pier is a costly mistake.\nCritics decry plans for a second pier as a folly."
    assert attributed(body, nlp, kind="opinion")[1] == (
        "Critics", "position verb/unnamed group")


def test_a_pledge_carried_by_the_main_verb_is_the_subjects(nlp):
    body = "Olga Brandt arrived at the harbour on Monday with a promise to reopen the old pier."
    assert attributed(body, nlp) == [("Olga Brandt", "position verb/name")]


def test_position_verb_leaves_comparisons_passives_and_the_writer_to_the_author(nlp):
    body = ("The pier is a costly mistake.\n"
            "The council wants a new pier while the port authority wants a bridge.\n"
            "The pier was first proposed by the council in 2019.\n"
            "We want the town to vote on it.")
    assert [s for s, _ in attributed(body, nlp, kind="opinion")] == ["author:Coast Post"] * 4


# -- reference rules


def test_person_pronoun_is_the_last_person_speaker(nlp):
    body = "Olga Brandt opened the meeting. She said the vote would wait."
    assert attributed(body, nlp)[1] == ("Olga Brandt", "reported speech/pronoun")


def test_group_pronoun_is_the_last_group(nlp):
    body = "Fishermen said the pier blocks the bay. They warned of lost catches."
    assert attributed(body, nlp)[1] == ("Fishermen", "reported speech/pronoun")


def test_first_person_in_an_opinion_piece_is_the_author(nlp):
    body = '"The pier must wait until the spring," we wrote in May.'
    assert attributed(body, nlp, kind="opinion") == [
        ("author:Coast Post", "reported speech/first person")]


def test_relative_pronoun_is_the_noun_it_describes(nlp):
    body = "Olga Brandt, who said the pier would flood, left the meeting early."
    assert attributed(body, nlp)[0][0] == "Olga Brandt"


def test_role_description_is_the_person_with_that_role(nlp):
    body = ("Harbour Minister Olga Brandt visited the pier. "
            "The minister said the work would resume in May.")
    assert attributed(body, nlp)[1] == ("Olga Brandt", "reported speech/description")


def test_description_introduced_by_the_next_sentence(nlp):
    body = ("The town's new harbour chief said the pier would be finished. "
            "Olga Brandt took office last week.")
    assert attributed(body, nlp)[0] == ("Olga Brandt", "reported speech/introduced description")


def test_unresolved_role_keeps_the_whole_description(nlp):
    body = "The head of the harbour agency said the pier was safe."
    speaker, rule = attributed(body, nlp)[0]
    assert speaker.startswith("Head of the harbour agency")
    assert rule == "reported speech/unresolved role"


def test_leader_government(nlp):
    body = ("Mayor Olga Brandt took office in May. "
            "The government of Mayor Olga Brandt said the pier would be finished.")
    assert attributed(body, nlp)[1] == ("Brandt administration",
                                        "reported speech/leader government")


def test_listed_people(nlp):
    body = ("Olga Brandt met Tim Ruiz on Monday. "
            "The two leaders said they would share the harbour.")
    assert attributed(body, nlp)[1] == ("Olga Brandt; Tim Ruiz", "reported speech/listed people")


@pytest.mark.parametrize("subject, label", [
    ("Washington", "U.S. government"), ("The White House", "U.S. government"),
    ("Seoul", "South Korean government"), ("Pyongyang", "North Korea"),
    ("Beijing", "China"),
])
def test_country_and_seat_of_government(nlp, subject, label):
    assert attributed(f"{subject} said the harbour talks would go on.", nlp) == [
        (label, "reported speech/country")]


@pytest.mark.parametrize("subject, label", [
    ("Some veteran Japanese officials", "Japanese officials"),
    ("Japanese port officials", "Officials"),  # the nationality is the port's
    ("Japanese observers", "Japanese analysts"),  # a synonym of a canonical group
])
def test_unnamed_group_keeps_its_nationality_only(nlp, subject, label):
    assert attributed(f"{subject} said the pier was unsafe.", nlp) == [
        (label, "reported speech/unnamed group")]


def test_a_synonym_of_a_canonical_group_is_that_group(nlp):
    assert [s for s, _ in attributed("Observers and analysts said the pier was unsafe.", nlp)
            ] == ["Analysts"]


def test_collective_unnamed_speakers(nlp):
    assert attributed("Supporters say the pier will bring tourists.", nlp) == [
        ("Supporters", "reported speech/unnamed group")]


def test_group_of_members(nlp):
    body = "A group of fishermen urged the council to stop the pier."
    assert attributed(body, nlp) == [("Fishermen", "reported speech/unnamed group")]


def test_authored_text_and_group_leader(nlp):
    body = ("A group of councillors sent a letter to the governor, urging a new vote.\n"
            "The letter was signed by Councillor Olga Brandt and 12 other councillors.\n"
            "The councillors note that the pier floods every winter.\n"
            "The letter urges the governor to act before the spring.\n"
            "It also calls for a study of the bay.")
    assert [s for s, _ in attributed(body, nlp)] == ["Olga Brandt", NARRATOR] + ["Olga Brandt"] * 3
    assert [r for _, r in attributed(body, nlp)][3:] == ["reported speech/authored text"] * 2


def test_bill_speaks_for_its_sponsor(nlp):
    body = ("The Harbour Safety Act calls for a new sea wall.\n"
            "The lead sponsor is Senator Olga Brandt.")
    assert attributed(body, nlp)[0] == ("Olga Brandt", "reported speech/authored text")


def test_acronym_defined_in_the_article(nlp):
    body = ("The Harbour Users Alliance (HUA) met on Monday.\n"
            "The HUA said the pier blocks the bay.")
    assert attributed(body, nlp)[1][0] == "Harbour Users Alliance"


def test_body_qualified_by_its_country(nlp):
    body = "Japan's Transport Ministry said the pier meets the rules."
    assert attributed(body, nlp)[0][0] == "Japanese Transport Ministry"


# -- the article as a whole


def test_long_article_is_parsed_in_sections(nlp):
    line = "Olga Brandt said the pier would be finished in May."
    text = "Long harbour report\n\n" + "\n\n".join([line] * 3000) + "\n"
    long = Article(id="long", text=text, title="Long harbour report", kind="news")
    assert len(sections(plan_article(long), len(text), 50_000)) > 1
    claims = extract_claims(long, nlp=nlp)
    assert len(claims) == 3000
    assert {c.speaker for c in claims} == {"Olga Brandt"}
    assert all(long.text[c.start : c.end] == c.text for c in claims)


def test_extract_many_isolates_a_bad_article(nlp):
    good = article("Olga Brandt said the pier would flood.")
    bad = Article(id="bad", text=None)  # type: ignore[arg-type]
    failed = []
    out = list(extract_many([good, bad, good], nlp=nlp,
                            on_error=lambda a, e: failed.append(a.id)))
    assert [a.id for a, _ in out] == ["r", "r"]
    assert failed == ["bad"]


def test_without_a_handler_a_bad_article_is_one_clear_error(nlp):
    with pytest.raises(StancekitError, match="article bad: extraction failed"):
        list(extract_many([Article(id="bad", text=None)], nlp=nlp))  # type: ignore[arg-type]


def test_stated_position(nlp):
    body = "The delay reflects Olga Brandt's position that the pier must wait."
    assert attributed(body, nlp) == [("Olga Brandt", "stated position/name")]


def test_two_clauses_with_two_speakers_are_two_claims(nlp):
    body = ("Olga Brandt has agreed with the council that the pier is needed, "
            "and residents have urged the town to stop it.")
    claims = extract_claims(article(body), nlp=nlp)
    assert [c.speaker for c in claims] == ["Olga Brandt", "Residents"]
    assert claims[1].text.startswith("and residents")


def test_hoping_is_a_stance_in_an_opinion_piece(nlp):
    body = "The pier is a costly mistake.\nThe council is hoping to replace it with a park."
    assert attributed(body, nlp, kind="opinion")[1] == ("Council", "reported speech/collective")


def test_a_future_or_conditional_report_stays_the_writers(nlp):
    body = ("The pier is a costly mistake.\n"
            "If the town asks, the council will not hope for a park.")
    assert [s for s, _ in attributed(body, nlp, kind="opinion")] == ["author:Coast Post"] * 2


def test_body_named_in_apposition(nlp):
    body = ("According to a report released by the campaign Harbour Watch, "
            "the pier floods every winter.")
    assert attributed(body, nlp)[0][0] == "Harbour Watch"


def test_leading_while_contrasts_two_speakers(nlp):
    body = ("While Councillor Ana Ruiz has been vocal in her opposition to the pier, "
            "Councillor Tom Hale has publicly expressed his support.")
    claims = extract_claims(article(body), nlp=nlp)
    assert [c.speaker for c in claims] == ["Ana Ruiz", "Tom Hale"]
    assert claims[1].text.startswith("Councillor Tom Hale")


def test_reporter_analysis_puts_the_position_on_the_actor(nlp):
    body = "Harbour chief Olga Brandt seems to have stepped on the brakes."
    assert attributed(body, nlp) == [("Olga Brandt", "reporter analysis/name")]


def test_a_hyphenated_given_name_is_not_a_subject_of_its_own(nlp):
    body = ("Premier Seo Yong-in left office in May.\n"
            "The former government of Premier Seo Yong-in was supportive of the idea, since it "
            "saw it as a first move.")
    assert attributed(body, nlp)[1] == ("Seo administration", "reported speech/leader government")
    doc = nlp("Park Ji-won spoke.")
    assert [is_hyphen_tail(t) for t in doc] == [False, False, False, True, False, False]


def test_reporter_analysis_in_an_opinion_piece_is_the_actors(nlp):
    body = ("The pier is a costly mistake.\n"
            "Japan seems to stand behind the new fishing rules, but nobody has said so.")
    assert attributed(body, nlp, kind="opinion") == [
        ("author:Coast Post", "opinion commentary"), ("Japan", "reporter analysis/country"),
        ("author:Coast Post", "opinion commentary")]


def test_a_verb_after_what_it_reports_is_a_report_in_an_opinion_piece(nlp):
    body = ("The pier is a costly mistake.\n"
            "Olga Brandt runs the harbour.\n"
            "A second pier would double the catch within a year, Brandt thinks.")
    assert attributed(body, nlp, kind="opinion")[2] == ("Olga Brandt", "reported speech/name")


def test_voiced_concern_is_its_holders(nlp):
    body = ("Fishermen raised concerns that the pier will block the bay.\n"
            "The plan stalled amid concerns that the pier is too costly.")
    assert attributed(body, nlp) == [("Fishermen", "voiced concern/collective"),
                                     (NARRATOR, "narrator")]


def test_voiced_concern_of_a_vague_holder_is_its_critics(nlp):
    body = ("The pier is a costly mistake.\n"
            "A rising number of voices from the fishing trade have aired worries that the pier "
            "would ruin the bay.\n"
            "Yet with mounting doubts among the Norwegian-American community that the pier "
            "pays off, the plan has stalled.")
    assert attributed(body, nlp, kind="opinion")[1:] == [
        ("Critics", "voiced concern/vague holder"),
        ("Norwegian-American critics", "voiced concern/vague holder")]


def test_according_to_a_report_published_by_a_group_is_the_groups(nlp):
    body = ("According to the report “Safe Harbours,” published by the campaign group Sea "
            "Watch, the pier can be rebuilt.")
    assert attributed(body, nlp) == [("Sea Watch", "according to/collective")]


def test_an_organisation_keeps_the_capitalised_words_the_parser_left_out(nlp):
    from spacy.tokens import Span

    doc = nlp("The campaign group Sea Peace Now said the bay is dying.")
    doc.ents = [Span(doc, 3, 5, label="ORG")]
    assert [t.text for t in name_with_tail(doc.ents[0])] == ["Sea", "Peace", "Now"]
    doc = nlp("The Harbour Board Friday said the bay is dying.")
    doc.ents = [Span(doc, 1, 3, label="ORG"), Span(doc, 3, 4, label="DATE")]
    assert [t.text for t in name_with_tail(doc.ents[0])] == ["Harbour", "Board"]


def test_relay_of_a_group_voicing_a_view_in_the_reported_clause(nlp):
    body = 'Olga Brandt said that harbour officials "have voiced deep worries" about the pier.'
    claim = extract_claims(article(body), nlp=nlp)[0]
    assert (claim.speaker, claim.via, claim.rule) == (
        "Officials", "Olga Brandt", "relay/unnamed group")
    body = "Olga Brandt said the council will push for a new vote."
    assert attributed(body, nlp) == [("Olga Brandt", "reported speech/name")]


def test_a_spokesman_voicing_concern_speaks_for_his_body(nlp):
    body = ("The Harbour Board said the pier is unsafe.\n"
            "Board spokesman Tim Ruiz expressed concern that the pier would flood.")
    claim = extract_claims(article(body), nlp=nlp)[1]
    assert (claim.speaker, claim.via, claim.rule) == ("Harbour Board", "Tim Ruiz", "spokesperson")
