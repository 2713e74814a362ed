"""Deterministic reading of quantities in Chinese, Persian, Arabic and English news text.

The extractor asks an LLM for figures and then checks them against what the page says;
this module is the "what the page says" part. It reads digits in any script, Chinese
numerals and multipliers, Persian/Arabic/English scale words, qualifiers (more than,
about, nearly...), ranges and units, and keeps spans into the original text.

>>> q = parse_quantity("投资8200万元")
>>> q.value, q.qualifier, q.unit
(82000000, 'exact', 'CNY')
>>> parse_quantity("حدود ۳ میلیون و ۴۰۰ هزار نفر").value
3400000
>>> [q.value for q in find_quantities("分别下降50%、50%和18%")]
[50, 50, 18]
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

from extractor.numbers.dates import _Normalized
from extractor.text.textnorm import arabic_script_pattern

__all__ = ["Qualifier", "Quantity", "parse_quantity", "find_quantities", "values_match"]

Qualifier = Literal["exact", "more_than", "at_least", "about", "nearly", "up_to"]

_MAX_DIGITS = 30  # longer digit runs are identifiers or garbage, never quantities


@dataclass(frozen=True)
class Quantity:
    value: int | float
    qualifier: Qualifier
    unit: str | None
    start: int
    end: int
    text: str
    value_max: int | float | None = None
    number_start: int = 0
    number_end: int = 0


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
# Vocabulary

_AR_LETTER = r"\u0621-\u064a\u0671-\u06d3\u06fa-\u06ff"
_AW = rf"(?![{_AR_LETTER}])"  # end of an Arabic-script word
_AB = rf"(?<![{_AR_LETTER}])"


_w = arabic_script_pattern


def _alt(words) -> str:
    return "|".join(sorted(words, key=len, reverse=True))


_CN_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "兩": 2, "三": 3, "四": 4, "五": 5,
             "六": 6, "七": 7, "八": 8, "九": 9}
_CN_SMALL = {"十": 10, "百": 100, "千": 1000}
_CN_BIG = {"万": 10**4, "萬": 10**4, "亿": 10**8, "億": 10**8}
_CN_CHARS = "".join(_CN_DIGIT) + "".join(_CN_SMALL) + "".join(_CN_BIG)

_EN_UNITS = {w: i for i, w in enumerate(
    ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"])}
_EN_TENS = {w: 10 * i for i, w in enumerate(
    ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"], 2)}
_EN_SCALE = {"hundred": 100, "thousand": 10**3, "million": 10**6, "billion": 10**9,
             "trillion": 10**12, "lakh": 10**5, "lakhs": 10**5, "crore": 10**7, "crores": 10**7}
_EN_WORD = _alt(list(_EN_UNITS) + list(_EN_TENS) + list(_EN_SCALE))

# Scale words after a number. Value is the multiplier.
_SCALES_AR = {
    "هزار": 10**3, "میلیون": 10**6, "ملیون": 10**6, "مليون": 10**6, "ملايين": 10**6, "مليونا": 10**6,
    "میلیارد": 10**9, "ملیارد": 10**9, "مليار": 10**9, "مليارات": 10**9, "بليون": 10**9,
    "تریلیون": 10**12, "ألف": 10**3, "آلاف": 10**3, "ألفا": 10**3, "ألفاً": 10**3,
}
_SCALES_EN = {"thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12,
              "lakh": 10**5, "lakhs": 10**5, "lac": 10**5, "lacs": 10**5, "crore": 10**7,
              "crores": 10**7, "mn": 10**6, "bn": 10**9, "k": 10**3}
_SCALE_AR_RE = re.compile(r"\s*" + _AB + "(" + _alt(_w(k) for k in _SCALES_AR) + ")" + _AW)
_SCALE_EN_RE = re.compile(r"(?i:\s*\b(thousand|million|billion|trillion|lakhs?|lacs?|crores?|mn|bn)\b|(k)\b)")
_SCALE_ZH_RE = re.compile(r"\s?([余餘多])?([十百千]?[万萬亿億]{1,2}|[十百千])(?![万萬亿億])")
_AND_RE = re.compile(r"\s*و\s*")


def _scale_ar_value(word: str) -> int:
    from extractor.numbers.dates import _fold_ar

    f = _fold_ar(word)
    for k, v in _SCALES_AR.items():
        if _fold_ar(k) == f:
            return v
    return 1


# Qualifiers written before the number. Each alternative must end right before it.
_PRE_Q = [
    ("more_than", ["超过", "超過", "逾", "突破", "超", "多于", "多於", "高于", "高於"]),
    ("at_least", ["至少", "不少于", "不少於", "不低于", "不低於", "最少"]),
    ("up_to", ["不超过", "不超過", "不到", "不足", "低于", "低於", "最多", "多达", "多達", "高达", "高達"]),
    ("about", ["约为", "約為", "大约", "大約", "约", "約", "大概"]),
    ("nearly", ["将近", "將近", "接近", "近"]),
]
_PRE_Q_AR = [
    ("more_than", ["بیش از", "بیشتر از", "افزون بر", "متجاوز از", "أكثر من", "ما يزيد على",
                   "ما يزيد عن", "يزيد على", "يزيد عن", "ما يربو على", "أزيد من", "بیش‌از"]),
    ("at_least", ["حداقل", "دست کم", "دستکم", "ما لا يقل عن", "لا يقل عن", "على الأقل"]),
    ("up_to", ["کمتر از", "حداکثر", "أقل من", "ما يصل إلى", "ما يصل الى", "حتى"]),
    ("about", ["در حدود", "حدودا", "حدوداً", "حدود", "تقریبا", "تقریباً", "حوالي", "حوالى", "نحو",
               "زهاء", "تقريبا", "تقريباً"]),
    ("nearly", ["نزدیک به", "قریب به", "نزدیک", "قرابة", "ما يقارب", "يقارب", "ما يناهز", "يناهز"]),
]
_PRE_Q_EN = [
    ("more_than", ["more than", "over", "above", "upwards of", "in excess of", "exceeding", "greater than"]),
    ("at_least", ["at least", "no fewer than", "no less than", "a minimum of", "minimum of"]),
    ("up_to", ["up to", "as many as", "less than", "fewer than", "under", "no more than", "at most",
               "a maximum of", "maximum of", "below", "not more than"]),
    ("about", ["about", "around", "approximately", "approx.", "roughly", "some", "circa", "ca.",
               "an estimated", "estimated", "~"]),
    ("nearly", ["nearly", "almost", "close to", "just under", "nigh on"]),
]
_PRE_QMAP: dict[str, str] = {}
_pre_alts = []
for q, words in _PRE_Q:
    for w in words:
        _PRE_QMAP[w] = q
        _pre_alts.append(re.escape(w))
for q, words in _PRE_Q_AR:
    for w in words:
        _PRE_QMAP[re.sub(r"\s+", "", w.replace("\u200c", ""))] = q
        _pre_alts.append(_AB + _w(w.replace("\u200c", " ")))
for q, words in _PRE_Q_EN:
    for w in words:
        _PRE_QMAP[w.replace(" ", "")] = q
        _pre_alts.append(r"(?<![A-Za-z])" + re.escape(w).replace(r"\ ", r"\s+"))
_PRE_Q_RE = re.compile("(" + "|".join(sorted(_pre_alts, key=len, reverse=True)) + r")\s*$", re.I)

_CURRENCY_PRE = re.compile(r"(₹|Rs\.?|INR|US\$|\$|USD|¥|￥|RMB|€|EUR|£|GBP)\s*$")
_CURRENCY_PRE_MAP = {"₹": "INR", "Rs": "INR", "Rs.": "INR", "INR": "INR", "US$": "USD", "$": "USD",
                     "USD": "USD", "¥": "CNY", "￥": "CNY", "RMB": "CNY", "€": "EUR", "EUR": "EUR",
                     "£": "GBP", "GBP": "GBP"}

# Post-qualifiers: after the unit (人以上, 1小时左右) or after the number.
_POST_Q_ZH = re.compile(r"\s?(以上|左右|上下|以内|以內|以下|之多|开外|開外)")
_POST_Q_ZH_MAP = {"以上": "more_than", "左右": "about", "上下": "about", "以内": "up_to",
                  "以內": "up_to", "以下": "up_to", "之多": "up_to", "开外": "more_than",
                  "開外": "more_than"}
_POST_Q_AR = re.compile(r"\s*" + _AB + "(" + _alt([_w("تقریبا"), _w("تقريباً"), _w("على الأقل"),
                                                      _w("فأكثر"), _w("أو أكثر"), _w("به بالا")]) + ")" + _AW)
_POST_Q_EN = re.compile(r"(?i:\s*(\bor\s+more\b|\bor\s+so\b|\bplus\b|(?<=[\d%])\+(?![\d+=])|\bat\s+least\b|\bor\s+fewer\b|\bor\s+less\b))")

# Units. Values: normalised unit; None means "keep as written".
_UNITS_ZH = {
    "人次": "person_time", "人": "person", "名": "person", "位": "person",
    "元": "CNY", "块": "CNY", "塊": "CNY", "人民币": "CNY", "人民幣": "CNY",
    "美元": "USD", "港元": "HKD", "港币": "HKD", "欧元": "EUR", "歐元": "EUR", "日元": "JPY",
    "平方米": "m2", "平米": "m2", "㎡": "m2", "平方公里": "km2", "公里": "km", "公顷": "ha",
    "公頃": "ha", "米": "m", "公斤": "kg", "千克": "kg", "吨": "t", "噸": "t",
    "个百分点": "percentage_point", "個百分點": "percentage_point", "百分点": "percentage_point",
    "百分點": "percentage_point", "小时": "hour", "小時": "hour", "个月": "month", "個月": "month",
    "天": "day", "年": "year", "周": "week", "週": "week", "%": "percent",
}
_CLASSIFIERS_ZH = ["例", "次", "家", "个", "個", "项", "項", "所", "台", "臺", "辆", "輛", "张", "張", "床", "期", "处", "處", "批", "支", "条", "條", "种", "種", "组", "組", "类", "類", "室", "部", "件", "份", "篇", "座", "间", "間", "栋", "棟", "户", "戶", "套", "倍", "款", "岁", "歲", "床位", "张床", "張床", "余次", "村", "镇", "鎮", "乡", "鄉", "县", "縣", "届", "屆", "轮", "輪", "场", "場", "期", "副", "层", "層", "颗", "顆", "株", "头", "頭", "只", "隻", "门", "門", "节", "節", "册", "冊", "名次", "篇", "幅"]
_UNIT_ZH_RE = re.compile(r"\s?(" + _alt(re.escape(u) for u in list(_UNITS_ZH) + _CLASSIFIERS_ZH) + ")")

_UNITS_AR = {
    "درصد": "percent", "در صد": "percent", "بالمئة": "percent", "بالمائة": "percent",
    "في المئة": "percent", "في المائة": "percent", "٪": "percent", "%": "percent",
    "ریال": None, "تومان": "IRT", "دلار": "USD", "دولار": "USD", "یورو": "EUR", "درهم": "AED",
    "جنيه": "EGP", "روپیه": "INR", "روبية": "INR", "ريال سعودي": "SAR", "ریال سعودی": "SAR",
    "نفر": "person", "شخص": "person", "أشخاص": "person", "نسمة": "person",
    "متر مربع": "m2", "مترمربع": "m2", "متر": "m", "کیلومتر": "km", "كيلومتر": "km",
    "هکتار": "ha", "هكتار": "ha",
}
_UNIT_AR_RE = re.compile(r"[ \t]*(%|٪|" + _AB + "(?:" + _alt(_w(u) for u in _UNITS_AR if u not in "%٪") + ")" + _AW + ")")
_WORD_AR_RE = re.compile(rf"[ \t]*([{_AR_LETTER}]+)")
_STOP_AR = {"و", "در", "از", "به", "با", "که", "تا", "را", "این", "آن", "هم", "نیز", "برای", "بر",
            "یا", "اما", "است", "بود", "شد", "في", "من", "إلى", "الى", "على", "عن", "او", "أو", "ثم",
            "مع", "هذا", "هذه", "التي", "الذي", "كان", "قد", "لا", "ما", "هو", "هي"}

_UNITS_EN = [
    (r"%|per\s*cent|percent|pct\b", "percent"),
    (r"rupees?|Rs\b\.?|INR\b", "INR"), (r"dollars?|USD\b|US\$", "USD"),
    (r"yuan|RMB\b|CNY\b|renminbi", "CNY"), (r"euros?|EUR\b", "EUR"), (r"rials?\b|IRR\b", "IRR"),
    (r"tomans?\b", "IRT"), (r"riyals?\b|SAR\b", "SAR"),
    (r"square\s+met(?:re|er)s?|sq\.?\s?m\b|sqm\b|m²|m2\b", "m2"), (r"km²|km2\b|square\s+kilomet(?:re|er)s?", "km2"),
    (r"people\b|persons\b|individuals\b", "person"), (r"person[- ]times\b", "person_time"),
]
_UNIT_EN_RE = re.compile(r"(?i:[ \t]*(" + "|".join(f"(?:{p})" for p, _ in _UNITS_EN) + "))")
_UNIT_EN_COMPILED = [(re.compile(rf"(?i:{p})$"), u) for p, u in _UNITS_EN]
_WORD_EN_RE = re.compile(r"[ \t]*([A-Za-z][A-Za-z-]*)")
_STOP_EN = set(["a", "an", "the", "of", "and", "or", "in", "on", "at", "to", "for", "by", "from", "with", "as", "is", "are", "was", "were", "be", "been", "that", "this", "these", "those", "which", "who", "per", "than", "more", "less", "about", "over", "under", "up", "percent", "out", "into", "its", "it", "their", "his", "her", "our", "we", "they", "he", "she", "new"])

# Chinese words in which numeral characters are not numbers (千万别 "by all means do not").
_CN_IDIOM_AFTER = set("别別不要")
_VAGUE_BEFORE = set("数數几幾上成好")

_DIG = r"\d{1,3}(?:\.\d{3}){2,}(?![\d.])|\d+(?:[,٬]\d{3}(?!\d))*(?:[.٫]\d+)?"
_CORE = re.compile(
    rf"(?P<p>百分之)|(?P<d>(?<!\d)(?<!\d[.,٫٬]){_DIG})|(?P<c>[{_CN_CHARS}]+)"
    rf"|(?P<e>(?i:\b(?:{_EN_WORD})(?:(?:\s+and\s+|[\s-]+)(?:{_EN_WORD}))*\b))"
)
_CORE_AT = re.compile(rf"(?P<d>{_DIG})|(?P<c>[{_CN_CHARS}]+)|(?P<e>(?i:\b(?:{_EN_WORD})(?:(?:\s+and\s+|[\s-]+)(?:{_EN_WORD}))*\b))")
_RANGE_RE = re.compile(r"\s*(?:[-–—~〜]|至|到|تا|(?i:to)\b)\s*")
_TIME_RE = re.compile(r"\d{1,2}:\d{2}(?::\d{2})?(?!\d)")
_CLOCK_ZH = re.compile(r"(上午|下午|晚上|早上|凌晨|中午|傍晚|早|晚)\s*$")
_CLOCK_ZH_AFTER = re.compile(r"\s?[点點](?:\s?\d{1,2}\s?分|半|钟|鐘)?")
_DATE_HINT = re.compile(r"[年月日号號/\-.:]|[A-Za-z\u0600-\u06ff]")
_HAN = re.compile(r"[\u3400-\u9fff]")
_ARABIC = re.compile(rf"[{_AR_LETTER}]")
_LATIN = re.compile(r"[A-Za-z]")


# ---------------------------------------------------------------------------
# Number readers


def _to_number(d: Decimal) -> int | float:
    if d == d.to_integral_value():
        return int(d)
    return float(d)


def _read_digits(s: str, lang: str) -> Decimal | None:
    if sum(c.isdigit() for c in s) > _MAX_DIGITS:
        return None
    if s.count(".") >= 2:  # 1.234.567: dots can only be thousands separators
        s = s.replace(".", "")
    s = s.replace(",", "").replace("٬", "")
    if "٫" in s:  # the Arabic decimal separator is never a thousands separator
        s = s.replace("٫", ".")
    elif "." in s:
        head, frac = s.split(".", 1)
        # In Persian and Arabic text a dot followed by exactly three digits groups
        # thousands (8.450 تخت); elsewhere, and with other lengths, it is a decimal point.
        if lang in ("fa", "ar") and len(frac) == 3 and head != "0":
            s = head + frac
    try:
        return Decimal(s)
    except InvalidOperation:
        return None


def _read_cn(s: str) -> Decimal | None:
    """三千二百 → 3200, 两万 → 20000, 一亿三千万 → 130000000, 二〇二四 → 2024 (digit string)."""
    if not any(c in _CN_SMALL or c in _CN_BIG for c in s):
        if len(s) == 1:
            return Decimal(_CN_DIGIT[s])
        if len(s) >= 3 or "〇" in s or "零" in s:
            return Decimal("".join(str(_CN_DIGIT[c]) for c in s))
        return None  # 三四 is "three or four", not 34
    total = 0
    wan = 0
    section = 0
    num: int | None = None
    last_small = 10**5
    for c in s:
        if c in _CN_DIGIT:
            if num is not None and num != 0 and _CN_DIGIT[c] != 0:
                return None  # two digits in a row: 十五五
            num = _CN_DIGIT[c]
        elif c in _CN_SMALL:
            u = _CN_SMALL[c]
            if u >= last_small:
                return None
            last_small = u
            section += (1 if num is None or (num == 0 and c == "十") else num) * u
            num = None
        else:
            b = _CN_BIG[c]
            part = section + (num or 0)
            if b == 10**4:
                wan += (part or 1) * b if part or not (wan or total) else part * b
            else:
                total = (total + wan + part or 1) * b
                wan = 0
            section = 0
            num = None
            last_small = 10**5
    return Decimal(total + wan + section + (num or 0))


def _read_en(s: str) -> Decimal | None:
    total = 0
    current = 0
    seen = False
    for w in re.split(r"(?:\s+and\s+|[\s-]+)", s.lower()):
        if not w:
            continue
        if w in _EN_UNITS:
            current += _EN_UNITS[w]
        elif w in _EN_TENS:
            current += _EN_TENS[w]
        elif w == "hundred":
            current = (current or 1) * 100
        elif w in _EN_SCALE:
            total += (current or 1) * _EN_SCALE[w]
            current = 0
        else:
            return None
        seen = True
    return Decimal(total + current) if seen else None


# ---------------------------------------------------------------------------
# Language of the surroundings


def _norm_lang(lang: str | None) -> str | None:
    if not lang:
        return None
    lang = lang.lower()
    if lang.startswith("zh") or lang in ("cmn", "yue"):
        return "zh"
    base = lang.split("-")[0].split("_")[0]
    if base in ("fa", "per", "fas"):
        return "fa"
    if base in ("ar", "ara"):
        return "ar"
    if base in ("en", "eng"):
        return "en"
    return None


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
# Reading one mention


class _Skip(Exception):
    pass


def _unit_zh(u: str) -> str:
    return _UNITS_ZH.get(u) or u


def _unit_ar(u: str, lang: str) -> str:
    from extractor.numbers.dates import _fold_ar

    f = _fold_ar(u)
    for k, v in _UNITS_AR.items():
        if _fold_ar(k) == f:
            if v is None:  # ریال / ريال: Iranian rial in Persian text, Saudi riyal in Arabic
                return "IRR" if lang == "fa" else "SAR"
            return v
    return u


def _unit_en(u: str) -> str:
    for rx, v in _UNIT_EN_COMPILED:
        if rx.match(u):
            return v
    return u


class _Reader:
    def __init__(self, text: str, lang: str | None, skip_dates: bool) -> None:
        self.orig = text
        self.norm = _Normalized(text)
        self.t = self.norm.text
        self.lang = _norm_lang(lang)
        self.skip_dates = skip_dates

    def in_date(self, p: int) -> int | None:
        """End (normalised) of a date or period covering normalised offset ``p``, if any.

        Only a window around the number is searched: scanning a whole megabyte for dates
        costs more than reading all its numbers, and a written date is never long."""
        from extractor.numbers.dates import _PATTERN, _build

        t = self.t
        if not _DATE_HINT.search(t, max(0, p - 30), min(len(t), p + 40)):
            return None  # most numbers have nothing date-like around them; skip the big regex
        ctx = self.lang if self.lang in ("fa", "ar") else None
        for dm in _PATTERN.finditer(t, max(0, p - 30), min(len(t), p + 40)):
            if dm.start() > p:
                break
            if dm.end() > p and _build(dm, dm.group(0), ctx, None) is not None:
                return dm.end()
        return None

    def lang_at(self, a: int, b: int) -> str:
        if self.lang:
            return self.lang
        oa, ob = self.norm.orig(a), self.norm.orig(max(a, b - 1)) + 1
        return _detect(self.orig[max(0, oa - 24):ob + 24])

    # -- the core of a number and its scale --------------------------------
    def value_at(self, m: re.Match, lang: str) -> tuple[Decimal, int, bool, str | None] | None:
        """(value, end, has_scale, qualifier inside) for a core match; None if not a number."""
        t = self.t
        q_inside = None
        has_scale = False
        if m.group("d") is not None:
            v = _read_digits(m.group("d"), lang)
            if v is None:
                return None
            pos = m.end()
            sm = _SCALE_ZH_RE.match(t, pos)
            if sm and (sm.group(2)[0] in _CN_BIG or sm.group(2)[-1] in _CN_BIG or _HAN.match(t, sm.end())
                       or sm.end() == len(t)):
                if sm.group(2) in ("千", "万", "萬") and t[sm.end():sm.end() + 1] in _CN_IDIOM_AFTER:
                    sm = None
            else:
                sm = None
            if sm:
                mult = 1
                for c in sm.group(2):
                    mult *= _CN_SMALL.get(c) or _CN_BIG[c]
                v *= mult
                has_scale = True
                if sm.group(1):
                    q_inside = "more_than"
                pos = sm.end()
            else:
                am = _SCALE_AR_RE.match(t, pos)
                if am:
                    v *= _scale_ar_value(am.group(1))
                    has_scale = True
                    pos = am.end()
                    # ۳ میلیون و ۴۰۰ هزار, ٨۵٢ هزار و ٣١۴: parts joined by و, each smaller.
                    last = _scale_ar_value(am.group(1))
                    while True:
                        jm = _AND_RE.match(t, pos)
                        if not jm:
                            break
                        nm = re.compile(_DIG).match(t, jm.end())
                        if not nm:
                            break
                        pv = _read_digits(nm.group(0), lang)
                        if pv is None:
                            break
                        sm2 = _SCALE_AR_RE.match(t, nm.end())
                        sc = _scale_ar_value(sm2.group(1)) if sm2 else 1
                        if sc >= last or pv * sc >= last:
                            break
                        v += pv * sc
                        last = sc
                        pos = sm2.end() if sm2 else nm.end()
                        if sc == 1:
                            break
                else:
                    em = _SCALE_EN_RE.match(t, pos)
                    if em and not (em.group(2) and pos != em.start(2)):
                        word = (em.group(1) or em.group(2)).lower()
                        v *= _SCALES_EN[word]
                        has_scale = True
                        pos = em.end()
            return v, pos, has_scale, q_inside
        if m.group("c") is not None:
            s = m.group("c")
            v = _read_cn(s)
            if v is None:
                return None
            pos = m.end()
            sm = re.compile(r"([余餘多])?([万萬亿億]{1,2})").match(t, pos)
            if sm:
                mult = 1
                for c in sm.group(2):
                    mult *= _CN_BIG[c]
                v *= mult
                has_scale = True
                if sm.group(1):
                    q_inside = "more_than"
                pos = sm.end()
            has_scale = has_scale or any(c in _CN_BIG or c in _CN_SMALL for c in s)
            return v, pos, has_scale, q_inside
        s = m.group("e")
        v = _read_en(s)
        if v is None:
            return None
        return v, m.end(), any(w in s.lower() for w in _EN_SCALE), None

    def read(self, m: re.Match) -> tuple[Quantity | None, int]:
        """Read the mention whose number starts at core match ``m``.

        Returns (quantity or None, position to resume scanning from)."""
        t = self.t
        pct_prefix = False
        if m.group("p") is not None:
            pct_prefix = True
            m2 = _CORE_AT.match(t, m.end())
            if m2 is None:
                return None, m.end()
            pre_start = m.start()
            m = m2
        else:
            pre_start = m.start()
        ns = m.start()
        lang = self.lang_at(ns, m.end())
        kind = "d" if m.group("d") is not None else ("c" if m.group("c") is not None else "e")

        before = t[max(0, pre_start - 40):pre_start]
        # Ordinals (第二人民医院, 第9) and numbers glued to Latin letters (H7N9, COVID-19,
        # MP4) are names, not quantities.
        if before.endswith("第") or re.search(r"第\s?$", before):
            return None, m.end()
        currency = None
        cm = _CURRENCY_PRE.search(before) if kind == "d" else None
        if cm:
            currency = _CURRENCY_PRE_MAP.get(cm.group(1), cm.group(1))
            pre_start -= len(before) - cm.start()
            before = t[max(0, pre_start - 40):pre_start]
        elif kind == "d" and re.search(r"[A-Za-z]-?$", before):
            return None, m.end()
        if kind == "d" and self.skip_dates:
            end = self.in_date(ns)
            if end is not None:
                return None, end
            tm = _TIME_RE.match(t, ns)
            if tm:
                return None, tm.end()
            if _CLOCK_ZH.search(before):
                cm2 = _CLOCK_ZH_AFTER.match(t, m.end())
                if cm2:
                    return None, cm2.end()

        read = self.value_at(m, lang)
        if read is None:
            return None, m.end()
        v, pos, has_scale, q_inside = read
        num_end = pos
        if kind == "c":
            s = m.group("c")
            if s[0] in _CN_BIG and len(s) > 1:
                return None, m.end()  # 万一, 亿万: not numerals
            if s in ("千万", "千萬") and t[m.end():m.end() + 1] in _CN_IDIOM_AFTER:
                return None, m.end()
            if before[-1:] in _VAGUE_BEFORE:
                return None, m.end()  # 数百, 上千: vague amounts
            if s == "一" and before[-1:] and before[-1] in "上下每同统統唯万萬":
                return None, m.end()  # 下一篇 "next article", 每一个 "every", 唯一 "only"

        # Range: 3至5, 2015-2017, ۲ تا ۳, 3 to 5.
        vmax = None
        rm = _RANGE_RE.match(t, pos)
        if rm:
            m2 = _CORE_AT.match(t, rm.end())
            sep = rm.group(0).strip()
            if m2 and not (
                    sep in "-–—" and kind != "d") and (m2.group("d") is None) == (kind != "d"):
                r2 = self.value_at(m2, lang)
                if r2 is not None:
                    v2, pos2, sc2, q2 = r2
                    if not has_scale and sc2 and kind == "d":
                        # 3至5万元: the scale written once applies to both ends.
                        mult = v2 / _read_digits(m2.group("d"), lang) if m2.group("d") else 1
                        v = v * mult
                    if v2 > v:
                        vmax = v2
                        pos = num_end = pos2
                        q_inside = q_inside or q2

        # Post qualifier (余/多) that may follow the scale.
        qm = re.compile(r"([余餘多])").match(t, pos) if (lang == "zh" or _HAN.match(t, pos)) else None
        if qm and (_UNIT_ZH_RE.match(t, qm.end()) or _SCALE_ZH_RE.match(t, qm.end())):
            q_inside = "more_than"
            pos = qm.end()
            sm = re.compile(r"([万萬亿億]{1,2})").match(t, pos)
            if sm:  # 500余万元
                mult = 1
                for c in sm.group(1):
                    mult *= _CN_BIG[c]
                v *= mult
                if vmax is not None:
                    vmax *= mult
                has_scale = True
                pos = num_end = sm.end()

        # Unit.
        unit = None
        if pct_prefix:
            unit = "percent"
        um = None
        if unit is None:
            um = _UNIT_AR_RE.match(t, pos)
            if um:
                unit = _unit_ar(um.group(1), lang)
                if um.group(1) in ("%", "٪"):
                    unit = "percent"
                pos = um.end()
            else:
                um = _UNIT_ZH_RE.match(t, pos)
                if um and (kind != "e"):
                    u = um.group(1)
                    unit = _unit_zh(u)
                    pos = um.end()
                else:
                    um = _UNIT_EN_RE.match(t, pos)
                    if um:
                        unit = _unit_en(um.group(1))
                        pos = um.end()
                    elif lang == "en":
                        wm = _WORD_EN_RE.match(t, pos)
                        if wm and wm.group(1).lower() not in _STOP_EN and wm.start(1) > pos:
                            unit = wm.group(1)
                            pos = wm.end()
                    elif lang in ("fa", "ar"):
                        wm = _WORD_AR_RE.match(t, pos)
                        if wm and wm.group(1) not in _STOP_AR and wm.start(1) > pos:
                            unit = wm.group(1)
                            pos = wm.end()
        if unit is None and currency:
            unit = currency
        elif currency and unit not in ("INR", "USD", "CNY", "EUR", "GBP"):
            # "$3 million people" never happens; "₹4.5 crore" with a later word does.
            unit = currency if unit is None or lang == "en" else unit
            if lang == "en":
                pos = num_end if um is None else pos

        # Numbers glued to Latin letters after them (5G, 3D) unless read as a unit/scale.
        if kind == "d" and unit is None and not has_scale and re.match(r"[A-Za-z]", t[num_end:num_end + 1]):
            return None, pos

        # Qualifiers after the unit (50人以上, 1小时左右, or more, +).
        post_q = None
        pm = _POST_Q_ZH.match(t, pos)
        if pm:
            post_q = _POST_Q_ZH_MAP[pm.group(1)]
            pos = pm.end()
        else:
            pm = _POST_Q_AR.match(t, pos)
            if pm:
                w = pm.group(1)
                post_q = "at_least" if ("قل" in w or "أكثر" in w or "اكثر" in w or "بالا" in w) else "about"
                pos = pm.end()
            else:
                pm = _POST_Q_EN.match(t, pos)
                if pm:
                    w = re.sub(r"\s+", " ", pm.group(1).lower())
                    post_q = {"or more": "at_least", "or so": "about", "plus": "more_than", "+": "more_than",
                              "at least": "at_least", "or fewer": "up_to", "or less": "up_to"}[w]
                    pos = pm.end()

        # Qualifiers before.
        start = pre_start
        pre_q = None
        qm = _PRE_Q_RE.search(before, max(0, len(before) - 24))
        if qm:
            w = qm.group(1)
            key = re.sub(r"\s+", "", w).lower() if not _HAN.search(w) else w
            from extractor.numbers.dates import _fold_ar

            pre_q = _PRE_QMAP.get(key) or _PRE_QMAP.get(w)
            if pre_q is None:
                fk = _fold_ar(w)
                for k, q in _PRE_QMAP.items():
                    if _fold_ar(k) == fk:
                        pre_q = q
                        break
            if w in ("近",) and unit in ("year", "month", "day", "week") or (w == "近" and t[num_end:num_end + 2] in ("个月", "個月")):
                # 近三年 / 近两年 is "the last three years", not "nearly three years".
                pre_q = None
            elif w in ("超", "过", "過") and re.search(r"[通经經度不错錯]$", before[: qm.start()]) or w == "حتى" and unit is None:
                pre_q = None
            if pre_q is not None:
                start = pre_start - (len(before) - qm.start())

        qualifier = pre_q or post_q or q_inside or "exact"

        # Single numeral characters need a classifier or a qualifier to count (一定, 百姓,
        # 十分 are words); a bare multiplier needs the same (千 in 千方百计).
        if kind == "c":
            s = m.group("c")
            if unit is None and pre_q is None and (len(s) == 1 or not has_scale):
                return None, m.end()
        if kind == "e" and m.group("e").lower() == "one" and unit is None and pre_q is None:
            return None, m.end()

        # Bare four-digit years (no unit, no qualifier, no scale) are dates in running text.
        if (self.skip_dates and kind == "d" and unit is None and qualifier == "exact" and not has_scale
                and vmax is None and re.fullmatch(r"\d{4}", m.group("d"))
                and (1900 <= v <= 2100 or (lang in ("fa", "ar") and 1300 <= v <= 1500))):
            return None, pos
        if (self.skip_dates and kind == "d" and vmax is not None and unit is None and not has_scale
                and re.fullmatch(r"\d{4}", m.group("d")) and 1900 <= v <= 2100 and 1900 <= vmax <= 2100):
            return None, pos  # 2015-2017: a period of years

        os_, oe = self.norm.span(start, pos)
        nos, noe = self.norm.span(ns, num_end)
        q = Quantity(
            value=_to_number(v), qualifier=qualifier, unit=unit, start=os_, end=oe,
            text=self.orig[os_:oe], value_max=_to_number(vmax) if vmax is not None else None,
            number_start=nos, number_end=noe,
        )
        return q, pos

    def scan(self, first_only: bool = False) -> list[Quantity]:
        out: list[Quantity] = []
        resume = 0
        pos = 0
        t = self.t
        while True:
            m = _CORE.search(t, pos)
            if m is None:
                break
            if m.start() < resume:
                pos = m.start() + 1
                continue
            if m.group("d") is not None and sum(c.isdigit() for c in m.group("d")) > _MAX_DIGITS:
                pos = m.end()
                resume = m.end()
                continue
            q, nxt = self.read(m)
            if q is not None:
                out.append(q)
                if first_only:
                    break
                resume = pos = max(nxt, m.end())
            else:
                pos = m.end() if m.group("c") is None or len(m.group("c")) == 1 else m.start() + 1
                if nxt > m.end():
                    resume = pos = nxt
        return out


def find_quantities(text: str, lang: str | None = None) -> list[Quantity]:
    """Every quantity mentioned in ``text``, in order, with spans into ``text``.

    Dates (2018年, 1月22日, سال ۹۶, 2024-03-07), clock times (9:30, 上午11点), ordinals
    (第二) and bare four-digit years are skipped.

    >>> [(q.value, q.qualifier, q.unit) for q in find_quantities("培训班50余期，培训人员8000余人次")]
    [(50, 'more_than', '期'), (8000, 'more_than', 'person_time')]
    """
    if not text or not isinstance(text, str):
        return []
    return _Reader(text, lang, True).scan()


def parse_quantity(text: str, lang: str | None = None) -> Quantity | None:
    """The first quantity stated in a short mention, or None when there is no number.

    >>> q = parse_quantity("總投資逾2億元")
    >>> q.value, q.qualifier, q.unit, q.text
    (200000000, 'more_than', 'CNY', '逾2億元')
    >>> parse_quantity("₹4.5 crore").value
    45000000
    """
    if not text or not isinstance(text, str):
        return None
    found = _Reader(text, lang, True).scan(first_only=True)
    if not found:
        # A mention that is only a date-like figure ("2015-2017", "2018年") still has a number.
        found = _Reader(text, lang, False).scan(first_only=True)
    return found[0] if found else None
