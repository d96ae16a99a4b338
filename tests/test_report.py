"""The HTML report, rendered by a real headless Chromium: the chart and the evidence show."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from stancekit.outputs import VERDICT_COLOURS, render_report
from stancekit.records import Claim, Prediction, ScoredClaim, SpeakerPosition

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars"]


def sample_report() -> str:
    claims = {
        "a-001": ScoredClaim(
            Claim("a-001", "a", 0, 40, "Ann Lee urged the allies to <sign> the accord.",
                  "Ann Lee"), "the accord",
            Prediction("favor", {"favor": 0.9, "against": 0.05, "none": 0.05}, "positive",
                       {"positive": 0.8, "negative": 0.1, "neutral": 0.1})),
        "a-002": ScoredClaim(
            Claim("a-002", "a", 41, 80, "Bo Kim warned the accord would fail.", "Bo Kim"),
            "the accord",
            Prediction("against", {"favor": 0.1, "against": 0.8, "none": 0.1}, "negative",
                       {"positive": 0.1, "negative": 0.8, "neutral": 0.1})),
    }
    positions = [
        SpeakerPosition("Ann Lee", 1, 1, 0.62, 0.0, 0.67, "favor", 0.7, ("a-001",)),
        SpeakerPosition("Bo Kim", 1, 1, -0.54, -0.67, 0.0, "against", -0.7, ("a-002",)),
    ]
    return render_report(positions, claims, "the accord", n_articles=1, n_claims=2)


def test_report_is_self_contained_and_escapes_text():
    page = sample_report()
    assert "&lt;sign&gt;" in page and "<sign>" not in page
    assert "http://" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "<script" not in page and page.count('class="row"') == 2


@pytest.mark.skipif(CHROMIUM is None, reason="needs Debian's chromium (.ci/run installs it)")
def test_report_renders_in_headless_chromium(tmp_path):
    from PIL import Image

    page = tmp_path / "report.html"
    page.write_text(sample_report(), encoding="utf-8")
    profile = ["--user-data-dir=" + str(tmp_path / "profile")]
    dom = subprocess.run([CHROMIUM, *FLAGS, *profile, "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    assert "Where the speakers stand" in dom and "Ann Lee" in dom and "Bo Kim" in dom
    assert dom.count("<circle") == 2

    shot = tmp_path / "report.png"
    subprocess.run([CHROMIUM, *FLAGS, *profile, "--window-size=1100,700",
                    f"--screenshot={shot}", page.as_uri()],
                   capture_output=True, timeout=120, check=True)
    pixels = list(Image.open(shot).convert("RGB").get_flattened_data())
    colours = {tuple(int(c[i:i + 2], 16) for i in (1, 3, 5)) for c in
               (VERDICT_COLOURS["favor"], VERDICT_COLOURS["against"])}
    drawn = {colour: sum(1 for p in pixels if p == colour) for colour in colours}
    assert all(count > 50 for count in drawn.values()), drawn  # both dots were painted
