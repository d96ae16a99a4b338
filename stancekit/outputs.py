"""Outputs: claims and speaker tables as JSONL / CSV / Parquet, a terminal table, an HTML report.

The HTML report is one self-contained file (inline CSS and SVG, no scripts, no network):
which model and target made it and when, the accuracy caveat, a legend, a chart of speaker
positions with their 95% intervals (people, institutions, groups and authors apart), the
positions over time of the major speakers when scored `--by` a period, per speaker its
aliases and strongest claims for each side with their article's title, outlet and date,
and the errors.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import math
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.table import Table

from stancekit.aggregation import INSUFFICIENT, MIN_STANCE_CLAIMS
from stancekit.periods import ArticleInfo
from stancekit.reading import read_jsonl
from stancekit.records import ScoredClaim, SpeakerPosition
from stancekit.version import __version__

if TYPE_CHECKING:
    from stancekit.training import TrainReport

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


def export_claims(jsonl_path: Path, fmt: str, chunk_rows: int = 10_000) -> Path | None:
    """Convert claims.jsonl to claims.csv or claims.parquet, streaming; None for jsonl."""
    if fmt == "jsonl":
        return None
    target = jsonl_path.with_suffix(f".{fmt}")
    rows = (flat_claim(record) for record, _ in read_jsonl(jsonl_path))
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

    table = Table(title=title)
    table.add_column("speaker", min_width=24, overflow="fold")
    for header, justify in (("claims", "right"), ("with a stance", "right"), ("position", "right"),
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


def print_label_stats(stats: Any, console: Any = None) -> None:
    """The tables of `labels stats`: claims by origin, stance, sentiment, article, speaker
    (`stats` is a `stancekit.labels.LabelStats`)."""
    from rich.console import Console

    from stancekit.records import STANCES

    console = console or Console()

    def by_stance(title: str, counts: Any, per_stance: dict[str, Any]) -> Table:
        table = Table(title=title)
        table.add_column(title.split()[1])
        for column in ("claims", *STANCES):
            table.add_column(column, justify="right")
        for name, n in counts.most_common():
            table.add_row(name, str(n), *(str(per_stance[name][s]) for s in STANCES))
        return table

    console.print(by_stance(f"by origin ({stats.total} claims)", stats.origin,
                            stats.origin_stance))
    for title, counts in (("stance", stats.stance), ("sentiment", stats.sentiment),
                          ("article", stats.article)):
        table = Table(title=f"by {title} ({stats.total} claims)")
        table.add_column(title)
        table.add_column("claims", justify="right")
        table.add_column("share", justify="right")
        for name, n in counts.most_common():
            table.add_row(name, str(n), f"{n / stats.total:.0%}")
        console.print(table)
    console.print(by_stance("by speaker (a joint claim counts for each speaker)", stats.speaker,
                            stats.speaker_stance))


REPORT_ERRORS = 50
MAX_TIMELINES = 8
TYPE_HEADINGS = {"person": "People", "body": "Institutions, states and outlets",
                 "collective": "Unnamed groups", "author": "Authors of opinion pieces"}
VERDICT_MEANINGS = {
    "favor": "in favor: at least two claims with a stance, position +0.2 or above",
    "against": "against: at least two claims with a stance, position −0.2 or below",
    "mixed": "mixed: at least two claims with a stance, position between −0.2 and +0.2",
    INSUFFICIENT: "insufficient evidence: fewer than two claims with a stance",
}
CAVEAT = (
    "Stance detection is the weak link: on articles it was not trained on, the classifier "
    "gets the side of a claim wrong often, and it may attribute a claim to the wrong speaker "
    "(see “How well it works” in the README). Treat each position as a lead: read the "
    "claims behind it before you quote it, and trust a verdict only when its interval is "
    "narrow and its claims say what the verdict says."
)


def describe_model(card: Any) -> str:
    """One line naming a model by its card: method, base model, training data and date, and
    its cross-validated stance F_avg when the card has one."""
    method = getattr(card, "method", "unknown")
    parts = [f"the {method} model"]
    if getattr(card, "base_model", None):
        parts.append(f"on {Path(str(card.base_model)).name}")
    n_labels, date = getattr(card, "n_labels", 0), str(getattr(card, "date", ""))[:10]
    if n_labels or date:
        parts.append("trained" + (f" on {n_labels} labeled claims" if n_labels else "")
                     + (f" on {date}" if date else ""))
    pooled = (getattr(card, "cv", None) or {}).get("unmasked", {}).get("pooled", {})
    f_avg = pooled.get("stance_f_avg") if isinstance(pooled, dict) else None
    if isinstance(f_avg, (int, float)) and math.isfinite(f_avg):
        parts.append(f"(cross-validated stance F_avg {f_avg:.2f})")
    return " ".join(parts)


def render_report(
    positions: Sequence[SpeakerPosition],
    claims: Mapping[str, ScoredClaim],
    target: str,
    n_articles: int,
    n_claims: int,
    n_errors: int = 0,
    max_claims_per_speaker: int = 20,
    *,
    articles: Mapping[str, ArticleInfo] | None = None,
    over_time: Sequence[SpeakerPosition] = (),
    by: str | None = None,
    model: str = "",
    errors: Sequence[Mapping[str, Any]] = (),
    created: str | None = None,
) -> str:
    """The self-contained HTML report.

    `claims` maps claim id to the claims shown as evidence; `articles` gives the title,
    outlet and date shown beside each claim (else its article id); `over_time` (positions
    per `by` period) adds the chart over time; `model` names the model (see
    `describe_model`); `errors` are errors.jsonl records, of which the first REPORT_ERRORS
    are listed (of `n_errors` in all).
    """
    esc = html.escape
    articles = articles or {}
    created = created or dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    sections = "".join(_speaker_section(p, claims, articles, max_claims_per_speaker)
                       for p in positions)
    made_by = f"Made by stancekit {__version__}" + (f" with {esc(model)}" if model else "")
    failed = (f', <a href="#errors">{n_errors} inputs or articles failed</a>' if n_errors
              else "")
    timeline = ""
    if over_time:
        undated = sum(1 for info in articles.values() if info.date is None)
        note = (f" Articles with no known date ({undated} of {len(articles)}) are left out "
                "here." if undated else "")
        timeline = (f"<h2>Positions over time, by {esc(by or 'period')}</h2>"
                    "<p class=\"note\">The speakers with the most claims with a stance (two or "
                    "more) over at least two periods; dot: position in that period, bar: its "
                    "95% interval, "
                    f"hollow dot: insufficient evidence in that period.{note}</p>"
                    f"<figure>{_timeline_chart(over_time)}</figure>")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>stancekit report: {esc(target)}</title>
<style>{_CSS}</style></head>
<body>
<header><h1>Where the speakers stand</h1>
<p class="target">Target: <strong>{esc(target)}</strong></p>
<p class="summary">{n_articles} articles, {n_claims} claims, {len(positions)} speakers{failed}.
{made_by}, {esc(created)}.</p>
</header>
<aside class="caveat"><strong>Read this first.</strong> {esc(CAVEAT)}</aside>
{_legend()}
<figure>{_position_chart(positions)}</figure>
{timeline}
<h2>The claims behind each position</h2>
{sections or "<p>No speaker made a claim.</p>"}
{_errors_section(errors, n_errors)}
</body></html>
"""


