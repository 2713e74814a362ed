"""The date patterns: one :class:`Rule` (a regex and a builder of :class:`Parts`) per way of writing.

Rules run on a scanning copy of the text in which digits are ASCII and letter variants and
dashes are folded one character for one (so offsets stay those of the normalised text). Every
rule reports all its matches; :func:`scan` keeps the leftmost-longest ones. A builder returns
``None`` when its match is no date after all (the next rule may still read the span) and
:data:`VETO` when the span is a date it cannot read safely (2019年2月29日, 三年五月 of an era, an
ambiguous 03/04/2020): the span is then claimed, so no shorter rule reads part of it as a
coarser or other date.

>>> ctx = Ctx("2016年6月2911:30", "zh")
>>> [(t.start, t.end, t.parts.d) for t in scan(ctx)]
[(0, 9, 29)]
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

from extractor.numbers import date_words as w
from extractor.numbers.calendars import expand_two_digit_year
from extractor.numbers.date_parts import LAST_DAY, Granularity, Parts
from extractor.numbers.vocab import COUNTERS_AR, UNITS_AR

__all__ = ["Ctx", "Rule", "Token", "VETO", "RULES", "scan", "script_of"]


class _Veto:
    def __repr__(self) -> str:
        return "VETO"


VETO = _Veto()
Built = Parts | _Veto | None
ShiftUnit = Literal["day", "week", "month", "quarter"]
RelUnit = Literal["year", "month", "week", "day"]

# Scanning folds, one for one: Arabic letter variants, dashes and full-width punctuation.
_SCAN_FOLD: dict[int, int] = {**w.LETTER_FOLD, **str.maketrans("，،ー〜／–—‐‑−―．", ",,-~/------.")}

_FOLDED = re.compile("[" + re.escape("".join(map(chr, _SCAN_FOLD))) + "]")


def script_of(text: str) -> str:
    """``"ar"`` or ``"fa"``: which of the two an Arabic-script passage is, by its letters."""
    fa = sum(text.count(c) for c in "پچژگکی۰۱۲۳۴۵۶۷۸۹")
    ar = sum(text.count(c) for c in "ةيىكإأ٠١٢٣٤٥٦٧٨٩")
    return "ar" if ar > fa else "fa"


# Characters only traditional Chinese writes: a Taiwanese or Hong Kong text, where a two-digit
# year before a month may be a year of the Republic of China (99年10月 is October 2010 in Taipei).
_TRADITIONAL = re.compile("[國灣臺與會為這們從時醫療衛報門診萬億個來說體發經當對還開關點價區壓]")


class Ctx:
    """The text being scanned and what is known about its language (``hant``: the caller said
    zh-Hant, zh-TW or zh-HK)."""

    def __init__(self, raw: str, lang: str | None, hant: bool = False) -> None:
        self.raw = raw  # normalised, letters unfolded: tells Persian from Arabic
        self.lang = lang
        self.hant = hant

    def traditional(self, pos: int) -> bool:
        """Whether the Chinese around ``pos`` is written in traditional characters."""
        return self.hant or bool(_TRADITIONAL.search(self.raw, max(0, pos - 40), pos + 40))

    @cached_property
    def text(self) -> str:
        return self.raw.translate(_SCAN_FOLD) if _FOLDED.search(self.raw) else self.raw

    def area(self, pos: int) -> str:
        """``"fa"`` or ``"ar"`` at ``pos``: the given language, else the letters around it."""
        if self.lang in ("fa", "ar"):
            return self.lang
        return script_of(self.raw[max(0, pos - 40):pos + 40])


@dataclass(frozen=True)
class Rule:
    name: str
    regex: re.Pattern[str]
    build: Callable[[re.Match[str], Ctx], Built]
    for_numbers: bool = True  # offered to the number reader as "these digits are a date"
    needs: re.Pattern[str] | None = None  # text without a match of this cannot hold the rule's dates


@dataclass(frozen=True)
class Token:
    start: int
    end: int
    parts: Parts | _Veto
    rule: Rule


def scan(ctx: Ctx, pos: int = 0, endpos: int | None = None, rules: tuple[Rule, ...] | None = None
         ) -> list[Token]:
    """Leftmost-longest dates of ``ctx.text[pos:endpos]``, in order, vetoed spans included."""
    text = ctx.text
    endpos = len(text) if endpos is None else endpos
    found: list[Token] = []
    for rule in RULES if rules is None else rules:
        if rule.needs is not None and not rule.needs.search(text, pos, endpos):
            continue
        for m in rule.regex.finditer(text, pos, endpos):
            built = rule.build(m, ctx) if m.end() > m.start() else None
            if built is not None:
                found.append(Token(m.start(), m.end(), built, rule))
    found.sort(key=lambda t: (t.start, t.start - t.end))
    kept: list[Token] = []
    for t in found:
        if not kept or t.start >= kept[-1].end:
            kept.append(t)
    return kept


# ------------------------------------------------------------------------------ helpers

_AL = "\u0621-\u064a\u0671-\u06d3\u06fa-\u06ff"
AW = f"(?![{_AL}])"  # end of an Arabic-script word
AB = f"(?<![{_AL}])"  # start of one


def _int(s: str | None) -> int | None:
    return None if s is None else int(s)


# A bare number year in Persian text past 1430 (2051) is a lunar Hijri year (۱۴۴۵/۰۹/۱۵), which
# Persian news also writes for religious dates; with a Solar month name it stays Solar.
_LAST_SOLAR_YEAR = 1430


def _year_ok(y: int, calendar: str) -> bool:
    # Hijri years of the modern press are 1200-1599; a Gregorian one 1000-2199.
    return 1200 <= y < 1600 if calendar in ("solar_hijri", "hijri") else 1000 <= y <= 2199


def _calendar_for_year(y: int, area: str, marker: str | None = None) -> str:
    """Calendar of a four-digit year in Arabic-script text: the written marker (ه.ق, ه.ش, م),
    else its size: below 1600 it cannot be a Gregorian year of modern news, and is Solar
    Hijri in Persian (1402), lunar Hijri in Arabic (1445) or past the Solar years in use."""
    if marker:
        mk = re.sub(r"[\s.]", "", marker)
        if mk in ("م", "میلادی"):
            return "gregorian"
        if mk.endswith("ش") or mk.endswith("شمسی") or mk == "خورشیدی":
            return "solar_hijri"
        if mk.endswith("ق") or mk in ("ه", "هجری", "قمری"):  # a bare هـ is the lunar Hijri mark
            return "hijri"
    if y >= 1600:
        return "gregorian"
    return "hijri" if area == "ar" or y > _LAST_SOLAR_YEAR else "solar_hijri"


def _before(ctx: Ctx, m: re.Match[str] | _Alias, n: int = 12) -> str:
    return ctx.text[max(0, m.start() - n):m.start()]


def _rule(name: str, pattern: str, build: Callable[[re.Match[str], Ctx], Built], *,
          first: str, needs: str | None = None, for_numbers: bool = True) -> Rule:
    """A rule whose matches can only start with a character of ``first`` (a character class
    body) and, where given, only occur in a text holding ``needs`` (a cheap regex): most
    positions of a long text fail on the first character, and most texts lack the key
    characters of most rules, which keeps a megabyte scanned in about a second."""
    return Rule(name, re.compile(f"(?=[{first}])(?:{pattern})"), build, for_numbers,
                re.compile(needs) if needs else None)


def _firsts(words: list[str] | dict[str, Any]) -> str:
    """Character-class body of the first letters of ``words`` (folded, either case)."""
    chars = {c for word in words for c in (w.fold_letters(word)[0].lower(), w.fold_letters(word)[0].upper())}
    return "".join(re.escape(c) for c in sorted(chars))


# ------------------------------------------------------------------- numeric (all scripts)

_TIME = r"(?:(?:T|\s+)\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2}(?![\d./-]))?)?"
_MARKER = (r"(?:ه\s*\.?\s*[قش]\s*\.?|هجری\s*(?:قمری|شمسی)|هجری|قمری|شمسی|خورشیدی|میلادی|ه|م)" + AW)


def _build_ymd(m: re.Match[str], ctx: Ctx) -> Built:
    """2024-03-07, 2015.5.13, ۱۴۰۲/۰۳/۱۵ (the year decides the calendar)."""
    y, mo, d = int(m["y"]), int(m["m"]), int(m["d"])
    cal = _calendar_for_year(y, ctx.area(m.start()))
    return Parts(cal, "day", y=y, m=mo, d=d) if _year_ok(y, cal) else VETO


def _build_ym(m: re.Match[str]) -> Built:
    """A month written year-month, alone or as a range of months (the second may be a year)."""
    y, mo = int(m["y"]), int(m["m"])
    g = m.groupdict()
    if not 1900 <= y <= 2100:
        return None
    if g.get("y2") is None:
        if m["s"] == "-" and mo == (y + 1) % 100:
            return None  # 2010-11: a season or fiscal year as often as November 2010
        return Parts("gregorian", "month", y=y, m=mo)
    y2, m2 = int(g["y2"]), _int(g.get("m2"))
    if not y <= y2 <= y + 100 or (y2 == y and (m2 or 12) < mo):
        return None
    return Parts("gregorian", "month", y=y, m=mo, y2=y2, m2=m2 or 12)


def _dm_order(a: int, b: int, sep: str, calendar: str, lang: str | None) -> tuple[int, int] | None:
    """(day, month) of a numeric date written a?b?year; None when it cannot be told.

    A value over 12 settles it. Otherwise: dots and non-Gregorian years are day first (no
    calendar writes them month first); Arabic and Persian news write Gregorian dates day
    first too; English (US month first, UK day first) and unknown text stay undecided."""
    if a > 12 or a == b:
        return a, b
    if b > 12:
        return b, a
    if sep == "." or calendar != "gregorian" or lang in ("ar", "fa"):
        return a, b
    return None


def _build_dmy(m: re.Match[str], ctx: Ctx) -> Built:
    """13/03/2014, 21-04-2016, 14-09-1432 هـ, 06-17-2014."""
    y = int(m["y"])
    lang = ctx.lang if ctx.lang else (ctx.area(m.start()) if re.search(f"[{_AL}]", ctx.text[
        max(0, m.start() - 30):m.end() + 30]) else None)
    cal = _calendar_for_year(y, ctx.area(m.start()), m["mk"])
    order = _dm_order(int(m["a"]), int(m["b"]), m["s"], cal, lang)
    if order is None or not _year_ok(y, cal):
        return VETO
    return Parts(cal, "day", y=y, m=order[1], d=order[0])


_NUMERIC = [
    # Not inside a longer run of numbers, except as the end of a range (2019.05.29-2020.01.12, … 15:20-2020.01.12).
    _rule("ymd", r"(?<![\d.])(?:(?<!\d[-/])|(?<=\d:\d\d-)|(?<=\d{4}[-/.]\d\d[-/.]\d\d-)|(?<=\d{4}[-/.]\d[-/.]\d-)"
          r"|(?<=\d{4}[-/.]\d\d[-/.]\d-)|(?<=\d{4}[-/.]\d[-/.]\d\d-))(?P<y>\d{4})(?P<s>[-/.])(?P<m>\d{1,2})(?P=s)(?P<d>\d{1,2})(?![\d])"
          + _TIME, _build_ymd, first=r"\d"),
    _rule("dmy", r"(?<![\d/.])(?<!\d-)(?P<a>\d{1,2})(?P<s>[-/.])(?P<b>\d{1,2})(?P=s)(?P<y>\d{4})(?![\d])"
          r"(?:\s*(?P<mk>" + _MARKER + "))?", _build_dmy, first=r"\d"),
    # 1999.08-2002.02, 2008.03-2009 (CV-style month ranges); 2024-03, 2024/03 (a month).
    _rule("ym_range", r"(?<![\d.])(?P<y>\d{4})(?P<s>[./-])(?P<m>0[1-9]|1[0-2])(?![\d]|(?P=s)\d)"
          r"\s*(?:-{1,2}|~|至|到|(?i:to))"
          r"\s*(?P<y2>\d{4})(?:(?P=s)(?P<m2>0[1-9]|1[0-2]))?(?![\d]|[./-]\d)", lambda m, c: _build_ym(m), first=r"\d"),
    _rule("ym", r"(?<![\d./-])(?P<y>\d{4})(?P<s>[-/])(?P<m>0[1-9]|1[0-2])(?![\d]|[-/.:]\d)", lambda m, c: _build_ym(m),
          first=r"\d"),
]

# ---------------------------------------------------------------------------- Chinese

_ZD = "〇○零一二三四五六七八九"
_ZH_YEAR = rf"(?:\d{{4}}|\d{{2}}|[{_ZD}]{{4}}|[{_ZD}]{{2}}|[一二两兩]千[{_ZD}十百]{{0,4}})"
_ZH_MONTH = r"(?:\d{1,2}|十[一二]?|[一二三四五六七八九])"
_ZH_DAY = r"(?:\d{1,2}|三十一?|[一二]?十[一二三四五六七八九]?|廿[一二三四五六七八九]?|卅一?|[一二三四五六七八九])"
_DAYMARK = "[日号號]"
_ZH_TO = r"\s*(?:-{1,2}|~|至|到)\s*"  # —— folds to --
# After a day written without 日/号: the end, punctuation or a time, nothing that makes the
# digits a count (2016年6月29家医院 is June and 29 hospitals).
_DAY_END = (r"(?=\s*(?:$|[,.;:!?)\]、。；！？）】」』\-~(（]|[上下中]午|早上|晚上?|凌晨|傍晚|夜|星期"
            r"|[周週][一二三四五六日天]"
            r"|礼拜|禮拜|\d{1,2}\s*[:点點时時]|[一二三四五六七八九十]{1,3}[点點时時]))")
_REL_LABEL = {-3: "three_years_ago", -2: "year_before_last", -1: "last_year", 0: "this_year", 1: "next_year",
              2: "year_after_next", 3: "in_three_years"}
_REL_YEAR_ZH = {"去年": -1, "上年": -1, "上一年": -1, "今年": 0, "本年": 0, "明年": 1, "下一年": 1, "前年": -2,
                "后年": 2, "後年": 2, "大前年": -3, "大后年": 3, "大後年": 3}
# A year named by reference to another date of the text, not to the publication date; days and
# months too (当晚, 同月, 次日).
_ANAPHORIC_ZH = ("同年", "当年", "當年", "次年", "翌年", "该年", "該年", "是年")
_ANAPHORIC_ZH_DAYS = ("当晚", "當晚", "当天", "當天", "当日", "當日", "同日", "次日", "翌日", "同月", "当月", "當月",
                      "次月", "翌月", "同周", "当周", "當週")
_SUB_ZH: dict[str, tuple[int | None, int | None, Granularity]] = {  # (first month, last month, unit)
    "上半年": (1, 6, "half"), "前半年": (1, 6, "half"), "下半年": (7, 12, "half"),
    "后半年": (7, 12, "half"), "後半年": (7, 12, "half"), "全年": (None, None, "year")}
_LUNAR = re.compile(r"(?:农历|農曆|阴历|陰曆|夏历|夏曆)\s*$")


def _zh_num(s: str | None) -> int | None:
    if s is None:
        return None
    return int(s) if s.isdigit() else w.zh_int(s)


def _zh_year(m: re.Match[str], month_follows: bool, ctx: Ctx) -> int | None:
    """Year of the year group: 4 digits, or 2 when zero-led (08年) or before a month (18年10月);
    a year of the Republic of China after 民國, or of three digits before a month (110年10月24日,
    as Taiwanese datelines write it)."""
    rocd = m["rocd"] if "rocd" in m.re.groupindex else None
    if rocd is not None and not ctx.traditional(m.start()):
        return None  # a three-digit year is a Taiwanese one only in traditional Chinese
    roc = m["roc"] or rocd
    if roc is not None:  # 民國113年: years of the Republic of China, from 1912
        n = _zh_num(roc)
        return None if n is None or not 1 <= n <= 200 else 1911 + n
    s = m["y"]
    y = _zh_num(s)
    if y is None:
        return None
    if len(s) == 2 and "千" not in s:
        if not (month_follows or s[0] in "0〇○零"):
            return None  # 18年 alone is more often "18 years"
        if y >= 50 and ctx.traditional(m.start()):
            return None  # 99年10月 in Taiwan is ROC 99 (2010), in Hong Kong 1999: not guessed
        return expand_two_digit_year(y, "gregorian")
    if not s.isdigit() and "千" in s and y < 1900:
        return None  # 一千年: a thousand years
    return y if 1000 <= y <= 2199 else None


def _zh_year_fields(m: re.Match[str], month_follows: bool, ctx: Ctx) -> dict[str, Any] | _Veto | None:
    """``y``/``rel_year``/``label`` of the year written before a month or part of a year."""
    if m["ry"]:
        if m["ry"] in _ANAPHORIC_ZH:
            return VETO
        return {"rel_year": _REL_YEAR_ZH[m["ry"]], "label": _REL_LABEL[_REL_YEAR_ZH[m["ry"]]]}
    if m["y"] is None and m["roc"] is None and m["rocd"] is None:
        return {}
    y = _zh_year(m, month_follows, ctx)
    return VETO if y is None else {"y": y}


def _zh_sub(m: re.Match[str], year: dict[str, Any]) -> Built:
    """上半年, 一季度, 前三季度, 全年 after an optional year."""
    sub = m["sub"]
    if sub in _SUB_ZH:
        m1, m2, gran = _SUB_ZH[sub]
        if gran == "year" and not year:
            return None  # 全年 alone: the whole of which year is not said
        label = year.get("label") or ({1: "first_half", 7: "second_half"}.get(m1 or 0) if not year else None)
        return Parts("gregorian", gran, m=m1, m2=m2, label=label,
                     **{k: v for k, v in year.items() if k != "label"})
    if m["fm"] or sub == "首月":  # 前五个月, 首月: the first months of a written year
        n = 1 if sub == "首月" else _zh_num(m["fm"])
        if not year or n is None or not 1 <= n <= 12:
            return None  # 前三个月 alone is "the past three months"
        return Parts("gregorian", "month", m=1, m2=n, **year)
    q = 1 if m["q"] == "首" else (_zh_num(m["q"]) or _zh_num(m["qq"]) or 0)
    q1, q2 = (1, _zh_num(m["qn"]) or 0) if m["qn"] else (q, q)
    if not 1 <= q1 <= q2 <= 4:
        return None
    return Parts("gregorian", "quarter", m=3 * q1 - 2, m2=3 * q2, **year)


def _zh_day(m: re.Match[str]) -> tuple[int | None, int | None] | _Veto:
    """(day, last day of a range) of the day group; a day glued to a time (2016年6月2911:30)
    is split where only one split gives a valid day and hour."""
    if m["dg"]:
        g = m["dg"] + m["hh"]
        if len(g) < 3:
            return VETO  # 6月11:30: the 1st at 1:30, or June at 11:30?
        splits = [(int(g[:k]), int(g[k:])) for k in (1, 2) if 1 <= len(g) - k <= 2]
        valid = [d for d, h in splits if 1 <= d <= 31 and h <= 24]
        return (valid[0], None) if len(valid) == 1 else VETO
    if m["xun"]:
        return {"上": (1, 10), "中": (11, 20)}.get(m["xun"][0], (21, LAST_DAY))
    return _zh_num(m["d"]), _zh_num(m["d2"] or m["d2b"] or m["d2c"])


def _zh_unreadable_year_before(m: re.Match[str], ctx: Ctx) -> bool:
    """A month with a year we cannot read before it (康熙三年五月, 农历八月)."""
    before = _before(ctx, m, 8)
    return bool(re.search(r"年\s*,?\s*$", before) or _LUNAR.search(before))


def _build_zh(m: re.Match[str], ctx: Ctx) -> Built:
    """2016年9月3号, 二〇二二年九月二十七日, 今年1-6月, 2017年上半年, 一季度, 九月三号."""
    year = _zh_year_fields(m, m["m"] is not None, ctx)
    if isinstance(year, _Veto) or year is None:
        return year
    if not year and _zh_unreadable_year_before(m, ctx):
        return VETO
    if m["sub"]:
        return _zh_sub(m, year)
    mo, mo2 = _zh_num(m["m"]), _zh_num(m["m2"])
    if m["d"] and m["d"][0] in "廿卅" and not re.search(r"[日号號]\s*$", m.group(0)):
        return VETO  # 五月廿二: a lunar day as often as a solar one
    day = _zh_day(m)
    if isinstance(day, _Veto):
        return VETO
    d, d2 = day
    return Parts("gregorian", "day" if d else "month", m=mo, m2=mo2, d=d, d2=d2, **year)


_ZH_YEAR_PART = (rf"(?:(?<![\d{_ZD}十百千万萬.])(?P<y>{_ZH_YEAR})\s*年度?"
                 rf"|民[国國]\s*(?P<roc>\d{{1,3}}|[{_ZD}十百]{{1,4}})\s*年"
                 rf"|(?<![\d{_ZD}.])(?P<rocd>1[0-4]\d)\s*年"
                 r"|(?<![以上下大])(?P<ry>大前年|大后年|大後年|上一年|下一年|去年|上年|今年|本年|明年|前年|后年|後年"
                 r"|同年|当年|當年|次年|翌年|该年|該年|是年)度?)")
_ZH_SUB = (r"(?P<sub>上半年|下半年|前半年|后半年|後半年|全年|第?(?P<q>[一二三四1-4首])\s*季度"
           r"|前(?P<qn>[二两兩三])(?:个|個)?季度|[Qq](?P<qq>[1-4])"
           r"|(?:前(?P<fm>[一二两兩三四五六七八九十]{1,2}|1[01]|[1-9])(?:个|個)?月|首月)(?!份|[前后後内內以]|左右))")
_ZH_MONTH_DAY = (rf"(?<![\d前近每第头頭数數几幾连連续續余餘多个個.])(?P<m>{_ZH_MONTH})(?:{_ZH_TO}(?P<m2>{_ZH_MONTH}))?"
                 rf"\s*月份?(?![龄齡])(?:\s*(?:(?P<dg>[12]\d|3[01]|0?[1-9])(?=(?P<hh>[01]?\d|2[0-4]):\d{{2}})"
                 rf"|(?P<d>{_ZH_DAY})(?:\s*{_DAYMARK}(?:{_ZH_TO}(?P<d2>{_ZH_DAY})\s*{_DAYMARK})?"
                 rf"|{_ZH_TO}(?P<d2b>{_ZH_DAY})\s*{_DAYMARK}|{_DAY_END}(?:{_ZH_TO}(?P<d2c>{_ZH_DAY})\s*{_DAYMARK})?)"
                 rf"|(?P<xun>[上中下]旬)))?")
_ZH_MAIN = rf"(?:{_ZH_YEAR_PART}\s*,?\s*)?(?:{_ZH_SUB}|{_ZH_MONTH_DAY})"


def _build_zh_year(m: re.Match[str], ctx: Ctx) -> Built:
    """2009年, 二〇〇二年, 08年, 1995-1997年, 2024年度, 民国三年."""
    y = _zh_year(m, False, ctx)
    if y is None:
        return None
    y2 = None
    if m["y2"]:
        y2 = _zh_num(m["y2"])
        if y2 is None or not y < y2 <= 2199:
            return VETO
    return Parts("gregorian", "year", y=y, y2=y2)


_ZH_YEAR_ONLY = (rf"(?:(?<![\d{_ZD}十百千万萬.])(?P<y>{_ZH_YEAR})(?:{_ZH_TO}(?P<y2>\d{{4}}|[{_ZD}]{{4}}))?"
                 rf"|民[国國]\s*(?P<roc>\d{{1,3}}|[{_ZD}十百]{{1,4}}))\s*年度?"
                 r"(?![龄齡级級半]|历史|歷史|多|余|餘|之久|左右)")

# Relative words: (unit of the shift, shift) or a year offset. Weeks and months are written with a
# prefix (上, 上上, 下, 下下, 这, 本), an optional counter (个, 一) and a word for week.
_WEEK_WORDS_ZH = ("周", "週", "星期", "礼拜", "禮拜")
_WEEK_PREFIX_ZH = {"上上": -2, "上": -1, "这": 0, "這": 0, "本": 0, "下": 1, "下下": 2}
_ZH_SHIFT: dict[str, tuple[ShiftUnit, int]] = {
    **{f"{pre}{mid}{word}": ("week", k) for pre, k in _WEEK_PREFIX_ZH.items() for mid in ("", "个", "個", "一")
       for word in _WEEK_WORDS_ZH if not (mid == "一" and k in (-2, 2))},
    **{f"今{mid}{word}": ("week", 0) for mid in ("个", "個") for word in _WEEK_WORDS_ZH},  # Cantonese 今個星期
    **{f"{pre}{mid}月": ("month", k) for pre, k in {"上上": -2, "上": -1, "下": 1, "下下": 2}.items()
       for mid in ("", "个", "個")},
    **dict.fromkeys(("本月", "这个月", "這個月", "今個月"), ("month", 0)),
    **{f"{pre}季度": ("quarter", k) for pre, k in {"上个": -1, "上個": -1, "上": -1, "本": 0, "这个": 0, "這個": 0,
                                                  "下个": 1, "下個": 1, "下": 1}.items()},
    **dict.fromkeys(("昨天", "昨日", "昨晚", "昨夜", "昨晨"), ("day", -1)),
    **dict.fromkeys(("今天", "今日", "今晚", "今夜", "今早", "今晨"), ("day", 0)),
    **dict.fromkeys(("明天", "明日", "明晚", "明早", "明晨"), ("day", 1)),
    **dict.fromkeys(("前天", "前晚"), ("day", -2)), "大前天": ("day", -3),
    **dict.fromkeys(("后天", "後天"), ("day", 2)), **dict.fromkeys(("大后天", "大後天"), ("day", 3)),
}
_SHIFT_LABEL = {("day", -3): "three_days_ago", ("day", -2): "day_before_yesterday", ("day", -1): "yesterday",
                ("day", 3): "in_three_days", ("week", -2): "week_before_last", ("week", 2): "week_after_next",
                ("month", -2): "month_before_last", ("month", 2): "month_after_next",
                ("day", 0): "today", ("day", 1): "tomorrow", ("day", 2): "day_after_tomorrow"}


def _shift_label(unit: str, k: int) -> str:
    return _SHIFT_LABEL.get((unit, k)) or {-1: "last_", 0: "this_", 1: "next_"}[k] + unit


def _shift_parts(unit: ShiftUnit, k: int, calendar: str, week_start: int, d: int | None = None) -> Parts:
    gran: Granularity = "day" if d is not None else unit
    return Parts(calendar, gran, d=d, shift=k, shift_unit=unit, label=_shift_label(unit, k),
                 week_start=week_start)


def _build_zh_rel(m: re.Match[str], ctx: Ctx) -> Built:
    """去年 / 去年同期, 上个月 (15日), 上周, 昨天."""
    word = m["w"]
    if word in _REL_YEAR_ZH:
        if m["same"]:
            return VETO  # 去年同期: the same stretch of last year, not the whole year
        k = _REL_YEAR_ZH[word]
        return Parts("gregorian", "year", rel_year=k, label=_REL_LABEL[k])
    if word in _ANAPHORIC_ZH or word in _ANAPHORIC_ZH_DAYS:
        return VETO
    unit, k = _ZH_SHIFT[word]
    d = _zh_num(m["d"])
    if d is not None and unit != "month":
        return None
    if unit == "week" and ctx.text.startswith("末", m.end()):
        return VETO  # 上周末: last weekend, two days of the week
    return _shift_parts(unit, k, "gregorian", 0, d)


_ZH_REL = (r"(?<![以上下大])(?P<w>" + "|".join(sorted([*_REL_YEAR_ZH, *_ANAPHORIC_ZH, *_ANAPHORIC_ZH_DAYS, *_ZH_SHIFT],
                                                    key=len, reverse=True))
           + rf")(?:度)?(?:(?P<same>同期)|(?<=月)\s*(?P<d>{_ZH_DAY})\s*{_DAYMARK})?")


def _build_zh_bare_day(m: re.Match[str], ctx: Ctx) -> Built:
    """12日 alone: a day of the publication month."""
    return Parts("gregorian", "day", d=int(m["d"]))


_ZH_BARE_DAY = (r"(?<![\d年月前近每第头頭数數几幾连連续續余餘多个個号號.\-/:~])(?P<d>\d{1,2})\s*"
                r"(?:日(?!内|以内|之内|左右|以上|以后|以後|后|後|间|間|以来|以來|来|來|游|遊|元|圆|圓)"
                r"|[号號](?=\s*(?:$|[,.;!?)\]、。；！？）】\-~]|[上下中]午|晚|早|凌晨|星期|[周週][一二三四五六日天])))")

def _decade(y: int | None) -> Built:
    return Parts("gregorian", "decade", y=y, y2=y + 9) if y is not None and 1000 <= y <= 2190 else VETO


def _build_zh_decade(m: re.Match[str], ctx: Ctx) -> Built:
    """1970年代, 上世纪80年代, 八十年代, 90年代: a decade. Two digits name a decade of the 1900s
    (30-90) or the 2000s (00); 10年代 and 20年代 (1910s or 2010s?) need a century word."""
    n = _zh_num(m["dec"])
    if n is None or n % 10:
        return None
    if n >= 1000:
        return _decade(n)
    century = re.sub(r"\s|世[纪紀]", "", m["cent"] or "")
    if century:
        base = {"上": 1900, "二十一": 2000, "21": 2000, "二十": 1900, "20": 1900, "十九": 1800, "19": 1800}[century]
        return _decade(base + n)
    return _decade(1900 + n) if n >= 30 else (_decade(2000) if n == 0 else VETO)


_LUNAR_DAY = "[一二三四五六七八九十]"


def _build_zh_festival(m: re.Match[str], ctx: Ctx) -> Built:
    """元旦 (1 January), 除夕/大年三十 (the eve of the lunar new year), 大年初一/正月初三, 除夕到初四:
    days of the lunar new year from its table (calendar "chinese"). A bare 初三 is not read (it is
    also the third year of junior high school) except as the end of a range opened by one of these."""
    year: dict[str, Any] = {}
    if m["fry"]:
        k = _REL_YEAR_ZH[m["fry"]]
        year = {"rel_year": k, "label": _REL_LABEL[k]}
    elif m["fy"]:
        year = {"y": int(m["fy"])}
    if m["nyd"]:
        return Parts("gregorian", "day", m=1, d=1, **year)
    d = 0 if m["eve"] else w.zh_int(m["ld"])
    d2 = w.zh_int(m["ld2"]) if m["ld2"] else None
    if d is None or d > 10 or d2 is not None and not d < d2 <= 10:
        return None
    return Parts("chinese", "day", m=1, d=d, d2=d2, **year)


_ZH_FESTIVAL = (r"(?:(?P<fry>今年|去年|明年|本年)\s*|(?<!\d)(?P<fy>\d{4})\s*年\s*)?"
                rf"(?:(?P<nyd>元旦)|(?:(?P<eve>除夕|大年三十|大年夜)|(?:大年|正月)初(?P<ld>{_LUNAR_DAY}))"
                rf"(?:{_ZH_TO}(?:大年|正月)?初(?P<ld2>{_LUNAR_DAY}))?)")


def _build_zh_slash(m: re.Match[str], ctx: Ctx) -> Built:
    """2/24 in Chinese text (Taiwanese news writes month/day with a slash). A fraction (1/3, 2/5)
    is written the same way: read only past day 12, or with a weekday or a time after it."""
    mo, d = int(m["m"]), int(m["d"])
    if d <= 12 and not m["cue"]:
        return None
    return Parts("gregorian", "day", m=mo, d=d)


_ZH_SLASH = (r"(?<![\d/.:])(?P<m>1[0-2]|0?[1-9])/(?P<d>3[01]|[12]\d|0?[1-9])(?![\d/.%:])"
             r"(?!\s*(?:的|之|人|倍|成|左右|以上|以下))"
             r"(?=\s*(?P<cue>\s*[(（](?:[週周]|星期)?[一二三四五六日][)）]|[上下]午|早上|晚上|凌晨|\d{1,2}:\d{2})?)"
             r"(?=\s*[(（]|[\u4e00-\u9fff]|\s*$)")

# A day of a week named relatively: 上周二, 下个星期一, 这礼拜三, 上上周五, 下周的周六 (weeks from Monday).
_ZH_WEEKDAY_IDX = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
# What may follow 一, 天 or 日 when it is no weekday: 上周一共 (last week, in all), 这周天气 (this
# week's weather), 本周日均 (the daily average this week).
_NOT_WEEKDAY_AFTER = {"一": "共些次度直起同样樣般定切批场場个個位项項家名人天年月周週步带帶线線方致再半段时時期"
                            "轮輪系号號",
                      "天": "气氣然内內数數津地空使才堂平真生",
                      "日": "均常益内內期报報记記程子志本元用"}
_ZH_WEEK_DAY = (r"(?<![以上下大])(?P<wp>上上|下下|上|下|这|這|本|今)(?P<wm>个|個|一)?(?:周|週|星期|礼拜|禮拜)"
                r"\s*(?:的\s*)?"
                r"(?:周|週|星期|礼拜|禮拜)?(?P<wd>[一二三四五六日天])")


def _build_zh_week_day(m: re.Match[str], ctx: Ctx) -> Built:
    """上周二, 下个星期一, 这礼拜三: a day of the week before, after or holding the reference."""
    wd = m["wd"]
    nxt = ctx.text[m.end():m.end() + 1]
    if nxt and nxt in _NOT_WEEKDAY_AFTER.get(wd, "") and not ctx.text.startswith("下午", m.end()):
        return None  # the week alone is read by the relative-word rule
    if m["wp"] == "今" and not m["wm"]:
        return None
    k = _WEEK_PREFIX_ZH.get(m["wp"], 0)
    return Parts("gregorian", "day", shift=k, shift_unit="week", weekday=_ZH_WEEKDAY_IDX[wd], week_start=0,
                 label=_shift_label("week", k) + "_day")


# Lunar dates: 正月初八, 腊月廿三, 2012年正月初8, 去年五月初五, 农历二〇二一年六月, 闰四月. A month
# is lunar when 农历/阴历 is written, or by its name (正月, 冬月, 腊月), a leap month (闰), or a
# day written 初N; 五月廿二 alone (廿 is also written in solar dates) is not guessed.
_LUNAR_MARK = r"(?:农历|農曆|农暦|阴历|陰曆|夏历|夏曆|旧历|舊曆)"
_LUNAR_MONTH = r"(?:正|冬|腊|臘|十[一二]?|[一二三四五六七八九]|1[0-2]|0?[1-9])"
_LUNAR_DAY_RE = (r"(?:初(?:十|[一二三四五六七八九]|10|0?[1-9])|[二廿]十[一二三四五六七八九]?|十[一二三四五六七八九]?"
                 r"|廿[一二三四五六七八九]|三十|卅|[一二三四五六七八九]|[12]\d|30|0?[1-9])")
_ZH_LUNAR = (rf"(?P<mk1>{_LUNAR_MARK})?\s*(?:(?:(?<![\d{_ZD}])(?P<y>\d{{4}}|[{_ZD}]{{4}})\s*年"
             r"|(?<![以上下])(?P<ry>大前年|大后年|大後年|去年|今年|明年|前年|后年|後年|本年))\s*)?"
             rf"(?P<mk2>{_LUNAR_MARK})?\s*(?P<leap>闰|閏)?(?P<lm>{_LUNAR_MONTH})月(?!份|底|末|中|[\d{_ZD}十廿卅]*\s*[日号號])"
             rf"(?P<ld>{_LUNAR_DAY_RE})?(?![\d{_ZD}十廿卅])")
_LUNAR_MONTH_NAMES = {"正": 1, "冬": 11, "腊": 12, "臘": 12}


def _lunar_day(s: str) -> int | None:
    s = s.replace("初", "")
    return int(s) if s.isdigit() else w.zh_int(s)


def _build_zh_lunar(m: re.Match[str], ctx: Ctx) -> Built:
    """A lunar month or day, converted with the lunar calendar (calendar ``chinese``)."""
    lm, ld = m["lm"], m["ld"]
    marked = bool(m["mk1"] or m["mk2"])
    if not (marked or lm in _LUNAR_MONTH_NAMES or m["leap"] or (ld or "").startswith("初")):
        return VETO if ld and "廿" in ld or ld and ld.startswith("卅") else None
    mo = _LUNAR_MONTH_NAMES.get(lm) or (int(lm) if lm.isdigit() else w.zh_int(lm))
    d = _lunar_day(ld) if ld else None
    if mo is None or not 1 <= mo <= 12 or (ld and ld.startswith("初") and (d is None or d > 10)):
        return VETO
    if d is not None and not 1 <= d <= 30:
        return VETO
    year: dict[str, Any] = {}
    if m["y"]:
        y = _zh_num(m["y"])
        if y is None or not 1000 <= y <= 2199:
            return VETO
        year = {"y": y}
    elif m["ry"]:
        k = _REL_YEAR_ZH[m["ry"]]
        year = {"rel_year": k, "label": _REL_LABEL[k]}
    return Parts("chinese", "day" if d else "month", m=-mo if m["leap"] else mo, d=d, **year)


# Festivals on fixed days: lunar (春节 = 正月初一, 端午 = 五月初五) and solar (国庆节 = 1 October).
# A festival followed by 期间, 假期, 长假 names the holiday period, not the day: not read.
_FESTIVALS_LUNAR = {"春节": (1, 1), "春節": (1, 1), "元宵节": (1, 15), "元宵節": (1, 15), "元宵": (1, 15),
                    "端午节": (5, 5), "端午節": (5, 5), "端午": (5, 5), "七夕节": (7, 7), "七夕節": (7, 7),
                    "七夕": (7, 7),
                    "中秋节": (8, 15), "中秋節": (8, 15), "中秋": (8, 15), "重阳节": (9, 9), "重陽節": (9, 9),
                    "重阳": (9, 9), "重陽": (9, 9), "腊八节": (12, 8), "臘八節": (12, 8), "腊八": (12, 8),
                    "臘八": (12, 8)}
_FESTIVALS_SOLAR = {"妇女节": (3, 8), "婦女節": (3, 8), "三八妇女节": (3, 8), "劳动节": (5, 1), "勞動節": (5, 1),
                    "五一劳动节": (5, 1), "青年节": (5, 4), "青年節": (5, 4), "儿童节": (6, 1), "兒童節": (6, 1),
                    "六一儿童节": (6, 1), "建党节": (7, 1), "建黨節": (7, 1), "建军节": (8, 1), "建軍節": (8, 1),
                    "八一建军节": (8, 1), "教师节": (9, 10), "教師節": (9, 10), "国庆节": (10, 1), "國慶節": (10, 1),
                    "国庆日": (10, 1), "國慶日": (10, 1), "圣诞节": (12, 25), "聖誕節": (12, 25), "平安夜": (12, 24),
                    "情人节": (2, 14), "情人節": (2, 14)}
_ZH_FEAST = (r"(?:(?<![以上下])(?P<ry>大前年|大后年|大後年|去年|今年|明年|前年|后年|後年|本年)\s*"
             r"|(?<!\d)(?P<y>\d{4}|[0〇○零][\d〇○零一二三四五六七八九])\s*年\s*)?"
             "(?P<f>" + "|".join(sorted([*_FESTIVALS_LUNAR, *_FESTIVALS_SOLAR], key=len, reverse=True)) + ")"
             r"(?P<period>\s*(?:期间|期間|假期|长假|長假|小长假|黄金周|黃金週|前后|前後|联欢|聯歡|晚会|晚會|档|檔|节日|節日)|\d)?")


def _build_zh_feast(m: re.Match[str], ctx: Ctx) -> Built:
    """去年春节, 2019年中秋节, 教师节: the festival's day; 春节期间 (a holiday period) is not read."""
    if m["period"]:
        return VETO
    year: dict[str, Any] = {}
    if m["y"]:
        y = _zh_num(m["y"])
        if y is None:
            return VETO
        year = {"y": y if y >= 1000 else expand_two_digit_year(y, "gregorian")}  # 零六年端午
    elif m["ry"]:
        k = _REL_YEAR_ZH[m["ry"]]
        year = {"rel_year": k, "label": _REL_LABEL[k]}
    if m["f"] in _FESTIVALS_LUNAR:
        mo, d = _FESTIVALS_LUNAR[m["f"]]
        return Parts("chinese", "day", m=mo, d=d, **year)
    mo, d = _FESTIVALS_SOLAR[m["f"]]
    return Parts("gregorian", "day", m=mo, d=d, **year)


