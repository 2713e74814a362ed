"""Persian and Arabic cardinal numbers in words, with digits mixed in, up to trillions.

Persian says tens before units (بیست و دو, 22) and Arabic units before tens (اثنان
وعشرون, 2 + 20); both join the parts with و, written alone or attached to the next word
(وخمسون), and Persian often leaves it out (سه هزار دویست). Arabic inflects: ثلاثة/ثلاث,
مائة/مئة, the duals ألفان/ألفين and مليونان, the plurals آلاف/ملايين after 3-10, and the
accusative ألفا/مليونا after 11-99. Spelling variants (ی/ي, ک/ك, hamza seats, ة/ه,
harakat, ZWNJ) are folded before any look-up.

>>> words_to_number("سه هزار و دویست و دوازده"), words_to_number("یک میلیون و پانصد هزار")
(3212, 1500000)
>>> words_to_number("عشرة آلاف"), words_to_number("ثلاثمائة وخمسون"), words_to_number("خمسة عشر ألفاً")
(10000, 350, 15000)
>>> words_to_number("حقوق") is None
True
"""

from __future__ import annotations

import functools
import re
from decimal import Decimal

from extractor.numbers.compose import WordNumber
from extractor.numbers.currency import is_currency_word
from extractor.numbers.normalize import DIGITS, Normalized, Reading, end_of, fold_arabic, read_digits, to_number
from extractor.numbers.vocab import COUNTERS_AR, UNITS_AR
from extractor.text.textnorm import arabic_script_pattern

__all__ = ["read_arabic_script", "words_to_number", "glued_scale_breaks", "starts_with_scale_word", "NUMBER_WORD",
           "SCALE_WORDS", "DUAL_NOUNS"]

# kind: u / teen / t / h as in WordNumber; "zero"; "hundred" (100, or a multiplier of the
# units before it); "scale"; "ten" (عشر: 10, or the teen ending after a unit); "pre_ten"
# (أحد, اثنا: only before عشر); "dual" (ألفان: two of the scale); "plural" (آلاف: only after
# a number); "acc" (ألفا: the scale after a number; alone the accusative singular, one of it:
# بلغت مليارا وخمسمائة مليون is 1.5 billion).
_FA = {
    "zero": {"صفر": 0},
    "u": {"یک": 1, "دو": 2, "سه": 3, "چهار": 4, "چار": 4, "پنج": 5, "شش": 6, "شیش": 6,
          "هفت": 7, "هشت": 8, "نه": 9},
    "teen": {"ده": 10, "یازده": 11, "دوازده": 12, "سیزده": 13, "چهارده": 14, "پانزده": 15,
             "پونزده": 15, "شانزده": 16, "شونزده": 16, "هفده": 17, "هیفده": 17, "هجده": 18,
             "هیجده": 18, "هژده": 18, "نوزده": 19},
    "t": {"بیست": 20, "سی": 30, "چهل": 40, "پنجاه": 50, "شصت": 60, "هفتاد": 70, "هشتاد": 80, "نود": 90},
    "h": {"یکصد": 100, "دویست": 200, "سیصد": 300, "چهارصد": 400, "چارصد": 400, "پانصد": 500,
          "پونصد": 500, "ششصد": 600, "شیشصد": 600, "هفتصد": 700, "هشتصد": 800, "نهصد": 900},
    "hundred": {"صد": 100},
    "scale": {"هزار": 10**3, "یکهزار": 10**3, "میلیون": 10**6, "ملیون": 10**6, "میلیارد": 10**9, "ملیارد": 10**9,
              "تریلیون": 10**12, "تریلیارد": 10**15, "همت": 10**12},  # همت: هزار میلیارد تومان
}
_AR_UNITS = {1: "واحد واحدة", 2: "اثنان اثنين اثنتان اثنتين", 3: "ثلاثة ثلاث", 4: "أربعة أربع",
             5: "خمسة خمس", 6: "ستة ست", 7: "سبعة سبع", 8: "ثمانية ثماني ثمان", 9: "تسعة تسع"}
_AR_TENS = {20: "عشرون عشرين", 30: "ثلاثون ثلاثين", 40: "أربعون أربعين", 50: "خمسون خمسين",
            60: "ستون ستين", 70: "سبعون سبعين", 80: "ثمانون ثمانين", 90: "تسعون تسعين"}
