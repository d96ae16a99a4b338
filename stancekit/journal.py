"""The run journal: a scoring run's output folder, written as results arrive, resumable.

The folder holds:
- run.json: what made the run (model folder and sha256, target, settings); `--resume`
  refuses a run that differs in any of them;
- claims.jsonl: one scored claim per line;
- progress.jsonl: each article whose claims are all in claims.jsonl: its id, title, source,
  date (metadata, else found in the text; "" if unknown) and url;
- errors.jsonl: each input or article that failed, and why (one record each);
- speakers.csv, report.html and claims.csv / claims.parquet, written at the end;
  positions_over_time.csv when scored by a period (month, quarter or year).

A folder that holds a previous run is never emptied up front: a new run refuses it unless
told to resume it or to overwrite it, and an overwriting run writes into a staging folder
inside it that replaces the previous run only once the new one has scored something.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
from pathlib import Path
from typing import Any

from stancekit.errors import ArticleError, InputError, StancekitError
from stancekit.periods import article_info
from stancekit.reading import read_jsonl, skip_error
from stancekit.records import Article, ScoredClaim

RUN_FILE, CLAIMS_FILE, PROGRESS_FILE, ERRORS_FILE = (
    "run.json", "claims.jsonl", "progress.jsonl", "errors.jsonl")
SPEAKERS_FILE, REPORT_FILE = "speakers.csv", "report.html"
OVER_TIME_FILE = "positions_over_time.csv"
RUN_OUTPUTS = (RUN_FILE, CLAIMS_FILE, PROGRESS_FILE, ERRORS_FILE, SPEAKERS_FILE, REPORT_FILE,
               OVER_TIME_FILE, "claims.csv", "claims.parquet")
STAGING = ".stancekit-new"
RESUME_KEYS = ("model_sha256", "target", "settings")  # what a resumed run must share


def holds_run(folder: Path) -> bool:
    """True when `folder` holds a run that scored at least one article."""
    path = folder / PROGRESS_FILE
    return path.is_file() and path.stat().st_size > 0


def model_sha256(model: Any, folder: Path | None) -> str:
    """The sha256 of a model folder's files (names and bytes), or of the card of a model
    given as an object."""
    digest = hashlib.sha256()
    if folder is None:
        digest.update(json.dumps(model.card.to_dict(), sort_keys=True).encode())
        return digest.hexdigest()
    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    return digest.hexdigest()


def settings_sha256(value: Any) -> str | None:
    """The sha256 of a setting such as an alias table (a dataclass or JSON value), or None."""
    if value is None:
        return None
    data = dataclasses.asdict(value) if dataclasses.is_dataclass(value) else value
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def run_record(model: Any, folder: Path | None, target: str, settings: dict[str, Any]
               ) -> dict[str, Any]:
    """The run.json of a run: model (folder, sha256, method, trained targets), target,
    and the settings that change results."""
    return {"model": None if folder is None else str(folder),
            "model_sha256": model_sha256(model, folder),
            "model_method": model.card.method, "model_targets": list(model.card.targets),
            "target": target, "settings": settings}


class RunJournal:
    """The output folder of a scoring run, written as results arrive (see the module doc)."""

    def __init__(self, out: Path, run: dict[str, Any], resume: bool = False,
                 overwrite: bool = False) -> None:
        self.out = Path(out)
        self.out.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(self.out / STAGING, ignore_errors=True)
        self.folder = self.out  # where this run writes
        self.done: set[str] = set()  # article ids finished (scored or failed) before this run
        self.n_scored = self.n_errors = 0
        self._seen_errors: set[str] = set()
        self._unflushed: list[dict[str, Any]] = []
        if resume:
            self._check_same_run(run)
            self._recover()
        elif holds_run(self.out):
            if not overwrite:
                raise StancekitError(f"{self.out} holds the results of another run: pass "
                                     "--overwrite to replace them or --resume to finish it")
            self.folder = self.out / STAGING
            self.folder.mkdir()
        else:
            for name in RUN_OUTPUTS:
                (self.out / name).unlink(missing_ok=True)
        _write_json(self.folder / RUN_FILE, run)
        self._claims, self._progress, self._errors = (
            (self.folder / name).open("a", encoding="utf-8")
            for name in (CLAIMS_FILE, PROGRESS_FILE, ERRORS_FILE))

    def _check_same_run(self, run: dict[str, Any]) -> None:
        path = self.out / RUN_FILE
        if not path.is_file():
            return
        try:
            before = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise StancekitError(f"{path}: unreadable run record ({err})") from None
        differ = [key for key in RESUME_KEYS if before.get(key) != run[key]]
        if differ:
            was = ", ".join(f"{key} {before.get(key)!r}" for key in differ)
            raise StancekitError(f"cannot resume {self.out}: it was scored with {was}; resume "
                                 "with the same model, target and settings, or --overwrite")

    def _recover(self) -> None:
        """Keep what an interrupted run finished; drop claims of articles it did not finish."""
        progress = {r["id"]: r for r, _ in _records(self.out / PROGRESS_FILE) if "id" in r}
        done = set(progress)
        claims = [r for r, _ in _records(self.out / CLAIMS_FILE) if r.get("article") in done]
        errors = [r for r, _ in _records(self.out / ERRORS_FILE)]
        _rewrite(self.out / PROGRESS_FILE, [progress[i] for i in sorted(done)])
        _rewrite(self.out / CLAIMS_FILE, claims)
        _rewrite(self.out / ERRORS_FILE, errors)
        self._seen_errors = {json.dumps(e, sort_keys=True) for e in errors}
        self.n_scored, self.n_errors = len(done), len(errors)
        self.done = done | {e["article"] for e in errors if e.get("article")}

    def write(self, article: Article, scored: list[ScoredClaim]) -> None:
        """Add an article's scored claims (made durable by the next `flush`)."""
        for claim in scored:
            self._claims.write(json.dumps(claim.to_record(), ensure_ascii=False) + "\n")
        self._unflushed.append(article_info(article).to_record())
        self.n_scored += 1

    def flush(self) -> None:
        """Make everything written so far durable: claims first, then their progress marks."""
        self._claims.flush()
        for record in self._unflushed:
            self._progress.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._unflushed.clear()
        self._progress.flush()
        self._errors.flush()

    def error(self, err: InputError | ArticleError) -> bool:
        """Record an error once; False when the same error was recorded before."""
        record = err.to_record()
        key = json.dumps(record, sort_keys=True)
        if key in self._seen_errors:
            return False
        self._seen_errors.add(key)
        self.n_errors += 1
        self._errors.write(json.dumps(record, ensure_ascii=False) + "\n")
        return True

    def close(self) -> None:
        self.flush()
        for handle in (self._claims, self._progress, self._errors):
            handle.close()

    def publish(self) -> None:
        """Once the run is finished: a staged run replaces the previous run in the folder."""
        if self.folder == self.out:
            return
        for name in RUN_OUTPUTS:
            staged = self.folder / name
            if staged.is_file():
                staged.replace(self.out / name)
            else:
                (self.out / name).unlink(missing_ok=True)
        self.folder.rmdir()

    def discard(self) -> None:
        """When the run scored nothing: leave a previous run as it was; of a new run keep
        only errors.jsonl, so that the folder does not count as a run."""
        if self.folder != self.out:
            shutil.rmtree(self.folder)
            return
        for name in (RUN_FILE, CLAIMS_FILE, PROGRESS_FILE):
            (self.out / name).unlink(missing_ok=True)


def _records(path: Path) -> list[tuple[dict[str, Any], int]]:
    """The records of a journal file, without a line torn by an interruption."""
    return list(read_jsonl(path, skip_error)) if path.is_file() else []


def _rewrite(path: Path, records: list[dict[str, Any]]) -> None:
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    tmp.replace(path)


def _write_json(path: Path, record: dict[str, Any]) -> None:
    path.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
