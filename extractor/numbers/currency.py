"""Currencies written around a figure, as ISO 4217 codes, in Chinese, Persian, Arabic and English.

The names come from the Unicode CLDR (through Babel, the maintained package that carries it):
every currency name of the ``zh``, ``zh_Hant``, ``zh_Hant_HK``, ``ar``, ``fa`` and ``en`` locales,
English plurals included, and the ISO 4217 codes themselves (``42 KWD``, ``CHF 3.04``). News also
writes shorter or colloquial forms that CLDR does not list (港币, 台币, 美金, يورو without a
country, دلار, تومان, "euros"); those are listed here, each naming one currency only.

Exact or abstain: a word that names a family of currencies and not one of them gives no code
(``ريال``, ``دينار``, ``جنيه``, ``ليرة``, ``درهم`` alone in Arabic; ``riyals``, ``dinars``,
``pounds`` alone in English; ``¥`` outside Chinese text). With the country adjective the code is
certain, and the adjective decides (``ريال قطري`` QAR, ``جنيه استرليني`` GBP, ``جنيه مصري`` EGP):
Arabic names are read as a noun of a family (any number and case: ``جنيهات``, ``دنانير``,
``ريالاً``) followed by an adjective whose stem CLDR names for one country (``قطرية``,
``مصريه``, ``أردنية``). A bare ``$`` and ``دولار``/``دلار``/dollars are the US dollar, as
newsrooms in the five languages write it (other dollars are written ``HK$``, ``A$``, ``港元``,
``دولار كندي``); ``ریال``, ``تومان`` and ``افغانی`` in Persian text are the currencies of Iran
and Afghanistan, where Persian news is written.

``元``, ``圆``, ``块`` (and ``¥`` in Chinese text) are yuan-family units: :func:`yuan_currency`
decides their currency for the whole text (CNY unless the text names the Hong Kong, Taiwan or
Macau dollar, or its language tag is ``zh-TW``/``zh-HK``/``zh-MO``).

>>> c = currency_after("42 ريالات قطرية", 2, "ar")
>>> c.code, "42 ريالات قطرية"[c.start:c.end]
('QAR', 'ريالات قطرية')
>>> currency_after("10 جنيه", 2, "ar").code is None
True
>>> currency_before("NZD $100.70", 5, "en").code, currency_after("3.14港幣", 4, "zh").code
('NZD', 'HKD')
>>> yuan_currency("投资8200万元", None), yuan_currency("補助新台幣1億元，另撥2000萬元", None)
('CNY', None)
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from babel import Locale
from babel.core import get_global
from babel.numbers import get_currency_name, get_territory_currencies, list_currencies

from extractor.numbers.normalize import fold_arabic

__all__ = ["Currency", "currency_after", "currency_before", "yuan_currency", "is_currency_code", "is_currency_word"]


@dataclass(frozen=True)
class Currency:
    """A currency written at ``start:end`` of the scanned text. ``code`` is its ISO 4217 code, or
    None when the word names no single currency; ``yuan`` marks 元/圆/块, whose country the
    text decides (:func:`yuan_currency`); ``generic_dollar`` marks a bare ``$``, which a code
    next to it (``NZD $``, ``SGD4.90 $``) makes precise."""

    code: str | None
    start: int
    end: int
    yuan: bool = False
    generic_dollar: bool = False


_AR = "\u0621-\u064a\u0671-\u06d3\u06fa-\u06ff"
_HARAKAT = "\u064b-\u065f"

# ISO codes that are also words written in capitals (ALL 10 HOSPITALS, TOP 5, SOS).
_CODE_WORDS = {"ALL", "CUP", "TOP", "SOS"}

# Symbols and abbreviations. A code glued before "$" (NZ$, HK$) names the dollar.
_SYMBOLS: dict[str, str | None] = {
    "US$": "USD", "U.S.$": "USD", "A$": "AUD", "AU$": "AUD", "C$": "CAD", "CA$": "CAD", "NZ$": "NZD",
    "HK$": "HKD", "NT$": "TWD", "S$": "SGD", "MX$": "MXN", "R$": "BRL", "N$": "NAD", "MOP$": "MOP",
    "€": "EUR", "£": "GBP", "₹": "INR", "Rs.": "INR", "Rs": "INR", "₩": "KRW", "₪": "ILS", "₺": "TRY",
    "₦": "NGN", "₱": "PHP", "₫": "VND", "₽": "RUB", "₴": "UAH", "₸": "KZT", "GH₵": "GHS", "円": "JPY",
    "RM": "MYR", "Rp": "IDR", "KSh": "KES", "KShs": "KES", "Ksh": "KES", "Kshs": "KES", "L.E.": "EGP",
    "LE": "EGP", "RMB": "CNY", "﷼": None, "Dh": "AED", "Dhs": "AED", "KD": "KWD", "BD": "BHD", "QR": "QAR",
    "SR": "SAR",
    "ج.م": "EGP", "ج.م.": "EGP", "د.إ": "AED", "ر.س": "SAR", "د.ك": "KWD", "ر.ق": "QAR", "د.ع": "IQD",
    "د.أ": "JOD", "ل.ل": "LBP",
}
_YUAN_SIGNS = ("¥", "￥")

# Chinese words CLDR does not list, or lists in another script variant.
_ZH_ALIASES: dict[str, str] = {
    "港币": "HKD", "港幣": "HKD", "港元": "HKD", "港纸": "HKD", "港紙": "HKD",
    "台币": "TWD", "台幣": "TWD", "臺幣": "TWD", "新台币": "TWD", "新臺幣": "TWD", "新台幣": "TWD",
    "新臺币": "TWD", "新台元": "TWD", "澳门币": "MOP", "澳門幣": "MOP", "澳门元": "MOP", "澳門元": "MOP",
    "葡币": "MOP", "葡幣": "MOP", "澳元": "AUD", "澳幣": "AUD", "澳币": "AUD", "美金": "USD", "美元": "USD",
    "日元": "JPY", "日圆": "JPY", "日圓": "JPY", "日幣": "JPY", "日币": "JPY", "韩元": "KRW", "韓元": "KRW",
    "韩币": "KRW", "韓幣": "KRW", "卢布": "RUB", "盧布": "RUB", "加元": "CAD", "加币": "CAD", "加幣": "CAD",
    "新加坡元": "SGD", "新币": "SGD", "新幣": "SGD", "瑞郎": "CHF", "英镑": "GBP", "英鎊": "GBP",
    "欧元": "EUR", "歐元": "EUR", "泰铢": "THB", "泰銖": "THB", "人民币": "CNY", "人民幣": "CNY",
    "林吉特": "MYR", "令吉": "MYR", "新西兰元": "NZD", "纽元": "NZD", "紐元": "NZD",
}
# 块 alone is as often a classifier (3块地, "three plots of land") as money.
_ZH_YUAN = ("元钱", "元錢", "块钱", "塊錢", "元", "圆", "圓")

# Arabic-script nouns of a currency family, in the forms news writes (singular, dual, plural,
# accusative). Alone each names its currency only where the family has one member in practice.
_AR_FAMILIES: dict[str, tuple[str, ...]] = {
    "dollar": ("دولار", "دولارا", "دولارات", "دولاران", "دولارين", "دلار"),
    "euro": ("يورو", "اورو", "أورو", "یورو"),
    "pound": ("جنيه", "جنيها", "جنيهات", "جنيهان", "جنيهين", "پوند", "باوند"),
    "riyal": ("ريال", "ريالا", "ريالات", "ريالان", "ريالين", "ریال"),
    "dinar": ("دينار", "دينارا", "دنانير", "ديناران", "دينارين", "دینار"),
    "lira": ("ليرة", "ليرات", "ليرتين", "ليرتان", "لیر", "لیره"),
    "dirham": ("درهم", "درهما", "دراهم", "درهمان", "درهمين"),
    "rupee": ("روبية", "روبيات", "روپیه", "روپيه"),
    "shekel": ("شيكل", "شيقل", "شواقل", "شيكلات", "شيكلا"),
    "yen": ("ين",), "yuan": ("يوان", "یوآن", "یوان"), "toman": ("تومان", "تومن"), "afghani": ("افغانی",),
    "ringgit": ("رينغيت", "رنجت"), "won": ("وون",), "baht": ("باخت",),
}
# What a family noun alone names, per language (absent: no single currency).
_AR_BARE: dict[tuple[str, str], str] = {
    ("dollar", "ar"): "USD", ("dollar", "fa"): "USD", ("euro", "ar"): "EUR", ("euro", "fa"): "EUR",
    ("riyal", "fa"): "IRR", ("toman", "fa"): "IRT", ("toman", "ar"): "IRT", ("afghani", "fa"): "AFN",
    ("shekel", "ar"): "ILS", ("shekel", "fa"): "ILS", ("yen", "ar"): "JPY", ("yuan", "ar"): "CNY",
    ("yuan", "fa"): "CNY", ("ringgit", "ar"): "MYR", ("won", "ar"): "KRW",
}
# English nouns CLDR gives only with their country ("Qatari Riyal"), alone, and what they name.
_EN_BARE: dict[str, str | None] = {
    "dollar": "USD", "dollars": "USD", "buck": None, "bucks": None, "euro": "EUR", "euros": "EUR",
    "yuan": "CNY", "renminbi": "CNY", "rmb": "CNY", "yen": "JPY", "rupee": "INR", "rupees": "INR",
    "sterling": "GBP", "pound sterling": "GBP", "pounds sterling": "GBP", "shekel": "ILS", "shekels": "ILS",
    "ringgit": "MYR", "ringgits": "MYR", "baht": "THB", "tugrik": "MNT", "tugriks": "MNT", "toman": "IRT",
    "tomans": "IRT", "naira": "NGN", "afghani": "AFN", "afghanis": "AFN",
    # a family, not a currency: no code
    "riyal": None, "riyals": None, "rial": None, "rials": None, "dinar": None, "dinars": None,
    "dirham": None, "dirhams": None, "pound": None, "pounds": None, "lira": None, "liras": None, "lire": None,
    "shilling": None, "shillings": None, "franc": None, "francs": None, "peso": None, "pesos": None,
    "krona": None, "kronor": None, "krone": None, "kroner": None,
}
_EN_ADJECTIVES_EXTRA: dict[str, str] = {"american dollar": "USD", "american dollars": "USD", "u.s. dollar": "USD",
                                        "u.s. dollars": "USD", "us dollar": "USD", "us dollars": "USD",
                                        "malaysia ringgit": "MYR", "malaysia ringgits": "MYR",
                                        "malaysian ringgits": "MYR", "egyptian pounds": "EGP",
                                        "lebanese pounds": "LBP", "british pounds": "GBP"}
# Words that make the text's 元 the Hong Kong, Taiwan or Macau dollar (or at least not surely CNY).
_OTHER_YUAN = re.compile("港币|港幣|港元|港紙|港纸|新台币|新臺幣|新台幣|台币|台幣|臺幣|新台元"
                         "|澳门币|澳門幣|澳门元|澳門元|葡币|葡幣|HK\\$|NT\\$|MOP|HKD|TWD")


def _plain(s: str) -> str:
    return re.sub(r"\s+", " ", s.strip().lower())


@functools.cache
def _tables() -> tuple[dict[str, str], dict[str, str], dict[tuple[str, str], str], frozenset[str]]:
    """(Chinese words → code, English names → code, (family, adjective stem) → code, ISO codes),
    built once from CLDR. Names are those of the currencies in use today; a code written as one
    (``42 BGN``, ``DEM 170 000``) names its currency even after it was withdrawn."""
    codes = _current_codes()
    written = frozenset(c for c in list_currencies() if re.fullmatch("[A-Z]{3}", c))
    zh: dict[str, str] = {}
    for loc in ("zh", "zh_Hant", "zh_Hant_HK"):
        for code, name in Locale.parse(loc).currencies.items():
            if code in codes and _HAN_ONLY.fullmatch(name) and name not in ("元",):
                zh.setdefault(name, code)
    zh.update(_ZH_ALIASES)
    en: dict[str, str] = {}
    for code, name in Locale.parse("en").currencies.items():
        if code not in codes:
            continue
        for form in (name, get_currency_name(code, count=2, locale="en")):
            if form and " " in form.strip():  # "Kuwaiti Dinar"; one-word names are in _EN_BARE
                en.setdefault(_plain(form), code)
    en.update(_EN_ADJECTIVES_EXTRA)
    stems: dict[tuple[str, str], str] = {}
    clash: set[tuple[str, str]] = set()
    family_of = _families()
    for loc in ("ar", "fa"):
        for code, name in Locale.parse(loc).currencies.items():
            parts = name.replace("\u200c", " ").split()
            if code not in codes or len(parts) != 2 or fold_arabic(parts[0]) not in family_of:
                continue
            key = (family_of[fold_arabic(parts[0])], _stem(parts[1]))
            if key in stems and stems[key] != code:
                clash.add(key)
            stems[key] = code
    for key in clash:
        del stems[key]
    return zh, en, stems, written


_HAN_ONLY = re.compile("[\u3400-\u9fff]+")


def _current_codes() -> frozenset[str]:
    """The ISO 4217 codes legal tender somewhere today (CLDR's territory currencies): withdrawn
    ones (TRL, DEM, ITL) would otherwise share names with the current ones (ليرة تركية)."""
    known = set(list_currencies())
    current = {c for terr in get_global("territory_currencies") for c in get_territory_currencies(terr)}
    return frozenset(c for c in current & known if re.fullmatch("[A-Z]{3}", c))


def _stem(adjective: str) -> str:
    """An Arabic or Persian country adjective or name without its endings: قطرية, قطري, قطر → قطر."""
    w = fold_arabic(adjective)
    if w.startswith("ال"):
        w = w[2:]
    if w.endswith("ایی"):  # آمریکایی, کانادایی: the country's name, آمریکا
        return w[:-2]
    for end in ("یین", "یون", "یات", "یتان", "یتین", "یان", "یین", "یه", "یا", "ی", "ه"):
        if w.endswith(end) and len(w) - len(end) >= 2:
            return w[: -len(end)]
    return w


def is_currency_code(word: str) -> bool:
    """Whether ``word`` is an ISO 4217 code written as one (``KWD``; not ``ALL`` or ``TOP``).

    >>> is_currency_code("KWD"), is_currency_code("ALL"), is_currency_code("kwd")
    (True, False, False)
    """
    return word in _tables()[3] and word not in _CODE_WORDS


def is_currency_word(word: str) -> bool:
    """Whether ``word`` is an Arabic-script currency noun of any family (``تومان``, ``دولار``,
    ``ريالات``), in any spelling variant.

    >>> is_currency_word("تومان"), is_currency_word("ريالات"), is_currency_word("نفر")
    (True, True, False)
    """
    return fold_arabic(word) in _families()


@functools.cache
def _families() -> dict[str, str]:
    return {fold_arabic(w): fam for fam, words in _AR_FAMILIES.items() for w in words}


@functools.cache
def _symbol_re() -> tuple[re.Pattern[str], re.Pattern[str]]:
    sym = sorted(list(_SYMBOLS) + list(_YUAN_SIGNS) + ["$"], key=len, reverse=True)
    alt = "|".join(re.escape(s) for s in sym)
    # A symbol that ends in a letter (Rs, RM, LE) must not run on into a word.
    after = re.compile(rf"[^\S\n]*(?P<sym>{alt})(?![A-Za-z])|[^\S\n]*(?P<code>[A-Z]{{3}})(?![A-Za-z])")
    # a symbol that starts with a letter (Rs, RM, US$) must start a word; "$" may follow a code (SGD$)
    before = re.compile(rf"(?:(?<![A-Za-z])(?P<code1>[A-Z]{{3}})[^\S\n]*)?(?:(?<![A-Za-z])|(?![A-Za-z]))(?P<sym>{alt})"
                        rf"[^\S\n]*:?[^\S\n]*$"
                        rf"|(?<![A-Za-z])(?P<code>[A-Z]{{3}})[^\S\n]*$")
    return after, before


_AR_WORD = re.compile(rf"[^\S\n]*(?<![{_AR}])([{_AR}][{_AR}{_HARAKAT}]*)")
_EN_WORDS = re.compile(r"[^\S\n]*(?<![A-Za-z])([A-Za-z][A-Za-z.]*(?:[^\S\n]+[A-Za-z][A-Za-z.]*){0,2})")
_ZH_MAX = 8
# The last characters of every symbol and code (a cheap test before the patterns).
_LAST_CHARS = frozenset("".join(_SYMBOLS) + "".join(_YUAN_SIGNS) + "$:" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_AR_WORD_END = re.compile(rf"(?<![{_AR}])[{_AR}][{_AR}{_HARAKAT}]*$")


def currency_after(t: str, pos: int, lang: str | None) -> Currency | None:
    """The currency written right after ``pos`` (after a figure and its scale words), if any.

    >>> currency_after("50万港币", 3, "zh").code, currency_after("20 euros", 2, "en").code
    ('HKD', 'EUR')
    >>> currency_after("42 kuwaiti Dinar", 2, "en").code, currency_after("3 جنيه استرليني", 1, "ar").code
    ('KWD', 'GBP')
    """
    zh, en, stems, codes = _tables()
    p = pos + 1 if t[pos:pos + 1] in (" ", "\t") else pos
    for k in range(min(_ZH_MAX, len(t) - p), 0, -1):
        w = t[p:p + k]
        if w in _ZH_YUAN:
            return Currency(None, p, p + k, yuan=True)
        if w in zh:
            return Currency(zh[w], p, p + k)
    m = _AR_WORD.match(t, pos)
    if m:
        fam = _families().get(fold_arabic(m.group(1)))
        if fam is None:
            return None
        a = _AR_WORD.match(t, m.end())
        if a and not t[m.end():a.start(1)].count("\n"):
            code = stems.get((fam, _stem(a.group(1))))
            if code is not None:
                return Currency(code, m.start(1), a.end(1))
        return Currency(_AR_BARE.get((fam, "fa" if lang == "fa" else "ar")), m.start(1), m.end(1))
    m = _EN_WORDS.match(t, pos)
    if m:
        words = m.group(1).split()
        for n in range(len(words), 0, -1):
            w = " ".join(words[:n]).lower().rstrip(".")
            if w in en or w in _EN_BARE:
                span = re.match(rf"\S+(?:\s+\S+){{{n - 1}}}", m.group(1))
                end = m.start(1) + len(span.group(0).rstrip(".")) if span else m.end(1)
                return Currency(en[w] if w in en else _EN_BARE[w], m.start(1), end)
    after, _ = _symbol_re()
    m = after.match(t, pos)
    if m is None:
        return None
    if m.group("sym") is not None:
        return _symbol(m.group("sym"), m.start("sym"), m.end("sym"), lang)
    code = m.group("code")
    if code in codes and code not in _CODE_WORDS:
        return Currency(code, m.start("code"), m.end("code"))
    return None


def _symbol(s: str, start: int, end: int, lang: str | None) -> Currency:
    if s == "$":
        return Currency("USD", start, end, generic_dollar=True)
    if s in _YUAN_SIGNS:
        # ¥ is the yuan in Chinese text, and the yen as often as the yuan elsewhere
        return Currency(None, start, end, yuan=lang == "zh")
    return Currency(_SYMBOLS.get(s), start, end)


def currency_before(t: str, pos: int, lang: str | None) -> Currency | None:
    """The currency written right before ``pos`` (where a figure starts), if any: a symbol or
    code (``$``, ``US$``, ``NZD $``, ``€``, ``EUR``, ``Rs.``) or a Chinese currency word
    (``港币``, ``人民幣``, ``新台币``).

    >>> currency_before("港币两千九百六十元", 2, "zh").code, currency_before("Rs.500", 3, "en").code
    ('HKD', 'INR')
    """
    if pos <= 0:
        return None
    zh, _, _, codes = _tables()
    head = t[max(0, pos - 12):pos]
    off = pos - len(head)
    stripped = head.rstrip(" \t\u202f")
    if not stripped or stripped[-1] not in _LAST_CHARS and not "\u3400" <= stripped[-1] <= "\u9fff" \
            and not "\u0621" <= stripped[-1] <= "\u06ff":
        return None  # most figures follow a space, a letter or punctuation no currency ends with
    if stripped and "\u3400" <= stripped[-1] <= "\u9fff":
        for k in range(min(_ZH_MAX, len(stripped)), 0, -1):
            w = stripped[-k:]
            if w in zh:
                return Currency(zh[w], off + len(stripped) - k, off + len(stripped))
        return None
    glued = _AR_WORD_END.search(head)
    if glued is not None:  # تومان56,000: a price tag, the currency glued before the digits
        fam = _families().get(fold_arabic(glued.group(0)))
        code = _AR_BARE.get((fam, "fa" if lang == "fa" else "ar")) if fam else None
        return Currency(code, off + glued.start(), pos) if code else None
    _, before = _symbol_re()
    m = before.search(head)
    if m is None:
        return None
    if m.group("sym") is not None:
        code1 = m.group("code1")
        cur = _symbol(m.group("sym"), off + m.start("sym"), off + m.end("sym"), lang)
        if (code1 is not None and code1 in codes and code1 not in _CODE_WORDS
                and (cur.generic_dollar or cur.code == code1)):  # NZD $100.70, SGD$4.90
            return Currency(code1, off + m.start("code1"), cur.end)
        return cur
    code = m.group("code")
    if code in codes and code not in _CODE_WORDS:
        return Currency(code, off + m.start("code"), off + m.end())
    return None


def yuan_currency(text: str, lang: str | None) -> str | None:
    """The currency of 元/圆/块 in ``text``: CNY, unless the language tag is a Hong Kong, Taiwan
    or Macau one or the text names the Hong Kong, Taiwan or Macau dollar (then 元 may be any of
    them: None).

    >>> yuan_currency("总投资2亿元", "zh-Hans"), yuan_currency("總投資2億元", "zh-TW")
    ('CNY', None)
    """
    tag = (lang or "").lower().replace("_", "-")
    if any(tag.endswith(r) or f"-{r}-" in tag for r in ("tw", "hk", "mo")):
        return None
    return None if _OTHER_YUAN.search(text) else "CNY"