def _legend() -> str:
    items = "".join(
        f'<li><span class="swatch" style="background:{colour}"></span>'
        f"{html.escape(VERDICT_MEANINGS[verdict])}</li>"
        for verdict, colour in VERDICT_COLOURS.items())
    return (
        '<section class="legend"><h2>How to read this</h2><ul class="verdicts">'
        f"{items}</ul><p>A speaker’s <strong>position</strong> runs from −1 (every claim with a "
        "stance is against) to +1 (every one in favor); only claims the classifier puts in "
        "favor or against count, each weighted by how sure it is. The dot is the position; "
        "the bar is its <strong>95% interval</strong>, from resampling the speaker’s articles, "
        "the claims in them, and each claim’s stance from the classifier’s probabilities: wide "
        "when there are few articles or claims or the classifier is unsure. A claim’s "
        "<strong>confidence</strong> is the probability the classifier gave the stance it "
        "chose (favor, against or none); it is not calibrated, so 80% does not mean right "
        "eight times in ten. Named people, institutions, unnamed groups and authors are "
        "shown apart.</p></section>")


def _speaker_section(p: SpeakerPosition, claims: Mapping[str, ScoredClaim],
                     articles: Mapping[str, ArticleInfo], limit: int) -> str:
    esc = html.escape
    shown = [claims[c] for c in p.evidence[:limit] if c in claims]
    sides = {side: [s for s in shown if _side(s) == side] for side in ("favor", "against", "none")}
    tables = "".join(
        f"<h4>{heading}</h4>{_claim_table(sides[side], articles)}"
        for side, heading in (("favor", "Strongest claims in favor"),
                              ("against", "Strongest claims against"))
        if sides[side])
    if not tables and sides["none"]:
        tables = ("<h4>No claim with a stance; the claims closest to one</h4>"
                  + _claim_table(sides["none"], articles))
    aliases = (f'<p class="aliases">Also named: {esc("; ".join(p.aliases))}</p>'
               if p.aliases else "")
    return (
        f'<section class="speaker" id="{esc(_anchor(p.speaker))}">'
        f'<h3>{esc(p.speaker)} <span class="verdict" style="background:'
        f'{VERDICT_COLOURS.get(p.verdict, "#6b6b6b")}">{esc(p.verdict)}</span> '
        f'<span class="type">{esc(p.type)}</span></h3>{aliases}'
        f"<p>position {p.position:+.2f}, 95% interval [{p.interval_low:+.2f}, "
        f"{p.interval_high:+.2f}]; {p.n_claims} claims ({p.n_stance_claims} with a stance) in "
        f"{p.n_articles} articles; sentiment {p.sentiment:+.2f}</p>{tables}"
        f'<p class="more">All {p.n_claims} claims are in claims.jsonl.</p></section>'
    )