def _build_zh_two_years(m: re.Match[str], ctx: Ctx) -> Built:
    """今明两年 (this year and next), 今明两天 (today and tomorrow)."""
    if m["u"] in "年":
        return Parts("gregorian", "year", rel_year=0, rel_year2=1, label="this_and_next_year")
    return Parts("gregorian", "day", shift=0, shift_unit="day", label="today_and_tomorrow")


_CHINESE = [
    _rule("zh", _ZH_MAIN, _build_zh, needs=r"[年月季Qq]",
          first=r"\d〇○零一二两兩三四五六七八九十民去上今本明前后後同当當次翌该該是下全第Qq大首"),
    _rule("zh_year", _ZH_YEAR_ONLY, _build_zh_year, needs=r"年", first=r"\d〇○零一二两兩三四五六七八九民"),
    _rule("zh_rel", _ZH_REL, _build_zh_rel, for_numbers=False, needs=r"[年月周週星礼禮天日季晚夜早晨]",
          first=_firsts([*_REL_YEAR_ZH, *_ANAPHORIC_ZH, *_ZH_SHIFT])),
    _rule("zh_day", _ZH_BARE_DAY, _build_zh_bare_day, for_numbers=False, needs=r"[日号號]", first=r"\d"),
    _rule("zh_decade", r"(?:(?P<cent>上世[纪紀]|(?:二十一|二十|十九|21|20|19)\s*世[纪紀])\s*)?"
          rf"(?<![\d{_ZD}])(?P<dec>\d{{4}}|\d{{2}}|[一二三四五六七八九]十|[{_ZD}]{{2}})\s*年代",
          _build_zh_decade, needs="年代", first=r"\d上二十一九" + _ZD),
    _rule("zh_festival", _ZH_FESTIVAL, _build_zh_festival, for_numbers=False, needs=r"元旦|除夕|初|大年",
          first=r"\d今去明本元除大正"),
    _rule("zh_slash", _ZH_SLASH, _build_zh_slash, needs=r"[\u4e00-\u9fff]", first=r"\d"),
    _rule("zh_week_day", _ZH_WEEK_DAY, _build_zh_week_day, for_numbers=False, needs=r"[周週星礼禮]",
          first="上下这這本今"),
    _rule("zh_lunar", _ZH_LUNAR, _build_zh_lunar, needs=r"月",
          first=r"\d农農阴陰夏旧舊闰閏正冬腊臘十一二三四五六七八九〇○零去今明前后後本大"),
    _rule("zh_feast", _ZH_FEAST, _build_zh_feast, for_numbers=False, needs=r"[节節宵午夕秋阳陽八夜]",
          first=r"\d去今明前后後本大" + "".join({f[0] for f in [*_FESTIVALS_LUNAR, *_FESTIVALS_SOLAR]})),
    _rule("zh_two_years", r"今明(?:两|兩|2)(?P<u>年|天)", _build_zh_two_years, for_numbers=False, needs="今明",
          first="今"),
]

