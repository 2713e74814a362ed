"""Money: currencies, qualifiers and ranges read exactly, or not at all (docs/numbers.md, "Exact or abstain").

The property tests render generated amounts in each language's common written forms (digits with
grouping, 万/亿, Chinese numerals, Persian and Arabic words with case endings, currency words,
symbols and codes) and require the reader to give back exactly the amount, its range end, its
currency and its qualifier, or to abstain (no reading, a reading marked uncertain, or no
currency): never a different one.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_number_readers import _AR_D, _FA_D, _ar, _cn, _en, _fa, _group

from extractor.numbers import Quantity, find_quantities, parse_quantity, values_match
from extractor.numbers.currency import currency_after, currency_before, yuan_currency

# --- renderings -------------------------------------------------------------------------------


def _ar_cased(n: int) -> str:
    """Arabic words with the forms news also writes: tanween on the accusative (ألفاً), مئة for
    مائة, and hundreds in two words (أربع مئة)."""
    s = _ar(n).replace("ألفا", "ألفاً").replace("مليونا", "مليوناً").replace("مليارا", "ملياراً")
    for three, two in (("ثلاثمائة", "ثلاث مئة"), ("أربعمائة", "أربع مئة"), ("خمسمائة", "خمس مئة"),
                       ("ستمائة", "ست مئة"), ("سبعمائة", "سبع مئة"), ("ثمانمائة", "ثماني مئة"),
                       ("تسعمائة", "تسع مئة")):
        s = s.replace(three, two)
    return s.replace("مائة", "مئة")


Render = Callable[[int], str]
# (language, rendering of the amount, currency the text names or None)
FORMS: list[tuple[str, Render, str | None]] = [
    ("zh-Hans", lambda n: f"{n}元", "CNY"),
    ("zh-Hans", lambda n: f"{_cn(n)}元", "CNY"),
    ("zh-Hans", lambda n: f"{n:,}元人民币", "CNY"),
    ("zh-Hans", lambda n: f"港币{n}元", "HKD"),
    ("zh-Hans", lambda n: f"{_cn(n, '两')}港元", "HKD"),
    ("zh-Hans", lambda n: f"新台币{n}元", "TWD"),
    ("zh-Hans", lambda n: f"{n}美元", "USD"),
    ("zh-Hans", lambda n: f"{_cn(n)}日元", "JPY"),
    ("zh-Hans", lambda n: f"{n}欧元", "EUR"),
    ("zh-Hant", lambda n: f"{n}港幣", "HKD"),
    ("zh-Hant", lambda n: f"新臺幣{n:,}元", "TWD"),
    ("zh-TW", lambda n: f"{n}元", None),  # 元 in Taiwan is the local dollar: no currency is claimed
    ("ar", lambda n: f"{n} دولار", "USD"),
    ("ar", lambda n: f"{_ar(n)} ريال قطري", "QAR"),
    ("ar", lambda n: f"{_ar_cased(n)} دينار كويتي", "KWD"),
    ("ar", lambda n: f"{_group(n, '٬').translate(_AR_D)} جنيه مصري", "EGP"),
    ("ar", lambda n: f"{_ar_cased(n)} جنيه إسترليني", "GBP"),
    ("ar", lambda n: f"{n} ريال", None),  # a riyal of which country? none is claimed
    ("ar", lambda n: f"{n:,} يورو", "EUR"),
    ("fa", lambda n: f"{_fa(n)} تومان", "IRT"),
    ("fa", lambda n: f"{_group(n, '٬').translate(_FA_D)} ریال", "IRR"),
    ("fa", lambda n: f"{_fa(n)} دلار", "USD"),
    ("en", lambda n: f"${n:,}", "USD"),
    ("en", lambda n: f"€{n:,}", "EUR"),
    ("en", lambda n: f"{_en(n, False)} euros", "EUR"),
    ("en", lambda n: f"{n:,} Qatari riyals", "QAR"),
    ("en", lambda n: f"{n:,} riyals", None),
    ("en", lambda n: f"US$ {n:,}", "USD"),
    ("en", lambda n: f"£{n:,}", "GBP"),
    ("en", lambda n: f"HK${n:,}", "HKD"),
]
QUALIFIERS: dict[str, list[tuple[str, str, str]]] = {  # (before, after, qualifier)
    "zh": [("", "", "exact"), ("约", "", "about"), ("超过", "", "more_than"), ("不足", "", "less_than"),
           ("", "以上", "at_least"), ("近", "", "nearly")],
    "ar": [("", "", "exact"), ("حوالي ", "", "about"), ("أكثر من ", "", "more_than"), ("أقل من ", "", "less_than"),
           ("ما لا يقل عن ", "", "at_least")],
    "fa": [("", "", "exact"), ("حدود ", "", "about"), ("بیش از ", "", "more_than"), ("کمتر از ", "", "less_than")],
    "en": [("", "", "exact"), ("about ", "", "about"), ("more than ", "", "more_than"), ("under ", "", "less_than"),
           ("at least ", "", "at_least"), ("", " or more", "at_least")],
}


def _script(lang: str) -> str:
    return "zh" if lang.startswith("zh") else lang


def _exact_or_abstain(q: Quantity | None, value: float, value_max: float | None, currency: str | None,
                      qualifier: str | None) -> None:
    if q is None or q.uncertain:
        return  # abstained
    assert values_match(q.value, value), (q, value)
    if value_max is None:
        assert q.value_max is None, q
    else:
        assert q.value_max is not None and values_match(q.value_max, value_max), (q, value_max)
    if qualifier is not None:
        assert q.qualifier == qualifier, (q, qualifier)
    if currency is None:
        assert q.currency is None, q  # a currency the text does not name is never given
    else:
        assert q.currency in (None, currency), (q, currency)


@given(st.integers(min_value=1, max_value=999_999_999), st.sampled_from(FORMS), st.data())
@settings(max_examples=500, deadline=None)
def test_amounts_read_back_exactly_or_abstain(n, form, data):
    lang, render, currency = form
    before, after, qualifier = data.draw(st.sampled_from(QUALIFIERS[_script(lang)]))
    text = f"{before}{render(n)}{after}"
    _exact_or_abstain(parse_quantity(text, lang), n, None, currency, qualifier)


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f"{f[0]}:{f[1](1234567)[:14]}")
def test_the_common_forms_are_read_not_abstained(form):
    """The property above would hold for a reader that never reads: these forms must be read."""
    lang, render, currency = form
    for n in (7, 250, 4096, 1234567, 300000000):
        q = parse_quantity(render(n), lang)
        assert q is not None and not q.uncertain and values_match(q.value, n) and q.currency == currency, (n, q)


# (language, rendering of a range a-b, currency)
RANGES: list[tuple[str, Callable[[int, int], str], str | None]] = [
    ("zh-Hans", lambda a, b: f"{a}至{b}万元", "CNY"),
    ("zh-Hans", lambda a, b: f"{a}——{b}万港币", "HKD"),
    ("zh-Hans", lambda a, b: f"{_cn(a)}到{_cn(b)}万美元", "USD"),
    ("zh-Hans", lambda a, b: f"{a}万元-{b}万元", "CNY"),
    ("ar", lambda a, b: f"بين {a} و{b} مليون دولار", "USD"),
    ("ar", lambda a, b: f"من {a} إلى {b} ألف ريال سعودي", "SAR"),
    ("fa", lambda a, b: f"بین {a} تا {b} میلیون تومان", "IRT"),
    ("en", lambda a, b: f"${a:,}-${b:,}", "USD"),
    ("en", lambda a, b: f"between {a} and {b} million euros", "EUR"),
]
_SCALE = {"万": 10**4, "مليون": 10**6, "ألف": 10**3, "میلیون": 10**6, "million": 10**6}


@given(st.integers(min_value=1, max_value=9_999), st.integers(min_value=1, max_value=9_999), st.sampled_from(RANGES))
@settings(max_examples=300, deadline=None)
def test_ranges_keep_both_ends_or_abstain(a, b, form):
    if a == b:
        return
    a, b = min(a, b), max(a, b)
    lang, render, currency = form
    text = render(a, b)
    scale = next((v for w, v in _SCALE.items() if w in text), 1)
    _exact_or_abstain(parse_quantity(text, lang), a * scale, b * scale, currency, None)


@given(st.integers(min_value=0, max_value=99_999), st.integers(min_value=1, max_value=99))
@settings(max_examples=200, deadline=None)
def test_cents_are_read_or_flagged(whole, cents):
    for text, lang, currency in [(f"${whole:,} and {cents}c", "en", "USD"), (f"{whole} dollars {cents} cents", "en", "USD"),
                                 (f"{whole} دولار و{cents} سنت", "ar", "USD")]:
        _exact_or_abstain(parse_quantity(text, lang), Decimal(whole) + Decimal(cents) / 100, None, currency, "exact")


# --- classes the issue names ------------------------------------------------------------------


@pytest.mark.parametrize("text,lang,value,currency,qualifier", [
    ("25481港元", "zh-Hans", 25481, "HKD", "exact"),
    ("港币两千九百六十元", "zh-Hans", 2960, "HKD", "exact"),
    ("新台币 177.1 亿元", "zh-Hans", 17710000000, "TWD", "exact"),
    ("不到1.9万台币", "zh-Hans", 19000, "TWD", "less_than"),
    ("3.14港幣", "zh-Hant", 3.14, "HKD", "exact"),
    ("人民幣3.14", "zh-Hant", 3.14, "CNY", "exact"),
    ("50万元（含）以上", "zh-Hans", 500000, "CNY", "at_least"),
    ("50万元（不含）以上", "zh-Hans", 500000, "CNY", "more_than"),
    ("3 جنيه استرليني", "ar", 3, "GBP", "exact"),
    ("42 ريالات قطرية", "ar", 42, "QAR", "exact"),
    ("42 جنيهات مصريه", "ar", 42, "EGP", "exact"),
    ("5 دنانير أردنية", "ar", 5, "JOD", "exact"),
    ("1.5 مليون ليرة تركية", "ar", 1500000, "TRY", "exact"),
    ("تحت سبعة اورو", "ar", 7, "EUR", "less_than"),
    ("بأقل من 50 دولارا", "ar", 50, "USD", "less_than"),
    ("3.42$ على الاقل", "ar", 3.42, "USD", "at_least"),
    ("under seven euros", "en", 7, "EUR", "less_than"),
    ("42 kuwaiti Dinar", "en", 42, "KWD", "exact"),
    ("NZD $100.70", "en", 100.7, "NZD", "exact"),
    ("CHF3.04", "en", 3.04, "CHF", "exact"),
    ("10MNT", "en", 10, "MNT", "exact"),
    ("۲ میلیارد دلار آمریکا", "fa", 2000000000, "USD", "exact"),
    ("تومان56,000", "fa", 56000, "IRT", "exact"),
])
def test_currency_is_the_one_the_text_names(text, lang, value, currency, qualifier):
    q = parse_quantity(text, lang)
    assert q is not None and values_match(q.value, value) and q.currency == currency and q.qualifier == qualifier, q


@pytest.mark.parametrize("text,lang", [
    ("10 جنيه", "ar"), ("1000 ريال", "ar"), ("500 دينار", "ar"), ("20 ليرة", "ar"), ("10 riyals", "en"),
    ("ten pounds", "en"), ("¥1000", "en"), ("7块", "zh-Hans"), ("補助2000萬元", "zh-TW"), ("42 bucks", "en"),
])
def test_a_currency_the_text_does_not_name_is_not_given(text, lang):
    q = parse_quantity(text, lang)
    assert q is not None and q.currency is None, q


def test_yuan_is_cny_only_where_the_text_names_no_other_yuan_currency():
    assert [q.currency for q in find_quantities("投资8200万元，其中港币3000万元", "zh-Hans")] == [None, "HKD"]
    assert [q.currency for q in find_quantities("投资8200万元，折合1100万美元", "zh-Hans")] == ["CNY", "USD"]
    assert yuan_currency("總投資2億元", "zh-HK") is None


@pytest.mark.parametrize("text,lang,value,value_max", [
    ("2——3万港币", "zh-Hans", 20000, 30000),
    ("1万(含)-5万元", "zh-Hans", 10000, 50000),
    ("两到三仟澳元", "zh-Hans", 2000, 3000),
    ("一千到两千万元人民币", "zh-Hans", 10**7, 2 * 10**7),
    ("三至五百人", "zh-Hans", 300, 500),
    ("ما بين عشرة وعشرون دولار", "ar", 10, 20),
    ("حوالي 10$-20$", "ar", 10, 20),
    ("between $5 and $10", "en", 5, 10),
    ("about $10-$20", "en", 10, 20),
    ("五块六到五块七毛八", "zh-Hans", 5.6, 5.78),
])
def test_ranges_keep_their_upper_end(text, lang, value, value_max):
    q = parse_quantity(text, lang)
    assert q is not None and values_match(q.value, value) and values_match(q.value_max, value_max), q


@pytest.mark.parametrize("text,value", [
    ("خمسة وعشرون تريليوناً", 25 * 10**12), ("ثلاثة تريليونات", 3 * 10**12), ("أربع مئات", 400),
    ("أربع مئة", 400), ("أربع مائة", 400), ("أربعمائة ألفٍ", 400000), ("ثلاثةُ ملايينٍ", 3 * 10**6),
    ("مئة ألف وألف", 101000), ("مئة مليون ومليونان", 102000000), ("3 ملايين و400 ألف", 3400000),
    ("ستمئة وستة وستون ترليونًا وتسعة مليارات", 666009000000000),
])
def test_arabic_words_with_case_endings_and_plurals_are_read_whole(text, value):
    q = parse_quantity(text, "ar")
    assert q is not None and q.value == value and q.text == text, q


def test_subunits_make_part_of_the_amount_or_flag_it():
    assert values_match(parse_quantity("十块三毛", "zh-Hans").value, 10.3)
    assert values_match(parse_quantity("六十四万零一百四十三元一角七分", "zh-Hans").value, 640143.17)
    q = parse_quantity("$20 43", "en")
    assert q.value == 20 and q.uncertain  # 43 may be its cents
    assert not parse_quantity("$20 43 people", "en").uncertain


def test_a_list_under_one_qualifier_passes_it_to_every_member():
    ar = "بلغ عدد المستشفيات حدود 885 مستشفى، 1.959 مركزا صحيا، 121 مختبرا و2.047 صيدلية"
    assert [(q.value, q.qualifier) for q in find_quantities(ar, "ar")] == [
        (885, "about"), (1959, "about"), (121, "about"), (2047, "about")]
    fa = "حدود ۸۸۵ مورد، ۱.۹۵۹ مورد، ۱۲ دی، ۲.۰۴۷ مورد"
    assert [(q.value, q.qualifier) for q in find_quantities(fa, "fa")] == [
        (885, "about"), (1959, "about"), (12, "about"), (2047, "about")]
    # a verb ends the list: the second figure is not "about"
    assert [q.qualifier for q in find_quantities("حدود ۵۰۰ نفر آمدند، ۲۰۰ نفر رفتند", "fa")] == ["about", "exact"]


def test_currency_readers_directly():
    c = currency_after("42 ريالات قطرية", 2, "ar")
    assert (c.code, c.start, c.end) == ("QAR", 3, 15)
    assert currency_before("SGD$4.90", 4, "en").code == "SGD"
    assert currency_after("3台多功能设备", 1, "zh") is None  # 台 is a classifier here, not 台币
