"""What the benchmarks share: the machine line, a RESULTS.md section, paths, a test corpus.

Imported by the scripts in benchmarks/ (run as scripts, so this folder is on sys.path).
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import re
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
LABELS = ROOT / "labels" / "claims.jsonl"
SEEDS = ROOT / "seeds"
ALIASES = ROOT / "labels" / "speakers.jsonl"
VERSIONED = ("torch", "transformers", "scikit-learn", "spacy", "stancekit")

# Offline: the bundled encoder and spaCy pipeline come from installed packages.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def memory_gb() -> float:
    """Total memory of the machine in GB (Linux /proc/meminfo)."""
    with open("/proc/meminfo", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024**2
    return float("nan")


def environment() -> str:
    """Machine, cores, memory, Python and library versions, and today's date, on one line."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    versions = ", ".join(f"{name} {version(name)}" for name in VERSIONED)
    return (f"{platform.machine()} {platform.system()}, {cores} cores, "
            f"{memory_gb():.0f} GB memory, no GPU; Python {platform.python_version()}, "
            f"{versions}; {datetime.date.today().isoformat()}")


def write_section(heading: str, text: str, path: Path = RESULTS) -> None:
    """Replace the section `heading` ("## ...") of `path` with `text`, or append it;
    the other sections are left as they are."""
    old = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    pattern = re.compile(rf"^{re.escape(heading)}\n.*?(?=^## |\Z)", re.S | re.M)
    if pattern.search(old):
        new = pattern.sub(lambda _: text.rstrip("\n") + "\n\n", old).rstrip("\n") + "\n"
    else:
        new = old.rstrip("\n") + "\n\n" + text.rstrip("\n") + "\n"
    path.write_text(new, encoding="utf-8")
    print(f"wrote section {heading!r} of {path}")


def write_corpus(path: Path, n: int) -> None:
    """`n` articles as JSONL: the seeds over and over, each copy with a new id."""
    from stancekit.reading import read_articles

    seeds = list(read_articles([SEEDS]))
    with path.open("w", encoding="utf-8") as handle:
        for i in range(n):
            record = seeds[i % len(seeds)].to_dict()
            record["id"] = f"{record['id']}-{i // len(seeds)}"
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def cell(mean: float, std: float, pooled: float | None = None) -> str:
    """`mean ± std` (and the pooled figure), or n/a when undefined."""
    if mean != mean:  # NaN
        return "n/a"
    text = f"{mean:.3f} ± {std:.3f}"
    return text if pooled is None else f"{text} ({pooled:.3f})"
