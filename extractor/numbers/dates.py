"""Deterministic reading of dates and periods in Chinese, Persian, Arabic and English news.

A date comes back as the period it denotes (first and last Gregorian day, inclusive), the unit
that was written (day, week, month, quarter, half, year) and the calendar it was written in.
Dates relative to the article ("去年", "سال گذشته", "yesterday") and dates without a year
("15 سپتامبر", "九月三号") are resolved only against an explicit ``reference`` (the
publication date); without one they come back with ``resolved=False`` and no days, never
guessed. A date that cannot be read safely (2019年2月29日, 03/04/2020 in English) is ``None``.

>>> parse_date("سال ۹۶").start.isoformat(), parse_date("سال ۹۶").end.isoformat()
('2017-03-21', '2018-03-20')
>>> parse_date("2024年3月7日").start
datetime.date(2024, 3, 7)
>>> parse_date("سه شنبه سوم شهریور ۱۳۹۴").start
datetime.date(2015, 8, 25)
>>> parse_date("1月22日").resolved
False
>>> parse_date("去年", reference=date(2024, 3, 7)).start
datetime.date(2023, 1, 1)
>>> v = parse_date("2017年下半年")
>>> v.start.isoformat(), v.end.isoformat(), v.granularity
('2017-07-01', '2017-12-31', 'half')
>>> v = parse_date("时间从2016年一月十日到十二日")
>>> v.start.isoformat(), v.end.isoformat(), v.granularity
('2016-01-10', '2016-01-12', 'day')
>>> parse_date("2019年2月29日") is None
True

Layout: :mod:`extractor.numbers.date_rules` holds the patterns of each script,
:mod:`extractor.numbers.date_parts` what they read and how it is resolved,
:mod:`extractor.numbers.calendars` the calendar arithmetic. ``docs/dates.md`` says what is read
and what was chosen where the written form is ambiguous.
"""

from __future__ import annotations

import re
from datetime import date

from extractor.numbers.date_parts import DateValue, Granularity, Parts, merge_range, resolve, until_reference
from extractor.numbers.date_rules import Ctx, Token, scan, script_of
from extractor.numbers.normalize import Normalized
from extractor.text.textnorm import PINYIN_ANNOTATION, to_ascii_digits

__all__ = ["DateValue", "Granularity", "parse_date", "find_dates", "date_spans"]

# ---------------------------------------------------------------------------
# Normalisation: digits to ASCII (one for one), inline pinyin and invisible characters removed,
# with a map back to the original offsets.

