"""Claim extraction against the hand labels: claim coverage and speaker accuracy.

Runs `extract_many` on the seed articles twice, with the alias table and without it, scores
both against labels/claims.jsonl (see `stancekit.evaluation.extraction_scores`), prints the
figures and the misattributed claims, and writes the section "## Extraction" of
benchmarks/RESULTS.md (the rest of that file is left as it is). When the development set
(`../shared/devset`, real articles that are not ours) is there, it also runs `extract` on it,
with and without the alias table, and adds its figures: numbers only, never its text.

    python benchmarks/extraction.py [--labels FILE] [--seeds DIR] [--aliases FILE] [--devset DIR]
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
import unicodedata
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


def _norm(name: str) -> str:
    name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return "author:" if name.startswith("author:") else re.sub(r"[^a-z0-9]", "", name)


def devset_scores(devset: Path, aliases: Path | None) -> dict:
    """The development set's figures as its `measure.py extract` computes them: `extract` on
    its articles; a gold claim covered by the extracted claim overlapping most (at least half);
    the speaker right when the extracted name is one of the gold names (any `author:*` matches
    any other); accuracy over all gold claims and per gold kind (named, narrator, author)."""
    gold = [json.loads(line) for line in (devset / "claims.jsonl").read_text(
        encoding="utf-8").splitlines() if line.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "claims.jsonl"
        command = [sys.executable, "-m", "stancekit", "extract", str(devset / "articles"),
                   "--out", str(out)] + (["--aliases", str(aliases)] if aliases else [])
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        subprocess.run(command, check=True, capture_output=True, cwd=ROOT, env=env)
        extracted = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    by_article: dict[str, list[dict]] = {}
    for claim in extracted:
        by_article.setdefault(claim["article"], []).append(claim)
    right: dict[str, list[bool]] = {"named": [], "narrator": [], "author": []}
    covered = 0
    for item in gold:
        names = {_norm(n) for n in split_speakers(item["speaker"])}
        kind = "narrator" if "narrator" in names else "author" if "author:" in names else "named"
        best = max(by_article.get(item["article"], []), default=None, key=lambda c: min(
            c["end"], item["end"]) - max(c["start"], item["start"]))
        overlap = min(best["end"], item["end"]) - max(best["start"], item["start"]) if best else 0
        ok = best is not None and 2 * overlap >= item["end"] - item["start"]
        covered += ok
        right[kind].append(ok and _norm(best["speaker"]) in names)
    everything = [r for rs in right.values() for r in rs]
    return {"n_gold": len(gold), "claim_recall": covered / len(gold),
            "speaker_accuracy": sum(everything) / len(everything),
            **{kind: sum(rs) / len(rs) for kind, rs in right.items() if rs},
            **{f"n_{kind}": len(rs) for kind, rs in right.items()}}


def devset_section(rows: list[tuple[str, dict]]) -> list[str]:
    lines = ["Development set (`../shared/devset`: 14 real articles the rules were not written on, "
             "read at run time, not part of the repository; figures as its `measure.py "
             "extract` computes them: a joint gold speaker matches any one of its names):", "",
             "| alias table | gold claims | claim recall | speaker accuracy | named | narrator "
             "| author |", "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for name, r in rows:
        lines.append(f"| {name} | {r['n_gold']} | {r['claim_recall']:.3f} | "
                     f"{r['speaker_accuracy']:.3f} | {r['named']:.3f} ({r['n_named']}) | "
                     f"{r['narrator']:.3f} ({r['n_narrator']}) | "
                     f"{r['author']:.3f} ({r['n_author']}) |")
    return [*lines, ""]


def environment(nlp) -> str:
    return (f"{platform.machine()} {platform.processor() or platform.system()}, "
            f"{os.cpu_count()} cores, Python {platform.python_version()}, spaCy "
            f"{spacy.__version__}, pipeline {nlp.meta.get('name')} {nlp.meta.get('version')}, "
            f"{datetime.date.today().isoformat()}")


def section(rows: list[tuple[str, dict, float, int, list[str]]], n_articles: int,
            env: str, dev_rows: list[tuple[str, dict]]) -> str:
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
              "optimistic; the second is closer to an unseen corpus without a table.",
              ""]
    if dev_rows:
        lines += devset_section(dev_rows)
    for name, _, _, _, misses in rows:
        lines += [f"Misattributed ({name} the alias table):", "", "```", *misses, "```", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--labels", default=ROOT / "labels" / "claims.jsonl", type=Path)
    parser.add_argument("--seeds", default=ROOT / "seeds", type=Path)
    parser.add_argument("--aliases", default=ROOT / "labels" / "speakers.jsonl", type=Path)
    parser.add_argument("--results", default=ROOT / "benchmarks" / "RESULTS.md", type=Path)
    parser.add_argument("--devset", default=ROOT.parent / "shared" / "devset", type=Path,
                        help="the development set, if present (default: %(default)s)")
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
    dev_rows = []
    if (args.devset / "claims.jsonl").exists():
        for name, aliases in (("with", args.aliases), ("without", None)):
            dev_rows.append((name, devset_scores(args.devset, aliases)))
            print(f"development set, alias table {name}: {dev_rows[-1][1]}")
    text = section(rows, len(articles), environment(nlp), dev_rows)
    if not args.no_write:
        write_section(SECTION, text, args.results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