def _side(scored: ScoredClaim) -> str:
    stance = scored.prediction.stance
    return stance if stance in ("favor", "against") else "none"


def _claim_table(rows: Sequence[ScoredClaim], articles: Mapping[str, ArticleInfo]) -> str:
    body = "".join(_claim_row(sc, articles.get(sc.claim.article_id)) for sc in rows)
    return ("<table><thead><tr><th>claim</th><th>article</th><th>stance</th><th>sentiment</th>"
            f"<th>confidence</th></tr></thead><tbody>{body}</tbody></table>")


def _claim_row(scored: ScoredClaim, info: ArticleInfo | None) -> str:
    esc = html.escape
    p = scored.prediction
    confidence = p.stance_probs.get(p.stance, 0.0)
    sentiment = esc(p.sentiment) if p.sentiment else "&ndash;"
    if info is not None and info.title:
        title = esc(info.title)
        if info.url.startswith(("http://", "https://")):
            title = f'<a href="{esc(info.url)}">{title}</a>'
        meta = " · ".join(x for x in (esc(info.source),
                                      info.date.isoformat() if info.date else "") if x)
        article = f"{title}" + (f'<br><span class="meta">{meta}</span>' if meta else "")
    else:
        article = esc(scored.claim.article_id)
    return (f"<tr><td>{esc(scored.claim.text)}</td><td>{article}</td>"
            f'<td class="stance {esc(p.stance)}">{esc(p.stance)}</td><td>{sentiment}</td>'
            f"<td>{confidence:.0%}</td></tr>")


