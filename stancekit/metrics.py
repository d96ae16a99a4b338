"""The figures stancekit reports: macro-F1, F_avg (SemEval-2016's mean F1 of favor and
against), accuracy, and expected calibration error."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from sklearn.metrics import accuracy_score, f1_score

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


def expected_calibration_error(
    confidences: Sequence[float], correct: Sequence[bool], n_bins: int = 10
) -> float:
    """ECE: the mean |accuracy - confidence| over equal-width confidence bins, weighted by
    the share of predictions in each bin (a confidence of exactly 1 falls in the last bin)."""
    conf = np.asarray(confidences, dtype=float)
    hits = np.asarray(correct, dtype=float)
    if len(conf) == 0:
        return math.nan
    bins = np.minimum((conf * n_bins).astype(int), n_bins - 1)
    total = 0.0
    for b in np.unique(bins):
        inside = bins == b
        total += inside.sum() * abs(hits[inside].mean() - conf[inside].mean())
    return float(total / len(conf))
