"""Batch scoring end to end on the seeds: files written, errors kept, resume equals a clean run."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

import stancekit
from stancekit.cli import main
from stancekit.records import Article
from stancekit.scoring import (
    CLAIMS_FILE,
    ERRORS_FILE,
    PROGRESS_FILE,
    REPORT_FILE,
    SPEAKERS_FILE,
    score_to_dir,
)

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """The seeds plus one broken file and one broken JSONL line among good ones."""
    folder = tmp_path_factory.mktemp("corpus")
    for path in SEEDS.iterdir():
        shutil.copy(path, folder / path.name)
    (folder / "broken.txt").write_bytes(b"Headline\nNot \xff UTF-8.\n")
    (folder / "more.jsonl").write_text(
        json.dumps({"id": "extra-1", "text": "Ann Lee, the trade minister, said on Monday "
                    "that the tariff plan would hurt farmers."}) + "\n{oops\n",
        encoding="utf-8",
    )
    return folder


def read_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def clean_run(model_dir, corpus, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("clean")
    score_to_dir([corpus], out=out, model=model_dir, fmt="parquet", progress=False)
    return out


def test_outputs_are_written_and_bad_inputs_reported(clean_run):
    claims = read_lines(clean_run / CLAIMS_FILE)
    assert {c["article"] for c in claims} >= {p.stem for p in SEEDS.glob("*.txt")} | {"extra-1"}
    first = claims[0]
    text = (SEEDS / f"{first['article']}.txt").read_text(encoding="utf-8")
    assert text[first["start"]:first["end"]] == first["text"]
    assert set(first["stance_probs"]) == {"favor", "against", "none"}
    errors = read_lines(clean_run / ERRORS_FILE)
    assert sorted(e["line"] for e in errors) == [2, 2]  # broken.txt line 2, more.jsonl line 2
    with (clean_run / SPEAKERS_FILE).open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["speaker", "type", "aliases", "n_articles", "n_claims",
                             "n_stance_claims", "position", "interval_low", "interval_high",
                             "verdict", "sentiment"]
    assert "narrator" not in {r["speaker"] for r in rows}
    parquet = pd.read_parquet(clean_run / "claims.parquet")
    assert len(parquet) == len(claims) and "p_favor" in parquet.columns
    report = (clean_run / REPORT_FILE).read_text(encoding="utf-8")
    assert report.startswith("<!DOCTYPE html>") and "<svg" in report and "<script" not in report


def test_interrupted_run_resumes_to_the_same_result(model_dir, corpus, clean_run, tmp_path):
    out = tmp_path / "run"
    score_to_dir([corpus], out=out, model=model_dir, fmt="parquet", progress=False)
    # Simulate an interruption after the second article: its later articles are not done,
    # one claim of an unfinished article was written, and the last line was torn mid-write.
    progress = read_lines(out / PROGRESS_FILE)[:2]
    done = {p["id"] for p in progress}
    claims = read_lines(out / CLAIMS_FILE)
    kept = [c for c in claims if c["article"] in done]
    unfinished = next(c for c in claims if c["article"] not in done)
    (out / PROGRESS_FILE).write_text("".join(json.dumps(p) + "\n" for p in progress))
    (out / CLAIMS_FILE).write_text("".join(json.dumps(c) + "\n" for c in kept + [unfinished])
                                   + '{"id": "torn', encoding="utf-8")
    (out / ERRORS_FILE).write_text("", encoding="utf-8")
    for name in (SPEAKERS_FILE, REPORT_FILE, "claims.parquet"):
        (out / name).unlink()

    score_to_dir([corpus], out=out, model=model_dir, fmt="parquet", resume=True, progress=False)

    for name in (CLAIMS_FILE, ERRORS_FILE, SPEAKERS_FILE):
        assert (out / name).read_text(encoding="utf-8") == \
            (clean_run / name).read_text(encoding="utf-8"), name


def test_library_score_returns_frames_and_html(model_dir):
    articles = [Article(id="a1", text="Officials met on Monday.\n\nThe minister, Jo Park, "
                        "said the plan would bring lasting peace and urged allies to back it.")]
    result = stancekit.score(articles, model=model_dir)
    assert list(result.claims["article"].unique()) == ["a1"]
    assert {"speaker", "position", "verdict"} <= set(result.speakers.columns)
    assert "<svg" in result.to_html()
    assert result.errors == []


def test_cli_score_prints_the_table(model_dir, tmp_path, capsys):
    code = main(["score", str(SEEDS / "000_af8883575200ef36.txt"), "--model", str(model_dir),
                 "--out", str(tmp_path), "--format", "csv"])
    captured = capsys.readouterr()
    assert code == 0
    assert "Moon Jae-in" in captured.out and "scored 1 articles" in captured.err
    assert (tmp_path / "claims.csv").is_file()


def test_cli_score_without_a_model_says_so(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["score", str(SEEDS)]) == 1
    assert "no trained model" in capsys.readouterr().err
