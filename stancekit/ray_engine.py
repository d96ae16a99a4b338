"""The Ray Data engine: `score` beyond one machine (`--engine ray`, extra `stancekit[ray]`).

The pipeline, each stage a Ray Data operator:

1. read: the input files (.txt, .jsonl, .csv, .parquet; local paths or any URI Ray reads,
   e.g. s3://) with `ray.data.read_binary_files`, one row per file;
2. parse (tasks): each file into its articles with stancekit's own readers, so ids, line
   numbers and input errors are the local engine's;
3. extract (actor pool, spaCy loaded once per actor): claims with speakers;
4. classify (actor pool, the model shipped once to each actor): stance and sentiment,
   one result row per article (its scored claims, or its error).

The results stream back to the driver in input order (Ray's `preserve_order`) as blocks
finish, and the driver writes the local engine's layout with its journal (`RunJournal`, so
`resume` works too) and `finish_run`: claims.jsonl, progress.jsonl, errors.jsonl,
speakers.csv, report.html. Claim ids are `<article id>-<seq>` and every stage is a
deterministic function of its input, so a task Ray retries gives the same rows, and a
(file, record) key seen twice is dropped: the result is the local engine's. A failed article
is a row with an error, never an exception that stops the job.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from stancekit.errors import InputError, StancekitError
from stancekit.reading import (
    ARTICLE_SUFFIXES,
    METADATA_SIDECAR,
    STDIN,
    _is_sidecar,
    _read_one,
    _read_sidecar,
)
from stancekit.records import Article, Claim, ScoredClaim
from stancekit.scoring import (
    DEFAULT_OUT,
    RunJournal,
    RunSummary,
    ScoreResult,
    _classify,
    _extract_resilient,
    article_error_record,
    finish_run,
    resolve_model,
)

if TYPE_CHECKING:
    import pyarrow as pa
    from ray.data import Dataset

# Ray CPUs per actor and per light task: one "worker" (an extraction and a classification
# actor) takes 0.9 CPU, leaving room for the read, parse and write tasks.
EXTRACT_CPUS, CLASSIFY_CPUS, LIGHT_CPUS = 0.8, 0.1, 0.1
EXTRACT_BATCH = 8  # articles per nlp.pipe batch
BLOCK_BYTES = 128 * 1024  # small blocks (a few articles), so that work spreads over actors
READ_BLOCKS = 200  # at most this many read tasks, each reading a share of the files
ARTICLE_FIELDS = ("id", "text", "title", "source", "date", "url", "kind")


def connect(address: str | None = None) -> None:
    """Join the Ray cluster at `address` (None: RAY_ADDRESS, else a new local one)."""
    try:
        import ray
    except ImportError:
        raise StancekitError("--engine ray needs the ray extra: "
                             "pip install 'stancekit[ray]'") from None
    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, log_to_driver=False)


# --------------------------------------------------------------------------------------------
# Reading


def _uri_fs(raw: str) -> tuple[Any, str]:
    """The pyarrow filesystem of a path or URI, and the path in it."""
    import pyarrow.fs as pafs

    if "://" in raw:
        return pafs.FileSystem.from_uri(raw)
    return pafs.LocalFileSystem(), os.path.abspath(raw)


def _list_files(raw: str, errors: list[dict[str, Any]]) -> tuple[Any, list[tuple[str, str]], bool]:
    """The filesystem of one input; (path for Ray, path as the user wrote it) of its article
    files in the local engine's order; and whether it is a folder. A missing input is added to
    `errors`."""
    import pyarrow.fs as pafs

    fs, base = _uri_fs(raw)
    info = fs.get_file_info(base)
    if info.type == pafs.FileType.File:
        return fs, [(base, raw)], False
    if info.type != pafs.FileType.Directory:
        errors.append({"source": raw, "line": None, "error": "no such file or folder"})
        return fs, [], False
    found = [i.path for i in fs.get_file_info(pafs.FileSelector(base, recursive=True))
             if i.type == pafs.FileType.File and PurePosixPath(i.path).suffix in ARTICLE_SUFFIXES]
    shown = str(Path(raw)) if "://" not in raw else raw.rstrip("/")
    return fs, [(p, shown + p[len(base.rstrip("/")):])
                for p in sorted(found, key=PurePosixPath)], True


def _sidecar(fs: Any, folder: str, shown: str, errors: list[dict[str, Any]]) -> dict | None:
    """The metadata of a folder's articles.jsonl if it is a metadata sidecar, else None."""
    path = f"{folder}/{METADATA_SIDECAR}"
    if not fs.get_file_info(path).is_file:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        local = Path(tmp) / METADATA_SIDECAR
        with fs.open_input_stream(path) as src:
            local.write_bytes(src.read())
        if not _is_sidecar(local):
            return None
        reader = _read_sidecar(local)
        while True:
            try:
                err = next(reader)
            except StopIteration as done:
                return done.value
            errors.append({"source": shown, "line": err.line, "error": err.reason})


