"""Cross-validation and training of the classifiers (what `python -m stancekit train` runs).

Folds are grouped by article, so no article is in both train and test; labels without
article information get stratified folds instead. Every fold model is `clone(estimator)`
fitted on the other folds (`fold_models`), in `train` and in `evaluate` alike. After
cross-validation each method is fitted on all labels, its probabilities calibrated by
temperature scaling on the out-of-fold predictions of the real (not written) claims (see
`calibration_claims`), and written to `<out>/<method>/`.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import GroupKFold, StratifiedKFold
from tqdm.auto import tqdm

from stancekit.errors import InputError
from stancekit.integrity import sha256_of
from stancekit.metrics import expected_calibration_error, macro_f1, stance_metrics
from stancekit.models import ClaimClassifier, ClaimInput, claim_context, classifier
from stancekit.models.base import fit_temperature, softmax
from stancekit.records import Article, LabeledClaim, Prediction

# How many times each method reads a claim of a real article beside written claims, chosen
# on the development set (README, "How well it works"; every run in benchmarks/RESULTS.md):
# 3 raised the fine-tuned model's stance F_avg and lowered the baseline's.
REAL_REPEATS = {"baseline": 1, "finetuned": 3}


@dataclass(frozen=True)
class TrainOptions:
    """How to train: the options of `stancekit train` other than labels and output.

    `context` None keeps each method's default (neither reads context by default).
    `real_repeats` is how many times each claim of a real article is read beside written
    claims (see `oversampled`); None keeps each method's (`REAL_REPEATS`).
    """

    base_model: str | None = None
    epochs: int | None = None
    seed: int = 0
    folds: int = 3
    context: bool | None = None
    quiet: bool = False
    real_repeats: int | None = None


def make_classifier(method: str, options: TrainOptions, mask: bool = False) -> ClaimClassifier:
    """An unfitted classifier of `method` with the settings `options` asks for."""
    params: dict[str, Any] = {"mask_speakers": mask}
    if options.context is not None:
        params["context"] = options.context
    if method == "finetuned":
        from stancekit.models.finetune import FineTuneSettings

        settings = FineTuneSettings(epochs=options.epochs, seed=options.seed)
        params.update(base_model=options.base_model, settings=settings,
                      verbose=not options.quiet)
    return classifier(method, **params)


def label_rows(
    claims: Sequence[LabeledClaim], articles: Mapping[str, Article] | None = None
) -> list[ClaimInput]:
    """Model rows of labeled claims, each with its context (see `claim_context`) from its
    article when that is in `articles` and the offsets are known. A claim without offsets
    in a group of such claims (written claims: one imagined story per group, in reading
    order) takes the previous claim of its group as its previous sentence."""
    rows = []
    previous: dict[str, str] = {}
    for c in claims:
        article = (articles or {}).get(c.article)
        context = ""
        if article is not None and c.start is not None:
            context = claim_context(article.text, c.start, article.title)
        elif c.start is None and c.article:
            context = previous.get(c.article, "")
            previous[c.article] = c.text
        rows.append(ClaimInput(c.text, c.target, c.speaker, context))
    return rows


def oversampled(claims: Sequence[LabeledClaim], rows: Sequence[ClaimInput],
                real_repeats: int) -> tuple[list[LabeledClaim], list[ClaimInput]]:
    """The claims and their rows with each claim of a real article `real_repeats` times
    when written claims (`origin` "written") are among them. Written claims outnumber real
    ones many times over and are cleaner than real text. (Fine-tuning holds the copies of
    one claim out together: see `finetune.held_out_split`.)"""
    if real_repeats == 1 or not any(c.origin == "written" for c in claims):
        return list(claims), list(rows)
    out_claims, out_rows = [], []
    for claim, row in zip(claims, rows, strict=True):
        times = 1 if claim.origin == "written" else real_repeats
        out_claims += [claim] * times
        out_rows += [row] * times
    return out_claims, out_rows


def fit_claims(
    estimator: ClaimClassifier,
    claims: Sequence[LabeledClaim],
    rows: Sequence[ClaimInput],
    real_repeats: int | None = None,
) -> ClaimClassifier:
    """`estimator.fit` on labeled claims: stance as y, sentiment as the fit parameter, the
    claims `oversampled` (`real_repeats` None: the method's `REAL_REPEATS`)."""
    if real_repeats is None:
        real_repeats = REAL_REPEATS.get(estimator.method, 1)
    read, read_rows = oversampled(claims, rows, real_repeats)
    model = estimator.fit(read_rows, [c.stance for c in read],
                          sentiment=[c.sentiment for c in read])
    model.card.n_labels = len(claims)  # the labels given, not the rows read with repeats
    model.card.settings["real_repeats"] = real_repeats
    return model


def folds_for(claims: Sequence[LabeledClaim], n_folds: int, seed: int) -> list[np.ndarray]:
    """Test indices of each fold: grouped by article, stratified by stance without articles.

    A claim with no article is its own group when others have one.
    """
    stances = [c.stance for c in claims]
    if any(c.article for c in claims):
        groups = [c.article or f"#{i}" for i, c in enumerate(claims)]
        n = min(n_folds, len(set(groups)))
        if n < 2:
            raise InputError("labels", "cross-validation needs labels from two articles or more")
        splits = GroupKFold(n_splits=n).split(stances, stances, groups)
    else:
        n = min(n_folds, min(stances.count(s) for s in set(stances)))
        if n < 2:
            raise InputError("labels", "cross-validation needs two labels or more of each stance")
        splitter = StratifiedKFold(n_splits=n, shuffle=True, random_state=seed)
        splits = splitter.split(stances, stances)
    return [test for _, test in splits]


def fold_models(
    estimator: ClaimClassifier,
    claims: Sequence[LabeledClaim],
    rows: Sequence[ClaimInput],
    n_folds: int = 5,
    seed: int = 0,
    quiet: bool = True,
    real_repeats: int | None = None,
) -> Iterator[tuple[np.ndarray, ClaimClassifier]]:
    """For each fold (see `folds_for`): its test indices and `clone(estimator)` fitted on
    the other folds (`fit_claims`). The one cross-validation path of `train` and
    `evaluate`."""
    folds = folds_for(claims, n_folds, seed)
    label = f"{estimator.method} CV{' (masked)' if estimator.mask_speakers else ''}"
    for test in tqdm(folds, desc=label, unit="fold", disable=quiet):
        train_rows = np.setdiff1d(np.arange(len(claims)), test)
        fitted = fit_claims(clone(estimator), [claims[i] for i in train_rows],
                            [rows[i] for i in train_rows], real_repeats)
        yield test, fitted


@dataclass
class CVResult:
    """Cross-validation figures of one method: per fold, pooled, and per target, with the
    temperatures that calibrate its out-of-fold probabilities."""

    method: str
    masked: bool
    folds: list[dict[str, float]] = field(default_factory=list)
    pooled: dict[str, float] = field(default_factory=dict)
    per_target: dict[str, dict[str, float]] = field(default_factory=dict)
    temperatures: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0

    def summary(self) -> dict[str, tuple[float, float]]:
        """(mean, std) over folds of each figure, ignoring folds where it is undefined."""
        out = {}
        for key in self.folds[0] if self.folds else []:
            values = np.array([f[key] for f in self.folds], dtype=float)
            values = values[~np.isnan(values)]
            out[key] = (
                (float(values.mean()), float(values.std())) if len(values) else (math.nan,) * 2
            )
        return out

    def to_dict(self) -> dict[str, Any]:
        summary = {k: {"mean": m, "std": s} for k, (m, s) in self.summary().items()}
        return {**dataclasses.asdict(self), "summary": summary}


def figures(claims: Sequence[LabeledClaim], predictions: Sequence[Prediction]) -> dict[str, float]:
    """Stance macro-F1, F_avg, accuracy, ECE and sentiment macro-F1 of predictions."""
    truth = [c.stance for c in claims]
    predicted = [p.stance for p in predictions]
    out = {f"stance_{k}": v for k, v in stance_metrics(truth, predicted).items()}
    out["stance_ece"] = expected_calibration_error(
        [p.stance_probs[p.stance] for p in predictions],
        [t == p for t, p in zip(truth, predicted, strict=True)],
    )
    pairs = [(c.sentiment, p.sentiment) for c, p in zip(claims, predictions, strict=True)]
    pairs = [(t, p) for t, p in pairs if t and p]
    out["sentiment_macro_f1"] = macro_f1(*zip(*pairs, strict=True)) if pairs else math.nan
    return out


def cross_validate(
    estimator: ClaimClassifier,
    claims: Sequence[LabeledClaim],
    rows: Sequence[ClaimInput],
    n_folds: int = 5,
    seed: int = 0,
    quiet: bool = True,
    real_repeats: int | None = None,
) -> CVResult:
    """Grouped cross-validation of `estimator` on `claims` (whose model rows are `rows`)."""
    start = time.perf_counter()
    result = CVResult(estimator.method, estimator.mask_speakers)
    predictions: list[Any] = [None] * len(claims)
    for test, model in fold_models(estimator, claims, rows, n_folds, seed, quiet, real_repeats):
        fold_predictions = model.predict([rows[i] for i in test])
        for i, p in zip(test, fold_predictions, strict=True):
            predictions[i] = p
        result.folds.append(figures([claims[i] for i in test], fold_predictions))
    result.pooled = figures(claims, predictions)
    calibration = calibration_claims(claims)
    result.temperatures = temperatures([claims[i] for i in calibration],
                                       [predictions[i] for i in calibration])
    result.temperatures["calibration_claims"] = len(calibration)
    targets = sorted({c.target for c in claims})
    if len(targets) > 1:
        for target in targets:
            at = [i for i, c in enumerate(claims) if c.target == target]
            result.per_target[target] = figures(
                [claims[i] for i in at], [predictions[i] for i in at]
            )
    result.seconds = time.perf_counter() - start
    return result


MIN_CALIBRATION_CLAIMS = 50


def calibration_claims(claims: Sequence[LabeledClaim]) -> list[int]:
    """Indices of the claims whose out-of-fold predictions set the temperatures: the claims
    of real articles when there are at least MIN_CALIBRATION_CLAIMS of them, else all.

    Written claims (`origin` "written") are cleaner than real text, and folds of them are
    predicted more surely than real articles are, so temperatures fitted on them leave
    the model overconfident on the text it will score."""
    real = [i for i, c in enumerate(claims) if c.origin != "written"]
    return real if len(real) >= MIN_CALIBRATION_CLAIMS else list(range(len(claims)))


def temperatures(
    claims: Sequence[LabeledClaim], predictions: Sequence[Prediction]
) -> dict[str, float]:
    """Temperatures fitted on out-of-fold predictions, with the stance ECE they give."""
    stances = list(predictions[0].stance_probs)
    probs = np.array([[p.stance_probs[s] for s in stances] for p in predictions])
    truth = [stances.index(c.stance) for c in claims]
    stance_t = fit_temperature(probs, truth)
    out = {"stance_temperature": stance_t, "sentiment_temperature": 1.0}
    calibrated = softmax(np.log(np.clip(probs, 1e-12, 1.0)), stance_t)
    out["stance_ece_calibrated"] = expected_calibration_error(
        calibrated.max(axis=1), calibrated.argmax(axis=1) == np.array(truth)
    )
    sentiments = list(predictions[0].sentiment_probs)
    known = [i for i, c in enumerate(claims) if c.sentiment in sentiments]
    if sentiments and known:
        probs = np.array([[predictions[i].sentiment_probs[s] for s in sentiments] for i in known])
        truth = [sentiments.index(claims[i].sentiment) for i in known]
        out["sentiment_temperature"] = fit_temperature(probs, truth)
    return out


@dataclass
class TrainReport:
    """What `train` did for one method: its CV results, fit time and output folder."""

    method: str
    cv: list[CVResult]
    fit_seconds: float
    folder: Path


def labels_sha256(paths: Sequence[str | Path]) -> dict[str, str]:
    """sha256 of each label file that `load_labels(paths)` reads, by path."""
    from stancekit.labels import label_files

    return {str(p): sha256_of(p) for p in label_files(list(paths))} if paths else {}


def train(
    claims: Sequence[LabeledClaim],
    methods: Sequence[str],
    out: str | Path,
    options: TrainOptions,
    mask_speakers: bool = False,
    label_files: Sequence[str | Path] = (),
    articles: Mapping[str, Article] | None = None,
) -> list[TrainReport]:
    """Cross-validate each method, fit it on all claims, calibrate, write `<out>/<method>/`.

    `articles` (by id) give the claims their context. With `mask_speakers` the saved model
    is trained masked and cross-validation runs both masked and unmasked, so the figures
    show how much names alone were worth.
    """
    rows = label_rows(claims, articles)
    reports = []
    for method in methods:
        estimator = make_classifier(method, options)
        runs = [estimator] + ([clone(estimator).set_params(mask_speakers=True)]
                              if mask_speakers else [])
        results = [cross_validate(e, claims, rows, options.folds, options.seed, options.quiet,
                                  options.real_repeats) for e in runs]
        start = time.perf_counter()
        model = fit_claims(clone(runs[-1]), claims, rows, options.real_repeats)
        fit_seconds = time.perf_counter() - start
        model.calibrate(results[-1].temperatures["stance_temperature"],
                        results[-1].temperatures["sentiment_temperature"])
        card = model.card
        card.labels_sha256 = labels_sha256(label_files)
        card.cv = {("masked" if r.masked else "unmasked"): r.to_dict() for r in results}
        card.settings["folds"] = len(results[0].folds)
        card.fit_seconds = round(fit_seconds, 2)
        folder = Path(out) / method
        model.save_pretrained(folder)
        reports.append(TrainReport(method, results, fit_seconds, folder))
    return reports
