"""English cardinal numbers in words, digits with scale words and abbreviations.

Reads "two million three thousand and nineteen", "forty five hundred", "3 hundred and
21", "1,674.5 million", "13 lakh", "three lakh crore", "two and a half million", "zero
point five", and the abbreviations of financial news after digits (10k, 10M, 1MM, 2mil,
1.2bn, 10 bln, 1.59 cr). Plural scale words alone ("thousands of people") are vague and not read.

>>> words_to_number("one hundred and sixty-one"), words_to_number("Twenty-one trillion three hundred")
(161, 21000000000300)
>>> words_to_number("two and a half million"), words_to_number("thousands") is None
(2500000, True)
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Literal

from extractor.numbers.compose import WordNumber
from extractor.numbers.normalize import DIGITS, Normalized, Reading, end_of, read_digits, to_number

__all__ = ["read_english", "words_to_number", "NUMBER_WORD"]

_UNITS = {w: i for i, w in enumerate([
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
    "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"])}
_UNITS.update({"nought": 0, "naught": 0})
_TENS = {w: 10 * i for i, w in enumerate(
    ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"], 2)}
_SCALES = {"thousand": 10**3, "million": 10**6, "billion": 10**9, "trillion": 10**12,
           "lakh": 10**5, "lac": 10**5, "crore": 10**7}
# Written right after digits in financial news: 10k, 10M, 1MM, 2mil, 1.2bn, 10 bln.
_ABBREV = {"k": 10**3, "m": 10**6, "mm": 10**6, "mn": 10**6, "mln": 10**6, "mil": 10**6,
           "b": 10**9, "bn": 10**9, "bln": 10**9, "tn": 10**12, "tln": 10**12, "trn": 10**12,
           "cr": 10**7, "crs": 10**7}  # Indian news: "1.59 cr", "Rs 5 Cr" (crore)
_ABBREV_RE = re.compile(r"(?P<sp>[^\S\n]*)(?P<a>[kK]|MM|M|mm|mn|mln|mil|m|bn|bln|[bB]|tn|tln|trn|[cC]rs?|CR)"
                        r"(?![A-Za-z])")
_DIGIT_WORDS = {w: v for w, v in _UNITS.items() if v < 10} | {"oh": 0}
_ORDINAL_OR_FRACTION = re.compile(
    r"-(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|\w+th|half|halve|quarter)s?\b", re.I)

_WORD = re.compile(r"[A-Za-z]+")
_GAP = re.compile(r"[^\S\n]*(?:-[^\S\n]*(?=[A-Za-z]))?")  # spaces, or a hyphen between words
_DIGITS = re.compile(DIGITS)
_WORDS = "|".join(sorted(list(_UNITS) + list(_TENS) + list(_SCALES) + ["hundred"], key=len, reverse=True))
# Where a number in words may start, for the scanner ("a" only before a scale word).
NUMBER_WORD = re.compile(
    rf"(?i:\b(?:{_WORDS})s?\b|\ban?\s+(?=(?:hundred|thousand|million|billion|trillion|lakh|crore)\b))")


def _token(t: str, pos: int) -> tuple[str, Decimal, int, bool] | None:
    """(kind, value, end, joined by "and") of the number token after ``pos``."""
    p = end_of(_GAP, t, pos)
    joined = False
    w = _WORD.match(t, p)
    if w and w.group(0).lower() == "and":
        joined = True
        p = end_of(_GAP, t, w.end())
        w = _WORD.match(t, p)
    if p < len(t) and t[p].isdigit():
        d = _DIGITS.match(t, p)
        v = read_digits(d.group(0), "en") if d else None
        return ("digits", v, d.end(), joined) if d and v is not None else None
    if not w:
        return None
    word = w.group(0).lower()
    if word in _UNITS:
        n = _UNITS[word]
        return ("zero" if n == 0 else "u" if n < 10 else "teen"), Decimal(n), w.end(), joined
    if word in _TENS:
        return "t", Decimal(_TENS[word]), w.end(), joined
    if word in ("hundred", "hundreds"):
        return word, Decimal(100), w.end(), joined
    if word in _SCALES or word.endswith("s") and word[:-1] in _SCALES:
        plural = word.endswith("s") and word not in _SCALES
        return ("plural" if plural else "scale"), Decimal(_SCALES[word.rstrip("s")]), w.end(), joined
    if word in ("a", "an"):
        return "a", Decimal(1), w.end(), joined
    if word == "half":
        return "half", Decimal("0.5"), w.end(), joined
    if word == "point":
        return "point", Decimal(0), w.end(), joined
    return None


def _apply(n: WordNumber, kind: str, v: Decimal, joined: bool, prev: str | None) -> bool:
    if kind == "digits":
        return n.add_digits(v)
    if kind in ("u", "teen", "t", "zero"):
        return n.add(v, kind)
    if kind in ("hundred", "hundreds"):
        if prev == "digits" and not joined and not n.parts and n.group == int(n.group) and n.group < 1000:
            return n._set(n.group * 100, {"h"})  # 322 hundred
        return (kind == "hundred" or bool(n.slots)) and n.hundred(joined=joined, tens_ok=True)
    if kind in ("scale", "plural"):
        return n.scale(int(v), bare_ok=kind == "scale" and not joined, joined=joined and kind == "scale")
    if kind == "a":  # "a hundred", "a million"; "and a half" (checked by the caller)
        return n.empty and not joined or joined and prev in ("u", "teen", "t", "digits", "scale")
    if kind == "half":
        return prev == "a" and n.half()
    return False


def _decimals(t: str, pos: int) -> tuple[Decimal, int] | Literal[False] | None:
    """Digits said one by one after "point": (fraction, end); False when "point" is followed
    by something we cannot read (point seventy-one), None when there is no "point"."""
    tok = _token(t, pos)
    if tok is None or tok[0] != "point" or tok[3]:
        return None
    digits, end = "", tok[2]
    while True:
        p = end_of(_GAP, t, end)
        w = _WORD.match(t, p)
        if not w or w.group(0).lower() not in _DIGIT_WORDS:
            break
        digits += str(_DIGIT_WORDS[w.group(0).lower()])
        end = w.end()
    after = _token(t, end)
    if not digits or after is not None and after[0] in ("u", "teen", "t"):
        return False
    return Decimal("0." + digits), end


def _abbrev(t: str, end: int, value: Decimal, *, money: bool) -> tuple[Decimal, int] | None:
    """10k, 10M, 1.2bn after digits. A lower-case m glued to the digits (6.7m) is million in
    news, but may be metres: the caller marks it uncertain unless a currency comes first
    (£10m). Spaced, m and b are not read (5 m, grade 3 b)."""
    m = _ABBREV_RE.match(t, end)
    if not m:
        return None
    a = m.group("a")
    if a in ("m", "b", "B") and m.group("sp") and not money:
        return None  # 5 m is five metres; grade 3 b
    return value * _ABBREV[a.lower()], m.end()


def read_english(t: str, pos: int, *, money: bool = False) -> Reading | None:
    """The longest well-formed English number starting at ``pos`` of normalised text.

    >>> r = read_english("about 3 hundred and 21 yuan", 6)
    >>> r.value, r.end
    (Decimal('321'), 22)
    >>> read_english("10M.", 0).value, read_english("£10m", 1, money=True).value
    (Decimal('10000000'), Decimal('10000000'))
    """
    n, best, prev, count, words, end = WordNumber(), None, None, 0, False, pos
    while True:
        tok = _token(t, end)
        if tok is None:
            break
        kind, v, tok_end, joined = tok
        if count == 0 and (joined or kind in ("half", "point", "plural", "hundreds")):
            return None
        trial = n.copy()
        if not _apply(trial, kind, v, joined, prev):
            break
        if kind == "a" and joined and (_token(t, tok_end) or ("",))[0] != "half":
            break  # "one and a million" is not one number
        n, prev, count, end = trial, kind, count + 1, tok_end
        words = words or kind != "digits"
        if kind != "a":
            best = (n.copy(), end, count, words, kind)
    return _finish(t, pos, best, money=money)


def _finish(t: str, pos: int, best: tuple[WordNumber, int, int, bool, str] | None, *, money: bool) -> Reading | None:
    if best is None:
        return None
    state, end, count, words, last = best
    value = state.value()
    if _ORDINAL_OR_FRACTION.match(t, end):
        return None  # twenty-first, one-third: not cardinals
    dec = _decimals(t, end)
    if dec is False:
        return None
    if dec is not None:
        if state.parts or value != value.to_integral_value():
            return None  # "two million point five": not a way numbers are said
        value, end = value + dec[0], dec[1]
        words = True
    if not words:
        ab = _abbrev(t, end, value, money=money)
        if ab is None:
            return None  # plain digits: the caller reads those
        glued_m = t[end:ab[1]] == "m" and not money
        return Reading(ab[0], ab[1], scaled=True, uncertain="m may be metres or million" if glued_m else None)
    weak = count == 1 and t[end_of(_GAP, t, pos):end].lower() == "one"
    return Reading(value, end, scaled=bool(state.parts) or count > 1, words=True, weak=weak)


def words_to_number(text: str) -> int | float | None:
    """The number that ``text`` spells out from end to end, or None.

    >>> words_to_number("nineteen billion and nineteen"), words_to_number("zero point five")
    (19000000019, 0.5)
    >>> words_to_number("twenty-first") is None
    True
    """
    norm = Normalized(text.strip())
    r = read_english(norm.text, 0)
    if r is None or norm.text[r.end:].strip():
        return None
    return to_number(r.value)