def _plan_inputs(paths: Iterable[str | Path]) -> tuple[list[str], dict[str, Any], list[dict]]:
    """The files to read, what the parse stage needs to know of each, and listing errors.

    As in `read_articles`, the sidecar of a folder's .txt articles applies to files found in
    a folder, not to files named on their own."""
    errors: list[dict[str, Any]] = []
    files: dict[str, dict[str, Any]] = {}
    sidecars: dict[str, dict | None] = {}
    for raw in map(str, paths):
        if raw == STDIN:
            raise StancekitError("--engine ray reads files and folders, not stdin")
        fs, listed, in_folder = _list_files(raw, errors)
        for path, shown in listed:
            folder, name = path.rsplit("/", 1)
            metadata = None
            if in_folder:
                if folder not in sidecars:
                    shown_sidecar = shown[: len(shown) - len(name)] + METADATA_SIDECAR
                    sidecars[folder] = _sidecar(fs, folder, shown_sidecar, errors)
                metadata = sidecars[folder]
                if name == METADATA_SIDECAR and metadata is not None:
                    continue
            files.setdefault(path, {"order": len(files), "shown": shown,
                                    "metadata": metadata or {}})
    return list(files), files, errors


def _key(path: str) -> str:
    """The file key Ray's path column and the plan share (Ray drops a URI's scheme)."""
    return path.split("://", 1)[-1]


def _parse_files(batch: dict[str, Any], files: dict[str, dict], skip: frozenset[str]) -> pa.Table:
    """Ray stage: files (bytes, path) into article rows, or input error rows."""
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for data, path in zip(batch["bytes"], batch["path"], strict=True):
            info = files[_key(path)]
            local = Path(tmp) / PurePosixPath(path).name
            local.write_bytes(data)
            for rec, item in enumerate(_read_one(local, info["metadata"]), start=1):
                row = {"order": info["order"], "rec": rec, "where": "", "error": "", "skip": False,
                       **dict.fromkeys(ARTICLE_FIELDS, "")}
                if isinstance(item, InputError):
                    row["error"] = json.dumps({"source": info["shown"], "line": item.line,
                                               "error": item.reason})
                else:
                    article, where = item
                    row.update(article.to_dict(), where=where.replace(str(local), info["shown"]),
                               skip=article.id in skip)
                    if row["skip"]:
                        row["text"] = ""
                rows.append(row)
            local.unlink()
    return _table(rows, ARTICLE_FIELDS)


def _article_rows(articles: Iterable[Article]) -> list[dict[str, Any]]:
    """Rows of the parse stage's shape for articles given as records."""
    return [{"order": i, "rec": 1, "where": f"<articles>:{i + 1}", "error": "", "skip": False,
             **a.to_dict()} for i, a in enumerate(articles)]


def _table(rows: list[dict[str, Any]], columns: Iterable[str]) -> pa.Table:
    """A table with the key columns and string `columns`, typed even when empty."""
    import pyarrow as pa

    schema = pa.schema([("order", pa.int64()), ("rec", pa.int64()), ("where", pa.string()),
                        ("error", pa.string()), ("skip", pa.bool_())]
                       + [(c, pa.string()) for c in columns])
    return pa.Table.from_pylist(rows, schema=schema)


# --------------------------------------------------------------------------------------------
# Extraction and classification


