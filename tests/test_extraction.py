"""Claim extraction: segmentation, names and each attribution pattern, on constructed texts."""

from __future__ import annotations

import json

import pytest

from stancekit.cli import main
from stancekit.errors import InputError, StancekitError
from stancekit.evaluation import extraction_scores, normalise_speaker
from stancekit.extraction import (
    AliasTable,
    canonical_name,
    extract_claims,
    extract_many,
    load_nlp,
    name_key,
)
from stancekit.extraction.segment import plan_article
from stancekit.records import NARRATOR, Article, Claim, LabeledClaim


@pytest.fixture(scope="module")
def nlp():
    return load_nlp()


def news(body: str, kind: str = "news", title: str = "Budget talks stall") -> Article:
    return Article(id="t", text=f"{title}\n\n{body}\n", title=title, source="Daily Wire",
                   kind=kind)


def speakers(article: Article, nlp, aliases: AliasTable | None = None) -> list[str]:
    return [c.speaker for c in extract_claims(article, aliases=aliases, nlp=nlp)]


def sentences(body: str) -> list[str]:
    article = news(body)
    return [article.text[s.start : s.end] for s in plan_article(article).sentences]


# -- segmentation


def test_sentences_survive_quotes_abbreviations_and_ellipses():
    assert sentences(
        "“We are ready. The vote is on Friday,” Gen. Tom Hale said in the U.S. capital. "
        "The U.S. Senate waits… Nobody knows why. Harry B. Smith disagreed."
    ) == [
        "“We are ready.",
        "The vote is on Friday,” Gen. Tom Hale said in the U.S. capital.",
        "The U.S. Senate waits…",
        "Nobody knows why.",
        "Harry B. Smith disagreed.",
    ]


def test_furniture_datelines_and_bullets():
    article = Article(id="f", title="Talks resume", source="Wire", text=(
        "Talks resume\n\n[ad_1]\n\nKEY POINTS\n- Ministers met in Oslo.\n\n"
        "OSLO (Wire). – Ministers met on Monday.\n"
        "Lima, Dec 9 (Wire) Prices rose again.\n"
        "Paragraph with a list:\n- Exports fell sharply last year.\n"
        "ALSO READ: Another story\n"
        "Disclaimer: Nothing here is advice.\nWe accept no liability for losses.\n"))
    got = [article.text[s.start : s.end] for s in plan_article(article).sentences]
    assert got == ["Ministers met on Monday.", "Prices rose again.", "Paragraph with a list:",
                   "Exports fell sharply last year."]


def test_claims_have_exact_offsets_and_deterministic_ids(nlp):
    article = news("Prices rose. “It hurts,” said Ana Cruz.")
    claims = extract_claims(article, nlp=nlp)
    assert [c.id for c in claims] == ["t-001", "t-002"]
    for claim in claims:
        assert claim.text == article.text[claim.start : claim.end]
        assert claim.article_id == "t"
    assert claims == extract_claims(article, nlp=nlp)


def test_plain_text_whose_first_line_is_a_sentence_keeps_it(nlp):
    article = Article(id="p", text="Farm prices fell sharply last year.\n",
                      title="Farm prices fell sharply last year.")
    assert [c.text for c in extract_claims(article, nlp=nlp)] == [
        "Farm prices fell sharply last year."]


# -- names


def test_name_key_merges_spelling_and_order_variants():
    assert name_key("Kim Yo Jong") == name_key("Kim Yo-jong") == name_key("kim yo-jong")
    assert name_key("Won In-choul") == name_key("In-Choul Won")
    assert name_key("José Ortíz") == name_key("Jose Ortiz")
    assert name_key("Kim Yo-jong") != name_key("Kim Jong-un")


def test_canonical_name_resolves_titles_truncations_and_surnames():
    seen = ["Park Ji-hoon", "Anna Weber"]
    assert canonical_name("Park Ji", seen=seen) == "Park Ji-hoon"
    assert canonical_name("President Park", seen=seen) == "Park Ji-hoon"
    assert canonical_name("Weber’s", seen=seen) == "Anna Weber"
    assert canonical_name("Lee Min Ho", seen=["Lee Min Ho", "Lee Min-ho"]) == "Lee Min-ho"
    assert canonical_name("Someone Else", seen=seen) == "Someone Else"