# ------------------------------------------------------------------ Persian and Arabic

_MONTH_NAMES = [n for t in (w.SOLAR_MONTHS, w.HIJRI_MONTHS, w.GREGORIAN_AR_FA) for ns in t for n in ns]
_MONTH_AR = w.names_regex(_MONTH_NAMES)
# A two-digit year is read only where nothing else can follow it (۲۶ شهریور ۹۴ ساعت ...): after
# a day and month, "۹۴ نفر" would be 94 people.
# Persian news also writes "بهمن ماه ۹۷ آغاز شد", "اردیبهشت ۹۶ به بهره برداری می رسد": a
# preposition, a verb or a word of starting/opening after it leaves no count to be read.
_FA_AFTER_YEAR = ("به|در|از|تا|که|را|با|برای|آغاز|شروع|افتتاح|کلید|می|نمی|خواهد|است|بود|شد|شده|"
                  "بهره|اجرا|انجام|ثبت|منتشر|تصویب|برگزار")
# Not before a comma and a four-digit year: "فروردین ۱۵، ۱۴۰۳" is a day (month-day-year).
_TWO_DIGIT_OK = (r"(?!\s*[,،]\s*\d{4}(?!\d))(?=\s*(?:$|[,.;:)\]\-؛]|ساعت|\d{1,2}:\d{2}|" + _MARKER
                 + rf"|(?:{w.fold_letters(_FA_AFTER_YEAR)})(?![{_AL}])))")
