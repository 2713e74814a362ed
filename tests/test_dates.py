"""Tests for extractor.dates."""

from __future__ import annotations

import time
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from extractor.dates import DateValue, find_dates, parse_date

REF = date(2019, 1, 10)  # Solar Hijri 1397-10-20

CASES = [
    # text, lang, reference, start, end, granularity, calendar, resolved
    ("سال ۹۶", "fa", None, "2017-03-21", "2018-03-20", "year", "solar_hijri", True),
    ("در سال ۱۴۰۲", "fa", None, "2023-03-21", "2024-03-19", "year", "solar_hijri", True),
    ("۱۴۰۲", "fa", None, "2023-03-21", "2024-03-19", "year", "solar_hijri", True),
    ("۱۵ اردیبهشت ۱۴۰۲", "fa", None, "2023-05-05", "2023-05-05", "day", "solar_hijri", True),
    ("اردیبهشت ۱۴۰۲", "fa", None, "2023-04-21", "2023-05-21", "month", "solar_hijri", True),
    ("رمضان ۱۴۴۵", "ar", None, "2024-03-11", "2024-04-09", "month", "hijri", True),
    ("2024年3月7日", "zh", None, "2024-03-07", "2024-03-07", "day", "gregorian", True),
    ("2024年度", "zh", None, "2024-01-01", "2024-12-31", "year", "gregorian", True),
    ("2018-2020年", "zh", None, "2018-01-01", "2020-12-31", "year", "gregorian", True),
    ("2015—2017年", "zh", None, "2015-01-01", "2017-12-31", "year", "gregorian", True),
    ("1月22日", "zh", REF, "2019-01-22", "2019-01-22", "day", "gregorian", True),
    ("2024-03-07", None, None, "2024-03-07", "2024-03-07", "day", "gregorian", True),
    ("2024-03-07 16:41:31", None, None, "2024-03-07", "2024-03-07", "day", "gregorian", True),
    ("March 7, 2024", "en", None, "2024-03-07", "2024-03-07", "day", "gregorian", True),
    ("7 March 2024", "en", None, "2024-03-07", "2024-03-07", "day", "gregorian", True),
    ("去年", "zh", REF, "2018-01-01", "2018-12-31", "year", "gregorian", True),
    ("今年", "zh", REF, "2019-01-01", "2019-12-31", "year", "gregorian", True),
    ("本年", "zh", REF, "2019-01-01", "2019-12-31", "year", "gregorian", True),
    ("上半年", "zh", REF, "2019-01-01", "2019-06-30", "half", "gregorian", True),
    ("در سال گذشته", "fa", REF, "2017-03-21", "2018-03-20", "year", "solar_hijri", True),
    ("سال گذشته", "fa", REF, "2017-03-21", "2018-03-20", "year", "solar_hijri", True),
    ("امسال", "fa", REF, "2018-03-21", "2019-03-20", "year", "solar_hijri", True),
    ("سال جاری", "fa", REF, "2018-03-21", "2019-03-20", "year", "solar_hijri", True),
    ("العام الماضي", "ar", REF, "2018-01-01", "2018-12-31", "year", "gregorian", True),
    ("last year", "en", REF, "2018-01-01", "2018-12-31", "year", "gregorian", True),
    ("this year", "en", REF, "2019-01-01", "2019-12-31", "year", "gregorian", True),
]


@pytest.mark.parametrize("text,lang,ref,start,end,gran,cal,resolved", CASES, ids=[c[0] for c in CASES])
def test_parse_date(text, lang, ref, start, end, gran, cal, resolved):
    d = parse_date(text, lang=lang, reference=ref)
    assert d is not None
    assert (d.start.isoformat(), d.end.isoformat(), d.granularity, d.calendar, d.resolved) == (
        start, end, gran, cal, resolved)


@pytest.mark.parametrize("text", ["去年", "今年", "上半年", "سال گذشته", "امسال", "سال جاری",
                                  "العام الماضي", "last year", "this year"])
def test_relative_without_reference_is_not_guessed(text):
    d = parse_date(text)
    assert d is not None and d.resolved is False and d.start is None and d.end is None
    assert d.relative in ("last_year", "this_year", "first_half")


def test_month_day_without_year_is_unresolved():
    d = parse_date("1月22日")
    assert d.resolved is False and d.start is None and d.granularity == "day"


def test_find_dates_spans_in_seed_like_text():
    text = "發布時間: 2022-09-27 10:14:15 | 截至2022年8月底，1月22日(rì)召開2024年度會議，در سال ۹۶"
    found = find_dates(text)
    assert [text[s:e] for s, e, _ in found] == [
        "2022-09-27 10:14:15", "2022年8月", "1月22日", "2024年度", "سال ۹۶"]
    for s, e, d in found:
        assert d.text == text[s:e]


def test_invalid_calendar_values():
    assert parse_date("2024年2月30日") is None or parse_date("2024年2月30日").granularity != "day"
    assert parse_date("13月5日") is None


@pytest.mark.parametrize("text", ["", "no date", "医院召开会议", "12 clinics"])
def test_no_date(text):
    assert parse_date(text) is None


def test_large_input_fast():
    text = ("医院 بیمارستان 2024 hospital ۱۲ " * 40000)[:10**6]
    t0 = time.perf_counter()
    find_dates(text)
    assert time.perf_counter() - t0 < 5


@given(st.text(max_size=200))
@settings(max_examples=300, deadline=None)
def test_never_raises(text):
    for s, e, d in find_dates(text, reference=REF):
        assert isinstance(d, DateValue) and d.text == text[s:e]
    parse_date(text)


@given(st.dates(min_value=date(1950, 1, 1), max_value=date(2100, 12, 31)))
def test_roundtrip_gregorian(d):
    assert parse_date(d.isoformat()).start == d
    assert parse_date(f"{d.year}年{d.month}月{d.day}日").start == d
    assert parse_date(d.strftime("%B %-d, %Y")).start == d


@given(st.dates(min_value=date(1950, 1, 1), max_value=date(2090, 12, 31)))
def test_roundtrip_solar_hijri(d):
    import jdatetime

    j = jdatetime.date.fromgregorian(date=d)
    names = ["فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند"]
    text = f"{j.day} {names[j.month - 1]} {j.year}".translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹"))
    assert parse_date(text, lang="fa").start == d
