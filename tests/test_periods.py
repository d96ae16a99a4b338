"""Article dates from metadata or the top of the text, and periods."""

from __future__ import annotations

import datetime as dt

import pytest

from stancekit.periods import (
    ArticleIndex,
    ArticleInfo,
    article_date,
    article_info,
    find_date,
    parse_date,
    period_of,
)
from stancekit.records import Article


@pytest.mark.parametrize("text, expected", [
    ("RIVERTON, March 3, 2021 (Wire) -- The council met.", dt.date(2021, 3, 3)),
    ("Posted on 14 Feb. 2019 by the desk", dt.date(2019, 2, 14)),
    ("Published: 2018/6/4 10:22", dt.date(2018, 6, 4)),
    ("Updated 2020-11-30T08:00Z", dt.date(2020, 11, 30)),
    ("Date: 25/10/2018", dt.date(2018, 10, 25)),
    ("Date: 10/25/2018", dt.date(2018, 10, 25)),
    ("Date: 02/10/2018", None),  # day-first or month-first: not certain
    ("Sept. 31, 2021 is not a day", None),
    ("No date here, only the year 2021.", None),
])
def test_find_date(text, expected):
    assert find_date(text) == expected


def test_metadata_may_give_a_month_but_not_a_year_alone():
    assert parse_date("2021-09") == dt.date(2021, 9, 1)
    assert parse_date("September 2021") == dt.date(2021, 9, 1)
    assert parse_date("2021") is None


def test_article_date_prefers_metadata_and_reads_only_the_top_of_the_text():
    text = "Council votes\nRIVERTON, May 2, 2022 -- The council voted.\n"
    assert article_date(Article("a", text)) == dt.date(2022, 5, 2)
    assert article_date(Article("a", text, date="2023-01-15")) == dt.date(2023, 1, 15)
    assert article_date(Article("a", text, date="soon")) == dt.date(2022, 5, 2)
    late = "Council votes\n" + "The council met again. " * 40 + "It first met on May 2, 1990."
    assert article_date(Article("a", late)) is None
    event = ("Council votes\nWhen the newly elected mayor of the town takes office on "
             "January 20, 2021, the council will have to decide on the toll within weeks.\n")
    assert article_date(Article("a", event)) is None  # an event in a sentence, not a dateline
    byline = "Council votes\nBy Ann Lee | Published March 3, 2021, 10:14\nThe council met.\n"
    assert article_date(Article("a", byline)) == dt.date(2021, 3, 3)


def test_periods_sort_in_time_order():
    day = dt.date(2021, 8, 9)
    assert [period_of(day, by) for by in ("month", "quarter", "year")] == [
        "2021-08", "2021-Q3", "2021"]
    assert period_of(dt.date(2021, 12, 1), "quarter") > period_of(day, "quarter")
    with pytest.raises(ValueError, match="unknown period"):
        period_of(day, "week")


def test_article_index_from_progress_records():
    articles = [Article("a", "x", title="T", source="S", date="2021-02-03"), Article("b", "y")]
    records = [article_info(a).to_record() for a in articles]
    assert records[0]["date"] == "2021-02-03" and records[1]["date"] == ""
    index = ArticleIndex(ArticleInfo.from_record(r) for r in records)
    assert index.get("a").title == "T" and index.period("a", "quarter") == "2021-Q1"
    assert index.period("b", "year") is None and index.period("zzz", "year") is None

