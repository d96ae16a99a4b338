"""Evaluation: how well each stage does against hand labels."""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

from stancekit.aggregation import NameMap, position_score, speaker_positions
from stancekit.errors import StancekitError
from stancekit.metrics import expected_calibration_error, macro_f1, stance_metrics
from stancekit.models import ClaimInput, claim_context
from stancekit.records import (
    AUTHOR_PREFIX,
    NARRATOR,
    STANCES,
    Article,
    Claim,
    LabeledClaim,
    Prediction,
    ScoredClaim,
    SpeakerPosition,
    split_speakers,
)
from stancekit.training import fold_models, label_rows, labels_sha256


class _GoldClaim(Protocol):
    article: str
    start: int | None
    end: int | None
    speaker: str


def normalise_speaker(name: str) -> str:
    """A comparison key for speaker names: case, spacing, hyphens, accents and word order
    (family name first or last) ignored; every `author:*` is the same author."""
    name = name.strip()
    if name.lower().startswith(AUTHOR_PREFIX):
        return AUTHOR_PREFIX
    plain = unicodedata.normalize("NFKD", name)
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch))
    return " ".join(sorted(re.findall(r"[^\W_]+", plain.lower())))


def _match_key(name: str) -> str:
    """`normalise_speaker`, but an author keeps its source: "author:the hill"."""
    key = normalise_speaker(name)
    if key == AUTHOR_PREFIX:
        return AUTHOR_PREFIX + normalise_speaker(name.strip()[len(AUTHOR_PREFIX):])
    return key


def _speaker_set(speaker: str) -> frozenset[str]:
    return frozenset(normalise_speaker(name) for name in split_speakers(speaker))


def extraction_scores(gold: Sequence[_GoldClaim], extracted: Sequence[Claim]) -> dict[str, Any]:
    """Claim recall and speaker accuracy of extracted claims against gold claims.

    A gold claim is covered by an extracted claim of the same article that overlaps at least
    half of the gold span (the one overlapping most); speaker accuracy is over covered claims,
    a joint speaker "A; B" matching when the sets of names match.
    """
    by_article: dict[str, list[Claim]] = {}
    for claim in extracted:
        by_article.setdefault(claim.article_id, []).append(claim)
    n_gold = n_covered = n_right = 0
    for item in gold:
        if item.start is None or item.end is None:
            continue
        n_gold += 1
        best, best_overlap = None, 0
        for claim in by_article.get(item.article, ()):
            overlap = min(claim.end, item.end) - max(claim.start, item.start)
            if overlap > best_overlap:
                best, best_overlap = claim, overlap
        if best is None or 2 * best_overlap < item.end - item.start:
            continue
        n_covered += 1
        n_right += _speaker_set(best.speaker) == _speaker_set(item.speaker)
    return {
        "claim_recall": n_covered / n_gold if n_gold else 0.0,
        "speaker_accuracy": n_right / n_covered if n_covered else 0.0,
        "n_gold": n_gold,
        "n_covered": n_covered,
    }


# --------------------------------------------------------------------------------------------
# Classification on gold claims


def stance_report(gold: Sequence[str], predictions: Sequence[Prediction],
                  labels: Sequence[str] = STANCES) -> dict[str, Any]:
    """Stance macro-F1, F_avg, accuracy, per-class P/R/F1, confusion matrix and ECE."""
    predicted = [p.stance for p in predictions]
    labels = list(labels) + sorted((set(gold) | set(predicted)) - set(labels))
    precision, recall, f1, support = precision_recall_fscore_support(
        gold, predicted, labels=labels, zero_division=0.0)
    confidence = [p.stance_probs.get(p.stance, 0.0) for p in predictions]
    return {
        **stance_metrics(gold, predicted),
        "per_class": {
            label: {"precision": float(precision[i]), "recall": float(recall[i]),
                    "f1": float(f1[i]), "support": int(support[i])}
            for i, label in enumerate(labels)
        },
        "confusion": {"labels": labels,
                      "matrix": confusion_matrix(gold, predicted, labels=labels).tolist()},
        "ece": expected_calibration_error(confidence,
                                          [g == p for g, p in zip(gold, predicted, strict=True)]),
        "n": len(gold),
    }