def _error(article_id: str, stage: str, err: Exception) -> str:
    return json.dumps(article_error_record(article_id, stage, err))


class _Extractor:
    """Ray actor: claims of each article in a batch, spaCy loaded once."""

    def __init__(self, aliases: Any) -> None:
        from stancekit.extraction import load_nlp

        load_nlp()
        self.aliases = aliases

    def __call__(self, batch: pa.Table) -> pa.Table:
        rows = batch.to_pylist()
        todo = [(row, Article(**{f: row[f] for f in ARTICLE_FIELDS}))
                for row in rows if not (row["error"] or row["skip"])]
        failed: dict[int, str] = {}

        def on_error(article: Article, stage: str, err: Exception) -> None:
            failed[id(article)] = _error(article.id, stage, err)

        claims = {id(article): found for article, found in
                  _extract_resilient((a for _, a in todo), self.aliases, 1, on_error)}
        for row, article in todo:
            row["error"] = failed.get(id(article), "")
            row["claims"] = json.dumps([c.to_record() for c in claims.get(id(article), [])])
        for row in rows:
            row.setdefault("claims", "")
        return _table(rows, ("id", "claims"))


class _Classifier:
    """Ray actor: stance and sentiment of each article's claims, the model loaded once."""

    def __init__(self, model: Any, target: str) -> None:
        import ray

        self.model = ray.get(model)
        self.target = target

    def __call__(self, batch: pa.Table) -> pa.Table:
        rows = batch.to_pylist()
        todo = [(row, Article(id=row["id"], text=""), [
            Claim(r["id"], r["article"], r["start"], r["end"], r["text"], r["speaker"], r["via"])
            for r in json.loads(row["claims"])])
            for row in rows if row["claims"] and not row["error"]]
        scored = self._classify([(a, c) for _, a, c in todo])
        for row, article, _ in todo:
            result = scored[id(article)]
            row["error"] = result if isinstance(result, str) else ""
            row["claims"] = "" if isinstance(result, str) else json.dumps(
                [s.to_record() for s in result], ensure_ascii=False)
        return _table(rows, ("id", "claims"))

    def _classify(self, pairs: list[tuple[Article, list[Claim]]]) -> dict[int, Any]:
        """Scored claims (or an error) by article; a failed batch is retried article by article
        so that only the bad article fails."""
        out: dict[int, Any] = {}

        def on_error(article: Article, stage: str, err: Exception) -> None:
            out[id(article)] = _error(article.id, stage, err)

        results = list(_classify(pairs, self.model, self.target, on_error))
        if out and len(pairs) > 1:
            out.clear()
            return {key: value for pair in pairs for key, value in self._classify([pair]).items()}
        out.update((id(article), found) for article, found in results)
        return out


def scored_dataset(articles: Dataset, model: Any, target: str, aliases: Any = None,
                   batch_size: int = 64, workers: int = 1) -> Dataset:
    """The extract and classify stages over a dataset of article rows (see `_table`)."""
    import ray

    extracted = articles.map_batches(
        _Extractor, fn_constructor_kwargs={"aliases": aliases}, batch_format="pyarrow",
        batch_size=EXTRACT_BATCH, compute=ray.data.ActorPoolStrategy(size=workers),
        num_cpus=EXTRACT_CPUS)
    return extracted.map_batches(
        _Classifier, fn_constructor_kwargs={"model": ray.put(model), "target": target},
        batch_format="pyarrow", batch_size=batch_size,
        compute=ray.data.ActorPoolStrategy(size=workers), num_cpus=CLASSIFY_CPUS)


def _articles_dataset(paths: Iterable[str | Path], skip: frozenset[str] = frozenset()
                      ) -> tuple[Dataset, list[dict[str, Any]]]:
    """Article rows of the files under `paths`, and the errors of listing them."""
    import ray

    uris, files, errors = _plan_inputs(paths)
    if not uris:
        return ray.data.from_arrow(_table([], ARTICLE_FIELDS)), errors
    raw = ray.data.read_binary_files(uris, include_paths=True, num_cpus=LIGHT_CPUS,
                                     override_num_blocks=min(len(uris), READ_BLOCKS))
    parsed = raw.map_batches(_parse_files, fn_kwargs={"files": {_key(u): i for u, i in
                                                                files.items()}, "skip": skip},
                             batch_size=16, batch_format="numpy", num_cpus=LIGHT_CPUS)
    return parsed, errors


