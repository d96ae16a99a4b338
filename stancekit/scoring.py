"""Batch scoring: `score()` and `score_to_dir()`, written once over any engine.

`score()` is the library call (results as DataFrames); `score_to_dir()` is what
`python -m stancekit score` runs: it writes each result as it arrives into an output folder
(the run journal, `stancekit.journal`), sends bad inputs and articles to errors.jsonl and goes
on, and with `resume=True` finishes an interrupted run so that the result equals an
uninterrupted one. The engine ("local" or "ray", `stancekit.engines`) only schedules the
pipeline unit (`stancekit.pipeline`).
"""

from __future__ import annotations

import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stancekit.aggregation import PositionAggregator
from stancekit.engines import get_engine
from stancekit.errors import ArticleError, InputError, ModelError, StancekitError
from stancekit.extraction.identity import resolve_speakers
from stancekit.journal import (
    CLAIMS_FILE,
    ERRORS_FILE,
    OVER_TIME_FILE,
    PROGRESS_FILE,
    REPORT_FILE,
    RUN_FILE,
    SPEAKERS_FILE,
    RunJournal,
    run_record,
    settings_sha256,
)
from stancekit.outputs import (
    PERIOD_COLUMNS,
    REPORT_ERRORS,
    describe_model,
    export_claims,
    flat_claim,
    render_report,
    speaker_rows,
    write_speakers_csv,
)
from stancekit.periods import ArticleIndex, ArticleInfo, article_info
from stancekit.pipeline import Pipeline
from stancekit.reading import read_jsonl, skip_error
from stancekit.records import Article, ScoredClaim, SpeakerPosition

__all__ = ["CLAIMS_FILE", "DEFAULT_OUT", "ERRORS_FILE", "OVER_TIME_FILE", "PROGRESS_FILE",
           "REPORT_FILE", "RUN_FILE", "SPEAKERS_FILE", "RunSummary", "ScoreResult",
           "TargetWarning", "check_target", "default_model_path", "finish_run", "model_folder",
           "resolve_model", "score", "score_to_dir"]

DEFAULT_OUT = Path("stancekit-out")
DEFAULT_MODEL_DIRS = (Path("models/finetuned"), Path("models/baseline"))
REPORT_CLAIMS_PER_SPEAKER = 20

Notify = Callable[[str], None]


class TargetWarning(UserWarning):
    """Scoring toward a target the model was not trained on."""


def default_model_path() -> Path:
    """The first trained model among models/finetuned and models/baseline."""
    for folder in DEFAULT_MODEL_DIRS:
        if (folder / "model.json").is_file():
            return folder
    raise ModelError("no trained model in models/finetuned or models/baseline: "
                     "run `python -m stancekit train` or pass --model")


def model_folder(model: Any) -> Path | None:
    """The folder a model argument names (None: the default folder), or None for a model
    given as an object."""
    if model is None:
        return default_model_path()
    return Path(model) if isinstance(model, (str, Path)) else None


def resolve_model(model: Any, quantize: bool = False, verify: bool = True) -> Any:
    """A loaded model from a model object, a folder path, or None (the default folder);
    `quantize` loads a fine-tuned model with int8 weights, `verify` False skips the file
    digests (see `stancekit.models.load`)."""
    folder = model_folder(model)
    if folder is None:
        return model
    from stancekit.models import load

    return load(folder, quantize=quantize, verify=verify)


def check_target(model: Any, target: str | None) -> tuple[str, str | None]:
    """The target to score toward (None: the model's default) and, when the model was not
    trained on it, a warning that says what its predictions then mean. An empty target is
    an error."""
    if target is None:
        return model.card.default_target, None
    if not target.strip():
        raise StancekitError("the target is empty: give the question to score stance toward")
    trained = list(model.card.targets)
    if target.strip().casefold() in {t.strip().casefold() for t in trained}:
        return target, None
    return target, (
        f"the model was not trained on the target {target!r} (only on "
        f"{', '.join(repr(t) for t in trained)}): its stance predictions carry over what it "
        "learned for those targets and are not a measured stance toward this one")


def _warn(message: str) -> None:
    warnings.warn(message, TargetWarning, stacklevel=3)


