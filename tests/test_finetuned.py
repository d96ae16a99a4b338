"""The fine-tuned model: a few training steps on a few claims, offline."""

from __future__ import annotations

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from test_baseline import make_claims  # noqa: E402
from transformers import AutoTokenizer, BertConfig, BertModel  # noqa: E402

import stancekit.models.finetuned as finetuned  # noqa: E402
from stancekit import ModelError, load  # noqa: E402
from stancekit.integrity import sha256_of  # noqa: E402
from stancekit.models.finetune import IGNORE, FineTuneSettings, WeightedCrossEntropy  # noqa: E402
from stancekit.models.finetuned import BUNDLED_SHA256, FineTunedClassifier  # noqa: E402
from stancekit.training import fit_claims, label_rows  # noqa: E402

TEXTS = ["Moon urged support for the declaration.", "Critics warned it is premature.", "Hi."]
FAST = FineTuneSettings(epochs=1, batch_size=4, seed=3)


def fit(claims, **params) -> FineTunedClassifier:
    """A fine-tuned model fitted on labeled claims with the fast settings, as `train` fits."""
    return fit_claims(FineTunedClassifier(settings=FAST, **params), claims, label_rows(claims))


@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory) -> str:
    """A tiny random BERT with MiniLM's tokenizer: fine-tunes in moments."""
    folder = tmp_path_factory.mktemp("tiny-bert")
    tokenizer = AutoTokenizer.from_pretrained(finetuned.bundled_model_path())
    config = BertConfig(
        vocab_size=tokenizer.vocab_size,
        hidden_size=32,
        num_hidden_layers=3,
        num_attention_heads=2,
        intermediate_size=64,
    )
    torch.manual_seed(0)
    BertModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return str(folder)


@pytest.fixture(scope="module")
def model(tiny_base: str) -> FineTunedClassifier:
    return fit(make_claims(), base_model=tiny_base)


def test_bundled_minilm_fine_tunes_and_is_recorded() -> None:
    m = fit(make_claims()[:6])
    assert m.card.method == "finetuned"
    assert m.card.base_model == finetuned.BUNDLED_MODEL
    assert m.card.base_model_sha256 == BUNDLED_SHA256
    assert m.card.settings["settings"]["epochs"] == 1 and m.card.settings["settings"]["seed"] == 3
    assert m.predict(TEXTS)[0].stance in ("favor", "against", "none")


def test_predicts_both_tasks_in_one_pass(model: FineTunedClassifier) -> None:
    predictions = model.predict(TEXTS)
    assert len(predictions) == 3
    for p in predictions:
        assert set(p.stance_probs) == {"favor", "against", "none"}
        assert set(p.sentiment_probs) == {"positive", "negative", "neutral"}
        assert p.stance == max(p.stance_probs, key=p.stance_probs.get)
        assert sum(p.sentiment_probs.values()) == pytest.approx(1.0, abs=1e-5)
    # Batching and length sorting do not change the answers.
    one_by_one = [model.predict([t])[0] for t in TEXTS]
    for a, b in zip(predictions, one_by_one, strict=True):
        assert a.stance_probs == pytest.approx(b.stance_probs, abs=1e-5)
    assert model.predict([]) == []


def test_save_load_round_trip(model: FineTunedClassifier, tmp_path) -> None:
    model.save_pretrained(tmp_path)
    names = {p.name for p in tmp_path.iterdir()}
    assert {"model.json", "config.json", "model.safetensors", "tokenizer.json"} <= names
    assert not any(n.endswith((".bin", ".pt", ".pkl")) for n in names)
    assert (tmp_path / "README.md").read_text().startswith("---\nlibrary_name: transformers")
    loaded = load(tmp_path)
    assert isinstance(loaded, FineTunedClassifier)
    assert loaded.get_params() == model.get_params()
    for again, before in zip(loaded.predict(TEXTS), model.predict(TEXTS), strict=True):
        assert again.stance == before.stance and again.sentiment == before.sentiment
        assert again.stance_probs == pytest.approx(before.stance_probs, abs=1e-6)
        assert again.sentiment_probs == pytest.approx(before.sentiment_probs, abs=1e-6)
    quantized = load(tmp_path, quantize=True).predict(TEXTS)
    assert [p.stance for p in quantized] and quantized[0].sentiment is not None


def test_training_is_repeatable_and_records_a_chosen_base_model(
    model: FineTunedClassifier, tiny_base: str
) -> None:
    """A user-chosen base model is not checked, but its weights' sha256 is recorded."""
    again = fit(make_claims(), base_model=tiny_base)
    assert again.card.base_model == tiny_base
    assert again.card.base_model_sha256 == sha256_of(f"{tiny_base}/model.safetensors")
    assert again.predict(TEXTS) == model.predict(TEXTS)


