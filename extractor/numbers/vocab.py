"""Words around a figure: qualifiers, units, signs, in the five languages.

Qualifiers follow the languages' own definitions. In Chinese 以上/以下/以内 include the
stated number and 超过/不满/不足 exclude it (Civil Code of the PRC, art. 1259): so
85%以上 is ``at_least`` 85 and 超过100人 is ``more_than`` 100. The same split holds in
the other languages: at least / حداقل / على الأقل include, more than / بیش از / أكثر من
exclude; up to / 最多 / حداکثر include the upper bound, less than / 不足 / کمتر از /
أقل من exclude it.

>>> PRE_QUALIFIERS["zh"]["不足"], POST_QUALIFIERS["以上"], PRE_QUALIFIERS["en"]["under"]
('less_than', 'at_least', 'less_than')
"""

from __future__ import annotations

__all__ = ["AR_VERB_QUALIFIERS",
           "VAGUE_BEFORE_SCALE", "HALF_BEFORE_SCALE", "FRACTIONS_BEFORE_SCALE", "FRACTION_WORDS", "PRE_QUALIFIERS",
           "POST_QUALIFIERS",
           "UNITS_ZH", "CLASSIFIERS_ZH", "UNITS_AR", "UNITS_EN", "COUNTERS_AR", "STOP_AR", "STOP_EN",
           "NEG_WORDS", "FUSED_ZH"]


def _words(s: str) -> list[str]:
    """A word list written as one string, for vocabulary that reads better as text."""
    return s.split()


def _by_word(table: dict[str, str]) -> dict[str, str]:
    return {w: q for q, words in table.items() for w in words.split("|")}


# Written before the number. Each alternative must end right before it (or before 有/为/达).
PRE_QUALIFIERS: dict[str, dict[str, str]] = {
    "zh": _by_word({
        "more_than": "超过|超過|逾|突破|超|多于|多於|高于|高於|大于|大於|破|过|過",
        "at_least": "至少|不少于|不少於|不低于|不低於|最少|起码|起碼",
        "up_to": "不超过|不超過|最多|至多|不高于|不高於|最高|最高达|最高達",
        "less_than": "不足|不到|少于|少於|低于|低於|不满|不滿|未满|未滿|小于|小於",
        "about": "约为|約為|约合|約合|约有|約有|大约|大約|约|約|大概|大致|差不多",
        "nearly": "将近|將近|接近|近乎|近",
    }),
    "ar": _by_word({
        "more_than": "بیش از|بیشتر از|افزون بر|متجاوز از|بالغ بر|بالای|أكثر من|ما يزيد على|ما يزيد عن|يزيد على|"
                     "يزيد عن|تزيد على|تزيد عن|ما يزيد|ما يربو على|يربو على|تربو على|أزيد من|بیش‌از|فوق|"
                     # verbs: "exceeding", "surpassing" (تجاوزت 100: more than 100)
                     "يتجاوز|تتجاوز|تجاوز|تجاوزت|يتخطى|تتخطى|تخطى|تخطت|يفوق|تفوق|ما يفوق|فاق|فاقت",
        "at_least": "حداقل|دست کم|دستکم|ما لا يقل عن|لا يقل عن|لا تقل عن|على الأقل|على الاقل",
        # "did not exceed": at most the figure
        "up_to": "حداکثر|حد اکثر|ما يصل إلى|ما يصل الى|حتى|تا سقف|لم يتجاوز|لم تتجاوز|لا يتجاوز|لا تتجاوز|"
                 "لم يتعد|لم تتعد|لا يتعدى|لا تتعدى",
        "less_than": "کمتر از|كمتر از|زیر|أقل من|اقل من|ما دون|تحت",
        "about": "در حدود|حدودا|حدوداً|حدود|تقریبا|تقریباً|حوالي|حوالى|نحو|زهاء|تقريبا|تقريباً|قرابة|في حدود",
        "nearly": "نزدیک به|قریب به|نزدیک|ما يقارب|يقارب|تقارب|ما يناهز|يناهز|تناهز|ناهز|ناهزت|ما يقرب من|يقرب من",
    }),
    "en": _by_word({
        "more_than": "more than|over|above|upwards of|in excess of|exceeding|greater than|more then",
        "at_least": "at least|no fewer than|no less than|a minimum of|minimum of|not less than|not fewer than",
        "up_to": "up to|no more than|at most|a maximum of|maximum of|not more than|not exceeding",
        "less_than": "less than|fewer than|under|below|lower than",
        "about": "about|around|approximately|approx.|roughly|some|circa|ca.|~",
        "nearly": "nearly|almost|close to|just under|nigh on",
    }),
}
# قرابة is "about" in Gulf usage and "nearly" in Levantine news; the issue lists it under about.
PRE_QUALIFIERS["ar"]["قرابة"] = "about"
# Arabic verbs of comparison that may have their subject between them and the figure
# (لم يتجاوز العدد ست حالات: "the number did not exceed six cases").
AR_VERB_QUALIFIERS = {w for w in PRE_QUALIFIERS["ar"] if w.split()[-1] in (
    "يتجاوز", "تتجاوز", "تجاوز", "تجاوزت", "يتخطى", "تتخطى", "تخطى", "تخطت", "يفوق", "تفوق", "فاق", "فاقت",
    "يتعد", "تتعد", "يتعدى", "تتعدى", "ناهز", "ناهزت", "يناهز", "تناهز", "بلغ")}