_AR_HUNDREDS = {200: "مائتان مائتين مئتان مئتين مائتا مئتا مائتي مئتي",
                300: "ثلاثمائة ثلاثمئة", 400: "أربعمائة أربعمئة", 500: "خمسمائة خمسمئة",
                600: "ستمائة ستمئة", 700: "سبعمائة سبعمئة", 800: "ثمانمائة ثمانمئة ثمانيمائة ثمانيمئة",
                900: "تسعمائة تسعمئة"}
_AR = {
    "zero": {"صفر": 0},
    "u": {w: v for v, ws in _AR_UNITS.items() for w in ws.split()},
    "pre_ten": {"أحد": 1, "إحدى": 1, "اثنا": 2, "اثني": 2, "اثنتا": 2, "اثنتي": 2},
    "ten": {"عشر": 10, "عشرة": 10},
    "t": {w: v for v, ws in _AR_TENS.items() for w in ws.split()},
    "h": {w: v for v, ws in _AR_HUNDREDS.items() for w in ws.split()},
    "hundred": {"مائة": 100, "مئة": 100, "ماية": 100},
    "scale": {"ألف": 10**3, "مليون": 10**6, "مليار": 10**9, "بليون": 10**9, "تريليون": 10**12,
              "ترليون": 10**12},
    "dual": {"ألفان": 10**3, "ألفين": 10**3, "ألفي": 10**3, "مليونان": 10**6, "مليونين": 10**6,
             "مليوني": 10**6, "ملياران": 10**9, "مليارين": 10**9, "ملياري": 10**9},
    "plural": {"آلاف": 10**3, "ملايين": 10**6, "مليارات": 10**9, "بلايين": 10**9, "بليونات": 10**9,
               "تريليونات": 10**12, "ترليونات": 10**12},
    "acc": {"ألفا": 10**3, "مليونا": 10**6, "مليارا": 10**9, "بليونا": 10**9, "تريليونا": 10**12,
            "ترليونا": 10**12},
    "dual_big": {"تريليونان": 10**12, "تريليونين": 10**12, "ترليونان": 10**12, "ترليونين": 10**12},
    # ثلاث مئات, أربع مئات: the plural of hundred after 3-9 (a form news uses beside أربعمائة)
    "hundreds": {"مئات": 100, "مئآت": 100},
    # Duals of counted nouns say "two" by themselves: خلال عامين "within two years".
    "dualnoun": {w: 2 for w in [
        "عامين", "عامان", "سنتين", "سنتان", "شهرين", "شهران", "يومين", "يومان", "أسبوعين", "أسبوعان", "ساعتين",
        "ساعتان", "دقيقتين", "دقيقتان", "مرتين", "مرتان", "قرنين", "عقدين", "مستشفيين", "مستشفيان", "طبيبين",
        "طبيبان", "مريضين", "مريضان", "مركزين", "مركزان", "طفلين", "طفلان", "شخصين", "شخصان", "جرعتين", "جرعتان",
        "سريرين", "سريران",
    ]},
}


def _table() -> dict[str, tuple[str, int]]:
    out: dict[str, tuple[str, int]] = {}
    for vocab in (_FA, _AR):
        for kind, words in vocab.items():
            for w, v in words.items():
                out.setdefault(fold_arabic(w), (kind, v))
    return out


_WORDS = _table()
SCALE_WORDS = {w for w, (k, _) in _WORDS.items() if k in ("scale", "plural", "acc", "dual", "dual_big")}
DUAL_NOUNS = {w for w, (k, _) in _WORDS.items() if k == "dualnoun"}
_HALF = {fold_arabic(w) for w in ("نیم", "نصف")}
# Words that are more often something else when they stand alone: یک "a", نه "no", ده
# "village", سی "CD/C-", شش "lung", واحد "one (pronoun)", ست "lady", سبع "lion", تسع "holds",
# عشر "a tenth", خمس "a fifth". Alone they need a unit or a qualifier to count.
_WEAK = {fold_arabic(w) for w in ("یک", "نه", "ده", "سی", "شش", "واحد", "واحدة", "ست", "سبع", "تسع", "عشر", "خمس",
                                   "ثمان")}

