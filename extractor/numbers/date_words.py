"""Vocabulary of the date reader: month names, Persian ordinal day words, Chinese numerals.

The scanner folds Arabic-script letter variants one for one before matching (ي/ى/ی, ك/ک,
أ/إ/آ/ا, ة/ه), so every name here is listed once in any spelling and compiled in folded form.

>>> zh_int("二〇二二"), zh_int("两千零四"), zh_int("二十七"), zh_int("廿一")
(2022, 2004, 27, 21)
>>> month_of_name(fold_letters("شهريور"))
('solar_hijri', 6)
>>> FA_ORDINALS[name_key("بیست و سوم")], AR_ORDINALS[name_key("الحادي والعشرين")]
(23, 21)
"""

from __future__ import annotations

import re

__all__ = ["LETTER_FOLD", "fold_letters", "name_key", "names_regex", "month_of_name", "zh_int", "FA_ORDINALS",
           "FA_ORDINAL_RE", "AR_ORDINALS", "AR_ORDINAL_RE", "EN_MONTH_RE", "en_month", "NEEDS_YEAR"]

# One character for one, so that offsets in the folded text are offsets in the original.
LETTER_FOLD = str.maketrans("يىئكأإآٱةۀ", "یییک" + "اااا" + "هه")


def fold_letters(s: str) -> str:
    """Arabic-script letter variants folded to one form, one character for one."""
    return s.translate(LETTER_FOLD)


def name_key(s: str) -> str:
    """Lookup key of a (folded) name: no spaces, so ``ذو القعده`` and ``ذوالقعده`` agree."""
    return re.sub(r"\s+", "", fold_letters(s))


def names_regex(names: list[str]) -> str:
    """Alternation of folded ``names``, longest first, any spacing between words."""
    alts = sorted({fold_letters(n) for n in names}, key=len, reverse=True)
    return "(?:" + "|".join(r"\s*".join(map(re.escape, a.split())) for a in alts) + ")"


# ---------------------------------------------------------------------------------- months

SOLAR_MONTHS = [["فروردین"], ["اردیبهشت"], ["خرداد"], ["تیر"], ["مرداد", "امرداد"], ["شهریور"],
                ["مهر"], ["آبان"], ["آذر"], ["دی"], ["بهمن"], ["اسفند"]]
# With the honorifics news writes after some of them (رمضان المبارك, شعبان المعظم) and المحرم.
HIJRI_MONTHS = [
    ["محرم", "محرم الحرام", "المحرم"], ["صفر", "صفر الخير", "صفر المظفر"], ["ربيع الأول", "ربیع الاول", "ربيع أول",
                                                                          "ربيع الأنور"],
    ["ربيع الآخر", "ربيع الثاني", "ربیع الثانی", "ربيع آخر", "ربيع ثاني"],
    ["جمادى الأولى", "جمادی الاول", "جمادی الاولی", "جمادى أول", "جمادى الأول"],
    ["جمادى الآخرة", "جمادى الثانية", "جمادی الثانی", "جمادی الآخر", "جمادى آخر", "جمادى آخرة", "جمادى ثاني",
     "جمادى الأخرى", "جمادى الثاني"],
    ["رجب", "رجب المرجب"], ["شعبان", "شعبان المعظم"], ["رمضان", "رمضان المبارك", "رمضان الكريم"],
    ["شوال", "شوال المكرم"], ["ذو القعدة", "ذي القعدة", "ذی القعده", "ذیقعده"],
    ["ذو الحجة", "ذي الحجة", "ذی الحجه", "ذیحجه"],
]
# Gregorian months as Arabic (Egyptian/Gulf, Levantine, Algerian/Tunisian, Moroccan) and Persian
# news write them. Moroccan: يناير فبراير مارس أبريل ماي يونيو يوليوز غشت شتنبر أكتوبر نونبر دجنبر.
GREGORIAN_AR_FA = [
    ["يناير", "كانون الثاني", "جانفي", "ژانویه"], ["فبراير", "شباط", "فيفري", "فوریه"],
    ["مارس", "آذار"], ["أبريل", "إبريل", "نيسان", "أفريل", "آوریل", "آپریل"],
    ["مايو", "أيار", "ماي", "مه", "می"], ["يونيو", "يونيه", "حزيران", "جوان", "ژوئن"],
    ["يوليو", "يوليه", "تموز", "جويلية", "ژوئیه", "جولای", "يوليوز", "ژوییه"],
    ["أغسطس", "آب", "أوت", "اوت", "آگوست", "غشت"],
    ["سبتمبر", "أيلول", "سپتامبر", "شتنبر"], ["أكتوبر", "تشرين الأول", "اکتبر"],
    ["نوفمبر", "تشرين الثاني", "نوامبر", "نونبر"], ["ديسمبر", "كانون الأول", "دسامبر", "دجنبر"],
]
# Names that are also everyday words (می: the verb prefix; مه: fog; آب: water; صفر: zero):
# read as months only when a year is written with them.
NEEDS_YEAR = {name_key(n) for n in ("می", "مه", "آب", "صفر", "ماي")}

_MONTHS: dict[str, tuple[str, int]] = {}
for _cal, _table in (("solar_hijri", SOLAR_MONTHS), ("hijri", HIJRI_MONTHS), ("gregorian", GREGORIAN_AR_FA)):
    for _i, _names in enumerate(_table, 1):
        for _n in _names:
            _MONTHS[name_key(_n)] = (_cal, _i)

