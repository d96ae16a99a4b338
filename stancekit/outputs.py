"""Outputs: claims and speaker tables as JSONL / CSV / Parquet, a terminal table, an HTML report.

The HTML report is one self-contained file (inline CSS and SVG, no scripts, no network):
a chart of speaker positions with their 95% intervals, then per speaker the claims behind
the position with their stance, sentiment and confidence.
"""

from __future__ import annotations

import csv
import html
import json
import math
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from stancekit.aggregation import INSUFFICIENT
from stancekit.records import ScoredClaim, SpeakerPosition

FORMATS = ("jsonl", "csv", "parquet")
SPEAKER_COLUMNS = ("speaker", "type", "aliases", "n_articles", "n_claims", "n_stance_claims",
                   "position", "interval_low", "interval_high", "verdict", "sentiment")
PERIOD_COLUMNS = ("speaker", "period", "n_claims", "n_stance_claims", "position",
                  "interval_low", "interval_high", "verdict")
CLAIM_COLUMNS = ("id", "article", "start", "end", "text", "speaker", "via", "target", "stance",
                 "p_favor", "p_against", "p_none", "sentiment", "p_positive", "p_negative",
                 "p_neutral")
VERDICT_COLOURS = {"favor": "#1b7f3b", "against": "#b3261e", "mixed": "#a66a00",
                   INSUFFICIENT: "#8a8a8a"}


def flat_claim(record: dict[str, Any]) -> dict[str, Any]:
    """A claims.jsonl record with its probability dicts spread into `p_<label>` columns."""
    flat = {k: v for k, v in record.items() if not k.endswith("_probs")}
    for key in ("stance_probs", "sentiment_probs"):
        for label, p in (record.get(key) or {}).items():
            flat[f"p_{label}"] = p
    return flat


def speaker_rows(positions: Iterable[SpeakerPosition],
                 columns: Sequence[str] = SPEAKER_COLUMNS) -> list[dict[str, Any]]:
    """Speaker table rows with the columns of speakers.csv (aliases joined by "; ")."""
    return [{col: "; ".join(p.aliases) if col == "aliases" else getattr(p, col)
             for col in columns} for p in positions]


def write_speakers_csv(path: Path, positions: Sequence[SpeakerPosition],
                       columns: Sequence[str] = SPEAKER_COLUMNS) -> None:
    """speakers.csv, or with PERIOD_COLUMNS positions_over_time.csv."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(speaker_rows(positions, columns))


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """Records of a JSONL file written by stancekit (blank lines skipped)."""
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def export_claims(jsonl_path: Path, fmt: str, chunk_rows: int = 10_000) -> Path | None:
    """Convert claims.jsonl to claims.csv or claims.parquet, streaming; None for jsonl."""
    if fmt == "jsonl":
        return None
    target = jsonl_path.with_suffix(f".{fmt}")
    rows = (flat_claim(record) for record in read_jsonl(jsonl_path))
    if fmt == "csv":
        with target.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=CLAIM_COLUMNS, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)
        return target
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema([(c, pa.int64() if c in ("start", "end") else
                         pa.float64() if c.startswith("p_") else pa.string())
                        for c in CLAIM_COLUMNS])
    with pq.ParquetWriter(target, schema) as writer:
        chunk: list[dict[str, Any]] = []
        for row in rows:
            chunk.append(row)
            if len(chunk) >= chunk_rows:
                writer.write_table(pa.Table.from_pylist(chunk, schema=schema))
                chunk = []
        writer.write_table(pa.Table.from_pylist(chunk, schema=schema))
    return target


def print_speaker_table(positions: Sequence[SpeakerPosition], title: str = "Speaker positions",
                        console: Any = None) -> None:
    """A rich table of speakers, most in favor first."""
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    table.add_column("speaker", min_width=24, overflow="fold")
    for header, justify in (("claims", "right"), ("stance", "right"), ("position", "right"),
                            ("95% interval", "center"), ("verdict", "left"),
                            ("sentiment", "right")):
        table.add_column(header, justify=justify, no_wrap=True)
    styles = {"favor": "green", "against": "red", "mixed": "yellow", INSUFFICIENT: "dim"}
    for p in positions:
        table.add_row(p.speaker, str(p.n_claims), str(p.n_stance_claims), f"{p.position:+.2f}",
                      f"[{p.interval_low:+.2f}, {p.interval_high:+.2f}]",
                      f"[{styles[p.verdict]}]{p.verdict}[/]", f"{p.sentiment:+.2f}")
    if console is None:
        console = Console()
        if not console.is_terminal:
            console = Console(width=120)  # piped output: no truncated columns
    console.print(table)


def render_report(positions: Sequence[SpeakerPosition], claims: dict[str, ScoredClaim],
                  target: str, n_articles: int, n_claims: int, n_errors: int = 0,
                  max_claims_per_speaker: int = 20) -> str:
    """The self-contained HTML report. `claims` maps claim id to the claims shown as evidence."""
    esc = html.escape
    sections = []
    for p in positions:
        evidence = [claims[c] for c in p.evidence[:max_claims_per_speaker] if c in claims]
        rows = "".join(_claim_row(sc) for sc in evidence)
        more = p.n_claims - len(evidence)
        sections.append(
            f'<section class="speaker" id="{esc(_anchor(p.speaker))}">'
            f"<h3>{esc(p.speaker)} <span class=\"verdict {p.verdict}\">{p.verdict}</span></h3>"
            f"<p>position {p.position:+.2f}, 95% interval [{p.interval_low:+.2f}, "
            f"{p.interval_high:+.2f}], {p.n_claims} claims ({p.n_stance_claims} with a stance), "
            f"sentiment {p.sentiment:+.2f}</p>"
            "<table><thead><tr><th>claim</th><th>article</th><th>stance</th><th>sentiment</th>"
            f"<th>confidence</th></tr></thead><tbody>{rows}</tbody></table>"
            + (f"<p class=\"more\">and {more} more claims in claims.jsonl</p>" if more else "")
            + "</section>"
        )
    errors = f", {n_errors} articles failed (see errors.jsonl)" if n_errors else ""
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>stancekit report: {esc(target)}</title>
<style>{_CSS}</style></head>
<body>
<header><h1>Where the speakers stand</h1>
<p class="target">Target: <strong>{esc(target)}</strong></p>
<p class="summary">{n_articles} articles, {n_claims} claims, {len(positions)} speakers{errors}.
Position runs from &minus;1 (against) to +1 (in favor); bars are 95% bootstrap intervals.</p>
</header>
<figure>{_position_chart(positions)}</figure>
<h2>The claims behind each position</h2>
{"".join(sections) or "<p>No speaker made a claim.</p>"}
</body></html>
"""


