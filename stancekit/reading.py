"""Reading articles from .txt, .jsonl, .csv and .parquet files, folders and stdin.

Every reader streams: a corpus of any size is read one record at a time. A bad file or
record becomes an `InputError` naming the file and line, handed to `on_error`, and
reading goes on with the rest.

Formats:
- ``.txt``: one article; the id is the file name without extension, the title is the first
  non-empty line, the text is the whole file (label offsets index into it).
- ``.jsonl`` / ``.csv`` / ``.parquet``: one article per record with ``text`` and optional
  ``id, title, source, date, url, kind``; a missing id becomes ``<file stem>-<record number>``.
- folders: every file of those kinds below it, recursively, in sorted order. A file named
  ``articles.jsonl`` whose records have no ``text`` is a *metadata sidecar*: its records give
  the ``title, source, date, url, kind`` of the folder's .txt articles, matched by ``id``.
- ``-``: standard input, read as JSONL if it starts with ``{``, else as one text article.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from stancekit.errors import InputError
from stancekit.records import ARTICLE_KINDS, Article

ARTICLE_SUFFIXES = (".txt", ".jsonl", ".csv", ".parquet")
METADATA_SIDECAR = "articles.jsonl"
OPTIONAL_FIELDS = ("title", "source", "date", "url", "kind")
STDIN = "-"

ErrorHandler = Callable[[InputError], None]
Item = tuple[Article, str] | InputError  # an article with where it was read, or an error


def report_to_stderr(error: InputError) -> None:
    """Default error handler: one line on stderr, then reading goes on."""
    print(f"stancekit: skipped {error}", file=sys.stderr)


def read_articles(
    paths: str | Path | Iterable[str | Path],
    on_error: ErrorHandler = report_to_stderr,
) -> Iterator[Article]:
    """Yield the articles of files, folders or ``-`` (stdin); bad inputs go to `on_error`.

    An article id seen before is reported as an error and the later article skipped, so
    that claim ids derived from article ids stay unique.
    """
    if isinstance(paths, (str, Path)):
        paths = [paths]
    first_seen: dict[str, str] = {}
    for item in _expand(paths, on_error):
        if isinstance(item, InputError):
            on_error(item)
            continue
        article, where = item
        if article.id in first_seen:
            on_error(InputError(where, f"duplicate article id {article.id!r} "
                                       f"(first read from {first_seen[article.id]})"))
            continue
        first_seen[article.id] = where
        yield article


def read_file(path: str | Path) -> Iterator[Article | InputError]:
    """The articles of one file, with an `InputError` in place of each bad record."""
    for item in _read_one(Path(path), {}):
        yield item if isinstance(item, InputError) else item[0]


def _expand(
    paths: Iterable[str | Path], on_error: ErrorHandler
) -> Iterator[Item]:
    for raw in paths:
        if str(raw) == STDIN:
            yield from _read_stdin()
            continue
        path = Path(raw)
        if path.is_dir():
            yield from _read_folder(path)
        elif path.is_file():
            yield from _read_one(path, {})
        else:
            yield InputError(str(path), "no such file or folder")


def _read_folder(folder: Path) -> Iterator[Item]:
    metadata_by_dir: dict[Path, dict[str, dict[str, str]]] = {}
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in ARTICLE_SUFFIXES)
    for path in files:
        if path.parent not in metadata_by_dir:
            metadata_by_dir[path.parent] = yield from _read_sidecar(path.parent / METADATA_SIDECAR)
        if path.name == METADATA_SIDECAR and _is_sidecar(path):
            continue
        yield from _read_one(path, metadata_by_dir[path.parent])


def _read_sidecar(path: Path) -> Iterator[InputError]:
    """Yield the sidecar's bad lines; return its metadata by article id (empty if none)."""
    metadata: dict[str, dict[str, str]] = {}
    if not (path.is_file() and _is_sidecar(path)):
        return metadata
    for item in _jsonl_records(path):
        if isinstance(item, InputError):
            yield item
        elif "id" not in item[0]:
            yield InputError(str(path), "metadata record without 'id'", item[1])
        else:
            metadata[str(item[0]["id"])] = {k: _as_str(item[0].get(k)) for k in OPTIONAL_FIELDS}
    return metadata


def _is_sidecar(path: Path) -> bool:
    """True when the file's first record is a JSON object without a ``text`` field."""
    try:
        with path.open("rb") as handle:
            for line in handle:
                if line.strip():
                    record = json.loads(line)
                    return isinstance(record, dict) and "text" not in record
    except (OSError, ValueError):
        return False
    return False


def _read_one(
    path: Path, metadata: dict[str, dict[str, str]]
) -> Iterator[Item]:
    suffix = path.suffix.lower()
    if suffix == ".txt":
        yield from _read_txt(path, metadata)
        return
    readers = {".jsonl": _jsonl_records, ".csv": _csv_records, ".parquet": _parquet_records}
    if suffix not in readers:
        yield InputError(str(path), f"unsupported file type {suffix or '(none)'!r}; "
                                    f"expected one of {', '.join(ARTICLE_SUFFIXES)}")
        return
    n_records = 0
    for item in readers[suffix](path):
        if isinstance(item, InputError):
            yield item
            continue
        record, line = item
        n_records += 1
        try:
            yield _article_from_record(record, f"{path.stem}-{n_records}"), f"{path}:{line}"
        except ValueError as err:
            yield InputError(str(path), str(err), line)
    if n_records == 0:
        yield InputError(str(path), "no records")


