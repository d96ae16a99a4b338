"""Accuracy of every method by grouped cross-validation on the seed labels, and of extraction.

Stance and sentiment: the folds of `python -m stancekit train` (`training.folds_for`, one
article held out per fold), models fitted per fold by `training.fold_models`, for the
majority class, VADER (sentiment only), the baseline and the fine-tuned model, each with
speakers' names masked as well, and the fine-tuned model with int8 dynamic quantization.
Extraction: claim coverage and speaker accuracy with and without the alias table (the
functions of benchmarks/extraction.py). Prints the tables and writes the section
"## Accuracy" of benchmarks/RESULTS.md.

    python benchmarks/accuracy.py [--quick] [--no-write]

`--quick` skips the fine-tuned rows (minutes of fine-tuning) and only prints.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import numpy as np
from common import ALIASES, LABELS, SEEDS, cell, environment, write_section
from extraction import run as run_extraction
from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from stancekit.evaluation import extraction_scores, sentiment_report
from stancekit.extraction import AliasTable, load_nlp
from stancekit.labels import load_labels
from stancekit.metrics import FAVOR_AGAINST, stance_metrics
from stancekit.reading import read_articles
from stancekit.records import LabeledClaim, Prediction
from stancekit.training import (
    CVResult,
    TrainOptions,
    fold_models,
    folds_for,
    label_rows,
    make_classifier,
)

SECTION = "## Accuracy"
COLUMNS = (("stance macro-F1", "stance_macro_f1"), ("F_avg", "stance_f_avg"),
           ("stance accuracy", "stance_accuracy"), ("sentiment macro-F1", "sentiment_macro_f1"))
NO_STANCE = {"VADER"}  # methods that predict sentiment only
VADER_THRESHOLD = 0.05  # the usual cut on VADER's compound score

Predict = Callable[[Sequence[LabeledClaim]], list[Prediction]]
Fold = tuple[np.ndarray, dict[str, Predict]]


def majority(train: Sequence[LabeledClaim]) -> Predict:
    """Always the most frequent stance and sentiment of the training claims."""
    stance = Counter(c.stance for c in train).most_common(1)[0][0]
    sentiment = Counter(c.sentiment for c in train if c.sentiment).most_common(1)[0][0]
    verdict = Prediction(stance, {stance: 1.0}, sentiment, {sentiment: 1.0})
    return lambda held: [verdict] * len(held)


def vader() -> Predict:
    """Sentiment from VADER's compound score (>= 0.05 positive, <= -0.05 negative); no stance."""
    analyzer = SentimentIntensityAnalyzer()

    def label(text: str) -> str:
        compound = analyzer.polarity_scores(text)["compound"]
        if compound >= VADER_THRESHOLD:
            return "positive"
        return "negative" if compound <= -VADER_THRESHOLD else "neutral"

    return lambda held: [Prediction("none", {}, label(c.text), {}) for c in held]


def model_predict(model: Any) -> Predict:
    """A trained stancekit model's predictions for labeled claims (their targets, speakers)."""
    return lambda held: model.predict([c.text for c in held], target=[c.target for c in held],
                                      speakers=[c.speaker for c in held])


def figures(gold: Sequence[LabeledClaim], predictions: Sequence[Prediction]) -> dict[str, float]:
    """Stance macro-F1, F_avg and accuracy, and sentiment macro-F1 (keys as in `train`)."""
    stance = stance_metrics([c.stance for c in gold], [p.stance for p in predictions])
    sentiment = sentiment_report([c.sentiment for c in gold], predictions)
    return {**{f"stance_{k}": v for k, v in stance.items()},
            "sentiment_macro_f1": sentiment["macro_f1"]}


def cross_validated(claims: Sequence[LabeledClaim], folds: Iterable[Fold],
                    masked: bool) -> dict[str, CVResult]:
    """Per-fold and pooled out-of-fold figures of each method the folds predict with."""
    results: dict[str, CVResult] = {}
    pooled: dict[str, list[Prediction]] = {}
    for test, predictors in folds:
        held = [claims[i] for i in test]
        for name, predict in predictors.items():
            predictions = predict(held)
            result = results.setdefault(name, CVResult(name, masked))
            result.folds.append(figures(held, predictions))
            out = pooled.setdefault(name, [Prediction("none", {})] * len(claims))
            for i, p in zip(test, predictions, strict=True):
                out[i] = p
    for name, result in results.items():
        result.pooled = figures(claims, pooled[name])
    return results


def simple_folds(claims: Sequence[LabeledClaim], options: TrainOptions) -> Iterator[Fold]:
    """The train folds with the majority class and VADER, which need no model."""
    sentiment = vader()
    for test in folds_for(claims, options.folds, options.seed):
        held_out = set(test.tolist())
        train = [c for i, c in enumerate(claims) if i not in held_out]
        yield test, {"majority class": majority(train), "VADER": sentiment}


def model_folds(method: str, claims: Sequence[LabeledClaim], mask: bool,
                options: TrainOptions) -> Iterator[Fold]:
    """The train folds with a model of `method` fitted on each fold's training claims; the
    unmasked fine-tuned model is also measured with int8 dynamic quantization."""
    name = {"baseline": "baseline", "finetuned": "fine-tuned"}[method]
    suffix = " (masked speakers)" if mask else ""
    estimator = make_classifier(method, options, mask)
    for test, model in fold_models(estimator, claims, label_rows(claims), options.folds,
                                   options.seed, options.quiet):
        predictors = {name + suffix: model_predict(model)}
        if method == "finetuned" and not mask:
            predictors["fine-tuned int8"] = model_predict(model.quantized())
        yield test, predictors


