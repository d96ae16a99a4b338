"""What both classifiers share: the scikit-learn contract over claim rows, `Prediction`
records for stance and sentiment, temperature calibration, and CPU thread counts.

A subclass stores its hyper-parameters in `__init__` and implements `_fit` (label indices
in, fitted attributes out) and `_log_probabilities` (rows in, log-probabilities of each
task out, columns in the card's label order).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted

from stancekit.models.card import ModelCard, default_target, ordered_labels
from stancekit.models.inputs import ClaimInput, as_rows, mask_speaker
from stancekit.records import DEFAULT_TARGET, SENTIMENTS, STANCES, Prediction

MISSING = -1  # label index of a claim without a sentiment


@functools.cache
def free_cores() -> int:
    """Threads worth running: the cores this process may use that others leave free.

    Judged once, from the load average when first asked. OpenMP threads that outnumber
    the free cores wait on each other: on a busy 2-core machine, two threads ran a
    fine-tuning step four times slower than one, and a baseline fit twelve times slower.
    """
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    busy = os.getloadavg()[0] if hasattr(os, "getloadavg") else 0.0
    return max(1, min(cores or 1, round((cores or 1) - busy)))


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Row-wise softmax of `logits / temperature`."""
    scaled = logits / temperature
    scaled = np.exp(scaled - scaled.max(axis=1, keepdims=True))
    return scaled / scaled.sum(axis=1, keepdims=True)


def fit_temperature(probabilities: np.ndarray, truth: Sequence[int]) -> float:
    """The temperature T minimising the log-loss of softmax(log p / T) (Guo et al., 2017).

    Searched on a log grid from 0.25 to 8, which is enough for probabilities from a model
    fitted on a few hundred labels; 1.0 when there is nothing to fit on.
    """
    truth = np.asarray(truth)
    if len(truth) == 0:
        return 1.0
    logits = np.log(np.clip(probabilities, 1e-12, 1.0))
    grid = np.exp(np.linspace(np.log(0.25), np.log(8.0), 121))
    losses = [-np.log(softmax(logits, t)[np.arange(len(truth)), truth] + 1e-12).mean()
              for t in grid]
    return float(grid[int(np.argmin(losses))])


