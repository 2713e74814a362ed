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

from extractor.numbers.arabic_script import DUAL_NOUNS, glued_scale_breaks, read_arabic_script, starts_with_scale_word
from extractor.numbers.arabic_script import NUMBER_WORD as _AR_WORD
from extractor.numbers.chinese import CN_START, read_chinese
from extractor.numbers.currency import Currency, currency_after, currency_before, yuan_currency
from extractor.numbers.dates import date_spans
from extractor.numbers.english import NUMBER_WORD as _EN_WORD
from extractor.numbers.english import read_english
from extractor.numbers.normalize import DIGITS, Normalized, Reading, end_of, fold_arabic, read_digits, to_number
from extractor.numbers.vocab import (
    AR_VERB_QUALIFIERS,
    CLASSIFIERS_ZH,
    COUNTERS_AR,
    FRACTION_WORDS,
    FRACTIONS_BEFORE_SCALE,
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

__all__ = ["Qualifier", "Quantity", "parse_quantity", "find_quantities", "values_match", "unit_starts_with_scale"]

Qualifier = Literal["exact", "more_than", "at_least", "about", "nearly", "up_to", "less_than"]


@dataclass(frozen=True)
class Quantity:
    """A figure stated in the text, with its span (``start``/``end``, qualifier and unit
    included) and the span of the number alone (``number_start``/``number_end``).

    ``currency`` is the ISO 4217 code of the currency the text names for the figure (``港币``
    HKD, ``ريال قطري`` QAR, ``€`` EUR), or None when it names none or names a family of
    currencies without saying which (``ريال`` alone in Arabic): never guessed. ``unit`` is then
    the code too, or the currency word as written."""

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
    currency: str | None = None  # ISO 4217 code of the currency the text names, if it names one
    # An amount of money: the text names a currency, by a code-giving word or symbol or by a
    # family word that gives no code (ريال, دينار, "pounds"): then ``currency`` is None.
    money: bool = False


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
    # Digits, not inside other digits (a comma after a digit groups or separates decimals; after a
    # word it separates clauses, as scraped Chinese writes it: 系統建設,14個); after "Rs." the dot
    # ends the abbreviation ("Rs.500").
    rf"(?P<p>[百千万萬]分之)|(?P<d>(?<![\d.٫٬/])(?<![\d.٫٬][,٬])\d|(?<=[A-Za-z]\.)\d|(?<![\d.,٫٬/A-Za-z])[.٫]\d)|(?P<c>[{CN_START}])"
    rf"|(?P<a>{_AR_WORD.pattern})|(?P<e>{_EN_WORD.pattern})"
)
_DIGIT_RE = re.compile(DIGITS)
_FW_COMMA_GROUP = re.compile(r"\d{1,3}(?:,\d{3})*，\d{3}(?:[,，]\d{3})*(?:\.\d+)?(?![\d,，])")
_CN_DIGIT_RUN = re.compile("[零〇○一二两兩三四五六七八九]{3,}")
# After digits, what a script reader might take further: a numeral, 点/余, a letter, و.
_MAY_CONTINUE = re.compile(rf"[^\S\n]*(?:[{CN_START}点點余餘多几幾来來兆]|[A-Za-z{_AR_LETTER}])")
_HAN = re.compile(r"[\u3400-\u9fff]")
_ARABIC = re.compile(rf"[{_AR_LETTER}]")
_LATIN = re.compile(r"[A-Za-z]")

_RANGE_RE = re.compile(rf"[^\S\n]*(?:[-–—~〜]{{1,2}}|至|到|{_AB}(?:تا|الی|إلى|الى|لغاية|و){_AW}|(?i:to|and)\b)[^\S\n]*")
# و glued to the second end of a range after بين (ما بين عشرة وعشرين).
# "one in ten patients", "1 in 4 adults", "two out of five", "40 in every 1,000 births": a ratio,
# not two counts. "1,200 in 2023", "200 in a day", "3,000 in 10 days", "40 in three counties" are
# counts: a ratio's second term is a count (no year, no time) with a noun after it, and larger
# than the first ("out of" and "every" say it is a ratio whatever the noun).
_EN_SMALL = {w: i for i, w in enumerate(["zero", "one", "two", "three", "four", "five", "six", "seven", "eight",
                                         "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen",
                                         "sixteen", "seventeen", "eighteen", "nineteen", "twenty"])}
_RATIO_A = re.compile(r"(?i:(?<![\w.,])(?P<a>\d{1,3}(?:,\d{3})*|\d+|an?|" + "|".join(_EN_SMALL) + r")"
                      r"[^\S\n]+(?P<op>out[^\S\n]+of|in)(?P<every>[^\S\n]+every)?[^\S\n]+$)")
_RATIO_B = re.compile(r"(?i:(?P<b>\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?|(?:an?[^\S\n]+)?(?:hundred|thousand|million)|"
                      + "|".join(_EN_SMALL) + r")\b(?:[^\S\n]+(?P<noun>[A-Za-z]+))?)")
_NOT_COUNTED = re.compile(r"(?i:(?:second|minute|hour|day|week|fortnight|month|quarter|year|decade|centur(?:y|ie)|"
                          r"january|february|march|april|may|june|july|august|september|october|november|december|"
                          r"percent|per|of|and|or|to|from|the|a|an)s?)")


def _ratio_term(word: str) -> Decimal | None:
    w = word.lower().replace(",", "")
    if w in ("a", "an"):
        return Decimal(1)
    if w in _EN_SMALL:
        return Decimal(_EN_SMALL[w])
    scale = re.fullmatch(r"(?:an?\s+)?(hundred|thousand|million)", w)
    if scale:
        return Decimal({"hundred": 100, "thousand": 1000, "million": 10**6}[scale.group(1)])
    return Decimal(w) if re.fullmatch(r"\d+(?:\.\d+)?", w) else None