_LETTERS = "\u0621-\u063a\u0641-\u064a\u0671-\u06d3\u06fa-\u06ff\u064b-\u065f\u0670"
_WORD = re.compile(rf"[{_LETTERS}]+")
_GAP = re.compile(r"[^\S\n]*")
_DIGITS = re.compile(DIGITS)


def _start_pattern() -> re.Pattern[str]:
    """A number word of either language at a word start, in any spelling variant."""
    words = {w for vocab in (_FA, _AR) for kind, ws in vocab.items() if kind != "pre_ten" for w in ws}
    words |= set(_AR["pre_ten"])
    alts = sorted((arabic_script_pattern(w) for w in words), key=len, reverse=True)
    # At a word start, or right after a و glued to it (وعشرين ممرضة "and twenty nurses").
    start = rf"(?:(?<![{_LETTERS}])|(?<=(?<![{_LETTERS}])و))"
    return re.compile(rf"{start}(?:{'|'.join(alts)})(?=[\u064b-\u065f\u0670]*(?![{_LETTERS}]))")


# Where a number in words may start, for the scanner.
NUMBER_WORD = _start_pattern()


# و then an ordinal (سوم, چهارم, بیستمین): the number before it is part of the ordinal.
_ORDINAL_NEXT = re.compile(rf"\s*و\s*(?:اول|دوم|سوم|[{_LETTERS}]+(?:م|مین|ام))(?![{_LETTERS}])")
_MULTIPLIERS = ("scale", "plural", "acc", "dual", "dual_big", "hundred", "hundreds", "ten")


def _lookup(word: str) -> tuple[str, int] | None:
    return _WORDS.get(fold_arabic(word))


class _Tokens:
    """Number tokens from ``pos``: (kind, value, start, end, joined) where ``joined`` says a
    و came before the token."""

    def __init__(self, t: str, pos: int, lang: str | None) -> None:
        self.t, self.pos, self.lang = t, pos, lang

    def next(self) -> tuple[str, Decimal, int, int, bool] | None:
        t = self.t
        p = end_of(_GAP, t, self.pos)
        joined = False
        if t.startswith("و", p) and not _lookup_at(t, p):
            # و alone, or glued to the next word (وخمسون, ونصف); never the و of واحد.
            rest = _WORD.match(t, p + 1)
            if rest is None or _lookup(rest.group(0)) or fold_arabic(rest.group(0)) in _HALF:
                joined = True
                p = end_of(_GAP, t, p + 1)
        d = _DIGITS.match(t, p) if p < len(t) and t[p].isdigit() else None
        if d:
            v = read_digits(d.group(0), self.lang)
            if v is None:
                return None
            self.pos = d.end()
            return "digits", v, p, d.end(), joined
        w = _WORD.match(t, p)
        if not w:
            return None
        hit = _lookup(w.group(0))
        if hit is None:
            if joined and fold_arabic(w.group(0)) in _HALF:
                self.pos = w.end()
                return "half", Decimal("0.5"), p, w.end(), True
            return None
        self.pos = w.end()
        return hit[0], Decimal(hit[1]), p, w.end(), joined


def _lookup_at(t: str, p: int) -> bool:
    w = _WORD.match(t, p)
    return bool(w and _lookup(w.group(0)))