def _errors_section(errors: Sequence[Mapping[str, Any]], n_errors: int) -> str:
    esc = html.escape
    if not n_errors:
        return '<h2 id="errors">Errors</h2><p>No input or article failed.</p>'
    rows = "".join(
        "<tr><td>{}</td><td>{}</td><td>{}</td></tr>".format(
            esc(str(e.get("article") or e.get("source") or ""))
            + (f":{e['line']}" if e.get("line") else ""),
            esc(str(e.get("stage") or "read")), esc(str(e.get("error", ""))))
        for e in errors[:REPORT_ERRORS])
    more = (f'<p class="more">and {n_errors - len(errors[:REPORT_ERRORS])} more in '
            "errors.jsonl</p>" if n_errors > len(errors[:REPORT_ERRORS]) else "")
    return (f'<h2 id="errors">Errors ({n_errors})</h2><p>These inputs or articles were not '
            "scored; the rest were. Each is a line of errors.jsonl.</p>"
            "<table><thead><tr><th>input or article</th><th>stage</th><th>error</th></tr>"
            f"</thead><tbody>{rows}</tbody></table>{more}")


def _anchor(speaker: str) -> str:
    return "speaker-" + "".join(ch if ch.isalnum() else "-" for ch in speaker.lower())


def _position_chart(positions: Sequence[SpeakerPosition]) -> str:
    """An SVG dot-and-interval chart, one row per speaker under a heading per speaker type,
    x from -1 to +1."""
    label_w, plot_w, row_h, top, right = 230, 520, 26, 30, 70
    groups = [(kind, [p for p in positions if p.type == kind]) for kind in TYPE_HEADINGS]
    groups += [("other", [p for p in positions if p.type not in TYPE_HEADINGS])]
    groups = [(kind, rows) for kind, rows in groups if rows]
    n_rows = sum(len(rows) + 1 for _, rows in groups)
    height = top + row_h * max(n_rows, 1) + 30

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
    row = 0
    for kind, rows in groups:
        y = top + row_h * row + row_h / 2
        parts.append(f'<text x="8" y="{y + 4}" class="group">'
                     f'{html.escape(TYPE_HEADINGS.get(kind, "Other speakers"))}</text>')
        row += 1
        for p in rows:
            parts.append(_chart_row(p, top + row_h * row + row_h / 2, x, label_w + plot_w))
            row += 1
    parts.append("</svg>")
    return "".join(parts)


def _chart_row(p: SpeakerPosition, y: float, x: Any, count_x: float) -> str:
    colour = VERDICT_COLOURS.get(p.verdict, "#6b6b6b")
    name = html.escape(p.speaker)
    return (
        f'<g class="row" data-speaker="{name}" data-verdict="{html.escape(p.verdict)}">'
        f'<title>{name}: {p.position:+.2f} [{p.interval_low:+.2f}, {p.interval_high:+.2f}], '
        f'{p.n_claims} claims, {p.verdict}</title>'
        f'<a href="#{html.escape(_anchor(p.speaker))}"><text x="{x(-1) - 10}" y="{y + 4}" '
        f'class="name">{name}</text></a>'
        f'<line x1="{x(p.interval_low)}" x2="{x(p.interval_high)}" y1="{y}" y2="{y}" '
        f'stroke="{colour}" class="interval"/>'
        f'<circle cx="{x(p.position)}" cy="{y}" r="6" fill="{colour}"/>'
        f'<text x="{count_x + 10}" y="{y + 4}" class="count">n={p.n_claims}</text>'
        "</g>"
    )


def major_timelines(over_time: Sequence[SpeakerPosition],
                    limit: int = MAX_TIMELINES) -> dict[str, list[SpeakerPosition]]:
    """The positions over time of the `limit` speakers with the most claims with a stance
    among those with claims in at least two periods and at least MIN_STANCE_CLAIMS claims
    with a stance in all (the report's "major" speakers)."""
    by_speaker: dict[str, list[SpeakerPosition]] = {}
    for p in over_time:
        by_speaker.setdefault(p.speaker, []).append(p)
    ranked = sorted((rows for rows in by_speaker.values() if len(rows) >= 2
                     and sum(r.n_stance_claims for r in rows) >= MIN_STANCE_CLAIMS),
                    key=lambda rows: (-sum(r.n_stance_claims for r in rows), rows[0].speaker))
    return {rows[0].speaker: sorted(rows, key=lambda r: r.period) for rows in ranked[:limit]}


