"""The pipeline unit both engines run: read -> extract -> classify, batch by batch.

A `Pipeline` holds what a run needs (model, target, alias table, batch size, workers); its
steps are plain methods over plain records, so the local engine runs them in one process
and the Ray engine runs `extract` and `classify` in its actors. A bad article never stops
the run: it goes to `on_error` as an `ArticleError` (the stage that failed, or "no claims"
and the likely reason) and is left out, and the other articles go on.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from stancekit.errors import ArticleError, InputError
from stancekit.extraction.identity import link_in_article
from stancekit.models.inputs import claim_context
from stancekit.reading import read_articles
from stancekit.records import Article, Claim, ScoredClaim

ErrorHandler = Callable[[InputError | ArticleError], None]
Extracted = tuple[Article, list[Claim]]
Scored = tuple[Article, list[ScoredClaim]]

HTML_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9]*(?:\s[^<>]*)?/?>")
MIN_HTML_TAGS = 3  # this many tags in a text that gave no claims: it is a web page
MIN_LATIN_SHARE = 0.5  # below this share of Latin (ASCII) letters a text is not English
SENTENCE_END = re.compile(r"[.!?]")


@dataclass
class Pipeline:
    """Read, extract and classify articles for one target with one model."""

    model: Any
    target: str
    aliases: Any = None
    batch_size: int = 64
    workers: int = 1

    def read(self, paths: Iterable[str | Path], on_error: ErrorHandler) -> Iterator[Article]:
        """The articles of files, folders or ``-``; bad inputs go to `on_error`."""
        return read_articles(paths, on_error=on_error)

    def run(self, articles: Iterable[Article], on_error: ErrorHandler) -> Iterator[Scored]:
        """Each article with its scored claims, in input order, classified in batches of
        about `batch_size` claims."""
        pending: list[Extracted] = []
        n_pending = 0
        for article, claims in self.extract(articles, on_error):
            pending.append((article, claims))
            n_pending += len(claims)
            if n_pending >= self.batch_size:
                yield from self.classify(pending, on_error)
                pending, n_pending = [], 0
        yield from self.classify(pending, on_error)

    def extract(self, articles: Iterable[Article], on_error: ErrorHandler
                ) -> Iterator[Extracted]:
        """Each article with its claims, in input order; an article that is not English,
        fails, or gives no claims goes to `on_error` instead, in its turn."""
        from stancekit.extraction import extract_many, load_nlp

        arrived: deque[tuple[Article, bool]] = deque()  # (article, sent to extraction)

        def english(articles: Iterable[Article]) -> Iterator[Article]:
            for article in articles:
                readable = is_english_script(article.text)
                arrived.append((article, readable))
                if readable:
                    yield article  # extraction infers the kind (news or opinion) if unknown

        def report_not_english(until: str | None) -> None:
            """Report the articles left out before the article `until` (None: all)."""
            while arrived and arrived[0][0].id != until:
                article, readable = arrived.popleft()
                if not readable:
                    on_error(ArticleError(article.id, "extract", "no claims: not English"))

        def failed(article: Article, err: Exception) -> None:
            on_error(ArticleError.from_exception(article.id, "extract", err))

        for article, claims in extract_many(english(articles), aliases=self.aliases,
                                            nlp=load_nlp(), n_process=self.workers,
                                            on_error=failed):
            report_not_english(article.id)
            if arrived:
                arrived.popleft()
            if claims:
                yield article, link_in_article(claims, article.text)
            else:
                on_error(ArticleError(article.id, "extract", no_claims_reason(article.text)))
        report_not_english(None)

    def classify(self, batch: Sequence[Extracted], on_error: ErrorHandler) -> Iterator[Scored]:
        """The batch's articles with their scored claims; when the batch fails, its articles
        are retried one by one so that only a bad article fails."""
        if not batch:
            return
        try:
            scored = classify_claims(self.model, self.target, batch)
        except Exception as err:  # noqa: BLE001 - a failed article is reported, the run goes on
            if len(batch) == 1:
                on_error(ArticleError.from_exception(batch[0][0].id, "classify", err))
                return
            for pair in batch:
                yield from self.classify([pair], on_error)
            return
        yield from zip((article for article, _ in batch), scored, strict=True)


def classify_claims(model: Any, target: str, batch: Sequence[Extracted]
                    ) -> list[list[ScoredClaim]]:
    """Stance and sentiment of the claims of each (article, claims) pair, one model call.

    The model's inputs are built here, from each article and its claims, and nowhere else:
    each claim's text, speaker and context (the sentence before it and the headline, read
    by models trained with context)."""
    claims = [claim for _, article_claims in batch for claim in article_claims]
    contexts = [claim_context(article.text, claim.start, article.title)
                for article, article_claims in batch for claim in article_claims]
    predictions = model.predict([c.text for c in claims], target=target,
                                speakers=[c.speaker for c in claims], contexts=contexts)
    scored = iter([ScoredClaim(c, target, p) for c, p in zip(claims, predictions, strict=True)])
    return [[next(scored) for _ in article_claims] for _, article_claims in batch]


def no_claims_reason(text: str) -> str:
    """Why a text most likely gave no claims, as an errors.jsonl message."""
    if len(HTML_TAG.findall(text)) >= MIN_HTML_TAGS:
        return ("no claims: looks like HTML (save the page as .html to have its article "
                "text extracted)")
    if not is_english_script(text):
        return "no claims: not English"
    if not SENTENCE_END.search(text):
        return "no claims: no sentence-final punctuation"
    return "no claims: no sentence with a claim found"


def is_english_script(text: str) -> bool:
    """False for a text mostly in another script than the Latin one (Chinese, Korean, ...),
    which the English pipeline cannot read."""
    letters = [ch for ch in text if ch.isalpha()]
    return not letters or sum(ch.isascii() for ch in letters) / len(letters) >= MIN_LATIN_SHARE
