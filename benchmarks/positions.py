"""Positions over time: `score --by quarter` on synthetic dated articles, peak memory and time.

1. Writes N synthetic news articles (text written here: invented people, bodies and groups
   for and against an invented canal toll, some turning sides half way), dated over six
   years: half by metadata, half only by a dateline at the top of the text.
2. Runs `python -m stancekit score CORPUS --by quarter` in a child process for each N and
   reads its peak RSS from /usr/bin/time (a child forked from this process would report
   this process's RSS as its peak), its wall-clock time, and the rows it wrote.
3. Aggregation alone, in this process: the Python heap's peak (tracemalloc) of a
   `PositionAggregator` fed the same speakers over 10 and 100 times as many claims, to show
   that its memory does not grow with the number of claims.

Prints the table and writes the section "## Positions" of benchmarks/RESULTS.md.

    python benchmarks/positions.py [--articles 100 1000] [--model models/baseline] [--no-write]
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from common import ROOT, environment, write_section

from stancekit.aggregation import PositionAggregator
from stancekit.records import Claim, Prediction, ScoredClaim
from stancekit.scoring import CLAIMS_FILE, OVER_TIME_FILE, SPEAKERS_FILE

SECTION = "## Positions"
GOAL_MEMORY_MB = 2048
FLAT = 1.10  # peak RSS at the largest corpus within 10% of the smallest counts as flat

PEOPLE = ["Ines Roth", "Marek Olsen", "Tomas Reyes", "Ada Lindqvist", "Femi Adeyemi",
          "Lena Hartmann", "Omar Haddad", "Priya Raman", "Jonas Weber", "Clara Moreau",
          "Kenji Sato", "Rosa Alvarez", "Piet de Vries", "Nadia Petrova", "Samuel Osei"]
BODIES = ["the Port Ellis Council", "the Harbour Authority", "the Shipping Guild"]
GROUPS = ["Local fishermen", "Economists", "Residents"]
FAVOR = ["said that the canal toll would pay for the new locks",
         "urged the council to approve the canal toll",
         "said the toll was the fairest way to fund the harbour"]
AGAINST = ["warned that the canal toll would drive ships away",
           "said the council should scrap the canal toll",
           "called the toll a tax on the town's livelihood"]
NEUTRAL = ["The council will vote on the plan next month.",
           "The canal carries about forty ships a day.",
           "Work on the locks began two years ago."]
FIRST_DAY, DAYS = dt.date(2019, 1, 1), 6 * 365


def write_articles(path: Path, n: int, seed: int = 0) -> None:
    """`n` dated synthetic articles as JSONL; speakers with an even index turn sides half
    way through the six years."""
    rng = random.Random(seed)
    speakers = PEOPLE + BODIES + GROUPS
    with path.open("w", encoding="utf-8") as handle:
        for i in range(n):
            day = FIRST_DAY + dt.timedelta(days=rng.randrange(DAYS))
            late = day >= FIRST_DAY + dt.timedelta(days=DAYS // 2)
            sentences = []
            for _ in range(rng.randint(4, 7)):
                k = rng.randrange(len(speakers))
                favors = (k % 3 != 0) != (late and k % 2 == 0)
                name = speakers[k]
                sentences.append(f"{name[0].upper()}{name[1:]} "
                                 f"{rng.choice(FAVOR if favors else AGAINST)}.")
                sentences.append(rng.choice(NEUTRAL))
            dated_by_text = i % 2 == 1
            dateline = f"PORT ELLIS, {day:%B} {day.day}, {day.year} -- " if dated_by_text else ""
            text = f"Canal toll debate, part {i}\n{dateline}" + " ".join(sentences) + "\n"
            record = {"id": f"toll-{i:05d}", "title": f"Canal toll debate, part {i}",
                      "source": "The Port Ellis Courier",
                      "date": "" if dated_by_text else day.isoformat(), "text": text}
            handle.write(json.dumps(record) + "\n")


def score_run(corpus: Path, model: Path, out: Path) -> dict[str, float]:
    """`score --by quarter` in a child process: seconds, peak RSS (MB), rows written."""
    peak = out.with_suffix(".maxrss")
    command = ["/usr/bin/time", "-f", "%M", "-o", str(peak), sys.executable, "-m", "stancekit",
               "score", str(corpus), "--model", str(model), "--out", str(out), "--by",
               "quarter", "--quiet"]
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, cwd=ROOT, check=True,
                   env={**os.environ, "HF_HUB_OFFLINE": "1", "PYTHONPATH": str(ROOT)})
    seconds = time.perf_counter() - start

    def rows(name: str) -> int:
        with (out / name).open(encoding="utf-8") as handle:
            return sum(1 for _ in csv.DictReader(handle))

    with (out / CLAIMS_FILE).open(encoding="utf-8") as handle:
        n_claims = sum(1 for _ in handle)
    return {"seconds": seconds, "peak_mb": int(peak.read_text().split()[-1]) / 1024,
            "claims": n_claims, "speakers": rows(SPEAKERS_FILE),
            "periods": rows(OVER_TIME_FILE)}


def aggregation_peak(n_claims: int, n_speakers: int = 20, n_periods: int = 24) -> float:
    """Peak Python heap (MB) of aggregating `n_claims` synthetic claims of `n_speakers`
    speakers over `n_periods` periods, 5 claims an article, and computing both tables."""
    rng = random.Random(1)
    tracemalloc.start()
    aggregator = PositionAggregator(n_boot=200)
    for i in range(n_claims):
        favor = rng.random() * 0.9
        probs = {"favor": favor, "against": (1 - favor) * 0.5, "none": (1 - favor) * 0.5}
        claim = Claim(f"c{i}", f"a{i // 5}", 0, 1, "x", f"Speaker {i % n_speakers}")
        aggregator.add(ScoredClaim(claim, "t", Prediction(max(probs, key=probs.get), probs)),
                       period=f"p{(i * n_periods) // n_claims:02d}")
    aggregator.positions()
    aggregator.positions_over_time()
    peak = tracemalloc.get_traced_memory()[1] / 1024**2
    tracemalloc.stop()
    return peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "baseline")
    parser.add_argument("--no-write", action="store_true", help="do not touch RESULTS.md")
    args = parser.parse_args()

    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.articles:
            corpus = Path(tmp) / f"articles-{n}.jsonl"
            write_articles(corpus, n)
            results[n] = score_run(corpus, args.model.resolve(), Path(tmp) / f"out-{n}")
            print(n, results[n], flush=True)
    heap = {n: aggregation_peak(n) for n in (10_000, 100_000, 1_000_000)}
    print("aggregation heap peak (MB):", heap)

    peaks = [r["peak_mb"] for r in results.values()]
    flat = max(peaks) <= FLAT * min(peaks)
    under = max(peaks) < GOAL_MEMORY_MB
    lines = [
        SECTION, "",
        f"`python benchmarks/positions.py --articles {' '.join(map(str, args.articles))}` "
        f"(model: {args.model.name}); {environment()}.", "",
        "`python -m stancekit score CORPUS --by quarter` on synthetic dated articles (text "
        "written for the benchmark; half dated by metadata, half by a dateline), peak RSS "
        "of the child process from /usr/bin/time:", "",
        "| articles | claims | speakers | speaker-quarter rows | seconds | peak RSS (MB) |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
        *(f"| {n:,} | {r['claims']:,} | {r['speakers']} | {r['periods']} | "
          f"{r['seconds']:.0f} | {r['peak_mb']:.0f} |" for n, r in results.items()),
        "",
        f"Peak memory {'flat' if flat else 'NOT flat'} (largest within {FLAT - 1:.0%} of "
        f"smallest: {max(peaks):.0f} against {min(peaks):.0f} MB) and "
        f"{'under' if under else 'OVER'} the {GOAL_MEMORY_MB} MB goal.", "",
        "The aggregation alone (PositionAggregator, 20 speakers over 24 periods, both tables), "
        "peak Python heap from tracemalloc: "
        + ", ".join(f"{n:,} claims {mb:.1f} MB" for n, mb in heap.items())
        + ": running sums and at most 64 article groups per speaker and period, whatever "
        "the number of claims.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_write:
        write_section(SECTION, text)


if __name__ == "__main__":
    main()