def _claim_row(scored: ScoredClaim) -> str:
    p = scored.prediction
    confidence = p.stance_probs.get(p.stance, 0.0)
    sentiment = p.sentiment or "&ndash;"
    return (f"<tr><td>{html.escape(scored.claim.text)}</td>"
            f"<td>{html.escape(scored.claim.article_id)}</td>"
            f'<td class="stance {p.stance}">{p.stance}</td><td>{sentiment}</td>'
            f"<td>{confidence:.0%}</td></tr>")


def _anchor(speaker: str) -> str:
    return "speaker-" + "".join(ch if ch.isalnum() else "-" for ch in speaker.lower())


def _position_chart(positions: Sequence[SpeakerPosition]) -> str:
    """An SVG dot-and-interval chart, one row per speaker, x from -1 to +1."""
    label_w, plot_w, row_h, top, right = 230, 520, 26, 30, 70
    height = top + row_h * max(len(positions), 1) + 30

    def x(value: float) -> float:
        return label_w + (value + 1) / 2 * plot_w

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart" '
             f'width="{label_w + plot_w + right}" height="{height}" '
             f'aria-label="Speaker positions with 95% intervals">']
    for tick in (-1, -0.5, 0, 0.5, 1):
        parts.append(f'<line x1="{x(tick)}" x2="{x(tick)}" y1="{top - 8}" y2="{height - 24}" '
                     f'class="{"zero" if tick == 0 else "grid"}"/>'
                     f'<text x="{x(tick)}" y="{height - 8}" class="tick">{tick:+g}</text>')
    parts.append(f'<text x="{x(-1)}" y="{top - 14}" class="end">against</text>'
                 f'<text x="{x(1)}" y="{top - 14}" class="end right">in favor</text>')
    for i, p in enumerate(positions):
        y = top + row_h * i + row_h / 2
        colour = VERDICT_COLOURS[p.verdict]
        name = html.escape(p.speaker)
        parts.append(
            f'<g class="row" data-speaker="{name}" data-verdict="{p.verdict}">'
            f'<title>{name}: {p.position:+.2f} [{p.interval_low:+.2f}, {p.interval_high:+.2f}], '
            f'{p.n_claims} claims</title>'
            f'<a href="#{html.escape(_anchor(p.speaker))}"><text x="{label_w - 10}" y="{y + 4}" '
            f'class="name">{name}</text></a>'
            f'<line x1="{x(p.interval_low)}" x2="{x(p.interval_high)}" y1="{y}" y2="{y}" '
            f'stroke="{colour}" class="interval"/>'
            f'<circle cx="{x(p.position)}" cy="{y}" r="6" fill="{colour}"/>'
            f'<text x="{label_w + plot_w + 10}" y="{y + 4}" class="count">n={p.n_claims}</text>'
            "</g>"
        )
    parts.append("</svg>")
    return "".join(parts)


_CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d1d1f;
max-width:1000px;margin:2em auto;padding:0 1em}
h1{margin-bottom:.2em}.target{font-size:1.1em;margin:.2em 0}.summary{color:#555}
figure{margin:1.5em 0;overflow-x:auto}
.chart .grid{stroke:#e3e3e3}.chart .zero{stroke:#888;stroke-dasharray:4 3}
.chart .tick{font-size:12px;fill:#666;text-anchor:middle}
.chart .end{font-size:12px;fill:#666}.chart .end.right{text-anchor:end}
.chart .name{font-size:13px;text-anchor:end;fill:#1d1d1f}
.chart .interval{stroke-width:3;stroke-linecap:round;opacity:.75}
.chart .count{font-size:12px;fill:#666}.chart .row[data-verdict="none"]{opacity:.45}
section.speaker{border-top:1px solid #ddd;padding-top:.4em;margin-top:1.2em}
h3{margin:.3em 0}
.verdict{font-size:.75em;padding:.1em .5em;border-radius:1em;color:#fff;vertical-align:middle}
.verdict.favor{background:#1b7f3b}.verdict.against{background:#b3261e}
.verdict.mixed{background:#a66a00}.verdict.none{background:#6b6b6b}
table{border-collapse:collapse;width:100%;font-size:.92em}
th,td{text-align:left;padding:.35em .5em;border-bottom:1px solid #eee;vertical-align:top}
th{background:#f6f6f6}td.stance.favor{color:#1b7f3b;font-weight:600}
td.stance.against{color:#b3261e;font-weight:600}.more{color:#666;font-size:.9em}
"""


def json_safe(value: Any) -> Any:
    """`value` with NaN and infinities replaced by None, so that it is valid JSON."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def print_evaluation(report: dict[str, Any], console: Any = None) -> None:
    """The evaluation report of `stancekit.evaluation.evaluate` as terminal tables."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    how = "cross-validated by article" if report["cross_validated"] else "as trained"
    stance, sentiment = report["stance"], report["sentiment"]

    def fig(value: float | None) -> str:
        return "n/a" if value is None or not math.isfinite(value) else f"{value:.3f}"

    summary = Table(title=f"Classification on {report['n_labels']} gold claims ({how})")
    for column in ("task", "macro-F1", "F_avg", "accuracy", "ECE", "n"):
        summary.add_column(column, justify="left" if column == "task" else "right")
    summary.add_row("stance", fig(stance["macro_f1"]), fig(stance["f_avg"]),
                    fig(stance["accuracy"]), fig(stance["ece"]), str(stance["n"]))
    summary.add_row("sentiment", fig(sentiment["macro_f1"]), "", fig(sentiment["accuracy"]), "",
                    str(sentiment["n"]))
    console.print(summary)

    labels = stance["confusion"]["labels"]
    per_class = Table(title="Stance by class (rows: gold, columns: predicted)")
    for column in ("class", "precision", "recall", "F1", "support", *labels):
        per_class.add_column(column, justify="left" if column == "class" else "right")
    for label, row in zip(labels, stance["confusion"]["matrix"], strict=True):
        scores = stance["per_class"][label]
        per_class.add_row(label, fig(scores["precision"]), fig(scores["recall"]),
                          fig(scores["f1"]), str(scores["support"]), *map(str, row))
    console.print(per_class)

    if "extraction" in report:
        ex = report["extraction"]
        console.print(f"Extraction: {ex['n_covered']} of {ex['n_gold']} gold claims covered "
                      f"(claim recall {fig(ex['claim_recall'])}); speaker accuracy on covered "
                      f"claims {fig(ex['speaker_accuracy'])}")
    speakers = report["speakers"]
    table = Table(title="Speaker positions: predicted sign against the gold direction")
    table.add_column("speaker", no_wrap=True)
    table.add_column("gold")
    modes = [m for m in ("gold_extraction", "end_to_end") if m in speakers]
    for mode in modes:
        table.add_column(mode.replace("_", " "), justify="right")
    rows = {r["speaker"]: [r["gold"]] for r in speakers["gold_extraction"]["speakers"]}
    for mode in modes:
        for r in speakers[mode]["speakers"]:
            mark = "" if r["agrees"] else " ✗"
            position = "missing" if r["position"] is None else f"{r['position']:+.2f}"
            rows[r["speaker"]].append(position + mark)
    for name, cells in rows.items():
        table.add_row(name, *cells)
    table.caption = "; ".join(f"{m.replace('_', ' ')}: {fig(speakers[m]['sign_agreement'])} "
                              f"of {speakers[m]['n']} agree" for m in modes)
    console.print(table)