def _is_ratio(t: str, head: re.Match[str], b_start: int) -> bool:
    """Whether the first term matched by ``head`` (ending where the second starts, at
    ``b_start``) and the figure at ``b_start`` make a ratio ("1 in 4 adults")."""
    bm = _RATIO_B.match(t, b_start)
    if bm is None:
        return False
    a, b, noun = _ratio_term(head.group("a")), _ratio_term(bm.group("b")), bm.group("noun")
    if a is None or b is None or (noun is not None and _NOT_COUNTED.fullmatch(noun)):
        return False
    if head.group("op").lower() != "in" or head.group("every"):
        return True  # "3 out of 5", "40 in every 1,000 births"
    year = re.fullmatch(r"(?:1[5-9]|20)\d\d", bm.group("b"))
    return year is None and (noun is not None or a == 1) and a < b  # "the risk is 1 in 3"


def _ratio_first_term(t: str, start: int, end: int) -> bool:
    """Whether the figure at ``start:end`` is the first term of a ratio."""
    rest = re.match(r"(?i:[^\S\n]+(?:out[^\S\n]+of|in)(?:[^\S\n]+every)?[^\S\n]+)", t[end:end + 30])
    if rest is None:
        return False
    head = _RATIO_A.search(t[max(0, start - 1):end + rest.end()])
    return head is not None and head.start("a") <= 1 and _is_ratio(t, head, end + rest.end())


def _ratio_second_term(t: str, start: int) -> bool:
    """Whether the figure at ``start`` is the second term of a ratio (its denominator)."""
    head = _RATIO_A.search(t[max(0, start - 40):start])
    return head is not None and _is_ratio(t, head, start)


# "two dozen clinics": dozen after a number multiplies it.
_DOZEN = re.compile(r"(?i:[^\S\n]+dozen\b)")
_SUBUNIT_NAME = re.compile(r"(?i:cents?|pence|c|سنتات|سنت|سينت|سينتات|قرش|قروش)")
_AMOUNT_AND = re.compile(r"(?:(?i:dollars?|pounds?|euros?|riyals?|rupees?|dinars?)"
                         rf"|{_AB}(?:دولار|دولارات|جنيه|جنيهات|ريال|يورو))[^\S\n]+(?:(?i:and)|{_AB}و)[^\S\n]*$")
# A year-like figure (skipped as a date), then a range separator, right before a figure: the
# figure may close a range (between 1800 and 1900 million euros).
_ORPHAN_RANGE_END = re.compile(rf"(?<![\d.,])[12]\d{{3}}[^\S\n]*(?:[-–—~]|至|到|(?i:to|and)|{_AB}(?:تا|إلى|الى|و)){_AW}"
                               r"[^\S\n]*[$€£]?$")
_DECIMAL_WORD = re.compile(r"[^\S\n]+(?:فاصلة|فاصله|ممیز|مميز)[^\S\n]+(\d{1,6})(?![\d.,٫٬])")
_GLUED_AND = re.compile(rf"[^\S\n]*{_AB}و(?=[\d{_AR_LETTER}])")
# A bound's inclusion written after it: 50万元（含）以上, 1万(含)-5万元; （不含） excludes it.
_INCLUSIVE = re.compile(r"[^\S\n]*[(（][^\S\n]*(不?含)[^\S\n]*[)）]")
_CURRENCY_SIGN = re.compile(r"(?:US\$|[$€£¥￥₹])[^\S\n]?(?=\d)")
_BETWEEN = re.compile(rf"(?:(?i:\bbetween)|{_AB}(?:بين|بین))[^\S\n]*$")
_TIME_RE = re.compile(r"\d{1,2}:\d{2}(?::\d{2})?(?!\d)")
_CLOCK_ZH = re.compile(r"(上午|下午|晚上|早上|凌晨|中午|傍晚|早|晚)\s*$")
# A clock time whatever comes before: 24时, 8時許, 11点30分, 9点半.
_CLOCK_ZH_SURE = re.compile(r"\s?(?:[时時](?![间間期代段])|[点點]\s?(?:\d{1,2}\s?分|半|钟|鐘|整))")
_CLOCK_ZH_AFTER = re.compile(r"\s?[点點时時](?:\s?\d{1,2}\s?分|半|钟|鐘|许|許|整)?")
_DATE_HINT = re.compile(r"[年月日号號/\-.:]|[A-Za-z\u0600-\u06ff]")
_CN_DATE_AFTER = re.compile(r"[月号號]|日(?![元圆圓币幣])|[点點时時](?![0-9零〇一二两三四五六七八九])")
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
_MEASURE_UNITS = _TIME_UNITS | {"倍", "km", "m", "kg", "t", "斤", "CNY", "元", "岁", "歲", "分钟", "分鐘", "秒"}
# Currencies whose unit is 元 in Chinese (人民币元, 港元, 新台币元, 澳门元).
_YUAN_CODES = {"CNY", "HKD", "TWD", "MOP"}
_GE_SCALE = re.compile(r"[个個]([亿億万萬])(?![\d零〇一二两兩三四五六七八九十百千])")
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
        if fold_arabic(k) == f and v is not None:
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
    currency: Currency | None = None  # when the unit is a currency


def _unit_after(t: str, pos: int, lang: str, kind: str) -> _Unit:
    """The unit right after a figure: a currency, a known unit, a Chinese classifier, or the next word."""
    cur = currency_after(t, pos, lang)
    if cur is not None:
        return _Unit(cur.code or t[cur.start:cur.end], cur.end, True, cur)
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
    """A unit as :func:`_unit_after` names it (percent, m2...), to compare two ends of a range."""
    return u if u in UNITS_ZH.values() or u == "percent" else (_unit_zh(u) if _HAN.search(u) else u)
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


