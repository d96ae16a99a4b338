"""Evaluation figures against values computed by hand on tiny labeled sets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stancekit.cli import main
from stancekit.evaluation import (
    expected_calibration_error,
    extraction_scores,
    gold_directions,
    gold_positions,
    sentiment_report,
    sign_agreement,
    stance_report,
)
from stancekit.labels import load_labels
from stancekit.records import Claim, LabeledClaim, Prediction, SpeakerPosition
from stancekit.training import TrainOptions, train

ROOT = Path(__file__).resolve().parent.parent


def pred(stance: str, confidence: float, sentiment: str | None = None) -> Prediction:
    others = [s for s in ("favor", "against", "none") if s != stance]
    probs = {stance: confidence, **{s: (1 - confidence) / 2 for s in others}}
    return Prediction(stance, probs, sentiment, {sentiment: 1.0} if sentiment else {})


def test_stance_report_matches_hand_computation():
    gold = ["favor", "against", "none", "none"]
    predictions = [pred("favor", 0.8), pred("none", 0.6), pred("none", 0.9), pred("favor", 0.5)]
    report = stance_report(gold, predictions)
    f1_favor, f1_none = 2 * 0.5 * 1 / 1.5, 0.5
    assert report["accuracy"] == pytest.approx(0.5)
    assert report["per_class"]["favor"] == pytest.approx(
        {"precision": 0.5, "recall": 1.0, "f1": f1_favor, "support": 1})
    assert report["per_class"]["against"]["f1"] == 0.0
    assert report["per_class"]["none"]["f1"] == pytest.approx(f1_none)
    assert report["macro_f1"] == pytest.approx((f1_favor + 0 + f1_none) / 3)
    assert report["f_avg"] == pytest.approx((f1_favor + 0) / 2)
    assert report["confusion"] == {"labels": ["favor", "against", "none"],
                                   "matrix": [[1, 0, 0], [0, 0, 1], [1, 0, 1]]}
    # one prediction per bin: |1-.8|, |0-.6|, |1-.9|, |0-.5|
    assert report["ece"] == pytest.approx((0.2 + 0.6 + 0.1 + 0.5) / 4)


def test_ece_pools_predictions_in_a_bin():
    # both in bin [0.7, 0.8): accuracy 0.5, mean confidence 0.75 -> 0.25
    assert expected_calibration_error([0.72, 0.78], [True, False]) == pytest.approx(0.25)
    assert expected_calibration_error([1.0, 1.0], [True, True]) == pytest.approx(0.0)


def test_sentiment_report_skips_claims_without_gold_sentiment():
    gold = ["positive", "negative", None, "neutral"]
    predictions = [pred("none", 0.9, s) for s in ("positive", "positive", "neutral", "neutral")]
    report = sentiment_report(gold, predictions)
    assert report["n"] == 3
    assert report["accuracy"] == pytest.approx(2 / 3)
    assert report["macro_f1"] == pytest.approx((2 / 3 + 0 + 1) / 3)


def label(i: int, speaker: str, stance: str, article: str = "a", start: int = 0,
          end: int = 10) -> LabeledClaim:
    return LabeledClaim(id=str(i), text="t", target="x", stance=stance, speaker=speaker,
                        article=article, start=start, end=end)


def test_speaker_sign_agreement():
    gold = [label(1, "Ann", "favor"), label(2, "Ann; Bo", "favor"), label(3, "Bo", "against"),
            label(4, "Bo", "against"), label(5, "narrator", "favor"),
            label(6, "narrator", "favor"), label(7, "Cy", "favor"), label(8, "Cy", "against"),
            label(9, "Di", "against"), label(10, "Di", "against")]
    directions = gold_directions(gold)
    assert directions == {"Ann": 1, "Bo": -1, "Di": -1}  # Cy ties, narrator is left out
    positions = [SpeakerPosition("ann", 2, 2, 0.4, 0.1, 0.6, "favor", 0.0),
                 SpeakerPosition("Bo", 3, 2, 0.1, -0.2, 0.3, "mixed", 0.0)]
    result = sign_agreement(directions, positions)
    assert result["n"] == 3
    assert result["sign_agreement"] == pytest.approx(1 / 3)  # Ann agrees; Bo wrong; Di missing
    assert [r["agrees"] for r in result["speakers"]] == [True, False, False]


def test_speaker_interval_coverage_and_found_share():
    gold = [label(1, "Ann", "favor"), label(2, "Ann", "favor"), label(3, "Ann", "none"),
            label(4, "Bo", "against"), label(5, "Bo", "against"), label(6, "Bo", "favor"),
            label(7, "Di", "against"), label(8, "Di", "against")]
    truth = gold_positions(gold)
    assert truth["Ann"] == pytest.approx(2 / 2.5) and truth["Bo"] == pytest.approx(-1 / 3.5)
    positions = [SpeakerPosition("Ann", 3, 2, 0.5, 0.1, 0.85, "favor", 0.0),  # covers 0.8
                 SpeakerPosition("Bo", 3, 2, 0.1, 0.05, 0.6, "mixed", 0.0),  # all > 0
                 SpeakerPosition("D.", 2, 2, -0.6, -0.9, -0.2, "against", 0.0)]  # not found
    result = sign_agreement(gold_directions(gold), positions, truth)
    assert result["found"] == pytest.approx(2 / 3)
    assert result["interval_coverage"] == pytest.approx(1 / 3)
    assert result["interval_reaches_gold_side"] == pytest.approx(1 / 3)  # Bo's stays > 0
    assert [r["covers_gold"] for r in result["speakers"]] == [True, False, False]


def test_authors_match_by_source_or_as_the_only_author():
    gold = [label(i, speaker, "favor") for i, speaker in enumerate(
        ["author:Harbour Blog", "author:Harbour Blog", "author:Canal Notes", "author:Canal Notes"])]
    two = [SpeakerPosition("author:harbour blog", 2, 2, 0.5, 0.1, 0.8, "favor", 0.0),
           SpeakerPosition("author:Other Site", 2, 2, -0.5, -0.8, -0.1, "against", 0.0)]
    result = sign_agreement(gold_directions(gold), two)
    assert [(r["speaker"], r["found"]) for r in result["speakers"]] == [
        ("author:Canal Notes", False), ("author:Harbour Blog", True)]
    one = sign_agreement(gold_directions(gold), two[1:])
    assert one["found"] == 1.0 and one["sign_agreement"] == 0.0


def test_extraction_scores_half_overlap_and_speaker_names():
    gold = [label(1, "Kim Yo-jong", "none", start=0, end=10),
            label(2, "author:Blog", "none", start=20, end=30),
            label(3, "Ann", "none", start=40, end=50)]
    extracted = [Claim("e1", "a", 0, 6, "", "Kim Yo Jong"),     # covers 6/10, same name
                 Claim("e2", "a", 24, 40, "", "author:Other"),  # covers 6/10, author matches
                 Claim("e3", "a", 46, 60, "", "Ann")]           # covers 4/10: not covered
    scores = extraction_scores(gold, extracted)
    assert scores == {"claim_recall": 2 / 3, "speaker_accuracy": 1.0, "n_gold": 3,
                      "n_covered": 2}


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> tuple[Path, Path]:
    """A baseline trained by `train` on the labels of three seed articles."""
    folder = tmp_path_factory.mktemp("eval")
    keep = ("000", "001", "002")
    lines = [line for line in (ROOT / "labels" / "claims.jsonl").read_text("utf-8").splitlines()
             if json.loads(line)["article"][:3] in keep]
    labels_file = folder / "subset.jsonl"
    labels_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    train(load_labels(labels_file), ["baseline"], folder / "models",
          TrainOptions(folds=3, quiet=True), label_files=[labels_file])
    return labels_file, folder / "models" / "baseline"


def test_cli_evaluate_json_cross_validates_a_model_trained_on_the_labels(trained, tmp_path,
                                                                         capsys):
    labels_file, model = trained
    articles = tmp_path / "articles"
    articles.mkdir()
    for path in (ROOT / "seeds").glob("00[012]_*.txt"):
        (articles / path.name).write_bytes(path.read_bytes())
    code = main(["evaluate", "--labels", str(labels_file), "--model", str(model),
                 "--articles", str(articles), "--folds", "3", "--json"])
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert report["cross_validated"] is True
    for section, key in [("stance", "macro_f1"), ("stance", "f_avg"), ("stance", "accuracy"),
                         ("sentiment", "macro_f1"), ("sentiment", "accuracy"),
                         ("extraction", "claim_recall"), ("extraction", "speaker_accuracy"),
                         ("speakers", "sign_agreement"), ("speakers", "n")]:
        assert report[section][key] is not None, (section, key)
    assert report["extraction"]["n_gold"] == 110
    assert 0 <= report["stance"]["accuracy"] <= 1 and report["speakers"]["n"] >= 5


def test_cli_evaluate_tables_without_cv(trained, capsys):
    labels_file, model = trained
    assert main(["evaluate", "--labels", str(labels_file), "--model", str(model),
                 "--cv", "no"]) == 0
    out = capsys.readouterr().out
    assert "Classification on 110 gold claims (as trained)" in out
    assert "Speaker positions" in out
