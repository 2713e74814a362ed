"""Measure Chinese lunar-calendar packages for the date reader: licence, agreement with published
dates, agreement with each other on every lunar month start 1901-2099, and time per conversion.

    .venv/bin/pip install lunardate borax lunarcalendar   # only to measure; lunar-python is a dependency
    .venv/bin/python scripts/lunar_libraries.py

Candidates that are not installed are skipped. "facts" are lunar dates whose Gregorian day is
published (new years, leap months, festivals); "disagreements" count month starts on which a
candidate differs from lunar-python (which computes the new moons) — where two tables differ, at
least one is wrong. The figures are quoted in ``docs/dates.md``.
"""

from __future__ import annotations

import importlib.metadata as md
import time
from collections.abc import Callable
from datetime import date

# (lunar year, month, day, leap month?) -> Gregorian day, from published calendars.
FACTS = [((2012, 1, 8, False), date(2012, 1, 30)), ((2020, 4, 1, True), date(2020, 5, 23)),
         ((2023, 2, 1, True), date(2023, 3, 22)), ((2017, 6, 1, True), date(2017, 7, 23)),
         ((2025, 6, 1, True), date(2025, 7, 25)), ((2024, 1, 1, False), date(2024, 2, 10)),
         ((2021, 8, 15, False), date(2021, 9, 21)), ((2022, 12, 8, False), date(2022, 12, 30)),
         ((1984, 1, 1, False), date(1984, 2, 2)), ((2033, 11, 1, True), date(2033, 12, 22))]
Convert = Callable[[int, int, int, bool], date]


def _lunar_python() -> Convert:
    from lunar_python import Lunar

    def convert(y: int, m: int, d: int, leap: bool) -> date:
        s = Lunar.fromYmd(y, -m if leap else m, d).getSolar()
        return date(s.getYear(), s.getMonth(), s.getDay())
    return convert


def _borax() -> Convert:
    from borax.calendars.lunardate import LunarDate

    return lambda y, m, d, leap: LunarDate(y, m, d, int(leap)).to_solar_date()


def _lunardate() -> Convert:
    from lunardate import LunarDate

    return lambda y, m, d, leap: LunarDate(y, m, d, leap).to_solar_date()


def _lunarcalendar() -> Convert:
    from lunarcalendar import Converter, Lunar

    return lambda y, m, d, leap: Converter.Lunar2Solar(Lunar(y, m, d, isleap=leap)).to_date()


CANDIDATES = {"lunar-python": _lunar_python, "borax": _borax, "lunardate": _lunardate, "lunarcalendar": _lunarcalendar}


def _month_starts() -> list[tuple[int, int, bool]]:
    from lunar_python import LunarYear

    out = []
    for y in range(1901, 2100):
        for month in LunarYear.fromYear(y).getMonthsInYear():
            if month.getYear() == y:
                out.append((y, abs(month.getMonth()), month.getMonth() < 0))
    return out


def main() -> None:
    reference = _lunar_python()
    starts = _month_starts()
    print(f"{'candidate':<14} {'version':<9} {'licence':<22} {'facts':>6} {'disagree':>9} {'us/call':>8}")
    for name, make in CANDIDATES.items():
        try:
            convert = make()
            meta = md.metadata(name)
        except (ImportError, md.PackageNotFoundError):
            print(f"{name:<14} not installed")
            continue
        facts = 0
        for args, want in FACTS:
            try:
                facts += convert(*args) == want
            except Exception:  # noqa: BLE001 - a failed conversion is a wrong one
                pass
        disagree = 0
        for y, m, leap in starts:
            try:
                same = convert(y, m, 1, leap) == reference(y, m, 1, leap)
            except Exception:  # noqa: BLE001
                same = False
            disagree += not same
        t0 = time.perf_counter()
        for _ in range(2000):
            convert(2012, 1, 8, False)
        us = (time.perf_counter() - t0) / 2000 * 1e6
        licence = (meta.get("License") or meta.get("License-Expression") or "?")[:22]
        print(f"{name:<14} {meta['Version']:<9} {licence:<22} {facts:>3}/{len(FACTS):<2} {disagree:>4}/{len(starts):<4}"
              f" {us:>8.1f}")


if __name__ == "__main__":
    main()
