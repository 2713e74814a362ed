"""Deterministic reading of quantities in Chinese, Persian, Arabic and English news text.

The extractor asks an LLM for figures and then checks them against what the page says;
this module is the "what the page says" part. It finds each figure (read by the script
readers :mod:`~extractor.numbers.chinese`, :mod:`~extractor.numbers.arabic_script`,
:mod:`~extractor.numbers.english` and the digit reader of
:mod:`~extractor.numbers.normalize`), then what surrounds it: sign, range, unit and
qualifiers (:mod:`~extractor.numbers.vocab`), with spans into the original text. Dates,
clock times, ordinals, phone numbers and identifiers are skipped.

A figure the reader is unsure of (digits grouped by plain spaces, a sign that may be a
dash, a number word whose reading depends on usage) is returned with ``uncertain=True``
and a ``reason``, so that the number check flags it instead of correcting the model.

>>> q = parse_quantity("投资8200万元")
>>> q.value, q.qualifier, q.unit
(82000000, 'exact', 'CNY')
>>> parse_quantity("حدود ۳ میلیون و ۴۰۰ هزار نفر").value
3400000
>>> [(q.value, q.qualifier) for q in find_quantities("约有120家医院、45个诊所和300个药房")]
[(120, 'about'), (45, 'about'), (300, 'about')]
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Literal, get_args

from extractor.numbers.arabic_script import DUAL_NOUNS, read_arabic_script
from extractor.numbers.arabic_script import NUMBER_WORD as _AR_WORD
from extractor.numbers.chinese import CN_START, read_chinese
from extractor.numbers.dates import date_spans
from extractor.numbers.english import NUMBER_WORD as _EN_WORD
from extractor.numbers.english import read_english
from extractor.numbers.normalize import DIGITS, Normalized, Reading, end_of, fold_arabic, read_digits, to_number
from extractor.numbers.vocab import (
    AR_VERB_QUALIFIERS,
    CLASSIFIERS_ZH,
    COUNTERS_AR,
    CURRENCY_PRE,
    FRACTION_WORDS,
    FUSED_ZH,
    HALF_BEFORE_SCALE,
    NEG_WORDS,
    POST_QUALIFIERS,
    PRE_QUALIFIERS,
    STOP_AR,
    STOP_EN,
    UNITS_AR,
    UNITS_EN,
    UNITS_ZH,
    VAGUE_BEFORE_SCALE,
)
from extractor.text.textnorm import arabic_script_pattern

__all__ = ["Qualifier", "Quantity", "parse_quantity", "find_quantities", "values_match"]

Qualifier = Literal["exact", "more_than", "at_least", "about", "nearly", "up_to", "less_than"]


@dataclass(frozen=True)
class Quantity:
    """A figure stated in the text, with its span (``start``/``end``, qualifier and unit
    included) and the span of the number alone (``number_start``/``number_end``)."""

    value: int | float
    qualifier: Qualifier
    unit: str | None
    start: int
    end: int
    text: str
    value_max: int | float | None = None
    number_start: int = 0
    number_end: int = 0
    uncertain: bool = False
    reason: str | None = None


_QUALIFIER: dict[str, Qualifier] = {q: q for q in get_args(Qualifier)}


def values_match(a: float, b: float, *, rel_tol: float = 1e-6) -> bool:
    """True when two figures are the same number up to rounding noise.

    >>> values_match(3400000, 3.4e6), values_match(12000, 12001)
    (True, False)
    """
    try:
        return math.isclose(float(a), float(b), rel_tol=rel_tol, abs_tol=1e-9)
    except (TypeError, ValueError, OverflowError):
        return False


# ---------------------------------------------------------------------------
# Patterns

_AR_LETTER = r"\u0621-\u064a\u0671-\u06d3\u06fa-\u06ff"
_AW = rf"(?![{_AR_LETTER}])"  # end of an Arabic-script word
_AB = rf"(?<![{_AR_LETTER}])"


def _alt(words: Iterable[str]) -> str:
    return "|".join(sorted(words, key=len, reverse=True))


_START = re.compile(
    # Digits, not inside other digits; after "Rs." the dot ends the abbreviation ("Rs.500").
    rf"(?P<p>[百千万萬]分之)|(?P<d>(?<![\d.,٫٬/])\d|(?<=[A-Za-z]\.)\d|(?<![\d.,٫٬/A-Za-z])[.٫]\d)|(?P<c>[{CN_START}])"
    rf"|(?P<a>{_AR_WORD.pattern})|(?P<e>{_EN_WORD.pattern})"
)
_DIGIT_RE = re.compile(DIGITS)
_CN_DIGIT_RUN = re.compile("[零〇○一二两兩三四五六七八九]{3,}")
# After digits, what a script reader might take further: a numeral, 点/余, a letter, و.
_MAY_CONTINUE = re.compile(rf"[^\S\n]*(?:[{CN_START}点點余餘多几幾来來兆]|[A-Za-z{_AR_LETTER}])")
_HAN = re.compile(r"[\u3400-\u9fff]")
_ARABIC = re.compile(rf"[{_AR_LETTER}]")
_LATIN = re.compile(r"[A-Za-z]")

_RANGE_RE = re.compile(rf"[^\S\n]*(?:[-–—~〜]|至|到|{_AB}(?:تا|الی|إلى|الى|لغاية|و){_AW}|(?i:to|and)\b)[^\S\n]*")
_BETWEEN = re.compile(rf"(?:(?i:\bbetween)|{_AB}(?:بين|بین))[^\S\n]*$")
_TIME_RE = re.compile(r"\d{1,2}:\d{2}(?::\d{2})?(?!\d)")
_CLOCK_ZH = re.compile(r"(上午|下午|晚上|早上|凌晨|中午|傍晚|早|晚)\s*$")
# A clock time whatever comes before: 24时, 8時許, 11点30分, 9点半.
_CLOCK_ZH_SURE = re.compile(r"\s?(?:[时時](?![间間期代段])|[点點]\s?(?:\d{1,2}\s?分|半|钟|鐘|整))")
_CLOCK_ZH_AFTER = re.compile(r"\s?[点點时時](?:\s?\d{1,2}\s?分|半|钟|鐘|许|許|整)?")
_DATE_HINT = re.compile(r"[年月日号號/\-.:]|[A-Za-z\u0600-\u06ff]")
_CN_DATE_AFTER = re.compile(r"[月日号號]|[点點时時](?![0-9零〇一二两三四五六七八九])")
_PER_UNIT = {"百分之": "percent", "千分之": "per_mille", "万分之": "per_ten_thousand", "萬分之": "per_ten_thousand"}
_COMMA_DECIMAL = re.compile(r"(?<![\d,.٫٬])\d{1,3}(,)\d{1,2}(?![\d,٫٬])")
_SLASH_DECIMAL = re.compile(r"(?<![\d/])\d{1,6}(/)\d{1,4}(?![\d/])")
# A slash between figures elsewhere (1/3, 24/7, 10.2/10万) is a fraction or a rate.
_RATIO_AFTER = re.compile(r"[^\S\n]?/[^\S\n]?\d")  # ۲۴ /۰ (a garbled 0.24) too
_PERCENT_AFTER = re.compile(rf"[^\S\n]*(?:%|٪|{_AB}(?:{arabic_script_pattern('درصد')}|{arabic_script_pattern('در صد')}"
                            rf"|{arabic_script_pattern('بالمئة')}|{arabic_script_pattern('بالمائة')}"
                            rf"|{arabic_script_pattern('في المئة')}|{arabic_script_pattern('في المائة')}){_AW})")
_PHONE = re.compile(
    r"(?:\+\d{1,3}[- ]?)?\(?0\d{1,3}\)?[- ]\d{3,4}[- ]?\d{3,4}(?!\d)"  # 0851-1234567, (021) 1234 5678
    r"|1[3-9]\d{9}(?!\d)|\d{2,4}(?:-\d{2,4}){2,}(?![\d-])|\d{3,4}-\d{7,8}(?!\d)|400-?\d{3}-?\d{4}(?!\d)")
# Persian "از X عبور کرد / گذشت": the figure was passed (more than it); گذشته "past" is not it.
_PASSED_FROM = re.compile(rf"{_AB}از[^\S\n]*(?:مرز[^\S\n]*)?$")
_PASSED_VERB = re.compile(rf"(?:[^\S\n]*[{_AR_LETTER}]+){{0,2}}?[^\S\n]*"
                          rf"(?:عبور|گذشت(?![{_AR_LETTER}])|فراتر[^\S\n]*رفت)")
_CHANGE_FROM = re.compile(rf"(?:(?i:\bfrom)|从|從|由|{_AB}(?:از|من))[^\S\n]*[^\d\s]{{0,6}}[^\S\n]*$")
_FISCAL_TAIL = re.compile(r"[-–/]\d{2}(?![\d.,])")
_RA_DECIMAL = re.compile(r"\d+ر\d+(?!\d)")
_PHONE_CHARS = re.compile(r"[\d\- ()]+")
_PHONE_WORD = re.compile(
    r"(?i:电话|電話|热线|熱線|传真|傳真|手机|手機|\btel\b|phone|fax|تلفن|شماره|هاتف|جوال)[^\d\n]{0,8}$")
_NEG = re.compile("(?:" + NEG_WORDS.replace("minus", r"(?i:\bminus)").replace("negative", r"(?i:\bnegative)")
                  + r")[^\S\n]*$")

_UNIT_ZH_RE = re.compile(r"[ \t]?(" + _alt(re.escape(u) for u in list(UNITS_ZH) + CLASSIFIERS_ZH) + ")")
_UNIT_AR_RE = re.compile(r"[^\S\n]*(%|٪|" + _AB + "(?:" + _alt(arabic_script_pattern(u) for u in UNITS_AR
                                                           if u not in "%٪") + ")" + _AW + ")")
_WORD_AR_RE = re.compile(rf"[^\S\n]*([{_AR_LETTER}\u064b-\u065f]+)")
_UNIT_EN_RE = re.compile(r"(?i:[^\S\n]*(" + "|".join(f"(?:{p})" for p, _ in UNITS_EN) + "))")
_UNIT_EN_COMPILED = [(re.compile(rf"(?i:{p})$"), u) for p, u in UNITS_EN]
_WORD_EN_RE = re.compile(r"[^\S\n]*([A-Za-z][A-Za-z-]*)")
_CURRENCY_RE = re.compile(r"(?<![A-Za-z0-9_])(₹|₦|Rs\.?|INR|NGN|KShs?|Kshs?|KES|EGP|L\.E\.|LE|SAR|AED|PKR|GH₵|GHS"
                          r"|US\$|\$"
                          r"|USD|¥|￥|RMB|€|EUR|£|GBP|N\$|NAD|N)\.?\s*$")
# After the digits of "N190 million", what makes N the naira and not a mask class (N95): a scale
# word or thousands grouping.
_NAIRA_AFTER = re.compile(r"\d{1,3}(?:,\d{3})+(?!\d)|[\d.]+[^\S\n]*(?i:million|billion|trillion|thousand|bn|m|k)\b")

_POST_ZH = {k: v for k, v in POST_QUALIFIERS.items() if _HAN.search(k) and k not in ("多", "余", "餘")}
_POST_ZH_RE = re.compile(r"[ \t]?(" + _alt(_POST_ZH) + ")")
_POST_AR = {fold_arabic(k): v for k, v in POST_QUALIFIERS.items() if _ARABIC.search(k)}
_POST_AR_RE = re.compile(r"[^\S\n]*" + _AB + "(" + _alt(arabic_script_pattern(k) for k in POST_QUALIFIERS
                                                     if _ARABIC.search(k)) + ")" + _AW)
_POST_EN_RE = re.compile(r"(?i:[^\S\n]*(\bor\s+more\b|\bor\s+over\b|\band\s+(?:over|above|under|below)\b|\bor\s+so\b"
                         r"|\bplus\b|(?<=[\d%])\+(?![\d+=])|\bat\s+least\b|\bor\s+fewer\b|\bor\s+less\b))")
_TIME_UNITS = {"year", "month", "day", "hour", "week"}
# Units after which 多/余 means "and more" (一倍多, 3公里多). Not classifiers: 3台多功能设备.
_MEASURE_UNITS = _TIME_UNITS | {"倍", "km", "m", "kg", "t", "斤", "CNY", "岁", "歲", "分钟", "分鐘", "秒"}
_POST_TIME_ZH = re.compile(r"([多余餘])(个月|個月|小时|小時|星期|月)?|(半)(个月|個月|小时|小時)?")


# The start of an Arabic word, or of one glued to a preposition or و (بأكثر من, لنحو, وحوالي).
_AB_CLITIC = rf"(?:(?<![{_AR_LETTER}])|(?<=(?<![{_AR_LETTER}])[وفبل])|(?<=(?<![{_AR_LETTER}])[وف][بل]))"
_AR_FOLD_1 = str.maketrans("يىكأإةآٱئؤۀ", "ییکااهاایوه")  # fold_arabic's letter folds, one for one


def _pre_qualifier_res() -> tuple[dict[str, re.Pattern[str]], dict[str, str]]:
    """One pattern per script (a qualifier ends where the number starts), and the qualifier of
    each key. Arabic-script words are matched in a copy folded one for one (ي/ی, ك/ک, أ/ا...), so
    their pattern needs no character classes: the three patterns are small and fast to search."""
    keys: dict[str, str] = {}
    alts: dict[str, list[str]] = {"zh": [], "ar": [], "en": []}
    for lang, table in PRE_QUALIFIERS.items():
        for w, q in table.items():
            if lang == "zh":
                keys[w] = q
                alts["zh"].append(re.escape(w))
            elif lang == "ar":
                keys[fold_arabic(w)] = q
                folded = w.replace("\u200c", " ").translate(_AR_FOLD_1)
                alts["ar"].append(re.escape(folded).replace(r"\ ", r"\s*"))
            else:
                keys[re.sub(r"\s+", " ", w)] = q
                alts["en"].append(re.escape(w).replace(r"\ ", r"\s+"))
    ends = {"zh": r")(?:有|为|為|达|達)?[^\S\n]*$", "ar": r")[^\S\n]*$", "en": r")[^\S\n]*$"}
    starts = {"zh": "(", "ar": _AB_CLITIC + "(", "en": r"(?<![A-Za-z])("}
    pats = {k: re.compile(starts[k] + "|".join(sorted(v, key=len, reverse=True)) + ends[k], re.I)
            for k, v in alts.items()}
    return pats, keys


_PRE_Q_RES, _PRE_Q_KEYS = _pre_qualifier_res()
# The last characters a qualifier (or the 有/为/达 after it) can end with, in any letter case or variant.
_PRE_Q_LAST = ({k[-1] for k in _PRE_Q_KEYS} | {k[-1].upper() for k in _PRE_Q_KEYS} | set("有为為达達.~")
               | set("یيىکكهةاأإآ") | {chr(c) for c in range(0x64B, 0x660)})


def _search_qualifier(before: str) -> re.Match[str] | None:
    """The qualifier that ends ``before``, searched with the pattern of the script it ends in."""
    tail = before.rstrip()
    last = tail[-1]
    start = max(0, len(before) - 24)
    if _HAN.match(last):
        return _PRE_Q_RES["zh"].search(before, start)
    if _ARABIC.match(last) or "\u064b" <= last <= "\u065f":
        return _PRE_Q_RES["ar"].search(before.translate(_AR_FOLD_1), start)
    return _PRE_Q_RES["en"].search(before, start)


_EN_PERIOD = re.compile(r"(?i:(?:year|month|week|day|decade|hour)s?$)")
_OVER_AGE = re.compile(r"(?i:^\s*[a-z]+\s+(?:old|of\s+age)\b)")
_FUSED_RE = re.compile(rf"({FUSED_ZH})$")
# Characters before 约/近/过 that make a different word: 预约 "appointment", 附近 "nearby", 经过.
_NOT_QUALIFIER = {"约": "预預签簽邀相制节節公条條契", "約": "预預签簽邀相制节節公条條契",
                  "近": "附最靠", "过": "通经經度错錯走看去到参參做用", "過": "通经經度错錯走看去到参參做用",
                  "超": "赶趕高", "破": "突打"}
# Words that make the English pronoun "one" ("the one", "no one", "another one").
_ONE_DETERMINERS = {"the", "this", "that", "which", "no", "another", "any", "each", "every", "some", "no-one"}
# 成 after a numeral is tenths (三成 = 30%) unless it starts another word (成为, 成立, 一成不变).
_CHENG_MORE = re.compile(r"[多余餘](?![数數个個种種少])")
_CHENG = re.compile(r"成(?![为為立本果功员員绩績都效熟年品交长長就型形分份药藥群批片套倍对對千不]|人(?![口次]))")


# ---------------------------------------------------------------------------
# Language of the surroundings


def _norm_lang(lang: str | None) -> str | None:
    if not lang:
        return None
    lang = lang.lower()
    if lang.startswith("zh") or lang in ("cmn", "yue"):
        return "zh"
    base = lang.split("-")[0].split("_")[0]
    return {"fa": "fa", "per": "fa", "fas": "fa", "ar": "ar", "ara": "ar", "en": "en", "eng": "en"}.get(base)


def _detect(window: str) -> str:
    han = len(_HAN.findall(window))
    arab = len(_ARABIC.findall(window))
    lat = len(_LATIN.findall(window))
    if han and han >= arab and han >= lat / 3:
        return "zh"
    if arab and arab >= lat:
        fa = sum(window.count(c) for c in "پچژگکی۰۱۲۳۴۵۶۷۸۹")
        ar = sum(window.count(c) for c in "ةيىكإأ٠١٢٣٤٥٦٧٨٩")
        return "ar" if ar > fa else "fa"
    return "en"


# ---------------------------------------------------------------------------
# Units


def _unit_zh(u: str) -> str:
    return UNITS_ZH.get(u) or u


def _unit_ar(u: str, lang: str) -> str:
    f = fold_arabic(u)
    for k, v in UNITS_AR.items():
        if fold_arabic(k) == f:
            if v is None:  # ریال / ريال: Iranian rial in Persian text, Saudi riyal in Arabic
                return "IRR" if lang == "fa" else "SAR"
            return v
    return u


def _unit_en(u: str) -> str:
    for rx, v in _UNIT_EN_COMPILED:
        if rx.match(u):
            return v
    return u


@dataclass
class _Unit:
    unit: str | None = None
    end: int = 0
    known: bool = False  # a unit of the vocabulary, not just the next word


def _unit_after(t: str, pos: int, lang: str, kind: str) -> _Unit:
    """The unit right after a figure: a known unit, a Chinese classifier, or the next word."""
    um = _UNIT_AR_RE.match(t, pos)
    if um:
        u = "percent" if um.group(1) in ("%", "٪") else _unit_ar(um.group(1), lang)
        return _Unit(u, um.end(), True)
    um = _UNIT_ZH_RE.match(t, pos)
    if um and kind != "e":
        return _Unit(_unit_zh(um.group(1)), um.end(), True)
    um = _UNIT_EN_RE.match(t, pos)
    if um:
        return _Unit(_unit_en(um.group(1)), um.end(), True)
    if lang == "en":
        wm = _WORD_EN_RE.match(t, pos)
        if wm and wm.group(1).lower() not in STOP_EN and wm.start(1) > pos:
            return _Unit(wm.group(1), wm.end(), False)
    elif lang in ("fa", "ar"):
        wm = _WORD_AR_RE.match(t, pos)
        if wm and wm.group(1) not in STOP_AR and wm.start(1) > pos:
            return _Unit(wm.group(1), wm.end(), fold_arabic(wm.group(1)) in _COUNTERS)
    return _Unit(None, pos)


_COUNTERS = {fold_arabic(w) for w in COUNTERS_AR}


def _canonical_unit(u: str, lang: str) -> str:
    """A unit as :func:`_unit_after` names it (percent, CNY...), to compare two ends of a range."""
    return u if u in UNITS_ZH.values() or u in ("percent", "IRR", "SAR") else (_unit_zh(u) if _HAN.search(u) else u)
_FINANCIAL_ONLY = set("壹贰貳叁參叄肆伍陆陸柒捌玖拾佰仟")


def _unit_follows(t: str, pos: int) -> bool:
    """A known unit right after ``pos``: the digits before it are a count, not a phone number."""
    return bool(_UNIT_ZH_RE.match(t, pos) or _UNIT_AR_RE.match(t, pos) or _UNIT_EN_RE.match(t, pos))


# ---------------------------------------------------------------------------
# Qualifiers


def _post_qualifier(t: str, pos: int) -> tuple[str | None, int]:
    """以上, 左右, به بالا, or more... after the number and its unit."""
    pm = _POST_ZH_RE.match(t, pos)
    if pm:
        return _POST_ZH[pm.group(1)], pm.end()
    pm = _POST_AR_RE.match(t, pos)
    if pm:
        return _POST_AR.get(fold_arabic(pm.group(1))), pm.end()
    pm = _POST_EN_RE.match(t, pos)
    if pm:
        return POST_QUALIFIERS.get(re.sub(r"\s+", " ", pm.group(1).lower())), pm.end()
    return None, pos


def _pre_qualifier(before: str, unit: str | None, after: str, scaled_big: bool) -> tuple[str | None, int]:
    """The qualifier written before the number, and its length: right before it, or before a
    bracket ("أكثر من (38,000,000)"), a Chinese verb (至少派驻1名, 约需2周) or the subject of an
    Arabic verb (لم يتجاوز العدد ست حالات). None when the words there make something else
    (近三年 "the last three years", 预约 "appointment")."""
    q, n = _qualifier_at(before, unit, after, scaled_big)
    if q is not None or not before:
        return q, n
    folded = before.translate(_AR_FOLD_1) if _ARABIC.search(before[-30:]) else before
    for gap in _QUALIFIER_GAPS:  # each checked by one cheap regex on the end of the text
        gm = gap.search(folded, max(0, len(before) - 30))
        if gm is None:
            continue
        q, n = _qualifier_at(before[:gm.start("gap")], unit, after, scaled_big)
        if q is not None and (gap is not _ZH_VERB_GAP or q not in ("more_than", "exact")):
            return q, n + len(before) - gm.start("gap")
    return None, 0


# "تجاوز عدد المصابين 300", "تجاوزت نسبة 5%": words of amount before the subject.
_AR_AMOUNT_NOUNS = "عدد|نسبه|قیمه|حجم|اجمالی|مجموع|تکلفه|کلفه"
_AR_VERBS = _alt(re.escape(w.translate(_AR_FOLD_1)).replace(r"\ ", r"\s*") for w in AR_VERB_QUALIFIERS)
# What may stand between a qualifier and its figure: a bracket; a verb after a Chinese
# qualifier (约需2周; not after "more than": 过 and 超 also start verbs); any verb after 至少/至多/起码,
# which scope the next figure of the clause (至少配备2名护士; 最多 can head a noun phrase, 最多的是,
# and does not); the subject after an Arabic verb of comparison (لم يتجاوز العدد ست حالات).
_ZH_VERB_GAP = re.compile(r"(?P<gap>(?:(?:可|能|可以|将|將|会|會)?(?:需要|需|要|等|占|佔|派驻|派駐|花费|花費|花|用"
                          r"|耗时|耗時"
                          r"|达到|達到|招收|招聘|培训|培訓|报销|報銷|补贴|補貼|减少|減少|增加|提高|降低)|可|能|可以|将|將|会|會|得)"
                          r"[^\S\n]*)$")
_QUALIFIER_GAPS = [
    re.compile(r"(?P<gap>[(\[（«\"“][^\S\n]*)$"),
    _ZH_VERB_GAP,
    re.compile(r"(?:至少|至多|起码|起碼)(?P<gap>[\u4e00-\u9fff]{1,3}[^\S\n]*)$"),
    re.compile(rf"(?:{_AR_VERBS})[^\S\n]+(?P<gap>(?:{_AR_AMOUNT_NOUNS})?[^\S\n]*(?:ال[{_AR_LETTER}]+)?[^\S\n]*)$"),
]
# 不能少于6个月 is at least six months: a negation before "less than" or "more than" flips it.
_NEGATION_ZH = re.compile(r"(?:不|不能|不得|不可|不应|不應|不会|不會|不宜)$")
_FLIP = {"less_than": "at_least", "more_than": "up_to"}
# 工作近30年 is nearly thirty years; 近30年来 / 在近3年 are the last thirty / three years.
_LAST_N_AFTER = re.compile(r"[^\S\n]*(?:个月|個月|[年天周週日月]|星期)[^\S\n]*"
                           r"(?:来|來|以来|以來|中|里|裡|内|內|间|間|的|之)")


def _qualifier_at(before: str, unit: str | None, after: str, scaled_big: bool) -> tuple[str | None, int]:
    """The qualifier that ends ``before`` right where the number starts, and its length."""
    tail = before.rstrip()
    if not tail or tail[-1] not in _PRE_Q_LAST:
        return None, 0  # the usual case, decided without the big pattern
    qm = _search_qualifier(before)
    if not qm:
        return None, 0
    w = before[qm.start(1):qm.end(1)]
    key = w if _HAN.search(w) else (fold_arabic(w) if _ARABIC.search(w) else re.sub(r"\s+", " ", w.lower()))
    q = _PRE_Q_KEYS.get(key)
    prev = before[qm.start() - 1:qm.start()]
    if w in _NOT_QUALIFIER and prev and prev in _NOT_QUALIFIER[w]:
        return None, 0
    if (w == "近" and (unit in _TIME_UNITS or after.startswith(("个月", "個月")))
            and (not prev or not _HAN.match(prev) or prev in "在于於的是了这這和及与與" or _LAST_N_AFTER.match(after))):
        return None, 0  # 近三年: the last three years (工作近30年: nearly thirty years)
    if (w.lower() == "over" and unit and _EN_PERIOD.match(unit) and not _OVER_AGE.search(after)
            and not re.search(r"(?i:\b(?:for|aged|of))\s+$", before[:qm.start()])):
        return None, 0  # "300 clinics over five years": during, not more than ("for over five years" is)
    if w in ("过", "過", "破") and not scaled_big:
        return None, 0  # 去过3次: "has been there 3 times"; only 过亿/破100万 are qualifiers
    if w == "حتى" and unit is None:
        return None, 0
    if q in _FLIP and _HAN.search(w) and not w.startswith("不") and _NEGATION_ZH.search(before[:qm.start()]):
        q = _FLIP[q]
    return q, len(before) - qm.start()


# ---------------------------------------------------------------------------
# Reading one mention


@dataclass
class _Figure:
    """A figure and everything read around it, in normalised offsets."""

    reading: Reading
    kind: str  # d digits, c Chinese, a Arabic script, e English
    start: int  # where the number starts (its sign included)
    end: int  # where the number ends
    negative: bool = False


class _Scan:
    def __init__(self, text: str, lang: str | None, skip_dates: bool, whole: bool = False) -> None:
        self.orig = text
        self.norm = Normalized(text)
        self.lang = _norm_lang(lang)
        self.t = self._comma_decimals(self._slash_decimals(self.norm.text))
        self.skip_dates = skip_dates
        self.whole = whole
        self._dates: dict[int, list[tuple[int, int]]] = {}

    def _slash_decimals(self, t: str) -> str:
        """Persian and Arabic news often write the decimal point as a slash (۱/۵ میلیون = 1.5
        million); dates have two slashes. Rewritten to ٫ one for one, so offsets hold."""
        if "/" not in t:
            return t
        chars = list(t)
        for m in _SLASH_DECIMAL.finditer(t):
            lang = self.lang or _detect(t[max(0, m.start() - 24):m.end() + 24])
            if lang in ("fa", "ar"):
                chars[m.start(1)] = "٫"
        return "".join(chars)

    def _comma_decimals(self, t: str) -> str:
        """Arabic news (Maghreb, Levant) writes the decimal point as a comma: 62,6%, 31,94 مليون.
        A comma followed by one or two digits cannot group thousands, so in Arabic-script text it
        is rewritten to ٫ one for one (elsewhere "1,3" stays a figure followed by digits)."""
        if "," not in t:
            return t
        chars = list(t)
        for m in _COMMA_DECIMAL.finditer(t):
            lang = self.lang or _detect(t[max(0, m.start() - 24):m.end() + 24])
            if lang in ("fa", "ar"):
                chars[m.start(1)] = "٫"
        return "".join(chars)

    # -- context -------------------------------------------------------------
    def lang_at(self, a: int, b: int) -> str:
        if self.lang:
            return self.lang
        oa, ob = self.norm.orig(a), self.norm.orig(max(a, b - 1)) + 1
        return _detect(self.orig[max(0, oa - 24):ob + 24])

    def in_date(self, p: int) -> int | None:
        """End (normalised) of a date covering normalised offset ``p``, if any. Dates (those the
        date reader cannot read too: 2018年底) are looked for with :func:`date_spans` in a window
        around the number only: a written date is short, and scanning a megabyte for dates costs
        more than reading its numbers."""
        t = self.t
        a, b = max(0, p - 30), min(len(t), p + 40)
        if not _DATE_HINT.search(t, a, b):
            return None  # most numbers have nothing date-like around them
        # Windows are shared by the numbers of one 48-character block (dense tables).
        block = p // 48
        if block not in self._dates:
            a, b = max(0, block * 48 - 30), min(len(t), block * 48 + 88)
            oa, ob = self.norm.orig(a), self.norm.orig(b - 1) + 1
            ctx = self.lang if self.lang in ("fa", "ar") else None
            self._dates[block] = [(s + oa, e + oa) for s, e in date_spans(self.orig[oa:ob], lang=ctx)]
        op = self.norm.orig(p)
        for s, e in self._dates[block]:
            if s <= op < e:
                return self._norm_offset(e)
        return None

    def _norm_offset(self, o: int) -> int:
        """Normalised offset of original offset ``o`` (the first at or after it)."""
        lo, hi = 0, len(self.t)
        while lo < hi:
            mid = (lo + hi) // 2
            if self.norm.orig(mid) < o:
                lo = mid + 1
            else:
                hi = mid
        return lo

    # -- the figure ------------------------------------------------------------
    def figure_at(self, m: re.Match[str], lang: str) -> _Figure | None:
        t, ns = self.t, m.start()
        money = _currency_before(t, ns) is not None
        if m.group("d") is not None:
            return self._digits_at(ns, lang, money)
        if m.group("c") is not None:
            fused = _FUSED_RE.search(t[max(0, ns - 2):ns])
            run = _CN_DIGIT_RUN.match(t, ns)
            counted = run is not None and _unit_follows(t, run.end())
            r = read_chinese(t, ns, bare_ok=bool(fused) or self._bare_before_approx(ns), counted=counted)
            return _Figure(r, "c", ns, r.end) if r else None
        if m.group("a") is not None:
            r = read_arabic_script(t, ns, lang if lang in ("fa", "ar") else None)
            return _Figure(r, "a", ns, r.end) if r else None
        r = read_english(t, ns, money=money)
        return _Figure(r, "e", ns, r.end) if r else None

    def _bare_before_approx(self, ns: int) -> bool:
        """万余人, 千余名: a bare unit followed by 余/多 is one of it."""
        return _char_in(self.t, ns, "万萬千百") and _char_in(self.t, ns + 1, "余餘多")

    def _digits_at(self, ns: int, lang: str, money: bool) -> _Figure | None:
        t = self.t
        dm = _DIGIT_RE.match(t, ns)
        if dm is None:
            return None
        v = read_digits(dm.group(0), lang)
        if v is None:
            return None
        unsure = "digits grouped by plain spaces" if " " in dm.group(0) else None
        plain = Reading(v, dm.end(), uncertain=unsure)
        best = None
        if _MAY_CONTINUE.match(t, plain.end):  # most figures are followed by a unit: no reader needed
            readers = (read_chinese(t, ns), read_arabic_script(t, ns, lang if lang in ("fa", "ar") else None),
                       read_english(t, ns, money=money))
            best = max((r for r in readers if r is not None), key=lambda r: r.end, default=None)
        r = best if best is not None and best.end > plain.end else plain
        if r is plain and _SCALE_NEXT.match(t, plain.end):
            return None  # 3万40000, 322 hundred: digits and a scale word that do not compose
        if r is plain and re.match(r"[,٬][^\S\n]?\d{1,2}(?!\d)|[.٫]\d|،\d{3}(?!\d)|,[^\S\n]\d{3}(?!\d)",
                                   t[plain.end:plain.end + 6]):  # 1,3 and "306, 966" (a broken grouping?)
            r = replace(r, uncertain="a figure followed by digits it could not take")  # 1,3
        elif _RATIO_AFTER.match(t, r.end):
            r = replace(r, uncertain="a fraction or a rate (1/3, 10.2/10万)")
        elif r is plain and "٫" in dm.group(0) and not _PERCENT_AFTER.match(t, r.end):
            written = self.orig[slice(*self.norm.span(dm.start(), dm.end()))]
            if "/" in written:  # ۱/۵ میلیون, ۲/۵ درصد: decimals
                r = replace(r, uncertain="a slash read as a decimal point")
            elif "," in written:  # 25,6 شخص: a decimal comma, or two figures (a list)?
                r = replace(r, uncertain="a comma read as a decimal point")
        return _Figure(r, "d", ns, r.end)

    def read(self, m: re.Match[str]) -> tuple[Quantity | None, int]:
        """The mention whose number starts at match ``m``; (quantity or None, resume offset)."""
        t = self.t
        pct_prefix = m.group("p") is not None
        self._per = _PER_UNIT.get(m.group("p") or "", "percent")
        if pct_prefix:
            m2 = _START.match(t, _neg_skip(t, m.end()))
            if m2 is None or m2.group("p") is not None:
                return None, m.end()
            pre_start, m = m.start(), m2
        else:
            pre_start = m.start()
        ns = m.start()
        lang = self.lang_at(ns, m.end())
        before = t[max(0, pre_start - 40):pre_start]
        if re.search(r"第\s?$", before):
            rm = re.match(r"[\d一二三四五六七八九十]+\s*[-–—~至到]\s*[\d一二三四五六七八九十]+", t[ns:])
            return None, ns + rm.end() if rm else max(m.end(), _run_end(t, ns))  # ordinals: 第二人民医院, 第1-3名
        skip = self._skip_before(m, ns, before, lang)
        if skip is not None:
            return None, skip
        if m.group("c") is not None and self.skip_dates:
            end = self.in_date(ns)  # 今年前三季度, 二〇二三年: numerals of a date
            if end is not None:
                return None, max(end, m.end())
        fig = self.figure_at(m, lang)
        if fig is None:
            # A numeral the readers could not read whole: skip all of it, so that no part of
            # it is read on its own (twelve point ninety-nine, 五兆六十二亿, 3万40000).
            return None, max(m.end(), _run_end(t, m.start()))
        if fig.kind == "c" and _cn_not_a_number(t, fig, before) and not self._is_whole(fig.start, fig.end):
            return None, m.end()
        if fig.kind == "d" and self._is_identifier(fig, ns) and not _unit_follows(t, fig.end):
            return None, fig.end
        return self._mention(fig, pre_start, pct_prefix, lang)

    def _skip_before(self, m: re.Match[str], ns: int, before: str, lang: str) -> int | None:
        """Where to resume when the digits at ``ns`` are a date, a time, a phone number or
        glued to a word (H7N9, COVID-19); None when they may be a quantity."""
        if m.group("d") is None:
            return None
        t = self.t
        if re.search(r"[A-Za-z][-]?$", before) and _currency_before(t, ns) is None and not _glued_qualifier(before):
            return _past_scale_words(t, end_of(_DIGIT_RE, t, ns))  # H7N9, COVID-19: and no "million" after
        rm = _RA_DECIMAL.match(t, ns)
        if rm:
            return rm.end()  # 21ر3: ر as the decimal mark of older Arabic typography, digit order unsure
        pm = _PHONE.match(t, ns)
        if pm and _unit_follows(t, pm.end()):
            pm = None  # 13000000000人: a count, not a mobile number
        if pm or _PHONE_WORD.search(before) and re.match(r"[\d\- ()]{6,}", t[ns:ns + 20]):
            return pm.end() if pm else end_of(_PHONE_CHARS, t, ns)
        if not self.skip_dates:
            return None
        end = self.in_date(ns)
        if end is not None:
            return max(end, m.end())
        tm = _TIME_RE.match(t, ns)
        if tm:
            return tm.end()
        dm = _DIGIT_RE.match(t, ns)
        if dm and (_CLOCK_ZH.search(before) or _CLOCK_ZH_SURE.match(t, dm.end())):
            cm = _CLOCK_ZH_AFTER.match(t, dm.end())
            if cm:
                return cm.end()  # 上午11点, 24时, 9点30分
        return None

    def _is_identifier(self, fig: _Figure, ns: int) -> bool:
        """A long ungrouped digit run (an ID card, an order number) inside an article."""
        s = self.t[ns:fig.end]
        return not (self.whole or not s.isdigit() or len(s) < 11 or fig.reading.scaled)

    # -- around the figure ---------------------------------------------------------
    def _mention(self, fig: _Figure, pre_start: int, pct_prefix: bool, lang: str) -> tuple[Quantity | None, int]:
        """Everything around the figure: sign, range, unit, qualifiers; None when the figure
        is not a quantity here (a date, a weak word without a unit, a bare year)."""
        t, r = self.t, fig.reading
        pre_start, neg_len = self._sign(fig, pre_start, pct_prefix)
        value, vmax, approx, pos = r.value, r.value_max, r.approx, fig.end
        rng = self._range_after(fig, lang)  # 3至5, ۲ تا ۳, 3 to 5
        if rng is not None:
            value, vmax, pos, approx = rng[0], rng[1], rng[2], approx or rng[3]
        num_end = pos
        if fig.kind == "c" and self._cn_date_after(r, pos):
            return None, pos
        info, value, vmax = self._unit_of(fig, pos, pct_prefix, lang, value, vmax)
        unit, pos, pre_start = self._with_currency(fig, info, pre_start, pos, num_end, lang)
        if vmax is None and info.known and unit is not None:
            second = self._range_after_unit(fig, value, unit, pos, lang)  # 8.4%到8.8%, 5万元至10万元
            if second is not None:
                vmax, pos = second
        if fig.kind == "c" and t[fig.end - 2:fig.end] in ("点多", "點多") and unit is None and not pct_prefix:
            return None, pos  # 晚上十点多: past ten o'clock, unless a unit or 百分之 makes it a figure
        if fig.kind == "d" and unit is None and not r.scaled and re.match(r"[A-Za-z]", t[num_end:num_end + 1]):
            return None, pos  # glued to Latin letters (5G, 3D)
        post_time = self._after_time_unit(unit, pos)  # 两年多, 一个多月, 两年半
        if post_time is None and unit == "percent" and _char_in(t, pos - 1, "成") and _CHENG_MORE.match(t, pos):
            post_time = (pos + 1, "more_than", unit, Decimal(0))  # 3成多: more than 30%
        if post_time is not None:
            pos, approx, unit, half = post_time[0], post_time[1] or approx, post_time[2], post_time[3]
            value += half
        if _is_fraction(t, info, num_end):
            return None, max(pos, _run_end(t, num_end + 2) if t.startswith("分之", num_end) else pos)
        post_q, pos = _post_qualifier(t, pos)
        before = t[max(0, pre_start - 40):pre_start]
        if post_q is None and _PASSED_FROM.search(before) and _PASSED_VERB.match(t, pos):
            post_q = "more_than"  # از ۹۶ میلیون دوز عبور کرد: it passed 96 million
        if _bare_scale(t, fig):
            if re.search(r"\d[^\S\n]*$", before) or _PER_SCALE.search(before):
                return None, fig.end  # digits not read before it (N95 million?); لكل ألف, per thousand
            if _VAGUE_SCALE.search(before):
                return None, fig.end  # several thousand, چند هزار, ده‌ها هزار: vague
            hm = _HALF_SCALE.search(before)
            if hm:  # نیم میلیون, half a million
                value, pre_start = value / 2, pre_start - len(hm.group(0))
                before = t[max(0, pre_start - 40):pre_start]
        scaled_big = r.scaled and bool(re.search(r"[万萬亿億]", t[fig.start:num_end]))
        pre_q, q_len = _pre_qualifier(before, unit, t[num_end:num_end + 20], scaled_big)
        if pre_q == "up_to" and approx == "more_than":
            pre_q = None  # 最高达2万余人次: the figure itself says "more than 20000"
        qualifier = _QUALIFIER[pre_q or post_q or approx or "exact"]
        if not self._counts(fig, info, unit, pre_q, before, pos, lang):
            return None, fig.end
        if self._is_year(fig, unit, qualifier, vmax, value):
            return None, end_of(_FISCAL_TAIL, t, pos)  # 2022-23: the year and its fiscal tail
        if fig.negative:
            value, vmax = -value, (-vmax if vmax is not None else None)
        return self._quantity(fig, value, vmax, qualifier, unit, pre_start - q_len, pos, num_end, neg_len), pos

    def _sign(self, fig: _Figure, pre_start: int, pct_prefix: bool) -> tuple[int, int]:
        """(start of the mention, length of the sign before the number); sets ``fig.negative``."""
        t, ns = self.t, fig.start
        if pct_prefix:  # 百分之负三点八: the sign is inside
            fig.negative = bool(_NEG.search(t[max(0, ns - 4):ns]))
            return pre_start, 0
        neg_len = _neg_before(t, pre_start, ns)
        fig.negative = neg_len > 0
        return pre_start - neg_len, neg_len

    def _unit_of(self, fig: _Figure, pos: int, pct_prefix: bool, lang: str, value: Decimal,
                 vmax: Decimal | None) -> tuple[_Unit, Decimal, Decimal | None]:
        """The unit after the figure; 三成 and 3成 are 30 percent (成 = tenths)."""
        r, t = fig.reading, self.t
        if fig.kind in ("c", "d") and r.value <= 10 and r.value == int(r.value) and _CHENG.match(t, pos):
            return _Unit("percent", pos + 1, True), value * 10, (vmax * 10 if vmax is not None else None)
        if pct_prefix:  # 百分之五 5 percent, 千分之三 3 per mille
            return _Unit(self._per, pos, True), value, vmax
        if fig.kind == "d" and lang in ("fa", "ar") and _char_in(t, fig.start - 1, "%٪") \
                and not _unit_follows(t, pos) and not _char_in(t, fig.start - 2, "0123456789"):
            return _Unit("percent", pos, True), value, vmax  # %115: the sign before the digits (right-to-left text)
        first = _WORD_AR_RE.match(t, fig.start) if fig.kind == "a" else None
        if first and fold_arabic(first.group(1)) in DUAL_NOUNS:
            return _Unit(first.group(1), pos, True), value, vmax  # عامين: two years, the noun is the unit
        if fig.kind in ("a", "d") and fold_arabic(t[max(fig.start, pos - 3):pos]) == "همت":
            return _Unit("IRT", pos, True), value, vmax  # ۱۲۰ همت: 120 thousand billion tomans
        return _unit_after(t, pos, lang, fig.kind), value, vmax

    def _with_currency(self, fig: _Figure, info: _Unit, pre_start: int, pos: int, num_end: int,
                       lang: str) -> tuple[str | None, int, int]:
        """(unit, end of the mention, start of the mention) with a currency sign before digits."""
        t = self.t
        unit, pos = info.unit, (info.end if info.unit is not None else pos)
        cm = _currency_before(t, pre_start) if fig.kind == "d" else None
        if not cm:
            return unit, pos, pre_start
        currency = CURRENCY_PRE.get(cm.group(1), cm.group(1))
        pre_start -= pre_start - cm.start()
        if unit is None or lang == "en" and unit not in ("INR", "USD", "CNY", "EUR", "GBP"):
            if unit is not None and not info.known:
                pos = num_end  # "$3 million people" never happens; "₹4.5 crore" with a later word does
            unit = currency
        return unit, pos, pre_start

    def _quantity(self, fig: _Figure, value: Decimal, vmax: Decimal | None, qualifier: Qualifier, unit: str | None,
                  start: int, pos: int, num_end: int, neg_len: int) -> Quantity:
        t, r = self.t, fig.reading
        os_, oe = self.norm.span(start, pos)
        # The number's own span leaves out 余/多 written after it (2000余人次).
        num_end = len(t[:num_end].rstrip("余餘多来來几幾 \t"))
        nos, noe = self.norm.span(fig.start - neg_len, max(num_end, fig.start + 1))
        return Quantity(
            value=to_number(value), qualifier=qualifier, unit=unit, start=os_, end=oe, text=self.orig[os_:oe],
            value_max=to_number(vmax) if vmax is not None else None, number_start=nos, number_end=noe,
            uncertain=r.uncertain is not None, reason=r.uncertain,
        )

    def _range_after(self, fig: _Figure, lang: str) -> tuple[Decimal, Decimal, int, str | None] | None:
        t = self.t
        rm = _RANGE_RE.match(t, fig.end)
        if not rm or fig.reading.value_max is not None:
            return None
        m2 = _START.match(t, rm.end())
        sep = rm.group(0).strip()
        if not m2 or m2.group("p") is not None or (m2.group("d") is None) != (fig.kind != "d"):
            return None
        if sep in "-–—" and fig.kind != "d":
            return None
        if sep.lower() in ("and", "و") and not _BETWEEN.search(t, max(0, fig.start - 12), fig.start):
            return None  # "and" makes a range only after "between" (بين ... و)
        f2 = self.figure_at(m2, lang)
        if f2 is None or f2.reading.value_max is not None:
            return None
        v, v2 = fig.reading.value, f2.reading.value
        mult = _shared_scale(t, m2.start(), f2) if not _has_scale(t[fig.start:fig.end]) else None
        if mult and v * mult <= v2:
            v = v * mult  # 3至5万元, 三至五万, 3 to 5 million: the scale written once applies to both
        if v2 <= v:
            return None
        return v, v2, f2.end, f2.reading.approx

    def _range_after_unit(self, fig: _Figure, value: Decimal, unit: str, pos: int,
                          lang: str) -> tuple[Decimal, int] | None:
        """(upper end, end) of a range whose ends both carry the unit: 8.4%到8.8%, 5万元至10万元."""
        t = self.t
        if _CHANGE_FROM.search(t, max(0, fig.start - 12), fig.start):
            return None  # "rose from 5% to 8%", 从8%到9%: two figures, a change, not a range
        rm = _RANGE_RE.match(t, pos)
        if (rm and rm.group(0).strip().lower() in ("and", "و")
                and not _BETWEEN.search(t, max(0, fig.start - 12), fig.start)):
            return None
        m2 = _START.match(t, rm.end()) if rm else None
        if m2 is None or m2.group("p") is not None or (m2.group("d") is None) != (fig.kind != "d"):
            return None
        f2 = self.figure_at(m2, lang)
        if f2 is None or f2.reading.value_max is not None or f2.reading.value <= value:
            return None
        u2 = _unit_after(t, f2.end, lang, f2.kind)
        if not u2.known or u2.unit is None or _canonical_unit(u2.unit, lang) != unit:
            return None
        return f2.reading.value, u2.end

    def _cn_date_after(self, r: Reading, pos: int) -> bool:
        """九月九日, 十二月, 二〇二四年, 下午三点: Chinese numerals that write a date or a time."""
        t = self.t
        if _CN_DATE_AFTER.match(t, pos) and not _char_in(t, pos - 1, "个個"):
            return True
        return t[pos:pos + 1] == "年" and (1000 <= r.value <= 2200 or r.value_max is not None and r.value > 1000)

    def _after_time_unit(self, unit: str | None, pos: int) -> tuple[int, str | None, str | None, Decimal] | None:
        """两年多 (more than two years), 一个多月, 两年半, 一倍多, 3公里多: 多/余/半 after a measure."""
        t = self.t
        if unit not in _MEASURE_UNITS and unit not in ("个", "個"):
            return None
        if unit not in _TIME_UNITS and t[pos:pos + 1] == "半":
            return None  # 半 after other units starts a new word (一倍半? rare; 3公里半路)
        pm = _POST_TIME_ZH.match(t, pos)
        if not pm:
            return None
        if unit in ("个", "個"):
            word = pm.group(2) or pm.group(4)
            if not word:
                return None
            new_unit = "month" if "月" in word else "hour" if "小" in word else "week"
            half = Decimal("0.5") if pm.group(3) else Decimal(0)
            return pm.end(), "more_than" if pm.group(1) else None, new_unit, half
        if pm.group(2) or pm.group(4):
            return None
        if pm.group(1):
            return pm.end(), "more_than", unit, Decimal(0)
        return pm.end(), None, unit, Decimal("0.5")

    def _counts(self, fig: _Figure, info: _Unit, unit: str | None, pre_q: str | None, before: str,
                pos: int, lang: str) -> bool:
        """Whether a weak figure (一, one, یک, واحد: often not a number) is a quantity here."""
        r = fig.reading
        if not r.weak or pre_q is not None or self._is_whole(fig.start, fig.end):
            return True
        t = self.t
        if fig.kind == "c":
            if self.t[fig.start:fig.end] in ("百", "千", "佰", "仟"):
                # 千家万户, 百家号: a bare 百/千 counts only as 千余, 逾千, 百分之百.
                return r.approx is not None or unit in _PER_UNIT.values()
            if unit is not None:
                return True
            if re.search(r"[前後后]$", before) and r.value > 1:
                return True  # 前三: the top three
            return bool(re.search(r"[是为為有共]$", before) and re.match(r"\s*(?:$|[。，,.！!？?；;、])", t[fig.end:]))
        if fig.kind == "e":
            prev = re.search(r"([A-Za-z-]+)\s*$", before)
            return unit is not None and not (prev and prev.group(1).lower() in _ONE_DETERMINERS)
        if fig.kind == "a":
            if re.search(rf"{_AB}(?:أي|اي|كل|هر|أحد)\s*$", before):
                return False
            return info.known or lang == "ar" and _counted_noun(info.unit, t[fig.start:fig.end])
        return True

    def _is_whole(self, start: int, end: int) -> bool:
        """In :func:`parse_quantity`, whether the figure is the whole mention."""
        if not self.whole:
            return False
        head = self.t[:start].strip()
        tail = self.t[end:].strip(" \t\n.。!！?？،,")
        return (not head or bool(re.fullmatch(rf"(?:{NEG_WORDS}|[-−])", head, re.I))) and not tail

    def _is_year(self, fig: _Figure, unit: str | None, qualifier: str, vmax: Decimal | None, v: Decimal) -> bool:
        """Bare four-digit years (no unit, qualifier or scale) are dates in running text."""
        if not self.skip_dates or fig.kind != "d" or unit is not None or fig.reading.scaled:
            return False
        s = self.t[fig.start:fig.start + 4]
        if not re.fullmatch(r"\d{4}", s) or fig.reading.end - fig.start != 4 and vmax is None:
            return False
        lang = self.lang_at(fig.start, fig.end)
        in_range = 1900 <= v <= 2100 or (lang in ("fa", "ar") and 1300 <= v <= 1500)
        if vmax is not None:
            return 1900 <= v <= 2100 and 1900 <= vmax <= 2100  # 2015-2017: a period of years
        return qualifier == "exact" and in_range

    def scan(self, first_only: bool = False) -> list[Quantity]:
        out: list[Quantity] = []
        pos = 0
        t = self.t
        while True:
            m = _START.search(t, pos)
            if m is None:
                break
            q, nxt = self.read(m)
            if q is not None:
                out.append(q)
                if first_only:
                    break
            pos = max(nxt, m.end()) if q is not None or nxt > m.end() else m.end()
        return out


# Arabic 3-10 that are also other words (ست "lady", تسع "holds", خمس "a fifth", عشر "a tenth"):
# a count before an indefinite noun (تسع غرف, خمس محافظات), the other word before a definite
# one (خمس السكان "a fifth of the population").
_AR_SMALL_COUNTS = {fold_arabic(w) for w in ("ست", "سبع", "تسع", "عشر", "خمس", "ثمان")}


def _counted_noun(unit: str | None, word: str) -> bool:
    """Whether ``unit`` is an indefinite noun that makes the small Arabic number ``word`` a count."""
    if unit is None or fold_arabic(word) not in _AR_SMALL_COUNTS or len(unit) < 3:
        return False
    return not unit.startswith(("ال", "لل")) and unit not in STOP_AR and not _ARABIC_VERB.match(unit)


# A word that starts like an imperfect verb (يـ/تـ + 2+ letters, سيـ) is no counted noun.
_ARABIC_VERB = re.compile(rf"(?:س?[يت]|[نأ])[{_AR_LETTER}]{{3,}}$")


def _cn_not_a_number(t: str, fig: _Figure, before: str) -> bool:
    """Chinese words written with numerals: 数百/上千/好几 (vague), 上一篇 "previous article",
    每一 "every", 唯一 "only", 千万别 "by no means"."""
    s = t[fig.start:fig.end]
    if _char_in(before, len(before) - 1, "数數几幾上成好"):
        return True
    if s == "一" and _char_in(before, len(before) - 1, "上下每同统統唯万萬"):
        return True
    if len(s) == 1 and s in _FINANCIAL_ONLY:
        return True  # 陆地, 收拾, 队伍, 放肆: these characters are numerals only among others
    if s == "一" and t.startswith(("次性", "半"), fig.end):  # 一次性 "single-use", 一半 "half"
        return True  # 一次性 "single-use"
    return s in ("千万", "千萬") and _char_in(t, fig.end, "别別不要")


_VAGUE_SCALE = re.compile(rf"(?i:(?<![\w{_AR_LETTER}])(?:{VAGUE_BEFORE_SCALE})[^\S\n]*$)")
# "per thousand": a rate's denominator, not a figure (لكل ألف من السكان, در هر هزار نفر, per 1,000).
_PER_SCALE = re.compile(rf"(?i:(?<![\w{_AR_LETTER}])(?:per|every|each|لكل|في\s*كل|کل|هر|در\s*هر|بكل)[^\S\n]*$)")
_HALF_SCALE = re.compile(rf"(?i:(?<![\w{_AR_LETTER}])(?:{HALF_BEFORE_SCALE})[^\S\n]*$)")
_BARE_SCALE_EN = re.compile(r"(?i:(?:an?\s+)?(?:hundred|thousand|million|billion|trillion|lakh|crore)\b)")
_FRACTION_FOLDED = {fold_arabic(w) for w in FRACTION_WORDS}


def _bare_scale(t: str, fig: _Figure) -> bool:
    """Whether the figure starts with a scale word, with no number before it (هزار نفر)."""
    if fig.kind == "e":
        return bool(_BARE_SCALE_EN.match(t, fig.start))
    if fig.kind == "a":
        w = re.match(rf"[{_AR_LETTER}]+", t[fig.start:])
        return w is not None and fold_arabic(w.group(0)) in _SCALE_FOLDED
    return False


_SCALE_FOLDED = {fold_arabic(w) for w in ("هزار", "یکهزار", "میلیون", "میلیارد", "تریلیون", "ألف", "مليون", "مليار",
                                          "بليون", "تريليون", "صد", "مائة", "مئة")}


def _is_fraction(t: str, info: _Unit, num_end: int) -> bool:
    """دو سوم, ثلاثة أرباع, two thirds, 30分之1: the figure is the numerator of a fraction."""
    if t.startswith("分之", num_end):
        return True
    u = info.unit
    return u is not None and (u.lower() in FRACTION_WORDS or fold_arabic(u) in _FRACTION_FOLDED)


def _char_in(s: str, i: int, chars: str) -> bool:
    return 0 <= i < len(s) and s[i] in chars


_AR_MULT = _alt(arabic_script_pattern(w) for w in ("هزار", "میلیون", "میلیارد", "ألف", "آلاف", "مليون", "ملايين",
                                                    "مليار", "مليارات", "صد", "مائة", "مئة", "تریلیون", "تريليون"))
_SCALE_NEXT = re.compile(rf"[{CN_START}兆]|[^\S\n]*(?:[万萬亿億兆]"
                         r"|(?i:(?:hundred|thousand|million|billion|trillion|lakh|crore)s?\b)"
                         rf"|{_AB}(?:{_AR_MULT}){_AW})")
_RUN = re.compile(
    rf"(?:[{CN_START}点點余餘多几幾来來兆\d.,٫٬]|[ \t](?=[{CN_START}\d]))+"
    rf"|(?:[^\S\n]*-?[^\S\n]*(?:{_EN_WORD.pattern}|(?i:point|and|half)\b|\d[\d,.]*))+"
    rf"|(?:[^\S\n]*و?[^\S\n]*(?:{_AR_WORD.pattern}|\d[\d,.٫٬]*|نیم|نصف))+")


_SCALE_WORD_VALUES = {"万": 10**4, "萬": 10**4, "亿": 10**8, "億": 10**8, "万亿": 10**12, "萬億": 10**12,
                      "thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12, "lakh": 10**5,
                      "crore": 10**7, **{fold_arabic(w): v for w, v in (("هزار", 10**3), ("میلیون", 10**6),
                                                                       ("میلیارد", 10**9), ("ألف", 10**3),
                                                                       ("آلاف", 10**3), ("مليون", 10**6),
                                                                       ("ملايين", 10**6), ("مليار", 10**9))}}
_TRAILING_SCALE = re.compile(r"(万亿|萬億|[万萬亿億]|(?i:thousand|million|billion|trillion|lakh|crore)s?"
                             rf"|[{_AR_LETTER}]+)[余餘多几幾]?$")


def _trailing_scale(s: str) -> Decimal | None:
    """The scale word that ends a figure (5万 → 10⁴, 5 million → 10⁶), if any."""
    m = _TRAILING_SCALE.search(s)
    if not m:
        return None
    w = m.group(1)
    v = (_SCALE_WORD_VALUES.get(w) or _SCALE_WORD_VALUES.get(w.lower().rstrip("s"))
         or _SCALE_WORD_VALUES.get(fold_arabic(w)))
    return Decimal(v) if v else None


def _shared_scale(t: str, start: int, f2: _Figure) -> Decimal | None:
    """The scale of the second end of a range, to apply to the first (3至5万元, 2-3 million,
    ۲ تا ۳ هزار میلیارد: all the scale words, 10¹², not the last one only)."""
    dm = _DIGIT_RE.match(t, start) if f2.kind == "d" else None
    lead = read_digits(dm.group(0)) if dm else None
    if lead and dm and dm.end() < f2.end:
        mult = f2.reading.value / lead
        if mult > 1 and mult == mult.to_integral_value() and str(int(mult)).rstrip("0") == "1":
            return mult  # a power of ten: the words after the digits are scales only
    return _trailing_scale(t[start:f2.end])


def _currency_before(t: str, ns: int) -> re.Match[str] | None:
    """The currency sign or code written right before the digits at ``ns`` (₹, Rs., KSh, N), if any."""
    cm = _CURRENCY_RE.search(t, max(0, ns - 8), ns)
    if cm is None or cm.end() != ns:
        return None
    if cm.group(1) == "N" and not (cm.end(1) == ns and _NAIRA_AFTER.match(t, ns)):
        return None  # N95 masks
    return cm


_SCALES_AFTER = re.compile(r"(?:[^\S\n]*(?i:hundred|thousand|million|billion|trillion|lakh|crore|bn|mn|cr)s?\b)*")


def _past_scale_words(t: str, pos: int) -> int:
    """``pos`` moved past the scale words after skipped digits, so none is read as a figure alone."""
    return end_of(_SCALES_AFTER, t, pos)


def _glued_qualifier(before: str) -> bool:
    """"Nearly17,150": a qualifier glued to the digits (no space in the scraped text)."""
    m = re.search(r"(?i:(?<![A-Za-z])(nearly|almost|about|around|over|approximately|roughly|some|under))$", before)
    return m is not None


def _has_scale(s: str) -> bool:
    return _trailing_scale(s) is not None or bool(re.search(r"[万萬亿億]", s))


def _run_end(t: str, pos: int) -> int:
    """End of the run of numerals, number words and digits starting at ``pos``."""
    m = _RUN.match(t, pos)
    return m.end() if m else pos


# Before a hyphen, what makes it a hyphen or a dash and not a minus: a Latin or Arabic-script
# letter or digit (COVID-19, 2015-2017), a closing bracket, another dash. After a Chinese
# character (增长-3.2%) it is a minus.
_GLUED_BEFORE_SIGN = re.compile(rf"[A-Za-z0-9{_AR_LETTER}_.)\]%\-−–—]")


def _neg_before(t: str, pre_start: int, ns: int) -> int:
    """Length of a minus sign or word right before the figure (-5, −5, 负五, منفی سه, minus
    five), or 0. A hyphen counts only when nothing word-like is glued before it."""
    if _char_in(t, ns - 1, "-−") and (ns < 2 or not _GLUED_BEFORE_SIGN.match(t, ns - 2)):
        return 1
    nm = _NEG.search(t[max(0, ns - 12):ns])
    return len(nm.group(0)) if nm else 0


def _neg_skip(t: str, pos: int) -> int:
    """Past a 负 written inside a percentage (百分之负三点八)."""
    return pos + 1 if _char_in(t, pos, "负負") else pos


def _list_members(text: str, qs: list[Quantity]) -> list[Quantity]:
    """A qualifier before the first member of a list applies to every member (约有120家医院、
    45个诊所和300个药房; حدود ۵۰۰ پزشک، ۲۰۰ پرستار و ۳۰ ماما; at least two surgeons and
    eight nurses), until a member has its own qualifier or the clause ends."""
    out = list(qs)
    for i in range(1, len(out)):
        prev, cur = out[i - 1], out[i]
        if prev.qualifier == "exact" or cur.qualifier != "exact" or cur.start != cur.number_start:
            continue
        if _LIST_GAP.fullmatch(text[prev.end:cur.start]):
            out[i] = replace(cur, qualifier=prev.qualifier)
    return out


# Between two members: a list separator, after a short head noun in Chinese (医院、). In
# Persian, Arabic and English the counted noun is already the unit of the first member; a
# word more between them is as often a verb (حدود ۵۰۰ نفر آمدند و ۲۰۰ نفر رفتند) as a noun,
# so the qualifier is not carried across it.
_LIST_GAP = re.compile(
    r"[\u3400-\u9fff]{0,6}?\s*(?:、|和|及|与|與|以及|跟)\s*"
    r"|[^\S\n]*(?:،|,|و(?=[\s\d۰-۹٠-٩%٪]|$))[^\S\n]*[%٪]?"
    r"|[^\S\n]*(?:,|\band\b|,\s*and\b)[^\S\n]*")


def find_quantities(text: str, lang: str | None = None) -> list[Quantity]:
    """Every quantity mentioned in ``text``, in order, with spans into ``text``.

    Dates (2018年, 1月22日, سال ۹۶, 2024-03-07), clock times (9:30, 上午11点), ordinals
    (第二), phone numbers, long identifiers and bare four-digit years are skipped.

    >>> [(q.value, q.qualifier, q.unit) for q in find_quantities("培训班50余期，培训人员8000余人次")]
    [(50, 'more_than', '期'), (8000, 'more_than', 'person_time')]
    >>> [(q.value, q.qualifier) for q in find_quantities("at least two surgeons and eight nurses")]
    [(2, 'at_least'), (8, 'at_least')]
    """
    if not text or not isinstance(text, str):
        return []
    return _list_members(text, _Scan(text, lang, True).scan())


def parse_quantity(text: str, lang: str | None = None) -> Quantity | None:
    """The first quantity stated in a short mention, or None when there is no number.

    >>> q = parse_quantity("總投資逾2億元")
    >>> q.value, q.qualifier, q.unit, q.text
    (200000000, 'more_than', 'CNY', '逾2億元')
    >>> parse_quantity("₹4.5 crore").value, parse_quantity("覆盖率85%以上").qualifier
    (45000000, 'at_least')
    >>> parse_quantity("投资超亿元").value, parse_quantity("近三成").qualifier
    (100000000, 'nearly')
    """
    if not text or not isinstance(text, str):
        return None
    found = _Scan(text, lang, True, whole=True).scan(first_only=True)
    if not found:
        # A mention that is only a date-like figure ("2015-2017", "2018年") still has a number.
        found = _Scan(text, lang, False, whole=True).scan(first_only=True)
    return found[0] if found else None
