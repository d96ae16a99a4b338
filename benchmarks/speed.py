"""Speed: training time, prediction throughput against the plain encoder, end-to-end `score`.

1. Training time of each method on the seed labels (models fitted here, in a temp folder).
2. Prediction throughput (claims/s, stance and sentiment together) of each method over the
   seed claims repeated to at least 2,000, and in the same run one plain fp32 forward pass of
   the base encoder (the bundled all-MiniLM-L6-v2 through transformers' AutoModel, the claims
   alone, the same batch size, dynamic padding, torch.inference_mode). The methods take turns
   in each round, so a busy machine slows them alike; the median round counts.
3. `python -m stancekit score` in a child process on corpora of the seeds repeated with new
   ids: wall-clock throughput (articles/s, claims/s, process start included) and peak RSS
   (from /usr/bin/time), beside each stage alone (extraction; classification in
   batches of 64 as score sends them), measured in this process.

Prints the tables and writes the section "## Speed" of benchmarks/RESULTS.md.

    python benchmarks/speed.py [--articles 100 1000] [--rounds 3] [--no-write]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
from accuracy import model_predict, vader
from common import LABELS, SEEDS, environment, write_corpus, write_section
from transformers import AutoModel, AutoTokenizer

from stancekit.extraction import extract_many, load_nlp
from stancekit.labels import load_labels
from stancekit.models import load
from stancekit.models.finetuned import bundled_model_path
from stancekit.reading import read_articles
from stancekit.records import LabeledClaim
from stancekit.scoring import CLAIMS_FILE
from stancekit.training import TrainOptions, fit_claims, label_rows, make_classifier

SECTION = "## Speed"
MIN_CLAIMS = 2000
BATCH_SIZE = 64  # FineTunedModel.predict's and score's default batch size
MAX_LENGTH = 128  # the fine-tuned model's max_length
GOAL_BASELINE = 10_000  # claims/s
GOAL_SCORE_SHARE = 0.8  # of the slowest stage's throughput
GOAL_MEMORY_MB = 2048
FLAT = 1.10  # peak RSS at the largest corpus within 10% of the smallest counts as flat

Timed = Callable[[Sequence[LabeledClaim]], Any]


def train(claims: list[LabeledClaim], folder: Path) -> tuple[dict[str, Any], dict[str, float]]:
    """Fit each method on all claims, save the baseline and fine-tuned models into `folder`;
    the models by name and each one's training seconds."""
    models, seconds = {}, {}
    for name, method, mask in (("baseline", "baseline", False),
                               ("baseline (masked speakers)", "baseline", True),
                               ("fine-tuned", "finetuned", False)):
        print(f"training {name} ...", flush=True)
        start = time.perf_counter()
        estimator = make_classifier(method, TrainOptions(), mask)
        models[name] = fit_claims(estimator, claims, label_rows(claims))
        seconds[name] = time.perf_counter() - start
        print(f"  {seconds[name]:.1f}s", flush=True)
    for name, method in (("baseline", "baseline"), ("fine-tuned", "finetuned")):
        models[name].save_pretrained(folder / method)
    return models, seconds


def plain_encoder() -> Timed:
    """One fp32 forward pass of the bundled base encoder over the claims' texts alone, in their
    order, with as many torch threads as the fine-tuned model's predict last set."""
    path = bundled_model_path()
    tokenizer = AutoTokenizer.from_pretrained(path)
    encoder = AutoModel.from_pretrained(path).eval()

    def run(claims: Sequence[LabeledClaim]) -> None:
        texts = [c.text for c in claims]
        with torch.inference_mode():
            for start in range(0, len(texts), BATCH_SIZE):
                batch = tokenizer(texts[start:start + BATCH_SIZE], padding=True,
                                  truncation=True, max_length=MAX_LENGTH, return_tensors="pt")
                encoder(**batch)

    return run


def throughput(methods: dict[str, Timed], claims: list[LabeledClaim],
               rounds: int) -> dict[str, float]:
    """Median claims/s of each method over `rounds` rounds in which the methods take turns."""
    for run in methods.values():  # warm-up
        run(claims[:BATCH_SIZE])
    times: dict[str, list[float]] = {name: [] for name in methods}
    for k in range(rounds):
        for name, run in methods.items():
            start = time.perf_counter()
            run(claims)
            times[name].append(time.perf_counter() - start)
        print(f"round {k + 1}/{rounds}: " + ", ".join(
            f"{name} {len(claims) / times[name][-1]:,.0f}/s" for name in methods), flush=True)
    return {name: len(claims) / statistics.median(t) for name, t in times.items()}


