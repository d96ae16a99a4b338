"""The Ray Data engine: the pipeline beyond one machine (`--engine ray`, extra `stancekit[ray]`).

The pipeline, each stage a Ray Data operator:

1. read: the input files (.txt, .jsonl, .csv, .parquet; local paths or any URI Ray reads,
   e.g. s3://) with `ray.data.read_binary_files`, one row per file;
2. parse (tasks): each file into its articles with stancekit's own readers, so ids, line
   numbers and input errors are the local engine's;
3. extract (actor pool, spaCy loaded once per actor): claims with speakers;
4. classify (actor pool, the model shipped once to each actor): stance and sentiment,
   one result row per article (its scored claims, or its error).

The extract and classify stages run the pipeline unit's own steps (`Pipeline.extract`,
`Pipeline.classify`). The results stream back to the driver in input order (Ray's
`preserve_order`) as blocks finish; `stancekit.scoring` writes them as it writes the local
engine's. Claim ids are `<article id>-<seq>` and every stage is a
deterministic function of its input, so a task Ray retries gives the same rows, and a
(file, record) key seen twice is dropped: the result is the local engine's. A failed article
is a row with an error, never an exception that stops the job.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from stancekit.errors import ArticleError, InputError, StancekitError, error_from_record
from stancekit.pipeline import ErrorHandler, Pipeline, Scored
from stancekit.reading import (
    ARTICLE_SUFFIXES,
    METADATA_SIDECAR,
    STDIN,
    UniqueIds,
    article_files,
    is_sidecar,
    read_records,
    read_sidecar,
)
from stancekit.records import Article, Claim, ScoredClaim

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
    files in the local engine's order; and whether it is a folder. A missing input or an
    unreadable folder is added to `errors`."""
    import pyarrow.fs as pafs

    fs, base = _uri_fs(raw)
    info = fs.get_file_info(base)
    if info.type == pafs.FileType.File:
        return fs, [(base, raw)], False
    if info.type != pafs.FileType.Directory:
        errors.append(InputError(raw, "no such file or folder").to_record())
        return fs, [], False
    if "://" not in raw:  # a local folder: listed as the local engine lists it
        found: list[tuple[str, str]] = []
        for path in article_files(raw):
            if isinstance(path, InputError):
                errors.append(path.to_record())
            else:
                found.append((os.path.abspath(path), str(path)))
        return fs, found, True
    found = [i.path for i in fs.get_file_info(pafs.FileSelector(base, recursive=True))
             if i.type == pafs.FileType.File and PurePosixPath(i.path).suffix in ARTICLE_SUFFIXES]
    shown = raw.rstrip("/")
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
        if not is_sidecar(local):
            return None
        reader = read_sidecar(local)
        while True:
            try:
                err = next(reader)
            except StopIteration as done:
                return done.value
            errors.append(InputError(shown, err.reason, err.line).to_record())


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
            for rec, item in enumerate(read_records(local, info["metadata"]), start=1):
                row = {"order": info["order"], "rec": rec, "where": "", "error": "", "skip": False,
                       **dict.fromkeys(ARTICLE_FIELDS, "")}
                if isinstance(item, InputError):
                    row["error"] = json.dumps(InputError(info["shown"], item.reason,
                                                         item.line).to_record())
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
# Extraction and classification: the pipeline unit's steps, in actors


class _Extractor:
    """Ray actor: `Pipeline.extract` over each batch of article rows, spaCy loaded once."""

    def __init__(self, target: str, aliases: Any) -> None:
        from stancekit.extraction import load_nlp

        load_nlp()
        self.pipeline = Pipeline(model=None, target=target, aliases=aliases)

    def __call__(self, batch: pa.Table) -> pa.Table:
        rows = batch.to_pylist()
        todo = _first_of_each_id(row for row in rows if not (row["error"] or row["skip"]))
        for row in rows:
            row["claims"] = ""
        articles = (_article(row) for row in todo.values())
        for article, claims in self.pipeline.extract(articles, _row_error(todo)):
            todo[article.id]["claims"] = json.dumps([c.to_record() for c in claims])
        return _table(rows, (*ARTICLE_FIELDS, "claims"))


