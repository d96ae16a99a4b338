"""Reading articles from .txt, .html, .jsonl, .csv and .parquet files, folders and stdin.

Every reader streams: a corpus of any size is read one record at a time. A bad file or
record becomes one `InputError` naming the file and line, handed to `on_error`, and
reading goes on with the rest. `read_jsonl` is the one JSONL reader of the package.

Formats:
- ``.txt``: one article; the id is the file name without extension, the title is the first
  non-empty line, the text is the whole file (label offsets index into it).
- ``.html`` / ``.htm``: one news page; the article's text, title, outlet and date are taken
  from it with trafilatura (menus, adverts and comments left out); the id is the file name.
- ``.jsonl`` / ``.csv`` / ``.parquet``: one article per record with ``text`` and optional
  ``id, title, source, date, url, kind``; a missing id becomes ``<file stem>-<record number>``.
- folders: every file of those kinds below it, recursively, in sorted order (a folder that
  cannot be listed is an error like an unreadable file). A file named
  ``articles.jsonl`` whose records have no ``text`` is a *metadata sidecar*: its records give
  the ``title, source, date, url, kind`` of the folder's .txt articles, matched by ``id``.
- ``-``: standard input, read as JSONL if it starts with ``{``, else as one text article.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from stancekit.errors import InputError
from stancekit.records import ARTICLE_KINDS, Article

ARTICLE_SUFFIXES = (".txt", ".html", ".htm", ".jsonl", ".csv", ".parquet")
METADATA_SIDECAR = "articles.jsonl"
OPTIONAL_FIELDS = ("title", "source", "date", "url", "kind")
STDIN = "-"
BINARY_PROBE = 8192  # bytes looked at to tell a binary file from text
CSV_FIELD_LIMIT = 2**31 - 1  # csv's default of 128 KB would stop at a long article

ErrorHandler = Callable[[InputError], None]
Item = tuple[Article, str] | InputError  # an article with where it was read, or an error
Record = tuple[dict[str, Any], int]  # a JSON/CSV record and its line (row) number


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
    unique = UniqueIds()
    for item in _expand(paths):
        if isinstance(item, InputError):
            on_error(item)
            continue
        article, where = item
        duplicate = unique.check(article.id, where)
        if duplicate is not None:
            on_error(duplicate)
            continue
        yield article


class UniqueIds:
    """The duplicate-id rule: a later article with an id read before is an error."""

    def __init__(self) -> None:
        self.first_seen: dict[str, str] = {}

    def check(self, article_id: str, where: str) -> InputError | None:
        """None for a new id (remembered with where it was read), else the error."""
        if article_id in self.first_seen:
            return InputError(where, f"duplicate article id {article_id!r} "
                                     f"(first read from {self.first_seen[article_id]})")
        self.first_seen[article_id] = where
        return None


def read_file(path: str | Path) -> Iterator[Article | InputError]:
    """The articles of one file, with an `InputError` in place of each bad record."""
    for item in read_records(Path(path)):
        yield item if isinstance(item, InputError) else item[0]


def read_jsonl(path: str | Path, on_error: ErrorHandler | None = None) -> Iterator[Record]:
    """The JSON objects of a JSONL file with their line numbers (blank lines skipped).

    The error policy of every JSONL file stancekit reads: an unreadable or binary file, or
    a line that is not UTF-8 or not a JSON object, is one `InputError` naming the file and
    line, handed to `on_error` (default: raised); reading goes on after a bad line.
    """
    on_error = on_error or _raise
    path = Path(path)
    try:
        with path.open("rb") as handle:
            if _is_binary(handle, str(path), on_error):
                return
            for item in _jsonl_lines(handle, str(path)):
                if isinstance(item, InputError):
                    on_error(item)
                else:
                    yield item
    except OSError as err:
        on_error(InputError(str(path), f"cannot read: {err.strerror or err}"))


def skip_error(error: InputError) -> None:
    """An error handler that drops the error (for lines an interrupted write tore)."""


def _raise(error: InputError) -> None:
    raise error


def _is_binary(handle: BinaryIO, where: str, on_error: ErrorHandler) -> bool:
    """True (and the error reported) when the file holds NUL bytes; rewinds the handle."""
    binary = b"\0" in handle.read(BINARY_PROBE)
    handle.seek(0)
    if binary:
        on_error(InputError(where, "binary data, not a text file"))
    return binary


def _expand(paths: Iterable[str | Path]) -> Iterator[Item]:
    for raw in paths:
        if str(raw) == STDIN:
            yield from _read_stdin()
            continue
        path = Path(raw)
        if path.is_dir():
            yield from _read_folder(path)
        elif path.is_file():
            yield from read_records(path)
        else:
            yield InputError(str(path), "no such file or folder")


def article_files(folder: str | Path) -> Iterator[Path | InputError]:
    """The article files below `folder`, in sorted order; a folder that cannot be listed is an
    `InputError`. Symbolic links to folders are not followed (no loops)."""
    folder = Path(folder)
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError as err:
        yield InputError(str(folder), f"cannot read folder: {err.strerror or err}")
        return
    for entry in entries:
        path = folder / entry.name
        if entry.is_dir(follow_symlinks=False):
            yield from article_files(path)
        elif path.suffix in ARTICLE_SUFFIXES and entry.is_file():
            yield path


def _read_folder(folder: Path) -> Iterator[Item]:
    metadata_by_dir: dict[Path, dict[str, dict[str, str]]] = {}
    for path in article_files(folder):
        if isinstance(path, InputError):
            yield path
            continue
        if path.parent not in metadata_by_dir:
            metadata_by_dir[path.parent] = yield from read_sidecar(path.parent / METADATA_SIDECAR)
        if path.name == METADATA_SIDECAR and is_sidecar(path):
            continue
        yield from read_records(path, metadata_by_dir[path.parent])


def read_sidecar(path: Path) -> Iterator[InputError]:
    """Yield the sidecar's bad lines; return its metadata by article id (empty if none)."""
    metadata: dict[str, dict[str, str]] = {}
    if not (path.is_file() and is_sidecar(path)):
        return metadata
    errors: list[InputError] = []
    for record, line in read_jsonl(path, on_error=errors.append):
        yield from errors
        errors.clear()
        if "id" not in record:
            yield InputError(str(path), "metadata record without 'id'", line)
        else:
            metadata[str(record["id"])] = {k: _as_str(record.get(k)) for k in OPTIONAL_FIELDS}
    yield from errors
    return metadata