# Harakat (tanwin, shadda, sukun...) go too: "محرّم", "غداً" are the month and the word without them.
_INVISIBLE = re.compile("[\u200b-\u200f\u2060\ufeff\u202a-\u202e\u2066-\u2069\u0640\u00ad\u064b-\u065f\u0670]+")
_ONE_FOR_ONE = str.maketrans("％．\u00a0\u3000\u202f－～：", "%.   -~:")
# Digits to ASCII (as textnorm.to_ascii_digits) and the marks above in one pass: a translation
# of a megabyte of non-ASCII text costs a noticeable fraction of a second.
_NORMALIZE = {**str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩０１２３４５６７８９", "0123456789" * 3), **_ONE_FOR_ONE}
# PINYIN_ANNOTATION with its bracket first, so that the scan skips to brackets: same matches.
_PINYIN = re.compile("[(（](?<=[\u3400-\u9fff\uf900-\ufaff][(（])" + PINYIN_ANNOTATION.pattern.split("[(（]", 1)[1],
                     PINYIN_ANNOTATION.flags)


class _Normalized(Normalized):
    """The date reader's view of a text: the number reader's offset map (:class:`Normalized`),
    cutting inline pinyin, invisible characters and harakat, and folding digits and
    full-width marks in one translation (a megabyte of text is scanned in a fraction of a second)."""

    __slots__ = ()
    CUTS = (_PINYIN, _INVISIBLE)

    def fold(self, kept: str) -> str:
        return kept.translate(_NORMALIZE)


# ---------------------------------------------------------------------------
# Reading

def _norm_lang(lang: str | None) -> str | None:
    if not lang:
        return None
    lang = lang.lower()
    return "zh" if lang.startswith("zh") else lang.split("-")[0]


# Two dates joined into one period: "2016年9月3号-2017年10月24号", "10 March to 12 April 2020",
# "از ۱ تا ۱۰ فروردین"; "and" joins only after "between" (2015年和2018年 are two years).
# A weekday may stand before the second date: "28 فبراير حتى الأربعاء 3 مارس", "to Friday, 3 March",
# 起 before 至 ("自今年元旦起至2月28日"), and a time of day after the first date: a range of two
# datetimes ("2019.05.29 15:20-2020.01.12 12:10", "3月9日10时至12日17时").
_WEEKDAY = (r"(?:(?:یوم\s*)?(?:الاحد|الاثنین|الثلاثاء|الاربعاء|الخمیس|الجمعه|السبت)"
            r"|(?:یک|دو|سه|چهار|پنج)\s*شنبه|شنبه|جمعه"
            r"|(?i:(?:mon|tues|wednes|thurs|fri|satur|sun)day)|星期[一二三四五六日天]|[周週][一二三四五六日])")
_TIME_OF_DAY = (r"(?:\s*(?:[上下]午|早上|晚上|中午|凌晨|傍晚|夜间|夜間|(?:الساعه|ساعت)\s*)?\d{1,2}"
                r"(?:[:：]\d{2}(?::\d{2})?|\s*[点點时時](?:\s*\d{1,2}\s*分?|半|[一二三]刻)?|h(?:\d{2})?\b)"
                r"(?:\s*(?i:[ap]\.?m\.?))?|\s*零[时時]|\s*(?i:noon|midnight))")
_JOIN = re.compile(rf"{_TIME_OF_DAY}?\s*(?:-{{1,2}}|~|起?\s*至|起?\s*到|(?i:to|until|till|through|thru)|تا|الی|حتی"
                   r"|لغایه)\s*"
                   rf"(?:{_WEEKDAY}\s*[,،]?\s*(?:الموافق\s*)?)?")
_AND = re.compile(r"\s*(?:(?i:and)|و)\s*")
_BETWEEN = re.compile(r"(?:(?i:between)|بین)\s*")
# "from 2015 to 2018", "between 2015 and 2018": a bare year closing a year.
_YEAR_TAIL = re.compile(r"\s*(?:-{1,2}|~|至|到|(?i:to|until|till|through|and)|تا|الی|حتی|و)\s*(\d{4})(?![\d])"
                        r"(?!\s*(?:[%٪万萬亿億]|(?i:million|billion|trillion|thousand|hundred|bn|mn)\b"
                        r"|(?:ملیون|ملیار|الف|هزار|میلیون|میلیارد)))")
# "2001年起至今", "from 2015 to date", "از سال ۹۶ تا کنون", "منذ 2015 حتى الآن": to the reference date.
_UNTIL_NOW = re.compile(r"\s*(?:起?\s*(?:至今|迄今|到现在|到現在|至现在|至現在|到目前为止|到目前為止|到目前|至目前)"
                        r"|(?i:to\s+date|until\s+now|till\s+now|to\s+the\s+present(?:\s+day)?)"
                        r"|تا\s*(?:کنون|به\s*حال|به\s*امروز|حالا)|حتی\s*(?:الان|الان|یومنا\s*هذا))")

# Words that make a written period fuzzy ("2018年底", "early 2020", "أواخر العام الماضي",
# "اوایل مهر"): its first and last day are not written, so the period is not read (a coarser
# one would merely contain the truth). Open modifiers (2018年后, since 2015) keep the date named.
_BLUR_AFTER_ZH = re.compile(r"\s*(?:底|末|尾|伊始|初(?![一二三四五六七八九十\d])|中(?![旬午国國心央期间間文外英方])"
                            r"|[头頭](?![一二两兩三四五六七八九十\d])|前后|前後|左右|上下(?![午])|[初中末前后後早晚]期|中叶|中葉"
                            r"|年初|年末|年底|年中"
                            # before / after the date: an open period the text does not bound (2025年前, 2018年后)
                            r"|以前|之前|以后|以後|之后|之後|[前后後](?![一二两兩三四五六七八九十\d半个個]))")
_BLUR_BEFORE = re.compile(
    r"(?:(?i:\b(?:early|mid|late|(?:the\s+)?(?:end|beginning|start|middle|turn|close)\s+of)\s*-?\s*(?:the\s+)?)"
    r"|(?<![\u0600-\u06ff])(?:اواخر|اوائل|اوایل|مطلع|منتصف|اواسط|نهایه|بدایه|ابتدای|پایان|انتهای|اواسط|میانه)"
    r"\s*(?:شهر|عام|العام|سنه|السنه|سال|ماه)?\s*)$")
# A relative word whose prefix the reader does not know ("the day after tomorrow" is read, but not
# "two days after tomorrow"): the prefix changes the day, so the shorter word is not read alone.
_REL_PREFIX = re.compile(r"(?:(?i:\b(?:after|before|following|previous|prior\s+to)\s+(?:the\s+)?)"
                         r"|(?<![\u0600-\u06ff])(?:(?:ال)?قبل|(?:ال)?بعد|اول|اول\s*من)\s*)$")


def _joined(a: Token, b: Token, text: str) -> bool:
    gap = text[a.end:b.start]
    if _JOIN.fullmatch(gap):
        return True
    return bool(_AND.fullmatch(gap) and _after_between(a, text))


def _after_between(a: Token, text: str) -> bool:
    """Whether "between"/"بین" opens the date of ``a`` (just before it, or as its first word)."""
    return bool(_BETWEEN.search(text, max(0, a.start - 12), min(a.end, a.start + 8)))


def _year_tail(a: Token, text: str) -> tuple[int, Parts] | None:
    """End and parts of a year range whose second year is written bare ("from 2015 to 2018")."""
    p = a.parts
    m = _YEAR_TAIL.match(text, a.end)
    if m is None or not isinstance(p, Parts) or p.gran != "year" or p.y is None or p.y2 is not None:
        return None
    word = m.group(0).strip(" 0123456789").lower()
    if word in ("and", "و") and not _after_between(a, text):
        return None
    y2 = int(m.group(1))
    if not p.y < y2 < p.y + 100:
        return None
    return m.end(), Parts(p.calendar, "year", y=y2)


# Signs that the text names a finer date than the token read, around it, which the reader could
# not read: "last day of October 2015", "6月第3个星期日", "اخر اثنين من شهر اذار", "二月十三到十五",
# "5.8. - 16.8.2018" (a range whose start is unread), "من ... الى <unread>". The coarser token
# merely contains the truth, so it is not given.
_DAY_WORD_BEFORE = re.compile(
    r"(?:(?i:\b(?:day|days|week|weekend|monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|wed|thu|fri|sat"
    r"|sun|first|last|second|third|fourth|1st|2nd|3rd|4th|\d{1,2}(?:st|nd|rd|th)?)\s+(?:of|in)\s+(?:the\s+)?)"
    r"|(?<![\u0600-\u06ff])(?:یوم|ایام|اسبوع|الاسبوع|(?:ال)?(?:احد|اثنین|ثلاثاء?|اربعاء?|خمیس|جمعه|سبت)|اول|اخر|الاخیر|الاول"
    r"|عشره?|(?<![\d.,٫٬])\d{1,2})\s*(?:(?:من|فی|ب|ل)\s*)?(?:شهر\s*)?"
    r"|(?<![\u0600-\u06ff])شهر\s*[^\s\d]+\s*)$")
_DAY_NUMBER_BEFORE = re.compile(r"(?<![\d:.])\d{1,2}(?:st|nd|rd|th|\.)?\s*(?:(?i:of)\s+)?$")
_RANGE_START_UNREAD = re.compile(r"(?<![\d:])\d{1,4}[日号號]?\.?\s*(?:-{1,2}|~|至|到|(?i:to|until|through|thru)"
                                 r"|تا|الی|حتی)\s*$")
# A joiner, then what starts a date: the end of a range the reader did not read.
_RANGE_END_UNREAD = re.compile(
    r"\s*(?:(?:-{1,2}|~|至|到)\s*(?:{d}|[〇○一二三四五六七八九十]|星期|[周週][一二三四五六日天]|礼拜|禮拜|[上下本今明去次]\S)"
    r"|(?i:until|till|through|thru|to)\s+(?:{d}|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|mon|tue|wed|thu|fri|sat"
    r"|sun)[a-z]*\b)|(?:تا|الی|حتی)\s*(?:{d}|(?:ال)?(?:احد|اثنین|ثلاثاء|اربعاء|خمیس|جمعه|سبت)|(?:یک|دو|سه|چهار|پنج)?\s*شنبه))"
    .replace("{d}", r"\d(?!\d?\s*[:：]\d)"))  # a digit that starts no time of day
_BEFORE_AFTER_AR = re.compile(r"(?<![\u0600-\u06ff])(?:قبل|بعد|پیش\s*از|پس\s*از|قبل\s*از|بعد\s*از)\s*$")
_FROM_BEFORE = re.compile(r"(?:(?i:\b(?:from|between))|从|從|自|由|(?<![\u0600-\u06ff])(?:از|من|بین))\s*$")
_JOINER_AFTER = re.compile(r"\s*(?:-{1,2}|~|至|到|(?i:to|until|till|through|thru|and)\b|تا|الی|حتی"
                           r"|لل?(?=[\u0600-\u06ff])|و(?=\s*\S))\s*\S")
_ZH_UNREAD_AFTER = re.compile(
    r"(?:的\s*)?(?:第|最后|最後|首|头|頭)\s*[\d一二两兩三四五六七八九十]*\s*(?:个|個)?\s*(?:星期|周|週|礼拜|禮拜|天|日|季|月|旬)"
    r"|[\d〇○一二两兩三四五六七八九十廿卅]+\s*(?:[日号號月季]|个月|個月|-|~|到|至|$)"
    r"|初[一二三四五六七八九十\d]|正月|腊月|臘月|冬月|[前后後]\s*[\d一二两兩三四五六七八九十]+\s*(?:个|個)?月"
    r"|端午|中秋|春节|春節|元宵|七夕|重阳|重陽|国庆|國慶|暑假|寒假|[春夏秋冬](?:季|天)?(?![节節运運装裝耕播收])"
    r"|立春|雨水|惊蛰|驚蟄|春分|清明|谷雨|穀雨|立夏|小满|小滿|芒种|芒種|夏至|小暑|大暑|立秋|处暑|處暑|白露|秋分|寒露"
    r"|霜降|立冬|小雪|大雪|冬至|小寒|大寒"
    r"|[\u4e00-\u9fff]{0,3}[节節](?![能约約省目奏点點水制俭儉拍假])")
_AR_MODIFIER_AFTER = re.compile(r"\s*(?:قبل|بعد)\s*(?:الماضی|الماضیه|المنصرم|الفائت|القادم|المقبل|الجای|التالی)")
_EN_DAY_TWO_DIGIT_YEAR = re.compile(r",?\s+\d{2}(?=\s*(?:$|[,;!?)]|\.(?!\d)))")


def _fuzzy(a: Token, end: int, text: str, joined: bool = False) -> int | None:
    """End of the date with the word that makes it coarser than the text or fuzzy, if there is
    one before or after it: a fuzzy word (2018年底, early 2020), an unknown prefix before a
    relative day, a finer date around it that was not read. None when the date stands as read."""
    before = text[max(0, a.start - 30):a.start]
    if _BLUR_BEFORE.search(before):
        return end
    p = a.parts
    if not isinstance(p, Parts):
        return None
    name = a.rule.name
    if name.startswith("zh"):
        m = _BLUR_AFTER_ZH.match(text, end)
        if m:
            return m.end()
        if p.gran != "day" and _ZH_UNREAD_AFTER.match(text, end):
            return end
    if p.shift is not None and p.shift_unit == "day" and _REL_PREFIX.search(text, max(0, a.start - 16), a.start):
        return end
    if p.gran != "day" and (_DAY_WORD_BEFORE.search(before)
                            or (name.startswith(("en", "ar")) and _DAY_NUMBER_BEFORE.search(before))):
        return end
    if name.startswith(("ar", "fa", "day_rel")) and _AR_MODIFIER_AFTER.match(text, end):
        return end
    if (name.startswith("en") and p.gran == "day" and p.y is None and p.m is not None and p.shift is None
            and _EN_DAY_TWO_DIGIT_YEAR.match(text, end)):
        return end  # "14th April 15": April 2015, or the 15th of something else?
    if _RANGE_START_UNREAD.search(before):
        return end
    if not joined and not _UNTIL_NOW.match(text, end) and (
            (_FROM_BEFORE.search(before) and _JOINER_AFTER.match(text, end)) or _RANGE_END_UNREAD.match(text, end)):
        return end  # "from X to <something not read>": X alone is not the period meant
    if name.startswith(("ar", "fa")) and p.shift is None and _BEFORE_AFTER_AR.search(before):
        return end  # قبل عام 2025: an open period the text does not bound
    return None


_HANT = ("zh-hant", "zh-tw", "zh-hk", "zh-mo", "zh-hant-tw", "zh-hant-hk")


def _read(text: str, lang: str | None, reference: date | None
          ) -> list[tuple[int, int, DateValue | None]]:
    """Every date of ``text`` with its original span; ``None`` for a span that is a date
    but cannot be read safely."""
    norm = _Normalized(text)
    ctx = Ctx(norm.text, _norm_lang(lang), hant=(lang or "").lower().replace("_", "-") in _HANT)
    tokens = scan(ctx)
    out: list[tuple[int, int, DateValue | None]] = []
    i = 0
    while i < len(tokens):
        a = tokens[i]
        b = tokens[i + 1] if i + 1 < len(tokens) else None
        end, value, used = _one(a, b, ctx.text, norm, text, reference)
        out.append((norm.span(a.start, end)[0], norm.span(a.start, end)[1], value))
        i += used
    return out


def _one(a: Token, b: Token | None, scanned: str, norm: _Normalized, text: str, reference: date | None
         ) -> tuple[int, DateValue | None, int]:
    """(end, value, tokens used) of the date starting with token ``a``, joined to ``b`` or to a
    bare closing year when the text makes them one range; no value when the date is fuzzy."""
    if not isinstance(a.parts, Parts):
        return a.end, None, 1
    if b is not None and isinstance(b.parts, Parts) and _joined(a, b, scanned):
        value = merge_range(a.parts, b.parts, _orig(text, norm, a.start, b.end), reference)
        if value is not None:
            fuzzy = _fuzzy(a, b.end, scanned, joined=True)
            return (b.end, value, 2) if fuzzy is None else (fuzzy, None, 2)
    tail = _year_tail(a, scanned)
    if tail is not None and (b is None or tail[0] <= b.start):
        value = merge_range(a.parts, tail[1], _orig(text, norm, a.start, tail[0]), reference)
        if value is not None:
            fuzzy = _fuzzy(a, tail[0], scanned, joined=True)
            return (tail[0], value, 1) if fuzzy is None else (fuzzy, None, 1)
    now = _UNTIL_NOW.match(scanned, a.end)
    if now is not None and (b is None or now.end() <= b.start):
        return now.end(), until_reference(a.parts, _orig(text, norm, a.start, now.end()), reference), 1
    fuzzy = _fuzzy(a, a.end, scanned)
    if fuzzy is not None:
        return fuzzy, None, 1
    return a.end, resolve(a.parts, _orig(text, norm, a.start, a.end), reference), 1


def _orig(text: str, norm: _Normalized, a: int, b: int) -> str:
    s, e = norm.span(a, b)
    return text[s:e]


def find_dates(text: str, *, lang: str | None = None, reference: date | None = None
               ) -> list[tuple[int, int, DateValue]]:
    """Every date or period in ``text``, as ``(start, end, DateValue)`` with spans into ``text``.

    >>> [(s, e, d.start.isoformat()) for s, e, d in find_dates("发布时间:2024-03-07 16:41:31")]
    [(5, 24, '2024-03-07')]
    >>> [d.text for _, _, d in find_dates("2015年和2018年的销售额; Q1 2020")]
    ['2015年', '2018年', 'Q1 2020']
    """
    if not text:
        return []
    return [(s, e, v) for s, e, v in _read(text, lang, reference) if v is not None]


def date_spans(text: str, *, lang: str | None = None) -> list[tuple[int, int]]:
    """Spans of every date written in ``text``, those that cannot be read safely included
    (2019年2月29日, 2018年底): the number reader must not read their digits as quantities.

    >>> date_spans("截至2018年底，共120例")
    [(2, 8)]
    """
    return [(s, e) for s, e, _ in _read(text, lang, None)] if text else []


_WHOLE_YEAR = re.compile(r"\s*(\d{4})\s*")
_WHOLE_YMD = re.compile(r"\s*(\d{4}) (\d{1,2}) (\d{1,2})\s*")


def parse_date(text: str, *, lang: str | None = None, reference: date | None = None) -> DateValue | None:
    """The first date or period in a short mention, or None (also when that first date is
    written in a way that cannot be read safely).

    >>> d = parse_date("۱۵ اردیبهشت ۱۴۰۲")
    >>> d.start.isoformat(), d.calendar
    ('2023-05-05', 'solar_hijri')
    >>> parse_date("15 سپتامبر", reference=date(2013, 8, 10)).start
    datetime.date(2013, 9, 15)
    """
    if not text:
        return None
    found = _read(text, lang, reference)
    if found:
        return found[0][2]
    return _whole_mention(text, lang, reference)


_EN_MONTHS_FULL = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
                   "november", "december")