def test_stance_only_masked_model(tiny_base: str) -> None:
    m = fit(make_claims(sentiment=False), mask_speakers=True, base_model=tiny_base)
    assert m.card.masked_speakers and m.card.sentiments == []
    assert m.net_.sentiment_head is None
    p = m.predict(["Moon Jae-in spoke."], speakers=["Moon Jae-in"])[0]
    assert p.sentiment is None and p.sentiment_probs == {}
    assert m.predict(["[SPEAKER] spoke."])[0] == p


def test_bundled_model_with_wrong_sha256_is_refused(tmp_path, monkeypatch) -> None:
    (tmp_path / "model.safetensors").write_bytes(b"tampered")
    monkeypatch.setattr(finetuned, "bundled_model_path", lambda: str(tmp_path))
    with pytest.raises(ModelError, match="integrity check"):
        fit(make_claims())


def test_the_bundled_models_hub_id_resolves_offline_to_the_package() -> None:
    name, location, sha = finetuned.resolve_base_model(finetuned.BUNDLED_MODEL)
    assert (name, location, sha) == (finetuned.BUNDLED_MODEL, finetuned.bundled_model_path(),
                                     BUNDLED_SHA256)


def test_missing_weights_is_a_model_error(model: FineTunedClassifier, tmp_path) -> None:
    model.save_pretrained(tmp_path)
    (tmp_path / "model.safetensors").unlink()
    with pytest.raises(ModelError, match="model.safetensors is missing"):
        load(tmp_path)