# Written after the number and its unit (50人以上, 1小时左右, ۵۰ نفر به بالا, 50 or more).
POST_QUALIFIERS: dict[str, str] = {
    "以上": "at_least", "及以上": "at_least", "或以上": "at_least", "左右": "about", "上下": "about",
    "前后": "about", "前後": "about", "以内": "up_to", "以內": "up_to", "以下": "up_to", "及以下": "up_to",
    "之内": "up_to", "之內": "up_to", "之多": "up_to", "开外": "more_than", "開外": "more_than",
    "有余": "more_than", "有餘": "more_than", "多": "more_than", "余": "more_than", "餘": "more_than",
    "به بالا": "at_least", "و بیشتر": "at_least", "یا بیشتر": "at_least", "فأكثر": "at_least",
    "أو أكثر": "at_least", "او أكثر": "at_least", "على الأقل": "at_least", "تقریبا": "about",
    "تقریباً": "about", "تقريباً": "about", "تقريبا": "about",
    "or more": "at_least", "or over": "at_least", "and over": "at_least", "and above": "at_least",
    "or so": "about", "plus": "at_least", "+": "at_least", "at least": "at_least",
    "or fewer": "up_to", "or less": "up_to", "and under": "up_to", "and below": "up_to",
}

# 超亿元, 破万, 过亿, 逾千: a qualifier fused with a bare unit (one of it).
FUSED_ZH = "超过|超過|突破|超|破|过|過|逾|近|将近|將近|接近"

UNITS_ZH: dict[str, str] = {
    "人次": "person_time", "人": "person", "名": "person", "位": "person",
    "平方米": "m2", "平米": "m2", "㎡": "m2", "平方公里": "km2", "公里": "km", "公顷": "ha",
    "公頃": "ha", "米": "m", "公斤": "kg", "千克": "kg", "吨": "t", "噸": "t",
    "个百分点": "percentage_point", "個百分點": "percentage_point", "百分点": "percentage_point",
    "百分點": "percentage_point", "小时": "hour", "小時": "hour", "个月": "month", "個月": "month",
    "天": "day", "年": "year", "周岁": "year", "週歲": "year", "周": "week", "週": "week", "%": "percent",
    "摄氏度": "celsius", "攝氏度": "celsius", "℃": "celsius", "‰": "per_mille",
}
CLASSIFIERS_ZH = _words("例 次 家 个 個 项 項 所 台 臺 辆 輛 张 張 床 期 处 處 批 支 条 條 种 種 组 組 类 類 "
                         "室 部 件 份 篇 座 间 間 栋 棟 户 戶 套 倍 款 岁 歲 床位 张床 張床 余次 村 镇 鎮 乡 鄉 "
                         "县 縣 届 屆 轮 輪 场 場 副 层 層 颗 顆 株 头 頭 只 隻 门 門 节 節 册 冊 名次 幅 "
                         "斤 双 雙 对 對 块 塊 蚊 元钱 分钟 分鐘 秒 瓶 盒 支 剂 劑 针 針 箱 袋 包 辆次 架")

# Currencies are read by extractor.numbers.currency, not from these tables.
UNITS_AR: dict[str, str | None] = {
    "درصد": "percent", "در صد": "percent", "بالمئة": "percent", "بالمائة": "percent",
    "في المئة": "percent", "في المائة": "percent", "فی صد": "percent", "٪": "percent", "%": "percent",
    "نفر": "person", "شخص": "person", "أشخاص": "person", "نسمة": "person",
    "متر مربع": "m2", "مترمربع": "m2", "متر": "m", "کیلومتر": "km", "كيلومتر": "km",
    "هکتار": "ha", "هكتار": "ha",
}
# Nouns that make a lone ambiguous number word (یک, نه, ده, واحد) count.
COUNTERS_AR = set(_words("""نفر مورد تن روز ماه سال هفته ساعت دقیقه بار عدد برابر بیمار پزشک پرستار تخت مرکز
بیمارستان درمانگاه کودک زن مرد شخص أشخاص مريض مرضى طبيب أطباء سرير أسرة مستشفى مستشفيات مركز مراكز يوم
أيام شهر أشهر سنة سنوات عام أعوام ساعة ساعات مرة مرات حالة حالات طفل أطفال امرأة رجل"""))
STOP_AR = {"و", "در", "از", "به", "با", "که", "تا", "را", "این", "آن", "هم", "نیز", "برای", "بر",
           "یا", "اما", "است", "بود", "شد", "في", "من", "إلى", "الى", "على", "عن", "او", "أو", "ثم",
           "مع", "هذا", "هذه", "التي", "الذي", "كان", "قد", "لا", "ما", "هو", "هي", "تنها", "فقط",
           # the first words of qualifiers, which belong to the next figure (۱۴۰۳ حدود ۹ درصد)
           "حدود", "حدودا", "حدوداً", "بیش", "بیشتر", "کمتر", "حداقل", "حداکثر", "نزدیک", "تقریبا", "تقریباً",
           "حوالي", "نحو", "أكثر", "أقل", "قرابة", "زهاء", "تقريبا", "تقريباً"}

