"""Readers: every format, the metadata sidecar, stdin, and bad input reported per file/line."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stancekit.errors import InputError
from stancekit.reading import read_articles, read_file
from stancekit.records import Article

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def collect(paths) -> tuple[list[Article], list[InputError]]:
    errors: list[InputError] = []
    return list(read_articles(paths, on_error=errors.append)), errors


def test_seed_folder_reads_five_articles_with_sidecar_metadata():
    articles, errors = collect(SEEDS)
    assert errors == []
    assert [a.id[:3] for a in articles] == ["000", "001", "002", "003", "004"]
    blog = articles[2]
    assert blog.kind == "opinion" and blog.source == "ROK Drop"
    assert blog.text == (SEEDS / f"{blog.id}.txt").read_text(encoding="utf-8")


def test_txt_title_is_first_non_empty_line(tmp_path):
    (tmp_path / "a.txt").write_text("\n\n  Headline here \nBody sentence.\n", encoding="utf-8")
    [article], _ = collect(tmp_path / "a.txt")
    assert article.id == "a" and article.title == "Headline here"
    assert article.text.endswith("Body sentence.\n")


def test_jsonl_and_csv_records_with_optional_fields(tmp_path):
    jsonl = tmp_path / "c.jsonl"
    jsonl.write_text(
        json.dumps({"id": "x1", "text": "One.", "source": "Wire", "kind": "news"}) + "\n\n"
        + json.dumps({"text": "Two."}) + "\n",
        encoding="utf-8",
    )
    csv_file = tmp_path / "d.csv"
    csv_file.write_text('id,text,date\ny1,"Three, with a comma.",2021-10-01\n', encoding="utf-8")
    articles, errors = collect([jsonl, csv_file])
    assert errors == []
    assert [(a.id, a.text) for a in articles] == [
        ("x1", "One."), ("c-2", "Two."), ("y1", "Three, with a comma.")]
    assert articles[0].source == "Wire" and articles[2].date == "2021-10-01"


def test_parquet_records(tmp_path):
    import pandas as pd

    path = tmp_path / "e.parquet"
    pd.DataFrame({"id": ["p1", "p2"], "text": ["Alpha.", "Beta."]}).to_parquet(path)
    articles, errors = collect(path)
    assert errors == [] and [a.id for a in articles] == ["p1", "p2"]


def test_bad_records_are_reported_by_line_and_the_rest_still_read(tmp_path):
    path = tmp_path / "mixed.jsonl"
    path.write_text(
        '{"id": "ok1", "text": "Fine."}\n'
        "{not json\n"
        '{"id": "no-text"}\n'
        '{"id": "ok2", "text": "Also fine.", "kind": "editorial"}\n'
        '{"id": "ok3", "text": "Last."}\n',
        encoding="utf-8",
    )
    articles, errors = collect(path)
    assert [a.id for a in articles] == ["ok1", "ok3"]
    assert [e.line for e in errors] == [2, 3, 4]
    assert "malformed JSON" in str(errors[0])
    assert str(errors[1]) == f"{path}:3: missing field 'text'"
    assert "field 'kind'" in str(errors[2])


def test_bad_files_do_not_stop_the_others(tmp_path):
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "latin1.txt").write_bytes(b"Title\nCaf\xe9 society.\n")
    (tmp_path / "good.txt").write_text("Title\nGood text.\n", encoding="utf-8")
    (tmp_path / "nocol.csv").write_text("id,body\n1,hello\n", encoding="utf-8")
    articles, errors = collect([tmp_path, tmp_path / "missing.txt"])
    assert [a.id for a in articles] == ["good"]
    messages = sorted(str(e) for e in errors)
    assert f"{tmp_path / 'empty.txt'}: empty file" in messages
    assert f"{tmp_path / 'latin1.txt'}:2: not UTF-8 text (byte 9)" in messages
    assert f"{tmp_path / 'nocol.csv'}:1: no 'text' column in the header" in messages
    assert f"{tmp_path / 'missing.txt'}: no such file or folder" in messages


def test_duplicate_ids_across_inputs_are_reported(tmp_path):
    (tmp_path / "a.jsonl").write_text('{"id": "same", "text": "First."}\n', encoding="utf-8")
    (tmp_path / "b.jsonl").write_text('{"id": "same", "text": "Second."}\n', encoding="utf-8")
    articles, errors = collect(tmp_path)
    assert [a.text for a in articles] == ["First."]
    assert "duplicate article id 'same'" in str(errors[0])



def test_a_csv_field_of_any_size_is_read_with_the_rows_after_it(tmp_path):
    import csv

    long_text = "The council debated the budget until late in the night. " * 4000  # ~230 KB
    path = tmp_path / "long.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerows([["id", "text"], ["long", long_text], ["after", "The row after."]])
    articles, errors = collect(path)
    assert errors == []
    assert [a.id for a in articles] == ["long", "after"] and articles[0].text == long_text


def test_an_html_page_gives_its_article_text_title_outlet_and_date(tmp_path):
    path = tmp_path / "bridge.html"
    path.write_text(
        "<html><head><title>Bridge opens | The Courier</title>"
        '<meta property="og:site_name" content="The Courier">'
        '<meta name="date" content="2026-04-02"></head><body>'
        '<nav><a href="/">Home</a> | <a href="/sport">Sport</a></nav><article><h1>Bridge opens</h1>'
        "<p>The new bridge will open in May, the city said on Wednesday after a long delay.</p>"
        "<p>Tom Reyes, the mayor, said the bridge would cut the drive to the hospital.</p>"
        "</article><footer>Subscribe to our newsletter.</footer></body></html>",
        encoding="utf-8",
    )
    (tmp_path / "short.htm").write_text("<html><body></body></html>", encoding="utf-8")
    articles, errors = collect(tmp_path)
    assert [a.id for a in articles] == ["bridge"]
    article = articles[0]
    assert not any(word in article.text for word in ("<", "Home", "Subscribe"))
    assert "Tom Reyes, the mayor, said" in article.text
    assert (article.title, article.source, article.date) == ("Bridge opens", "The Courier",
                                                             "2026-04-02")
    assert [str(e) for e in errors] == [
        f"{tmp_path / 'short.htm'}: no article text found in the HTML page"]


def test_an_unreadable_folder_is_reported_like_an_unreadable_file(tmp_path, monkeypatch):
    import os

    (tmp_path / "good.txt").write_text("Title\nGood text.\n", encoding="utf-8")
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "inside.txt").write_text("Title\nHidden text.\n", encoding="utf-8")
    real_scandir = os.scandir

    def scandir(path="."):  # permissions as a non-root user would see them
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    articles, errors = collect(tmp_path)
    assert [a.id for a in articles] == ["good"]
    assert [str(e) for e in errors] == [f"{locked}: cannot read folder: Permission denied"]


def test_one_bad_file_gives_one_error_line(tmp_path):
    (tmp_path / "nocol.csv").write_text("id,body\n1,hello\n", encoding="utf-8")
    (tmp_path / "binary.jsonl").write_bytes(b"\0\x01\x02\n" * 20)
    (tmp_path / "allbad.jsonl").write_text("{oops\n", encoding="utf-8")
    (tmp_path / "deep.jsonl").write_text('{"text": ' + "[" * 100_000 + "\n", encoding="utf-8")
    _, errors = collect(tmp_path)
    assert sorted(str(e) for e in errors) == [
        f"{tmp_path / 'allbad.jsonl'}:1: malformed JSON (Expecting property name enclosed in "
        "double quotes: line 1 column 2 (char 1))",
        f"{tmp_path / 'binary.jsonl'}: binary data, not a text file",
        f"{tmp_path / 'deep.jsonl'}:1: malformed JSON (nested too deeply)",
        f"{tmp_path / 'nocol.csv'}:1: no 'text' column in the header",
    ]


def test_read_jsonl_hands_each_bad_line_to_the_handler(tmp_path):
    from stancekit.reading import read_jsonl, skip_error

    path = tmp_path / "journal.jsonl"
    path.write_text('{"a": 1}\n[2]\n\n{"a": 3}\n{"a": ', encoding="utf-8")
    errors: list[InputError] = []
    assert list(read_jsonl(path, errors.append)) == [({"a": 1}, 1), ({"a": 3}, 4)]
    assert [(e.line, e.reason.split(" (")[0]) for e in errors] == [
        (2, "a JSON object was expected"), (5, "malformed JSON")]
    assert len(list(read_jsonl(path, skip_error))) == 2
    with pytest.raises(InputError, match=r"journal.jsonl:2: a JSON object was expected"):
        list(read_jsonl(path))

@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"Headline\nSome text.", [("stdin", "Some text.")]),
        (b'{"id": "s1", "text": "From a pipe."}\n', [("s1", "From a pipe.")]),
    ],
)
def test_stdin(monkeypatch, data, expected):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    articles, errors = collect("-")
    assert errors == []
    assert [(a.id, a.text.splitlines()[-1]) for a in articles] == expected


SUFFIXES = st.sampled_from([".txt", ".jsonl", ".csv", ".parquet", ".json"])
SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(data=st.binary(max_size=300), suffix=SUFFIXES)
def test_random_bytes_give_articles_or_input_errors(tmp_path, data, suffix):
    path = tmp_path / f"random{suffix}"
    path.write_bytes(data)
    for item in read_file(path):
        assert isinstance(item, (Article, InputError))
        if isinstance(item, InputError):
            assert "\n" not in str(item) and str(path) in str(item)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                 max_size=3),
    max_leaves=6,
)
RECORDS = st.dictionaries(
    st.sampled_from(["id", "text", "title", "source", "date", "url", "kind", "extra"]),
    JSON_VALUES,
)


@SETTINGS
@given(records=st.lists(RECORDS | JSON_VALUES, max_size=6))
def test_random_json_records_give_articles_or_input_errors(tmp_path, records):
    path = tmp_path / "records.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    items = list(read_file(path))
    for item in items:
        assert isinstance(item, (Article, InputError))
        if isinstance(item, Article):
            assert item.text.strip() and item.id


@SETTINGS
@given(rows=st.lists(st.lists(st.text(max_size=15), min_size=1, max_size=4), max_size=5))
def test_random_csv_rows_give_articles_or_input_errors(tmp_path, rows):
    import csv

    path = tmp_path / "rows.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "text"])
        writer.writerows(rows)
    for item in read_file(path):
        assert isinstance(item, (Article, InputError))


def test_a_parquet_file_damaged_after_its_header_is_one_error_after_its_good_rows(tmp_path):
    import pandas as pd

    path = tmp_path / "damaged.parquet"
    frame = pd.DataFrame({"id": [f"r{i}" for i in range(400)],
                          "text": [f"Article number {i} has a sentence." for i in range(400)]})
    frame.to_parquet(path, row_group_size=200)
    data = bytearray(path.read_bytes())
    middle = len(data) // 2
    data[middle:middle + 400] = b"\xff" * 400
    path.write_bytes(bytes(data))
    articles, errors = collect(path)
    assert len(errors) == 1 and "\n" not in str(errors[0])
    assert str(errors[0]).startswith(f"{path}: unreadable Parquet data after row {len(articles)}")