def is_sidecar(path: Path) -> bool:
    """True when the file's first record is a JSON object without a ``text`` field."""
    try:
        with path.open("rb") as handle:
            for line in handle:
                if line.strip():
                    record = json.loads(line)
                    return isinstance(record, dict) and "text" not in record
    except (OSError, ValueError, RecursionError):
        return False
    return False


def read_records(path: Path, metadata: dict[str, dict[str, str]] | None = None
                 ) -> Iterator[Item]:
    """The articles of one file with where each was read, or an `InputError` for each bad
    record; one error only for a file that cannot be read at all. `metadata` (a folder's
    sidecar) gives fields of .txt and .html articles by id."""
    suffix = path.suffix.lower()
    metadata = metadata or {}
    if suffix in (".txt", ".html", ".htm"):
        yield from _read_page(path, metadata)
        return
    readers = {".jsonl": _jsonl_records, ".csv": _csv_records, ".parquet": _parquet_records}
    if suffix not in readers:
        yield InputError(str(path), f"unsupported file type {suffix or '(none)'!r}; "
                                    f"expected one of {', '.join(ARTICLE_SUFFIXES)}")
        return
    n_records = n_errors = 0
    for item in readers[suffix](path):
        if isinstance(item, InputError):
            n_errors += 1
            yield item
            continue
        record, line = item
        n_records += 1
        try:
            yield _article_from_record(record, f"{path.stem}-{n_records}"), f"{path}:{line}"
        except ValueError as err:
            yield InputError(str(path), str(err), line)
    if n_records == n_errors == 0:
        yield InputError(str(path), "no records")