def test_alias_table(tmp_path):
    path = tmp_path / "speakers.jsonl"
    path.write_text(
        json.dumps({"name": "Anna Weber", "aliases": ["Weber", "the finance minister"],
                    "type": "person", "affiliation": ""}) + "\n"
        + json.dumps({"name": "Ben Weber", "aliases": ["Weber"], "type": "person"}) + "\n"
        + json.dumps({"name": "German government", "aliases": ["Berlin"],
                      "type": "government"}) + "\n", encoding="utf-8")
    table = AliasTable.from_jsonl(path)
    assert table.lookup("The finance minister") == "Anna Weber"
    assert table.lookup("the Berlin") == "German government"
    assert table.lookup("Weber") is None  # two people: ambiguous, so no help
    assert AliasTable.empty().lookup("Berlin") is None
    with pytest.raises(InputError):
        AliasTable.from_jsonl(tmp_path / "missing.jsonl")
    path.write_text("{not json\n", encoding="utf-8")
    with pytest.raises(InputError, match=":1"):
        AliasTable.from_jsonl(path)


def test_load_nlp_reports_a_missing_pipeline():
    with pytest.raises(StancekitError, match="not installed"):
        load_nlp("xx_no_such_pipeline")


# -- attribution patterns


def test_direct_quote_and_quote_continued(nlp):
    article = news("“We will not cut pensions,” said Finance Minister Anna Weber. "
                   "“Not this year, and not next year.”\n"
                   "“The plan is dead,” Weber told reporters. “Nobody wants it. "
                   "Nobody will vote for it.”")
    assert speakers(article, nlp) == ["Anna Weber"] * 5


def test_reported_speech_either_order(nlp):
    article = news("Trade unions will strike next week, Paolo Rossi said on Monday.\n"
                   "Paolo Rossi said the strike would last three days.")
    assert speakers(article, nlp) == ["Paolo Rossi", "Paolo Rossi"]


@pytest.mark.parametrize("sentence", [
    "Senator Maria Lopez warned that the bill would fail.",
    "Senator Maria Lopez urged lawmakers to reject the bill.",
    "Senator Maria Lopez stressed the need for new taxes.",
    "Senator Maria Lopez believes the bill will fail.",
    "Senator Maria Lopez called for a new vote on the bill.",
    "Senator Maria Lopez told reporters the bill would fail.",
    "Senator Maria Lopez expressed doubts about the bill.",
    "The bill will fail, according to Senator Maria Lopez.",
])
def test_speech_and_stance_verbs(nlp, sentence):
    assert speakers(news(sentence), nlp) == ["Maria Lopez"]


def test_participle_clause(nlp):
    article = news("Governor Ruth Adeyemi vetoed the budget on Friday, saying that it "
                   "would bankrupt the state.")
    assert speakers(article, nlp) == ["Ruth Adeyemi"]


def test_pronouns_surnames_and_titles(nlp):
    article = news(
        "Foreign Minister Lars Berg met Trade Secretary Paul Dunn in Oslo on Tuesday.\n"
        "Berg said the talks had been useful.\n"
        "He added that a deal was close.\n"
        "The trade secretary noted that tariffs would stay for now.")
    assert speakers(article, nlp) == [NARRATOR, "Lars Berg", "Lars Berg", "Paul Dunn"]


def test_truncated_hyphenated_name_is_completed(nlp):
    article = news("Opposition leader Park Ji-hoon criticised the budget on Monday.\n"
                   "Park said the cuts would hurt farmers.")
    assert speakers(article, nlp) == ["Park Ji-hoon", "Park Ji-hoon"]


def test_relayed_speech_has_via(nlp):
    article = news(
        "Prime Minister Elena Novak met union leaders on Monday.\n"
        "Novak asked the unions to delay the strike, her spokesman Tom Reyes said in a "
        "statement.\n"
        "The strike would hurt exports, Novak said, according to spokesman Tom Reyes.")
    claims = extract_claims(article, nlp=nlp)
    assert [(c.speaker, c.via) for c in claims[1:]] == [
        ("Elena Novak", "Tom Reyes"), ("Elena Novak", "Tom Reyes")]


@pytest.mark.parametrize(("sentence", "speaker"), [
    ("Analysts say the currency will fall further.", "Analysts"),
    ("European officials warned that the deal could collapse.", "European officials"),
    ("Brazil says the tariffs are illegal.", "Brazil"),
    ("Experts predict that inflation will ease.", "Experts"),
])
def test_collective_speakers(nlp, sentence, speaker):
    assert speakers(news(sentence), nlp) == [speaker]


