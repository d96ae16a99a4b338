"""Hand-labeled claims: load (JSONL / CSV), validate against the articles, summarise.

The record format and the labeling rules are in labels/GUIDE.md.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from stancekit.errors import InputError, LabelError
from stancekit.records import SENTIMENTS, STANCES, LabeledClaim

LABEL_SUFFIXES: tuple[str, ...] = (".jsonl", ".csv")
_REQUIRED: tuple[str, ...] = ("id", "text", "target", "stance")
_CSV_REQUIRED: tuple[str, ...] = ("text", "target", "stance")
_TEXT_FIELDS: tuple[str, ...] = ("speaker", "via", "article", "note")


def load_labels(paths: str | Path | Sequence[str | Path]) -> list[LabeledClaim]:
    """Read label files (.jsonl in the GUIDE.md format, or .csv) or folders of them.

    A CSV needs the columns `text,target,stance`; `id` (default `<file stem>-<row>`),
    `sentiment`, `speaker`, `via`, `article`, `start`, `end` and `note` are optional.
    Raises LabelError naming file, line and field for the first bad record.
    """
    labels: list[LabeledClaim] = []
    for path in _label_files(paths):
        if path.suffix.lower() == ".csv":
            labels.extend(_read_csv(path))
        else:
            labels.extend(_read_jsonl(path))
    return labels


def group_ids(labels: Sequence[LabeledClaim]) -> list[str]:
    """The article of each label ("" when unknown): the groups for grouped cross-validation."""
    return [label.article for label in labels]


def _label_files(paths: str | Path | Sequence[str | Path]) -> list[Path]:
    items = [paths] if isinstance(paths, str | Path) else list(paths)
    files: list[Path] = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix.lower() in LABEL_SUFFIXES)
            if not found:
                raise InputError(str(path), "folder holds no .jsonl or .csv label files")
            files.extend(found)
        elif not path.is_file():
            raise InputError(str(path), "no such label file")
        elif path.suffix.lower() not in LABEL_SUFFIXES:
            raise InputError(str(path), "label files must end in .jsonl or .csv")
        else:
            files.append(path)
    return files


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as err:
        raise LabelError(str(path), f"not UTF-8 text ({err.reason} at byte {err.start})") from None
    except OSError as err:
        raise InputError(str(path), f"cannot read: {err.strerror}") from None


def _read_jsonl(path: Path) -> Iterator[LabeledClaim]:
    for lineno, line in enumerate(_read_text(path).split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (json.JSONDecodeError, RecursionError) as err:
            reason = err.msg if isinstance(err, json.JSONDecodeError) else "nested too deeply"
            raise LabelError(str(path), f"malformed JSON: {reason}", line=lineno) from None
        if not isinstance(record, dict):
            raise LabelError(str(path), "a record must be a JSON object", line=lineno)
        yield _make_label(record, path, lineno)


def _read_csv(path: Path) -> Iterator[LabeledClaim]:
    reader = csv.DictReader(io.StringIO(_read_text(path), newline=""))
    try:
        columns = [name.strip() for name in reader.fieldnames or []]
    except csv.Error as err:
        raise LabelError(str(path), f"malformed CSV header: {err}", line=1) from None
    missing = [name for name in _CSV_REQUIRED if name not in columns]
    if missing:
        raise LabelError(str(path), f"missing column(s): {', '.join(missing)}", line=1)
    reader.fieldnames = columns
    row = 0
    while True:
        try:
            raw = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            raise LabelError(str(path), f"malformed CSV: {err}", line=reader.line_num) from None
        row += 1
        if None in raw:
            raise LabelError(str(path), "more cells than columns", line=reader.line_num)
        record: dict[str, Any] = {
            key: value if key == "text" else value.strip()
            for key, value in raw.items()
            if value is not None
        }
        if not record.get("id"):
            record["id"] = f"{path.stem}-{row}"
        for key in ("sentiment", "start", "end"):
            if record.get(key) == "":
                record[key] = None
        for key in ("start", "end"):
            if record.get(key) is not None:
                try:
                    record[key] = int(record[key])
                except ValueError:
                    raise LabelError(
                        str(path), f"field '{key}': not an integer", line=reader.line_num
                    ) from None
        yield _make_label(record, path, reader.line_num)


def _make_label(record: Mapping[str, Any], path: Path, line: int) -> LabeledClaim:
    """Check one record's fields and build the LabeledClaim; LabelError on the first bad field."""
    rid = record.get("id")
    where = f"record {rid!r}, " if isinstance(rid, str) and rid else ""

    def fail(field: str, reason: str) -> LabelError:
        return LabelError(str(path), f"{where}field '{field}': {reason}", line=line)

    for field in _REQUIRED:
        value = record.get(field)
        if value is None:
            raise fail(field, "missing")
        if not isinstance(value, str) or not value.strip():
            raise fail(field, "must be a non-empty string")
    stance = record["stance"].strip().lower()
    if stance not in STANCES:
        raise fail("stance", f"{record['stance']!r} is not one of {', '.join(STANCES)}")
    sentiment = record.get("sentiment")
    if sentiment is not None:
        if not isinstance(sentiment, str) or sentiment.strip().lower() not in SENTIMENTS:
            raise fail("sentiment", f"{sentiment!r} is not one of {', '.join(SENTIMENTS)}")
        sentiment = sentiment.strip().lower()
    extras: dict[str, str] = {}
    for field in _TEXT_FIELDS:
        value = record.get(field)
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise fail(field, "must be a string")
        extras[field] = value.strip()
    start, end = record.get("start"), record.get("end")
    for field, value in (("start", start), ("end", end)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise fail(field, "must be an integer")
    if (start is None) != (end is None):
        raise fail("start" if start is None else "end", "start and end go together")
    if start is not None and end is not None:
        if start < 0:
            raise fail("start", "must be >= 0")
        if end - start != len(record["text"]):
            length = len(record["text"])
            raise fail("end", f"end - start = {end - start} but text has {length} chars")
    return LabeledClaim(
        id=record["id"].strip(),
        text=record["text"],
        target=record["target"].strip(),
        stance=stance,
        sentiment=sentiment,
        start=start,
        end=end,
        **extras,
    )
