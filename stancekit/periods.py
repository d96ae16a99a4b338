"""Article dates and time periods, for speaker positions over time.

An article's date is its metadata `date` when that parses, else the first full date in the
heading of its text, else unknown. The heading is the first HEAD_CHARS characters, and in
it a date counts only where a dateline or byline puts it: on a short line (at most
SHORT_LINE characters: "Published: 2018/6/4", "By Ann Lee | March 3, 2021") or within the
first DATELINE_SPAN characters of a line ("SEOUL, Sept. 23, 2021 (Yonhap) -- ..."). A
date further into a sentence names an event ("will take office on January 20, 2021"), not
the day of writing. A full date is one of:

- ISO order: ``2021-09-23``, ``2021/9/23``, ``2021.09.23`` (also with a time after it);
- month name and day with a year: ``September 23, 2021``, ``Sept. 23 2021``,
  ``23 September 2021``, ``23 Sep. 2021``;
- day/month/year or month/day/year with slashes or dots, only when the order is certain
  (one of the first two numbers is above 12, or both are equal).

Metadata may also give a month alone (``2021-09``, ``September 2021``): it dates the
article to the first of that month. A year alone is too coarse and is not used, and so is
a dateline without a year ("SEOUL, Nov. 8").

A period is ``2021-09`` (month), ``2021-Q3`` (quarter) or ``2021`` (year); periods of one
kind sort in time order as strings.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from stancekit.records import Article

PERIODS: tuple[str, ...] = ("month", "quarter", "year")
HEAD_CHARS = 600
SHORT_LINE = 100
DATELINE_SPAN = 40

_MONTHS = {
    name: number
    for number, names in enumerate(
        ["january jan", "february feb", "march mar", "april apr", "may", "june jun",
         "july jul", "august aug", "september sept sep", "october oct", "november nov",
         "december dec"], start=1)
    for name in names.split()
}
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_FULL_DATE = [
    re.compile(r"(?<!\d)" + _YEAR + r"[-/.](?P<mm>\d{1,2})[-/.](?P<dd>\d{1,2})(?!\d)"),
    re.compile(r"\b" + _MONTH + r"\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?,?\s+" + _YEAR + r"\b",
               re.IGNORECASE),
    re.compile(r"\b(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?" + _MONTH + r",?\s+" + _YEAR
               + r"\b", re.IGNORECASE),
    re.compile(r"\b(?P<a>\d{1,2})[/.](?P<b>\d{1,2})[/.]" + _YEAR + r"\b"),
]
_MONTH_ONLY = [
    re.compile(r"^\s*" + _YEAR + r"[-/.](?P<mm>\d{1,2})\s*$"),
    re.compile(r"^\s*" + _MONTH + r",?\s+" + _YEAR + r"\s*$", re.IGNORECASE),
]


@dataclass(frozen=True)
class ArticleInfo:
    """What the report and the periods need of an article: no text."""

    id: str
    title: str = ""
    source: str = ""
    date: dt.date | None = None
    url: str = ""

    def to_record(self) -> dict[str, str]:
        """The progress.jsonl record of a finished article (date as ISO text, "" if unknown)."""
        return {"id": self.id, "title": self.title, "source": self.source,
                "date": self.date.isoformat() if self.date else "", "url": self.url}

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> ArticleInfo:
        """The info a progress.jsonl record holds (a bare {"id": ...} from older runs too)."""
        try:
            day = dt.date.fromisoformat(record.get("date") or "")
        except ValueError:
            day = None
        return cls(str(record["id"]), str(record.get("title", "")),
                   str(record.get("source", "")), day, str(record.get("url", "")))


def find_date(text: str, within: int | None = None) -> dt.date | None:
    """The first full date in `text` (see the module docstring), or None; with `within`,
    only a date that starts within that many characters."""
    found = []
    for pattern in _FULL_DATE:
        for match in pattern.finditer(text):
            day = _to_date(match)
            if day is not None and (within is None or match.start() <= within):
                found.append((match.start(), day))
                break
    return min(found)[1] if found else None


def heading_date(text: str) -> dt.date | None:
    """The first date that a dateline or byline puts in the heading of `text`."""
    for line in text[:HEAD_CHARS].splitlines():
        line = line.strip()
        day = find_date(line, None if len(line) <= SHORT_LINE else DATELINE_SPAN)
        if day is not None:
            return day
    return None


def parse_date(value: str) -> dt.date | None:
    """A metadata date: a full date anywhere in `value`, or a month alone; else None."""
    day = find_date(value)
    if day is not None:
        return day
    for pattern in _MONTH_ONLY:
        match = pattern.match(value)
        if match:
            month = _month_number(match)
            if month:
                return dt.date(int(match["year"]), month, 1)
    return None


def article_date(article: Article) -> dt.date | None:
    """The article's date: its metadata, else a dateline or byline date in its heading."""
    from_metadata = parse_date(article.date) if article.date else None
    return from_metadata or heading_date(article.text)


def article_info(article: Article) -> ArticleInfo:
    """The article's title, source, date and url, without its text."""
    return ArticleInfo(article.id, article.title, article.source, article_date(article),
                       article.url)


def period_of(day: dt.date, by: str) -> str:
    """The period holding `day`: by "month" (2021-09), "quarter" (2021-Q3) or "year"."""
    if by == "month":
        return f"{day.year}-{day.month:02d}"
    if by == "quarter":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    if by == "year":
        return str(day.year)
    raise ValueError(f"unknown period {by!r}: use one of {', '.join(PERIODS)}")


class ArticleIndex:
    """The `ArticleInfo` of a run's articles, by id (read back from progress.jsonl)."""

    def __init__(self, infos: Iterable[ArticleInfo] = ()) -> None:
        self.info: dict[str, ArticleInfo] = {info.id: info for info in infos}

    def get(self, article_id: str) -> ArticleInfo | None:
        return self.info.get(article_id)

    def period(self, article_id: str, by: str) -> str | None:
        """The article's period, or None when its date is unknown."""
        info = self.info.get(article_id)
        return period_of(info.date, by) if info is not None and info.date else None


def _month_number(match: re.Match[str]) -> int | None:
    groups = match.groupdict()
    if groups.get("month"):
        return _MONTHS[groups["month"].lower()]
    month = int(groups["mm"])
    return month if 1 <= month <= 12 else None


def _to_date(match: re.Match[str]) -> dt.date | None:
    groups = match.groupdict()
    year = int(groups["year"])
    if groups.get("a"):
        a, b = int(groups["a"]), int(groups["b"])
        if a != b and a <= 12 and b <= 12:
            return None  # 03/04/2021: day-first or month-first is not certain
        month, day = (a, b) if b > 12 else (b, a)
    else:
        month = _month_number(match)
        day = int(groups["dd"] if groups.get("dd") else groups["day"])
    try:
        return dt.date(year, month, day) if month else None
    except ValueError:
        return None
