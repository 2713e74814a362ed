"""The date reader's contract, checked on generated dates: exact or abstain.

For a date, a period, a range or a relative phrase rendered the way news in each language writes
it, :func:`parse_date` returns exactly its first day, last day and granularity, or no reading
(None, or an unresolved value) — never another date, and never a period that merely contains
the right one (the week for "next Tuesday", the year for a stated day). Expected values are
computed here from the calendar libraries and ``datetime``, not from the reader.

Two properties per family: any rendering, with a neutral or a modifying word around it, is
exact or abstains; the plain rendering of a supported form is read (so the test can fail by
abstaining too much).
"""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from extractor.dates import DateValue, parse_date

DAYS = st.dates(min_value=date(1960, 1, 1), max_value=date(2060, 12, 31))
REFS = st.dates(min_value=date(1990, 1, 1), max_value=date(2060, 12, 31))

_FA = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
_AR = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
_ZH = "〇一二三四五六七八九"
_ZH_WEEKDAY = "一二三四五六日"
_AR_GREG = ["يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر", "أكتوبر", "نوفمبر", "ديسمبر"]
_LEVANT = ["كانون الثاني", "شباط", "آذار", "نيسان", "أيار", "حزيران", "تموز", "آب", "أيلول", "تشرين الأول",
           "تشرين الثاني", "كانون الأول"]
# Hijri months in the spellings news uses, with and without the hamza and the article.
_HIJRI = [["محرم", "المحرم", "محرم الحرام"], ["صفر"], ["ربيع الأول", "ربيع الاول", "ربيع أول"],
          ["ربيع الآخر", "ربيع الثاني", "ربيع آخر"], ["جمادى الأولى", "جمادى الأول", "جمادي الاولى"],
          ["جمادى الآخرة", "جمادى الثانية", "جمادى آخر"], ["رجب"], ["شعبان"], ["رمضان", "رمضان المبارك"], ["شوال"],
          ["ذو القعدة", "ذي القعدة"], ["ذو الحجة", "ذي الحجة"]]
_HARAKAT = "\u064e\u064f\u0650\u0651\u0652\u064b\u064c\u064d"
_SOLAR = ["فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور", "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند"]
_AR_WD = ["الاثنين", "الثلاثاء", "الأربعاء", "الخميس", "الجمعة", "السبت", "الأحد"]
_FA_WD = ["دوشنبه", "سه‌شنبه", "چهارشنبه", "پنجشنبه", "جمعه", "شنبه", "یکشنبه"]
_EN_WD = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_LUNAR_MONTHS = ["正", "二", "三", "四", "五", "六", "七", "八", "九", "十", "冬", "腊"]


def _zh_digits(n: int) -> str:
    return "".join(_ZH[int(c)] for c in str(n))


def _zh_small(n: int) -> str:
    tens, unit = divmod(n, 10)
    return ("" if tens == 0 else ("十" if tens == 1 else _ZH[tens] + "十")) + (_ZH[unit] if unit else "")


def _lunar_day(n: int) -> str:
    if n <= 10:
        return "初" + _zh_small(n)
    if n < 20:
        return _zh_small(n)
    if n == 20:
        return "二十"
    return "廿" + _ZH[n - 20] if n < 30 else "三十"


