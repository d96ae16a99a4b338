"""Claim extraction against the hand labels: claim coverage and speaker accuracy.

Runs `extract_many` on the seed articles twice, with the alias table and without it, scores
both against labels/claims.jsonl (see `stancekit.evaluation.extraction_scores`), prints the
figures and the misattributed claims, and writes the section "## Extraction" of
benchmarks/RESULTS.md (the rest of that file is left as it is).

    python benchmarks/extraction.py [--labels FILE] [--seeds DIR] [--aliases FILE]
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import sys
import time
from pathlib import Path

import spacy
from common import write_section

from stancekit.evaluation import extraction_scores, normalise_speaker
from stancekit.extraction import AliasTable, extract_many, load_nlp
from stancekit.labels import load_labels
from stancekit.reading import read_articles
from stancekit.records import Article, Claim, LabeledClaim, split_speakers

ROOT = Path(__file__).resolve().parent.parent
SECTION = "## Extraction"


def run(articles: list[Article], aliases: AliasTable | None, nlp) -> tuple[list[Claim], float]:
    """All claims of `articles` and the seconds it took."""
    started = time.perf_counter()
    claims = [c for _, found in extract_many(articles, aliases=aliases, nlp=nlp) for c in found]
    return claims, time.perf_counter() - started


def misattributed(gold: list[LabeledClaim], claims: list[Claim]) -> list[str]:
    """One line per covered gold claim whose speaker the extractor got wrong."""
    lines = []
    for item in gold:
        best = max((c for c in claims if c.article_id == item.article),
                   key=lambda c: min(c.end, item.end) - max(c.start, item.start), default=None)
        if best is None or 2 * (min(best.end, item.end) - max(best.start, item.start)) < (
                item.end - item.start):
            lines.append(f"{item.id}: not covered: {item.text[:70]!r}")
            continue
        want = {normalise_speaker(n) for n in split_speakers(item.speaker)}
        got = {normalise_speaker(n) for n in split_speakers(best.speaker)}
        if want != got:
            lines.append(f"{item.id}: gold {item.speaker!r}, got {best.speaker!r}: "
                         f"{item.text[:60]!r}")
    return lines


def environment(nlp) -> str:
    return (f"{platform.machine()} {platform.processor() or platform.system()}, "
            f"{os.cpu_count()} cores, Python {platform.python_version()}, spaCy "
            f"{spacy.__version__}, pipeline {nlp.meta.get('name')} {nlp.meta.get('version')}, "
            f"{datetime.date.today().isoformat()}")


def section(rows: list[tuple[str, dict, float, int, list[str]]], n_articles: int,
            env: str) -> str:
    lines = [
        SECTION, "",
        "Claims and speakers extracted from the seed articles (`seeds/`) against the hand "
        "labels (`labels/claims.jsonl`). A gold claim is covered when one extracted claim of "
        "its article overlaps at least half of its span; speaker accuracy is over covered "
        "claims, names compared case-, accent-, hyphen- and order-insensitively, any "
        "`author:*` equal to any other, joint speakers as sets.", "",
        "| alias table | gold claims | covered | claim recall | speaker accuracy "
        "| extracted claims | seconds |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, scores, seconds, n_claims, _ in rows:
        lines.append(f"| {name} | {scores['n_gold']} | {scores['n_covered']} | "
                     f"{scores['claim_recall']:.3f} | {scores['speaker_accuracy']:.3f} | "
                     f"{n_claims} | {seconds:.1f} |")
    lines += ["", f"{n_articles} articles. Machine: {env}.",
              "Reproduce: `python benchmarks/extraction.py`.", "",
              "The alias table was written for these same articles, so the first row is "
              "optimistic; the second is closer to an unseen corpus without a table (bodies "
              "keep the name the article uses, e.g. `Seoul` for `South Korean government`).",
              ""]
    for name, _, _, _, misses in rows:
        lines += [f"Misattributed ({name} the alias table):", "", "```", *misses, "```", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--labels", default=ROOT / "labels" / "claims.jsonl", type=Path)
    parser.add_argument("--seeds", default=ROOT / "seeds", type=Path)
    parser.add_argument("--aliases", default=ROOT / "labels" / "speakers.jsonl", type=Path)
    parser.add_argument("--results", default=ROOT / "benchmarks" / "RESULTS.md", type=Path)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)

    nlp = load_nlp()
    gold = load_labels(args.labels)
    articles = list(read_articles([args.seeds]))
    rows = []
    for name, aliases in (("with", AliasTable.from_jsonl(args.aliases)), ("without", None)):
        run(articles[:1], aliases, nlp)  # warm-up
        claims, seconds = run(articles, aliases, nlp)
        scores = extraction_scores(gold, claims)
        misses = misattributed(gold, claims)
        rows.append((name, scores, seconds, len(claims), misses))
        print(f"alias table {name}: {scores}")
        print("\n".join(misses))
    text = section(rows, len(articles), environment(nlp))
    if not args.no_write:
        write_section(SECTION, text, args.results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
