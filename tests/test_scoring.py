"""Batch scoring end to end on the seeds: files written, errors kept, resume equals a clean run."""

from __future__ import annotations

import csv
import json
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

import stancekit
from stancekit.cli import build_parser, main
from stancekit.errors import StancekitError
from stancekit.records import Article
from stancekit.scoring import (
    CLAIMS_FILE,
    ERRORS_FILE,
    PROGRESS_FILE,
    REPORT_FILE,
    RUN_FILE,
    SPEAKERS_FILE,
    TargetWarning,
    score_to_dir,
)

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
HOSTILE = Path(__file__).resolve().parent / "hostile"
SEED = SEEDS / "000_af8883575200ef36.txt"
OTHER_SEED = SEEDS / "003_e615dc0fe0dc4b8e.txt"
GOOD = ("Harbour deal stalls\n\nThe harbour talks stalled on Monday after three weeks of "
        "meetings.\n\nThe mayor, Tom Reyes, said the plan would bring new trade to the city.\n")


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


def test_no_claims_are_reported_per_article_with_the_likely_reason(model_dir):
    articles = [
        Article(id="markup", text="<html><body><div class='nav'><a href='/'>Home</a></div>"
                "<div><span>Harbour deal</span></div></body></html>"),
        Article(id="hangul", text="항구 협상이 월요일에 교착 상태에 빠졌다. 시장은 이 계획이 "
                "도시에 새로운 무역을 가져올 것이라고 말했다."),
        Article(id="flat", text="Harbour talks stall on Monday\nThe mayor says the plan brings "
                "new trade to the city\nA vote follows next week"),
        Article(id="good", text=GOOD),
    ]
    result = stancekit.score(articles, model=model_dir)
    assert [(e["article"], e["stage"], e["error"].split(" (")[0]) for e in result.errors] == [
        ("markup", "extract", "no claims: looks like HTML"),
        ("hangul", "extract", "no claims: not English"),
        ("flat", "extract", "no claims: no sentence-final punctuation"),
    ]
    assert set(result.claims["article"]) == {"good"} and result.n_articles == 1


def test_score_of_nothing_exits_1_and_keeps_the_previous_results(model_dir, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["score", str(SEED), "--model", str(model_dir), "--out", str(out),
                 "--quiet"]) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert main(["score", str(tmp_path / "nonexistent"), "--model", str(model_dir), "--out",
                 str(out), "--overwrite", "--quiet"]) == 1
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    err = capsys.readouterr().err
    assert "nonexistent: no such file or folder" in err and "no article was scored" in err

    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"Title\n\xff\xfe\n")
    assert main(["score", str(bad), "--model", str(model_dir), "--out", str(tmp_path / "new"),
                 "--quiet"]) == 1
    assert "no article was scored (1 errors" in capsys.readouterr().err
    assert [p.name for p in (tmp_path / "new").iterdir()] == [ERRORS_FILE]


def test_another_runs_folder_is_refused_without_overwrite_or_resume(model_dir, tmp_path):
    out = tmp_path / "out"
    score_to_dir([SEED], out=out, model=model_dir, fmt="csv", progress=False)
    with pytest.raises(StancekitError, match="holds the results of another run: pass "
                                             "--overwrite to replace them or --resume"):
        score_to_dir([OTHER_SEED], out=out, model=model_dir, progress=False)
    assert {c["article"] for c in read_lines(out / CLAIMS_FILE)} == {SEED.stem}

    score_to_dir([OTHER_SEED], out=out, model=model_dir, progress=False, overwrite=True)
    assert {c["article"] for c in read_lines(out / CLAIMS_FILE)} == {OTHER_SEED.stem}
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [CLAIMS_FILE, ERRORS_FILE, PROGRESS_FILE, REPORT_FILE, RUN_FILE, SPEAKERS_FILE])


def test_resume_refuses_another_model_target_or_settings(model_dir, tmp_path):
    out = tmp_path / "out"
    score_to_dir([SEED], out=out, model=model_dir, progress=False)
    run = json.loads((out / RUN_FILE).read_text(encoding="utf-8"))
    card = json.loads((model_dir / "model.json").read_text(encoding="utf-8"))
    assert run["model"] == str(model_dir) and len(run["model_sha256"]) == 64
    assert run["target"] == card["default_target"] and run["settings"]["int8"] is False

    with pytest.warns(TargetWarning), pytest.raises(StancekitError, match="cannot resume"):
        score_to_dir([SEED], out=out, model=model_dir, target="carbon tax", resume=True,
                     progress=False)
    retrained = tmp_path / "retrained"
    shutil.copytree(model_dir, retrained)
    (retrained / "model.json").write_text(json.dumps({**card, "n_labels": 1}), encoding="utf-8")
    with pytest.raises(StancekitError, match="cannot resume .* model_sha256"):
        score_to_dir([SEED], out=out, model=retrained, resume=True, progress=False)
    from stancekit.extraction import AliasTable

    with pytest.raises(StancekitError, match="cannot resume .* settings"):
        score_to_dir([SEED], out=out, model=model_dir, resume=True, progress=False,
                     aliases=AliasTable.from_jsonl(ROOT / "labels" / "speakers.jsonl"))
    score_to_dir([SEED], out=out, model=model_dir, resume=True, progress=False)


