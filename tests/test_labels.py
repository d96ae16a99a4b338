"""Tests for stancekit.labels: loading, validation, statistics, and the shipped labels."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stancekit.errors import LabelError
from stancekit.labels import group_ids, load_labels

RECORD = {
    "id": "x-001",
    "article": "x",
    "start": 0,
    "end": 5,
    "text": "Hello",
    "speaker": "narrator",
    "via": "",
    "target": "end-of-war declaration",
    "stance": "none",
    "sentiment": "neutral",
    "note": "",
}


def write_jsonl(path: Path, records: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_load_jsonl(tmp_path: Path) -> None:
    labels = load_labels(write_jsonl(tmp_path / "a.jsonl", [RECORD]))
    assert len(labels) == 1
    assert labels[0].id == "x-001" and labels[0].start == 0 and labels[0].sentiment == "neutral"
    assert group_ids(labels) == ["x"]


def test_load_csv_generates_ids(tmp_path: Path) -> None:
    path = tmp_path / "extra.csv"
    path.write_text("text,target,stance\nWe back it.,end-of-war declaration,favor\n")
    (label,) = load_labels(path)
    assert label.id == "extra-1"
    assert label.sentiment is None and label.stance == "favor" and label.start is None


def test_csv_missing_target_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("text,stance\nWe back it.,favor\n")
    with pytest.raises(LabelError, match=r"bad\.csv:1: missing column\(s\): target"):
        load_labels(path)


def test_bad_stance_names_file_line_field(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", [RECORD, {**RECORD, "id": "x-2", "stance": "pro"}])
    with pytest.raises(LabelError, match=r"a\.jsonl:2: record 'x-2', field 'stance'"):
        load_labels(path)