def fold_table(claims: Sequence[LabeledClaim], options: TrainOptions,
               results: Sequence[CVResult]) -> list[str]:
    """One line per fold: the held-out article, what its training part holds, stance F1s."""
    lines = ["| fold | held out | test claims | favor/against in training | "
             + " | ".join(r.method for r in results if r.method not in NO_STANCE) + " |",
             "| --- | --- | ---: | ---: |" + " ---: |" * sum(
                 r.method not in NO_STANCE for r in results)]
    for k, test in enumerate(folds_for(claims, options.folds, options.seed)):
        held_out = set(test.tolist())
        articles = sorted({claims[i].article for i in held_out})
        stances = Counter(c.stance for i, c in enumerate(claims) if i not in held_out)
        f1s = [f"{r.folds[k]['stance_macro_f1']:.3f}" for r in results
               if r.method not in NO_STANCE]
        lines.append(f"| {k + 1} | {', '.join(a[:3] for a in articles)} | {len(test)} | "
                     f"{stances['favor']} / {stances['against']} | {' | '.join(f1s)} |")
    return lines


def label_facts(claims: Sequence[LabeledClaim]) -> str:
    """Where the favor/against claims are, counted from the labels."""
    bearing = [c for c in claims if c.stance in FAVOR_AGAINST]
    (top, n_top), *_ = Counter(c.article for c in bearing).most_common(1)
    rest = Counter(c.stance for c in bearing if c.article != top)
    none_only = sorted({c.article[:3] for c in claims} - {c.article[:3] for c in bearing})
    return (f"{n_top} of the {len(bearing)} favor/against claims are in article {top[:3]} "
            f"({top}), so the fold holding it out trains on {len(bearing) - n_top} "
            f"stance-bearing claims ({rest['favor']} favor, {rest['against']} against) and "
            "tests on nearly all of them: expect a large spread across folds. Articles "
            f"{' and '.join(none_only)} hold only `none` claims, so a method that predicts only "
            "`none` on them scores a fold macro-F1 of 1.0 (macro-F1 averages the classes present "
            "in truth or prediction), which lifts the majority class's fold mean. Read the "
            "pooled figure as the main one.")


def extraction_rows(gold: Sequence[LabeledClaim]) -> list[str]:
    """Claim coverage and speaker accuracy on the seeds, with and without the alias table."""
    nlp = load_nlp()
    articles = list(read_articles([SEEDS]))
    lines = ["| alias table | gold claims | claim coverage | speaker accuracy |",
             "| --- | ---: | ---: | ---: |"]
    for name, aliases in (("with", AliasTable.from_jsonl(ALIASES)), ("without", None)):
        claims, _ = run_extraction(articles, aliases, nlp)
        scores = extraction_scores(gold, claims)
        lines.append(f"| {name} | {scores['n_gold']} | {scores['claim_recall']:.3f} | "
                     f"{scores['speaker_accuracy']:.3f} |")
        print(f"extraction, alias table {name}: {scores}")
    return lines


def section(claims: Sequence[LabeledClaim], options: TrainOptions, results: list[CVResult],
            extraction: list[str], seconds: float) -> str:
    n_folds = len(results[0].folds)
    lines = [
        SECTION, "",
        f"Grouped cross-validation by article on `labels/claims.jsonl` ({len(claims)} claims, "
        f"{len({c.article for c in claims})} articles, {n_folds} folds: the folds of "
        "`python -m stancekit train`, one article held out per fold). Each cell is the mean ± "
        "standard deviation over folds, then in brackets the figure of all out-of-fold "
        "predictions pooled. F_avg is the mean F1 of favor and against; its fold mean leaves "
        "out folds where neither occurs in truth or prediction. Masked rows hide each claim's "
        "own speaker's name in training and prediction. int8 is the fine-tuned fold models "
        "with dynamic int8 quantization of their Linear layers.", "",
        label_facts(claims), "",
        "| method | " + " | ".join(name for name, _ in COLUMNS) + " |",
        "| --- |" + " ---: |" * len(COLUMNS),
    ]
    for result in results:
        summary = result.summary()
        cells = [cell(*summary[key], result.pooled[key])
                 if not (key.startswith("stance") and result.method in NO_STANCE) else "n/a"
                 for _, key in COLUMNS]
        lines.append(f"| {result.method} | " + " | ".join(cells) + " |")
    lines += ["", "Stance macro-F1 per fold:", "", *fold_table(claims, options, results), "",
              "Extraction on the five seed articles against the same labels (a gold claim is "
              "covered when one extracted claim overlaps at least half of it; speaker accuracy "
              "over covered claims; details in the Extraction section):", "", *extraction, "",
              f"Machine: {environment()}. Run time {seconds / 60:.1f} min.",
              "Reproduce: `python benchmarks/accuracy.py` (`--quick` skips the fine-tuned rows).",
              ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="skip the fine-tuned rows, and print without writing RESULTS.md")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    claims = load_labels(LABELS)
    options = TrainOptions()  # the defaults of `python -m stancekit train`
    groups: list[tuple[Iterable[Fold], bool]] = [
        (simple_folds(claims, options), False),
        (model_folds("baseline", claims, False, options), False),
        (model_folds("baseline", claims, True, options), True),
    ]
    if not args.quick:
        groups += [(model_folds("finetuned", claims, False, options), False),
                   (model_folds("finetuned", claims, True, options), True)]
    results = []
    for folds, masked in groups:
        step = time.perf_counter()
        found = cross_validated(claims, folds, masked)
        results.extend(found.values())
        print(f"{', '.join(found)}: {time.perf_counter() - step:.1f}s")
    extraction = extraction_rows(claims)
    text = section(claims, options, results, extraction, time.perf_counter() - started)
    print(text)
    if not (args.quick or args.no_write):
        write_section(SECTION, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