UNITS_EN: list[tuple[str, str]] = [
    (r"%|per\s*cent|percent|pct\b", "percent"),
    (r"square\s+met(?:re|er)s?|sq\.?\s?m\b|sqm\b|m²|m2\b", "m2"),
    (r"km²|km2\b|square\s+kilomet(?:re|er)s?", "km2"),
    (r"people\b|persons\b|individuals\b", "person"), (r"person[- ]times\b", "person_time"),
]
STOP_EN = set(_words("""a an the of and or in on at to for by from with as is are was were be been
that this these those which who per than more less about over under up percent out into its it their
his her our we they he she new you i me him them us can cannot could should would will shall may might
must do does did has have had am not no"""))

# Words that make the figure after them negative.
NEG_WORDS = "负|負|零下|منفی|سالب|ناقص|minus|negative"

# Before a bare scale word, words that make it vague: "several thousand", چند هزار, ده‌ها هزار
# (ZWNJ is removed before matching), عدة آلاف.
VAGUE_BEFORE_SCALE = ("several|a few|few|many|some|tens of|hundreds of|dozens of|thousands of|multiple|"
                      "چند|چندین|دهها|صدها|هزاران|عدة|بضعة|بضع|عشرات|مئات|آلاف")
# Before a bare scale word, "half": نیم میلیون, نصف مليون, half a million.
HALF_BEFORE_SCALE = "نیم|نصف|half a|half an|half"
# Before a bare scale word, a fraction of it (a quarter of a million, ربع مليون, یک چهارم میلیون):
# the phrase (words separated by spaces, any spacing or a hyphen when written) and
# (numerator, denominator). "half" is HALF_BEFORE_SCALE; a bare ordinal ("the third million")
# is no fraction, so English and Persian ones need their numerator (but "quarter").
def _fractions() -> dict[str, tuple[int, int]]:
    out: dict[str, tuple[int, int]] = {}
    en_num = {"a": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
              "nine": 9}
    en_den = {3: ("third", "thirds"), 4: ("quarter", "quarters"), 5: ("fifth", "fifths"), 6: ("sixth", "sixths"),
              7: ("seventh", "sevenths"), 8: ("eighth", "eighths"), 9: ("ninth", "ninths"), 10: ("tenth", "tenths")}
    for word, n in en_num.items():
        for d, (one, many) in en_den.items():
            if n < d:
                out[f"{word} {one if n == 1 else many}"] = (n, d)
    out["quarter"] = (1, 4)
    fa_num = {"یک": 1, "دو": 2, "سه": 3, "چهار": 4, "پنج": 5, "شش": 6, "هفت": 7, "هشت": 8, "نه": 9}
    fa_den = {"سوم": 3, "چهارم": 4, "پنجم": 5, "ششم": 6, "هفتم": 7, "هشتم": 8, "نهم": 9, "دهم": 10}
    for word, n in fa_num.items():
        for den, d in fa_den.items():
            if n < d:
                out[f"{word} {den}"] = (n, d)
    # خمس/عشر (a fifth/tenth) are also the numerals five/ten: not here.
    out.update({"ربع": (1, 4), "ثلث": (1, 3), "ثلثا": (2, 3), "ثلثي": (2, 3), "ثلاثة أرباع": (3, 4),
                "ثلاث أرباع": (3, 4)})
    return out


FRACTIONS_BEFORE_SCALE: dict[str, tuple[int, int]] = _fractions()
# After a number, words that make it the numerator of a fraction: دو سوم, ثلاثة أرباع, two thirds.
FRACTION_WORDS = set(_words("""دوم سوم چهارم پنجم ششم هفتم هشتم نهم دهم صدم هزارم
أرباع أثلاث أخماس أسداس أسباع أثمان أتساع أعشار ثلثا ثلثي ربعا ربعي
half halves third thirds quarter quarters fifth fifths sixth sixths seventh sevenths eighth eighths
ninth ninths tenth tenths hundredth hundredths thousandth thousandths"""))