_AR_YEAR = (r"(?:\s*[,-]?\s*(?:سال|سنه|عام|العام)?\s*(?<![\d.])(?P<y>\d{4}(?![\d])|\d{2}(?![\d])" + _TWO_DIGIT_OK + ")"
            r"(?:\s*(?P<mk>" + _MARKER + "))?)")


# A month named with a word placing it against the publication date: its year (اسفند امسال,
# اسفند سال گذشته) or its last/next occurrence (مارس الماضي, اسفند گذشته, يناير المقبل).
_MONTH_QUALIFIERS = {
    "امسال": ("rel_year", 0), "سال جاری": ("rel_year", 0), "سال گذشته": ("rel_year", -1), "پارسال": ("rel_year", -1),
    "سال آینده": ("rel_year", 1), "الجاری": ("rel_year", 0), "الحالی": ("rel_year", 0), "جاری": ("rel_year", 0),
    "الماضی": ("occurrence", -1), "المنصرم": ("occurrence", -1), "الفائت": ("occurrence", -1),
    "السابق": ("occurrence", -1), "گذشته": ("occurrence", -1), "المقبل": ("occurrence", 1),
    "القادم": ("occurrence", 1), "آینده": ("occurrence", 1), "الآتی": ("occurrence", 1), "الجای": ("occurrence", 1),
    # "17 ديسمبر من العام الماضي": a year word after the month makes it that year's month, not
    # the month's last occurrence (and must not leave "العام الماضي" to be read on its own).
    "العام الماضی": ("rel_year", -1), "السنه الماضیه": ("rel_year", -1), "العام المنصرم": ("rel_year", -1),
    "العام الفائت": ("rel_year", -1), "العام السابق": ("rel_year", -1), "العام الحالی": ("rel_year", 0),
    "العام الجاری": ("rel_year", 0), "هذا العام": ("rel_year", 0), "السنه الحالیه": ("rel_year", 0),
    "السنه الجاریه": ("rel_year", 0), "العام المقبل": ("rel_year", 1), "العام القادم": ("rel_year", 1),
    "السنه المقبله": ("rel_year", 1), "السنه القادمه": ("rel_year", 1),
}
_QUALIFIER_KEYS = {w.name_key(k): v for k, v in _MONTH_QUALIFIERS.items()}
_OCCURRENCE_LABEL = {-1: "last_occurrence", 1: "next_occurrence"}
_AR_WHEN = rf"(?:{_AR_YEAR}|\s*(?:من\s*)?(?P<q>{w.names_regex(list(_MONTH_QUALIFIERS))}){AW})"