def _month_end(y: int, m: int) -> date:
    return (date(y + m // 12, m % 12 + 1, 1)) - timedelta(days=1)


def _exact_or_abstain(v: DateValue | None, want: tuple[date, date, str], text: str) -> None:
    if v is None or not v.resolved:
        return
    assert (v.start, v.end, v.granularity) == want, f"{text!r}: read {v.start}..{v.end} {v.granularity}, want {want}"


def _exact(v: DateValue | None, want: tuple[date, date, str], text: str) -> None:
    assert v is not None and v.resolved, f"{text!r}: no reading, want {want}"
    _exact_or_abstain(v, want, text)


# Words around the date: neutral ones keep the reading; modifying ones (a fuzzy bound, an
# open period, an unknown prefix) must make the reader abstain or keep it exact.
_AROUND = {
    "zh": [("", ""), ("据报道，", "召开会议"), ("截至", "，共"), ("", "底"), ("", "以前"), ("", "前后"), ("约", "左右"),
           ("", "第一个星期"), ("从", "到")],
    "ar": [("", ""), ("أعلنت الوزارة في ", " عن"), ("حتى ", "،"), ("أواخر ", ""), ("قبل ", ""), ("منتصف ", ""),
           ("آخر يوم من ", "")],
    "fa": [("", ""), ("به گزارش ایرنا در ", " اعلام شد"), ("اوایل ", ""), ("پایان ", ""), ("تا ", " ادامه دارد")],
    "en": [("", ""), ("The ministry said on ", " that"), ("early ", ""), ("by the end of ", ""), ("the last day of ", ""),
           ("", " to be confirmed")],
}


def _around(lang: str) -> st.SearchStrategy[tuple[str, str]]:
    return st.sampled_from(_AROUND[lang])


# ------------------------------------------------------------------------- absolute days


def _day_forms(d: date) -> list[tuple[str, str]]:
    """A day in each language's common forms. A numeric Solar date is given up to 1430 (2051):
    past it, Persian text writes a bare numeric year for the lunar Hijri calendar (docs/dates.md)."""
    import jdatetime
    from hijridate import Gregorian

    j = jdatetime.date.fromgregorian(date=d)
    h = Gregorian(d.year, d.month, d.day).to_hijri()
    hijri = _HIJRI[h.month - 1][d.toordinal() % len(_HIJRI[h.month - 1])]
    return [
        (f"{d.year}年{d.month}月{d.day}日", "zh"), (f"{_zh_digits(d.year)}年{_zh_small(d.month)}月{_zh_small(d.day)}日", "zh"),
        (f"{d.year}年{d.month:02d}月{d.day:02d}号", "zh"), (d.isoformat(), "zh"), (d.strftime("%Y/%m/%d"), "zh"),
        (f"{d.day} {_AR_GREG[d.month - 1]} {d.year}".translate(_AR), "ar"),
        (f"{d.day} {_LEVANT[d.month - 1]}، {d.year}", "ar"),
        (f"{h.day} {hijri} {h.year} هـ", "ar"),
        (f"{j.day} {_SOLAR[j.month - 1]} {j.year}".translate(_FA), "fa"),
        *([(f"{j.year}/{j.month:02d}/{j.day:02d}".translate(_FA), "fa")] if j.year <= 1430 else []),
        (d.strftime("%B %-d, %Y"), "en"), (d.strftime("%-d %B %Y"), "en"), (d.strftime("%A, %B %-d, %Y"), "en"),
    ]


def _with_harakat(text: str, seed: int) -> str:
    """Text with harakat after some Arabic letters (محرّم, رَمَضان): the month is the same."""
    out = []
    for i, c in enumerate(text):
        out.append(c)
        if "\u0621" <= c <= "\u064a" and (seed >> (i % 16)) & 1:
            out.append(_HARAKAT[(seed + i) % len(_HARAKAT)])
    return "".join(out)


@given(DAYS, st.integers(0, 2**16))
@settings(max_examples=150, deadline=None)
def test_a_written_day_reads_as_that_day(d, seed):
    for text, lang in _day_forms(d):
        _exact(parse_date(text, lang=lang), (d, d, "day"), text)
        if lang == "ar":
            decorated = _with_harakat(text, seed)
            _exact(parse_date(decorated, lang=lang), (d, d, "day"), decorated)


@given(DAYS, st.data())
@settings(max_examples=150, deadline=None)
def test_a_written_day_in_context_is_exact_or_abstains(d, data):
    for text, lang in _day_forms(d):
        pre, post = data.draw(_around(lang))
        mention = pre + text + post
        _exact_or_abstain(parse_date(mention, lang=lang), (d, d, "day"), mention)


# ------------------------------------------------------------------------- periods


@given(DAYS, st.data())
@settings(max_examples=150, deadline=None)
def test_months_years_quarters_halves(d, data):
    import jdatetime

    y, m = d.year, d.month
    q, half = (m - 1) // 3 + 1, 1 if m <= 6 else 2
    month = (date(y, m, 1), _month_end(y, m), "month")
    year = (date(y, 1, 1), date(y, 12, 31), "year")
    quarter = (date(y, 3 * q - 2, 1), _month_end(y, 3 * q), "quarter")
    halfp = (date(y, 6 * half - 5, 1), _month_end(y, 6 * half), "half")
    j = jdatetime.date.fromgregorian(date=d)
    jm_start = jdatetime.date(j.year, j.month, 1).togregorian()
    jm_end = (jdatetime.date(j.year + (j.month == 12), j.month % 12 + 1, 1).togregorian() - timedelta(days=1))
    cases = [
        (f"{y}年{m}月", "zh", month), (f"{_zh_digits(y)}年{_zh_small(m)}月", "zh", month), (f"{y}年", "zh", year),
        (f"{y}年第{_zh_small(q)}季度", "zh", quarter), (f"{y}年{'上' if half == 1 else '下'}半年", "zh", halfp),
        (f"{_AR_GREG[m - 1]} {y}", "ar", month), (f"عام {y}", "ar", year),
        (f"{_SOLAR[j.month - 1]} {j.year}".translate(_FA), "fa", (jm_start, jm_end, "month")),
        (d.strftime("%B %Y"), "en", month), (f"Q{q} {y}", "en", quarter), (f"in {y}", "en", year),
    ]
    for text, lang, want in cases:
        _exact(parse_date(text, lang=lang), want, text)
        pre, post = data.draw(_around(lang))
        _exact_or_abstain(parse_date(pre + text + post, lang=lang), want, pre + text + post)


# ------------------------------------------------------------------------- ranges


@given(DAYS, st.integers(1, 400), st.data())
@settings(max_examples=150, deadline=None)
def test_ranges_read_whole_or_not_at_all(d, span, data):
    import jdatetime

    e = d + timedelta(days=span)
    days = (d, e, "day")
    cases = [
        (f"{d.year}年{d.month}月{d.day}日至{e.year}年{e.month}月{e.day}日", "zh", days),
        (f"{d.year}年{d.month}月{d.day}日——{e.year}年{e.month}月{e.day}日", "zh", days),
        (f"{d.isoformat()} 10:30-{e.isoformat()} 17:00", "zh", days),  # two datetimes, two days
        (f"{d.year}年{d.month}月{d.day}日9时至{e.year}年{e.month}月{e.day}日17时", "zh", days),
        (f"从{d.year}年——{e.year + 1}年", "zh", (date(d.year, 1, 1), date(e.year + 1, 12, 31), "year")),
        (f"{d.strftime('%B %-d, %Y')} to {e.strftime('%B %-d, %Y')}", "en", days),
        (f"between {d.year} and {e.year + 1}", "en", (date(d.year, 1, 1), date(e.year + 1, 12, 31), "year")),
        (f"from {d.year} to {e.year + 1}", "en", (date(d.year, 1, 1), date(e.year + 1, 12, 31), "year")),
        (f"بين عامي {d.year} و{e.year + 1}", "ar", (date(d.year, 1, 1), date(e.year + 1, 12, 31), "year")),
        (f"من {d.day} {_AR_GREG[d.month - 1]} {d.year} إلى {e.day} {_AR_GREG[e.month - 1]} {e.year}", "ar", days),
    ]
    if d.month < 12 and d.year == e.year:
        m2 = max(d.month + 1, e.month)
        cases.append((f"{d.year}年{d.month}——{m2}月", "zh", (date(d.year, d.month, 1), _month_end(d.year, m2), "month")))
    if d.day < 28:
        d2 = data.draw(st.integers(d.day + 1, 28))
        end = date(d.year, d.month, d2)
        cases += [(f"{d.year}年{d.month}月{d.day}日到{d2}日", "zh", (d, end, "day")),
                  (f"{d.day}-{d2} {d.strftime('%B %Y')}", "en", (d, end, "day")),
                  (f"بين {d.day} و{d2} {_AR_GREG[d.month - 1]} {d.year}", "ar", (d, end, "day"))]
    j = jdatetime.date.fromgregorian(date=d)
    if j.day < 28:
        j2 = jdatetime.date(j.year, j.month, j.day + 1 + span % (28 - j.day))
        cases.append((f"از {j.day} تا {j2.day} {_SOLAR[j.month - 1]} {j.year}".translate(_FA), "fa",
                      (d, j2.togregorian(), "day")))
    for text, lang, want in cases:
        _exact(parse_date(text, lang=lang), want, text)
        # a range whose end is cut off must not come back as its first part
        cut = text[:len(text) - 3] if lang != "ar" else text.rsplit(" ", 2)[0]
        _exact_or_abstain_or_first(parse_date(cut, lang=lang), want, cut)


def _exact_or_abstain_or_first(v: DateValue | None, want: tuple[date, date, str], text: str) -> None:
    """A cut range: no reading, the right range, or a reading of what is left that ends before
    the range's end (the first date alone when the joiner was cut too) — never a longer one."""
    if v is None or not v.resolved:
        return
    assert v.start == want[0] or v.start is None, f"{text!r}: read {v.start}..{v.end}"


# ------------------------------------------------------------------------- relative to the reference


def _monday(ref: date, weeks: int) -> date:
    return ref - timedelta(days=ref.weekday()) + timedelta(weeks=weeks)


def _week_start(ref: date, first: int, weeks: int) -> date:
    return ref - timedelta(days=(ref.weekday() - first) % 7) + timedelta(weeks=weeks)


@given(REFS, st.integers(0, 6), st.data())
@settings(max_examples=200, deadline=None)
def test_relative_days_weeks_and_weekdays(ref, wd, data):
    import jdatetime

    def day(x: date) -> tuple[date, date, str]:
        return (x, x, "day")

    last_wd = ref - timedelta(days=(ref.weekday() - wd) % 7 or 7)
    next_wd = ref + timedelta(days=(wd - ref.weekday()) % 7 or 7)
    k = data.draw(st.sampled_from([-2, -1, 0, 1, 2]))
    zh_pre = {-2: "上上", -1: "上", 0: "这", 1: "下", 2: "下下"}[k]
    en_which = {-1: "last", 0: "this", 1: "next"}.get(k)
    sunday_week = _week_start(ref, 6, -1)
    saturday_week = _week_start(ref, 5, 1)
    nm_y, nm_m = (ref.year + ref.month // 12, ref.month % 12 + 1)
    j = jdatetime.date.fromgregorian(date=ref)
    jy, jm = (j.year + j.month // 12, j.month % 12 + 1)
    cases = [
        (f"{zh_pre}周{_ZH_WEEKDAY[wd]}", "zh", day(_monday(ref, k) + timedelta(days=wd))),
        (f"{zh_pre}个星期{_ZH_WEEKDAY[wd]}", "zh", day(_monday(ref, k) + timedelta(days=wd))),
        (f"{zh_pre}周", "zh", (_monday(ref, k), _monday(ref, k) + timedelta(days=6), "week")),
        ("大后天", "zh", day(ref + timedelta(days=3))), ("大前天", "zh", day(ref - timedelta(days=3))),
        ("下个月20号", "zh", day(date(nm_y, nm_m, 20))),
        (f"{_AR_WD[wd]} الماضي", "ar", day(last_wd)), (f"{_AR_WD[wd]} القادم", "ar", day(next_wd)),
        (f"{_AR_WD[wd]} من الأسبوع الماضي", "ar", day(sunday_week + timedelta(days=(wd - 6) % 7))),
        ("يوم قبل أمس", "ar", day(ref - timedelta(days=2))), ("أول من أمس", "ar", day(ref - timedelta(days=2))),
        ("بعد غد", "ar", day(ref + timedelta(days=2))), ("غداً", "ar", day(ref + timedelta(days=1))),
        ("العشرين من الشهر المقبل", "ar", day(date(nm_y, nm_m, 20))),
        (f"{_FA_WD[wd]} آینده", "fa", day(next_wd)), (f"{_FA_WD[wd]} گذشته", "fa", day(last_wd)),
        (f"{_FA_WD[wd]} هفته آینده", "fa", day(saturday_week + timedelta(days=(wd - 5) % 7))),
        ("پس‌فردا", "fa", day(ref + timedelta(days=2))), ("پریروز", "fa", day(ref - timedelta(days=2))),
        ("بیستم ماه آینده", "fa", day(jdatetime.date(jy, jm, 20).togregorian())),
        (f"last {_EN_WD[wd]}", "en", day(last_wd)), (f"next {_EN_WD[wd]}", "en", day(next_wd)),
        ("the day after tomorrow", "en", day(ref + timedelta(days=2))),
        ("the 20th of next month", "en", day(date(nm_y, nm_m, 20))),
    ]
    if en_which:
        cases.append((f"{_EN_WD[wd]} of {en_which} week", "en", day(_monday(ref, k) + timedelta(days=wd))))
    for text, lang, want in cases:
        _exact(parse_date(text, lang=lang, reference=ref), want, text)
        assert (v := parse_date(text, lang=lang)) is None or not v.resolved, text  # no reference: not guessed
        pre, post = data.draw(_around(lang))
        _exact_or_abstain(parse_date(pre + text + post, lang=lang, reference=ref), want, pre + text + post)


# ------------------------------------------------------------------------- Chinese lunar dates


@given(st.integers(1950, 2049), st.integers(1, 12), st.integers(1, 30), st.data())
@settings(max_examples=150, deadline=None)
def test_lunar_dates_convert_exactly(y, m, d, data):
    from lunar_python import Lunar, LunarMonth

    assume(d <= LunarMonth.fromYm(y, m).getDayCount())
    s = Lunar.fromYmd(y, m, d).getSolar()
    want = (date(s.getYear(), s.getMonth(), s.getDay()),) * 2 + ("day",)
    # Without 农历, a lunar date is told by its month (正月, 冬月, 腊月) or a day written 初N;
    # 二月十一 alone is a solar date.
    texts = [f"{y}年农历{_zh_small(m)}月{_lunar_day(d)}", f"农历{_zh_digits(y)}年{_zh_small(m)}月{_zh_small(d)}"]
    if m in (1, 11, 12) or d <= 10:
        texts.append(f"{y}年{_LUNAR_MONTHS[m - 1]}月{_lunar_day(d)}")
    for text in texts:
        _exact(parse_date(text, lang="zh"), want, text)  # type: ignore[arg-type]
        pre, post = data.draw(_around("zh"))
        _exact_or_abstain(parse_date(pre + text + post, lang="zh"), want, pre + text + post)  # type: ignore[arg-type]
