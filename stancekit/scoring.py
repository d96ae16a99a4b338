"""Batch scoring: read -> extract -> classify -> aggregate, streaming, resumable, nothing lost.

`score()` is the library call (results as DataFrames); `score_to_dir()` is what
`python -m stancekit score` runs: it writes each batch as it finishes into an output folder,
sends bad articles to errors.jsonl and goes on, and with `resume=True` finishes an
interrupted run so that the result equals an uninterrupted one.

The output folder holds:
- claims.jsonl: one scored claim per line (the run's journal);
- progress.jsonl: the id of each article whose claims are all in claims.jsonl;
- errors.jsonl: each input or article that failed, and why;
- speakers.csv and report.html, written at the end from claims.jsonl;
- articles.jsonl: the id, title, source, date (as found, see stancekit.periods) and url of
  each article read, for the report and the periods;
- positions_over_time.csv when scored `by` a period (month, quarter or year);
- claims.csv or claims.parquet when asked for with `fmt`.
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stancekit.aggregation import PositionAggregator
from stancekit.errors import InputError, ModelError, StancekitError
from stancekit.outputs import (
    PERIOD_COLUMNS,
    REPORT_ERRORS,
    describe_model,
    export_claims,
    flat_claim,
    read_jsonl,
    render_report,
    speaker_rows,
    write_speakers_csv,
)
from stancekit.periods import (
    ARTICLES_FILE,
    ArticleIndex,
    ArticleInfo,
    article_info,
    read_article_infos,
)
from stancekit.reading import read_articles
from stancekit.records import Article, Claim, ScoredClaim, SpeakerPosition

DEFAULT_OUT = Path("stancekit-out")
DEFAULT_MODEL_DIRS = (Path("models/finetuned"), Path("models/baseline"))
CLAIMS_FILE, PROGRESS_FILE, ERRORS_FILE = "claims.jsonl", "progress.jsonl", "errors.jsonl"
SPEAKERS_FILE, REPORT_FILE = "speakers.csv", "report.html"
OVER_TIME_FILE = "positions_over_time.csv"
REPORT_CLAIMS_PER_SPEAKER = 20

ArticleErrorHandler = Callable[[Article, str, Exception], None]


def default_model_path() -> Path:
    """The first trained model among models/finetuned and models/baseline."""
    for folder in DEFAULT_MODEL_DIRS:
        if (folder / "model.json").is_file():
            return folder
    raise ModelError("no trained model in models/finetuned or models/baseline: "
                     "run `python -m stancekit train` or pass --model")


def resolve_model(model: Any, quantize: bool = False) -> Any:
    """A loaded model from a model object, a folder path, or None (the default folder);
    `quantize` loads a fine-tuned model with int8 weights (see `stancekit.models.load`)."""
    if model is None or isinstance(model, (str, Path)):
        from stancekit.models import load

        return load(model or default_model_path(), quantize=quantize)
    return model


def score_articles(
    articles: Iterable[Article],
    model: Any,
    target: str | None = None,
    aliases: Any = None,
    batch_size: int = 64,
    workers: int = 1,
    on_error: ArticleErrorHandler | None = None,
) -> Iterator[tuple[Article, list[ScoredClaim]]]:
    """Yield each article with its scored claims, in input order, classifying in batches.

    An article whose extraction or classification fails is handed to `on_error` (the
    default raises) and left out; the others go on.
    """
    on_error = on_error or _raise
    target = target or model.card.default_target
    pending: list[tuple[Article, list[Claim]]] = []
    n_pending = 0
    for article, claims in _extract_resilient(articles, aliases, workers, on_error):
        pending.append((article, claims))
        n_pending += len(claims)
        if n_pending >= batch_size:
            yield from _classify(pending, model, target, on_error)
            pending, n_pending = [], 0
    yield from _classify(pending, model, target, on_error)


def _classify(batch: list[tuple[Article, list[Claim]]], model: Any, target: str,
              on_error: ArticleErrorHandler) -> Iterator[tuple[Article, list[ScoredClaim]]]:
    claims = [c for _, article_claims in batch for c in article_claims]
    try:
        predictions = model.predict([c.text for c in claims], target=target,
                                    speakers=[c.speaker for c in claims]) if claims else []
    except Exception as err:  # noqa: BLE001 - a failed batch is reported, the run goes on
        for article, _ in batch:
            on_error(article, "classify", err)
        return
    scored = iter(ScoredClaim(c, target, p) for c, p in zip(claims, predictions, strict=True))
    for article, article_claims in batch:
        yield article, [next(scored) for _ in article_claims]


def _extract_resilient(articles: Iterable[Article], aliases: Any, workers: int,
                       on_error: ArticleErrorHandler) -> Iterator[tuple[Article, list[Claim]]]:
    """`extract_many` over a stream; when it fails, retry the articles in flight one by one."""
    from stancekit.extraction import extract_claims, extract_many, load_nlp

    nlp = load_nlp()
    source = iter(articles)
    in_flight: deque[Article] = deque()

    def feed() -> Iterator[Article]:
        for article in source:
            in_flight.append(article)
            yield article

    while True:
        try:
            for article, claims in extract_many(feed(), aliases=aliases, nlp=nlp,
                                                n_process=workers):
                in_flight.popleft()
                yield article, claims
            return
        except Exception:  # noqa: BLE001 - isolate the article that broke the batch
            stuck = list(in_flight)
            in_flight.clear()
            for article in stuck:
                try:
                    claims = extract_claims(article, aliases=aliases, nlp=nlp)
                except Exception as err:  # noqa: BLE001
                    on_error(article, "extract", err)
                    continue
                yield article, claims


def input_error_record(err: InputError) -> dict[str, Any]:
    """The errors.jsonl record of a bad input file or line."""
    return {"source": err.path, "line": err.line, "error": err.reason}


def article_error_record(article_id: str, stage: str, err: Exception) -> dict[str, Any]:
    """The errors.jsonl record of an article whose extraction or classification failed."""
    return {"article": article_id, "stage": stage,
            "error": f"{type(err).__name__}: {err}".splitlines()[0]}


def _raise(article: Article, stage: str, err: Exception) -> None:
    raise StancekitError(f"article {article.id}: {stage} failed: {err}") from err


@dataclass
class RunJournal:
    """The output folder of a scoring run, written as results arrive."""

    folder: Path
    resume: bool = False
    done: set[str] = field(default_factory=set)
    n_errors: int = 0
    _unflushed: list[str] = field(default_factory=list, init=False)

    def __post_init__(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        paths = [self.folder / name for name in (CLAIMS_FILE, PROGRESS_FILE, ERRORS_FILE)]
        self._seen_errors: set[str] = set()
        if self.resume:
            self._recover()
        else:
            for path in paths:
                path.unlink(missing_ok=True)
        self._claims, self._progress, self._errors = (p.open("a", encoding="utf-8")
                                                      for p in paths)

    def _recover(self) -> None:
        """Keep what an interrupted run finished; drop claims of articles it did not finish."""
        self.done = {r["id"] for r in _valid_lines(self.folder / PROGRESS_FILE)}
        _rewrite(self.folder / PROGRESS_FILE, [{"id": i} for i in sorted(self.done)])
        claims = [r for r in _valid_lines(self.folder / CLAIMS_FILE) if r["article"] in self.done]
        _rewrite(self.folder / CLAIMS_FILE, claims)
        errors = list(_valid_lines(self.folder / ERRORS_FILE))
        _rewrite(self.folder / ERRORS_FILE, errors)
        self._seen_errors = {json.dumps(e, sort_keys=True) for e in errors}
        self.n_errors = len(errors)
        self.done |= {e["article"] for e in errors if e.get("article")}

    def write(self, article: Article, scored: list[ScoredClaim]) -> None:
        for claim in scored:
            self._claims.write(json.dumps(claim.to_record(), ensure_ascii=False) + "\n")
        self._unflushed.append(article.id)

    def flush(self) -> None:
        """Make everything written so far durable: claims first, then their progress marks."""
        self._claims.flush()
        for article_id in self._unflushed:
            self._progress.write(json.dumps({"id": article_id}) + "\n")
        self._unflushed.clear()
        self._progress.flush()
        self._errors.flush()

    def error(self, record: dict[str, Any]) -> None:
        key = json.dumps(record, sort_keys=True)
        if key in self._seen_errors:
            return
        self._seen_errors.add(key)
        self.n_errors += 1
        self._errors.write(json.dumps(record, ensure_ascii=False) + "\n")

    def input_error(self, err: InputError) -> None:
        self.error(input_error_record(err))

    def article_error(self, article: Article, stage: str, err: Exception) -> None:
        self.error(article_error_record(article.id, stage, err))

    def close(self) -> None:
        self.flush()
        for handle in (self._claims, self._progress, self._errors):
            handle.close()


def _valid_lines(path: Path) -> Iterator[dict[str, Any]]:
    """JSON records of a journal file, skipping a line torn by an interruption."""
    if not path.is_file():
        return
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                yield record


def _rewrite(path: Path, records: list[dict[str, Any]]) -> None:
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    tmp.replace(path)


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
    by: str | None = None,
) -> RunSummary:
    """Score articles from files/folders/stdin into the folder `out` (see the module doc).

    `engine="ray"` runs the pipeline on a Ray cluster (see stancekit.ray_engine). `by`
    ("month", "quarter" or "year") also scores each speaker per period of the articles'
    dates (see stancekit.periods) into positions_over_time.csv and the report.
    """
    if engine != "local":
        if by:
            raise StancekitError("positions over time (--by) need the local engine for now")
        return _engine(engine).score_to_dir(paths, out, model, target, aliases, fmt, resume,
                                            batch_size, workers, progress)
    model = resolve_model(model)
    target = target or model.card.default_target
    journal = RunJournal(Path(out), resume=resume)
    start = time.perf_counter()
    index = ArticleIndex(Path(out) / ARTICLES_FILE, keep=resume)
    articles = (a for a in index.track(read_articles(paths, on_error=journal.input_error))
                if a.id not in journal.done)
    bar = _progress_bar(progress)
    n_articles = n_claims = 0
    try:
        since_flush = 0
        for article, scored in score_articles(articles, model, target, aliases, batch_size,
                                              workers, on_error=journal.article_error):
            journal.write(article, scored)
            n_articles += 1
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
        index.close()
        bar.close()
    summary = finish_run(Path(out), target, fmt, by=by, articles=index,
                         model=describe_model(model.card))
    summary.seconds = time.perf_counter() - start
    return summary


def _engine(name: str) -> Any:
    """The module of a non-local engine, imported only when asked for."""
    if name != "ray":
        raise StancekitError(f"unknown engine {name!r}: use 'local' or 'ray'")
    from stancekit import ray_engine

    return ray_engine


def _progress_bar(enabled: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(unit=" articles", desc="scoring", disable=not enabled, smoothing=0.1)


def finish_run(out: Path, target: str, fmt: str = "jsonl", by: str | None = None,
               articles: ArticleIndex | None = None, model: str = "") -> RunSummary:
    """From a finished journal: speakers.csv, report.html and the claims export; with `by`,
    positions_over_time.csv too. The articles' titles and dates come from `articles`, else
    from the folder's articles.jsonl. `model` names the model in the report."""
    if articles is None:
        articles = ArticleIndex()
        if (out / ARTICLES_FILE).is_file():
            articles.info = read_article_infos(out / ARTICLES_FILE)
    aggregator = PositionAggregator()
    n_claims = 0
    for record in read_jsonl(out / CLAIMS_FILE):
        period = articles.period(record["article"], by) if by else None
        aggregator.add(ScoredClaim.from_record(record), period)
        n_claims += 1
    positions = aggregator.positions()
    write_speakers_csv(out / SPEAKERS_FILE, positions)
    over_time = aggregator.positions_over_time() if by else []
    if by:
        write_speakers_csv(out / OVER_TIME_FILE, over_time, PERIOD_COLUMNS)
    shown = {c for p in positions for c in p.evidence[:REPORT_CLAIMS_PER_SPEAKER]}
    evidence = {r["id"]: ScoredClaim.from_record(r) for r in read_jsonl(out / CLAIMS_FILE)
                if r["id"] in shown}
    n_done = sum(1 for _ in _valid_lines(out / PROGRESS_FILE))
    errors: list[dict[str, Any]] = []
    n_errors = 0
    for error in _valid_lines(out / ERRORS_FILE):
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
                errors: list[dict[str, Any]], target: str) -> ScoreResult:
        """A result from (article, scored claims) pairs, aggregating speakers as they come."""
        import pandas as pd

        aggregator = PositionAggregator()
        scored: list[ScoredClaim] = []
        articles: dict[str, ArticleInfo] = {}
        n_articles = 0
        for article, article_scored in results:
            n_articles += 1
            if isinstance(article, Article):
                articles[article.id] = article_info(article)
            for claim in article_scored:
                aggregator.add(claim)
                scored.append(claim)
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
    runs on a Ray cluster (see stancekit.ray_engine).
    """
    if engine != "local":
        return _engine(engine).score(articles, model, target, aliases, batch_size, workers)
    model = resolve_model(model)
    target = target or model.card.default_target
    errors: list[dict[str, Any]] = []
    if isinstance(articles, (str, Path)) or (
        isinstance(articles, list) and articles and not isinstance(articles[0], Article)
    ):
        articles = read_articles(articles,
                                 on_error=lambda e: errors.append(input_error_record(e)))

    def on_error(article: Article, stage: str, err: Exception) -> None:
        errors.append(article_error_record(article.id, stage, err))

    results = score_articles(articles, model, target, aliases, batch_size, workers, on_error)
    return ScoreResult.collect(results, errors, target)