def _month_day(m: re.Match[str]) -> tuple[int | None, int | None]:
    """Day and range end of a month-name date: digits, or a Persian or Arabic ordinal word."""
    g = m.groupdict()
    if g.get("do"):
        d2 = w.FA_ORDINALS.get(w.name_key(g["do2"])) if g.get("do2") else None
        return w.FA_ORDINALS.get(w.name_key(g["do"])), d2
    if g.get("dar"):
        return w.AR_ORDINALS.get(w.name_key(g["dar"])), None
    return _int(g.get("d")), _int(g.get("d2"))


def _month_year(m: re.Match[str], ctx: Ctx, calendar: str) -> dict[str, Any] | _Veto | None:
    """Year fields of a month-name date: written (۹۴ is 1394), relative, or left to the reference."""
    ys = m["y"]
    if m["q"]:
        kind, k = _QUALIFIER_KEYS[w.name_key(m["q"])]
        return {kind: k, "label": _REL_LABEL[k] if kind == "rel_year" else _OCCURRENCE_LABEL[k]}
    if ys is None:
        return None if w.name_key(m["mn"]) in w.NEEDS_YEAR else {}
    g = m.groupdict()
    if len(ys) == 2 and int(ys) <= 31 and not (g.get("d") or g.get("dar") or g.get("do")) \
            and (calendar != "solar_hijri" or not ys.startswith("0")):
        # "شباط 13", "رمضان 15", "فروردین ۱۵": the 15th, or the year (14)15? Arabic and Persian
        # write both (WordPress bylines: month, day, year). "اسفند ۰۲" is a Solar year.
        return VETO
    y = expand_two_digit_year(int(ys), calendar) if len(ys) == 2 else int(ys)
    if m["mk"] and _calendar_for_year(y, ctx.area(m.start()), m["mk"]) != calendar:
        return VETO  # "۱۵ اردیبهشت ۲۰۲۳ میلادی": the names and the marker disagree
    return {"y": y} if _year_ok(y, calendar) else VETO


def _month_parts(m: re.Match[str], ctx: Ctx) -> Built:
    """Day (digits or ordinal word), month name, and its year as the name's calendar reads it."""
    calendar, mo = w.month_of_name(m["mn"])
    year = _month_year(m, ctx, calendar)
    if year is None or isinstance(year, _Veto):
        return year
    d, d2 = _month_day(m)
    return Parts(calendar, "day" if d else "month", m=mo, d=d, d2=d2, **year)


_MONTH_NAME = rf"{AB}(?=[{_firsts(_MONTH_NAMES)}])(?P<mn>{_MONTH_AR})(?:\s*ماه)?{AW}"


def _between_days(m: re.Match[str], ctx: Ctx, build: Callable[[re.Match[str], Ctx], Built]) -> Built:
    """"بين 5 و10 مارس": "و" (and) joins two days only after "between"."""
    if m["sep"] == "و" and not re.search(r"بین\s*$", _before(ctx, m, 8)):
        return None
    return build(m, ctx)


# Month before day, as Arabic also writes: "يوليو 13-15", "تموز 13 الى 15", "يناير 5، 2020", and
# Persian and Hijri months with their year (WordPress bylines: "فروردین ۱۵، ۱۴۰۳", "رمضان 15، 1445").
# A lone "شباط 13" (the 13th, or February 2013?) is left to the year rule, which does not guess.
def _build_ar_mdy(m: re.Match[str], ctx: Ctx) -> Built:
    calendar, mo = w.month_of_name(m["mn"])
    if not (m["y"] or m["d2"] and calendar == "gregorian"):
        return None
    y = int(m["y"]) if m["y"] else None
    if y is not None and not _year_ok(y, calendar):
        return VETO
    after = _WORD_AFTER.match(ctx.raw, m.end())
    if y is not None and after is not None and after.group(1) in _COUNTED_NOUNS:
        return VETO  # "در مهر ۱۲، ۱۴۰۰ بیمار": 1400 patients, or the year 1400? Neither is read as a date
    return Parts(calendar, "day", m=mo, d=int(m["d"]), d2=_int(m["d2"]), y=y)


# A counted noun right after "Month D، YYYY" makes the four digits as likely a count as a year.
_COUNTED_NOUNS = COUNTERS_AR | {k for k in UNITS_AR if " " not in k and k.isalpha()}
_WORD_AFTER = re.compile(r"[^\S\n]*(\w+)")


# A month named alone: "شهر ديسمبر", "ديسمبر", "في مارس", "ماه رمضان", "اردیبهشت ماه" (the month of
# the publication year, near it). Names that are also everyday words (مارس "practised", آب
# "water", رمضان and رجب as given names, solar months that are words: مهر, تیر, دی) need "شهر",
# "ماه" or a preposition before them, or "ماه" after a solar month.
_SAFE_ALONE = {w.name_key(n) for n in (
    "يناير", "فبراير", "أبريل", "إبريل", "يونيو", "يونيه", "يوليو", "يوليه", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر",
    "ديسمبر", "كانون الثاني", "كانون الأول", "شباط", "حزيران", "أيلول", "تشرين الأول", "تشرين الثاني", "جانفي",
    "فيفري", "أفريل", "جويلية", "يوليوز", "غشت", "شتنبر", "نونبر", "دجنبر", "ژانویه", "فوریه", "آوریل", "ژوئن",
    "ژوئیه", "سپتامبر", "اکتبر", "نوامبر", "دسامبر", "ذو القعدة", "ذو الحجة", "جمادى الأولى", "جمادى الآخرة",
    "ربيع الأول", "ربيع الآخر", "ربيع الثاني")}
_MONTH_CONTEXT = re.compile(rf"{AB}(?:فی|خلال|منذ|حتی|الی|طوال|در|از|تا|طی)\s*$")


def _build_month_alone(m: re.Match[str], ctx: Ctx) -> Built:
    calendar, mo = w.month_of_name(m["mn"])
    key = w.name_key(m["mn"])
    solar_named = calendar == "solar_hijri" and "ماه" in m.group(0)
    if not (m["sh"] or solar_named or (calendar != "solar_hijri" and key in _SAFE_ALONE)
            or (calendar == "gregorian" and key not in w.NEEDS_YEAR and _MONTH_CONTEXT.search(_before(ctx, m)))):
        return None
    return Parts(calendar, "month", m=mo)
_ARABIC_SCRIPT = [
    # Not after a colon: "۱۱:۴۴ - ۰۲ شهریور" is a time, then the date (not days 44 to 2).
    # Hyphens may stand between the parts: "١٤ - يناير - ٢٠٢٦".
    _rule("ar_dmy", r"(?<![\d.,/:])(?P<d>\d{1,2})(?:\s*(?P<sep>-|تا|الی|حتی|و)\s*(?P<d2>\d{1,2}))?"
          r"\s*(?:-\s*)?(?:ام\s*)?"
          r"(?:من\s*)?(?:شهر\s*)?" + _MONTH_NAME + _AR_WHEN + "?", lambda m, c: _between_days(m, c, _month_parts),
          first=r"\d"),
    # سوم شهریور, and ranges of ordinal days: یازدهم الی شانزدهم مرداد.
    _rule("fa_ordinal_dmy", AB + rf"(?P<do>{w.FA_ORDINAL_RE})(?:\s*(?:تا|الی|-)\s*(?P<do2>{w.FA_ORDINAL_RE}))?\s*"
          + _MONTH_NAME + _AR_WHEN + "?", _month_parts, first=_firsts(w.FA_ORDINALS)),
    _rule("ar_ordinal_dmy", AB + rf"(?:[وف])?(?P<dar>{w.AR_ORDINAL_RE})\s*(?:من\s*)?(?:شهر\s*)?" + _MONTH_NAME
          + _AR_WHEN + "?", _month_parts, first="وف" + _firsts(w.AR_ORDINALS)),
    _rule("ar_my", _MONTH_NAME + _AR_WHEN, _month_parts, first=_firsts(_MONTH_NAMES)),
    _rule("ar_mdy", _MONTH_NAME + r"\s*(?<![\d.])(?P<d>[12]\d|3[01]|0?[1-9])"
          r"(?:\s*(?:-|الی|حتی)\s*(?P<d2>[12]\d|3[01]|0?[1-9]))?"
          r"(?![\d:./])(?:\s*[,،]?\s*(?P<y>\d{4})(?![\d]))?", _build_ar_mdy, first=_firsts(_MONTH_NAMES)),
    _rule("ar_month_alone", rf"(?:{AB}[وبل]?(?P<sh>شهر|ماه)\s*)?" + _MONTH_NAME
          + rf"(?!\s*[-,،]?\s*\d|\s*(?:من\s*)?{w.names_regex(list(_MONTH_QUALIFIERS))}{AW})", _build_month_alone,
          for_numbers=False, first="شم" + _firsts(_MONTH_NAMES)),
]

_REL_MONTHS = {"الشهر الجاری": 0, "الشهر الحالی": 0, "هذا الشهر": 0, "الشهر الماضی": -1, "الشهر المنصرم": -1,
               "الشهر الفائت": -1, "الشهر قبل الماضی": -2, "الشهر الجای": 1, "الشهر بعد القادم": 2, "الشهر المقبل": 1,
               "الشهر القادم": 1, "ماه جاری": 0, "ماه گذشته": -1, "ماه آینده": 1}
_REL_MONTH_KEYS = {w.name_key(k): v for k, v in _REL_MONTHS.items()}


def _build_day_of_rel_month(m: re.Match[str], ctx: Ctx) -> Built:
    """العاشر من الشهر الجاري, ۱۵ ماه جاری, دهم ماه گذشته: a day of a month named relatively."""
    d, _ = _month_day(m)
    k = _REL_MONTH_KEYS[w.name_key(m["rm"])]
    persian = m["rm"].startswith("ماه")
    if persian and m["d"]:
        return None  # "۶ ماه گذشته" is "the past six months"; a Persian day here is an ordinal word
    return _shift_parts("month", k, "solar_hijri" if persian else "gregorian", 0, d)


_ARABIC_SCRIPT += [
    _rule("day_rel_month", rf"(?:(?<![\d.,/])(?P<d>\d{{1,2}})|{AB}(?:[وف])?(?P<dar>{w.AR_ORDINAL_RE})"
          rf"|{AB}(?P<do>{w.FA_ORDINAL_RE}))"
          rf"\s*(?:من\s*)?(?P<rm>{w.names_regex(list(_REL_MONTHS))}){AW}", _build_day_of_rel_month,
          needs=r"الشهر|ماه", first=r"\d" + "وف" + _firsts(w.AR_ORDINALS) + _firsts(w.FA_ORDINALS), for_numbers=False),
]


# A day and a word or two before "1447 هـ": a month name the reader does not know (a spelling
# variant); the whole year would be a coarser wrong answer than none.
_DAY_AND_WORDS = re.compile(rf"(?<![\d.,/])\d{{1,2}}\s*[{_AL}]+(?:\s+[{_AL}]+)?\s*$")


def _build_ar_year(m: re.Match[str] | _Alias, ctx: Ctx) -> Built:
    """سال ۹۶, سال ۱۴۰۲, عام 2020, 1445 هـ, سال‌های ۹۶ تا ۹۸."""
    ys, y2s = m["y"], m["y2"]
    area = ctx.area(m.start())
    if ys is None:
        return None
    if m["word"] is None and _DAY_AND_WORDS.search(_before(ctx, m, 30)):
        return VETO
    if len(ys) == 2:  # "سال ۹۶": a two-digit year is Solar Hijri, by the Iranian press's convention
        if not m["word"] or area == "ar":
            return None
        cal = "solar_hijri"
        y = expand_two_digit_year(int(ys), cal)
    else:
        y = int(ys)
        cal = _calendar_for_year(y, area, m["mk"])
    y2 = None if y2s is None else (expand_two_digit_year(int(y2s), cal) if len(y2s) == 2 else int(y2s))
    if not _year_ok(y, cal) or (y2 is not None and not y < y2 < y + 100):
        return VETO
    return Parts(cal, "year", y=y, y2=y2)