def _post_qualifier_bound(t: str, pos: int) -> tuple[str | None, int]:
    """:func:`_post_qualifier`, after a bound's inclusion if one is written: 50万元（含）以上 is
    at least 500000, 50万元（不含）以上 more than it."""
    im = _INCLUSIVE.match(t, pos)
    if im is None:
        return _post_qualifier(t, pos)
    q, end = _post_qualifier(t, im.end())
    if q is None:
        return None, pos
    if im.group(1) == "不含":
        q = {"at_least": "more_than", "up_to": "less_than"}.get(q, q)
    return q, end


def _pre_qualifier(before: str, unit: str | None, after: str, scaled_big: bool,
                   gaps: bool = True) -> tuple[str | None, int]:
    """The qualifier written before the number, and its length: right before it, or before a
    bracket ("أكثر من (38,000,000)"), a Chinese verb (至少派驻1名, 约需2周) or the subject of an
    Arabic verb (لم يتجاوز العدد ست حالات). None when the words there make something else
    (近三年 "the last three years", 预约 "appointment")."""
    q, n = _qualifier_at(before, unit, after, scaled_big)
    if q is not None or not before or not gaps:
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
        self.norm = Normalized(text, breaks=glued_scale_breaks(text))
        self.lang = _norm_lang(lang)
        self.t = self._comma_decimals(self._slash_decimals(self.norm.text))
        self.skip_dates = skip_dates
        self.whole = whole
        self.lang_tag = lang
        self._yuan: str | None = None  # the text's yuan currency, once asked for
        self._yuan_asked = False
        self._currencies: dict[int, Currency | None] = {}  # currency written before each figure start
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
        money = self._cur_before(ns, lang) is not None
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
        fw = _FW_COMMA_GROUP.match(t, ns)
        if fw is not None and fw.end() > dm.end() and not _SCALE_NEXT.match(t, fw.end()):
            # 82，225.00元: a clause comma of Chinese text between digits, or a thousands separator
            grouped = Decimal(re.sub("[,，]", "", fw.group(0)))
            return _Figure(Reading(grouped, fw.end(), uncertain="a full-width comma read as a thousands separator"),
                           "d", ns, fw.end())
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
        if re.search(r"[A-Za-z][-]?$", before) and self._cur_before(ns, lang) is None and not _glued_qualifier(before):
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
        if rng is None and vmax is None and value == value.to_integral_value():
            dw = _DECIMAL_WORD.match(t, pos)
            if dw is not None and _SCALE_NEXT.match(t, dw.end()):
                fig.reading = replace(r, uncertain="a decimal point said as a word, before a scale word")
            elif dw is not None:  # 1 فاصلة 5: the decimal point said as a word
                value, pos = value + Decimal("0." + dw.group(1)), dw.end()
        num_end = pos
        if fig.kind == "c" and self._cn_date_after(r, pos):
            return None, pos
        info, value, vmax = self._unit_of(fig, pos, pct_prefix, lang, value, vmax)
        figure_start = pre_start
        unit, pos, pre_start, cur = self._with_currency(fig, info, pre_start, pos, num_end, lang)
        prefixed = pre_start != figure_start  # a currency written before the figure (US$, 港币)
        money = info.currency is not None or cur is not None or self._cur_before(pre_start, lang) is not None
        if money and cur is None and info.currency is not None and _weight_pounds(t, info, figure_start):
            money = False  # He weighed 180 pounds; 10 pounds of supplies: a weight, not money
        sub = _subunit_after(t, pos, info, money, fig.reading.value) if vmax is None else None
        sub_doubt = None
        if sub is not None:
            if sub[2] is None:
                value, pos = value + sub[0], sub[1]  # 十块三毛, 20 dollars 43 cents: the cents are part of it
                if cur is None and info.currency is None and info.unit in ("块", "塊"):
                    cur = self._code_of(Currency(None, 0, 0, yuan=True))  # 块 with 毛/分 is money
                    unit = cur or unit
            else:
                sub_doubt = sub[2]
        if vmax is None and info.known and unit is not None:
            second = self._range_after_unit(fig, value, unit, info, pos, lang)  # 8.4%到8.8%, 5万元至10万元
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
        post_q, pos = _post_qualifier_bound(t, pos)
        before = t[max(0, pre_start - 40):pre_start]
        if post_q is None and _PASSED_FROM.search(before) and _PASSED_VERB.match(t, pos):
            post_q = "more_than"  # از ۹۶ میلیون دوز عبور کرد: it passed 96 million
        if _bare_scale(t, fig):
            if re.search(r"\d[^\S\n]*$", before) or _PER_SCALE.search(before):
                return None, fig.end  # digits not read before it (N95 million?); لكل ألف, per thousand
            if _VAGUE_SCALE.search(before):
                return None, fig.end  # several thousand, چند هزار, ده‌ها هزار: vague
            hm = _HALF_SCALE.search(before)
            fm = None if hm else _FRACTION_SCALE.search(before)
            if hm:  # نیم میلیون, half a million
                value, pre_start = value / 2, pre_start - len(hm.group(0)) + len(hm.group("pc") or "")
                before = t[max(0, pre_start - 40):pre_start]
            elif fm:  # a quarter of a million, ربع مليون, یک چهارم میلیون
                num, den = _FRACTION_OF[_fraction_key(fm.group("f"))]
                if (value * num) % den:
                    return None, fig.end  # a third of a billion: no exact figure to give
                value, pre_start = value * num / den, pre_start - len(fm.group(0)) + len(fm.group("pc") or "")
                before = t[max(0, pre_start - 40):pre_start]
            if (hm or fm) and re.search(r"\d[^\S\n]*و?[^\S\n]*$", before):
                return None, fig.end  # ۲ ونیم میلیون: digits not read before "and half a million"
        scaled_big = r.scaled and bool(re.search(r"[万萬亿億]", t[fig.start:num_end]))
        # A currency written before the figure (最高增加新台幣5.86億元) ends the reach of a qualifier
        # across a verb: only one written right before the currency applies.
        pre_q, q_len = _pre_qualifier(before, unit, t[num_end:num_end + 20], scaled_big,
                                      gaps=not prefixed)
        if pre_q == "up_to" and approx == "more_than":
            pre_q = None  # 最高达2万余人次: the figure itself says "more than 20000"
        if q_len and not prefixed:
            ahead = currency_before(t, pre_start - q_len, lang)  # 人民币约3亿元: the currency before the qualifier
            if ahead is not None:
                cur = self._agree(ahead, info.currency) if info.currency is not None else self._code_of(ahead)
                unit = cur or unit
                q_len += pre_start - q_len - ahead.start
        qualifier = _QUALIFIER[pre_q or post_q or approx or "exact"]
        if not self._counts(fig, info, unit, pre_q, before, pos, lang):
            return None, fig.end
        if self._is_year(fig, unit, qualifier, vmax, value):
            return None, end_of(_FISCAL_TAIL, t, pos)  # 2022-23: the year and its fiscal tail
        if fig.negative:
            value, vmax = -value, (-vmax if vmax is not None else None)
        if sub_doubt is None and unit is not None and _SUBUNIT_NAME.fullmatch(unit) and _AMOUNT_AND.search(before):
            sub_doubt = "the cents of an amount whose whole units were not read"  # a dollar and 42 cents
        if sub_doubt is None and not info.known and info.currency is None and unit_starts_with_scale(unit):
            # ۱۲ هزارمیلیاردتومانی, 5 millionfold: a scale word the reader could not split off
            sub_doubt = "followed by a word that starts with a scale word: the figure's scale is unsure"
        if lang == "en" and _ratio_second_term(t, fig.start):
            return None, pos  # "one in ten patients": the denominator of a ratio is no count
        if sub_doubt is None and lang == "en" and vmax is None and _ratio_first_term(t, fig.start, num_end):
            sub_doubt = "the first term of a ratio (1 in 4), not a count"
        if sub_doubt is None and vmax is None and _ORPHAN_RANGE_END.search(before):
            # between 1800 and 1900 million euros: the first end was taken for a year
            sub_doubt = "may be the upper end of a range whose first end was not read as a figure"
        q = self._quantity(fig, value, vmax, qualifier, unit, pre_start - q_len, pos, num_end, neg_len, cur)
        if money or cur is not None:
            q = replace(q, money=True)
        if sub_doubt is not None and not q.uncertain:
            q = replace(q, uncertain=True, reason=sub_doubt)
        return q, pos

    def _sign(self, fig: _Figure, pre_start: int, pct_prefix: bool) -> tuple[int, int]:
        """(start of the mention, length of the sign before the number); sets ``fig.negative``."""
        t, ns = self.t, fig.start
        if pct_prefix:  # 百分之负三点八: the sign is inside
            fig.negative = bool(_NEG.search(t[max(0, ns - 4):ns]))
            return pre_start, 0
        neg_len = _neg_before(t, pre_start, ns)
        if not neg_len and self.whole:
            dm = _DETACHED_MINUS.match(t[:pre_start])
            if dm:  # parse_quantity("- 10 k"): a mention that starts with a dash is negative (in running
                neg_len = pre_start - dm.start(1)  # text the dash is as often a bullet: no sign)
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
            # ۱۲۰ همت: 120 thousand billion tomans
            return _Unit("IRT", pos, True, Currency("IRT", pos - 3, pos)), value, vmax
        if fig.kind in ("c", "d") and t[pos:pos + 1] in ("个", "個"):
            sm = _GE_SCALE.match(t, pos)
            if sm and r.value == r.value.to_integral_value():  # 两个亿, 一个亿: colloquial 亿/万
                mult = Decimal(10**8 if sm.group(1) in "亿億" else 10**4)
                return (_unit_after(t, sm.end(), lang, fig.kind), value * mult,
                        (vmax * mult if vmax is not None else None))
        dz = _DOZEN.match(t, pos) if fig.kind in ("d", "e") else None
        if dz:  # two dozen clinics: 24
            return (_unit_after(t, dz.end(), lang, fig.kind), value * 12,
                    (vmax * 12 if vmax is not None else None))
        return _unit_after(t, pos, lang, fig.kind), value, vmax

    def _with_currency(self, fig: _Figure, info: _Unit, pre_start: int, pos: int, num_end: int,
                       lang: str) -> tuple[str | None, int, int, str | None]:
        """(unit, end of the mention, start of the mention, ISO code of its currency) with a
        currency written before the figure (US$, €, 港币) and one after it (元, 港币, دولار)."""
        t = self.t
        unit, pos = info.unit, (info.end if info.unit is not None else pos)
        pre = self._cur_before(pre_start, lang)
        suf = info.currency
        if suf is not None and suf.yuan:  # 数十亿元人民币, 5000元港币: the currency named after 元
            named = currency_after(t, suf.end, lang)
            if (named is not None and not named.yuan and named.code in _YUAN_CODES
                    and not t[suf.end:named.start].strip()):
                suf, pos = named, named.end
        if pre is None:
            code = self._code_of(suf) if suf is not None else None
            return (code or unit) if suf is not None else unit, pos, pre_start, code
        pre_start = pre.start
        if suf is not None:
            code = self._agree(pre, suf)
            return code or unit, pos, pre_start, code
        code = self._code_of(pre)
        if unit is None or lang == "en" and not info.known:
            if unit is not None:
                pos = num_end  # "$3 million people" never happens; "₹4.5 crore" with a later word does
            unit = code or t[pre.start:pre.end]
        return unit, pos, pre_start, code

    def _lead(self, fig: _Figure, lang: str | None) -> int:
        """Where the figure starts with a currency written before it (between $5 and $10)."""
        c = self._cur_before(fig.start, lang)
        return c.start if c is not None else fig.start

    def _cur_before(self, ns: int, lang: str | None) -> Currency | None:
        """:func:`_currency_before`, asked once per figure start (several steps need it)."""
        if ns not in self._currencies:
            self._currencies[ns] = _currency_before(self.t, ns, lang)
        return self._currencies[ns]

    def _code_of(self, c: Currency) -> str | None:
        """The code of one currency written around a figure; 元 and ¥ take the text's yuan."""
        if c.yuan:
            if not self._yuan_asked:
                self._yuan, self._yuan_asked = yuan_currency(self.orig, self.lang_tag), True
            return self._yuan
        return c.code

    def _agree(self, pre: Currency, suf: Currency) -> str | None:
        """The currency of a figure with one written before and one after it: 港币…元 HKD,
        $…USD, NZD $, SGD…$; two that disagree give none."""
        if suf.yuan:
            return pre.code if pre.code in _YUAN_CODES else (self._code_of(pre) if pre.yuan else None)
        if pre.yuan:
            return suf.code if suf.code in _YUAN_CODES else None
        if pre.generic_dollar and suf.code and suf.code.endswith("D"):
            return suf.code
        if suf.generic_dollar and pre.code and pre.code.endswith("D"):
            return pre.code
        return pre.code if pre.code == suf.code else None

    def _quantity(self, fig: _Figure, value: Decimal, vmax: Decimal | None, qualifier: Qualifier, unit: str | None,
                  start: int, pos: int, num_end: int, neg_len: int, currency: str | None = None) -> Quantity:
        t, r = self.t, fig.reading
        os_, oe = self.norm.span(start, pos)
        # The number's own span leaves out 余/多 written after it (2000余人次).
        num_end = len(t[:num_end].rstrip("余餘多来來几幾 \t"))
        nos, noe = self.norm.span(fig.start - neg_len, max(num_end, fig.start + 1))
        return Quantity(
            value=to_number(value), qualifier=qualifier, unit=unit, start=os_, end=oe, text=self.orig[os_:oe],
            value_max=to_number(vmax) if vmax is not None else None, number_start=nos, number_end=noe,
            uncertain=r.uncertain is not None, reason=r.uncertain, currency=currency,
        )

    def _range_after(self, fig: _Figure, lang: str) -> tuple[Decimal, Decimal, int, str | None] | None:
        t = self.t
        if fig.reading.value_max is not None:
            return None
        rm = _RANGE_RE.match(t, end_of(_INCLUSIVE, t, fig.end))  # 1万(含)-5万元
        lead = self._lead(fig, lang)
        if rm is None and fig.kind in ("a", "d") and _BETWEEN.search(t, max(0, lead - 12), lead):
            rm = _GLUED_AND.match(t, fig.end)  # بين عشرة وعشرين: و glued to the second end
        if not rm:
            return None
        sm = _CURRENCY_SIGN.match(t, rm.end())  # about $10-$20: the sign again before the second end
        if sm and not (fig.kind == "d" and self._cur_before(fig.start, lang) is not None):
            sm = None
        m2 = _START.match(t, sm.end() if sm else rm.end())
        sep = rm.group(0).strip()
        mixed_zh = lang == "zh" and fig.kind in ("c", "d") and m2 is not None and (m2.group("c") or m2.group("d"))
        if not m2 or m2.group("p") is not None or (m2.group("d") is None) != (fig.kind != "d") and not mixed_zh:
            return None  # (两~3百: a Chinese numeral and digits may share a range)
        if sep and set(sep) <= set("-–—") and fig.kind != "d" and not (mixed_zh and m2.group("d")):
            return None
        if sep.lower() in ("and", "و") and not _BETWEEN.search(t, max(0, lead - 12), lead):
            return None  # "and" makes a range only after "between" (بين ... و)
        f2 = self.figure_at(m2, lang)
        if f2 is None or f2.reading.value_max is not None:
            return None
        v, v2 = fig.reading.value, f2.reading.value
        mult = _shared_scale(t, m2.start(), f2)
        own = _largest_scale(t[fig.start:fig.end])
        if mult and own is not None and own >= mult:
            mult = None  # 三百到五百: the first end has its own scale (一千到两千万: 千 is below 万, and shares it)
        if mult and v * mult <= v2:
            v = v * mult  # 3至5万元, 三至五万, 3 to 5 million: the scale written once applies to both
        if v2 <= v:
            return None
        return v, v2, f2.end, f2.reading.approx

    def _range_after_unit(self, fig: _Figure, value: Decimal, unit: str, info: _Unit, pos: int,
                          lang: str) -> tuple[Decimal, int] | None:
        """(upper end, end) of a range whose ends both carry the unit: 8.4%到8.8%, 5万元至10万元."""
        t = self.t
        if _CHANGE_FROM.search(t, max(0, fig.start - 12), fig.start):
            return None  # "rose from 5% to 8%", 从8%到9%: two figures, a change, not a range
        rm = _RANGE_RE.match(t, end_of(_INCLUSIVE, t, pos))
        if (rm and rm.group(0).strip().lower() in ("and", "و")
                and not _BETWEEN.search(t, max(0, self._lead(fig, lang) - 12), self._lead(fig, lang))):
            return None
        m2 = _START.match(t, rm.end()) if rm else None
        if m2 is None or m2.group("p") is not None or (m2.group("d") is None) != (fig.kind != "d"):
            return None
        f2 = self.figure_at(m2, lang)
        if f2 is None or f2.reading.value_max is not None:
            return None
        u2 = _unit_after(t, f2.end, lang, f2.kind)
        if info.currency is not None:
            if u2.currency is None or u2.unit != info.unit:
                return None
        elif not u2.known or u2.unit is None or _canonical_unit(u2.unit, lang) not in (unit, info.unit):
            return None
        v2, end = f2.reading.value, u2.end
        sub = _subunit_after(t, end, u2, info.currency is not None, v2)
        if sub is not None and sub[2] is None:
            v2, end = v2 + sub[0], sub[1]  # 五块六到五块七毛八
        return (v2, end) if v2 > value else None

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
        if unit in ("个", "個") and t[pos:pos + 1] == "半" and not _HAN.match(t, pos + 1):
            return pos + 1, None, unit, Decimal("0.5")  # 五個半: five and a half (not 三个半岛, peninsulas)
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