def sentiment_report(gold: Sequence[str | None], predictions: Sequence[Prediction]) -> dict:
    """Sentiment macro-F1 and accuracy over the claims with both a gold and a predicted value."""
    pairs = [(g, p.sentiment) for g, p in zip(gold, predictions, strict=True) if g and p.sentiment]
    if not pairs:
        return {"macro_f1": math.nan, "accuracy": math.nan, "n": 0}
    truth, predicted = zip(*pairs, strict=True)
    return {"macro_f1": macro_f1(truth, predicted),
            "accuracy": float(accuracy_score(truth, predicted)), "n": len(pairs)}


# --------------------------------------------------------------------------------------------
# Speaker positions


def gold_directions(gold: Sequence[LabeledClaim], min_claims: int = 2) -> dict[str, int]:
    """+1 / -1 for each gold speaker (not narrator) with at least `min_claims` favor or
    against claims and more of one than the other; a joint claim counts for each speaker."""
    counts = _gold_counts(gold)
    directions = {}
    for name, c in counts.items():
        if c["favor"] + c["against"] >= min_claims and c["favor"] != c["against"]:
            directions[name] = 1 if c["favor"] > c["against"] else -1
    return directions


def gold_positions(gold: Sequence[LabeledClaim]) -> dict[str, float]:
    """Each gold speaker's position by the aggregation rule applied to the gold labels
    (every favor claim p_favor = 1, every against claim p_against = 1)."""
    return {name: position_score(c["favor"] - c["against"], c["favor"] + c["against"])
            for name, c in _gold_counts(gold).items()}


def _gold_counts(gold: Sequence[LabeledClaim]) -> dict[str, Counter[str]]:
    counts: dict[str, Counter[str]] = {}
    for label in gold:
        for name in split_speakers(label.speaker):
            if name != NARRATOR:
                counts.setdefault(name, Counter())[label.stance] += 1
    return counts


def sign_agreement(directions: dict[str, int], positions: Sequence[SpeakerPosition],
                   gold_position: dict[str, float] | None = None) -> dict[str, Any]:
    """How the predicted speaker table matches the gold directions.

    Predicted speakers are matched to gold speakers by `normalise_speaker` (case, spacing,
    hyphens, accents and word order ignored), so a speaker found only under another name
    (an alias, a title) counts as not found. An author (`author:<source>`) matches the
    predicted author of the same source, else the only predicted author if there is just
    one. Over the gold-direction speakers:

    - `sign_agreement`: share whose predicted position has the gold direction's sign;
    - `found`: share with a predicted row under their canonical (gold) name;
    - with `gold_position` (see `gold_positions`), `interval_coverage`: share whose 95%
      interval [interval_low, interval_high] contains the gold position, i.e. the position
      the same rule gives on the gold labels; a nominal 95% interval should reach about
      0.95 when extraction and classification are right. `interval_reaches_gold_side`:
      share whose interval holds some position of the gold sign (interval_high > 0 for a
      favor speaker, interval_low < 0 for an against one), i.e. that do not rule the gold
      side out. A speaker not found counts as a miss in every share.
    """
    by_key = {_match_key(p.speaker): p for p in positions}
    authors = [p for p in positions if normalise_speaker(p.speaker) == AUTHOR_PREFIX]
    rows = []
    for name, direction in sorted(directions.items()):
        found = by_key.get(_match_key(name))
        if found is None and normalise_speaker(name) == AUTHOR_PREFIX and len(authors) == 1:
            found = authors[0]
        row: dict[str, Any] = {
            "speaker": name, "gold": "favor" if direction > 0 else "against",
            "position": None if found is None else found.position,
            "agrees": bool(found is not None and np.sign(found.position) == direction),
            "found": found is not None,
        }
        if gold_position is not None:
            low = None if found is None else found.interval_low
            high = None if found is None else found.interval_high
            row.update({
                "gold_position": gold_position[name], "interval": [low, high],
                "covers_gold": bool(found is not None
                                    and low <= gold_position[name] + 1e-9
                                    and gold_position[name] - 1e-9 <= high),
                "reaches_gold_side": bool(found is not None and (
                    high > 0 if direction > 0 else low < 0)),
            })
        rows.append(row)
    n = len(rows)

    def share(key: str) -> float:
        return sum(r[key] for r in rows) / n if n else math.nan

    result = {"sign_agreement": share("agrees"), "found": share("found"), "n": n,
              "speakers": rows}
    if gold_position is not None:
        result["interval_coverage"] = share("covers_gold")
        result["interval_reaches_gold_side"] = share("reaches_gold_side")
    return result


# --------------------------------------------------------------------------------------------
# The whole evaluation


