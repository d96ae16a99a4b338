"""The annotation loop, simulated on the seed labels: does `suggest` pick better than chance?

The seed labels (labels/claims.jsonl) stand in for an annotator who answers instantly. Each
run starts from 20 labels drawn at random, then adds 20 per round chosen by a strategy from
the labels not yet used (the model of the round scores them, as `suggest` does), retrains
the baseline, and measures stance F_avg (mean F1 of favor and against) and macro-F1 on the
dev set's gold claims (text, target and stance from ../shared/devset/claims.jsonl, read at
run time; the script stops cleanly when the folder is absent). Strategies: `random`,
`uncertainty`, `diverse`, `speakers` (stancekit.annotation.rank_claims); every strategy of a
run starts from the same 20 labels; several random seeds.

Writes the section "## Annotation loop" of benchmarks/RESULTS.md (figures only).

    python benchmarks/annotation_loop.py [--seeds 5] [--start 20] [--step 20] [--devset DIR]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from common import LABELS, ROOT, environment, write_section

from stancekit.annotation import ClaimEncoder, rank_claims
from stancekit.labels import load_labels
from stancekit.metrics import f_avg, macro_f1
from stancekit.models import BaselineClassifier
from stancekit.records import Claim, LabeledClaim
from stancekit.training import fit_claims, label_rows

SECTION = "## Annotation loop"
STRATEGIES = ("random", "uncertainty", "diverse", "speakers")


def as_claim(label: LabeledClaim) -> Claim:
    return Claim(label.id, label.article, label.start or 0, label.end or 0, label.text,
                 label.speaker, label.via)


def measure(labels: list[LabeledClaim], dev: list[LabeledClaim]) -> tuple[float, float, object]:
    """(stance F_avg, stance macro-F1) on `dev` of a baseline trained on `labels`, and it."""
    model = fit_claims(BaselineClassifier(), labels, label_rows(labels))
    predicted = [p.stance for p in model.predict([d.text for d in dev],
                                                 target=[d.target for d in dev])]
    truth = [d.stance for d in dev]
    return f_avg(truth, predicted), macro_f1(truth, predicted), model


def run(strategy: str, pool: list[LabeledClaim], dev: list[LabeledClaim],
        embeddings: np.ndarray, target: np.ndarray, seed: int, start: int,
        step: int) -> list[tuple[int, float, float]]:
    """(labels used, F_avg, macro-F1) after each round of one simulated loop."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(pool))
    chosen = list(order[:start])
    curve = []
    while True:
        score, macro, model = measure([pool[i] for i in chosen], dev)
        curve.append((len(chosen), score, macro))
        rest = [i for i in range(len(pool)) if i not in set(chosen)]
        if len(rest) < step:
            return curve
        if strategy == "random":
            chosen += [i for i in order if i in set(rest)][:step]
            continue
        claims = [as_claim(pool[i]) for i in rest]
        predictions = model.predict([c.text for c in claims],
                                    target=[pool[i].target for i in rest])
        ranked = rank_claims(claims, embeddings[rest], target, step, strategy, predictions,
                             labeled_embeddings=embeddings[chosen])
        chosen += [rest[i] for i, _, _ in ranked]


def first_reaching(curve: list[tuple[int, float]], level: float) -> str:
    """The fewest labels at which a mean curve reaches `level`, or "not reached"."""
    for size, value in curve:
        if value >= level - 1e-9:
            return str(size)
    return "not reached"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=5, help="random seeds (default 5)")
    parser.add_argument("--start", type=int, default=20, help="labels to start from")
    parser.add_argument("--step", type=int, default=20, help="labels added per round")
    parser.add_argument("--devset", type=Path, default=ROOT.parent / "shared" / "devset",
                        help="folder with the dev set's claims.jsonl")
    parser.add_argument("--no-write", action="store_true", help="print, do not touch RESULTS.md")
    args = parser.parse_args()
    gold = args.devset / "claims.jsonl"
    if not gold.is_file():
        print(f"skipped: no dev set at {gold}", file=sys.stderr)
        return 0
    pool, dev = load_labels(LABELS), load_labels(gold)
    started = time.perf_counter()
    encoder = ClaimEncoder()
    embeddings = encoder.encode([label.text for label in pool])
    target = encoder.encode([pool[0].target])[0]
    curves: dict[str, list[list[tuple[int, float, float]]]] = {s: [] for s in STRATEGIES}
    for seed in range(args.seeds):
        for strategy in STRATEGIES:
            curve = run(strategy, pool, dev, embeddings, target, seed, args.start, args.step)
            curves[strategy].append(curve)
            print(f"seed {seed} {strategy:11s} " + " ".join(
                f"{n}:{f:.3f}" for n, f, _ in curve), flush=True)
    full_f, full_macro, _ = measure(pool, dev)
    sizes = [n for n, _, _ in curves["random"][0]]
    mean_f = {s: np.array([[f for _, f, _ in c] for c in curves[s]]) for s in STRATEGIES}
    mean_m = {s: np.array([[m for _, _, m in c] for c in curves[s]]) for s in STRATEGIES}
    header = "| strategy | " + " | ".join(str(n) for n in sizes) + " |"
    rule = "| --- |" + " ---: |" * len(sizes)

    def table(values: dict[str, np.ndarray]) -> list[str]:
        return [header, rule] + [
            f"| {s} | " + " | ".join(f"{m:.3f} ± {d:.3f}" for m, d in
                                     zip(values[s].mean(0), values[s].std(0), strict=True)) + " |"
            for s in STRATEGIES]

    random_final = float(mean_f["random"].mean(0)[-1])
    reach = []
    for s in STRATEGIES:
        curve = list(zip(sizes, mean_f[s].mean(0), strict=True))
        reach.append(f"| {s} | {first_reaching(curve, random_final)} | "
                     f"{mean_f[s].mean(0)[-1]:.3f} | {np.mean(mean_f[s]):.3f} |")
    text = "\n".join([
        SECTION, "",
        f"`python benchmarks/annotation_loop.py` ({time.perf_counter() - started:.0f} s): the "
        f"loop simulated on the {len(pool)} seed labels, starting from {args.start} random "
        f"labels and adding {args.step} per round chosen by each strategy, the baseline "
        f"retrained each round and measured on the dev set's {len(dev)} gold claims; mean ± "
        f"std over {args.seeds} random seeds (each seed's strategies share their first "
        f"{args.start} labels). For reference, the baseline trained on all {len(pool)} seed "
        f"labels scores stance F_avg {full_f:.3f}, macro-F1 {full_macro:.3f}.", "",
        "Stance F_avg on the dev set by number of labels:", "",
        *table(mean_f), "",
        "Stance macro-F1 on the dev set by number of labels:", "",
        *table(mean_m), "",
        f"Labels needed to reach random choice's final mean F_avg ({random_final:.3f} at "
        f"{sizes[-1]} labels), each strategy's final mean F_avg, and its mean over all rounds "
        "(area under the curve):", "",
        "| strategy | labels to reach random's final F_avg | final F_avg | mean F_avg |",
        "| --- | ---: | ---: | ---: |",
        *reach, "",
        f"Machine: {environment()}.",
    ])
    if args.no_write:
        print(text)
    else:
        write_section(SECTION, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