_ARABIC_SCRIPT += [
    _rule("ar_year", AB + r"(?:(?P<word>(?:[وب](?=ال))?(?:سال|سنه|عامی|عام|العام|سنتی)(?:های|هایی|ها)?)\s*"
          r"(?P<y>\d{4}|\d{2})(?:\s*(?:-|تا|الی|لغایت|لغایه)\s*(?P<y2>\d{4}|\d{2}))?(?![\d]|[.,/٫]\d)"
          r"(?:\s*(?P<mk>" + _MARKER + "))?"
          r"|(?<![\d.,/])(?P<y_>\d{4})\s*(?P<mk_>" + _MARKER + "))", lambda m, c: _build_ar_year(_Alias(m), c),
          first=r"\dسعاوب"),
]


class _Alias:
    """A match whose ``y_``/``mk_`` groups (the second way of writing a year) answer as ``y``/``mk``."""

    def __init__(self, m: re.Match[str]) -> None:
        self._m = m

    def __getitem__(self, key: str) -> str | None:
        return self._m[key] if self._m[key] is not None or key + "_" not in self._m.re.groupindex \
            else self._m[key + "_"]

    def start(self) -> int:
        return self._m.start()


# Relative years, months, weeks, days. Persian counts years and months in the Solar Hijri
# calendar and weeks from Saturday; Arabic news uses Gregorian years and a week from Sunday.
_FA_REL: dict[str, tuple[RelUnit, int]] = {
    "سال گذشته": ("year", -1), "پارسال": ("year", -1), "امسال": ("year", 0), "سال جاری": ("year", 0),
    "سال کنونی": ("year", 0), "سال آینده": ("year", 1), "سال آتی": ("year", 1),
    "ماه گذشته": ("month", -1), "ماه جاری": ("month", 0), "این ماه": ("month", 0), "ماه آینده": ("month", 1),
    "هفته گذشته": ("week", -1), "هفته پیش": ("week", -1), "هفته جاری": ("week", 0), "این هفته": ("week", 0),
    "هفته آینده": ("week", 1), "دیروز": ("day", -1), "پریروز": ("day", -2), "امروز": ("day", 0),
    "فردا": ("day", 1), "پس فردا": ("day", 2), "دیشب": ("day", -1), "روز گذشته": ("day", -1), "امشب": ("day", 0),
}
_AR_UNIT_WORDS: tuple[tuple[str, RelUnit], ...] = (("العام", "year"), ("الشهر", "month"), ("الاسبوع", "week"),
                                                  ("السنه", "year"))
_AR_REL: dict[str, tuple[RelUnit, int]] = {
    "العام الماضی": ("year", -1), "السنه الماضیه": ("year", -1), "العام المنصرم": ("year", -1),
    "العام الحالی": ("year", 0), "العام الجاری": ("year", 0), "هذا العام": ("year", 0), "السنه الحالیه": ("year", 0),
    "السنه الجاریه": ("year", 0), "هذه السنه": ("year", 0), "العام المقبل": ("year", 1), "العام القادم": ("year", 1),
    "السنه المقبله": ("year", 1), "السنه القادمه": ("year", 1),
    "الشهر الماضی": ("month", -1), "الشهر المنصرم": ("month", -1), "الشهر الجاری": ("month", 0),
    "الشهر الحالی": ("month", 0), "هذا الشهر": ("month", 0), "الشهر المقبل": ("month", 1), "الشهر القادم": ("month", 1),
    "الاسبوع الماضی": ("week", -1), "الاسبوع الجاری": ("week", 0), "الاسبوع الحالی": ("week", 0),
    "هذا الاسبوع": ("week", 0), "الاسبوع المقبل": ("week", 1), "الاسبوع القادم": ("week", 1),
    "امس الاول": ("day", -2), "امس": ("day", -1), "الامس": ("day", -1), "البارحه": ("day", -1), "غدا": ("day", 1),
    # words with "last" and "next" in other forms, and the unit before last / after next
    "العام الفائت": ("year", -1), "العام السابق": ("year", -1), "السنه الفائته": ("year", -1),
    "السنه المنصرمه": ("year", -1), "السنه السابقه": ("year", -1), "السنه الجای": ("year", 1),
    "الشهر الفائت": ("month", -1), "الشهر السابق": ("month", -1), "الشهر الجای": ("month", 1),
    "الاسبوع المنصرم": ("week", -1), "الاسبوع الفائت": ("week", -1), "الاسبوع السابق": ("week", -1),
    "الاسبوع الجای": ("week", 1),
    **{f"{unit} قبل {word}": (u, -2) for unit, u in _AR_UNIT_WORDS[:3] for word in ("الماضی", "المنصرم", "الفائت")},
    **{f"السنه قبل {word}": ("year", -2) for word in ("الماضیه", "المنصرمه", "الفائته")},
    **{f"{unit} بعد {word}": (u, 2) for unit, u in _AR_UNIT_WORDS for word in ("القادم", "المقبل", "الجای")},
    # today, tomorrow, the day after tomorrow, the day before yesterday
    "الیوم": ("day", 0), "هذا الیوم": ("day", 0), "الغد": ("day", 1), "یوم غد": ("day", 1), "یوم الغد": ("day", 1),
    "بعد غد": ("day", 2), "بعد الغد": ("day", 2), "یوم بعد غد": ("day", 2), "یوم بعد الغد": ("day", 2),
    "قبل امس": ("day", -2), "یوم قبل امس": ("day", -2), "اول امس": ("day", -2), "اول من امس": ("day", -2),
    "قبل الامس": ("day", -2),
}
_REL_AR_SCRIPT = {w.name_key(k): (v, "fa") for k, v in _FA_REL.items()} | {
    w.name_key(k): (v, "ar") for k, v in _AR_REL.items()}
_COUNTED = re.compile(rf"(?:\d|{AB}(?:یک|دو|سه|چهار|پنج|شش|هفت|هشت|نه|ده|چند))\s*$")


def _build_ar_rel(m: re.Match[str], ctx: Ctx) -> Built:
    """سال گذشته, امسال, دیروز / العام الماضي, أمس, الشهر الماضي."""
    if _COUNTED.search(_before(ctx, m)):
        return None  # "۵ سال گذشته": the past five years, not last year
    key = w.name_key(m["w"])
    if key == "الیوم" and re.match(rf"\s*ال[{_AL}]", ctx.text[m.end():m.end() + 4]):
        return None  # اليوم العالمي, اليوم الوطني: "the day" of something, not today
    (unit, k), lang = _REL_AR_SCRIPT[key]
    calendar = "solar_hijri" if lang == "fa" else "gregorian"
    if unit == "year":
        return Parts(calendar, "year", rel_year=k, label=_REL_LABEL[k])
    return _shift_parts(unit, k, calendar, 5 if lang == "fa" else 6)


_AR_WEEKDAYS = "الاحد|الاثنین|الثلاثاء|الاربعاء|الخمیس|الجمعه|السبت"
_YEAR_REL_RE = w.names_regex([k for k, v in {**_FA_REL, **_AR_REL}.items() if v[0] == "year"])
# After a year word and its digits, what shows the digits are the year and not a count
# ("العام الماضي 2023 مريضا" is 2023 patients): the end, punctuation, a calendar marker, or a
# preposition or conjunction.
_YEAR_DIGITS_END = (r"(?=\s*(?:$|[^\w\s]|" + _MARKER + "|(?:" + w.fold_letters(
    "في|من|على|إلى|حتى|و|ثم|بعد|قبل|خلال|مقارنة|بنسبة|عن|الذي|التي|حيث|كما|در|از|به|تا|که|را|با") + f")(?![{_AL}])))")


def _build_rel_year_digits(m: re.Match[str], ctx: Ctx) -> Built:
    """خلال العام الماضي 2023, هذا العام 1430هـ, سال جاری ۱۴۰۲: the written year wins over the word."""
    y = int(m["y"])
    cal = _calendar_for_year(y, ctx.area(m.start()), m["mk"])
    return Parts(cal, "year", y=y) if _year_ok(y, cal) else VETO


def _build_bare_year(m: re.Match[str], ctx: Ctx) -> Built:
    """منذ 2015, حتى 2030, در ۱۴۰۲, بين 2015 و2018, من 2015 إلى 2018, از ۱۳۹۶ تا ۱۳۹۸: a year written bare
    after a word that makes it a year; "من"/"از" (also "more than", "of") only open a range."""
    y, y2 = int(m["y"]), _int(m["y2"])
    if m["pre"] in ("من", "از", "بین") and y2 is None:
        return None
    area = ctx.area(m.start())
    cal = _calendar_for_year(y, area)
    if not _year_ok(y, cal) or (cal == "gregorian" and not 1900 <= y <= 2100):
        return None
    if y2 is not None and (_calendar_for_year(y2, area) != cal or not y < y2 < y + 100):
        return None
    return Parts(cal, "year", y=y, y2=y2)


def _build_today_weekday(m: re.Match[str], ctx: Ctx) -> Built:
    """اليوم الاثنين: "today, Monday" (a date written after it, اليوم الأحد الموافق 28 فبراير, wins)."""
    return _shift_parts("day", 0, "gregorian", 6)


_ARABIC_SCRIPT += [
    _rule("ar_rel", AB + r"(?:[وبلف](?=ال|ام))?(?P<w>" + w.names_regex([*_FA_REL, *_AR_REL]) + ")" + AW,
          _build_ar_rel, for_numbers=False, first="وبلف" + _firsts([*_FA_REL, *_AR_REL])),
    _rule("ar_rel_year_digits", AB + rf"(?:[وبلف](?=ال))?{_YEAR_REL_RE}\s*(?<![\d.])(?P<y>\d{{4}})(?![\d])"
          rf"(?:\s*(?P<mk>{_MARKER}))?{_YEAR_DIGITS_END}", _build_rel_year_digits,
          first="وبلف" + _firsts([*_FA_REL, *_AR_REL])),
    _rule("ar_today_weekday", AB + rf"(?:[وف])?الیوم\s*(?:{_AR_WEEKDAYS}){AW}(?!\s*,?\s*(?:الموافق|\d))",
          _build_today_weekday, for_numbers=False, first="وفا", needs="الیوم"),
    _rule("ar_bare_year", AB + r"(?:[وف])?(?P<pre>منذ|حتی|خلال|فی|طی|در|بین|من|از)\s*(?<![\d.])"
          r"(?P<y>\d{4})(?![\d]|[.,٫/]\d)"
          r"(?:\s*(?:و|الی|حتی|تا|-)\s*(?P<y2>\d{4})(?![\d]|[.,٫/]\d))?" + _YEAR_DIGITS_END + r"(?!\s*[%٪])",
          _build_bare_year, first="وفمحخطدبا"),
]