class _Classifier:
    """Ray actor: `Pipeline.classify` over each batch of rows, the model loaded once."""

    def __init__(self, model: Any, target: str) -> None:
        import ray

        self.pipeline = Pipeline(model=ray.get(model), target=target)

    def __call__(self, batch: pa.Table) -> pa.Table:
        rows = batch.to_pylist()
        todo = _first_of_each_id(row for row in rows if row["claims"] and not row["error"])
        pairs = [(_article(row), [
            Claim(r["id"], r["article"], r["start"], r["end"], r["text"], r["speaker"], r["via"])
            for r in json.loads(row["claims"])]) for row in todo.values()]
        for row in todo.values():
            row["claims"] = ""
        for article, scored in self.pipeline.classify(pairs, _row_error(todo)):
            todo[article.id]["claims"] = json.dumps([s.to_record() for s in scored],
                                                    ensure_ascii=False)
        return _table(rows, (*ARTICLE_FIELDS, "claims"))


def _article(row: dict[str, Any]) -> Article:
    """The article a row carries through the stages."""
    return Article(**{f: row[f] for f in ARTICLE_FIELDS})


def _first_of_each_id(rows: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Rows by article id; a later row with the same id is left for the driver to report."""
    by_id: dict[str, dict[str, Any]] = {}
    for row in rows:
        by_id.setdefault(row["id"], row)
    return by_id


def _row_error(rows: dict[str, dict[str, Any]]) -> ErrorHandler:
    """An error handler that puts an article's error record into its row."""

    def on_error(err: InputError | ArticleError) -> None:
        if isinstance(err, ArticleError):
            rows[err.article_id]["error"] = json.dumps(err.to_record())

    return on_error


def scored_dataset(articles: Dataset, pipeline: Pipeline) -> Dataset:
    """The extract and classify stages over a dataset of article rows (see `_table`)."""
    import ray

    pool = ray.data.ActorPoolStrategy(size=pipeline.workers)
    extracted = articles.map_batches(
        _Extractor, fn_constructor_kwargs={"target": pipeline.target, "aliases": pipeline.aliases},
        batch_format="pyarrow", batch_size=EXTRACT_BATCH, compute=pool, num_cpus=EXTRACT_CPUS)
    return extracted.map_batches(
        _Classifier, fn_constructor_kwargs={"model": ray.put(pipeline.model),
                                            "target": pipeline.target},
        batch_format="pyarrow", batch_size=pipeline.batch_size,
        compute=ray.data.ActorPoolStrategy(size=pipeline.workers), num_cpus=CLASSIFY_CPUS)


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


def _ordered(ds: Dataset) -> Iterator[dict[str, Any]]:
    """The rows of `ds` streamed in input order, each (file, record) once."""
    ds.context.execution_options.preserve_order = True
    ds.context.target_max_block_size = BLOCK_BYTES
    ds.context.enable_progress_bars = False
    last = (-1, -1)
    for batch in ds.iter_batches(batch_format="pyarrow", batch_size=None):
        for row in batch.to_pylist():
            key = (row["order"], row["rec"])
            if key > last:
                last = key
                yield row


def _results(rows: Iterator[dict[str, Any]], on_error: ErrorHandler) -> Iterator[Scored]:
    """Each article with its scored claims in input order, errors to `on_error`, leaving out
    the articles a resumed run skips; the duplicate-id rule is `read_articles`'s."""
    unique = UniqueIds()
    for row in rows:
        duplicate = unique.check(row["id"], row["where"]) if row["id"] else None
        if duplicate is not None:
            on_error(duplicate)
        elif row["skip"]:
            continue
        elif row["error"]:
            on_error(error_from_record(json.loads(row["error"])))
        else:
            yield _article(row), [ScoredClaim.from_record(record)
                                  for record in json.loads(row["claims"])]


# --------------------------------------------------------------------------------------------
# The engine


def run(pipeline: Pipeline, on_error: ErrorHandler, paths: Iterable[str | Path] | None = None,
        articles: Iterable[Article] | None = None, skip: frozenset[str] = frozenset()
        ) -> Iterator[Scored]:
    """Each article of `paths` (or `articles`) not in `skip`, with its scored claims, in
    input order, computed on the Ray cluster (joined with `connect` if not yet)."""
    import ray

    connect()
    if paths is not None:
        dataset, errors = _articles_dataset(paths, skip)
        for record in errors:
            on_error(error_from_record(record))
    else:
        dataset = ray.data.from_arrow(_table(_article_rows(articles or ()), ARTICLE_FIELDS))
    yield from _results(_ordered(scored_dataset(dataset, pipeline)), on_error)
