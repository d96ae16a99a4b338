"""Stance and sentiment on the development set (real articles the models never saw), with
and without each claim's context, for saved models and for training recipes.

The development set lives outside the repository (`../shared/devset/`: `articles/*.txt`,
`claims.jsonl`) and is read at run time only; nothing of it is written anywhere except
figures. Each gold claim's context is built from its article as `score` builds it
(`claim_context`: the previous sentence and the headline).

    python benchmarks/devset.py --model models/finetuned [--model models/baseline]
    python benchmarks/devset.py --recipes two-head,two-head+context --labels seeds,written
        [--cache runs.json] [--write]

`--recipes` trains each recipe on each label set (seeds: labels/claims.jsonl with the seed
articles' context; written: plus labels/written.jsonl) and measures it; `--cache` keeps
the figures of earlier runs so recipes can be run one at a time (`benchmarks/devset_runs.json`
holds every run in RESULTS.md, figures only); `--write` writes the
section "## Development set" of benchmarks/RESULTS.md from the saved models measured and
every cached run. Exits 0 with a note when the development set is absent.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from common import LABELS, ROOT, SEEDS, environment, write_section

from stancekit.labels import load_labels
from stancekit.models import ClaimClassifier, ClaimInput, classifier, load
from stancekit.reading import read_articles
from stancekit.records import LabeledClaim
from stancekit.training import figures, fit_claims, label_rows

DEVSET = ROOT.parent / "shared" / "devset"
WRITTEN = ROOT / "labels" / "written.jsonl"
SECTION = "## Development set"
KEYS = ("stance_f_avg", "stance_macro_f1", "sentiment_macro_f1", "stance_ece")


def recipes() -> dict[str, tuple[str, dict[str, Any], int]]:
    """Recipe name -> (method, hyper-parameters, times each seed claim is read)."""
    from stancekit.models.finetune import FineTuneSettings

    flat = FineTuneSettings(contrastive_epochs=0, stance_structure="flat")
    contrastive = FineTuneSettings(contrastive_epochs=1, stance_structure="flat")
    longer = FineTuneSettings(min_steps=200, contrastive_epochs=0, stance_structure="flat")
    decomposed = FineTuneSettings(contrastive_epochs=0, stance_structure="decomposed")
    decomposed_1 = FineTuneSettings(contrastive_epochs=0, stance_structure="decomposed", seed=1)
    decomposed_contrastive = FineTuneSettings(contrastive_epochs=1, stance_structure="decomposed")
    return {
        "baseline flat": ("baseline", {"context": False, "stance_structure": "flat"}, 1),
        "baseline+context flat": ("baseline", {"context": True,
                                                       "stance_structure": "flat"}, 1),
        "baseline decomposed (the default)": ("baseline", {"context": False}, 1),
        "baseline decomposed seeds x3": ("baseline", {"context": False}, 3),
        "two-head": ("finetuned", {"context": False, "settings": flat}, 1),
        "two-head+context": ("finetuned", {"context": True, "settings": flat}, 1),
        "contrastive": ("finetuned", {"context": False, "settings": contrastive}, 1),
        "contrastive+context": ("finetuned", {"context": True, "settings": contrastive}, 1),
        "two-head+context+200steps": ("finetuned", {"context": True, "settings": longer}, 1),
        "decomposed": ("finetuned", {"context": False, "settings": decomposed}, 1),
        "decomposed seed 1": ("finetuned", {"context": False, "settings": decomposed_1}, 1),
        "decomposed+context": ("finetuned", {"context": True, "settings": decomposed}, 1),
        "decomposed+contrastive": ("finetuned",
                                   {"context": False, "settings": decomposed_contrastive}, 1),
        "decomposed seeds x3 (the default)": (
            "finetuned", {"context": False, "settings": decomposed}, 3),
        "decomposed seeds x3+context": ("finetuned", {"context": True, "settings": decomposed}, 3),
        "decomposed seeds x3 (the default) seed 1": (
            "finetuned", {"context": False, "settings": decomposed_1}, 3),
    }


def devset(folder: Path) -> tuple[list[LabeledClaim], list[ClaimInput], list[ClaimInput]]:
    """The gold claims, their rows with context and their rows without (bare texts)."""
    claims = load_labels(folder / "claims.jsonl")
    articles = {a.id: a for a in read_articles(folder / "articles")}
    with_context = label_rows(claims, articles)
    missing = sum(not r.context for r in with_context)
    if missing:
        print(f"note: {missing} gold claims have no context", file=sys.stderr)
    return claims, with_context, label_rows(claims)


def training_set(labels: str) -> tuple[list[LabeledClaim], list[ClaimInput]]:
    """The claims of a label set and their rows, with the seed articles' context."""
    paths = [LABELS] + ([WRITTEN] if labels == "written" else [])
    claims = load_labels(paths)
    return claims, label_rows(claims, {a.id: a for a in read_articles(SEEDS)})


def label_set(n_labels: int, written: bool) -> str:
    """How a label set is named in the table: by its origin and size."""
    return f"seeds + written ({n_labels})" if written else f"seeds ({n_labels})"


def measure(model: ClaimClassifier, claims: Sequence[LabeledClaim],
            with_context: list[ClaimInput], bare: list[ClaimInput]) -> dict[str, dict]:
    """Figures of `model` on the gold claims read with context and as bare texts."""
    return {"context": figures(claims, model.predict(with_context)),
            "bare": figures(claims, model.predict(bare))}