# A weekday named with "last", "next", "this" or a week: الثلاثاء الماضي, يوم الأحد القادم, هذا الخميس,
# الاثنين من الأسبوع الماضي; دوشنبه آینده, سه‌شنبه گذشته, این پنجشنبه, جمعه هفته آینده. A weekday
# alone (past or coming?) is not read. Arabic weeks start on Sunday, Iranian ones on Saturday.
_AR_WD = {"احد": 6, "اثنین": 0, "ثلاثاء": 1, "ثلاثا": 1, "اربعاء": 2, "اربعا": 2, "خمیس": 3, "جمعه": 4, "سبت": 5}
_FA_WD = {"شنبه": 5, "یکشنبه": 6, "دوشنبه": 0, "سهشنبه": 1, "چهارشنبه": 2, "پنجشنبه": 3, "جمعه": 4}
_AR_WD_RE = rf"(?P<al>ال)?(?P<wd>{'|'.join(sorted(_AR_WD, key=len, reverse=True))}){AW}"
_FA_WD_RE = r"(?P<wd>(?:یک|دو|سه|چهار|پنج)?\s*شنبه|جمعه)" + AW
_LAST_AR = "الماضی|الماضیه|الماض|المنصرم|المنصرمه|الفائت|الفائته|الفایت|السابق|السابقه"
_NEXT_AR = "القادم|القادمه|المقبل|المقبله|الاتی|الجای"
_AR_WEEKDAY_REL = (
    AB + rf"(?:(?P<yawm>[وبف]?یوم)\s*)?{_AR_WD_RE}\s*(?:"
    rf"(?P<before>قبل\s*(?:{_LAST_AR}))|(?P<after>بعد\s*(?:{_NEXT_AR}))"
    rf"|(?P<last>{_LAST_AR})|(?P<next>{_NEXT_AR})"
    rf"|(?:من\s*)?(?:(?P<tw>هذا\s*الاسبوع|الاسبوع\s*(?:الحالی|الجاری))|الاسبوع\s*(?:(?P<lw>{_LAST_AR})|(?P<nw>{_NEXT_AR}))))"
    + AW + rf"|{AB}(?P<this>هذا|هذه)\s*" + _AR_WD_RE.replace("(?P<al>", "(?P<al2>").replace("(?P<wd>", "(?P<wd2>"))
_FA_WEEKDAY_REL = (
    AB + rf"(?:روز\s*)?{_FA_WD_RE}\s*(?:(?P<last>گذشته|قبل|پیش)|(?P<next>آینده|اینده|بعد|آتی|اتی)"
    rf"|هفته\s*(?:(?P<lw>گذشته|قبل|پیش)|(?P<nw>آینده|اینده|بعد|آتی|اتی)|(?P<tw>جاری))|(?P<tw2>(?:این|همین)\s*هفته))"
    + AW + r"(?!\s*از)" + rf"|{AB}(?P<this>این|همین)\s*" + _FA_WD_RE.replace("(?P<wd>", "(?P<wd2>"))


def _build_weekday_rel(m: re.Match[str], ctx: Ctx, persian: bool) -> Built:
    table = _FA_WD if persian else _AR_WD
    g = m.groupdict()
    word = re.sub(r"\s+", "", g.get("wd") or g.get("wd2") or "")
    if word not in table:
        return None
    if not persian and not (g.get("al") or g.get("al2")) and not (g.get("tw") or g.get("lw") or g.get("nw")):
        return None  # a weekday without its article only in "اثنين الأسبوع الحالي"
    wd, start = table[word], (5 if persian else 6)
    calendar = "solar_hijri" if persian else "gregorian"
    week = 0 if g.get("tw") or g.get("tw2") or g.get("this") else (-1 if g.get("lw") else 1 if g.get("nw") else None)
    if week is not None:
        return Parts(calendar, "day", shift=week, shift_unit="week", weekday=wd, week_start=start,
                     label=_shift_label("week", week) + "_day")
    direction = -3 if g.get("before") else 3 if g.get("after") else -2 if g.get("last") else 2
    return Parts(calendar, "day", weekday=wd, weekday_dir=direction, week_start=start, label="weekday")


_ARABIC_SCRIPT += [
    _rule("ar_weekday_rel", _AR_WEEKDAY_REL, lambda m, c: _build_weekday_rel(m, c, False), for_numbers=False,
          first="وبفیاهثخجس"),
    _rule("fa_weekday_rel", _FA_WEEKDAY_REL, lambda m, c: _build_weekday_rel(m, c, True), for_numbers=False,
          needs="شنبه|جمعه", first="ریدسچپشجاه"),
]

_HALF_FA = r"(?:نیمه|نیم\s*سال|شش\s*ماهه|شش\s*ماه)\s*(?P<hn>اول|نخست|دوم)"
_QUARTER_FA = r"(?:سه\s*ماهه|فصل)\s*(?P<qn>اول|نخست|دوم|سوم|چهارم)"
_SEASON_FA = r"(?:فصل\s*)?(?P<season>بهار|تابستان|پاییز|زمستان)"
_PART_AR = r"(?P<part>النصف|الربع)\s*(?P<pn>الاول|الثانی|الثالث|الرابع)\s*(?:من)?"
_ORD = {"اول": 1, "نخست": 1, "دوم": 2, "سوم": 3, "چهارم": 4, "الاول": 1, "الثانی": 2, "الثالث": 3, "الرابع": 4}
_SEASONS = {"بهار": 1, "تابستان": 2, "پاییز": 3, "زمستان": 4}
_REL_YEAR_WORDS = {k: v for k, v in _REL_AR_SCRIPT.items() if v[0][0] == "year"}


def _part_of_year(m: re.Match[str], ctx: Ctx) -> dict[str, Any] | None:
    """Year fields of a half/quarter/season phrase: written year or relative year word."""
    if m["y"]:
        y = int(m["y"])
        persian = not m["part"]
        if len(m["y"]) == 2:  # سه ماهه اول ۹۶: Solar Hijri, as "سال ۹۶"
            cal, y = ("solar_hijri", expand_two_digit_year(y, "solar_hijri")) if persian else ("", 0)
        else:
            cal = _calendar_for_year(y, "fa" if persian else ctx.area(m.start()))
        if m["season"] and cal != "solar_hijri":
            return None  # Iranian seasons are Solar Hijri quarters; other seasons have no fixed days
        return {"calendar": cal, "y": y} if cal and _year_ok(y, cal) else None
    (unit, k), lang = _REL_YEAR_WORDS[w.name_key(m["rw"])]
    return {"calendar": "solar_hijri" if lang == "fa" else "gregorian", "rel_year": k, "label": _REL_LABEL[k]}


def _build_part_ar(m: re.Match[str], ctx: Ctx) -> Built:
    """نیمه اول سال ۱۴۰۲, سه ماهه سوم امسال, بهار ۱۴۰۲, الربع الأول من عام 2020."""
    year = _part_of_year(m, ctx)
    if year is None:
        return VETO
    if m["hn"] or (m["part"] == "النصف"):
        n = _ORD[m["hn"] or m["pn"]]
        if n > 2:
            return None
        return Parts(gran="half", m=6 * n - 5, m2=6 * n, **year)
    n = _SEASONS[m["season"]] if m["season"] else _ORD[m["qn"] or m["pn"]]
    return Parts(gran="quarter", m=3 * n - 2, m2=3 * n, **year)


_ARABIC_SCRIPT += [
    _rule("ar_part", AB + rf"(?:{_HALF_FA}|{_QUARTER_FA}|{_SEASON_FA}|{_PART_AR})" + AW
          + r"\s*(?:سال|عام|العام|سنه)?\s*(?:(?P<y>\d{4}|\d{2})(?![\d])|(?P<rw>"
          + w.names_regex([k for k, v in {**_FA_REL, **_AR_REL}.items() if v[0] == "year"]) + ")" + AW + ")",
          _build_part_ar, first=_firsts(["نیمه", "شش", "سه", "فصل", *_SEASONS, "ال"])),
]

# ----------------------------------------------------------------------------- English

_EN_M = (rf"(?=[JFMASONDjfmasond])(?P<mn>{w.EN_MONTH_RE}"
         r"|(?i:mar(?:ch)?|may)(?=\.?,?\s*(?:the\s+)?\d{1,2}(?:st|nd|rd|th)?(?![\w%]|[:.,]\d))|(?<=of\s)(?i:march|may)\b)")
_EN_ANY_MONTH = r"(?i:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
_EN_NAMES = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
_ORDSUF = r"(?:st|nd|rd|th)?"
_EN_Y = r"(?P<y>\d{4})(?![\d])"
_EN_TO = r"\s*(?:-|to|through|thru|until)\s*"


_EN_REL_YEAR = {"this": 0, "current": 0, "last": -1, "previous": -1, "next": 1}


_EN_FUZZY = re.compile(r"(?i:early|mid|late|end|beginning|start)\b")
_EN_ORDINAL_DAYS = {w_: i for i, w_ in enumerate(
    ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth", "eleventh",
     "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth", "eighteenth", "nineteenth",
     "twentieth"], 1)}
_EN_ORDINAL_DAYS |= {f"twenty{sep}{w_}": 20 + i for w_, i in list(_EN_ORDINAL_DAYS.items())[:9] for sep in ("-", " ")}
_EN_ORDINAL_DAYS |= {"thirtieth": 30, "thirty-first": 31, "thirty first": 31}
_EN_ORD_RE = "(?i:" + "|".join(sorted(map(re.escape, _EN_ORDINAL_DAYS), key=len, reverse=True)) + r")\b"


def _build_en(m: re.Match[str], ctx: Ctx) -> Built:
    """March 7, 2024 / 7 March 2024 / 25-July-2014 / March 2024 / 10-12 March / February 2 this year."""
    g = m.groupdict()
    if g.get("fz") is not None or (m.group(0)[:1].isalpha() and _EN_FUZZY.match(m.group(0))):
        return VETO  # "early March", "mid-May": the month's first and last day are not written
    y, d = _int(g.get("y")), _int(g.get("d"))
    if y is not None and not 1000 <= y <= 2199:
        return VETO
    year: dict[str, Any] = {"y": y}
    if g.get("ry"):  # "February 2 this year", "17 December last year": the reference's year, moved
        k = _EN_REL_YEAR[g["ry"].lower()]
        year = {"rel_year": k, "label": _REL_LABEL[k]}
    if g.get("dw"):
        d = _EN_ORDINAL_DAYS[re.sub(r"\s+", " ", g["dw"].lower())]
    return Parts("gregorian", "day" if d else "month", m=w.en_month(m["mn"]), d=d, d2=_int(g.get("d2")), **year)


def _build_en_which_month(m: re.Match[str]) -> Built:
    """last March (the latest March before this month), this March, next March."""
    which = m["which"].lower()
    mo = w.en_month(m["mn"])
    if which == "this":
        return Parts("gregorian", "month", m=mo, rel_year=0, label="this_year")
    k = -1 if which == "last" else 1
    return Parts("gregorian", "month", m=mo, occurrence=k, label=_OCCURRENCE_LABEL[k])