SOLAR_RE = names_regex([n for ns in SOLAR_MONTHS for n in ns])
HIJRI_RE = names_regex([n for ns in HIJRI_MONTHS for n in ns])
GREG_AR_RE = names_regex([n for ns in GREGORIAN_AR_FA for n in ns])


def month_of_name(name: str) -> tuple[str, int]:
    """``(calendar, month)`` of an Arabic-script month name."""
    return _MONTHS[name_key(name)]


# English: full names and the abbreviations news uses ("Sept.", "Aug"). "May" and "March" are
# also a verb and a noun, so only their capitalised forms are months.
EN_MONTH_RE = (r"(?:(?i:jan(?:uary)?|feb(?:ruary)?|apr(?:il)?|june?|july?|aug(?:ust)?"
               r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
               r"|May|MAY|Mar(?:ch)?|MAR(?:CH)?)(?![A-Za-z])")
_EN_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]


def en_month(name: str) -> int:
    """Month number of an English month name or abbreviation.

    >>> en_month("Sept")
    9
    """
    return _EN_MONTHS.index(name[:3].lower()) + 1


# -------------------------------------------------------------------- Persian ordinal days

_FA_UNITS = {"یکم": 1, "دوم": 2, "سوم": 3, "چهارم": 4, "پنجم": 5, "ششم": 6, "هفتم": 7, "هشتم": 8, "نهم": 9}
_FA_SIMPLE = {**_FA_UNITS, "اول": 1, "نخست": 1, "دهم": 10, "یازدهم": 11, "دوازدهم": 12, "سیزدهم": 13,
              "چهاردهم": 14, "پانزدهم": 15, "پونزدهم": 15, "شانزدهم": 16, "هفدهم": 17, "هیفدهم": 17,
              "هجدهم": 18, "هیجدهم": 18, "هژدهم": 18, "نوزدهم": 19, "بیستم": 20, "سی ام": 30, "سیام": 30}


def _fa_ordinals() -> dict[str, int]:
    out = {name_key(k): v for k, v in _FA_SIMPLE.items()}
    for tens, base in (("بیست", 20), ("سی", 30)):
        for unit, v in _FA_UNITS.items():
            if base + v <= 31:
                out[name_key(f"{tens} و {unit}")] = base + v
    return out


FA_ORDINALS = _fa_ordinals()
# Compound ordinals first (بیست و سوم before سوم): the alternation takes the first that fits.
FA_ORDINAL_RE = ("(?:(?:بیست|سی)\\s*و\\s*" + names_regex(list(_FA_UNITS)) + "|"
                 + names_regex([k for k in _FA_SIMPLE]) + ")")

# --------------------------------------------------------------------- Arabic ordinal days

# "السابع من مارس", "الحادي والعشرين من يناير": formal Arabic writes days as ordinal words.
_AR_UNITS = {"الحادی": 1, "الاول": 1, "الثانی": 2, "الثالث": 3, "الرابع": 4, "الخامس": 5, "السادس": 6,
             "السابع": 7, "الثامن": 8, "التاسع": 9}


def _ar_ordinals() -> dict[str, int]:
    out = {name_key(k): v for k, v in _AR_UNITS.items() if k != "الحادی"}
    out[name_key("العاشر")] = 10
    for unit, v in _AR_UNITS.items():
        if unit != "الاول":
            out[name_key(f"{unit} عشر")] = 10 + v
            out[name_key(f"{unit} والعشرین")] = 20 + v
    out[name_key("العشرین")], out[name_key("الثلاثین")] = 20, 30
    out[name_key("الحادی والثلاثین")] = 31
    return out


AR_ORDINALS = _ar_ordinals()
_AR_UNIT_RE = names_regex([k for k in _AR_UNITS])
AR_ORDINAL_RE = (rf"(?:{_AR_UNIT_RE}\s*(?:عشر|و\s*العشرین)|الحادی\s*و\s*الثلاثین|العشرین|الثلاثین|العاشر"
                 rf"|{names_regex([k for k in _AR_UNITS if k != 'الحادی'])})")

# ------------------------------------------------------------------------ Chinese numerals

_ZH_DIGIT = {"〇": 0, "○": 0, "零": 0, "Ｏ": 0, "一": 1, "二": 2, "两": 2, "兩": 2, "三": 3, "四": 4,
             "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_ZH_UNIT = {"十": 10, "百": 100, "千": 1000}
ZH_DIGITS = "〇○零一二两兩三四五六七八九"
ZH_NUM = ZH_DIGITS + "十百千廿卅"


def zh_int(s: str) -> int | None:
    """Value of a Chinese numeral up to 9999, digit by digit (二〇二二) or with units (两千零四).

    >>> zh_int("十二"), zh_int("三十一"), zh_int("两千"), zh_int("三十二十")
    (12, 31, 2000, None)
    """
    s = s.replace("廿", "二十").replace("卅", "三十")
    if s and all(c in _ZH_DIGIT for c in s):
        return int("".join(str(_ZH_DIGIT[c]) for c in s))
    return _zh_with_units(s)


def _zh_with_units(s: str) -> int | None:
    total, digit, last_unit = 0, None, 10000
    for c in s:
        if c in _ZH_DIGIT:
            if digit is not None and _ZH_DIGIT[c] != 0:
                return None  # two digits in a row between units: not a well-formed numeral
            digit = _ZH_DIGIT[c] or None
        elif c in _ZH_UNIT and _ZH_UNIT[c] < last_unit:
            total += (1 if digit is None else digit) * _ZH_UNIT[c]
            digit, last_unit = None, _ZH_UNIT[c]
        else:
            return None
    return total + (digit or 0) if s else None