def _timeline_chart(over_time: Sequence[SpeakerPosition]) -> str:
    """Small multiples: per major speaker, position and interval per period (SVG)."""
    timelines = major_timelines(over_time)
    if not timelines:
        return ('<p class="note">No speaker has two or more claims with a stance over two or '
                "more periods.</p>")
    periods = sorted({p.period for rows in timelines.values() for p in rows})
    label_w, panel_h, gap, right = 230, 90, 14, 20
    step = max(24, min(80, 520 // max(len(periods), 1)))
    plot_w = step * len(periods)
    height = (panel_h + gap) * len(timelines) + 40
    every = math.ceil(60 / step)  # a label is about 60 pixels wide

    def x(period: str) -> float:
        return label_w + step * (periods.index(period) + 0.5)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" class="chart timeline" '
             f'width="{label_w + plot_w + right}" height="{height}" '
             f'aria-label="Speaker positions over time with 95% intervals">']
    for i, (speaker, rows) in enumerate(timelines.items()):
        top = 10 + i * (panel_h + gap)

        def y(value: float, top: float = top) -> float:
            return top + (1 - value) / 2 * panel_h

        name = html.escape(speaker)
        parts.append(
            f'<g class="panel" data-speaker="{name}">'
            f'<rect x="{label_w}" y="{top}" width="{plot_w}" height="{panel_h}" class="frame"/>'
            f'<line x1="{label_w}" x2="{label_w + plot_w}" y1="{y(0)}" y2="{y(0)}" '
            'class="zero"/>'
            f'<text x="{label_w - 10}" y="{y(0) + 4}" class="name">{name}</text>'
            f'<text x="{label_w - 10}" y="{y(1) + 10}" class="tick right">in favor +1</text>'
            f'<text x="{label_w - 10}" y="{y(-1) - 2}" class="tick right">against −1</text>')
        points = " ".join(f"{x(p.period)},{y(p.position)}" for p in rows)
        parts.append(f'<polyline points="{points}" class="trend"/>')
        for p in rows:
            colour = VERDICT_COLOURS.get(p.verdict, "#6b6b6b")
            fill = "#fff" if p.verdict == INSUFFICIENT else colour
            parts.append(
                f'<g class="point" data-period="{html.escape(p.period)}" '
                f'data-verdict="{html.escape(p.verdict)}"><title>{name}, {p.period}: '
                f'{p.position:+.2f} [{p.interval_low:+.2f}, {p.interval_high:+.2f}], '
                f'{p.n_claims} claims, {p.verdict}</title>'
                f'<line x1="{x(p.period)}" x2="{x(p.period)}" y1="{y(p.interval_low)}" '
                f'y2="{y(p.interval_high)}" stroke="{colour}" class="interval"/>'
                f'<circle cx="{x(p.period)}" cy="{y(p.position)}" r="5" fill="{fill}" '
                f'stroke="{colour}" stroke-width="2"/></g>')
        parts.append("</g>")
    axis_y = 10 + len(timelines) * (panel_h + gap) + 6
    for i, period in enumerate(periods):
        if i % every == 0:
            parts.append(f'<text x="{x(period)}" y="{axis_y}" class="tick">'
                         f"{html.escape(period)}</text>")
    parts.append("</svg>")
    return "".join(parts)


_CSS = """
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#1d1d1f;
max-width:1000px;margin:2em auto;padding:0 1em}
h1{margin-bottom:.2em}.target{font-size:1.1em;margin:.2em 0}.summary{color:#555}
.caveat{background:#fff6e0;border-left:4px solid #a66a00;padding:.6em .9em;margin:1em 0}
.legend ul{list-style:none;padding:0;margin:.3em 0;display:flex;flex-wrap:wrap;gap:.3em 1.5em}
.swatch{display:inline-block;width:.9em;height:.9em;border-radius:50%;margin-right:.4em;
vertical-align:-.1em}.legend p,.note{color:#444;font-size:.92em}
figure{margin:1.5em 0;overflow-x:auto}
.chart .grid{stroke:#e3e3e3}.chart .zero{stroke:#888;stroke-dasharray:4 3}
.chart .tick{font-size:12px;fill:#666;text-anchor:middle}.chart .tick.right{text-anchor:end}
.chart .end{font-size:12px;fill:#666}.chart .end.right{text-anchor:end}
.chart .name{font-size:13px;text-anchor:end;fill:#1d1d1f}
.chart .group{font-size:13px;font-weight:600;fill:#444}
.chart .interval{stroke-width:3;stroke-linecap:round;opacity:.75}
.chart .count{font-size:12px;fill:#666}
.chart .row[data-verdict="insufficient evidence"]{opacity:.5}
.timeline .frame{fill:#fafafa;stroke:#e3e3e3}.timeline .trend{fill:none;stroke:#bbb;
stroke-width:1.5}
section.speaker{border-top:1px solid #ddd;padding-top:.4em;margin-top:1.2em}
h3{margin:.3em 0}h4{margin:.8em 0 .3em;font-size:.95em;color:#444}
.verdict{font-size:.75em;padding:.1em .5em;border-radius:1em;color:#fff;vertical-align:middle}
.type{font-size:.75em;color:#666;font-weight:normal}.aliases{color:#555;margin:.2em 0}
table{border-collapse:collapse;width:100%;font-size:.92em}
th,td{text-align:left;padding:.35em .5em;border-bottom:1px solid #eee;vertical-align:top}
th{background:#f6f6f6}td.stance.favor{color:#1b7f3b;font-weight:600}
td.stance.against{color:#b3261e;font-weight:600}.more,.meta{color:#666;font-size:.9em}
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
    table.caption = "; ".join(
        f"{m.replace('_', ' ')}: sign agreement {fig(speakers[m]['sign_agreement'])} of "
        f"{speakers[m]['n']}, found {fig(speakers[m]['found'])}, 95% interval coverage "
        f"{fig(speakers[m].get('interval_coverage'))}" for m in modes)
    console.print(table)


def _cv_cell(figure: tuple[float, float], pooled: float) -> str:
    mean, std = figure
    if math.isnan(mean):
        return "n/a"
    return f"{mean:.3f}±{std:.3f}\npooled {pooled:.3f}"


def results_table(reports: Sequence[TrainReport]) -> Table:
    """A rich table, one row per method (and masking): mean ± std over folds above the
    figure of all out-of-fold predictions pooled; then one row per target if several."""
    table = Table(title="cross-validation: mean±std over folds, and pooled out-of-fold")
    table.add_column("method", no_wrap=True)
    for name in ("stance macro-F1", "stance F_avg", "stance accuracy", "sentiment macro-F1"):
        table.add_column(name, justify="right")
    keys = ("stance_macro_f1", "stance_f_avg", "stance_accuracy", "sentiment_macro_f1")
    times = []
    for report in reports:
        for result in report.cv:
            name = report.method + (" (masked)" if result.masked else "")
            summary = result.summary()
            cells = (_cv_cell(summary[k], result.pooled[k]) for k in keys)
            table.add_row(name, *cells, end_section=True)
            for target, values in result.per_target.items():
                table.add_row(f"· {target}", *(f"{values[k]:.3f}" for k in keys))
            times.append(f"{name} {len(result.folds)} folds {result.seconds:.1f}s")
        times.append(f"{report.method} final fit {report.fit_seconds:.1f}s")
    table.caption = "; ".join(times)
    return table