_POUND_WORD = re.compile(r"(?i:pounds?)")
# "pounds" is a weight as often as money: money only where the sentence says so (£, GBP,
# sterling, pence, or a word of paying, costing, funding).
_POUND_MONEY = re.compile(r"(?i:[£]|\b(?:GBP|sterling|pence|cost|costs|costing|paid|pay|pays|paying|payment|spend|spent"
                          r"|spending|fund|funds|funded|funding|budget|fine|fined|fines|fee|fees|price|prices|priced"
                          r"|worth|raise|raised|raising|donat\w*|grant|grants|salary|salaries|wage|wages|invest\w*"
                          r"|charge|charged|bill|bills|compensation|award|awarded|afford\w*|owe|owed|tax|taxes"
                          r"|income|revenue|profit|profits|loss|losses|debt|debts|cash|money|deficit)\b)")
_POUND_WEIGHT_BEFORE = re.compile(r"(?i:\b(?:weigh\w*|gain\w*|heav\w*|lighter|overweight)\b)")
_POUND_OF = re.compile(r"(?i:[^\S\n]+of[^\S\n]+(?!(?:funding|aid|investment|public|taxpayers|money|cash|savings|debt"
                       r"|spending|revenue|income|compensation)\b)[a-z])")
_SENTENCE_END = re.compile(r"[.!?;](?=\s)|\n")