@dataclass
class RunSummary:
    """What a scoring run did, and the speaker table it produced."""

    out: Path
    n_articles: int
    n_claims: int
    n_errors: int
    seconds: float
    positions: list[SpeakerPosition]
    target: str
    model: str | None = None


def score_to_dir(
    paths: Iterable[str | Path],
    out: str | Path = DEFAULT_OUT,
    model: Any = None,
    target: str | None = None,
    aliases: Any = None,
    fmt: str = "jsonl",
    resume: bool = False,
    batch_size: int = 64,
    workers: int = 1,
    progress: bool = True,
    engine: str = "local",
    overwrite: bool = False,
    quantize: bool = False,
    verify: bool = True,
    by: str | None = None,
    notify: Notify | None = None,
) -> RunSummary:
    """Score articles from files/folders/stdin into the folder `out` (see `stancekit.journal`).

    A folder holding another run is refused unless `resume` (finish it; the model, target
    and settings must be the same) or `overwrite` (replace it once this run has scored
    something). `notify` gets one line per warning and per error as they happen (default:
    only the target warning, as a `TargetWarning`). With nothing scored, the folder keeps
    what it held and the summary says 0 articles. `by` ("month", "quarter" or "year") also
    scores each speaker per period of the articles' dates (see `stancekit.periods`) into
    positions_over_time.csv and the report.
    """
    start = time.perf_counter()
    folder = model_folder(model)
    model = resolve_model(model, quantize=quantize, verify=verify)
    target, warning = check_target(model, target)
    if warning:
        (notify or _warn)(warning)
    settings = {"aliases_sha256": settings_sha256(aliases), "int8": quantize}
    journal = RunJournal(Path(out), run_record(model, folder, target, settings),
                         resume=resume, overwrite=overwrite)

    def on_error(err: InputError | ArticleError) -> None:
        if journal.error(err) and notify:
            notify(f"skipped {err}")

    pipeline = Pipeline(model, target, aliases, batch_size, workers)
    bar = _progress_bar(progress)
    n_claims = since_flush = 0
    try:
        for article, scored in get_engine(engine).run(pipeline, on_error, paths=paths,
                                                      skip=frozenset(journal.done)):
            journal.write(article, scored)
            n_claims += len(scored)
            since_flush += len(scored) + 1
            if since_flush >= batch_size:
                journal.flush()
                since_flush = 0
            bar.update(1)
            bar.set_postfix(claims=n_claims,
                            claims_per_s=round(n_claims / (time.perf_counter() - start), 1))
    finally:
        journal.close()
        bar.close()
    if journal.n_scored == 0:
        journal.discard()
        summary = RunSummary(Path(out), 0, 0, journal.n_errors, 0.0, [], target)
    else:
        summary = finish_run(journal.folder, target, fmt, by=by,
                             model=describe_model(model.card), aliases=aliases)
        journal.publish()
        summary.out = Path(out)
    summary.model = None if folder is None else str(folder)
    summary.seconds = time.perf_counter() - start
    return summary