def _apply(n: WordNumber, kind: str, v: Decimal, joined: bool, prev: str | None, lang: str | None) -> bool:
    """Feed one token to the running number; False when it cannot continue it."""
    if kind == "digits":
        # Digits inside a number follow و (۳ میلیون و ۴۰۰ هزار); without it they start another.
        return (n.empty or joined) and n.add_digits(v)
    if kind in ("u", "teen", "t", "h", "zero"):
        return n.add(v, kind, units_first=joined and lang != "fa")
    if kind == "hundred":
        return n.hundred(joined=joined)
    if kind == "ten":  # خمسة عشر: the teen ending after a unit, else ten
        if prev in ("u", "pre_ten") and not joined and "u" in n.slots and "t" not in n.slots:
            return n._set(n.group + 10, n.slots | {"t"})
        return n.add(v, "teen")
    if kind == "pre_ten":
        return n.add(v, "u")  # checked by the caller: must be followed by عشر
    if kind in ("scale", "plural", "acc"):
        if kind == "plural" and not n.slots:
            return False  # آلاف alone is "thousands": vague
        if kind == "acc" and not n.slots and not n.after_scale:
            return n.scale(int(v))  # مليارا: "a billion" (accusative); see _ACC_DOUBT
        return n.scale(int(v), bare_ok=kind == "scale", joined=joined, same_level=kind == "scale" and not n.slots)
    if kind in ("dual", "dual_big"):
        return not n.slots and n.add(Decimal(2), "u") and n.scale(int(v), joined=joined, same_level=True)
    if kind == "hundreds":  # أربع مئات: only after a unit 3-9
        return n.slots == {"u"} and 3 <= n.group <= 9 and n.hundred(joined=False)
    if kind == "dualnoun":  # the whole figure: nothing joins it
        return n.empty and n.add(Decimal(2), "u") and n._set(n.group, {"x"})
    if kind == "half" and prev == "dualnoun":  # عامين ونصف: two and a half years
        return n._set(n.group + Decimal("0.5"), {"x"})
    if kind == "half":
        return n.half()
    return False


def read_arabic_script(t: str, pos: int, lang: str | None = None) -> Reading | None:
    """The longest well-formed number in words and digits starting at ``pos`` of normalised
    text, or None. A reading that is only digits is left to the caller.

    >>> r = read_arabic_script("حدود سه میلیون و چهارصد هزار نفر", 5)
    >>> r.value, r.end, r.scaled
    (Decimal('3400000'), 28, True)
    """
    toks = _Tokens(t, pos, lang)
    n = WordNumber()
    best: tuple[WordNumber, int, int, bool] | None = None  # (state, end, tokens read, words seen)
    before_group = None  # the best reading before the current group began
    count = 0
    prev: str | None = None
    words = False
    while True:
        tok = toks.next()
        if tok is None:
            break
        kind, v, start, end, joined = tok
        if count == 0 and (joined or kind == "half"):
            return None
        trial = n.copy()
        if not _apply(trial, kind, v, joined, prev, lang):
            if kind in _MULTIPLIERS and n.slots:
                # سه هزار و دو هزار: the group before the refused scale starts the next figure.
                best = before_group
            break
        if not n.slots and trial.slots:
            before_group = best
        n, prev, count = trial, kind, count + 1
        words = words or kind != "digits"
        if kind != "pre_ten":  # أحد alone is "someone"/"one of", not a number
            best = (n.copy(), end, count, words)
    if best is None or not best[3]:
        return None
    state, end, count, _ = best
    if state.parts and prev == "half":
        # مليون ونصف المليون: "a million and half of the million", the scale said again
        again = _HALF_OF_THE.match(t, end)
        if again:
            end = again.end()
    if _ORDINAL_NEXT.match(t, end) or _ordinal_scale_next(t, end):
        return None  # سی و سوم "thirty-third", سه هزارم "three-thousandth": ordinals
    scaled = bool(state.parts) or count > 1
    first = _WORD.match(t, end_of(_GAP, t, pos))
    doubt = _acc_doubt(first.group(0) if first else "", count)
    weak = count == 1 and first is not None and fold_arabic(first.group(0)) in _WEAK
    rng = _range_end(t, end, state, prev_kind=prev if count == 1 else None, lang=lang)
    if rng is not None:
        return Reading(state.value(), rng[1], scaled=True, words=True, value_max=rng[0], approx="about")
    return Reading(state.value(), end, scaled=scaled, words=True, weak=weak, uncertain=doubt)


# Unvowelled, ألفا/مليونا alone is the accusative singular (بلغت مليونا: one million) or the
# dual in construct (ألفا طالب: two thousand students). Tanween (ألفاً) or a و and more of the
# number after it (مليارا وخمسمائة مليون) settle it as one; otherwise one, but uncertain.
_ACC_DOUBT = "an accusative scale word alone (one of it) may be a dual in construct (two of it)"


def _acc_doubt(first: str, count: int) -> str | None:
    hit = _lookup(first)
    if hit is None or hit[0] != "acc" or count > 1 or "\u064b" in first:
        return None
    return _ACC_DOUBT


_HALF_OF_THE = re.compile("[^\\S\\n]*ال(?:" + "|".join(arabic_script_pattern(w)
                                                   for w in ("ألف", "مليون", "مليار")) + f")(?![{_LETTERS}])")