def _weight_pounds(t: str, info: _Unit, start: int) -> bool:
    """Whether a bare English "pound(s)" after a figure (no £, no code) is a weight: after
    weigh/lose/gain, before "of" + a noun that is no money, or, without a scale word
    (2 million pounds), with nothing in the sentence that speaks of money."""
    cur = info.currency
    if cur is None or cur.code is not None or not _POUND_WORD.fullmatch(t[cur.start:cur.end]):
        return False
    s0 = max((m.end() for m in _SENTENCE_END.finditer(t, max(0, start - 200), start)), default=max(0, start - 200))
    nxt = _SENTENCE_END.search(t, cur.end)
    s1 = nxt.start() if nxt else len(t)
    if _POUND_OF.match(t, cur.end) or _POUND_WEIGHT_BEFORE.search(t, s0, start):
        return True
    if _EN_SCALE_START.search(t, start, cur.start):
        return False  # the trust lost 2 million pounds: sums of millions are money unless weighed
    return not (_POUND_MONEY.search(t, s0, start) or _POUND_MONEY.search(t, cur.end, min(s1, cur.end + 80)))


_EN_SCALE_START = re.compile(r"(?i)(?:thousand|million|billion|trillion|lakh|crore)")
# Nouns that start with a scale word and are no scale: "5 millionaires", ۲ میلیاردر, 3 مليونيرات.
_SCALE_NOUNS_EN = re.compile(r"(?i:(?:m|b|tr)illionaires?|thousandths?|millionths?|billionths?)")
_SCALE_NOUNS_AR = re.compile("(?:" + "|".join(fold_arabic(w) for w in (
    "میلیاردر", "میلیونر", "تریلیونر", "ملياردير", "مليونير", "ترليونير", "مليونية"))
    + ")(?:" + "|".join(fold_arabic(w) for w in ("ها", "‌ها", "ی", "ان", "ات", "ون", "ين", "ة")) + ")?")


