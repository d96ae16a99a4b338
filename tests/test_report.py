"""The HTML report and positions over time: what an analyst needs is on the page, the page
renders in a real headless Chromium, and a speaker who changed sides shows it."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from stancekit.aggregation import INSUFFICIENT
from stancekit.cli import main
from stancekit.models.card import ModelCard
from stancekit.outputs import CAVEAT, VERDICT_COLOURS, major_timelines, render_report
from stancekit.periods import ArticleInfo
from stancekit.records import Claim, Prediction, ScoredClaim, SpeakerPosition
from stancekit.scoring import (
    OVER_TIME_FILE,
    REPORT_FILE,
    SPEAKERS_FILE,
    finish_run,
    score_to_dir,
)

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars"]


def claim(cid: str, article: str, text: str, speaker: str, stance: str,
          p: float = 0.9) -> ScoredClaim:
    rest = (1 - p) / 2
    probs = {s: (p if s == stance else rest) for s in ("favor", "against", "none")}
    return ScoredClaim(Claim(cid, article, 0, len(text), text, speaker), "the accord",
                       Prediction(stance, probs, "neutral",
                                  {"positive": 0.1, "negative": 0.1, "neutral": 0.8}))


def position(speaker: str, verdict: str, value: float, evidence: tuple[str, ...],
             period: str = "", kind: str = "person", aliases: tuple[str, ...] = (),
             n_stance: int = 2) -> SpeakerPosition:
    return SpeakerPosition(speaker, 3, n_stance, value, max(-1.0, value - 0.3),
                           min(1.0, value + 0.3), verdict, 0.1, evidence, kind, aliases, 2,
                           period)


def sample_report() -> str:
    claims = {c.claim.id: c for c in [
        claim("a-001", "a", "Ann Lee urged the allies to <sign> the accord.", "Ann Lee", "favor"),
        claim("a-002", "a", "Lee said the accord was a mistake to rush.", "Ann Lee", "against",
              0.7),
        claim("b-001", "b", "Bo Kim warned the accord would fail.", "Bo Kim", "against"),
        claim("b-002", "b", "Experts doubted the timing.", "Experts", "none", 0.6),
    ]}
    positions = [
        position("Ann Lee", "favor", 0.62, ("a-001", "a-002"), aliases=("Lee", "Minister Lee")),
        position("Bo Kim", "against", -0.54, ("b-001",)),
        position("Experts", INSUFFICIENT, 0.0, ("b-002",), kind="collective", n_stance=0),
    ]
    over_time = [
        position("Ann Lee", "favor", 0.7, (), "2020-Q1"),
        position("Ann Lee", "against", -0.6, (), "2021-Q3"),
        position("Bo Kim", INSUFFICIENT, -0.5, (), "2021-Q3", n_stance=1),
    ]
    articles = {
        "a": ArticleInfo("a", "Accord talks resume", "The Daily Example", dt.date(2020, 2, 3),
                         "https://example.org/a"),
        "b": ArticleInfo("b", "Doubts over the accord", "Example Wire", None),
    }
    errors = [{"source": "corpus/broken.txt", "line": 2, "error": "not UTF-8"},
              {"article": "c", "stage": "extract", "error": "ValueError: too long"}]
    return render_report(positions, claims, "the accord", n_articles=2, n_claims=4,
                         n_errors=2, articles=articles, over_time=over_time, by="quarter",
                         model="the baseline model trained on 10 labeled claims",
                         errors=errors, created="2026-01-02 03:04 UTC")


def test_report_is_self_contained_and_escapes_text():
    page = sample_report()
    assert "&lt;sign&gt;" in page and "<sign>" not in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "<script" not in page and page.count('class="row"') == 3


def test_report_answers_the_analysts_first_questions():
    page = sample_report()
    # which model and target made it, and when; the accuracy caveat; a legend
    assert "Target: <strong>the accord</strong>" in page
    assert "the baseline model trained on 10 labeled claims" in page
    assert "2026-01-02 03:04 UTC" in page and CAVEAT.split(":")[0] in page
    assert all(f"background:{colour}" in page for colour in VERDICT_COLOURS.values())
    assert "<strong>confidence</strong> is the probability" in page
    # article title, outlet and date instead of the id; aliases; each side's claims
    assert '<a href="https://example.org/a">Accord talks resume</a>' in page
    assert "The Daily Example · 2020-02-03" in page and "<td>a</td>" not in page
    assert "Also named: Lee; Minister Lee" in page
    ann = page[page.index('id="speaker-ann-lee"'):page.index('id="speaker-bo-kim"')]
    assert ann.index("Strongest claims in favor") < ann.index("Ann Lee urged")
    assert ann.index("Strongest claims against") < ann.index("Lee said the accord")
    # collective speakers apart from people; the errors listed
    assert page.index(">People<") < page.index(">Ann Lee<") < page.index(">Unnamed groups<")
    assert page.index(">Unnamed groups<") < page.index('data-speaker="Experts"')
    assert 'id="errors">Errors (2)' in page and "corpus/broken.txt:2" in page
    assert "ValueError: too long" in page


def test_over_time_chart_shows_each_major_speakers_periods():
    page = sample_report()
    assert "Positions over time, by quarter" in page
    assert page.count('class="panel"') == 1  # Bo Kim has one period only
    panel = page[page.index('class="panel" data-speaker="Ann Lee"'):]
    assert 'data-period="2020-Q1" data-verdict="favor"' in panel
    assert 'data-period="2021-Q3" data-verdict="against"' in panel


def test_major_timelines_rank_by_stance_claims_over_two_periods():
    rows = [position(name, "favor", 0.5, (), period, n_stance=n) for name, period, n in [
        ("A", "2020", 1), ("A", "2021", 1), ("B", "2020", 5), ("B", "2021", 5), ("C", "2020", 9),
        ("D", "2020", 1), ("D", "2021", 0)]]
    assert list(major_timelines(rows)) == ["B", "A"]  # C: one period; D: one stance claim
    assert list(major_timelines(rows, limit=1)) == ["B"]


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (.ci/run installs it)")
def test_report_renders_in_headless_chromium(tmp_path):
    from PIL import Image

    page = tmp_path / "report.html"
    page.write_text(sample_report(), encoding="utf-8")
    profile = ["--user-data-dir=" + str(tmp_path / "profile")]
    dom = subprocess.run([CHROMIUM, *FLAGS, *profile, "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    assert "Where the speakers stand" in dom and "Ann Lee" in dom and "Bo Kim" in dom
    assert dom.count("<circle") == 3 + 2  # the positions chart, then Ann Lee over time

    shot = tmp_path / "report.png"
    subprocess.run([CHROMIUM, *FLAGS, *profile, "--window-size=1100,1400",
                    f"--screenshot={shot}", page.as_uri()],
                   capture_output=True, timeout=120, check=True)
    pixels = list(Image.open(shot).convert("RGB").get_flattened_data())
    colours = {tuple(int(c[i:i + 2], 16) for i in (1, 3, 5)) for c in
               (VERDICT_COLOURS["favor"], VERDICT_COLOURS["against"])}
    drawn = {colour: sum(1 for p in pixels if p == colour) for colour in colours}
    assert all(count > 50 for count in drawn.values()), drawn  # both dots were painted


# ------------------------------------------------------------------------------------------
# Positions over time, end to end, on dated articles written here


class KeywordModel:
    """A stand-in classifier: "supports" is favor, "opposes" is against, else none."""

    card = ModelCard(method="keyword", stances=["favor", "against", "none"], sentiments=[],
                     targets=["the canal toll"], default_target="the canal toll")

    def predict(self, texts, target=None, speakers=None, contexts=None):
        def one(text: str) -> Prediction:
            stance = ("favor" if "supports" in text else "against" if "opposes" in text
                      else "none")
            probs = {s: (0.9 if s == stance else 0.05) for s in ("favor", "against", "none")}
            return Prediction(stance, probs)

        return [one(text) for text in texts]


DATED_ARTICLES = [
    ("early-1", "2019-02-11", "supports"), ("early-2", "", "supports"),
    ("late-1", "2021-08-30", "opposes"), ("late-2", "", "opposes"),
]


def write_dated_articles(folder: Path) -> Path:
    """Four articles in which the mayor Ines Roth turns from the toll's supporter into its
    opponent; two are dated by metadata, two by a dateline at the top of their text."""
    folder.mkdir(parents=True, exist_ok=True)
    records = []
    for i, (article_id, date, verb) in enumerate(DATED_ARTICLES):
        dateline = "" if date else ("PORT ELLIS, March 5, 2019 -- " if i < 2 else
                                    "PORT ELLIS, Sept. 9, 2021 -- ")
        text = (f"Toll vote looms\n{dateline}The council met on Tuesday to debate the canal "
                f"toll. Mayor Ines Roth said that she {verb} the canal toll because of the "
                f"budget. Roth added that she {verb} the toll in its current form. "
                f"She told reporters that she {verb} any toll on the canal. "
                "Shipping firms said the vote would come next week.\n")
        records.append({"id": article_id, "title": f"Toll vote looms ({i + 1})",
                        "source": "The Port Ellis Courier", "date": date, "text": text})
    path = folder / "dated.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


def test_score_by_quarter_shows_a_speaker_who_changed_sides(tmp_path):
    out = tmp_path / "out"
    score_to_dir([write_dated_articles(tmp_path / "articles")], out=out, model=KeywordModel(),
                 progress=False, by="quarter")
    with (out / OVER_TIME_FILE).open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r["speaker"] == "Ines Roth"]
    assert [(r["period"], r["verdict"]) for r in rows] == [("2019-Q1", "favor"),
                                                          ("2021-Q3", "against")]
    assert float(rows[0]["interval_low"]) > 0 > float(rows[1]["interval_high"])
    assert all(r["n_claims"] == "6" for r in rows)
    with (out / SPEAKERS_FILE).open(encoding="utf-8") as handle:
        [roth] = [r for r in csv.DictReader(handle) if r["speaker"] == "Ines Roth"]
    assert roth["verdict"] == "mixed" and roth["n_articles"] == "4"
    for _ in range(2):  # as scored, then as finished from the folder alone (the Ray engine)
        report = (out / REPORT_FILE).read_text(encoding="utf-8")
        assert 'class="panel" data-speaker="Ines Roth"' in report
        assert "The Port Ellis Courier · 2019-02-11" in report
        (out / REPORT_FILE).unlink()
        finish_run(out, "the canal toll", by="quarter")


@pytest.mark.slow
def test_cli_score_by_quarter_on_the_seeds_and_dated_articles(tmp_path, capsys, model_dir):
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "seeds", corpus / "seeds")
    write_dated_articles(corpus / "dated")
    out = tmp_path / "out"
    assert main(["score", str(corpus), "--model", str(model_dir),
                 "--out", str(out), "--by", "quarter", "--quiet"]) == 0
    with (out / OVER_TIME_FILE).open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["speaker", "period", "n_claims", "n_stance_claims", "position",
                             "interval_low", "interval_high", "verdict"]
    assert {r["period"] for r in rows if r["speaker"] == "Ines Roth"} == {"2019-Q1", "2021-Q3"}
    assert "Positions over time, by quarter" in (out / REPORT_FILE).read_text(encoding="utf-8")


def test_library_report_names_articles_by_title(tmp_path):
    import stancekit
    from stancekit.reading import read_articles

    result = stancekit.score(list(read_articles(write_dated_articles(tmp_path))),
                             model=KeywordModel())
    page = result.to_html()
    assert "Toll vote looms (1)" in page and "The Port Ellis Courier · 2019-02-11" in page
    roth = result.speakers.set_index("speaker").loc["Ines Roth"]
    assert roth["type"] == "person" and roth["n_articles"] == 4
