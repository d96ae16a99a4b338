"""Tests for stancekit.labels: loading, validation, statistics, and the shipped labels."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stancekit.cli import main
from stancekit.errors import LabelError
from stancekit.labels import (
    furniture_lines,
    group_ids,
    label_stats,
    load_labels,
    uncovered_sentences,
    validate_labels,
)
from stancekit.records import NARRATOR, SENTIMENTS, STANCES, Article, LabeledClaim, split_speakers

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


# --- the shipped labels -------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]
CLAIMS = ROOT / "labels" / "claims.jsonl"
WRITTEN = ROOT / "labels" / "written.jsonl"
SPEAKERS = ROOT / "labels" / "speakers.jsonl"
SEEDS = ROOT / "seeds"


@pytest.fixture(scope="module")
def shipped() -> list[LabeledClaim]:
    return load_labels(CLAIMS)


def test_shipped_labels_pass(shipped: list[LabeledClaim], capsys: pytest.CaptureFixture) -> None:
    assert validate_labels(shipped, SEEDS) == []
    assert main(["labels", "check", str(CLAIMS), "--articles", str(SEEDS)]) == 0
    assert capsys.readouterr().out.startswith(f"OK: {len(shipped)} labels in 5 articles")


def test_shipped_positions(shipped: list[LabeledClaim]) -> None:
    """The speakers with a position show it in their claims (LABELING.md, issue 3)."""
    stats = label_stats(shipped)
    for name in ("Moon Jae-in", "Lee In-young", "Suh Hoon"):
        assert stats.speaker_stance[name]["favor"] > 0 == stats.speaker_stance[name]["against"]
    for name in ("Harry Harris", "Robert Abrams", "Jake Sullivan", "author:ROK Drop"):
        assert stats.speaker_stance[name]["against"] > 0 == stats.speaker_stance[name]["favor"]
    assert stats.speaker_stance["narrator"]["none"] == stats.speaker["narrator"]


def test_every_speaker_is_in_the_alias_table(shipped: list[LabeledClaim]) -> None:
    table = [json.loads(line) for line in SPEAKERS.read_text(encoding="utf-8").splitlines()]
    names = {record["name"] for record in table}
    assert len(names) == len(table)
    used = {s for label in shipped for s in split_speakers(label.speaker)} | {
        label.via for label in shipped if label.via
    }
    assert used - {NARRATOR} == names
    for record in table:
        assert record["type"] in ("person", "government", "organization", "group", "author")
        assert record["aliases"] and all(isinstance(a, str) and a for a in record["aliases"])


def test_load_folder_skips_speaker_table(shipped: list[LabeledClaim]) -> None:
    assert load_labels(CLAIMS.parent) == shipped + load_labels(WRITTEN)


def test_shipped_written_labels_pass(capsys: pytest.CaptureFixture) -> None:
    """labels/written.jsonl: written claims, no offsets, grouped, all three stances well used."""
    written = load_labels(WRITTEN)
    assert validate_labels(written, SEEDS) == []
    assert all(label.origin == "written" and label.start is None for label in written)
    assert all(label.article.startswith("written-") and label.speaker for label in written)
    batches: dict[str, list[str]] = {}  # ids are numbered within each batch (w-, wr-, wo-)
    for label in written:
        batches.setdefault(label.id.split("-")[0], []).append(label.id)
    for prefix, ids in batches.items():
        assert ids == [f"{prefix}-{n:04d}" for n in range(1, len(ids) + 1)]
    stats = label_stats(written)
    assert min(stats.stance[stance] for stance in STANCES) >= len(written) / 4
    assert min(stats.sentiment[sentiment] for sentiment in SENTIMENTS) >= len(written) / 6
    # short rhetorical set-ups ("Consider the alternative.") are claims as well
    assert all(3 <= len(label.text.split()) <= 60 for label in written)
    assert main(["labels", "check", "--articles", str(SEEDS), str(CLAIMS), str(WRITTEN)]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"OK: 149 labels in 5 articles and {len(written)} written labels in ")


def test_stats_command_breaks_down_by_origin(capsys: pytest.CaptureFixture) -> None:
    assert main(["labels", "stats", str(CLAIMS), str(WRITTEN)]) == 0
    out = capsys.readouterr().out
    rows = {
        line.split()[1]: [int(n) for n in re.findall(r"\d+", line)]
        for line in out.splitlines()
        if re.match(r"│ (labeled|written) ", line)
    }
    written = label_stats(load_labels(WRITTEN))
    assert rows["labeled"] == [149, 22, 44, 83]
    assert rows["written"] == [written.total, *(written.stance[s] for s in STANCES)]


def test_load_several_files_keeps_origin(shipped: list[LabeledClaim]) -> None:
    both = load_labels([CLAIMS, WRITTEN])
    assert both[: len(shipped)] == shipped
    assert {label.origin for label in shipped} == {"labeled"}
    n_written = len(both) - len(shipped)
    assert label_stats(both).origin == {"labeled": len(shipped), "written": n_written}


def test_stats_counts_joint_speakers_for_each() -> None:
    labels = [
        LabeledClaim(id="a", text="x", target="t", stance="against", speaker="A; B", article="p"),
        LabeledClaim(id="b", text="y", target="t", stance="favor", speaker="A"),
    ]
    stats = label_stats(labels)
    assert stats.total == 2 and stats.speaker == {"A": 2, "B": 1}
    assert stats.speaker_stance["A"] == {"against": 1, "favor": 1}
    assert stats.sentiment == {"unlabeled": 2} and stats.article == {"p": 1, "(none)": 1}
    assert stats.origin == {"labeled": 2} and stats.origin_stance["labeled"]["favor"] == 1


# --- each kind of broken record fails with a precise message ------------------------------------

ARTICLE = (
    "A Headline Without Punctuation\n"
    "\n"
    "[ad_1]\n"
    "Key Takeaways\n"
    "- A summary bullet that repeats the body.\n"
    "SEOUL (Wire) - The minister backed the plan on Monday. Critics said it would fail.\n"
    "\n"
    "ALSO READ: Something else entirely happened today.\n"
    "Officials declined to comment on the timing of the plan.\n"
    "Disclaimer: this site is not responsible.\n"
    "Nobody reads this part of the page at all.\n"
)
SENTENCES = (
    "The minister backed the plan on Monday.",
    "Critics said it would fail.",
    "Officials declined to comment on the timing of the plan.",
)


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "art.txt").write_text(ARTICLE, encoding="utf-8")
    return folder


def good_records() -> list[dict]:
    records = []
    for n, sentence in enumerate(SENTENCES, start=1):
        start = ARTICLE.index(sentence)
        records.append(
            {
                **RECORD,
                "id": f"art-{n:03d}",
                "article": "art",
                "start": start,
                "end": start + len(sentence),
                "text": sentence,
            }
        )
    return records


def check(tmp_path: Path, corpus: Path, records: list[dict]) -> list[str]:
    return [
        str(p)
        for p in validate_labels(load_labels(write_jsonl(tmp_path / "l.jsonl", records)), corpus)
    ]


def test_synthetic_labels_pass(tmp_path: Path, corpus: Path) -> None:
    assert check(tmp_path, corpus, good_records()) == []


def test_bad_offsets(tmp_path: Path, corpus: Path) -> None:
    records = good_records()
    records[1] = {**records[1], "start": records[1]["start"] + 1, "end": records[1]["end"] + 1}
    problem, uncovered = check(tmp_path, corpus, records)
    start = records[1]["start"] - 1
    assert problem.startswith(f"art-002: text: does not match the article at [{start + 1}:")
    assert problem.endswith(f"the text is at [{start}:{start + len(SENTENCES[1])}]")
    assert uncovered.startswith(f"art: coverage: uncovered body text at [{start}:")


def test_offsets_outside_the_article(tmp_path: Path, corpus: Path) -> None:
    records = good_records()
    n = len(ARTICLE)
    records.append({**RECORD, "id": "art-009", "article": "art", "start": n, "end": n + 5})
    assert check(tmp_path, corpus, records) == [
        f"art-009: end: [{n}:{n + 5}] is outside the article (0..{n})"
    ]


def test_duplicate_id(tmp_path: Path, corpus: Path) -> None:
    records = good_records()
    records[2]["id"] = "art-001"
    assert check(tmp_path, corpus, records) == ["art-001: id: duplicate id"]


def test_bad_stance_value(tmp_path: Path, corpus: Path, capsys: pytest.CaptureFixture) -> None:
    records = good_records()
    records[0]["stance"] = "pro"
    path = write_jsonl(tmp_path / "l.jsonl", records)
    assert main(["labels", "check", str(path), "--articles", str(corpus)]) == 1
    err = capsys.readouterr().err
    assert err == (
        f"stancekit labels: error: {path}:1: record 'art-001', field 'stance': "
        "'pro' is not one of favor, against, none\n"
    )
    label = LabeledClaim(id="z", text="t", target="t", stance="pro", sentiment="meh")
    assert [str(p) for p in validate_labels([label], corpus)] == [
        "z: stance: 'pro' is not one of favor, against, none",
        "z: sentiment: 'meh' is not one of positive, negative, neutral",
    ]


def test_overlap(tmp_path: Path, corpus: Path) -> None:
    records = good_records()
    both = SENTENCES[0] + " " + SENTENCES[1]
    start = ARTICLE.index(both)
    records.append(
        {
            **RECORD,
            "id": "art-004",
            "article": "art",
            "start": start,
            "end": start + len(both),
            "text": both,
        }
    )
    assert check(tmp_path, corpus, records) == [
        f"art-004: start: span [{start}:{start + len(both)}] overlaps "
        f"art-001 [{start}:{start + len(SENTENCES[0])}]",
        f"art-002: start: span [{records[1]['start']}:{records[1]['end']}] overlaps "
        f"art-004 [{start}:{start + len(both)}]",
    ]


def test_uncovered_sentence(tmp_path: Path, corpus: Path, capsys: pytest.CaptureFixture) -> None:
    records = good_records()
    del records[1]
    start = ARTICLE.index(SENTENCES[1])
    expected = (
        f"art: coverage: uncovered body text at [{start}:{start + len(SENTENCES[1])}]: "
        f"{SENTENCES[1]!r}"
    )
    assert check(tmp_path, corpus, records) == [expected]
    path = tmp_path / "l.jsonl"
    assert main(["labels", "check", str(path), "--articles", str(corpus)]) == 1
    assert capsys.readouterr().out == expected + "\n"


def test_unknown_article(tmp_path: Path, corpus: Path) -> None:
    records = [*good_records(), {**RECORD, "id": "zz-1", "article": "zz"}]
    assert check(tmp_path, corpus, records) == [f"zz-1: article: 'zz': no such article in {corpus}"]


def test_malformed_json_line(tmp_path: Path, corpus: Path, capsys: pytest.CaptureFixture) -> None:
    path = write_jsonl(tmp_path / "l.jsonl", good_records())
    path.write_text(path.read_text() + '{"id": "art-004", "text": \n', encoding="utf-8")
    with pytest.raises(LabelError, match=r"l\.jsonl:4: malformed JSON \(Expecting value"):
        load_labels(path)
    assert main(["labels", "check", str(path), "--articles", str(corpus)]) == 1
    assert "l.jsonl:4: malformed JSON" in capsys.readouterr().err


def test_offsets_must_fit_text(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", [{**RECORD, "end": 7}])
    with pytest.raises(LabelError, match=r"field 'end': end - start = 7 but text has 5 chars"):
        load_labels(path)


# --- written labels: no article text, no offsets ------------------------------------------------

WRITTEN_RECORD = {
    **RECORD,
    "id": "w-1",
    "article": "written-01",
    "start": None,
    "end": None,
    "text": "The senator called the declaration a dangerous gamble.",
    "speaker": "A senator",
    "stance": "against",
    "sentiment": "negative",
    "origin": "written",
}


def test_written_labels_need_no_article(tmp_path: Path, corpus: Path) -> None:
    second = {**WRITTEN_RECORD, "id": "w-2", "text": "Officials met on Monday to discuss it."}
    assert check(tmp_path, corpus, [WRITTEN_RECORD, second]) == []
    assert check(tmp_path, corpus, [*good_records(), WRITTEN_RECORD]) == []


def test_written_labels_rules(tmp_path: Path, corpus: Path, capsys: pytest.CaptureFixture) -> None:
    text = WRITTEN_RECORD["text"]
    records = [
        WRITTEN_RECORD,
        {**WRITTEN_RECORD, "id": "w-2", "start": 0, "end": len(text)},
        {**WRITTEN_RECORD, "id": "w-3", "text": "Critics say it is far too early.", "speaker": ""},
    ]
    assert check(tmp_path, corpus, records) == [
        "w-2: start: a written label has no offsets (start/end null)",
        "w-2: text: same text as written label w-1",
        "w-3: speaker: empty",
    ]
    path = tmp_path / "l.jsonl"
    assert main(["labels", "check", str(path), "--articles", str(corpus)]) == 1
    assert capsys.readouterr().out.count("\n") == 3


def test_article_labels_still_need_offsets(tmp_path: Path, corpus: Path) -> None:
    records = [*good_records(), WRITTEN_RECORD]
    records[0] = {**records[0], "start": None, "end": None}
    problems = check(tmp_path, corpus, records)
    assert problems[0] == "art-001: start: a label with an article needs start and end"
    assert problems[1].startswith("art: coverage: uncovered body text")


def test_bad_origin(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "a.jsonl", [{**WRITTEN_RECORD, "origin": "invented"}])
    with pytest.raises(LabelError, match=r"a\.jsonl:1: record 'w-1', field 'origin'"):
        load_labels(path)
    (label,) = load_labels(write_jsonl(tmp_path / "b.jsonl", [{**RECORD, "origin": ""}]))
    assert label.origin == "labeled"
    csv_path = tmp_path / "c.csv"
    csv_path.write_text("text,target,stance,origin\nWe back it.,t,favor,Written\n")
    assert [label.origin for label in load_labels(csv_path)] == ["written"]


written_rows = st.lists(
    st.fixed_dictionaries(
        {
            "text": st.sampled_from(["It is a mistake.", "We back the declaration.", "Talks end."]),
            "speaker": st.sampled_from(["", "  ", "Rep. Jane Doe"]),
            "start": st.none() | st.integers(0, 3),
            "stance": st.sampled_from(STANCES),
        }
    ),
    max_size=6,
)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=written_rows)
def test_written_validator_property(tmp_path: Path, rows: list[dict]) -> None:
    """A written label is flagged exactly for offsets, a blank speaker or a repeated text."""
    records = [
        {
            **WRITTEN_RECORD,
            **row,
            "id": f"w-{n}",
            "end": None if row["start"] is None else row["start"] + len(row["text"]),
        }
        for n, row in enumerate(rows)
    ]
    labels = load_labels(write_jsonl(tmp_path / "p.jsonl", records))
    found = {(p.id, p.field) for p in validate_labels(labels, tmp_path)}
    expected: set[tuple[str, str]] = set()
    seen: set[str] = set()
    for record in records:
        if record["start"] is not None:
            expected.add((record["id"], "start"))
        if not record["speaker"].strip():
            expected.add((record["id"], "speaker"))
        if record["text"].lower() in seen:
            expected.add((record["id"], "text"))
        seen.add(record["text"].lower())
    assert found == expected


def test_furniture_is_not_body(corpus: Path) -> None:
    article = Article(id="art", text=ARTICLE, title="A Headline Without Punctuation")
    lines = ARTICLE.split("\n")
    furniture = {lines[i] for i in furniture_lines(article)}
    assert "- A summary bullet that repeats the body." in furniture
    assert "Nobody reads this part of the page at all." in furniture
    assert "ALSO READ: Something else entirely happened today." in furniture
    assert "Officials declined to comment on the timing of the plan." not in furniture
    uncovered = [text for _, _, text in uncovered_sentences(article, [])]
    assert uncovered == [
        "SEOUL (Wire) - The minister backed the plan on Monday. Critics said it would fail.",
        SENTENCES[2],
    ]


# --- property tests: any record gives a LabeledClaim or a LabelError, never another exception ---

values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=5,
)
FIELDS = list(RECORD)
records = st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), values, max_size=12)
plausible = st.fixed_dictionaries(
    {
        "id": st.text(max_size=8),
        "text": st.text(max_size=20),
        "target": st.text(max_size=8),
        "stance": st.sampled_from([*STANCES, "Favor", " none ", "pro", ""]),
    },
    optional={
        "sentiment": st.none() | st.sampled_from([*SENTIMENTS, "meh"]),
        "start": st.none() | st.integers(-3, 30),
        "end": st.none() | st.integers(-3, 30),
        "speaker": st.none() | st.text(max_size=8),
        "note": values,
    },
)


NO_FIXTURE_CHECK = [HealthCheck.function_scoped_fixture]


@settings(max_examples=150, deadline=None, suppress_health_check=NO_FIXTURE_CHECK)
@given(rows=st.lists(records | plausible | st.text(max_size=30), max_size=4))
def test_jsonl_loader_total(tmp_path: Path, rows: list) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text(
        "\n".join(r if isinstance(r, str) else json.dumps(r) for r in rows), encoding="utf-8"
    )
    try:
        labels = load_labels(path)
    except LabelError as err:
        assert "\n" not in str(err) and str(path) in str(err)
        return
    for label in labels:
        assert isinstance(label, LabeledClaim) and label.stance in STANCES
        assert label.sentiment is None or label.sentiment in SENTIMENTS


cells = st.text(max_size=12)


@settings(max_examples=150, deadline=None, suppress_health_check=NO_FIXTURE_CHECK)
@given(
    header=st.lists(st.sampled_from([*FIELDS, "x"]) | cells, max_size=6),
    rows=st.lists(st.lists(cells | st.sampled_from(STANCES), max_size=7), max_size=4),
)
def test_csv_loader_total(tmp_path: Path, header: list[str], rows: list[list[str]]) -> None:
    path = tmp_path / "p.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    try:
        labels = load_labels(path)
    except LabelError as err:
        assert "\n" not in str(err)
        return
    assert all(label.id and label.stance in STANCES for label in labels)