def _progress_bar(enabled: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(unit=" articles", desc="scoring", disable=not enabled, smoothing=0.1)


def finish_run(out: Path, target: str, fmt: str = "jsonl", by: str | None = None,
               model: str = "", aliases: Any = None) -> RunSummary:
    """From a finished journal: speakers.csv, report.html and the claims export; with `by`,
    positions_over_time.csv too (the articles' dates are in progress.jsonl). `model` names
    the model in the report. Speakers are grouped under one canonical name across the run
    (`stancekit.extraction.identity`, with the alias table `aliases` when given)."""
    articles = ArticleIndex(ArticleInfo.from_record(record)
                            for record, _ in read_jsonl(out / PROGRESS_FILE, skip_error))
    identity = resolve_speakers(
        Counter(record["speaker"] for record, _ in read_jsonl(out / CLAIMS_FILE)), aliases)
    aggregator = PositionAggregator(canonical=identity.canonical)
    n_claims = 0
    for record, _ in read_jsonl(out / CLAIMS_FILE):
        period = articles.period(record["article"], by) if by else None
        aggregator.add(ScoredClaim.from_record(record), period)
        n_claims += 1
    positions = aggregator.positions()
    write_speakers_csv(out / SPEAKERS_FILE, positions)
    over_time = aggregator.positions_over_time() if by else []
    if by:
        write_speakers_csv(out / OVER_TIME_FILE, over_time, PERIOD_COLUMNS)
    shown = {c for p in positions for c in p.evidence[:REPORT_CLAIMS_PER_SPEAKER]}
    evidence = {r["id"]: ScoredClaim.from_record(r) for r, _ in read_jsonl(out / CLAIMS_FILE)
                if r["id"] in shown}
    n_done = len(articles.info)
    errors: list[dict[str, Any]] = []
    n_errors = 0
    for error, _ in read_jsonl(out / ERRORS_FILE, skip_error):
        n_errors += 1
        if len(errors) < REPORT_ERRORS:
            errors.append(error)
    report = render_report(positions, evidence, target, n_done, n_claims, n_errors,
                           REPORT_CLAIMS_PER_SPEAKER, articles=articles.info,
                           over_time=over_time, by=by, model=model, errors=errors)
    (out / REPORT_FILE).write_text(report, encoding="utf-8")
    export_claims(out / CLAIMS_FILE, fmt)
    return RunSummary(out, n_done, n_claims, n_errors, 0.0, positions, target)


@dataclass
class ScoreResult:
    """`stancekit.score`'s answer: claims and speakers as DataFrames, and the report."""

    claims: Any
    speakers: Any
    errors: list[dict[str, Any]]
    positions: list[SpeakerPosition]
    scored: list[ScoredClaim]
    target: str
    n_articles: int
    articles: dict[str, ArticleInfo] = field(default_factory=dict)  # for the report

    @classmethod
    def collect(cls, results: Iterable[tuple[Any, list[ScoredClaim]]],
                errors: list[dict[str, Any]], target: str, aliases: Any = None) -> ScoreResult:
        """A result from (article, scored claims) pairs, speakers grouped under one canonical
        name across them (as `finish_run` groups them)."""
        import pandas as pd

        scored: list[ScoredClaim] = []
        articles: dict[str, ArticleInfo] = {}
        n_articles = 0
        for article, article_scored in results:
            n_articles += 1
            if isinstance(article, Article):
                articles[article.id] = article_info(article)
            scored.extend(article_scored)
        identity = resolve_speakers(Counter(s.claim.speaker for s in scored), aliases)
        aggregator = PositionAggregator(canonical=identity.canonical)
        for claim in scored:
            aggregator.add(claim)
        positions = aggregator.positions()
        return cls(pd.DataFrame([flat_claim(s.to_record()) for s in scored]),
                   pd.DataFrame(speaker_rows(positions)), errors, positions, scored, target,
                   n_articles, articles)

    def to_html(self) -> str:
        """The self-contained HTML report of this result."""
        by_id = {s.claim.id: s for s in self.scored}
        return render_report(self.positions, by_id, self.target, self.n_articles,
                             len(self.scored), len(self.errors), REPORT_CLAIMS_PER_SPEAKER,
                             articles=self.articles, errors=self.errors)


def score(
    articles: Iterable[Article] | str | Path | list[str | Path],
    model: Any = None,
    target: str | None = None,
    aliases: Any = None,
    batch_size: int = 64,
    workers: int = 1,
    engine: str = "local",
) -> ScoreResult:
    """Score articles (Article records, or paths to read) in memory.

    `model` is a loaded model, a model folder, or None for the default trained model.
    Bad inputs and failed articles are collected in `errors`, not raised. `engine="ray"`
    runs on a Ray cluster (see stancekit.engines.ray). A target the model was not trained
    on gives a `TargetWarning`.
    """
    model = resolve_model(model)
    target, warning = check_target(model, target)
    if warning:
        _warn(warning)
    errors: list[dict[str, Any]] = []

    def on_error(err: InputError | ArticleError) -> None:
        errors.append(err.to_record())

    pipeline = Pipeline(model, target, aliases, batch_size, workers)
    if isinstance(articles, (str, Path)) or (
        isinstance(articles, list) and articles and not isinstance(articles[0], Article)
    ):
        paths = [articles] if isinstance(articles, (str, Path)) else articles
        results = get_engine(engine).run(pipeline, on_error, paths=paths)
    else:
        results = get_engine(engine).run(pipeline, on_error, articles=articles)
    return ScoreResult.collect(results, errors, target, aliases)