def synthetic_claims(n: int) -> list:
    """`n` claims made from templates: stance from the verb, sentiment from the adjective."""
    from stancekit.records import LabeledClaim

    verbs = {"favor": ["backs", "welcomes", "urges"], "against": ["rejects", "opposes", "fears"],
             "none": ["mentions", "describes", "reports on"]}
    moods = {"favor": "hopeful", "against": "grim", "none": "plain"}
    sentiment = {"favor": "positive", "against": "negative", "none": "neutral"}
    claims = []
    for i in range(n):
        stance = ("favor", "against", "none")[i % 3]
        verb = verbs[stance][(i // 3) % 3]
        text = f"Speaker {i % 17} {verb} the plan in a {moods[stance]} note number {i}."
        claims.append(LabeledClaim(f"s{i}", text, "the plan", stance, sentiment[stance],
                                   article=f"doc{i % 40}"))
    return claims


def test_the_schedule_is_sized_by_the_data() -> None:
    from stancekit.models.finetune import plan_schedule

    few = plan_schedule(149, FineTuneSettings())
    assert (few.n_validation, few.steps_per_epoch, few.epochs) == (0, 10, 8)  # ~80 steps
    many = plan_schedule(2900, FineTuneSettings())  # a multi-target tweet benchmark's size
    assert many.n_validation == 290 and many.n_train == 2610
    assert many.epochs == 3 and many.epochs * many.steps_per_epoch >= 480  # not one epoch
    assert plan_schedule(2900, FineTuneSettings(epochs=5)).epochs == 5
    assert plan_schedule(30, FineTuneSettings()).epochs == 12  # capped


def test_a_larger_set_trains_with_early_stopping_on_held_out_claims(tiny_base: str) -> None:
    """600 synthetic claims: 60 held out, several epochs, the best epoch kept; and it learns."""
    claims = synthetic_claims(600)
    settings = FineTuneSettings(batch_size=32, max_epochs=4, min_epochs=4, lr=5e-4,
                                head_lr=5e-3, max_length=32, frozen_layers=0, patience=1)
    model = fit_claims(FineTunedClassifier(base_model=tiny_base, settings=settings, context=False),
                       claims, label_rows(claims))
    schedule = model.card.settings["schedule"]
    assert schedule["n_validation"] == 60 and schedule["n_train"] == 540
    assert schedule["epochs_planned"] == 4 and 1 <= schedule["epochs_kept"] <= 4
    fresh = synthetic_claims(630)[600:]
    predicted = [p.stance for p in model.predict(label_rows(fresh))]
    accuracy = sum(p == c.stance for p, c in zip(predicted, fresh, strict=True)) / len(fresh)
    assert accuracy > 0.6


@given(st.lists(st.lists(st.integers(0, 4), min_size=1, max_size=3), max_size=40),
       st.integers(0, 12), st.integers(0, 3))
def test_the_held_out_split_keeps_copies_of_an_input_together(ids, n_validation, seed) -> None:
    """Every row lands on exactly one side, a repeated input never on both, and the held-out
    side has at least `n_validation` rows unless the data run out."""
    from stancekit.models.finetune import held_out_split

    kept, held_out = held_out_split(ids, n_validation, seed)
    assert sorted([*kept, *held_out]) == list(range(len(ids)))
    assert not {tuple(ids[i]) for i in kept} & {tuple(ids[i]) for i in held_out}
    assert len(held_out) >= min(n_validation, len(ids))


def test_the_contrastive_step_changes_the_encoder(tiny_base: str) -> None:
    """SetFit-style pairs before the heads: a different, still working model."""
    claims, rows = make_claims(), label_rows(make_claims())
    models = []
    for epochs in (0, 1):
        settings = FineTuneSettings(epochs=1, batch_size=4, seed=3, contrastive_epochs=epochs,
                                    frozen_layers=1)
        models.append(fit_claims(FineTunedClassifier(base_model=tiny_base, settings=settings),
                                 claims, rows))
    assert models[1].card.settings["settings"]["contrastive_epochs"] == 1
    assert models[1].predict(TEXTS) != models[0].predict(TEXTS)
    assert all(p.stance in ("favor", "against", "none") for p in models[1].predict(TEXTS))


def test_the_decomposed_head_asks_relevance_then_side(tiny_base: str, tmp_path) -> None:
    """p(none) = sigmoid(-r), each side sigmoid(r) * p(side | r); it saves and loads as such."""
    settings = FineTuneSettings(epochs=1, batch_size=4, seed=3, stance_structure="decomposed")
    model = fit_claims(FineTunedClassifier(base_model=tiny_base, settings=settings),
                       make_claims(), label_rows(make_claims()))
    head = model.net_.stance_head
    assert isinstance(head, finetuned.DecomposedStanceHead)
    pooled = torch.randn(5, head.relevance.in_features)
    probs = head(pooled).exp()
    none = list(model.classes_).index("none")
    relevance = torch.sigmoid(head.relevance(pooled)).squeeze(-1)
    assert torch.allclose(probs.sum(-1), torch.ones(5), atol=1e-5)
    assert torch.allclose(probs[:, none], 1 - relevance, atol=1e-5)
    model.save_pretrained(tmp_path)
    again = load(tmp_path)
    assert isinstance(again.net_.stance_head, finetuned.DecomposedStanceHead)
    assert again.predict_proba(TEXTS).ravel() == pytest.approx(model.predict_proba(TEXTS).ravel())


def test_without_a_none_label_the_decomposed_setting_keeps_a_flat_head(tiny_base: str) -> None:
    claims = [c for c in make_claims() if c.stance != "none"]
    settings = FineTuneSettings(epochs=1, batch_size=4, seed=3, stance_structure="decomposed")
    model = fit_claims(FineTunedClassifier(base_model=tiny_base, settings=settings),
                       claims, label_rows(claims))
    assert isinstance(model.net_.stance_head, torch.nn.Linear)


def test_bucketed_batches_cover_every_row_once_in_batches_of_similar_length() -> None:
    lengths = [(i * 37) % 90 + 5 for i in range(1000)]
    batches = finetuned_batches(lengths)
    rows = [r for batch in batches for r in batch]
    assert sorted(rows) == list(range(1000))
    assert all(len(b) <= 16 for b in batches)
    spread = sum(max(lengths[r] for r in b) - min(lengths[r] for r in b) for b in batches)
    assert spread / len(batches) < 10  # random batches of these lengths spread about 80
    assert finetuned_batches(lengths) == batches  # seeded
    assert finetuned_batches(lengths, seed=1) != batches


def finetuned_batches(lengths: list[int], seed: int = 0) -> list[list[int]]:
    from stancekit.models.finetune import bucketed_batches

    return bucketed_batches(lengths, 16, torch.Generator().manual_seed(seed))


def test_weighted_cross_entropy_is_the_plain_loss_with_unit_weights_and_counts_rows() -> None:
    torch.manual_seed(0)
    logits, labels = torch.randn(6, 3), torch.tensor([0, 2, 1, IGNORE, 2, 0])
    class_weight = torch.tensor([0.5, 2.0, 1.0])
    plain = torch.nn.CrossEntropyLoss(class_weight, ignore_index=IGNORE)(logits, labels)
    weighted = WeightedCrossEntropy(class_weight)
    torch.testing.assert_close(weighted(logits, labels, torch.ones(6)), plain)
    # a row of weight 2 counts as that row twice
    doubled = weighted(logits, labels, torch.tensor([2.0, 1, 1, 1, 1, 1]))
    twice = torch.nn.CrossEntropyLoss(class_weight, ignore_index=IGNORE)(
        torch.cat([logits, logits[:1]]), torch.cat([labels, labels[:1]]))
    torch.testing.assert_close(doubled, twice)


def test_sample_weights_reach_the_fine_tuning_loss(tiny_base: str) -> None:
    claims = make_claims()
    rows = label_rows(claims)
    settings = FineTuneSettings(epochs=1, batch_size=4, seed=3, validation_fraction=0.0)
    fits = [FineTunedClassifier(base_model=tiny_base, settings=settings).fit(
        rows, [c.stance for c in claims], sample_weight=weights)
        for weights in (None, [1.0] * len(claims), [5.0] + [1.0] * (len(claims) - 1))]
    unweighted, ones, heavy = (m.predict_proba(TEXTS) for m in fits)
    np.testing.assert_allclose(unweighted, ones, rtol=1e-5)
    assert not np.allclose(unweighted, heavy)