def _read_page(path: Path, metadata: dict[str, dict[str, str]]) -> Iterator[Item]:
    """One article from a .txt file or an .html news page."""
    try:
        data = path.read_bytes()
    except OSError as err:
        yield InputError(str(path), f"cannot read: {err.strerror or err}")
        return
    if path.suffix.lower() == ".txt" and b"\0" in data[:BINARY_PROBE]:
        yield InputError(str(path), "binary data, not a text file")
        return
    try:
        fields = (_html_article(data, str(path)) if path.suffix.lower() != ".txt"
                  else _txt_article(data, str(path)))
    except InputError as err:
        yield err
        return
    fields.update({k: v for k, v in metadata.get(path.stem, {}).items() if v})
    try:
        yield _article_from_record({"id": path.stem, **fields}, path.stem), str(path)
    except ValueError as err:
        yield InputError(str(path), str(err))


def _txt_article(data: bytes, where: str) -> dict[str, str]:
    text = _decode(data, where)
    if not text.strip():
        raise InputError(where, "empty file")
    return {"text": text, "title": next(ln.strip() for ln in text.splitlines() if ln.strip())}


def _html_article(data: bytes, where: str) -> dict[str, str]:
    """The article of a news page (text, title, outlet, date, url), by trafilatura."""
    import trafilatura

    if not data.strip():
        raise InputError(where, "empty file")
    page = trafilatura.bare_extraction(data, include_comments=False, include_tables=False,
                                       with_metadata=True)
    if page is None or not (page.text or "").strip():
        raise InputError(where, "no article text found in the HTML page")
    paragraphs = [line.strip() for line in page.text.splitlines() if line.strip()]
    return {"text": "\n\n".join(paragraphs), "title": page.title or paragraphs[0],
            "source": page.sitename or "", "date": page.date or "", "url": page.url or ""}


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


def _jsonl_records(path: Path) -> Iterator[Record | InputError]:
    errors: list[InputError] = []
    for record in read_jsonl(path, on_error=errors.append):
        yield from errors
        errors.clear()
        yield record
    yield from errors


def _jsonl_lines(handle: BinaryIO, where: str) -> Iterator[Record | InputError]:
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
        except RecursionError:
            yield InputError(where, "malformed JSON (nested too deeply)", number)
            continue
        if not isinstance(record, dict):
            yield InputError(where, "a JSON object was expected", number)
            continue
        yield record, number


def _csv_records(path: Path) -> Iterator[Record | InputError]:
    csv.field_size_limit(CSV_FIELD_LIMIT)
    try:
        handle = path.open("rb")
    except OSError as err:
        yield InputError(str(path), f"cannot read: {err.strerror or err}")
        return
    with handle:
        errors: list[InputError] = []
        if _is_binary(handle, str(path), errors.append):
            yield from errors
            return
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


def _parquet_records(path: Path) -> Iterator[Record | InputError]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except (OSError, pa.ArrowException) as err:
        yield InputError(str(path), f"not a readable Parquet file ({_first_line(err)})")
        return
    if "text" not in parquet.schema_arrow.names:
        yield InputError(str(path), "no 'text' column")
        return
    row = 0
    batches = parquet.iter_batches(batch_size=1024)
    while True:
        try:
            batch = next(batches)
        except StopIteration:
            return
        except (OSError, pa.ArrowException) as err:  # a file damaged after its header
            yield InputError(str(path), f"unreadable Parquet data after row {row} "
                                        f"({_first_line(err)})")
            return
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


def _first_line(err: Exception) -> str:
    return (str(err).strip().splitlines() or [type(err).__name__])[0]


def _as_str(value: Any) -> str:
    return "" if value is None else str(value).strip()
