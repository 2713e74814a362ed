"""Deterministic reading of dates and periods in Chinese, Persian, Arabic and English news.

Dates are returned as the period they denote (first and last day, Gregorian), with the
calendar they were written in. Relative references ("去年", "سال گذشته", "last year")
are resolved only against an explicit ``reference`` date (the article's publication
date); without one they come back with ``resolved=False`` and no dates, never guessed.

>>> parse_date("سال ۹۶").start.isoformat(), parse_date("سال ۹۶").end.isoformat()
('2017-03-21', '2018-03-20')
>>> parse_date("2024年3月7日").start
datetime.date(2024, 3, 7)
>>> parse_date("1月22日").resolved
False
>>> parse_date("去年", reference=date(2024, 3, 7)).start
datetime.date(2023, 1, 1)
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from extractor.text.textnorm import PINYIN_ANNOTATION, arabic_script_pattern, to_ascii_digits

__all__ = ["DateValue", "parse_date", "find_dates"]

Granularity = Literal["day", "month", "year", "unknown"]
Calendar = Literal["gregorian", "solar_hijri", "hijri", "chinese"]


@dataclass(frozen=True)
class DateValue:
    start: date | None
    end: date | None
    granularity: Granularity
    calendar: Calendar
    text: str
    resolved: bool
    relative: str | None = None


# ---------------------------------------------------------------------------
# Normalisation shared with extractor.numbers.quantities: digits to ASCII (one for one), inline
# pinyin and invisible characters removed, with a map back to the original offsets.

_INVISIBLE = re.compile("[\u200b-\u200f\u2060\ufeff\u202a-\u202e\u2066-\u2069\u0640\u00ad]+")
_ONE_FOR_ONE = str.maketrans({"％": "%", "．": ".", "\u00a0": " ", "\u3000": " ", "\u202f": " ",
                              "－": "-", "～": "~", "：": ":"})


class _Normalized:
    """``text`` normalised for scanning, with ``orig(i)`` mapping offsets back."""

    __slots__ = ("text", "_nstarts", "_ostarts")

    def __init__(self, original: str) -> None:
        cuts: list[tuple[int, int]] = []
        for m in PINYIN_ANNOTATION.finditer(original):
            cuts.append(m.span())
        for m in _INVISIBLE.finditer(original):
            cuts.append(m.span())
        cuts.sort()
        parts: list[str] = []
        nstarts = [0]
        ostarts = [0]
        pos = 0
        npos = 0
        for a, b in cuts:
            if a < pos:  # overlapping cut
                a = pos
            if b <= pos:
                continue
            parts.append(original[pos:a])
            npos += a - pos
            pos = b
            nstarts.append(npos)
            ostarts.append(pos)
        parts.append(original[pos:])
        self.text = to_ascii_digits("".join(parts)).translate(_ONE_FOR_ONE)
        self._nstarts = nstarts
        self._ostarts = ostarts

    def orig(self, i: int) -> int:
        k = bisect_right(self._nstarts, i) - 1
        return self._ostarts[k] + (i - self._nstarts[k])

    def span(self, a: int, b: int) -> tuple[int, int]:
        """Original span of normalised ``[a, b)``; the end follows the last kept character,
        so pinyin after a unit (個(gè)) stays outside the span."""
        if b <= a:
            o = self.orig(a)
            return o, o
        return self.orig(a), self.orig(b - 1) + 1


# ---------------------------------------------------------------------------
# Calendars

def _year_period(y: int, calendar: str) -> tuple[date, date]:
    if calendar == "solar_hijri":
        import jdatetime

        s = jdatetime.date(y, 1, 1).togregorian()
        e = jdatetime.date(y + 1, 1, 1).togregorian() - timedelta(days=1)
        return s, e
    if calendar == "hijri":
        from hijridate import Hijri

        s = _hd(Hijri(y, 1, 1).to_gregorian())
        e = _hd(Hijri(y, 12, Hijri(y, 12, 1).month_length()).to_gregorian())
        return s, e
    return date(y, 1, 1), date(y, 12, 31)


def _hd(g) -> date:
    return date(*g.datetuple())


def _month_period(y: int, m: int, calendar: str) -> tuple[date, date]:
    if calendar == "solar_hijri":
        import jdatetime

        s = jdatetime.date(y, m, 1).togregorian()
        ny, nm = (y + 1, 1) if m == 12 else (y, m + 1)
        return s, jdatetime.date(ny, nm, 1).togregorian() - timedelta(days=1)
    if calendar == "hijri":
        from hijridate import Hijri

        h = Hijri(y, m, 1)
        return _hd(h.to_gregorian()), _hd(Hijri(y, m, h.month_length()).to_gregorian())
    ny, nm = (y + 1, 1) if m == 12 else (y, m + 1)
    return date(y, m, 1), date(ny, nm, 1) - timedelta(days=1)


def _day(y: int, m: int, d: int, calendar: str) -> date:
    if calendar == "solar_hijri":
        import jdatetime

        return jdatetime.date(y, m, d).togregorian()
    if calendar == "hijri":
        from hijridate import Hijri

        return _hd(Hijri(y, m, d).to_gregorian())
    return date(y, m, d)


def _ref_year(reference: date, calendar: str) -> int:
    if calendar == "solar_hijri":
        import jdatetime

        return jdatetime.date.fromgregorian(date=reference).year
    if calendar == "hijri":
        from hijridate import Gregorian

        return Gregorian(reference.year, reference.month, reference.day).to_hijri().year
    return reference.year


# ---------------------------------------------------------------------------
# Vocabulary

_SOLAR_MONTHS = ["فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور",
                 "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند"]
_HIJRI_MONTHS = [
    ["محرم"], ["صفر"], ["ربيع الأول", "ربيع الاول", "ربیع الاول"],
    ["ربيع الآخر", "ربيع الثاني", "ربیع الثانی"], ["جمادى الأولى", "جمادى الاولى", "جمادی الاول"],
    ["جمادى الآخرة", "جمادى الثانية", "جمادی الثانی"], ["رجب"], ["شعبان"], ["رمضان"], ["شوال"],
    ["ذو القعدة", "ذي القعدة", "ذیقعده", "ذی‌القعده"], ["ذو الحجة", "ذي الحجة", "ذیحجه", "ذی‌الحجه"],
]
_AR_GREG_MONTHS = [
    ["يناير", "كانون الثاني", "ژانویه"], ["فبراير", "شباط", "فوریه"], ["مارس", "آذار"],
    ["أبريل", "ابريل", "نيسان", "آوریل"], ["مايو", "أيار", "مه"], ["يونيو", "حزيران", "ژوئن"],
    ["يوليو", "تموز", "ژوئیه"], ["أغسطس", "اغسطس", "آب", "اوت"], ["سبتمبر", "أيلول", "سپتامبر"],
    ["أكتوبر", "اكتوبر", "تشرين الأول", "اکتبر"], ["نوفمبر", "تشرين الثاني", "نوامبر"],
    ["ديسمبر", "كانون الأول", "دسامبر"],
]
_EN_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august",
              "september", "october", "november", "december"]


_letters = arabic_script_pattern


_MONTH_LOOKUP: dict[str, tuple[str, int]] = {}


def _month_alt(groups: list[list[str]], calendar: str) -> str:
    alts = []
    for i, names in enumerate(groups, 1):
        for n in names:
            _MONTH_LOOKUP[_fold_ar(n)] = (calendar, i)
            alts.append(n)
    alts.sort(key=len, reverse=True)
    return "(?:" + "|".join(_letters(a) for a in alts) + ")"


def _fold_ar(s: str) -> str:
    s = re.sub(r"\s+", "", s.replace("\u200c", ""))
    return s.translate(str.maketrans("يىكأإةآ", "ییکااها"))


_FA_M = _month_alt([[m] for m in _SOLAR_MONTHS], "solar_hijri")
_HJ_M = _month_alt(_HIJRI_MONTHS, "hijri")
_AG_M = _month_alt(_AR_GREG_MONTHS, "gregorian")
_EN_M = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
_AW = r"(?![\u0621-\u064a\u0671-\u06d3\u06fa-\u06ff])"  # end of an Arabic-script word
_AB = r"(?<![\u0621-\u064a\u0671-\u06d3\u06fa-\u06ff])"  # start of one

_RANGE = r"\s*[-–—~至到]\s*"
_PATTERN = re.compile(
    "|".join([
        # ISO / slashed dates, optionally with a time; the year decides the calendar.
        r"(?P<iso>(?<!\d)(?P<iy>\d{4})(?P<isep>[-/.])(?P<im>\d{1,2})(?P=isep)(?P<id>\d{1,2})(?!\d)"
        r"(?:[T ]\d{1,2}:\d{2}(?::\d{2})?(?!\d))?)",
        r"(?P<dmy>(?<![\d/])(?P<dd>\d{1,2})/(?P<dm>\d{1,2})/(?P<dy>\d{4})(?!\d))",
        # Chinese
        r"(?P<zymd>(?<!\d)(?P<zy>\d{4})\s*年\s*(?P<zm>\d{1,2})\s*月(?:\s*(?P<zd>\d{1,2})\s*[日号號])?)",
        r"(?P<zyr>(?<!\d)(?P<zy1>\d{4})" + _RANGE + r"(?P<zy2>\d{4})\s*年(?:度)?)",
        r"(?P<zyy>(?<!\d)(?P<zy0>\d{4})\s*年(?P<zdu>度)?)(?![龄齡级級])",
        r"(?P<zmd>(?<!\d)(?P<zm0>\d{1,2})\s*月(?:\s*(?P<zd0>\d{1,2})\s*[日号號])?)(?![龄齡])",
        r"(?P<zrel>去年|今年|本年|明年|前年|上半年|下半年|本年度|今年度)",
        # Persian solar-hijri day/month
        r"(?P<fdmy>(?<!\d)(?P<fd>\d{1,2})\s*(?P<fm>" + _FA_M + r")" + _AW + r"(?:\s*ماه)?(?:\s*(?:سال\s*)?(?P<fy>\d{4}|\d{2})(?!\d))?)",
        r"(?P<fmy>" + _AB + r"(?P<fm2>" + _FA_M + r")" + _AW + r"(?:\s*ماه)?\s*(?:سال\s*)?(?P<fy2>\d{4})(?!\d))",
        # Hijri day/month
        r"(?P<hdmy>(?:(?<!\d)(?P<hd>\d{1,2})\s*)?" + _AB + r"(?P<hm>" + _HJ_M + r")" + _AW + r"\s*(?:سنة\s*|سال\s*)?(?P<hy>\d{4})(?!\d)\s*(?:هـ|ه\.?ق|ق)?)",
        # Arabic/Persian-written Gregorian months
        r"(?P<admy>(?:(?<!\d)(?P<ad>\d{1,2})\s*)?" + _AB + r"(?P<am>" + _AG_M + r")" + _AW + r"\s*(?:سنة\s*|سال\s*|عام\s*)?(?P<ay>\d{4})(?!\d))",
        # Year words
        r"(?P<fyear>" + _AB + r"(?:سال|سنة|عام|العام)(?:های)?\s*(?P<fy0>\d{4}|\d{2})(?![\d.,٫]))",
        r"(?P<frel>سال\s*گذشته|پارسال|امسال|سال\s*جاری|سال\s*آینده|سال\s*بعد)",
        r"(?P<arel>العام\s*الماضي|السنة\s*الماضية|العام\s*الحالي|العام\s*الجاري|هذا\s*العام|السنة\s*الحالية|العام\s*المقبل|العام\s*القادم)",
        # English
        r"(?P<emdy>(?i:\b(?P<em>" + _EN_M + r")\.?\s+(?P<ed>\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(?P<ey>\d{4}))?(?!\d)))",
        r"(?P<edmy>(?i:(?<!\d)(?P<ed2>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<em2>" + _EN_M + r")\b\.?(?:,?\s+(?P<ey2>\d{4})(?!\d))?))",
        r"(?P<emy>(?i:\b(?P<em3>" + _EN_M + r")\.?,?\s+(?P<ey3>\d{4})(?!\d)))",
        r"(?P<eyear>(?i:\b(?:in|since|during|year|fy)\s+(?P<ey0>\d{4})(?![\d,.])))",
        r"(?P<erel>(?i:\b(?:last|this|next|previous|current)\s+year\b))",
    ])
)

_REL = {
    "去年": "last_year", "今年": "this_year", "本年": "this_year", "本年度": "this_year",
    "今年度": "this_year", "明年": "next_year", "前年": "year_before_last",
    "上半年": "first_half", "下半年": "second_half",
    "last": "last_year", "previous": "last_year", "this": "this_year", "current": "this_year",
    "next": "next_year",
}
_REL_OFFSET = {"last_year": -1, "this_year": 0, "next_year": 1, "year_before_last": -2,
               "first_half": 0, "second_half": 0}


def _relative(rel: str, text: str, calendar: str, reference: date | None) -> DateValue:
    gran = "month" if rel in ("first_half", "second_half") else "year"
    if reference is None:
        return DateValue(None, None, gran, calendar, text, False, rel)
    y = _ref_year(reference, calendar) + _REL_OFFSET[rel]
    s, e = _year_period(y, calendar)
    if rel == "first_half":
        s, e = _month_period(y, 1, calendar)[0], _month_period(y, 6, calendar)[1]
    elif rel == "second_half":
        s, e = _month_period(y, 7, calendar)[0], _month_period(y, 12, calendar)[1]
    return DateValue(s, e, gran, calendar, text, True, rel)


def _detect_calendar_for_year(y: int, ctx: str) -> str:
    # A four-digit year below 1600 cannot be a Gregorian year in modern news: in Persian
    # script it is Solar Hijri (1402), in Arabic script Islamic Hijri (1445).
    if y >= 1600:
        return "gregorian"
    return "hijri" if ctx == "ar" else "solar_hijri"


def _script(text: str) -> str:
    fa = sum(text.count(c) for c in "پچژگکی۰۱۲۳۴۵۶۷۸۹")
    ar = sum(text.count(c) for c in "ةيىكإأ٠١٢٣٤٥٦٧٨٩")
    return "ar" if ar > fa else "fa"


def _build(m: re.Match, text: str, lang: str | None, reference: date | None) -> DateValue | None:
    g = m.groupdict()
    kind = m.lastgroup
    # lastgroup is the last *closed* group; find the top-level alternative instead.
    for k in ("iso", "dmy", "zymd", "zyr", "zyy", "zmd", "zrel", "fdmy", "fmy", "hdmy", "admy",
              "fyear", "frel", "arel", "emdy", "edmy", "emy", "eyear", "erel"):
        if g.get(k) is not None:
            kind = k
            break
    ar_ctx = lang if lang in ("fa", "ar") else None

    def ctx() -> str:
        return ar_ctx or _script(text)

    try:
        if kind == "iso":
            y, mo, d = int(g["iy"]), int(g["im"]), int(g["id"])
            cal = _detect_calendar_for_year(y, ctx())
            day = _day(y, mo, d, cal)
            return DateValue(day, day, "day", cal, text, True)
        if kind == "dmy":
            y, mo, d = int(g["dy"]), int(g["dm"]), int(g["dd"])
            cal = _detect_calendar_for_year(y, ctx())
            day = _day(y, mo, d, cal)
            return DateValue(day, day, "day", cal, text, True)
        if kind == "zymd":
            y, mo = int(g["zy"]), int(g["zm"])
            if g["zd"]:
                day = date(y, mo, int(g["zd"]))
                return DateValue(day, day, "day", "gregorian", text, True)
            s, e = _month_period(y, mo, "gregorian")
            return DateValue(s, e, "month", "gregorian", text, True)
        if kind == "zyr":
            y1, y2 = int(g["zy1"]), int(g["zy2"])
            if not (1000 <= y1 <= y2 <= 2200):
                return None
            return DateValue(date(y1, 1, 1), date(y2, 12, 31), "year", "gregorian", text, True)
        if kind == "zyy":
            y = int(g["zy0"])
            if not 1000 <= y <= 2200:
                return None
            return DateValue(date(y, 1, 1), date(y, 12, 31), "year", "gregorian", text, True)
        if kind == "zmd":
            mo = int(g["zm0"])
            d = int(g["zd0"]) if g["zd0"] else None
            if not 1 <= mo <= 12:
                return None
            if reference is None:
                date(2000, mo, d or 1)  # validates
                return DateValue(None, None, "day" if d else "month", "gregorian", text, False)
            if d:
                day = date(reference.year, mo, d)
                return DateValue(day, day, "day", "gregorian", text, True)
            s, e = _month_period(reference.year, mo, "gregorian")
            return DateValue(s, e, "month", "gregorian", text, True)
        if kind == "zrel":
            return _relative(_REL[g["zrel"]], text, "gregorian", reference)
        if kind in ("fdmy", "fmy", "hdmy", "admy"):
            name = g.get("fm") or g.get("fm2") or g.get("hm") or g.get("am")
            cal, mo = _MONTH_LOOKUP[_fold_ar(name)]
            dstr = g.get("fd") or g.get("hd") or g.get("ad")
            ystr = g.get("fy") or g.get("fy2") or g.get("hy") or g.get("ay")
            if ystr is None:
                if reference is None:
                    return DateValue(None, None, "day", cal, text, False)
                y = _ref_year(reference, cal)
            else:
                y = int(ystr)
                if len(ystr) == 2:  # "۹۶" in Persian text is 1396
                    y = 1400 + y if y < 50 else 1300 + y
            if dstr:
                day = _day(y, mo, int(dstr), cal)
                return DateValue(day, day, "day", cal, text, True)
            s, e = _month_period(y, mo, cal)
            return DateValue(s, e, "month", cal, text, True)
        if kind == "fyear":
            ystr = g["fy0"]
            y = int(ystr)
            if len(ystr) == 2:
                # "سال ۹۶": two-digit Solar Hijri year, by convention of Iranian press.
                y = 1400 + y if y < 50 else 1300 + y
                cal = "solar_hijri"
            else:
                cal = _detect_calendar_for_year(y, ctx())
            s, e = _year_period(y, cal)
            return DateValue(s, e, "year", cal, text, True)
        if kind == "frel":
            t = re.sub(r"\s+", "", g["frel"])
            rel = {"سالگذشته": "last_year", "پارسال": "last_year", "امسال": "this_year",
                   "سالجاری": "this_year", "سالآینده": "next_year", "سالبعد": "next_year"}[t]
            # Iranian news counts years in the Solar Hijri calendar.
            return _relative(rel, text, "solar_hijri", reference)
        if kind == "arel":
            t = g["arel"]
            rel = "last_year" if ("الماضي" in t or "الماضية" in t) else (
                "next_year" if ("المقبل" in t or "القادم" in t) else "this_year")
            return _relative(rel, text, "gregorian", reference)
        if kind in ("emdy", "edmy", "emy"):
            name = (g.get("em") or g.get("em2") or g.get("em3")).lower()
            mo = next(i for i, n in enumerate(_EN_MONTHS, 1) if n.startswith(name[:3]))
            dstr = g.get("ed") or g.get("ed2")
            ystr = g.get("ey") or g.get("ey2") or g.get("ey3")
            if ystr is None:
                if reference is None:
                    date(2000, mo, int(dstr))
                    return DateValue(None, None, "day", "gregorian", text, False)
                y = reference.year
            else:
                y = int(ystr)
            if dstr:
                day = date(y, mo, int(dstr))
                return DateValue(day, day, "day", "gregorian", text, True)
            s, e = _month_period(y, mo, "gregorian")
            return DateValue(s, e, "month", "gregorian", text, True)
        if kind == "eyear":
            y = int(g["ey0"])
            if not 1000 <= y <= 2200:
                return None
            return DateValue(date(y, 1, 1), date(y, 12, 31), "year", "gregorian", text, True)
        if kind == "erel":
            return _relative(_REL[g["erel"].split()[0].lower()], text, "gregorian", reference)
    except (ValueError, KeyError, OverflowError, StopIteration):
        return None  # impossible calendar values (2月30日, month 13): not a date
    return None


def _norm_lang(lang: str | None) -> str | None:
    if not lang:
        return None
    lang = lang.lower()
    if lang.startswith("zh"):
        return "zh"
    return lang.split("-")[0]


def find_dates(text: str, *, lang: str | None = None, reference: date | None = None
               ) -> list[tuple[int, int, DateValue]]:
    """Every date or period in ``text``, as ``(start, end, DateValue)`` with spans into ``text``.

    >>> [(s, e, d.start.isoformat()) for s, e, d in find_dates("发布时间:2024-03-07 16:41:31")]
    [(5, 24, '2024-03-07')]
    """
    if not text:
        return []
    norm = _Normalized(text)
    lang = _norm_lang(lang)
    out: list[tuple[int, int, DateValue]] = []
    for m in _PATTERN.finditer(norm.text):
        s, e = norm.span(m.start(), m.end())
        dv = _build(m, text[s:e], lang if lang in ("fa", "ar") else (
            _script(text[max(0, s - 40):e + 40]) if lang is None else None), reference)
        if dv is not None:
            out.append((s, e, dv))
    return out


def parse_date(text: str, *, lang: str | None = None, reference: date | None = None) -> DateValue | None:
    """The first date or period in a short mention, or None.

    >>> d = parse_date("۱۵ اردیبهشت ۱۴۰۲")
    >>> d.start.isoformat(), d.calendar
    ('2023-05-05', 'solar_hijri')
    """
    if not text:
        return None
    found = find_dates(text, lang=lang, reference=reference)
    if found:
        return found[0][2]
    # A bare four-digit year is a date only when it is the whole mention ("۱۴۰۲", "2024");
    # inside an article the same digits are more often a count.
    bare = to_ascii_digits(text.strip())
    if re.fullmatch(r"\d{4}", bare):
        y = int(bare)
        if 1300 <= y <= 2200:
            ctx = _norm_lang(lang)
            if ctx not in ("fa", "ar"):
                ctx = _script(text) if re.search("[\u0600-\u06ff]", text) else None
            cal = _detect_calendar_for_year(y, ctx or "fa")
            try:
                s, e = _year_period(y, cal)
            except (ValueError, OverflowError):
                return None
            return DateValue(s, e, "year", cal, text, True)
    return None
