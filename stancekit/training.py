"""Cross-validation and training of the classifiers (what `python -m stancekit train` runs).

Folds are grouped by article, so no article is in both train and test; labels without
article information get stratified folds instead. After cross-validation each method is
fitted on all labels and written to `<out>/<method>/` with its figures in model.json.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from rich.table import Table
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import GroupKFold, StratifiedKFold
from tqdm.auto import tqdm

from stancekit.errors import InputError
from stancekit.models import sha256_file
from stancekit.records import LabeledClaim

FAVOR_AGAINST: tuple[str, ...] = ("favor", "against")


def macro_f1(y_true: Sequence[str], y_pred: Sequence[str]) -> float:
    """Mean F1 over the classes present in the truth or the predictions."""
    return float(f1_score(y_true, y_pred, average="macro", zero_division=0.0))


def f_avg(y_true: Sequence[str], y_pred: Sequence[str]) -> float:
    """Mean F1 of favor and against (SemEval-2016's F_avg).

    A class absent from both truth and predictions is left out of the mean; NaN if both are.
    """
    present = [c for c in FAVOR_AGAINST if c in set(y_true) | set(y_pred)]
    if not present:
        return math.nan
    return float(np.mean(f1_score(y_true, y_pred, labels=present, average=None, zero_division=0.0)))


def stance_metrics(y_true: Sequence[str], y_pred: Sequence[str]) -> dict[str, float]:
    """Stance macro-F1, F_avg and accuracy."""
    return {
        "macro_f1": macro_f1(y_true, y_pred),
        "f_avg": f_avg(y_true, y_pred),
        "accuracy": float(accuracy_score(y_true, y_pred)),
    }


@dataclass(frozen=True)
class TrainOptions:
    """How to train: the options of `stancekit train` other than labels and output."""

    base_model: str | None = None
    epochs: int | None = None
    seed: int = 0
    folds: int = 5
    quiet: bool = False


def fit_model(
    method: str, claims: Sequence[LabeledClaim], mask: bool, options: TrainOptions
) -> Any:
    """Train one method on `claims` (masking speakers' names if `mask`)."""
    if method == "baseline":
        from stancekit.baseline import BaselineModel

        return BaselineModel.fit(claims, mask=mask)
    from stancekit.finetuned import FineTunedModel

    return FineTunedModel.fit(
        claims,
        mask=mask,
        base_model=options.base_model,
        epochs=options.epochs,
        seed=options.seed,
        quiet=options.quiet,
    )


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


@dataclass
class CVResult:
    """Cross-validation figures of one method: per fold, pooled, and per target."""

    method: str
    masked: bool
    folds: list[dict[str, float]] = field(default_factory=list)
    pooled: dict[str, float] = field(default_factory=dict)
    per_target: dict[str, dict[str, float]] = field(default_factory=dict)
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


def _figures(claims: Sequence[LabeledClaim], predictions: Sequence[Any]) -> dict[str, float]:
    figures = {
        f"stance_{k}": v
        for k, v in stance_metrics(
            [c.stance for c in claims], [p.stance for p in predictions]
        ).items()
    }
    pairs = [(c.sentiment, p.sentiment) for c, p in zip(claims, predictions, strict=True)]
    pairs = [(t, p) for t, p in pairs if t and p]
    figures["sentiment_macro_f1"] = macro_f1(*zip(*pairs, strict=True)) if pairs else math.nan
    return figures


def fold_models(
    method: str, claims: Sequence[LabeledClaim], mask: bool, options: TrainOptions
) -> Iterator[tuple[np.ndarray, Any]]:
    """For each fold (see `folds_for`): its test indices and a model fitted on the rest."""
    folds = folds_for(claims, options.folds, options.seed)
    label = f"{method} CV{' (masked)' if mask else ''}"
    for test in tqdm(folds, desc=label, unit="fold", disable=options.quiet):
        test_set = set(test.tolist())
        train = [c for i, c in enumerate(claims) if i not in test_set]
        yield test, fit_model(method, train, mask, options)


def cross_validate(
    method: str, claims: Sequence[LabeledClaim], mask: bool, options: TrainOptions
) -> CVResult:
    """Grouped cross-validation of one method on `claims`."""
    start = time.perf_counter()
    result = CVResult(method, mask)
    predictions: list[Any] = [None] * len(claims)
    for test, model in fold_models(method, claims, mask, options):
        held_out = [claims[i] for i in test]
        fold_predictions = model.predict(
            [c.text for c in held_out],
            target=[c.target for c in held_out],
            speakers=[c.speaker for c in held_out],
        )
        for i, p in zip(test, fold_predictions, strict=True):
            predictions[i] = p
        result.folds.append(_figures(held_out, fold_predictions))
    result.pooled = _figures(claims, predictions)
    targets = sorted({c.target for c in claims})
    if len(targets) > 1:
        for target in targets:
            rows = [i for i, c in enumerate(claims) if c.target == target]
            result.per_target[target] = _figures(
                [claims[i] for i in rows], [predictions[i] for i in rows]
            )
    result.seconds = time.perf_counter() - start
    return result


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

    return {str(p): sha256_file(p) for p in label_files(list(paths))} if paths else {}


def train(
    claims: Sequence[LabeledClaim],
    methods: Sequence[str],
    out: str | Path,
    options: TrainOptions,
    mask_speakers: bool = False,
    label_files: Sequence[str | Path] = (),
) -> list[TrainReport]:
    """Cross-validate each method, fit it on all claims and write `<out>/<method>/`.

    With `mask_speakers` the saved model is trained masked and cross-validation runs both
    masked and unmasked, so the figures show how much names alone were worth.
    """
    reports = []
    for method in methods:
        results = [cross_validate(method, claims, False, options)]
        if mask_speakers:
            results.append(cross_validate(method, claims, True, options))
        start = time.perf_counter()
        model = fit_model(method, claims, mask_speakers, options)
        fit_seconds = time.perf_counter() - start
        model.card.labels_sha256 = labels_sha256(label_files)
        model.card.cv = {("masked" if r.masked else "unmasked"): r.to_dict() for r in results}
        model.card.settings["folds"] = len(results[0].folds)
        model.card.fit_seconds = round(fit_seconds, 2)
        folder = Path(out) / method
        model.save_pretrained(folder)
        reports.append(TrainReport(method, results, fit_seconds, folder))
    return reports


def _cell(figure: tuple[float, float], pooled: float) -> str:
    mean, std = figure
    if math.isnan(mean):
        return "n/a"
    return f"{mean:.3f}±{std:.3f}\npooled {pooled:.3f}"


def results_table(reports: Sequence[TrainReport]) -> Table:
    """A rich table, one row per method (and masking): mean ± std over folds above the
    figure of all out-of-fold predictions pooled; then one row per target if several."""
    table = Table(title="cross-validation: mean±std over folds, and pooled out-of-fold")
    table.add_column("method", no_wrap=True)
    for name in ("stance macro-F1", "stance F_avg", "stance accuracy", "sentiment macro-F1"):
        table.add_column(name, justify="right")
    keys = ("stance_macro_f1", "stance_f_avg", "stance_accuracy", "sentiment_macro_f1")
    times = []
    for report in reports:
        for result in report.cv:
            name = report.method + (" (masked)" if result.masked else "")
            summary = result.summary()
            cells = (_cell(summary[k], result.pooled[k]) for k in keys)
            table.add_row(name, *cells, end_section=True)
            for target, figures in result.per_target.items():
                table.add_row(f"· {target}", *(f"{figures[k]:.3f}" for k in keys))
            times.append(f"{name} {len(result.folds)} folds {result.seconds:.1f}s")
        times.append(f"{report.method} final fit {report.fit_seconds:.1f}s")
    table.caption = "; ".join(times)
    return table