def unit_starts_with_scale(unit: str | None) -> bool:
    """Whether a unit as written starts with a scale word: the figure before it was read without
    its scale (``۲۰ میلیاردتومان`` read as 20), so its value cannot be trusted.

    >>> unit_starts_with_scale("میلیاردتومان"), unit_starts_with_scale("millionfold"), unit_starts_with_scale("IRT")
    (True, True, False)
    >>> unit_starts_with_scale("millionaires"), unit_starts_with_scale("میلیاردر")
    (False, False)
    """
    if not unit or _SCALE_NOUNS_EN.fullmatch(unit) or _SCALE_NOUNS_AR.fullmatch(fold_arabic(unit)):
        return False  # 5 millionaires, ۲ میلیاردر: a noun, counted
    if _EN_SCALE_START.match(unit):
        return True
    return bool(re.match(r"[\u0600-\u06ff]", unit)) and starts_with_scale_word(unit)


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
# Arabic glues و/ف/ب/ل (and وب, ول...) to the fraction: بنصف مليون دولار, وربع مليون مريض. The
# proclitic is no part of the figure's span.
_PROCLITIC = rf"(?:(?P<pc>[وف][بل]|[وفبل])(?=[{_AR_LETTER}]))?"
_HALF_SCALE = re.compile(rf"(?i:(?<![\w{_AR_LETTER}]){_PROCLITIC}(?:{HALF_BEFORE_SCALE})[^\S\n]*$)")


def _fraction_key(phrase: str) -> str:
    return fold_arabic(re.sub(r"[\s-]+", "", phrase.lower()))