# A year named relative to the publication date after a day: "February 2 this year", "of last year".
_EN_REL_Y = r"(?:,?\s+(?:of\s+)?(?P<ry>(?i:this|current|last|previous|next))\s+(?i:year)\b)"
_ENGLISH = [
    _rule("en_mdy", rf"(?<![A-Za-z]){_EN_M}\.?[\])]?,?\s*(?:(?i:the)\s+)?(?<![\d])(?P<d>\d{{1,2}}){_ORDSUF}"
          rf"(?:{_EN_TO}(?P<d2>\d{{1,2}}){_ORDSUF})?(?![\d:])"
          rf"(?:,?\s+(?:at\s+)?(?:\d{{1,2}}:\d{{2}}(?::\d{{2}})?\s+)?{_EN_Y}|{_EN_REL_Y})?", _build_en,
          first=_firsts(_EN_NAMES)),
    # 7 March 2024, 10-12 March, 25-July-2014 (hyphens between the parts, as Indian wires write).
    _rule("en_dmy", rf"(?<![\d.,:])(?P<d>\d{{1,2}}){_ORDSUF}(?:{_EN_TO}(?P<d2>\d{{1,2}}){_ORDSUF})?"
          rf"(?:\s*(?:of\s+)?|-){_EN_M}\.?(?:(?:,?\s+|-){_EN_Y}|{_EN_REL_Y})?", _build_en, first=r"\d"),
    _rule("en_my", rf"(?<![A-Za-z]){_EN_M}\.?(?:,?\s+(?:of\s+)?{_EN_Y}|{_EN_REL_Y})", _build_en,
          first=_firsts(_EN_NAMES)),
    # "the first of March", "March first", "March twenty-third, 2020": a day as an ordinal word
    _rule("en_word_day", rf"(?i:\b(?:the\s+)?)(?P<dw>{_EN_ORD_RE})\s+(?i:of)\s+{_EN_M}(?:,?\s+{_EN_Y})?",
          _build_en, for_numbers=False, first="TtFfSsEeNn"),
    _rule("en_day_word", rf"(?<![A-Za-z])(?P<mn>{w.EN_MONTH_RE}|(?i:march)(?=\s+(?:the\s+)?{_EN_ORD_RE}))"
          rf"\s+(?:(?i:the)\s+)?(?P<dw>{_EN_ORD_RE})(?:,?\s+{_EN_Y})?", _build_en,
          for_numbers=False, first=_firsts(_EN_NAMES)),
    _rule("en_which_month", r"(?i:\b(?P<which>last|next|this)\s+)"
          r"(?P<mn>(?i:january|february|april|june|july|august|september|october|november|december)|May|March)\b",
          lambda m, c: _build_en_which_month(m), first=_firsts(["last", "next", "this"]), for_numbers=False),
    # "in March": the month of the reference's year, only when no day or year follows (those
    # make "in March 2018", "till March 31" dates of the rules above, which must win).
    _rule("en_in_month", r"(?i:\b(?:in|since|during|until|till|by|from|(?P<fz>early|mid|late))\b-?\s*)"
          r"(?P<mn>(?i:january|february|april|june|july|august|september|october|november|december)|May|March)\b"
          r"(?!\.?,?\s*(?:of\s+)?(?:\d|(?i:this|last|next|current|previous)\s+year))",
          _build_en, for_numbers=False,
          first=_firsts(["in", "since", "during", "until", "till", "by", "from", "early", "mid", "late"])),
]


# A scale word after the digits makes them a figure ("between 1950 and 2000 million euros").
_EN_SCALE = r"\s*(?:and\s+\d{4}\s+)?(?i:million|billion|trillion|thousand|hundred|bn|mn)\b"


def _build_en_year(m: re.Match[str], ctx: Ctx) -> Built:
    """in 2015, since 2015, by 2030, during 2018-2020; a fiscal year is not a calendar year."""
    if m["fy"] or _EN_FUZZY.match(m.group(0)):
        return VETO  # fiscal years start in other months; "mid-2020", "end of 2020" have no written bounds
    y, y2 = int(m["y"]), m["y2"]
    if y2 is not None and len(y2) == 2:
        return VETO  # "2015-16": a season or fiscal year, not the years 2015 and 2016
    y2 = _int(y2)
    if not 1800 <= y <= 2100 or (y2 is not None and not y < y2 <= 2100):
        return None  # "between 3000 and 3001 million": no year, the number reader's figures
    return Parts("gregorian", "year", y=y, y2=y2)


def _build_en_part(m: re.Match[str], ctx: Ctx) -> Built:
    """Q1 2020, 2020 Q1, H2 2019, first quarter of 2020, the second half."""
    if m["fiscal"]:
        return VETO
    tag = (m["tag"] or m["tag2"] or "").upper()
    word = (m["ord"] or "").lower()[:3]
    n = int(tag[1]) if tag else {"fir": 1, "1st": 1, "sec": 2, "2nd": 2, "thi": 3, "3rd": 3, "fou": 4, "4th": 4}[word]
    half = tag.startswith("H") or (m["kind"] or "").lower() == "half"
    if half and n > 2:
        return None
    y = _int(m["y"] or m["y2"])
    size = 6 if half else 3
    return Parts("gregorian", "half" if half else "quarter", y=y, m=size * n - size + 1, m2=size * n)


_EN_REL_UNITS: dict[str, ShiftUnit] = {"month": "month", "week": "week", "quarter": "quarter"}


def _build_en_decade(m: re.Match[str], ctx: Ctx) -> Built:
    """the 1970s, mid-1980s, the '90s: a decade; '00s..'20s (which century?) are not read."""
    if m["y"]:
        return _decade(int(m["y"]))
    n = int(m["yy"])
    return _decade(1900 + n) if n >= 30 else VETO


_WEEKDAYS_EN = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_EN_WEEKDAY_RE = r"(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day"
# Named days that are no reference to this week (Black Friday, Good Friday, Super Tuesday), days
# that recur (every Monday) and the end of a span of weekdays (Monday-Friday opening hours).
_NAMED_DAY = re.compile(r"(?i:\b(?:black|cyber|good|easter|ash|super|palm|holy|maundy|shrove|bloody|blue|giving"
                        rf"|whit|low|mothering|bank|every|each|on\s+alternate)\s*$|{_EN_WEEKDAY_RE}\s*(?:-|–|to|through|thru|and|or)\s*$)")
# A future verb before the weekday: the next such day ("will meet on Tuesday").
_FUTURE_EN = re.compile(r"(?i:\b(?:will|shall|would|'ll|is\s+due|are\s+due|scheduled|expected\s+to|set\s+to"
                        r"|plans?\s+to|going\s+to|to\s+be\s+held|from\s+next)\b[^.;!?]*$)")


def _build_en_weekday(m: re.Match[str], ctx: Ctx) -> Built:
    """on Tuesday, announced Monday, last Friday, next Monday: the day found from the reference,
    the latest such day on or before it (news reports what happened), after a future verb the
    first on or after it; "last"/"next" exclude the reference day itself."""
    before = ctx.text[max(0, m.start() - 80):m.start()]
    if _NAMED_DAY.search(before):
        return None
    which = (m["which"] or "").lower()
    wd = _WEEKDAYS_EN.index((m["wd"] or m["wdl"]).lower())
    if which == "this":  # this Friday: the Friday of this week
        return Parts("gregorian", "day", shift=0, shift_unit="week", weekday=wd, label="this_week_day")
    if which:
        direction = -2 if which == "last" else 2
    else:
        direction = 1 if _FUTURE_EN.search(before) else -1
    return Parts("gregorian", "day", weekday=wd, weekday_dir=direction, label="weekday")


def _build_en_week_day(m: re.Match[str], ctx: Ctx) -> Built:
    """Wednesday of next week, Tuesday last week, last week's Sunday, Monday of this week (weeks
    from Monday, as ISO counts them)."""
    k = {"last": -1, "previous": -1, "this": 0, "next": 1}[(m["which"] or m["which2"]).lower()]
    wd = _WEEKDAYS_EN.index((m["wd"] or m["wd2"]).lower())
    return Parts("gregorian", "day", shift=k, shift_unit="week", weekday=wd, label=_shift_label("week", k) + "_day")


def _build_en_rel(m: re.Match[str], ctx: Ctx) -> Built:
    """yesterday, today, last year, this month, next week."""
    word = re.sub(r"\s+", " ", m["w"].lower())
    if word in ("yesterday", "today", "tomorrow") or word.endswith(("day before yesterday", "day after tomorrow")):
        k = {"yesterday": -1, "today": 0, "tomorrow": 1}.get(word, -2 if "before" in word else 2)
        return _shift_parts("day", k, "gregorian", 0)
    k = {"last": -1, "previous": -1, "this": 0, "current": 0, "next": 1}[m["which"].lower()]
    unit = m["unit"].lower()
    if unit == "year":
        return Parts("gregorian", "year", rel_year=k, label=_REL_LABEL[k])
    return _shift_parts(_EN_REL_UNITS[unit], k, "gregorian", 0)


_ENGLISH += [
    _rule("en_year", r"(?i:\b(?:(?:in|since|during|between|year|from|until|till|through|throughout|by|early|mid|late"
          r"|end\s+of|beginning\s+of|start\s+of)\b-?\s*|(?P<fy>FY\s*'?|fiscal\s+(?:year\s+)?))"
          r"(?P<y>\d{4})(?:\s*[-–]\s*(?P<y2>\d{4}|\d{2}))?(?![\d]|[.,]\d|\s*(?:%|per\s*cent)|" + _EN_SCALE + "))",
          _build_en_year,
          first=_firsts(["in", "since", "during", "between", "year", "from", "until", "till", "through", "by", "early",
                         "mid", "late", "end", "beginning", "start", "FY", "fiscal"])),
    _rule("en_part", r"(?i:\b(?:(?P<tag>[QH][1-4])|(?P<ord>first|second|third|fourth|1st|2nd|3rd|4th)\s+"
          r"(?P<kind>quarter|half))(?:\s+of)?,?\s+(?P<fiscal>fiscal\s+(?:year\s+)?)?(?P<y>\d{4})(?![\d])"
          r"|\b(?P<y2>\d{4})\s*(?P<tag2>[QH][1-4])\b)", _build_en_part, first=r"\dQqHhFfSsTt"),
    _rule("en_decade", r"(?i:(?<![\w'])(?:(?P<y>1[0-9]\d0|20\d0)|'(?P<yy>\d0))s\b)", _build_en_decade,
          needs=r"0s\b", first=r"\d'"),
    # A weekday alone; one followed by its date ("Monday, March 2") is left to the date.
    _rule("en_weekday", r"(?<![A-Za-z])(?:(?P<which>(?i:last|next|this))\s+"
          r"(?P<wdl>(?i:monday|tuesday|wednesday|thursday|friday|saturday|sunday))|"
          r"(?P<wd>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday))(?![A-Za-z])"
          rf"(?!\s+(?i:of|in)\s+(?:(?i:the)\s+)?(?:(?i:month)|{_EN_ANY_MONTH}|\d))"
          r"(?!\s+(?:Times|Telegraph|Express|Mirror|Post|Herald|Mail|Tribune|Independent|Observer|Star|Nation))"
          rf"(?!\.?,?\s*(?:the\s+)?(?:\d{{1,2}}(?:st|nd|rd|th)?\s*(?:of\s+)?{_EN_ANY_MONTH}|{_EN_ANY_MONTH}"
          r"|\d{1,2}[/.-]\d))"
          rf"(?!\s*(?:-|–|to|through|thru|and|or)\s*{_EN_WEEKDAY_RE})", _build_en_weekday, for_numbers=False,
          needs=r"(?i:day)\b", first="LlNnTtMWFS"),
    _rule("en_rel", r"(?i:\b(?P<w>yesterday|today|tomorrow|(?:the\s+)?day\s+(?:before\s+yesterday|after\s+tomorrow)"
          r"|(?P<which>last|this|next|current|previous)\s+(?P<unit>year|month|week|quarter))\b)", _build_en_rel,
          for_numbers=False,
          first=_firsts(["yesterday", "today", "tomorrow", "the", "day", "last", "this", "next", "current",
                         "previous"])),
    _rule("en_week_day", rf"(?i:\b(?P<wd>{_EN_WEEKDAY_RE})\s+(?:of\s+|from\s+)?"
          r"(?P<which>last|previous|this|next)\s+week\b"
          rf"|\b(?P<which2>last|previous|this|next)\s+week'?s\s+(?P<wd2>{_EN_WEEKDAY_RE})\b)", _build_en_week_day,
          for_numbers=False, needs=r"(?i:week)", first="MmTtWwFfSsLlPpNn"),
    # "the 20th of next month", "on the 5th of this month"
    _rule("en_day_rel_month", r"(?i:\b(?:the\s+)?(?P<d>[12]\d|3[01]|0?[1-9])(?:st|nd|rd|th)?\s+of\s+"
          r"(?P<which>last|previous|this|next)\s+month\b)", lambda m, c: _shift_parts(
              "month", {"last": -1, "previous": -1, "this": 0, "next": 1}[m["which"].lower()], "gregorian", 0,
              int(m["d"])), for_numbers=False, needs=r"(?i:month)", first=r"\dTt"),
]

RULES: tuple[Rule, ...] = tuple(_NUMERIC + _CHINESE + _ARABIC_SCRIPT + _ENGLISH)