def test_an_untrained_target_is_warned_and_an_empty_one_rejected(model_dir, tmp_path, capsys):
    articles = [Article(id="good", text=GOOD)]
    with pytest.warns(TargetWarning, match="not trained on the target 'carbon tax'.*not a "
                                           "measured stance toward this one"):
        stancekit.score(articles, model=model_dir, target="carbon tax")
    with pytest.raises(StancekitError, match="the target is empty"):
        stancekit.score(articles, model=model_dir, target=" ")
    assert main(["score", str(SEED), "--model", str(model_dir), "--out", str(tmp_path / "a"),
                 "--target", "carbon tax", "--quiet"]) == 0
    assert "stancekit score: the model was not trained on the target 'carbon tax'" in \
        capsys.readouterr().err
    assert main(["score", str(SEED), "--model", str(model_dir), "--out", str(tmp_path / "b"),
                 "--target", ""]) == 1
    assert "the target is empty" in capsys.readouterr().err


def test_cli_score_names_its_model_the_count_column_and_the_report(model_dir, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["score", str(SEED), "--model", str(model_dir), "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert "with a stance" in captured.out
    last = captured.err.strip().splitlines()[-1]
    assert f"with model {model_dir}" in last and last.endswith(f"report: {out / REPORT_FILE}")


def test_readme_score_synopsis_lists_every_option_and_progress_jsonl():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("### `score`", 1)[1].split("\n### ", 1)[0]
    synopsis = section.split("```", 2)[1]
    score = build_parser()._subparsers._group_actions[0].choices["score"]
    options = [max(a.option_strings, key=len) for a in score._actions
               if a.option_strings and a.dest != "help"]
    assert [o for o in options if o not in synopsis] == []
    assert "`progress.jsonl`" in section and "`run.json`" in section


def test_hostile_inputs_each_get_one_clear_error_and_good_articles_are_scored(
        model_dir, tmp_path, monkeypatch, capsys):
    corpus = tmp_path / "hostile"
    shutil.copytree(HOSTILE, corpus)
    locked = corpus / "unreadable"
    locked.mkdir()
    (locked / "hidden.txt").write_text(GOOD, encoding="utf-8")
    real_scandir = os.scandir

    def scandir(path="."):  # the folder's permissions as a non-root user sees them
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    out = tmp_path / "out"
    code = main(["score", str(corpus), "--model", str(model_dir), "--out", str(out), "--quiet"])

    assert code == 0
    expected = {  # input (file name, folder name or article id) -> its one error
        "binary.jsonl": "binary data, not a text file",
        "binary.txt": "binary data, not a text file",
        "chinese": "no claims: not English",
        "deep.jsonl": "malformed JSON (nested too deeply)",
        "empty.txt": "empty file",
        "korean": "no claims: not English",
        "latin1.txt": "not UTF-8 text",
        "malformed.csv": "no 'text' column in the header",
        "malformed.jsonl": "malformed JSON",
        "markup": "no claims: looks like HTML",
        "no-punctuation": "no claims: no sentence-final punctuation",
        "unreadable": "cannot read folder: Permission denied",
    }
    errors = read_lines(out / ERRORS_FILE)
    found = {e.get("article") or Path(e["source"]).name: e["error"] for e in errors}
    assert len(errors) == len(found) == len(expected)
    assert {key: found[key][:len(reason)] for key, reason in expected.items()} == expected
    assert {c["article"] for c in read_lines(out / CLAIMS_FILE)} == {
        "good", "good-record", "ok-line", "huge-notes", "after-huge", "page"}
    err = capsys.readouterr().err.splitlines()
    assert len([line for line in err if line.startswith("stancekit score: skipped")]) == \
        len(expected)


class PoisonedModel:
    """The baseline, except that it fails on any batch with a claim containing POISON."""

    def __init__(self, model) -> None:
        self.model, self.card = model, model.card

    def predict(self, texts, **kwargs):
        if any("POISON" in text for text in texts):
            raise RuntimeError("poisoned claim")
        return self.model.predict(texts, **kwargs)


def test_an_article_that_fails_to_classify_fails_alone(model_dir):
    from stancekit.models import BaselineClassifier

    text = "Officials met on Monday.\n\nThe minister, Jo Park, said the plan {} would bring " \
           "lasting peace and urged allies to back it."
    articles = [Article(id=f"a{i}", text=text.format("POISON" if i == 1 else ""))
                for i in range(3)]
    model = PoisonedModel(BaselineClassifier.from_pretrained(model_dir))
    result = stancekit.score(articles, model=model)
    assert [(e["article"], e["stage"], e["error"]) for e in result.errors] == [
        ("a1", "classify", "RuntimeError: poisoned claim")]
    assert set(result.claims["article"]) == {"a0", "a2"} and result.n_articles == 2


def test_an_article_that_fails_to_extract_fails_alone(model_dir, monkeypatch):
    from stancekit.extraction import attribution

    real_plan = attribution.plan_article

    def plan_article(article):
        if "BREAK" in article.text:
            raise ValueError("cannot plan this article")
        return real_plan(article)

    monkeypatch.setattr(attribution, "plan_article", plan_article)
    text = "Officials met on Monday.\n\nThe minister, Jo Park, said the plan {} would bring " \
           "lasting peace and urged allies to back it."
    articles = [Article(id=f"a{i}", text=text.format("BREAK" if i == 1 else ""))
                for i in range(3)]
    result = stancekit.score(articles, model=model_dir)
    assert [(e["article"], e["stage"], e["error"]) for e in result.errors] == [
        ("a1", "extract", "ValueError: cannot plan this article")]
    assert set(result.claims["article"]) == {"a0", "a2"}
