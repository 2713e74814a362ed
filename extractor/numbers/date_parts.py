"""What a written date states (:class:`Parts`) and the period it denotes (:class:`DateValue`).

A pattern reads only what is written into :class:`Parts`: a year, month, day, a half or quarter,
a year given relative to the publication date (去年), or a shift from it (yesterday). :func:`resolve`
turns that into first and last Gregorian day. Anything that needs the publication date comes back
unresolved (``resolved=False``, no days) when no ``reference`` is given; a day that does not exist
(2月30日) comes back as ``None``.

>>> resolve(Parts("gregorian", "day", y=2024, m=3, d=7), "2024年3月7日", None).start
datetime.date(2024, 3, 7)
>>> v = resolve(Parts("gregorian", "year", rel_year=-1, label="last_year"), "去年", None)
>>> v.resolved, v.start, v.relative
(False, None, 'last_year')
>>> resolve(Parts("gregorian", "day", m=2, d=30), "2月30日", None) is None
True
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Literal

from extractor.numbers import calendars as cal

__all__ = ["DateValue", "Granularity", "Parts", "resolve", "merge_range", "until_reference", "finer", "LAST_DAY"]

Granularity = Literal["day", "week", "month", "quarter", "half", "year", "decade", "unknown"]

# A year-less "15 September" or "一季度" is read in the publication year when that puts it within
# half a year of the publication date. Otherwise only a date just across New Year is read in the
# adjacent year ("28 December" in a 5 January article): writers drop the year of a date a few
# weeks away, not of one months away, so a farther one ("1 January" in a November article: last
# January or the coming one?) stays unresolved rather than guessed. A bare day (12日) likewise:
# the publication month within half a month, or the adjacent month within a week.
SAME_YEAR_DAYS, ACROSS_YEAR_DAYS = 183, 31
SAME_MONTH_DAYS, ACROSS_MONTH_DAYS = 15, 7
LAST_DAY = 99  # as ``Parts.d2``: the last day of the month, whatever its length (下旬)


@dataclass(frozen=True)
class DateValue:
    """A date or period: first and last Gregorian day (inclusive) and how it was written.

    ``granularity`` is the unit that was written (a range "2016年1月10日到12日" is two days of
    ``"day"`` granularity, start to end); ``calendar`` the calendar it was written in;
    ``resolved`` is False for a relative or year-less date read without a reference date,
    and ``relative`` names the relative expression (``"last_year"``, ``"yesterday"``...).
    """

    start: date | None
    end: date | None
    granularity: Granularity
    calendar: str
    text: str
    resolved: bool
    relative: str | None = None


@dataclass(frozen=True)
class Parts:
    """The fields a date pattern read. ``m2``/``d2``/``y2`` close a range written in one
    phrase (1-6月, 10-12 March, 1995-1997年); ``rel_year`` is a year relative to the reference
    (去年 = -1); ``shift`` moves ``shift_unit`` units from the reference (yesterday: -1 day; 上月15日:
    -1 month, then day 15); ``occurrence`` picks the month ``m`` before (-1) or after (1) the
    reference month (مارس الماضي, last March; اسفند آینده)."""

    calendar: str
    gran: Granularity
    y: int | None = None
    m: int | None = None
    d: int | None = None
    y2: int | None = None
    m2: int | None = None
    d2: int | None = None
    rel_year: int | None = None
    rel_year2: int | None = None  # the last year of a relative range (今明两年: 0 to 1)
    shift: int | None = None
    shift_unit: Literal["day", "week", "month", "quarter"] | None = None
    occurrence: int | None = None
    label: str | None = None
    week_start: int = 0  # 0 = Monday (ISO); 5 = Saturday (Iran); 6 = Sunday
    weekday: int | None = None  # "on Tuesday": 0 = Monday; the day is found from the reference
    # -1 on or before the reference (news reports the past), -2 before, -3 the one before that;
    # 1 on or after, 2 after, 3 the one after that
    weekday_dir: int = -1
    # With ``shift_unit="week"``, ``weekday`` is a day of that week (下周二, "Wednesday of next week").

    @property
    def needs_reference(self) -> bool:
        return self.y is None


def _possible(m: int | None, d: int | None, calendar: str) -> bool:
    """Whether month ``m`` can have day ``d`` in some year of ``calendar``."""
    if m is not None and not 1 <= (abs(m) if calendar == "chinese" else m) <= 12:
        return False  # a negative month is a leap month of the Chinese lunar calendar
    if d is None or d == LAST_DAY:
        return True
    if calendar == "chinese":
        return 0 <= d <= 30  # 0 is 除夕, the eve of the new year
    if calendar == "solar_hijri":
        longest = 31 if (m or 1) <= 6 else 30
    elif calendar == "hijri":
        longest = 30
    else:
        longest = (date(2000, m % 12 + 1, 1) - timedelta(days=1)).day if m else 31
    return 1 <= d <= longest


def _period(p: Parts, y: int, m: int | None) -> tuple[date, date]:
    """First and last day of what ``p`` writes, its year (and month, if it had none) given."""
    ey, em = p.y2 or y, p.m2 or m
    if p.d is not None:
        if m is None or em is None:
            raise ValueError("a day needs its month")
        start = cal.day(y, m, p.d, p.calendar)
        if p.d2 == LAST_DAY:
            return start, cal.month_period(ey, em, p.calendar)[1]
        return start, cal.day(ey, em, p.d2 or p.d, p.calendar)
    if m is not None:
        return cal.month_period(y, m, p.calendar)[0], cal.month_period(ey, em or m, p.calendar)[1]
    return cal.year_period(y, p.calendar)[0], cal.year_period(ey, p.calendar)[1]


def _shifted(p: Parts, ref: date) -> tuple[date, date]:
    """Period of a shift from the reference: yesterday, last month (+ day), last week (+ weekday),
    last quarter."""
    shift = p.shift or 0
    if p.shift_unit == "week":
        week = cal.week_period(ref, shift, p.week_start)
        if p.weekday is None:
            return week
        target = week[0] + timedelta(days=(p.weekday - p.week_start) % 7)
        return target, target
    if p.shift_unit == "day":
        target = ref + timedelta(days=shift)
        return target, target
    y, m = cal.month_of(ref, p.calendar)
    if p.shift_unit == "quarter":
        y, m = cal.shift_month(y, m - (m - 1) % 3, 3 * shift)
        return _period(replace(p, shift=None, m=m, m2=m + 2), y, m)
    y, m = cal.shift_month(y, m, shift)
    return _period(replace(p, shift=None), y, m)


def _weekday(p: Parts, ref: date) -> tuple[date, date]:
    """"on Tuesday": the latest Tuesday on or before the reference (a report tells what happened);
    after a future verb the first on or after it; "next Tuesday" the first after it.

    >>> _weekday(Parts("gregorian", "day", weekday=1), date(2021, 2, 11))[0]
    datetime.date(2021, 2, 9)
    """
    assert p.weekday is not None
    strict = abs(p.weekday_dir) >= 2  # "last Monday" on a Monday is a week before
    extra = timedelta(weeks=1 if abs(p.weekday_dir) == 3 else 0)  # the Monday before last / after next
    if p.weekday_dir < 0:
        back = (ref.weekday() - p.weekday) % 7
        target = ref - timedelta(days=back or (7 if strict else 0)) - extra
    else:
        ahead = (p.weekday - ref.weekday()) % 7
        target = ref + timedelta(days=ahead or (7 if strict else 0)) + extra
    return target, target


def _anchored(p: Parts, ref: date) -> tuple[date, date] | None:
    """Period of a year-less date read against the reference; None when too far to tell."""
    if p.rel_year is not None:
        y = cal.year_of(ref, p.calendar) + p.rel_year
        return _period(p if p.rel_year2 is None else replace(p, y2=y - p.rel_year + p.rel_year2), y, p.m)
    y, m = cal.month_of(ref, p.calendar)
    if p.calendar == "chinese" and p.m is not None:
        # Lunar years straddle Gregorian ones (腊月 falls in January): the one occurrence within
        # half a year of the reference, if there is exactly one.
        near = []
        for k in (-1, 0, 1):
            try:
                span = _period(p, y + k, p.m)
            except (ValueError, OverflowError):
                continue
            if cal.distance(*span, ref) <= SAME_YEAR_DAYS:
                near.append(span)
        return near[0] if len(near) == 1 else None
    if p.occurrence is not None and p.m is not None:
        before, after = p.m < m, p.m > m
        shift = {-1: 0 if before else -1, 1: 0 if after else 1}[p.occurrence]
        return _period(p, y + shift, p.m)
    if p.m is not None:
        tries = [((y + k, p.m), limit) for k, limit in ((0, SAME_YEAR_DAYS), (-1, ACROSS_YEAR_DAYS),
                                                         (1, ACROSS_YEAR_DAYS))]
    else:  # a bare day (12日)
        tries = [(cal.shift_month(y, m, k), limit) for k, limit in ((0, SAME_MONTH_DAYS), (-1, ACROSS_MONTH_DAYS),
                                                                    (1, ACROSS_MONTH_DAYS))]
    for (ty, tm), limit in tries:
        try:
            span = _period(p, ty, tm)
        except (ValueError, OverflowError):
            continue  # 29 February of a common year: the other year may have it
        if cal.distance(*span, ref) <= limit:
            return span
    return None


def _span(p: Parts, ref: date | None) -> tuple[date, date] | None:
    """First and last day of ``p``; None when it needs the reference and has none."""
    if p.y is not None and p.weekday is None and p.shift is None:
        return _period(p, p.y, p.m)
    if ref is None:
        return None
    if p.shift is not None:
        return _shifted(p, ref)
    if p.weekday is not None:
        return _weekday(p, ref)
    return _anchored(p, ref)


def resolve(p: Parts, text: str, reference: date | None) -> DateValue | None:
    """The period ``p`` denotes, unresolved when it needs a missing reference, None when impossible."""
    if not _possible(p.m, p.d, p.calendar) or not _possible(p.m2 or p.m, p.d2, p.calendar):
        return None
    if p.needs_reference and reference is None:
        return DateValue(None, None, p.gran, p.calendar, text, False, p.label)
    try:
        span = _span(p, reference)
    except (ValueError, OverflowError, TypeError):
        return None  # a day the calendar does not have, or one outside its tables
    if span is None:
        return DateValue(None, None, p.gran, p.calendar, text, False, p.label)
    if span[1] < span[0]:
        return None
    return DateValue(span[0], span[1], p.gran, p.calendar, text, True, p.label)


def _fill(p: Parts, other: Parts) -> Parts:
    """``p`` with the year (and month) it leaves out taken from ``other``: "6月30日" after
    "2019年6月1日-", "10 March" before "- 12 April 2020"."""
    if p.y is not None or p.rel_year is not None or p.shift is not None:
        return p
    if other.y is None and other.rel_year is None:
        return p
    m = p.m if p.m is not None or p.d is None else other.m
    return replace(p, y=other.y, rel_year=other.rel_year, m=m,
                   label=p.label or other.label)


_FINEST_FIRST = ("day", "week", "month", "quarter", "half", "year", "decade", "unknown")


def finer(a: Granularity, b: Granularity) -> Granularity:
    """The finer of two units: a range from a month to a day ("从上个月到今天") is counted in days."""
    return a if _FINEST_FIRST.index(a) <= _FINEST_FIRST.index(b) else b


def merge_range(a: Parts, b: Parts, text: str, reference: date | None) -> DateValue | None:
    """One period from ``a`` to ``b`` ("2016年9月3号-2017年10月24号", "از امروز تا فردا"); None
    when the two do not make a range (other calendars, end before start, one side not a date).
    Two written dates lend each other the year (and month) one of them leaves out; a date given
    relative to the reference (a shift, a weekday) lends nothing and borrows nothing."""
    relative = any(p.shift is not None or p.weekday is not None for p in (a, b))
    if not relative:
        if a.calendar != b.calendar:
            return None
        a, b = _fill(a, b), _fill(b, a)
    va, vb = resolve(a, text, reference), resolve(b, text, reference)
    if va is None or vb is None or va.resolved != vb.resolved:
        return None
    gran = finer(a.gran, b.gran)
    if not va.resolved:
        return DateValue(None, None, gran, a.calendar, text, False, a.label or b.label)
    if va.start is None or vb.end is None or vb.end < va.start:
        return None
    return DateValue(va.start, vb.end, gran, a.calendar, text, True, a.label or b.label)


def until_reference(a: Parts, text: str, reference: date | None) -> DateValue | None:
    """From the start of ``a`` to the reference date ("2001年起至今", "from 2015 to date"), the
    end counted in days; unresolved without a reference, None when ``a`` starts after it."""
    va = resolve(a, text, reference)
    if va is None:
        return None
    if reference is None or not va.resolved or va.start is None:
        return DateValue(None, None, "day", a.calendar, text, False, a.label or "until_reference")
    if va.start > reference:
        return None
    return DateValue(va.start, reference, "day", a.calendar, text, True, a.label or "until_reference")