def score_run(corpus: Path, model: Path, out: Path) -> dict[str, float]:
    """`python -m stancekit score` in a child process: seconds, claims and peak RSS (MB).

    The peak comes from /usr/bin/time, which starts the child from its own small process:
    a child forked from this one would report this process's RSS as its peak.
    """
    peak = out.with_suffix(".maxrss")
    command = ["/usr/bin/time", "-f", "%M", "-o", str(peak), sys.executable, "-m", "stancekit",
               "score", str(corpus), "--model", str(model), "--out", str(out)]
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, cwd=out.parent, check=True,
                   env={**os.environ, "HF_HUB_OFFLINE": "1"})
    seconds = time.perf_counter() - start
    with (out / CLAIMS_FILE).open(encoding="utf-8") as handle:
        n_claims = sum(1 for _ in handle)
    return {"seconds": seconds, "claims": n_claims, "rss_mb": int(peak.read_text()) / 1024}


def stages(corpus: Path, n_articles: int, models: dict[str, Any]) -> dict[str, float]:
    """Claims/s of extraction alone, and of each model's classification alone, on `corpus`."""
    nlp = load_nlp()
    list(extract_many(list(read_articles([SEEDS]))[:1], nlp=nlp))  # warm-up
    print(f"extraction alone on {n_articles} articles ...", flush=True)
    start = time.perf_counter()
    claims = [c for _, found in extract_many(read_articles([corpus]), nlp=nlp) for c in found]
    rates = {"extraction": len(claims) / (time.perf_counter() - start)}
    for name, model in models.items():
        print(f"classification alone with {name} ...", flush=True)
        model.predict([c.text for c in claims[:BATCH_SIZE]])  # warm-up
        start = time.perf_counter()
        for first in range(0, len(claims), BATCH_SIZE):
            batch = claims[first:first + BATCH_SIZE]
            model.predict([c.text for c in batch], speakers=[c.speaker for c in batch])
        rates[name] = len(claims) / (time.perf_counter() - start)
    return rates


def verdict(met: bool) -> str:
    return "**met**" if met else "**not met**"


def section(fit_seconds: dict[str, float], rates: dict[str, float], n_claims: int,
            runs: dict[tuple[str, int], dict[str, float]], alone: dict[str, float],
            n_alone: int, seconds: float, load: tuple[float, float]) -> str:
    encoder = rates["plain encoder pass (fp32)"]
    lines = [
        SECTION, "",
        "Training on all 149 seed labels (`labels/claims.jsonl`) with the defaults of "
        "`python -m stancekit train`:", "",
        "| method | training seconds |", "| --- | ---: |",
        "| majority class, VADER | no training |",
        *(f"| {name} | {s:.1f} |" for name, s in fit_seconds.items()), "",
        f"Prediction throughput, stance and sentiment together, over the 149 seed claims "
        f"repeated to {n_claims:,} (median of rounds in which the methods take turns; the "
        f"plain encoder pass reads the claims alone, batch {BATCH_SIZE}, dynamic padding, "
        "torch.inference_mode; the fine-tuned model reads claim and target as a pair, one "
        "shared encoder, length-sorted batches; both run with the torch threads the model "
        f"chose from the free cores: {torch.get_num_threads()}):", "",
        "| method | claims/s | vs plain encoder pass |", "| --- | ---: | ---: |",
        *(f"| {name} | {rate:,.0f} | {rate / encoder:.2f}× |" for name, rate in rates.items()),
        "", "`score` end to end (`python -m stancekit score CORPUS.jsonl --model M` in a child "
        "process, wall clock including process start and model loading; peak RSS of the "
        "child) on the seed articles repeated with new ids, beside each stage alone (in this "
        f"process, on {n_alone:,} articles: extraction alone with spaCy; "
        f"classification alone in batches of {BATCH_SIZE} as score sends them):", "",
        "| model | articles | claims | seconds | articles/s | claims/s | peak RSS MB "
        "| slowest stage alone, claims/s | score / slowest stage |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |",
    ]
    for (model, n), run in runs.items():
        rate = run["claims"] / run["seconds"]
        slowest = min(("extraction", model), key=alone.__getitem__)
        lines.append(f"| {model} | {n:,} | {run['claims']:,.0f} | {run['seconds']:.1f} | "
                     f"{n / run['seconds']:.2f} | {rate:.1f} | {run['rss_mb']:.0f} | "
                     f"{slowest} {alone[slowest]:.1f} | {rate / alone[slowest]:.2f} |")
    lines += ["", "Stages alone, claims/s: " + ", ".join(
        f"{name} {rate:,.1f}" for name, rate in alone.items()) + ". The fine-tuned model "
        f"predicts {rates['fine-tuned']:,.0f} claims/s given all {n_claims:,} claims in one call "
        f"but {alone['fine-tuned']:,.1f} given score's batches of {BATCH_SIZE}: it sorts claims "
        "by length only within a call.", "", "Goals (issue 8):", ""]
    lines += goals(rates, runs, alone)
    lines += ["", f"Machine: {environment()}. Load average (1 min) {load[0]:.1f} at the start "
              f"and {load[1]:.1f} at the end: other work on the machine slows every figure "
              f"here alike. Run time {seconds / 60:.1f} min.",
              "Reproduce: `python benchmarks/speed.py`.", ""]
    return "\n".join(lines)


