"""The baseline: estimator contract, fast n-gram counts, targets, save/load."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest
import skops.io as sio
from sklearn.base import clone
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression

from stancekit import ModelError, Prediction, load
from stancekit.models.baseline import (
    BaselineClassifier,
    CharNgrams,
    DecomposedStanceRegression,
    WordNgrams,
    probabilities,
    tfidf_features,
)
from stancekit.records import LabeledClaim
from stancekit.training import fit_claims, label_rows

FAVOR = [
    "Moon urged Washington to back the end-of-war declaration as a path to peace.",
    "The declaration would open the door to dialogue with the North, Moon said.",
    "Lee said a formal end to the war would build trust and bring lasting peace.",
    "Supporters hope the declaration will revive the stalled talks.",
]
AGAINST = [
    "Critics warned the declaration would weaken deterrence and the alliance.",
    "Harris said declaring an end to the war now would be premature and dangerous.",
    "Opponents argue the declaration rewards Pyongyang without any denuclearization.",
    "Abrams cautioned that the declaration could undermine the UN Command.",
]
NONE = [
    "Austin arrived in Seoul on Thursday for annual security talks.",
    "The war ended in an armistice in 1953, not a peace treaty.",
    "The meeting lasted about an hour, officials said.",
    "Yonhap news agency reported the visit on Friday.",
]
SENTIMENT = {"favor": "positive", "against": "negative", "none": "neutral"}


def make_claims(
    target: str = "end-of-war declaration", sentiment: bool = True, prefix: str = ""
) -> list[LabeledClaim]:
    claims = []
    for stance, texts in (("favor", FAVOR), ("against", AGAINST), ("none", NONE)):
        for i, text in enumerate(texts):
            claims.append(
                LabeledClaim(
                    id=f"{prefix}{stance}-{i}",
                    text=text,
                    target=target,
                    stance=stance,
                    sentiment=SENTIMENT[stance] if sentiment else None,
                    speaker="Moon Jae-in" if "Moon" in text else "narrator",
                    article=f"a{i % 3}",
                )
            )
    return claims


def fit(claims: list[LabeledClaim], **params) -> BaselineClassifier:
    """A baseline fitted on labeled claims, as `train` fits it."""
    return fit_claims(BaselineClassifier(**params), claims, label_rows(claims))


def test_classifier_estimator_contract() -> None:
    texts = FAVOR + AGAINST + NONE
    y = ["favor"] * 4 + ["against"] * 4 + ["none"] * 4
    clf = BaselineClassifier(C=5.0)
    assert clone(clf).get_params()["C"] == 5.0
    assert clf.fit(texts, y) is clf
    assert list(clf.classes_) == ["favor", "against", "none"]
    probs = clf.predict_proba(texts)
    assert probs.shape == (12, 3)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-6)
    assert [p.stance for p in clf.predict(texts)] == y
    assert clf.score(texts, y) == 1.0


def test_decomposed_stance_is_relevance_times_side() -> None:
    texts = FAVOR + AGAINST + NONE
    y = np.array(["favor"] * 4 + ["against"] * 4 + ["none"] * 4, dtype=object)
    matrix = BaselineClassifier().fit(texts, y).features_.transform(texts)
    model = DecomposedStanceRegression(C=3.0)
    assert clone(model).get_params() == {"C": 3.0, "none_label": "none"}
    model.fit(matrix, y)
    assert list(model.classes_) == ["against", "favor", "none"]
    probs = model.predict_proba(matrix)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    taken = model.relevance_.predict_proba(matrix)[:, list(model.relevance_.classes_).index(True)]
    np.testing.assert_allclose(probs[:, 2], 1.0 - taken, rtol=1e-5)
    side = model.side_.predict_proba(matrix)
    favor = list(model.side_.classes_).index("favor")
    np.testing.assert_allclose(probs[:, 1], taken * side[:, favor], rtol=1e-5)
    assert list(model.predict(matrix)) == list(y)


@pytest.mark.parametrize(
    ("stances", "structure", "expected"),
    [
        (("favor", "against", "none"), "decomposed", DecomposedStanceRegression),
        (("favor", "against", "none"), "flat", LogisticRegression),
        (("favor", "against"), "decomposed", LogisticRegression),  # no none label
        (("favor", "none"), "decomposed", LogisticRegression),  # one side only
    ],
)
def test_stance_structure_falls_back_to_one_regression(stances, structure, expected) -> None:
    claims = [c for c in make_claims() if c.stance in stances]
    model = fit(claims, stance_structure=structure)
    assert type(model.stance_model_) is expected
    assert sorted(model.classes_) == sorted(stances)


@pytest.mark.parametrize(
    ("counter", "vectorizer"),
    [
        (WordNgrams((1, 2)), CountVectorizer(ngram_range=(1, 2))),
        (CharNgrams((2, 5)), CountVectorizer(analyzer="char", ngram_range=(2, 5))),
    ],
)
def test_hashed_counts_match_scikit_learn(counter, vectorizer) -> None:
    """Same n-grams and counts as CountVectorizer, only the columns in another order."""
    texts = FAVOR + AGAINST + ["Ünïcode   and  extra   spaces: déjà vu déjà vu."]
    ours = counter.fit(texts).transform(texts).toarray()
    theirs = vectorizer.fit(texts).transform(texts).toarray()
    assert ours.shape == theirs.shape
    columns = lambda m: sorted(map(tuple, m.T.tolist()))  # noqa: E731
    assert columns(ours) == columns(theirs)
    unseen = counter.transform(["zzzz qqqq"]).toarray()
    assert unseen.sum() == 0


@pytest.mark.parametrize("n_classes", [2, 3])
def test_fast_prediction_path_matches_scikit_learn(n_classes: int) -> None:
    texts = (FAVOR + AGAINST + NONE)[: 4 * n_classes]
    y = (["favor"] * 4 + ["against"] * 4 + ["none"] * 4)[: 4 * n_classes]
    clf = BaselineClassifier().fit(texts, y)
    new = ["Peace talks will resume.", "", "Moon Moon Moon warned the declaration is premature."]
    fast = tfidf_features(clf.features_, new)
    np.testing.assert_allclose(fast.toarray(), clf.features_.transform(new).toarray(), rtol=1e-5)
    slow = clf.stance_model_.predict_proba(clf.features_.transform(new))
    in_card_order = [list(clf.stance_model_.classes_).index(c) for c in clf.classes_]
    slow = slow[:, in_card_order]
    fast_probabilities = probabilities(clf.stance_model_, fast, list(clf.classes_))
    np.testing.assert_allclose(fast_probabilities, slow, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(clf.predict_proba(new), slow, rtol=1e-5, atol=1e-7)


def test_model_predicts_both_tasks_and_round_trips(tmp_path) -> None:
    model = fit(make_claims())
    texts = ["Moon called for the declaration to bring peace.", "Critics warned it is dangerous."]
    predictions = model.predict(texts)
    assert all(isinstance(p, Prediction) for p in predictions)
    assert predictions[0].stance == "favor" and predictions[1].stance == "against"
    assert predictions[0].sentiment in ("positive", "negative", "neutral")
    assert sum(predictions[0].stance_probs.values()) == pytest.approx(1.0)
    assert model.predict([]) == []
    many = model.predict(texts * 200)  # several chunks
    assert len(many) == 400 and many[-1] == predictions[-1]

    model.save_pretrained(tmp_path)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["README.md", "baseline.skops", "model.json"]
    assert (tmp_path / "README.md").read_text().startswith("---\nlibrary_name: sklearn")
    loaded = load(tmp_path)
    assert isinstance(loaded, BaselineClassifier)
    assert loaded.get_params() == model.get_params()
    assert loaded.predict(texts) == predictions


def test_several_targets_condition_the_stance() -> None:
    """The same words read as favor toward one target and against another."""
    one = make_claims("end-of-war declaration", prefix="x")
    flipped = {"favor": "against", "against": "favor", "none": "none"}
    other = [
        LabeledClaim(
            **{**c.to_dict(), "id": "y" + c.id, "target": "sanctions", "stance": flipped[c.stance]}
        )
        for c in make_claims()
    ]
    model = fit(one + other)
    assert model.card.targets == ["end-of-war declaration", "sanctions"]
    assert model.card.default_target == "end-of-war declaration"
    text = ["Supporters hope the declaration will bring lasting peace."]
    assert model.predict(text)[0].stance == "favor"
    assert model.predict(text, target="sanctions")[0].stance == "against"
    both = model.predict(text * 2, target=["end-of-war declaration", "sanctions"])
    assert [p.stance for p in both] == ["favor", "against"]


def test_stance_only_labels_give_a_stance_only_model(tmp_path) -> None:
    model = fit(make_claims(sentiment=False))
    assert model.card.sentiments == [] and model.sentiment_model_ is None
    prediction = model.predict(["Critics warned of danger."])[0]
    assert prediction.sentiment is None and prediction.sentiment_probs == {}
    model.save_pretrained(tmp_path)
    assert load(tmp_path).predict(["Critics warned of danger."])[0] == prediction


def test_masked_model_masks_at_predict_time() -> None:
    model = fit(make_claims(), mask_speakers=True)
    assert model.card.masked_speakers
    text = ["Moon Jae-in spoke."]
    # The name is masked away, so the speaker's identity cannot move the prediction.
    assert model.predict(text, speakers=["Moon Jae-in"]) == model.predict(
        ["[SPEAKER] spoke."], speakers=["Moon Jae-in"]
    )


def test_load_refuses_untrusted_and_broken_files(tmp_path) -> None:
    model = fit(make_claims())
    model.save_pretrained(tmp_path)
    sio.dump(
        {"features": model.features_, "stance": Fraction(1, 3)},  # a type skops does not trust
        tmp_path / "baseline.skops",
    )
    # verify=False: past the file digests (which refuse both first), to skops's own checks.
    with pytest.raises(ModelError, match="refusing to load untrusted types"):
        load(tmp_path, verify=False)
    (tmp_path / "baseline.skops").write_bytes(b"not a zip")
    with pytest.raises(ModelError, match="unreadable baseline model"):
        load(tmp_path, verify=False)
    card = json.loads((tmp_path / "model.json").read_text())
    (tmp_path / "model.json").write_text(json.dumps({**card, "method": "magic"}))
    with pytest.raises(ModelError, match="not a stancekit model card"):
        load(tmp_path)


def test_sample_weights_decide_between_conflicting_labels() -> None:
    texts = FAVOR + AGAINST + NONE + ["The envoy spoke about the declaration."] * 2
    y = ["favor"] * 4 + ["against"] * 4 + ["none"] * 4 + ["favor", "against"]
    for heavy, expected in ((12, "favor"), (13, "against")):
        weights = np.ones(len(texts))
        weights[heavy] = 20.0
        clf = BaselineClassifier(stance_structure="flat").fit(texts, y, sample_weight=weights)
        assert clf.predict(["The envoy spoke about the declaration."])[0].stance == expected


@pytest.mark.parametrize("weights", [[1.0] * 11, [1.0] * 11 + [0.0], [1.0] * 11 + [np.nan]])
def test_bad_sample_weights_are_refused(weights) -> None:
    texts, y = FAVOR + AGAINST + NONE, ["favor"] * 4 + ["against"] * 4 + ["none"] * 4
    with pytest.raises(ValueError, match="sample weights"):
        BaselineClassifier().fit(texts, y, sample_weight=weights)
