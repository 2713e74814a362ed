"""Score date-reading libraries on the peer conformance date cases: core accuracy per language,
silent wrong answers (core + borderline), import time and time per call.

    .venv/bin/python scripts/date_libraries.py [--cases ../shared/conformance/cases.jsonl]

Candidates that are not installed are skipped with a note (``pip install "dateparser[calendars]"``
to measure dateparser). Scoring is that of ``shared/conformance/conformance.py``: a hit when the
start day is the peer's (and the granularity, where the peer states one); a case whose peer expects
no date is a hit when nothing (or an unresolved date) comes back; a silent wrong answer is a date
returned that is not the peer's. The figures are quoted in ``docs/dates.md``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LANGS = ("ar", "en", "fa", "zh-Hans", "zh-Hant")
# What a reader returns for one case: (start day, granularity), or None for "no date".
Reader = Callable[[str, str, "date | None"], "tuple[date, str | None] | None"]


def _default_cases() -> Path:
    for base in (ROOT.parent / "shared", ROOT / "shared", ROOT.parent.parent / "shared"):
        if (base / "conformance" / "cases.jsonl").exists():
            return base / "conformance" / "cases.jsonl"
    return ROOT.parent / "shared" / "conformance" / "cases.jsonl"


def load_cases(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        cases = [json.loads(line) for line in f if line.strip()]
    return [c for c in cases if c["kind"] == "date"]


# ----------------------------------------------------------------------------- candidates

def extractor_reader() -> Reader:
    from extractor.dates import parse_date

    def read(text: str, lang: str, ref: date | None):
        d = parse_date(text, lang=lang, reference=ref)
        return None if d is None or d.start is None else (d.start, d.granularity)

    return read


def _dateparser_settings(ref: date | None) -> dict:
    settings = {"PREFER_DAY_OF_MONTH": "first", "RETURN_TIME_AS_PERIOD": False}
    if ref is not None:
        settings["RELATIVE_BASE"] = datetime(ref.year, ref.month, ref.day)
    return settings


def _dp_lang(lang: str) -> str:
    return "zh" if lang.startswith("zh") else lang


def _period(p: str | None) -> str | None:
    return "day" if p == "time" else p


def dateparser_reader() -> Reader:
    """``DateDataParser`` on the whole mention, the language given."""
    from dateparser.date import DateDataParser

    def read(text: str, lang: str, ref: date | None):
        data = DateDataParser(languages=[_dp_lang(lang)], settings=_dateparser_settings(ref)).get_date_data(text)
        return None if data.date_obj is None else (data.date_obj.date(), _period(data.period))

    return read


def dateparser_search_reader() -> Reader:
    """``search_dates`` (finds dates inside a sentence), first hit; its period from a re-parse."""
    from dateparser.date import DateDataParser
    from dateparser.search import search_dates

    def read(text: str, lang: str, ref: date | None):
        settings = _dateparser_settings(ref)
        hits = search_dates(text, languages=[_dp_lang(lang)], settings=settings)
        if not hits:
            return None
        sub, when = hits[0]
        data = DateDataParser(languages=[_dp_lang(lang)], settings=settings).get_date_data(sub)
        return when.date(), _period(data.period)

    return read


def dateparser_calendars_reader() -> Reader:
    """dateparser as we would have to wire it: its Jalali or Hijri calendar first for Persian or
    Arabic text holding a year below 1600, then ``search_dates``."""
    from dateparser.calendars.hijri import HijriCalendar
    from dateparser.calendars.jalali import JalaliCalendar

    from extractor.text.textnorm import to_ascii_digits

    search = dateparser_search_reader()

    def read(text: str, lang: str, ref: date | None):
        digits = to_ascii_digits(text)
        if lang in ("fa", "ar") and any(1200 <= int(y) < 1600 for y in _years(digits)):
            data = (JalaliCalendar if lang == "fa" else HijriCalendar)(text).get_date()
            if data is not None and data.date_obj is not None:
                return data.date_obj.date(), _period(data.period)
        return search(text, lang, ref)

    return read


def _years(s: str) -> list[str]:
    import re

    return re.findall(r"(?<!\d)\d{4}(?!\d)", s)


CANDIDATES: dict[str, tuple[str, Callable[[], Reader]]] = {
    "extractor (ours)": ("extractor.dates", extractor_reader),
    "dateparser": ("dateparser", dateparser_reader),
    "dateparser.search": ("dateparser", dateparser_search_reader),
    "dateparser+calendars": ("dateparser.calendars.jalali", dateparser_calendars_reader),
}


# -------------------------------------------------------------------------------- scoring

def score(read: Reader, cases: list[dict]) -> tuple[dict[str, list[bool]], int, float]:
    """(core hits per language, silent wrong answers in core+borderline, seconds per call)."""
    hits: dict[str, list[bool]] = defaultdict(list)
    silent = 0
    t0 = time.perf_counter()
    for c in cases:
        ref = date.fromisoformat(c["reference"]) if c.get("reference") else None
        try:
            got = read(c["text"], c["lang"], ref)
        except Exception:  # noqa: BLE001 - a library failure is a miss, never a crash
            got = None
        hit = _hit(got, c)
        if c.get("scope") == "core":
            hits[c["lang"]].append(hit)
        if not hit and got is not None and c.get("scope") != "questionable":
            silent += 1
    return hits, silent, (time.perf_counter() - t0) / max(1, len(cases))


def _hit(got: tuple[date, str | None] | None, c: dict) -> bool:
    if c.get("start") is None:
        return got is None
    if got is None or got[0].isoformat() != c["start"]:
        return False
    return not c.get("granularity") or got[1] == c["granularity"]


def import_seconds(module: str) -> float:
    """Seconds to import ``module`` in a fresh interpreter (what one worker process pays)."""
    code = f"import time; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def available(module: str) -> bool:
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", type=Path, default=_default_cases())
    args = ap.parse_args(argv)
    if not args.cases.exists():
        print(f"no conformance cases at {args.cases}; pass --cases")
        return 0
    cases = load_cases(args.cases)
    head = (f"{'candidate':<22}" + "".join(f"{lang:>9}" for lang in LANGS)
            + f"{'silent':>8}{'import s':>10}{'ms/call':>9}")
    print(head)
    print("-" * len(head))
    for name, (module, make) in CANDIDATES.items():
        if not available(module):
            print(f"{name:<22}  skipped: {module} not installed")
            continue
        read = make()
        read("2020-01-01", "en", None)  # warm-up: lazy loading of the library's own data
        hits, silent, per_call = score(read, cases)
        cells = "".join(f"{100 * sum(hits[lang]) / len(hits[lang]):8.1f}%" for lang in LANGS)
        print(f"{name:<22}{cells}{silent:>8}{import_seconds(module):>10.2f}{per_call * 1000:>9.3f}")
    print(f"\n{len(cases)} date cases; accuracy on core cases, silent wrong on core + borderline")
    return 0


if __name__ == "__main__":
    sys.exit(main())
