"""Extraction time and memory against article length, and throughput against spaCy alone.

1. Scaling: one article built from the seed articles' text over and over, doubled in length
   from about 15,600 to 1,000,000 characters; each length runs in a fresh process that reports
   the seconds of `extract_claims` (the pipeline already loaded), the process's peak RSS
   after it, and the seconds of spaCy's parse alone on the same text (the same sections and
   batch size, no segmentation rules, no attribution).
2. Throughput: the seed articles, repeated to `--articles` articles, through `extract_many`
   and through `nlp.pipe` alone (the same batch size, 32); extraction should keep at least
   90% of spaCy's throughput.

Writes the section "## Extraction scaling" of benchmarks/RESULTS.md.

    python benchmarks/extraction_scaling.py [--max-chars N] [--articles N] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

from common import SEEDS, environment, write_section

from stancekit.extraction import extract_claims, extract_many, load_nlp
from stancekit.extraction.attribution import SECTION_CHARS
from stancekit.extraction.segment import plan_article, prepared_doc, sections
from stancekit.labels import furniture_lines
from stancekit.reading import read_articles
from stancekit.records import Article

SECTION = "## Extraction scaling"
SMALLEST = 15_625


def long_article(n_chars: int) -> Article:
    """An article of `n_chars` characters: a headline, then the seeds' body lines over and
    over (their page furniture left out)."""
    lines = [line for seed in read_articles([SEEDS])
             for i, line in enumerate(seed.text.split("\n"))
             if line.strip() and i not in furniture_lines(seed)]
    body, size, k = [], 0, 0
    while size < n_chars:
        body.append(lines[k % len(lines)])
        size += len(body[-1]) + 2
        k += 1
    text = ("Long article\n\n" + "\n\n".join(body))[:n_chars]
    return Article(id=f"long-{n_chars}", text=text, title="Long article", kind="news")


def one_length(n_chars: int) -> dict:
    """Seconds of extraction and of the parse alone, and peak RSS, for one length."""
    nlp = load_nlp()
    article = long_article(n_chars)
    started, cpu = time.perf_counter(), time.process_time()
    claims = extract_claims(article, nlp=nlp)
    extraction, extraction_cpu = time.perf_counter() - started, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # KB -> GB
    plan = plan_article(article)
    started, cpu = time.perf_counter(), time.process_time()
    for _ in nlp.pipe((prepared_doc(nlp, plan, article.text, start, end)
                       for start, end in sections(plan, len(article.text), SECTION_CHARS)),
                      batch_size=32):
        pass
    parse, parse_cpu = time.perf_counter() - started, time.process_time() - cpu
    return {"chars": len(article.text), "claims": len(claims), "extract_s": extraction,
            "extract_cpu_s": extraction_cpu, "parse_s": parse, "parse_cpu_s": parse_cpu,
            "peak_gb": peak}


def scaling(max_chars: int) -> list[dict]:
    rows, n = [], SMALLEST
    while n <= max_chars:
        out = subprocess.run([sys.executable, __file__, "--one", str(n)], capture_output=True,
                             text=True, check=True)
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(rows[-1], flush=True)
        n *= 2
    return rows


def throughput(n_articles: int) -> dict:
    """Articles per second of extraction and of spaCy's parse alone on the same articles."""
    nlp = load_nlp()
    seeds = list(read_articles([SEEDS]))
    articles = [seeds[i % len(seeds)] for i in range(n_articles)]
    list(nlp.pipe(a.text for a in articles[:5]))  # warm-up
    started = time.process_time()
    for _ in nlp.pipe((a.text for a in articles), batch_size=32):
        pass
    parse = time.process_time() - started
    started = time.process_time()
    for _ in extract_many(articles, nlp=nlp):
        pass
    extraction = time.process_time() - started
    return {"articles": n_articles, "parse_s": parse, "extract_s": extraction,
            "ratio": parse / extraction}


def section(rows: list[dict], speed: dict) -> str:
    lines = [SECTION, "",
             "One article made of the seed articles' lines over and over, doubled in length; "
             "each length in a fresh process. Extraction is `extract_claims` (segmentation, "
             "parse in sections, attribution); parse alone is spaCy on the same sections. "
             "Peak RSS is the whole process after extraction, the pipeline included.", "",
             "Times are CPU seconds of the process (wall-clock seconds in brackets; the "
             "machine is shared, so wall time varies with its load).", "",
             "| characters | claims | extraction s | parse alone s | extraction / parse "
             "| extraction s per 100k chars | peak RSS GB |",
             "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        lines.append(f"| {r['chars']:,} | {r['claims']:,} | {r['extract_cpu_s']:.1f} "
                     f"({r['extract_s']:.1f}) | {r['parse_cpu_s']:.1f} ({r['parse_s']:.1f}) | "
                     f"{r['extract_cpu_s'] / r['parse_cpu_s']:.2f} | "
                     f"{r['extract_cpu_s'] / r['chars'] * 1e5:.2f} | {r['peak_gb']:.2f} |")
    lines += ["", f"Throughput on {speed['articles']} seed articles (CPU seconds, batches of 32): "
              f"spaCy parse alone {speed['parse_s']:.1f} s, extraction {speed['extract_s']:.1f} s "
              "(a long article is parsed in sections of 3,000 characters); extraction "
              f"keeps {speed['ratio']:.0%} of spaCy's throughput.", "",
              f"Machine: {environment()}.",
              "Reproduce: `python benchmarks/extraction_scaling.py`.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-chars", type=int, default=1_000_000)
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--one", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    if args.one is not None:
        print(json.dumps(one_length(args.one)))
        return 0
    rows = scaling(args.max_chars)
    speed = throughput(args.articles)
    print(speed)
    if not args.no_write:
        write_section(SECTION, section(rows, speed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
