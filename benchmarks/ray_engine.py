"""Articles per second: the local engine, and the Ray engine with 1 and 2 workers.

The corpus is the seed articles repeated with new ids (one JSONL file), scored with a baseline
trained on labels/claims.jsonl. Besides wall-clock throughput it measures the CPU seconds of
every process of the run (the driver and, for Ray, every Ray process), so that the per-core
figure holds even on a busy machine. Writes the "## Ray engine" section of RESULTS.md.

Run: python benchmarks/ray_engine.py [--articles 1000] [--workers 1 2]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import write_corpus, write_section

from stancekit import __version__
from stancekit.labels import load_labels
from stancekit.models import BaselineClassifier
from stancekit.scoring import CLAIMS_FILE, score_to_dir
from stancekit.training import fit_claims, label_rows

ROOT = Path(__file__).resolve().parent.parent
SECTION = "## Ray engine"


def process_cpu() -> dict[int, float]:
    """CPU seconds (user + system) of this process and each of its descendants (Linux /proc)."""
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    ticks = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        pid = int(stat.parent.name)
        parents[pid] = int(fields[1])
        cpu[pid] = (int(fields[11]) + int(fields[12])) / ticks
    family = {os.getpid()}
    grew = True
    while grew:
        new = {pid for pid, parent in parents.items() if parent in family} - family
        family |= new
        grew = bool(new)
    return {pid: cpu[pid] for pid in family if pid in cpu}


class CpuMeter:
    """CPU seconds of this process and all its descendants, sampled in a thread so that
    processes which exit during the run (Ray's actors) still count."""

    def __init__(self, interval: float = 0.5) -> None:
        self.interval = interval
        self.last: dict[int, float] = {}
        self.start: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        self.last.update(process_cpu())

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self) -> CpuMeter:
        self._sample()
        self.start = dict(self.last)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    @property
    def seconds(self) -> float:
        return sum(cpu - self.start.get(pid, 0.0) for pid, cpu in self.last.items())


def measure(label: str, workers: int, run: Callable[[], Any], reference: Path | None,
            out: Path) -> dict[str, Any]:
    load = os.getloadavg()[0]
    with CpuMeter() as cpu:
        start = time.perf_counter()
        summary = run()
        seconds = time.perf_counter() - start
    same = reference is None or (out / CLAIMS_FILE).read_bytes() == \
        (reference / CLAIMS_FILE).read_bytes()
    row = {"engine": label, "workers": workers, "articles": summary.n_articles,
           "claims": summary.n_claims, "seconds": seconds, "cpu_seconds": cpu.seconds,
           "load": load, "same": same}
    print(json.dumps(row), file=sys.stderr)
    return row


def machine() -> str:
    import pyarrow
    import ray
    import spacy

    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"Machine: {platform.machine()} {platform.system()}, {os.cpu_count()} cores, "
            f"{memory:.0f} GiB memory; Python {platform.python_version()}, stancekit "
            f"{__version__}, Ray {ray.__version__}, spaCy {spacy.__version__}, pyarrow "
            f"{pyarrow.__version__}; {dt.date.today().isoformat()}.")


def section(rows: list[dict[str, Any]], n: int) -> str:
    lines = [SECTION, "",
             f"`score` on {n} articles (the seeds repeated with new ids, one JSONL file), "
             "baseline model, wall clock from the call to the finished output folder (Ray: "
             "on a running local cluster, including actor start-up and spaCy loading). CPU "
             "seconds are those of every process of the run (driver and Ray processes); "
             "articles per CPU second is the per-core rate that docs/scaling.md scales up. A "
             "load average above the core count means other work shared the machine: then "
             "articles/s understates what the workers do alone, and articles per CPU second is "
             "the figure to compare.",
             "",
             "| engine | workers | articles | claims | seconds | articles/s | CPU seconds "
             "| articles per CPU second | load average at start | same claims as local |",
             "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |"]
    for r in rows:
        lines.append(
            f"| {r['engine']} | {r['workers']} | {r['articles']} | {r['claims']} | "
            f"{r['seconds']:.1f} | {r['articles'] / r['seconds']:.2f} | {r['cpu_seconds']:.0f} | "
            f"{r['articles'] / r['cpu_seconds']:.2f} | {r['load']:.1f} | "
            f"{'yes' if r['same'] else 'NO'} |")
    lines += ["", machine(), "Reproduce: `python benchmarks/ray_engine.py`.", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()

    import ray

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        corpus = folder / "corpus.jsonl"
        write_corpus(corpus, args.articles)
        model = folder / "model"
        claims = load_labels(ROOT / "labels" / "claims.jsonl")
        fit_claims(BaselineClassifier(), claims, label_rows(claims)).save_pretrained(model)
        local = folder / "local"
        rows = [measure("local", 1, lambda: score_to_dir([corpus], out=local, model=model,
                                                         progress=False), None, local)]
        ray.init(num_cpus=os.cpu_count(), include_dashboard=False, log_to_driver=False)
        for workers in args.workers:
            out = folder / f"ray-{workers}"
            rows.append(measure("ray", workers, lambda w=workers, o=out: score_to_dir(
                [corpus], out=o, model=model, progress=False, workers=w, engine="ray"),
                local, out))
        ray.shutdown()
    write_section(SECTION, section(rows, args.articles))
    print(section(rows, args.articles))


if __name__ == "__main__":
    main()