def _read_txt(path: Path, metadata: dict[str, dict[str, str]]) -> Iterator[Item]:
    try:
        data = path.read_bytes()
    except OSError as err:
        yield InputError(str(path), f"cannot read: {err.strerror or err}")
        return
    try:
        text = _decode(data, str(path))
    except InputError as err:
        yield err
        return
    if not text.strip():
        yield InputError(str(path), "empty file")
        return
    title = next(line.strip() for line in text.splitlines() if line.strip())
    fields = {"title": title, **{k: v for k, v in metadata.get(path.stem, {}).items() if v}}
    try:
        yield _article_from_record({"id": path.stem, "text": text, **fields}, path.stem), str(path)
    except ValueError as err:
        yield InputError(str(path), str(err))


def _read_stdin() -> Iterator[Item]:
    data = sys.stdin.buffer.read()
    if data.lstrip().startswith(b"{"):
        for item in _jsonl_lines(io.BytesIO(data), "<stdin>"):
            if isinstance(item, InputError):
                yield item
                continue
            record, line = item
            try:
                yield _article_from_record(record, f"stdin-{line}"), f"<stdin>:{line}"
            except ValueError as err:
                yield InputError("<stdin>", str(err), line)
        return
    try:
        text = _decode(data, "<stdin>")
    except InputError as err:
        yield err
        return
    if not text.strip():
        yield InputError("<stdin>", "empty input")
        return
    title = next(line.strip() for line in text.splitlines() if line.strip())
    yield Article(id="stdin", text=text, title=title), "<stdin>"


def _decode(data: bytes, where: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        raise InputError(where, f"not UTF-8 text (byte {err.start})", line) from None


def _jsonl_records(path: Path) -> Iterator[tuple[dict[str, Any], int] | InputError]:
    try:
        with path.open("rb") as handle:
            yield from _jsonl_lines(handle, str(path))
    except OSError as err:
        yield InputError(str(path), f"cannot read: {err.strerror or err}")


def _jsonl_lines(handle: BinaryIO, where: str) -> Iterator[tuple[dict[str, Any], int] | InputError]:
    for number, raw in enumerate(handle, start=1):
        if not raw.strip():
            continue
        try:
            record = json.loads(_decode(raw, where))
        except InputError as err:
            yield InputError(where, err.reason, number)
            continue
        except ValueError as err:
            yield InputError(where, f"malformed JSON ({err})", number)
            continue
        if not isinstance(record, dict):
            yield InputError(where, "a JSON object was expected", number)
            continue
        yield record, number


def _csv_records(path: Path) -> Iterator[tuple[dict[str, Any], int] | InputError]:
    try:
        handle = path.open("rb")
    except OSError as err:
        yield InputError(str(path), f"cannot read: {err.strerror or err}")
        return
    with handle:
        lines = _decoded_lines(handle, str(path))
        reader = csv.DictReader(lines)
        try:
            if reader.fieldnames is None:
                yield InputError(str(path), "empty file")
                return
            if "text" not in reader.fieldnames:
                yield InputError(str(path), "no 'text' column in the header", 1)
                return
            for row in reader:
                if None in row:
                    yield InputError(str(path), "more fields than header columns", reader.line_num)
                    continue
                yield row, reader.line_num
        except InputError as err:
            yield err
        except csv.Error as err:
            yield InputError(str(path), f"malformed CSV ({err})", reader.line_num)


def _decoded_lines(handle: BinaryIO, where: str) -> Iterator[str]:
    for number, raw in enumerate(handle, start=1):
        try:
            yield raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as err:
            reason = f"not UTF-8 text (byte {err.start} of the line)"
            raise InputError(where, reason, number) from None


def _parquet_records(path: Path) -> Iterator[tuple[dict[str, Any], int] | InputError]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except (OSError, pa.ArrowException) as err:
        yield InputError(str(path), f"not a readable Parquet file ({err})")
        return
    if "text" not in parquet.schema_arrow.names:
        yield InputError(str(path), "no 'text' column")
        return
    row = 0
    for batch in parquet.iter_batches(batch_size=1024):
        for record in batch.to_pylist():
            row += 1
            yield record, row


def _article_from_record(record: dict[str, Any], default_id: str) -> Article:
    """Build an Article, raising ValueError naming the bad field."""
    text = record.get("text")
    if text is None:
        raise ValueError("missing field 'text'")
    if not isinstance(text, str):
        raise ValueError(f"field 'text' must be a string, not {type(text).__name__}")
    if not text.strip():
        raise ValueError("field 'text' is empty")
    raw_id = record.get("id")
    article_id = default_id if raw_id is None or str(raw_id).strip() == "" else str(raw_id).strip()
    fields = {name: _as_str(record.get(name)) for name in OPTIONAL_FIELDS}
    if fields["kind"] and fields["kind"] not in ARTICLE_KINDS:
        raise ValueError(f"field 'kind' must be one of {', '.join(ARTICLE_KINDS)}, "
                         f"not {fields['kind']!r}")
    return Article(id=article_id, text=text, **fields)


def _as_str(value: Any) -> str:
    return "" if value is None else str(value).strip()