def row(name: str, labels: str, run: dict[str, Any]) -> str:
    cells = [f"{run['context'][k]:.3f} / {run['bare'][k]:.3f}" for k in KEYS]
    seconds = f"{run['fit_seconds']:.0f}" if run.get("fit_seconds") is not None else "-"
    return f"| {name} | {labels} | " + " | ".join(cells) + f" | {seconds} |"


def section(runs: dict[str, dict], n_claims: int) -> str:
    lines = [
        SECTION, "",
        f"{n_claims} gold claims of 14 real articles that no model was built on "
        "(`../shared/devset/`, read at run time; measured with `python benchmarks/devset.py`). "
        "Each cell is the figure with each claim read in its context (previous sentence and "
        "headline, as `score` passes it) / as a bare text (as `measure.py classify` passes it). "
        "Labels: `seeds` = labels/claims.jsonl (149 claims of the 5 seed articles); "
        "`seeds + written` = plus labels/written.jsonl (claims written for training, no "
        "article), with the number of labels in all, growing batch by batch: 581 holds 432 "
        "written claims; 1461 and 1742 hold 1,312 and 1,593 (before and after the "
        "reporting-frames batch; 1964 adds a second such batch, which was not kept); 1957 "
        "holds 1,808 (the tone batch added); 2221 and 2391 hold 2,072 and 2,242 (the "
        "first 264 and all 434 claims of the argument batch; the 2221 rows ran before the "
        "fine-tuning's held-out split kept the copies of a claim together). "
        "ECE: expected calibration error of the stance confidence, 10 bins. "
        "Recipes: `baseline` TF-IDF + logistic regression (`flat`: one three-way stance "
        "regression, the earlier default; `decomposed`: 'takes a side?' "
        "then 'which side?', the default now; `+context`: a TF-IDF block of the "
        "context, weight 0.5); `seeds x3`: each seed claim read three times beside the "
        "written ones (the fine-tuned default now; rows without it read each claim once); "
        "`two-head` the fine-tuned encoder with stance and sentiment "
        "heads, claim and target as a text pair (`+context`: the context after the target); "
        "`contrastive` one SetFit-style contrastive epoch (pairs of the same / another "
        "stance, cosine loss) before the heads; `decomposed` the same encoder with the "
        "stance head split into 'about the target?' and 'which side?' (the default, "
        "without the contrastive epoch). Recipe rows are uncalibrated "
        "fits on all labels; `shipped` rows are model folders written by `train` (calibrated by "
        "temperature scaling on cross-validated predictions; from the 1957-label models "
        "on, on those of the seed claims only; `before` is the fine-tuned model `train` "
        "built from the seed labels alone, before any written claims). Each row is "
        "one fit (seed 0 unless the name says otherwise): differences of a few hundredths "
        "are within seed-to-seed noise. A model "
        "that does not read context gives the same figure both ways. Fit seconds are wall "
        "clock on a 2-core machine shared with other jobs (load average 6 to 30), so they "
        "overstate the time on an idle machine several-fold.",
        "",
        "| model or recipe | labels | stance F_avg | stance macro-F1 | sentiment macro-F1 "
        "| stance ECE | fit seconds |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for key, run in sorted(runs.items()):
        name, labels = key.split(" @ ")
        lines.append(row(name, labels, run))
    lines += ["", f"Machine: {environment()}.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEVSET)
    parser.add_argument("--model", type=Path, action="append", default=[])
    parser.add_argument("--recipes", default="", help="comma-separated; see recipes()")
    parser.add_argument("--labels", default="seeds", help="seeds, written or seeds,written")
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument("--write", action="store_true")
    args = parser.parse_args(argv)
    if not (args.data / "claims.jsonl").is_file():
        print(f"no development set at {args.data}: nothing measured")
        return 0
    claims, with_context, bare = devset(args.data)
    runs: dict[str, dict] = {}
    if args.cache and args.cache.is_file():
        runs = json.loads(args.cache.read_text())
    for folder in args.model:
        model = load(folder)
        written = any("written" in p for p in model.card.labels_sha256)
        labels = label_set(model.card.n_labels, written)
        run = measure(model, claims, with_context, bare)
        run["fit_seconds"] = model.card.fit_seconds
        runs[f"shipped {folder.name} @ {labels}"] = run
        print(row(f"shipped {folder.name}", labels, run), flush=True)
        if args.cache:
            args.cache.write_text(json.dumps(runs, indent=1))
    for name in filter(None, args.recipes.split(",")):
        method, params, real_repeats = recipes()[name]
        for labels in args.labels.split(","):
            train_claims, train_rows = training_set(labels)
            start = time.perf_counter()
            model = fit_claims(classifier(method, **params), train_claims, train_rows,
                               real_repeats)
            run = measure(model, claims, with_context, bare)
            run["fit_seconds"] = time.perf_counter() - start
            key = f"{name} @ {label_set(len(train_claims), labels == 'written')}"
            runs[key] = run
            print(row(*key.split(" @ "), run), flush=True)
            if args.cache:
                args.cache.write_text(json.dumps(runs, indent=1))
    if args.write:
        write_section(SECTION, section(runs, len(claims)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