_FRACTION_OF = {_fraction_key(k): v for k, v in FRACTIONS_BEFORE_SCALE.items()}
_FRACTION_SCALE = re.compile(
    rf"(?i:(?<![\w{_AR_LETTER}]){_PROCLITIC}(?P<f>"
    # Persian writes یک‌چهارم with a ZWNJ, which is cut: the words may touch
    + _alt(r"[\s-]*".join(arabic_script_pattern(w) for w in k.split()) if re.match(f"[{_AR_LETTER}]", k)
           else r"[\s-]+".join(k.split()) for k in FRACTIONS_BEFORE_SCALE)
    + r")(?:[^\S\n]+of)?(?:[^\S\n]+an?)?[^\S\n]*$)")
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
                      "千": 10**3, "仟": 10**3, "百": 10**2, "佰": 10**2,
                      "thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12, "lakh": 10**5,
                      "crore": 10**7, **{fold_arabic(w): v for w, v in (("هزار", 10**3), ("میلیون", 10**6),
                                                                       ("میلیارد", 10**9), ("ألف", 10**3),
                                                                       ("آلاف", 10**3), ("مليون", 10**6),
                                                                       ("ملايين", 10**6), ("مليار", 10**9))}}
_TRAILING_SCALE = re.compile(r"(万亿|萬億|[万萬亿億千仟百佰]|(?i:thousand|million|billion|trillion|lakh|crore)s?"
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


_CN_DIGIT_VALUE = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"两": 2, "兩": 2, "〇": 0} | {
    str(i): i for i in range(10)}
_CN_D = "[零〇一二两兩三四五六七八九0-9]"
# After 元/块/蚊 (or a Cantonese 個 with 毫): 三毛, 六角, 七毛八, 一角七分, 零四, 四分, and after 块/蚊/個
# alone an elided 角 (一块二 = 1.2).
_ZH_SUBUNIT = re.compile(rf"(?P<j>{_CN_D})[角毛毫](?:(?P<f>{_CN_D})[分仙]?)?|零(?P<z>{_CN_D})分?|(?P<f2>{_CN_D})[分仙]"
                         rf"|(?P<e>{_CN_D})(?![\d零〇一二两兩三四五六七八九十百千万萬亿億个個块塊元角毛分])")
_CASUAL_YUAN = {"块", "塊", "蚊", "個", "个"}
_SUBUNIT_WORD = re.compile(rf"[^\S\n]*(?:¢|(?i:c|cents?|pence|p|sens?)\b|{_AB}(?:سنتات|سنت|سينتات|سينت|قروش|قرش){_AW})")
_AND_AFTER = re.compile(rf"[^\S\n]*(?:(?i:and)\b|{_AB}و)?[^\S\n]*")
_CENTS_DOUBT = "a figure right after the amount may be its cents"


def _subunit_after(t: str, pos: int, info: _Unit, money: bool,
                   whole: Decimal) -> tuple[Decimal, int, str | None] | None:
    """The currency subunits written after an amount: (fraction to add, end, None), or
    (0, pos, doubt) when a figure follows that may be subunits but says no unit."""
    unit_word = t[pos - 1:pos] if info.unit is not None else ""
    if info.unit is not None and _HAN.match(unit_word) and (money or info.unit in _CASUAL_YUAN):
        if unit_word in "元圆圓块塊蚊" or unit_word in "個个" and re.match(rf"{_CN_D}[毫角]", t[pos:pos + 2]):
            m = _ZH_SUBUNIT.match(t, pos)
            if m is None or m.group("e") is not None and unit_word in "元圆圓":
                return None
            if whole != whole.to_integral_value():
                return None
            if m.group("j") is not None:
                frac = Decimal(_CN_DIGIT_VALUE[m.group("j")]) / 10
                if m.group("f") is not None:
                    frac += Decimal(_CN_DIGIT_VALUE[m.group("f")]) / 100
            elif m.group("z") is not None:
                frac = Decimal(_CN_DIGIT_VALUE[m.group("z")]) / 100
            elif m.group("f2") is not None:
                frac = Decimal(_CN_DIGIT_VALUE[m.group("f2")]) / 100
            else:
                frac = Decimal(_CN_DIGIT_VALUE[m.group("e")]) / 10
            return frac, m.end(), None
        return None
    if not money or whole != whole.to_integral_value():
        return None
    a = _AND_AFTER.match(t, pos)
    p = a.end() if a else pos
    d = re.match(r"\d{1,2}(?![\d.,])", t[p:p + 3])
    r = None
    if d is not None:
        value, end = Decimal(d.group(0)), p + d.end()
    else:
        r = read_english(t, p) if _EN_WORD.match(t, p) else None
        if r is None or r.value >= 100 or r.value != r.value.to_integral_value():
            return None
        value, end = r.value, r.end
    sw = _SUBUNIT_WORD.match(t, end)
    if sw is not None and d is None:
        # "dollars and eighteen cents": number readers (text2num) keep 4538, money readers
        # (Duckling) add the cents; the whole units are given, flagged
        return Decimal(0), pos, "cents written in words after the amount are not included"
    if sw is not None:
        return value / 100, sw.end(), None
    if p == pos and d is None:
        return None  # "20 dollars ten years ago": a word figure needs "and" or a subunit to go with the amount
    nxt = re.match(r"[^\S\n]*(\S)", t[end:end + 3])
    if nxt is not None and nxt.group(1) not in ",.;:!?)،؛。，":
        return None  # "$20 43 people": the figure has its own unit
    return Decimal(0), pos, _CENTS_DOUBT


def _currency_before(t: str, ns: int, lang: str | None) -> Currency | None:
    """The currency sign, code or word written right before the figure at ``ns`` (₹, Rs., US$,
    KSh, EUR, 港币), if any; ``N`` is the naira only before grouped digits or a scale word
    (N190 million, never N95)."""
    c = currency_before(t, ns, lang)
    if c is not None:
        return c
    glued = ns >= 2 and re.match(r"[A-Za-z0-9_]", t[ns - 2])
    if _char_in(t, ns - 1, "N") and not glued and _NAIRA_AFTER.match(t, ns):
        return Currency("NGN", ns - 1, ns)
    return None


_SCALES_AFTER = re.compile(r"(?:[^\S\n]*(?i:hundred|thousand|million|billion|trillion|lakh|crore|bn|mn|cr)s?\b)*")


