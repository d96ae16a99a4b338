"""Training: metrics, folds, speaker masking, model cards, `stancekit train`."""

from __future__ import annotations

import dataclasses
import json
import math

import pytest
from test_baseline import make_claims

from stancekit import ModelError, __version__, load
from stancekit.cli import main
from stancekit.metrics import f_avg, macro_f1, stance_metrics
from stancekit.models import BaselineClassifier, read_card
from stancekit.models.inputs import mask_speaker, mask_speakers
from stancekit.training import (
    MIN_CALIBRATION_CLAIMS,
    REAL_REPEATS,
    TrainOptions,
    calibration_claims,
    cross_validate,
    fit_claims,
    folds_for,
    label_rows,
    oversampled,
    train,
)

QUIET = TrainOptions(quiet=True)


@pytest.mark.parametrize(
    ("text", "speaker", "expected"),
    [
        (
            "Moon Jae-in said peace matters; Moon's aides agreed, as did Jae-in's friends.",
            "Moon Jae-in",
            "[SPEAKER] said peace matters; [SPEAKER]'s aides agreed, as did [SPEAKER]'s friends.",
        ),
        ("Austin met Lloyd's staff.", "Lloyd Austin", "[SPEAKER] met [SPEAKER]'s staff."),
        (
            "Harris and Abrams warned.",
            "Harry Harris; Robert Abrams",
            "[SPEAKER] and [SPEAKER] warned.",
        ),
        ("Moonlight over Moon Bay.", "Moon Jae-in", "Moonlight over [SPEAKER] Bay."),
        (
            "North Korea said South Korea should act.",
            "North Korea",
            "[SPEAKER] said South Korea should act.",
        ),
        ("U.S. officials said so.", "U.S. officials", "[SPEAKER] said so."),
        ("The narrator is silent.", "narrator", "The narrator is silent."),
        ("ROK Drop says no.", "author:ROK Drop", "ROK Drop says no."),
        ("Nobody here.", "", "Nobody here."),
    ],
)
def test_mask_speaker(text: str, speaker: str, expected: str) -> None:
    assert mask_speaker(text, speaker) == expected


def test_mask_speakers_lists() -> None:
    assert mask_speakers(["Moon spoke."], None) == ["Moon spoke."]
    assert mask_speakers(["Moon spoke."], ["Moon Jae-in"]) == ["[SPEAKER] spoke."]
    with pytest.raises(ValueError):
        mask_speakers(["a", "b"], ["x"])


def test_metrics() -> None:
    truth = ["favor", "against", "none", "none"]
    pred = ["favor", "none", "none", "against"]
    figures = stance_metrics(truth, pred)
    assert figures["accuracy"] == 0.5
    assert figures["f_avg"] == pytest.approx((1.0 + 0.0) / 2)
    assert figures["macro_f1"] == pytest.approx((1.0 + 0.0 + 0.5) / 3)
    # A class absent from truth and predictions is left out of F_avg, not scored zero.
    assert f_avg(["favor", "none"], ["favor", "none"]) == 1.0
    assert math.isnan(f_avg(["none"], ["none"]))
    assert macro_f1(["none"], ["none"]) == 1.0


def test_folds_are_grouped_by_article_or_stratified() -> None:
    claims = make_claims()
    folds = folds_for(claims, 5, 0)
    assert len(folds) == 3  # one per article
    for test in folds:
        inside = {claims[i].article for i in test}
        outside = {c.article for i, c in enumerate(claims) if i not in set(test)}
        assert not inside & outside
    no_articles = [c.__class__(**{**c.to_dict(), "article": ""}) for c in claims]
    folds = folds_for(no_articles, 3, 0)
    assert len(folds) == 3
    for test in folds:
        assert {no_articles[i].stance for i in test} == {"against", "favor", "none"}


def test_cross_validate_reports_folds_and_targets() -> None:
    claims = make_claims() + [
        c.__class__(**{**c.to_dict(), "id": "t" + c.id, "target": "sanctions"})
        for c in make_claims()
    ]
    result = cross_validate(BaselineClassifier(), claims, label_rows(claims))
    assert len(result.folds) == 3
    assert set(result.pooled) == {
        "stance_macro_f1",
        "stance_f_avg",
        "stance_accuracy",
        "stance_ece",
        "sentiment_macro_f1",
    }
    assert 0.25 <= result.temperatures["stance_temperature"] <= 8.0
    assert set(result.per_target) == {"end-of-war declaration", "sanctions"}
    mean, std = result.summary()["stance_accuracy"]
    assert 0.0 <= mean <= 1.0 and std >= 0.0


@pytest.mark.parametrize(("n_real", "expected_real_only"), [(MIN_CALIBRATION_CLAIMS, True),
                                                           (MIN_CALIBRATION_CLAIMS - 1, False)])
def test_temperatures_come_from_real_claims_when_there_are_enough(
    n_real: int, expected_real_only: bool
) -> None:
    template = make_claims()[0]
    real = [dataclasses.replace(template, id=f"r{i}") for i in range(n_real)]
    written = [dataclasses.replace(template, id=f"w{i}", origin="written") for i in range(80)]
    chosen = calibration_claims(written[:40] + real + written[40:])
    if expected_real_only:
        assert chosen == list(range(40, 40 + n_real))
    else:
        assert chosen == list(range(80 + n_real))


