"""Opinion or news from the text alone, on short articles written for these tests."""

from __future__ import annotations

import pytest

from stancekit.extraction.genre import FEATURES, infer_kind, kind_features, with_kind
from stancekit.records import Article


def article(title: str, body: str, **fields: str) -> Article:
    return Article(id="t", text=f"{title}\n\n{body}\n", title=title, **fields)


EDITORIAL = article("Editorial: A bridge too far", (
    "The city council voted on a plan to sell the old harbour bridge to a private operator. "
    "This would be a serious mistake.\n\n"
    "A bridge that thousands cross every day is not a mere asset on a balance sheet. "
    "The council should withdraw the plan and must hold public hearings first.\n\n"
    "Selling it now, in a hurry, would be reckless."
))

OP_ED = article("Why we should stop ignoring the river", (
    "Every spring the river floods the lower town, and every spring we act surprised. "
    "How many more warnings do we need?\n\n"
    "I have lived beside the river for thirty years. Our leaders know the levees are weak, "
    "yet they keep postponing the repairs. Is that prudent? It is not.\n\n"
    "You do not have to be an engineer to see the danger. We must fund the repairs this year."
))

WIRE_REPORT = article("Port authority says cargo volumes rose in May", (
    "HAMBURG, June 3 (Harbour Wire) -- Cargo volumes at the port rose 4 percent in May, "
    "the port authority said on Tuesday.\n\n"
    "\"We handled more containers than in any May before,\" spokesperson Lena Vogt told "
    "reporters at a briefing.\n\n"
    "Shipping lines added two weekly services to Asia, according to the authority. "
    "Vogt said the figures for June would be published on Monday."
))

BLOG_POST = article("The new bus timetable is a disaster", (
    "I tried the new timetable this morning. Big mistake.\n\n"
    "The 7:15 never came, and neither did the 7:30. What exactly were the planners thinking? "
    "If you rely on the number 12 to get to work, good luck.\n\n"
    "The transit agency says the changes will cut waiting times. I will believe it when I see it. "
    "Honestly, who approved this?"
))


@pytest.mark.parametrize(("piece", "kind"), [
    (EDITORIAL, "opinion"), (OP_ED, "opinion"), (BLOG_POST, "opinion"), (WIRE_REPORT, "news"),
])
def test_kind_of_each_genre(piece, kind):
    guess = infer_kind(piece)
    assert guess.kind == kind
    assert 0.5 <= guess.confidence <= 1.0
    assert guess.evidence  # the features that decided it


def test_features_read_the_writer_not_the_quotes():
    features = kind_features(WIRE_REPORT)
    assert features["dateline"] == 1.0
    assert features["first person"] == 0.0  # "We handled ..." is inside a quotation
    assert features["attribution"] > 0.5
    assert features["news-time"] > 0.0
    op_ed = kind_features(OP_ED)
    assert op_ed["first person"] == 1.0 and op_ed["rhetorical questions"] > 0.5
    assert op_ed["second person"] > 0.0 and op_ed["obligation modals"] > 0.0
    assert kind_features(EDITORIAL)["genre label"] == 1.0


def test_a_genre_label_outweighs_a_dateline():
    commentary = article("Harbour plan is no gift: Commentary", (
        "RIVERTON, May 2 (City Wire) -- The harbour plan should have been dropped long ago. "
        "It serves nobody but its authors."
    ))
    assert infer_kind(commentary).kind == "opinion"


def test_sign_off_marks_an_op_ed():
    signed = article("Rail freight and the regions", (
        "Rail freight carried more goods last year than in any year since 1990. "
        "Regional lines carried a third of it.\n\n"
        "The writer is a senior fellow at the Institute for Transport Studies."
    ))
    assert kind_features(signed)["genre label"] == 1.0


def test_with_kind_fills_only_an_unknown_kind():
    inferred = with_kind(OP_ED)
    assert inferred.kind == "opinion" and inferred.kind_confidence is not None
    given = article("Port figures", "Cargo rose, the port said.", kind="opinion")
    assert with_kind(given) is given and given.kind_confidence is None


def test_every_feature_has_a_weight_and_a_value():
    assert set(kind_features(EDITORIAL)) == {name for name, _ in FEATURES}


def test_genre_words_count_only_as_labels():
    label = article("Taxes and trade | Opinion", "Trade grew.")
    in_header = Article(id="h", title="Taxes and trade",
                        text="OPINION\nTaxes and trade\n\nTrade grew.\n")
    word = article("Public opinion shifts on trade", "Trade grew, the ministry said on Monday.")
    assert kind_features(label)["genre label"] == 1.0
    assert kind_features(in_header)["genre label"] == 1.0
    assert kind_features(word)["genre label"] == 0.0


def test_no_evidence_reads_as_news():
    guess = infer_kind(article("Harbour", "The harbour opened in 1890."))
    assert guess.kind == "news" and guess.evidence == ()