def goals(rates: dict[str, float], runs: dict[tuple[str, int], dict[str, float]],
          alone: dict[str, float]) -> list[str]:
    """One line per goal of the issue: what was measured, met or not and by how much."""
    encoder = rates["plain encoder pass (fp32)"]
    lines = []
    for name in ("fine-tuned", "fine-tuned int8"):
        ratio = rates[name] / encoder
        lines.append(f"- {name} predict at least as fast as the plain fp32 encoder pass: "
                     f"{ratio:.2f}× ({rates[name]:,.0f} vs {encoder:,.0f} claims/s), "
                     f"{verdict(ratio >= 1)}"
                     + ("" if ratio >= 1 else f", {1 - ratio:.0%} short") + ".")
    base = rates["baseline"]
    lines.append(f"- baseline at least {GOAL_BASELINE:,} claims/s: {base:,.0f}, "
                 f"{verdict(base >= GOAL_BASELINE)}"
                 + ("" if base >= GOAL_BASELINE else f", {1 - base / GOAL_BASELINE:.0%} short")
                 + ".")
    largest = max(n for _, n in runs)
    smallest = min(n for _, n in runs)
    for model in dict.fromkeys(m for m, _ in runs):
        big, small = runs[(model, largest)], runs[(model, smallest)]
        share = big["claims"] / big["seconds"] / min(alone["extraction"], alone[model])
        growth = big["rss_mb"] / small["rss_mb"]
        flat = growth <= FLAT and big["rss_mb"] < GOAL_MEMORY_MB
        lines.append(f"- score with {model} within {GOAL_SCORE_SHARE:.0%} of the slowest "
                     f"stage ({largest:,} articles): {share:.0%}, "
                     f"{verdict(share >= GOAL_SCORE_SHARE)}; peak memory flat (within "
                     f"{FLAT - 1:.0%}) and under 2 GB: "
                     f"{small['rss_mb']:.0f} MB at {smallest:,} articles, {big['rss_mb']:.0f} MB "
                     f"at {largest:,} ({growth - 1:+.0%}), {verdict(flat)}.")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, nargs="+", default=[100, 1000],
                        help="corpus sizes for score (default: %(default)s)")
    parser.add_argument("--rounds", type=int, default=3, help="throughput rounds (default: 3)")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)

    started, load_start = time.perf_counter(), os.getloadavg()[0]
    claims = load_labels(LABELS)
    with tempfile.TemporaryDirectory(prefix="stancekit-speed-") as tmp:
        folder = Path(tmp)
        models, fit_seconds = train(claims, folder)
        models["fine-tuned int8"] = models["fine-tuned"].quantized()
        repeated = claims * -(-MIN_CLAIMS // len(claims))
        methods: dict[str, Timed] = {"VADER (sentiment only)": vader()}
        methods |= {name: model_predict(model) for name, model in models.items()}
        methods["plain encoder pass (fp32)"] = plain_encoder()
        rates = throughput(methods, repeated, args.rounds)

        runs = {}
        for n in sorted(args.articles):
            corpus = folder / f"corpus-{n}.jsonl"
            write_corpus(corpus, n)
            for name, method in (("baseline", "baseline"), ("fine-tuned", "finetuned")):
                print(f"score: {n:,} articles with {name} ...", flush=True)
                runs[(name, n)] = score_run(corpus, folder / method, folder / f"out-{method}-{n}")
                print(f"  {runs[(name, n)]}", flush=True)
        smallest = min(args.articles)
        scored = {name: load(folder / method) for name, method in (
            ("baseline", "baseline"), ("fine-tuned", "finetuned"))}
        alone = stages(folder / f"corpus-{smallest}.jsonl", smallest, scored)
    text = section(fit_seconds, rates, len(repeated), runs, alone, smallest,
                   time.perf_counter() - started, (load_start, os.getloadavg()[0]))
    print(text)
    if not args.no_write:
        write_section(SECTION, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