def evaluate(
    labels: Sequence[LabeledClaim],
    model: Any,
    articles: Sequence[Article] = (),
    cross_validate: bool = False,
    aliases: Any = None,
    folds: int = 5,
    quiet: bool = True,
    canonical: NameMap | None = None,
) -> dict[str, Any]:
    """Evaluate `model` on `labels`, stage by stage (see the README for the keys).

    With `cross_validate`, every prediction for an article comes from a model of the same
    method and settings trained on the other articles' labels (what to do when `model`
    was trained on these labels). With `articles`, extraction and end-to-end speaker
    positions are measured too; `canonical` (raw speaker name to canonical name, as for
    `PositionAggregator`) merges the extracted speakers' name variants first.
    """
    target = model.card.default_target
    extracted: list[Claim] = []
    if articles:
        from stancekit.extraction import extract_many

        extracted = [c for _, claims in extract_many(articles, aliases=aliases) for c in claims]
    by_id = {a.id: a for a in articles}
    gold_rows = label_rows(labels, by_id)
    extracted_rows = [
        ClaimInput(c.text, target, c.speaker, claim_context(by_id[c.article_id].text, c.start,
                                                            by_id[c.article_id].title))
        for c in extracted
    ]
    if cross_validate:
        gold_predictions, extracted_predictions = _cross_validated(
            model, labels, gold_rows, extracted, extracted_rows, folds, quiet)
    else:
        gold_predictions = model.predict(gold_rows)
        extracted_predictions = model.predict(extracted_rows)
    gold_scored = [
        ScoredClaim(Claim(c.id, c.article, c.start or 0, c.end or 0, c.text, c.speaker, c.via),
                    c.target, p)
        for c, p in zip(labels, gold_predictions, strict=True)
    ]
    directions, gold_position = gold_directions(labels), gold_positions(labels)
    report: dict[str, Any] = {
        "n_labels": len(labels),
        "cross_validated": cross_validate,
        "stance": stance_report([c.stance for c in labels], gold_predictions,
                                model.card.stances),
        "sentiment": sentiment_report([c.sentiment for c in labels], gold_predictions),
        "speakers": {"gold_extraction": sign_agreement(
            directions, speaker_positions(gold_scored), gold_position)},
    }
    report["speakers"]["sign_agreement"] = report["speakers"]["gold_extraction"]["sign_agreement"]
    report["speakers"]["n"] = report["speakers"]["gold_extraction"]["n"]
    if articles:
        report["extraction"] = extraction_scores(labels, extracted)
        end_to_end = [ScoredClaim(c, target, p)
                      for c, p in zip(extracted, extracted_predictions, strict=True)]
        report["speakers"]["end_to_end"] = sign_agreement(
            directions, speaker_positions(end_to_end, canonical=canonical), gold_position)
    return report


def _cross_validated(model: Any, labels: Sequence[LabeledClaim], gold_rows: list[ClaimInput],
                     extracted: Sequence[Claim], extracted_rows: list[ClaimInput], folds: int,
                     quiet: bool) -> tuple[list[Prediction], list[Prediction]]:
    """Out-of-fold predictions for the gold claims and for the claims extracted from each
    held-out article, from clones of `model` (same method and settings) fitted on the other
    folds: the cross-validation `train` runs (grouped by article)."""
    gold: list[Prediction | None] = [None] * len(labels)
    extracted_out: list[Prediction | None] = [None] * len(extracted)
    settings = getattr(model, "settings", None)  # the fine-tuned model's trainer settings
    seed = settings.seed if settings is not None else 0
    for test, fold_model in fold_models(model, labels, gold_rows, folds, seed, quiet):
        for i, p in zip(test, fold_model.predict([gold_rows[i] for i in test]), strict=True):
            gold[i] = p
        held_articles = {labels[i].article for i in test}
        rows = [i for i, c in enumerate(extracted) if c.article_id in held_articles]
        for i, p in zip(rows, fold_model.predict([extracted_rows[i] for i in rows]),
                        strict=True):
            extracted_out[i] = p
    missing = [extracted[i].article_id for i, p in enumerate(extracted_out) if p is None]
    if missing:
        raise StancekitError(f"no labels for article {missing[0]!r}: cross-validated "
                             "end-to-end evaluation needs labels for every article given")
    return gold, extracted_out  # type: ignore[return-value]


def trained_on(model: Any, label_files: Sequence[str | Path]) -> bool:
    """True when any of these label files is one the model was trained on (by sha256)."""
    trained = set(model.card.labels_sha256.values())
    return any(digest in trained for digest in labels_sha256(label_files).values())
