"""Calendar arithmetic for the date reader: periods of the Gregorian, Solar Hijri and Hijri calendars.

Every period is returned as its first and last Gregorian day (inclusive), which is what a fact
table needs to compare a Persian "اردیبهشت ۱۴۰۲" with an English "May 2023". Solar Hijri goes
through :mod:`jdatetime`, lunar Hijri through :mod:`hijridate` (Umm al-Qura tables, 1343-1500 AH),
the Chinese lunar calendar through :mod:`lunar_python` (new moons computed, any year); all raise
``ValueError``/``OverflowError`` for a day that does not exist, which callers treat as
"not a date".

>>> month_period(1402, 2, "solar_hijri")
(datetime.date(2023, 4, 21), datetime.date(2023, 5, 21))
>>> months_period(2024, 7, 12, "gregorian")
(datetime.date(2024, 7, 1), datetime.date(2024, 12, 31))
>>> day(1445, 9, 1, "hijri")
datetime.date(2024, 3, 11)
>>> day(2012, 1, 8, "chinese"), month_period(2020, -4, "chinese")
(datetime.date(2012, 1, 30), (datetime.date(2020, 5, 23), datetime.date(2020, 6, 20)))
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache
from typing import Any, Literal

__all__ = ["Calendar", "day", "lunar_new_year", "month_period", "months_period", "year_period", "year_of",
           "month_of", "shift_month", "week_period", "expand_two_digit_year", "distance"]

Calendar = Literal["gregorian", "solar_hijri", "hijri", "chinese"]


def _jalali(y: int, m: int, d: int) -> date:
    import jdatetime  # imported on first use: most texts never need it

    g: date = jdatetime.date(y, m, d).togregorian()
    return g


def _lunar_month(y: int, m: int) -> Any:
    """The lunar month ``m`` of lunar year ``y`` (a negative ``m`` is the leap month after ``-m``),
    from :mod:`lunar_python` (computed from the astronomical new moons, any year)."""
    from lunar_python import LunarMonth

    month = LunarMonth.fromYm(y, m)
    if month is None:
        raise ValueError(f"lunar year {y} has no month {m}")
    return month


def _lunar_month_start(y: int, m: int) -> date:
    from lunar_python import Solar

    s = Solar.fromJulianDay(_lunar_month(y, m).getFirstJulianDay())
    return date(s.getYear(), s.getMonth(), s.getDay())


def _lunar(y: int, m: int, d: int) -> date:
    """Day ``d`` of lunar month ``m`` (negative: the leap month) of lunar year ``y``; day 0 of the
    first month is 除夕, the eve of the new year."""
    if d == 0 and m == 1:
        return _lunar_month_start(y, 1) - timedelta(days=1)
    if not 1 <= d <= _lunar_month(y, m).getDayCount():
        raise ValueError(f"lunar month {m} of {y} has no day {d}")
    return _lunar_month_start(y, m) + timedelta(days=d - 1)


def lunar_new_year(y: int) -> date:
    """The Gregorian day of the Chinese lunar new year that falls in Gregorian year ``y``.

    >>> lunar_new_year(2026)
    datetime.date(2026, 2, 17)
    """
    return _lunar(y, 1, 1)


def _hijri(y: int, m: int, d: int) -> date:
    from hijridate import Hijri

    return date(*Hijri(y, m, d).to_gregorian().datetuple())


def _hijri_month_length(y: int, m: int) -> int:
    from hijridate import Hijri

    return Hijri(y, m, 1).month_length()


@lru_cache(maxsize=8192)  # jdatetime spends most of a conversion consulting the locale
def day(y: int, m: int, d: int, calendar: str) -> date:
    """The Gregorian day of ``y-m-d`` in ``calendar``; ``ValueError`` when it does not exist.

    >>> day(1394, 6, 3, "solar_hijri")
    datetime.date(2015, 8, 25)
    """
    if calendar == "solar_hijri":
        return _jalali(y, m, d)
    if calendar == "hijri":
        return _hijri(y, m, d)
    if calendar == "chinese":  # lunar year y (whose new year falls in Gregorian year y); m < 0: leap month
        return _lunar(y, m, d)
    return date(y, m, d)


def shift_month(y: int, m: int, k: int) -> tuple[int, int]:
    """``(year, month)`` ``k`` months after ``y-m`` (every supported calendar has 12 months).

    >>> shift_month(2024, 1, -1)
    (2023, 12)
    """
    n = y * 12 + (m - 1) + k
    return n // 12, n % 12 + 1


def _month_start(y: int, m: int, calendar: str) -> date:
    return day(y, m, 1, calendar)


def months_period(y: int, m1: int, m2: int, calendar: str) -> tuple[date, date]:
    """First day of month ``m1`` to last day of month ``m2`` of year ``y``."""
    if calendar == "chinese":
        return _lunar_months_period(y, m1, m2)
    if not (1 <= m1 <= m2 <= 12):
        raise ValueError(f"months {m1}-{m2}")
    # The day before the next month starts: no calendar's month lengths to tabulate.
    ny, nm = shift_month(y, m2, 1)
    if calendar == "hijri" and (ny, nm) == (y + 1, 1):
        end = _hijri(y, 12, _hijri_month_length(y, 12))  # the table may stop after this year
    else:
        end = _month_start(ny, nm, calendar) - timedelta(days=1)
    return _month_start(y, m1, calendar), end


def _lunar_months_period(y: int, m1: int, m2: int) -> tuple[date, date]:
    """First day of lunar month ``m1`` to last day of lunar month ``m2`` (a leap month, negative,
    counts as its own month); a leap month after ``m2`` is not part of ``m2``."""
    if not (1 <= abs(m1) <= abs(m2) <= 12):
        raise ValueError(f"lunar months {m1}-{m2}")
    last = _lunar_month(y, m2)
    return _lunar_month_start(y, m1), _lunar_month_start(y, m2) + timedelta(days=last.getDayCount() - 1)


def month_period(y: int, m: int, calendar: str) -> tuple[date, date]:
    """First and last day of month ``m`` of year ``y``."""
    return months_period(y, m, m, calendar)


def year_period(y: int, calendar: str) -> tuple[date, date]:
    """First and last day of year ``y``.

    >>> year_period(1396, "solar_hijri")
    (datetime.date(2017, 3, 21), datetime.date(2018, 3, 20))
    """
    return months_period(y, 1, 12, calendar)


def year_of(ref: date, calendar: str) -> int:
    """The year of ``ref`` in ``calendar``."""
    return month_of(ref, calendar)[0]


@lru_cache(maxsize=1024)
def month_of(ref: date, calendar: str) -> tuple[int, int]:
    """``(year, month)`` of ``ref`` in ``calendar``.

    >>> month_of(date(2019, 1, 10), "solar_hijri")
    (1397, 10)
    """
    if calendar == "solar_hijri":
        import jdatetime

        j = jdatetime.date.fromgregorian(date=ref)
        return j.year, j.month
    if calendar == "hijri":
        from hijridate import Gregorian

        h = Gregorian(ref.year, ref.month, ref.day).to_hijri()
        return h.year, h.month
    # "chinese" (the new-year days): years are counted as Gregorian years, as 今年除夕 is said.
    return ref.year, ref.month


def week_period(ref: date, shift: int, first_weekday: int) -> tuple[date, date]:
    """The week ``shift`` weeks from the one holding ``ref``; weeks start on ``first_weekday``
    (0 = Monday, as ``date.weekday``; 5 = Saturday, the Iranian week).

    >>> week_period(date(2024, 3, 7), -1, 0)
    (datetime.date(2024, 2, 26), datetime.date(2024, 3, 3))
    """
    start = ref - timedelta(days=(ref.weekday() - first_weekday) % 7) + timedelta(weeks=shift)
    return start, start + timedelta(days=6)


def expand_two_digit_year(yy: int, calendar: str) -> int:
    """A two-digit year in the century a modern news text means: below 50 the current
    century (``02`` is 2002, 1402 SH or 1402 AH), else the previous one (``96`` is 1996 or 1396).

    A fixed pivot, not today's date, so that the same text always reads the same.

    >>> expand_two_digit_year(96, "solar_hijri"), expand_two_digit_year(8, "gregorian")
    (1396, 2008)
    """
    base = 1300 if calendar in ("solar_hijri", "hijri") else 1900
    return base + 100 + yy if yy < 50 else base + yy


def distance(start: date, end: date, ref: date) -> int:
    """Days between ``ref`` and the period ``start..end`` (0 when ``ref`` falls inside).

    >>> distance(date(2024, 3, 1), date(2024, 3, 31), date(2024, 4, 10))
    10
    """
    if ref < start:
        return (start - ref).days
    if ref > end:
        return (ref - end).days
    return 0