def test_narrator_for_background(nlp):
    article = news("The bridge was built in 1932. It carries 40,000 cars a day.")
    assert speakers(article, nlp) == [NARRATOR, NARRATOR]


def test_two_speakers_in_one_sentence_are_two_claims(nlp):
    article = news("The ministry has yet to publish its plan, but experts predict it will "
                   "raise taxes.")
    claims = extract_claims(article, nlp=nlp)
    assert [(c.text, c.speaker) for c in claims] == [
        ("The ministry has yet to publish its plan", NARRATOR),
        ("but experts predict it will raise taxes.", "Experts"),
    ]


def test_opinion_commentary_is_the_author(nlp):
    body = ("The council has lost its way. Who benefits from this plan?\n"
            "Even the mayor's allies understand that the plan costs too much.\n"
            "Mayor Ines Roth said the plan would create jobs.\n"
            "Here is what the mayor told the council:\n"
            "Mayor Ines Roth said the plan would create 500 jobs.")
    article = news(body, kind="opinion")
    assert speakers(article, nlp) == ["author:Daily Wire"] * 3 + [
        "Ines Roth", "author:Daily Wire", "Ines Roth"]


def test_opinion_detected_without_metadata(nlp):
    body = ("I have watched this council for years. I think the plan is a mistake.\n"
            "My neighbours agree with me.")
    article = Article(id="o", text=f"Why I oppose the plan\n\n{body}\n",
                      title="Why I oppose the plan", source="Town Blog")
    assert set(speakers(article, nlp)) == {"author:Town Blog"}


def test_alias_table_canonicalises_bodies(nlp):
    table = AliasTable({name_key("Berlin"): "German government"}, {})
    article = news("Berlin says the tariffs are illegal.")
    assert speakers(article, nlp, table) == ["German government"]
    assert speakers(article, nlp) == ["Berlin"]


# -- streaming and the CLI


def test_extract_many_streams_lazily(nlp):
    pulled = []

    def articles():
        for i in range(100):
            pulled.append(i)
            yield Article(id=f"a{i}", text=f"Head\n\nOfficial {i} said prices rose.\n",
                          title="Head")

    stream = extract_many(articles(), nlp=nlp, batch_size=4)
    article, claims = next(stream)
    assert article.id == "a0" and len(claims) == 1
    assert len(pulled) < 20  # not the whole corpus read ahead


def test_cli_extract_writes_jsonl(tmp_path, capsys):
    path = tmp_path / "a.txt"
    path.write_text("Head\n\n“Prices will fall,” said Ana Cruz.\n", encoding="utf-8")
    out = tmp_path / "claims.jsonl"
    assert main(["extract", str(path), "--out", str(out)]) == 0
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert records == [{"id": "a-001", "article": "a", "start": 6, "end": 40,
                        "text": "“Prices will fall,” said Ana Cruz.", "speaker": "Ana Cruz",
                        "via": "", "rule": "reported speech/name"}]
    assert main(["extract", str(tmp_path / "missing.txt")]) == 1
    assert "missing.txt" in capsys.readouterr().err


def test_cli_extract_explain_prints_rule_and_evidence(tmp_path, capsys):
    path = tmp_path / "a.txt"
    path.write_text("Head\n\n“Prices will fall,” said Ana Cruz.\n", encoding="utf-8")
    assert main(["extract", str(path), "--explain"]) == 0
    line = capsys.readouterr().out.strip()
    assert line.split("\t")[:4] == ["a-001", "Ana Cruz", "reported speech/name", "Ana Cruz said"]


# -- evaluation


def test_normalise_speaker():
    assert normalise_speaker("Kim Yo Jong") == normalise_speaker("kim yo-jong")
    assert normalise_speaker("author:ROK Drop") == normalise_speaker("author:Other")
    assert normalise_speaker("Seúl") == normalise_speaker("Seul")


def test_extraction_scores():
    text = "One sentence here. Another sentence here."
    gold = [LabeledClaim(id="g1", text=text[:18], target="x", stance="none", speaker="A; B",
                         article="a", start=0, end=18),
            LabeledClaim(id="g2", text=text[19:], target="x", stance="none", speaker="C",
                         article="a", start=19, end=41)]
    extracted = [Claim("a-1", "a", 0, 18, text[:18], "b; a"),
                 Claim("a-2", "a", 35, 41, text[35:], "C")]
    assert extraction_scores(gold, extracted) == {
        "claim_recall": 0.5, "speaker_accuracy": 1.0, "n_gold": 2, "n_covered": 1}
