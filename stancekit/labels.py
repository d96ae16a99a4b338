"""Hand-labeled claims: load (JSONL / CSV), validate against the articles, summarise.

The record format and the labeling rules are in labels/GUIDE.md. `validate_labels` also
checks that every body sentence of a labeled article is covered by some claim; what counts
as page furniture instead of body text is decided by `text.furniture_lines` (see its docstring).
Written claims (`origin` "written", labels/written.jsonl) have no article text: their
`article` is a group id for grouped cross-validation, and they carry no offsets.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stancekit.errors import InputError, LabelError
from stancekit.reading import read_jsonl
from stancekit.records import (
    LABEL_ORIGINS,
    SENTIMENTS,
    STANCES,
    Article,
    LabeledClaim,
    split_speakers,
)
from stancekit.text import furniture_lines as furniture_lines  # re-exported: labels' own rule
from stancekit.text import uncovered_sentences

LABEL_SUFFIXES: tuple[str, ...] = (".jsonl", ".csv")
SPEAKER_TABLE = "speakers.jsonl"  # the alias table that lives beside the labels, not labels
_REQUIRED: tuple[str, ...] = ("id", "text", "target", "stance")
_CSV_REQUIRED: tuple[str, ...] = ("text", "target", "stance")
_TEXT_FIELDS: tuple[str, ...] = ("speaker", "via", "article", "note")


def load_labels(paths: str | Path | Sequence[str | Path]) -> list[LabeledClaim]:
    """Read label files (.jsonl in the GUIDE.md format, or .csv) or folders of them.

    A folder gives every .jsonl and .csv file in it except the speaker table (speakers.jsonl).

    A CSV needs the columns `text,target,stance`; `id` (default `<file stem>-<row>`),
    `sentiment`, `speaker`, `via`, `article`, `start`, `end`, `note` and `origin` are
    optional. A missing or empty `origin` is "labeled". Several files may be given, e.g.
    `["labels/claims.jsonl", "labels/written.jsonl"]`; their labels are concatenated in order.
    Raises LabelError naming file, line and field for the first bad record.
    """
    labels: list[LabeledClaim] = []
    for path in label_files(paths):
        if path.suffix.lower() == ".csv":
            labels.extend(_read_csv(path))
        else:
            labels.extend(_read_jsonl(path))
    return labels


def load_dataset(paths: str | Path | Sequence[str | Path]) -> Any:
    """The labels of `load_labels(paths)` as a `datasets.Dataset`, one column per field."""
    import datasets

    records = [label.to_dict() for label in load_labels(paths)]
    return datasets.Dataset.from_list(records)


def group_ids(labels: Sequence[LabeledClaim]) -> list[str]:
    """The article of each label ("" when unknown): the groups for grouped cross-validation."""
    return [label.article for label in labels]


def label_files(paths: str | Path | Sequence[str | Path]) -> list[Path]:
    """The label files named by `paths` (files, or folders of .jsonl/.csv files), in order."""
    items = [paths] if isinstance(paths, str | Path) else list(paths)
    files: list[Path] = []
    for item in items:
        path = Path(item)
        if path.is_dir():
            found = sorted(
                p
                for p in path.iterdir()
                if p.suffix.lower() in LABEL_SUFFIXES and p.name != SPEAKER_TABLE and p.is_file()
            )
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
    """The labels of a JSONL file, read by `reading.read_jsonl`; the first bad line stops the
    file with a `LabelError` (a label file is fixed, not partly trained on)."""

    def stop(error: InputError) -> None:
        raise LabelError(error.path, error.reason, line=error.line)

    for record, lineno in read_jsonl(path, on_error=stop):
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

    def fail(name: str, reason: str) -> LabelError:
        return LabelError(str(path), f"{where}field '{name}': {reason}", line=line)

    for name in _REQUIRED:
        value = record.get(name)
        if value is None:
            raise fail(name, "missing")
        if not isinstance(value, str) or not value.strip():
            raise fail(name, "must be a non-empty string")
    stance = record["stance"].strip().lower()
    if stance not in STANCES:
        raise fail("stance", f"{record['stance']!r} is not one of {', '.join(STANCES)}")
    sentiment = record.get("sentiment")
    if sentiment is not None:
        if not isinstance(sentiment, str) or sentiment.strip().lower() not in SENTIMENTS:
            raise fail("sentiment", f"{sentiment!r} is not one of {', '.join(SENTIMENTS)}")
        sentiment = sentiment.strip().lower()
    extras: dict[str, str] = {}
    for name in _TEXT_FIELDS:
        value = record.get(name)
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise fail(name, "must be a string")
        extras[name] = value.strip()
    origin = record.get("origin") or "labeled"
    if not isinstance(origin, str) or origin.strip().lower() not in LABEL_ORIGINS:
        raise fail("origin", f"{origin!r} is not one of {', '.join(LABEL_ORIGINS)}")
    origin = origin.strip().lower()
    start, end = record.get("start"), record.get("end")
    for name, value in (("start", start), ("end", end)):
        if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
            raise fail(name, "must be an integer")
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
        origin=origin,
        **extras,
    )


# --- validation -------------------------------------------------------------------------------



@dataclass(frozen=True)
class LabelProblem:
    """One thing wrong with a label set: the label id (or article id), the field, what is wrong."""

    id: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.id}: {self.field}: {self.message}"


def validate_labels(labels: Sequence[LabeledClaim], articles_dir: str | Path) -> list[LabelProblem]:
    """Check labels against the articles in `articles_dir`; an empty list means all is well.

    Checks: unique ids, allowed stance, sentiment and origin values, a target and speaker,
    offsets that exist and match the article text, no overlapping spans within an article,
    and that every body sentence of the articles is covered (when any label names an
    article, every article in the folder must be labeled). Labels without an article (e.g.
    from CSV) get the value checks only. Written labels (origin "written") need no article
    file and no offsets: they must have none, a speaker, and a text no other written label has.
    """
    problems: list[LabelProblem] = []
    read_errors: dict[str, str] = {}

    def on_error(err: InputError) -> None:
        read_errors[Path(err.path).stem] = str(err)

    articles = {a.id: a for a in _read_articles(articles_dir, on_error)}
    seen: set[str] = set()
    written_texts: dict[str, str] = {}
    spans: dict[str, list[LabeledClaim]] = {}
    for label in labels:
        problems.extend(_value_problems(label, seen))
        seen.add(label.id)
        if label.origin == "written":
            problems.extend(_written_problems(label, written_texts))
            continue
        if not label.article:
            continue
        article = articles.get(label.article)
        if article is None:
            reason = read_errors.get(label.article, f"no such article in {articles_dir}")
            problems.append(LabelProblem(label.id, "article", f"{label.article!r}: {reason}"))
            continue
        offset_problem = _offset_problem(label, article.text)
        if offset_problem:
            problems.append(offset_problem)
        else:
            spans.setdefault(label.article, []).append(label)
    for article_labels in spans.values():
        problems.extend(_overlap_problems(article_labels))
    if any(label.article and label.origin != "written" for label in labels):
        for article in articles.values():
            covered = [(lab.start or 0, lab.end or 0) for lab in spans.get(article.id, [])]
            for start, end, text in uncovered_sentences(article, covered):
                shown = text if len(text) <= 80 else text[:77] + "..."
                problems.append(
                    LabelProblem(
                        article.id, "coverage", f"uncovered body text at [{start}:{end}]: {shown!r}"
                    )
                )
    return problems


def _read_articles(
    articles_dir: str | Path, on_error: Callable[[InputError], None]
) -> Iterator[Article]:
    from stancekit.reading import read_articles

    path = Path(articles_dir)
    if not path.is_dir():
        raise InputError(str(path), "no such articles folder")
    return read_articles(path, on_error=on_error)


def _value_problems(label: LabeledClaim, seen: set[str]) -> Iterator[LabelProblem]:
    if label.id in seen:
        yield LabelProblem(label.id, "id", "duplicate id")
    if label.stance not in STANCES:
        allowed = ", ".join(STANCES)
        yield LabelProblem(label.id, "stance", f"{label.stance!r} is not one of {allowed}")
    if label.sentiment is not None and label.sentiment not in SENTIMENTS:
        allowed = ", ".join(SENTIMENTS)
        yield LabelProblem(label.id, "sentiment", f"{label.sentiment!r} is not one of {allowed}")
    if not label.target.strip():
        yield LabelProblem(label.id, "target", "empty")
    if label.origin not in LABEL_ORIGINS:
        allowed = ", ".join(LABEL_ORIGINS)
        yield LabelProblem(label.id, "origin", f"{label.origin!r} is not one of {allowed}")
    if (label.article or label.origin == "written") and not label.speaker.strip():
        yield LabelProblem(label.id, "speaker", "empty")


def _written_problems(label: LabeledClaim, texts: dict[str, str]) -> Iterator[LabelProblem]:
    """A written claim has no article text, so no offsets, and a text no other written one has."""
    if label.start is not None or label.end is not None:
        yield LabelProblem(label.id, "start", "a written label has no offsets (start/end null)")
    key = " ".join(label.text.split()).lower()
    if key in texts:
        yield LabelProblem(label.id, "text", f"same text as written label {texts[key]}")
    else:
        texts[key] = label.id


def _offset_problem(label: LabeledClaim, text: str) -> LabelProblem | None:
    start, end = label.start, label.end
    if start is None or end is None:
        return LabelProblem(label.id, "start", "a label with an article needs start and end")
    if not 0 <= start < end <= len(text):
        return LabelProblem(
            label.id, "end", f"[{start}:{end}] is outside the article (0..{len(text)})"
        )
    if text[start:end] != label.text:
        found = text[start:end]
        found = found if len(found) <= 60 else found[:57] + "..."
        where = text.find(label.text)
        hint = f"; the text is at [{where}:{where + len(label.text)}]" if where >= 0 else ""
        return LabelProblem(
            label.id,
            "text",
            f"does not match the article at [{start}:{end}], which reads {found!r}{hint}",
        )
    return None


def _overlap_problems(labels: list[LabeledClaim]) -> Iterator[LabelProblem]:
    """Each span that starts before the furthest-reaching earlier span ends."""
    ordered = sorted(labels, key=lambda lab: (lab.start or 0, lab.end or 0))
    reach: LabeledClaim | None = None
    for label in ordered:
        if reach is not None and (label.start or 0) < (reach.end or 0):
            yield LabelProblem(
                label.id,
                "start",
                f"span [{label.start}:{label.end}] overlaps {reach.id} [{reach.start}:{reach.end}]",
            )
        if reach is None or (label.end or 0) > (reach.end or 0):
            reach = label


# --- statistics -------------------------------------------------------------------------------


@dataclass
class LabelStats:
    """Counts over a label set; a joint claim counts once for each of its speakers."""

    total: int = 0
    origin: Counter[str] = field(default_factory=Counter)
    origin_stance: dict[str, Counter[str]] = field(default_factory=dict)
    stance: Counter[str] = field(default_factory=Counter)
    sentiment: Counter[str] = field(default_factory=Counter)
    article: Counter[str] = field(default_factory=Counter)
    speaker: Counter[str] = field(default_factory=Counter)
    speaker_stance: dict[str, Counter[str]] = field(default_factory=dict)


def label_stats(labels: Iterable[LabeledClaim]) -> LabelStats:
    """Counts by origin, origin x stance, stance, sentiment (None as "unlabeled"), article,
    speaker, speaker x stance."""
    stats = LabelStats()
    for label in labels:
        stats.total += 1
        stats.origin[label.origin] += 1
        stats.origin_stance.setdefault(label.origin, Counter())[label.stance] += 1
        stats.stance[label.stance] += 1
        stats.sentiment[label.sentiment or "unlabeled"] += 1
        stats.article[label.article or "(none)"] += 1
        for speaker in split_speakers(label.speaker) or ["(none)"]:
            stats.speaker[speaker] += 1
            stats.speaker_stance.setdefault(speaker, Counter())[label.stance] += 1
    return stats