def _ordinal_scale_next(t: str, end: int) -> bool:
    """سه هزارمین: the next word is a number word with an ordinal ending."""
    w = _WORD.match(t, end_of(_GAP, t, end))
    if not w:
        return False
    f = fold_arabic(w.group(0))
    return any(f.endswith(suf) and f[:-len(suf)] in _WORDS for suf in ("مین", "م", "ام"))


def _range_end(t: str, end: int, state: WordNumber, prev_kind: str | None,
               lang: str | None) -> tuple[Decimal, int] | None:
    """دو سه روز "two or three days": two bare numbers side by side are a range."""
    if prev_kind not in ("u", "teen", "t"):
        return None
    tok = _Tokens(t, end, lang).next()
    if tok is None or tok[4] or tok[0] != prev_kind or tok[1] <= state.value():
        return None
    return tok[1], tok[3]


def words_to_number(text: str, lang: str | None = None) -> int | float | None:
    """The number that ``text`` spells out from end to end, or None.

    >>> words_to_number("نه صد و هشتاد و هفت میلیون و ششصد و پنجاه و چهار هزار و سیصد و بیست و یک")
    987654321
    >>> words_to_number("ألفين و مائتان"), words_to_number("واحد و عشرون تريليون"), words_to_number("دو و نیم میلیون")
    (2200, 21000000000000, 2500000)
    """
    norm = Normalized(text.strip())
    r = read_arabic_script(norm.text, 0, lang)
    if r is None or norm.text[r.end:].strip():
        return None
    return to_number(r.value)


# -- word breaks the text leaves out -------------------------------------------------------
# Persian joins words with a ZWNJ (یک‌میلیون, میلیارد‌تومان, هزار‌و‌پانصد), which reads as one
# word once invisible characters are cut, and typists leave the space out after a scale word
# (میلیاردتومان, هزارنفر, مليوندولار). A ZWNJ is a word break where both sides are words of a
# number (or و between two of them), or a number word and a known word after it; a scale word
# is split from a glued rest where that rest is a known word. Known words: scale words, currency
# nouns, units and counted nouns of at least three letters (shorter rests are endings: مليونين,
# ألفين). A ZWNJ before anything else stays invisible (ده‌ها "tens", میلیون‌ها "millions",
# سه‌شنبه "Tuesday"), and a glued word stays whole (هزاران, میلیاردر "billionaire", مليونية),
# as does one with no number before it (الفيوم, a city).
_SCALE_ONLY = sorted((w for w, (k, _) in _WORDS.items() if k == "scale"), key=len, reverse=True)
_TAILS = ({fold_arabic(w) for w in COUNTERS_AR} | {fold_arabic(w) for w in UNITS_AR if " " not in w}
          | set(_SCALE_ONLY))
_JOINED_RUN = re.compile(rf"(?<![{_LETTERS}\u200c\u200d\u0640])[{_LETTERS}][{_LETTERS}\u200c\u200d\u0640]*")
_NUMBER_BEFORE = re.compile(rf"(?:\d|[{_LETTERS}]+)[^\S\n]*$")


_AND = fold_arabic("و")


@functools.cache
def _fold_char(ch: str) -> str:
    return fold_arabic(ch)  # one character for one, or none (harakat, tatweel)
# Only words with a ZWNJ or that start with a scale word can hold a break (found by the ZWNJ
# or the scale word: a megabyte of Persian is full of ZWNJs, می‌شود, بیمارستان‌ها).
_SCALE_WORDS_AS_WRITTEN = {w for vocab in (_FA, _AR) for w in vocab["scale"]}
_CANDIDATE = re.compile("\u200c|(?<![" + _LETTERS + "\u200c\u200d\u0640])(?:" + "|".join(
    sorted((arabic_script_pattern(w) for w in _SCALE_WORDS_AS_WRITTEN), key=len, reverse=True))
    + ")[\u064b-\u065f\u0640]*[" + _LETTERS + "]")
_RUN_CHAR = re.compile(f"[{_LETTERS}\u200c\u200d\u0640]")


def _is_tail(word: str) -> bool:
    return len(word) >= 3 and (word in _TAILS or is_currency_word(word))