def _whole_mention(text: str, lang: str | None, reference: date | None = None) -> DateValue | None:
    """A bare year ("۱۴۰۲", "2024"), "2010 01 29" or an English month name ("March") is a date
    only when it is the whole mention; inside an article the same digits are more often a count,
    and "march" or "may" a verb."""
    name = text.strip().rstrip(".").lower()
    if name in _EN_MONTHS_FULL:
        return resolve(Parts("gregorian", "month", m=_EN_MONTHS_FULL.index(name) + 1), text, reference)
    bare = to_ascii_digits(text)
    m = _WHOLE_YMD.fullmatch(bare)
    if m:
        return _resolve_whole(Parts("gregorian", "day", y=int(m[1]), m=int(m[2]), d=int(m[3])), text)
    m = _WHOLE_YEAR.fullmatch(bare)
    if not m or not 1300 <= int(m[1]) <= 2200:
        return None
    y = int(m[1])
    area = _norm_lang(lang)
    if area not in ("fa", "ar"):
        area = script_of(text) if re.search("[\u0600-\u06ff]", text) else "fa"
    calendar = "gregorian" if y >= 1600 else ("hijri" if area == "ar" else "solar_hijri")
    return _resolve_whole(Parts(calendar, "year", y=y), text)


def _resolve_whole(p: Parts, text: str) -> DateValue | None:
    return resolve(p, text, None) if p.y is None or p.y >= 1000 else None