def _ordered(ds: Dataset, progress: bool = False) -> Iterator[dict[str, Any]]:
    """The rows of `ds` streamed in input order, each (file, record) once."""
    ds.context.execution_options.preserve_order = True
    ds.context.target_max_block_size = BLOCK_BYTES
    ds.context.enable_progress_bars = progress
    last = (-1, -1)
    for batch in ds.iter_batches(batch_format="pyarrow", batch_size=None):
        for row in batch.to_pylist():
            key = (row["order"], row["rec"])
            if key > last:
                last = key
                yield row


def _results(rows: Iterator[dict[str, Any]]) -> Iterator[tuple[str, Any]]:
    """("error", record) or ("article", (id, scored claims)) in input order, leaving out the
    articles a resumed run skips; a later article with an id seen before is an error, as in
    `read_articles`."""
    first_seen: dict[str, str] = {}
    for row in rows:
        if row["id"] and row["id"] in first_seen:
            yield "error", {"source": row["where"], "line": None, "error":
                            f"duplicate article id {row['id']!r} "
                            f"(first read from {first_seen[row['id']]})"}
            continue
        if row["id"]:
            first_seen[row["id"]] = row["where"]
        if row["skip"]:
            continue
        if row["error"]:
            yield "error", json.loads(row["error"])
        else:
            yield "article", (row["id"], [ScoredClaim.from_record(record)
                                          for record in json.loads(row["claims"])])


# --------------------------------------------------------------------------------------------
# Entry points


def score_to_dir(
    paths: Iterable[str | Path],
    out: str | Path = DEFAULT_OUT,
    model: Any = None,
    target: str | None = None,
    aliases: Any = None,
    fmt: str = "jsonl",
    resume: bool = False,
    batch_size: int = 64,
    workers: int = 1,
    progress: bool = True,
    address: str | None = None,
) -> RunSummary:
    """`scoring.score_to_dir` on Ray: the same output folder, written as results arrive."""
    connect(address)
    start = time.perf_counter()
    model = resolve_model(model)
    target = target or model.card.default_target
    out = Path(out)
    journal = RunJournal(out, resume=resume)
    try:
        articles, errors = _articles_dataset(paths, frozenset(journal.done))
        for record in errors:
            journal.error(record)
        scored = scored_dataset(articles, model, target, aliases, batch_size, workers)
        for kind, value in _results(_ordered(scored, progress)):
            if kind == "error":
                journal.error(value)
            elif kind == "article":
                journal.write(Article(id=value[0], text=""), value[1])
                journal.flush()
    finally:
        journal.close()
    summary = finish_run(out, target, fmt)
    summary.seconds = time.perf_counter() - start
    return summary


def score(
    articles: Iterable[Article] | str | Path | list[str | Path],
    model: Any = None,
    target: str | None = None,
    aliases: Any = None,
    batch_size: int = 64,
    workers: int = 1,
    address: str | None = None,
) -> ScoreResult:
    """`scoring.score` on Ray: claims and speakers in memory, in input order."""
    import ray

    connect(address)
    model = resolve_model(model)
    target = target or model.card.default_target
    if isinstance(articles, (str, Path)) or (
        isinstance(articles, list) and articles and not isinstance(articles[0], Article)
    ):
        dataset, errors = _articles_dataset([articles] if isinstance(articles, (str, Path))
                                            else articles)
    else:
        dataset = ray.data.from_arrow(_table(_article_rows(articles), ARTICLE_FIELDS))
        errors = []
    results = _results(_ordered(scored_dataset(dataset, model, target, aliases, batch_size,
                                                workers)))

    def articles_only() -> Iterator[tuple[str, list[ScoredClaim]]]:
        for kind, value in results:
            if kind == "error":
                errors.append(value)
            elif kind == "article":
                yield value

    return ScoreResult.collect(articles_only(), errors, target)