class ClaimClassifier(ClassifierMixin, BaseEstimator):
    """Stance (the estimator's target `y`) and sentiment (the `sentiment` fit parameter)
    of claim rows: texts, mappings or records with text, target, speaker and context.

    After `fit`: `classes_` (stance labels), `card_` (the model card) and `sentiments_`.
    `predict_proba` gives stance probabilities in `classes_` order; `predict` gives one
    `Prediction` record (stance and sentiment with their probabilities) per row.
    Hyper-parameters shared by both methods: `mask_speakers` hides the claim's own
    speaker's name; `context` reads the rows' context (previous sentence, headline).
    """

    method: ClassVar[str]

    def fit(
        self,
        X: Sequence[Any],
        y: Sequence[str],
        sentiment: Sequence[str | None] | None = None,
        sample_weight: Sequence[float] | None = None,
    ) -> ClaimClassifier:
        """Learn stance from `y` and, when given, sentiment (None or "" where unknown);
        `sample_weight` weighs each row's loss (1 for every row by default)."""
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target "
                             "y is None")
        check_classification_targets(y)
        rows = as_rows(X)
        stances = [str(label) for label in np.asarray(y, dtype=object).ravel()]
        if len(stances) != len(rows):
            raise ValueError(f"got {len(stances)} labels for {len(rows)} rows")
        sentiments = list(sentiment) if sentiment is not None else [None] * len(rows)
        if len(sentiments) != len(rows):
            raise ValueError(f"got {len(sentiments)} sentiments for {len(rows)} rows")
        if len(set(stances)) < 2:
            raise ValueError(f"needs two stance classes or more, got {sorted(set(stances))}")
        weights = np.ones(len(rows)) if sample_weight is None else np.asarray(
            sample_weight, dtype=float).ravel()
        if len(weights) != len(rows):
            raise ValueError(f"got {len(weights)} sample weights for {len(rows)} rows")
        if not np.all(np.isfinite(weights)) or np.any(weights <= 0):
            raise ValueError("sample weights must be positive and finite")
        rows = [r if r.target else ClaimInput(r.text, DEFAULT_TARGET, r.speaker, r.context)
                for r in rows]
        targets = [r.target for r in rows]
        card = ModelCard(
            method=self.method,
            stances=ordered_labels(stances, STANCES),
            sentiments=ordered_labels(sentiments, SENTIMENTS),
            targets=ordered_labels(targets, [DEFAULT_TARGET]),
            default_target=default_target(targets),  # type: ignore[arg-type]
            masked_speakers=self.mask_speakers,
            context=self.context,
            n_labels=len(rows),
            settings=self.card_settings(),
        )
        stance_idx = np.array([card.stances.index(s) for s in stances])
        sentiment_idx = np.array(
            [card.sentiments.index(s) if s else MISSING for s in sentiments], dtype=int
        )
        self.card_ = card
        self.classes_ = np.array(card.stances, dtype=object)
        self.sentiments_ = np.array(card.sentiments, dtype=object)
        self._fit(self.prepared(rows), stance_idx, sentiment_idx, weights)
        return self

    def card_settings(self) -> dict[str, Any]:
        """The hyper-parameters as JSON values, as the model card keeps them."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in self.get_params().items()}

    @property
    def card(self) -> ModelCard:
        """The model card (model.json) of the fitted model."""
        check_is_fitted(self, "card_")
        return self.card_

    def prepared(self, rows: Sequence[ClaimInput]) -> list[ClaimInput]:
        """Rows as the model reads them: context dropped unless `context`, the speaker's
        name masked in text and context if `mask_speakers`."""
        out = []
        for r in rows:
            text, context = r.text, r.context if self.context else ""
            if self.mask_speakers:
                text, context = mask_speaker(text, r.speaker), mask_speaker(context, r.speaker)
            out.append(ClaimInput(text, r.target or self.card_.default_target, r.speaker, context))
        return out

    def _fit(self, rows: list[ClaimInput], stances: np.ndarray, sentiments: np.ndarray,
             weights: np.ndarray) -> None:
        raise NotImplementedError

    def _log_probabilities(self, rows: list[ClaimInput]) -> tuple[np.ndarray, np.ndarray | None]:
        raise NotImplementedError

    def calibrate(self, stance_temperature: float, sentiment_temperature: float = 1.0) -> None:
        """Divide the log-probabilities of each task by its temperature from now on."""
        self.card.calibration = {
            "stance_temperature": float(stance_temperature),
            "sentiment_temperature": float(sentiment_temperature),
        }

    def probabilities(
        self,
        X: Sequence[Any],
        target: str | Sequence[str | None] | None = None,
        speakers: Sequence[str | None] | None = None,
        contexts: Sequence[str | None] | None = None,
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Calibrated stance and sentiment probabilities (None for a stance-only model)."""
        card = self.card
        rows = self.prepared(as_rows(X, target, speakers, contexts))
        if not rows:
            return np.zeros((0, len(card.stances))), np.zeros((0, len(card.sentiments)))
        stance, sentiment = self._log_probabilities(rows)
        temperature = card.calibration.get
        stance = softmax(stance, temperature("stance_temperature", 1.0))
        if sentiment is not None:
            sentiment = softmax(sentiment, temperature("sentiment_temperature", 1.0))
        return stance, sentiment

    def predict_proba(self, X: Sequence[Any]) -> np.ndarray:
        """Stance probabilities, columns in `classes_` order."""
        return self.probabilities(X)[0]

    def predict(
        self,
        X: Sequence[Any],
        target: str | Sequence[str | None] | None = None,
        speakers: Sequence[str | None] | None = None,
        contexts: Sequence[str | None] | None = None,
    ) -> list[Prediction]:
        """Stance (toward `target`, default each row's or the model's) and sentiment of each
        row, as `Prediction` records; `speakers` and `contexts` override the rows' own."""
        stance, sentiment = self.probabilities(X, target, speakers, contexts)
        return to_predictions(self.card.stances, stance, self.card.sentiments, sentiment)

    def score(self, X: Sequence[Any], y: Sequence[str], sample_weight: Any = None) -> float:
        """Stance accuracy."""
        predicted = self.classes_[self.predict_proba(X).argmax(axis=1)]
        truth = np.asarray(y, dtype=object)
        weights = np.ones(len(truth)) if sample_weight is None else np.asarray(sample_weight)
        return float(np.average(predicted == truth, weights=weights))

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.input_tags.string = True
        tags.non_deterministic = False
        return tags


def to_predictions(
    stances: Sequence[str],
    stance_probs: np.ndarray,
    sentiments: Sequence[str] = (),
    sentiment_probs: np.ndarray | None = None,
) -> list[Prediction]:
    """Predictions from rows of probabilities whose columns follow the label lists."""
    stance = [stances[i] for i in stance_probs.argmax(axis=1).tolist()]
    stance_dicts = [dict(zip(stances, row, strict=True)) for row in stance_probs.tolist()]
    if sentiment_probs is None or not sentiments:
        return [Prediction(s, p) for s, p in zip(stance, stance_dicts, strict=True)]
    sentiment = [sentiments[i] for i in sentiment_probs.argmax(axis=1).tolist()]
    sentiment_dicts = [dict(zip(sentiments, row, strict=True)) for row in sentiment_probs.tolist()]
    return list(map(Prediction, stance, stance_dicts, sentiment, sentiment_dicts))