def _past_scale_words(t: str, pos: int) -> int:
    """``pos`` moved past the scale words after skipped digits, so none is read as a figure alone."""
    return end_of(_SCALES_AFTER, t, pos)


def _glued_qualifier(before: str) -> bool:
    """"Nearly17,150": a qualifier glued to the digits (no space in the scraped text)."""
    m = re.search(r"(?i:(?<![A-Za-z])(nearly|almost|about|around|over|approximately|roughly|some|under))$", before)
    return m is not None


def _largest_scale(s: str) -> Decimal | None:
    """The largest scale word written in a figure (一千二百 → 10³, 3万 → 10⁴, 2 million → 10⁶), if any."""
    found = [Decimal(_SCALE_WORD_VALUES[c]) for c in re.findall("万亿|萬億|[万萬亿億千仟百佰]", s)]
    tail = _trailing_scale(s)
    if tail is not None:
        found.append(tail)
    return max(found, default=None)


def _run_end(t: str, pos: int) -> int:
    """End of the run of numerals, number words and digits starting at ``pos``."""
    m = _RUN.match(t, pos)
    return m.end() if m else pos


# Before a hyphen, what makes it a hyphen or a dash and not a minus: a Latin or Arabic-script
# letter or digit (COVID-19, 2015-2017), a closing bracket, another dash. After a Chinese
# character (增长-3.2%) it is a minus.
_GLUED_BEFORE_SIGN = re.compile(rf"[A-Za-z0-9{_AR_LETTER}_.)\]%\-−–—]")


_DETACHED_MINUS = re.compile(r"^\s*([-−][^\S\n]+)$")


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


def _list_members(text: str, qs: list[Quantity], lang: str | None) -> list[Quantity]:
    """A qualifier before the first member of a list applies to every member (约有120家医院、
    45个诊所和300个药房; حدود ۵۰۰ پزشک، ۲۰۰ پرستار و ۳۰ ماما; at least two surgeons and
    eight nurses), until a member has its own qualifier or the clause ends. A member whose noun
    is also a month name (۱۲ دی between two counts) is read as a member, not skipped as a date."""
    out: list[Quantity] = []
    for cur in qs:
        prev = out[-1] if out else None
        if prev is None or prev.qualifier == "exact" or cur.qualifier != "exact" or cur.start != cur.number_start:
            out.append(cur)
            continue
        gap = text[prev.end:cur.start]
        if _LIST_GAP.fullmatch(gap) or _noun_phrase_gap(gap):
            out.append(replace(cur, qualifier=prev.qualifier))
            continue
        skipped = _skipped_members(text, prev.end, cur.start, lang)
        if skipped is not None:
            out.extend(replace(q, qualifier=prev.qualifier) for q in skipped)
            out.append(replace(cur, qualifier=prev.qualifier))
            continue
        out.append(cur)
    return out


def _noun_phrase_gap(gap: str) -> bool:
    """A noun phrase of up to three more words after a member's unit, then a comma: the list
    goes on (حدود 885 مستشفى، 1.959 مركزا صحيا، 121 مختبرا; about 167 permanent jobs for
    nurses, 51 doctors). A verb among the words ends it (حدود ۵۰۰ نفر آمدند، ۲۰۰ نفر رفتند)."""
    m = _LIST_PHRASE.fullmatch(gap)
    if m is None:
        return False
    words = m.group("words").split()
    return not any(w.lower() in _EN_VERBS or w in _AR_VERBS_LIST or _FA_VERB.search(w) for w in words)


def _skipped_members(text: str, a: int, b: int, lang: str | None) -> list[Quantity] | None:
    """Figures the scan skipped between two list members (۱۲ دی read as a date), read as members
    when each sits alone between list separators; None when the gap is anything else."""
    chunks = re.split(r"[،,]", text[a:b])
    if len(chunks) < 3 or chunks[0].strip() or chunks[-1].strip(" \t") not in ("", "و", "and"):
        return None
    found: list[Quantity] = []
    pos = a + len(chunks[0]) + 1
    for chunk in chunks[1:-1]:
        if not _SKIPPED_MEMBER.fullmatch(chunk):
            return None
        qs = _Scan(chunk, lang, False, whole=True).scan(first_only=True)
        if not qs:
            return None
        q = qs[0]
        found.append(replace(q, start=q.start + pos, end=q.end + pos, number_start=q.number_start + pos,
                             number_end=q.number_end + pos))
        pos += len(chunk) + 1
    return found


_LIST_PHRASE = re.compile(r"(?P<words>(?:[^\S\n]*[A-Za-z\u0621-\u065f\u0670-\u06d3\u06fa-\u06ff\u200c'-]+){1,3})"
                          r"[^\S\n]*[،,][^\S\n]*(?:(?:and|و)[^\S\n]+)?")
_SKIPPED_MEMBER = re.compile(r"[^\S\n]*[\d۰-۹٠-٩][\d.,٫٬۰-۹٠-٩]*[^\S\n]+[^\W\d_]+[^\S\n]*")
_EN_VERBS = frozenset(re.findall(r"\S+", """is are was were be been has have had will would said says went came died
left rose fell reached received got took made did do does could should may might"""))
_AR_VERBS_LIST = frozenset(re.findall(r"\S+", """بلغ بلغت وصل وصلت تم يتم كان كانت أصبح أصبحت زاد زادت ارتفع ارتفعت
انخفض انخفضت سجل سجلت توفي أصيب أصيبوا قال قالت يبلغ تبلغ يصل تصل"""))
_FA_VERB = re.compile(r"^(?:ن?می)|(?:است|اند|ایم|شد|شدند|شده|کرد|کردند|کرده|دارد|دارند|بود|بودند|گرفت|رفتند|آمدند|کنند"
                      r"|شوند|باشد|یافت)$")


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
    return _list_members(text, _Scan(text, lang, True).scan(), lang)


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