def _split_scales(folded: str) -> list[int] | None:
    """Where the pieces of ``folded`` after the first start, when it is scale words and a
    known tail (هزارمیلیاردتومان: [4, 11]), else None."""
    for w in _SCALE_ONLY:
        if not folded.startswith(w) or len(folded) == len(w):
            continue
        rest = folded[len(w):]
        if _is_tail(rest):
            return [len(w)]
        more = _split_scales(rest)
        if more is not None:
            return [len(w)] + [len(w) + k for k in more]
    return None


def _number_word(word: str) -> bool:
    hit = _WORDS.get(word)
    return hit is not None and hit[0] != "dualnoun"


def glued_scale_breaks(text: str) -> list[int]:
    """Offsets of ``text`` where a word break is left out inside a number or after a scale word
    (for :class:`Normalized`'s ``breaks``): at a ZWNJ, or before the rest glued to a scale word.

    >>> glued_scale_breaks("۲۰ میلیاردتومان"), glued_scale_breaks("۲۰ میلیارد‌تومان")
    ([10], [11])
    >>> glued_scale_breaks("۳ هزارمیلیارد ریال"), glued_scale_breaks("ده‌ها میلیون‌ها نفر")
    ([6], [])
    >>> glued_scale_breaks("یک‌میلیون نفر")
    [3]
    """
    out: list[int] = []
    done = 0
    for c in _CANDIDATE.finditer(text):
        j = c.start()
        if j < done:
            continue  # a ZWNJ of a word already seen
        while j > 0 and _RUN_CHAR.match(text, j - 1):
            j -= 1
        m = _JOINED_RUN.match(text, j)
        if m is None:
            continue
        done = m.end()
        word = m.group(0)
        if c.group(0) == "\u200c" and _lookup(word.split("\u200c", 1)[0]) is None \
                and not _CANDIDATE.match(word):
            continue  # no number word before the first ZWNJ (بیمارستان‌ها, می‌شود)
        if _lookup(word) is not None:
            continue  # یک‌صد, ألفاً: one number word as written
        # the pieces between ZWNJs, folded, with the offset of each folded letter
        pieces: list[list[tuple[int, str]]] = [[]]
        for i, ch in enumerate(word, m.start()):
            if ch == "\u200c":
                pieces.append([])
            elif f := _fold_char(ch):
                pieces[-1].append((i, f))
        pieces = [p for p in pieces if p]
        words = ["".join(c for _, c in p) for p in pieces]
        before = _NUMBER_BEFORE.search(text, max(0, m.start() - 40), m.start())
        after_number = before is not None and (before.group(0)[0].isdigit() or _number_word(
            fold_arabic(before.group(0).strip())))
        for k, w in enumerate(words):
            prev_number = after_number if k == 0 else _number_word(words[k - 1])
            split = _split_scales(w) if prev_number or (k > 0 and words[k - 1] == _AND) else None
            if split and text.startswith("ال", pieces[k][0][0]):
                split = None  # ال is the article as often as ألف without its hamza (الفيوم)
            if k > 0 and _breaks_between(words, k, split is not None):
                out.append(pieces[k][0][0])
            if split:
                out.extend(pieces[k][j][0] for j in split)
    return out


def _breaks_between(words: list[str], k: int, glued: bool) -> bool:
    """Whether the ZWNJ before ``words[k]`` separates two words of a number (or a number and
    its unit)."""
    left, right = words[k - 1], words[k]
    if left == _AND:
        return k >= 2 and _number_word(words[k - 2]) and (_number_word(right) or glued)
    if not _number_word(left):
        return False
    if right == _AND:
        return k + 1 < len(words) and _number_word(words[k + 1])
    return _number_word(right) or _is_tail(right) or glued


def starts_with_scale_word(word: str) -> bool:
    """Whether ``word`` starts with a Persian or Arabic scale word (میلیون‌ها, هزارمیلیاردتومانی).

    >>> starts_with_scale_word("میلیاردتومانی"), starts_with_scale_word("تومان")
    (True, False)
    """
    if word.startswith("ال"):
        return False  # the article (الفترة, الفقرة), as often as ألف without its hamza
    f = fold_arabic(word)
    return any(f.startswith(w) for w in _SCALE_ONLY)