def test_train_writes_model_and_card(tmp_path) -> None:
    labels = tmp_path / "claims.jsonl"
    labels.write_text("".join(json.dumps(c.to_dict()) + "\n" for c in make_claims()))
    reports = train(
        make_claims(), ["baseline"], tmp_path / "models", QUIET, True, label_files=[labels]
    )
    folder = tmp_path / "models" / "baseline"
    assert reports[0].folder == folder
    assert [r.masked for r in reports[0].cv] == [False, True]
    card = json.loads((folder / "model.json").read_text())
    assert card["method"] == "baseline"
    assert card["stances"] == ["favor", "against", "none"]
    assert card["sentiments"] == ["positive", "negative", "neutral"]
    assert card["targets"] == ["end-of-war declaration"]
    assert card["default_target"] == "end-of-war declaration"
    assert card["settings"]["real_repeats"] == 1  # the baseline's default
    assert card["masked_speakers"] is True
    assert list(card["labels_sha256"]) == [str(labels)]
    assert len(card["labels_sha256"][str(labels)]) == 64
    assert set(card["cv"]) == {"masked", "unmasked"}
    assert card["cv"]["unmasked"]["summary"]["stance_f_avg"]["mean"] >= 0.0
    assert card["stancekit_version"] == __version__ and card["date"]
    assert card["n_labels"] == 12
    assert card["settings"]["C"] > 0 and card["settings"]["folds"] == 3
    assert "NaN" not in (folder / "model.json").read_text()
    assert read_card(folder).method == "baseline"


def test_cli_trains_stance_only_from_csv(tmp_path, capsys) -> None:
    """A CSV without sentiment or article columns: stratified folds, stance-only model."""
    rows = ["text,target,stance"] + [f'"{c.text}",{c.target},{c.stance}' for c in make_claims()]
    (tmp_path / "labels.csv").write_text("\n".join(rows) + "\n")
    argv = ["train", "--labels", str(tmp_path / "labels.csv"), "--method", "baseline"]
    argv += ["--out", str(tmp_path / "models"), "--folds", "3", "--quiet", "--real-repeats", "2"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "baseline" in out and "stance F_avg" in out
    model = load(tmp_path / "models" / "baseline")
    assert model.card.settings["real_repeats"] == 2
    assert model.card.sentiments == []
    assert model.predict(["The declaration brings peace."])[0].sentiment is None


def test_cli_reports_missing_labels(tmp_path, capsys) -> None:
    assert main(["train", "--labels", str(tmp_path / "nope.jsonl"), "--quiet"]) == 1
    assert "nope.jsonl" in capsys.readouterr().err


def test_load_explains_missing_and_broken_folders(tmp_path) -> None:
    with pytest.raises(ModelError, match="no such model folder"):
        load(tmp_path / "absent")
    with pytest.raises(ModelError, match="model.json is missing"):
        load(tmp_path)
    (tmp_path / "model.json").write_text("{not json")
    with pytest.raises(ModelError, match="unreadable model card"):
        load(tmp_path)
    (tmp_path / "model.json").write_text(json.dumps({"method": "baseline"}))
    with pytest.raises(ModelError, match="incomplete model card"):
        load(tmp_path)


def test_labels_load_as_a_dataset(tmp_path) -> None:
    from stancekit.labels import load_dataset

    labels = tmp_path / "claims.jsonl"
    labels.write_text("".join(json.dumps(c.to_dict()) + "\n" for c in make_claims()))
    data = load_dataset(labels)
    assert len(data) == 12 and data[0]["text"] == make_claims()[0].text
    assert set(data["stance"]) == {"favor", "against", "none"}


def test_train_and_evaluate_cross_validate_alike(tmp_path, capsys) -> None:
    """`evaluate --cv yes` refits clones of the saved model on the same folds as `train`,
    with context from the same articles: the same out-of-fold figures."""
    labels = tmp_path / "claims.jsonl"
    labels.write_text("".join(json.dumps(c.to_dict()) + "\n" for c in make_claims()))
    out = tmp_path / "models"
    assert main(["train", "--labels", str(labels), "--method", "baseline", "--context", "yes",
                 "--out", str(out), "--folds", "3", "--quiet"]) == 0
    pooled = read_card(out / "baseline").cv["unmasked"]["pooled"]
    capsys.readouterr()
    assert main(["evaluate", "--labels", str(labels), "--model", str(out / "baseline"),
                 "--cv", "yes", "--folds", "3", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["stance"]["f_avg"] == pytest.approx(pooled["stance_f_avg"])
    assert report["stance"]["macro_f1"] == pytest.approx(pooled["stance_macro_f1"])
    assert report["sentiment"]["macro_f1"] == pytest.approx(pooled["sentiment_macro_f1"])


def test_real_claims_are_repeated_only_beside_written_ones() -> None:
    real = make_claims()[:3]
    written = [dataclasses.replace(c, id="w" + c.id, origin="written") for c in make_claims()[:2]]
    rows = label_rows(real + written)
    assert oversampled(real, rows[:3], 3) == (real, rows[:3])
    claims, out_rows = oversampled(real + written, rows, 2)
    assert [c.id for c in claims] == [real[0].id] * 2 + [real[1].id] * 2 + [real[2].id] * 2 + [
        c.id for c in written]
    assert out_rows == [rows[0]] * 2 + [rows[1]] * 2 + [rows[2]] * 2 + rows[3:]
    assert REAL_REPEATS == {"baseline": 1, "finetuned": 3}
    mixed = make_claims()
    mixed = mixed[:6] + [dataclasses.replace(c, origin="written") for c in mixed[6:]]
    model = fit_claims(BaselineClassifier(), mixed, label_rows(mixed), real_repeats=2)
    assert model.card.n_labels == len(mixed)  # the labels given, not the rows read
    assert model.card.settings["real_repeats"] == 2
