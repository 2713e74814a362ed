"""Chinese numerals, with digits mixed in, decimals, approximations and ranges.

The grammar: sections below 万 built from digits and the units 十/百/千 (in falling
order, 零 marking a skipped place), multiplied by the big units 万 and 亿, which also
multiply each other (万亿 = 10¹², 万万 = 10⁸). Digits may stand for any part (3万4000,
1千零20, 200亿零四千230); 点 starts a decimal part that a later big unit scales
(三点五亿 = 3.5 × 10⁸). Spoken elision drops the last unit (三万五 = 35000, 两千六 =
2600). 多/余/几 after a unit make the figure a lower bound (十多万: more than 100000),
来 an approximation; two adjacent digits are a range (三四十: 30 to 40). Financial
numerals (壹贰叁, 拾佰仟), 两/兩/俩, 〇 and 廿 are read too.

Whatever the reader cannot read whole it does not read at all: a figure followed by more
numerals that do not continue it (3万40000), or by 兆 (10⁶ or 10¹²), gives None.

>>> [cn_to_number(s) for s in ("三点五亿", "十五点七", "3万4000", "25万6千", "三万五", "两千六", "一百零一")]
[350000000, 15.7, 34000, 256000, 35000, 2600, 101]
>>> r = read_chinese("十多万人", 0)
>>> r.value, r.approx, r.end
(Decimal('100000'), 'more_than', 3)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from extractor.numbers.normalize import DIGITS, Normalized, Reading, end_of, read_digits, to_number

__all__ = ["read_chinese", "cn_to_number", "CN_START"]

_DIGIT = {"零": 0, "〇": 0, "○": 0, "一": 1, "壹": 1, "二": 2, "贰": 2, "貳": 2, "两": 2, "兩": 2, "俩": 2, "倆": 2,
          "三": 3, "叁": 3, "參": 3, "叄": 3, "四": 4, "肆": 4, "五": 5, "伍": 5, "六": 6, "陆": 6,
          "陸": 6, "七": 7, "柒": 7, "八": 8, "捌": 8, "九": 9, "玖": 9}
_SMALL = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
_BIG = {"万": 10**4, "萬": 10**4, "亿": 10**8, "億": 10**8}
_TENS = {"廿": 20, "卅": 30}
_APPROX = {"多": "more_than", "余": "more_than", "餘": "more_than", "几": "more_than", "幾": "more_than",
           "来": "about", "來": "about"}
_POINT = "点點"
# Characters that start a numeral for the scanner.
CN_START = "".join(_DIGIT) + "".join(_SMALL) + "".join(_BIG) + "".join(_TENS)
# Consecutive digits side by side are a range (三四个, 五六万, 一两个, 两三天).
_RANGE_PAIRS = {(a, a + 1) for a in range(1, 9)}

_DIGITS = re.compile(DIGITS)
_SPACE = re.compile(r"[ \t\u202f]+")
# 点 is "o'clock" before 分/半/钟 and in 一点一滴 ("bit by bit"), not a decimal point.
_NOT_DECIMAL = re.compile(r"[点點](?:[0-9零〇一二两兩三四五六七八九十]{1,3}\s?分|半|钟|鐘|一滴)")


@dataclass(frozen=True)
class _Tok:
    kind: str  # d digit, n digits, s small unit, b big unit, z 零, p decimal part, a approx, t 廿
    value: Decimal
    start: int
    end: int
    text: str = ""


def _point_at(t: str, p: int) -> _Tok | None:
    """点 and the digits after it (CN digits read one by one, or ASCII digits)."""
    if p >= len(t) or t[p] not in _POINT or _NOT_DECIMAL.match(t, p):
        return None
    q = end_of(_SPACE, t, p + 1)
    m = re.compile(r"\d+").match(t, q)
    if m:
        return _Tok("p", Decimal("0." + m.group(0)), p, m.end())
    digits = ""
    while q < len(t) and t[q] in _DIGIT:
        digits += str(_DIGIT[t[q]])
        q += 1
    return _Tok("p", Decimal("0." + digits), p, q) if digits else None


def _token_at(t: str, p: int) -> _Tok | None:
    c = t[p] if p < len(t) else ""
    if c in _DIGIT:
        return _Tok("z" if _DIGIT[c] == 0 else "d", Decimal(_DIGIT[c]), p, p + 1, c)
    if c in _SMALL:
        return _Tok("s", Decimal(_SMALL[c]), p, p + 1, c)
    if c in _BIG:
        return _Tok("b", Decimal(_BIG[c]), p, p + 1, c)
    if c in _TENS:
        return _Tok("t", Decimal(_TENS[c]), p, p + 1, c)
    if c in _APPROX:
        return _Tok("a", Decimal(0), p, p + 1, c)
    if c in _POINT:
        if t[p + 1:p + 2] in ("多", "几", "幾"):
            return _Tok("a", Decimal(0), p, p + 2, "点多")  # 四点多: a little over four
        return _point_at(t, p)
    if c == "兆":
        return _Tok("x", Decimal(0), p, p + 1, c)  # 10^6 or 10^12: not read
    if c.isdigit():
        m = _DIGITS.match(t, p)
        v = read_digits(m.group(0), "zh") if m else None
        return _Tok("n", v, p, m.end(), m.group(0)) if m and v is not None else None
    return None


def _tokens(t: str, pos: int) -> list[_Tok]:
    """Numeral tokens from ``pos``. Spaces are crossed only next to a unit, 点 or 余
    (五百 余万, 7 万5 千), never between two digits."""
    out: list[_Tok] = []
    p = pos
    while p < len(t):
        tok = _token_at(t, p)
        if tok is None:
            sp = _SPACE.match(t, p)
            nxt = _token_at(t, sp.end()) if sp and out else None
            if nxt is None or not ({out[-1].kind, nxt.kind} & {"s", "b", "p", "a"}):
                break
            if nxt.kind == "n" and not re.match(r"[十拾百佰千仟万萬亿億]", t[nxt.end:nxt.end + 1]):
                break  # 3.5万 45%: digits after a space continue a numeral only before a unit (7萬 5千)
            tok = nxt
        if tok.kind == "a" and tok.text in "来來" and (not out or out[-1].kind != "s"):
            break  # 一来 "firstly"; 来 is "about" only after 十/百/千
        out.append(tok)
        p = tok.end
    return out


@dataclass
class _State:
    parts: list[tuple[Decimal, Decimal]] = field(default_factory=list)  # (level, value), falling
    section: Decimal = Decimal(0)
    pending: Decimal | None = None  # a digit waiting for its unit
    pending_tok: _Tok | None = None
    elide: bool = False  # the pending digit came straight after 百/千/万/亿
    last_small: Decimal | None = None
    last_unit: _Tok | None = None
    prev: _Tok | None = None
    zero: bool = False
    frac: Decimal | None = None
    approx: str | None = None
    uncertain: str | None = None

    def total(self) -> Decimal:
        return sum((v for _, v in self.parts), Decimal(0)) + self.section + (self.pending or 0)


def _elided(st: _State) -> Decimal | None:
    """三万五 = 35000: a last digit straight after 百/千/万/亿 counts in the next lower place."""
    if st.pending is None or not st.elide or st.prev is None or st.prev is not st.pending_tok or st.last_unit is None:
        return None
    if st.prev.kind == "n":
        st.uncertain = "a single digit after a unit"  # 3万5: 30005 or 35000? Not read.
        return None
    return st.pending * st.last_unit.value / 10


def _step(st: _State, tok: _Tok) -> bool:
    """Apply one token; False when it cannot continue the numeral."""
    if st.approx and tok.kind != "b" or st.frac is not None and tok.kind not in ("b", "a"):
        return False
    ok = _APPLY[tok.kind](st, tok)
    if ok:
        st.prev = tok
    return ok


def _digit(st: _State, tok: _Tok) -> bool:
    if st.pending is not None:
        return False
    after_unit = st.prev is not None and st.prev.kind in ("s", "b")
    if tok.kind == "n" and st.last_unit is not None and (tok.value >= st.last_unit.value
                                                         or tok.value != int(tok.value)):
        return False
    st.pending, st.pending_tok = tok.value, tok
    st.elide = (after_unit and not st.zero and st.last_unit is not None and st.last_unit.value >= 100
                and len(tok.text) == 1)
    return True


def _zero(st: _State, tok: _Tok) -> bool:
    if st.prev is None:
        st.pending, st.pending_tok = Decimal(0), tok
        return True
    if st.pending is not None or st.zero:
        return False
    st.zero = True
    return True


def _small(st: _State, tok: _Tok) -> bool:
    u = tok.value
    if st.last_small is not None and u >= st.last_small:
        return False
    mult = Decimal(1) if st.pending is None else st.pending
    if mult >= 10 or mult != int(mult) and (st.section or st.parts) or mult == 0:
        return False  # 12百, 零十: not numerals
    st.section += mult * u
    st.pending, st.pending_tok, st.last_small, st.last_unit, st.zero = None, None, u, tok, False
    return True


def _big(st: _State, tok: _Tok) -> bool:
    level = tok.value
    base = st.section + (st.pending or 0)
    if st.frac is not None:
        base, st.frac = base + st.frac, None
    parts = list(st.parts)
    if not base and st.prev is not None and st.prev.kind == "b" and parts:
        top_level, top_value = parts.pop()  # 万亿, 万万: the units multiply each other
        level, base = top_level * level, top_value / top_level
    elif not base and st.prev is not None and st.prev.kind != "a":
        return False
    elif st.prev is None:
        base = Decimal(1)  # 万余: only with an approximation (checked by the caller)
    while parts and parts[-1][0] < level:
        base += parts.pop()[1]
    if parts and parts[-1][0] <= level:
        return False
    st.parts = parts + [(level, base * level)]
    st.section, st.pending, st.pending_tok, st.last_small, st.last_unit, st.zero = (
        Decimal(0), None, None, None, tok, False)
    return True


def _point(st: _State, tok: _Tok) -> bool:
    el = _elided(st)
    if el is not None:
        st.pending = el
    st.section, st.pending, st.frac = st.section + (st.pending or 0), None, tok.value
    return True


def _approx(st: _State, tok: _Tok) -> bool:
    if tok.text == "点多":
        if st.prev is None or st.frac is not None:
            return False
        st.approx = "more_than"
        return True
    if st.prev is None or st.pending_tok is not None and st.pending_tok.kind == "d" or st.zero and st.prev.kind != "z":
        return False  # 几十 "some tens" is vague; 十五多 is not said
    if st.pending is not None and st.pending != int(st.pending):
        return False
    st.approx = "about" if tok.text in "来來" else "more_than"
    return True


def _tens(st: _State, tok: _Tok) -> bool:
    if st.prev is not None:
        return False
    st.section, st.last_small, st.last_unit = tok.value, Decimal(10), tok
    return True


def _refuse(st: _State, tok: _Tok) -> bool:
    return False  # 兆: 10^6 or 10^12, not read


_APPLY: dict[str, Callable[[_State, _Tok], bool]] = {
    "d": _digit, "n": _digit, "z": _zero, "s": _small, "b": _big, "p": _point, "a": _approx, "t": _tens, "x": _refuse}


def _parse(toks: list[_Tok]) -> tuple[_State, int] | None:
    """Value state after the longest prefix of ``toks`` that parses, and its length."""
    st = _State()
    n = 0
    for tok in toks:
        if not _step(st, tok):
            break
        n += 1
    if n == 0:
        return None
    if st.frac is None and st.approx is None:
        el = _elided(st)
        if el is not None:
            st.pending = el
    if st.frac is not None:
        st.section, st.frac = st.section + st.frac, None
    return st, n


def _digit_by_digit(toks: list[_Tok], counted: bool = False) -> Decimal | None:
    """二〇二四, 九○七, 一七二零点一: digits read one by one, with a zero among them, so that 一二三
    "one, two, three" and 十一五 are not read as 123 and 115; without one only when a unit or
    classifier follows (``counted``: 一一二家 is 112 firms, 一一 alone "one by one"). A leading
    zero (○○○, a masked name) is no number."""
    head = [t for t in toks if t.kind in ("d", "z")]
    rest = toks[len(head):]
    if len(head) < 3 or head[0].kind == "z" or rest and (len(rest) > 1 or rest[0].kind != "p"):
        return None
    if not counted and not any(t.kind == "z" for t in head):
        return None
    v = Decimal("".join(str(int(t.value)) for t in head))
    return v + rest[0].value if rest else v


def _split_range(toks: list[_Tok]) -> tuple[list[_Tok], list[_Tok]] | None:
    """三四十 → (三十, 四十): the token lists of the two ends of a range written as one numeral."""
    for i in range(len(toks) - 1):
        a, b = toks[i], toks[i + 1]
        if a.kind == b.kind == "d" and (int(a.value), int(b.value)) in _RANGE_PAIRS:
            if i > 0 and toks[i - 1].text in "十拾" and b.value == 5 and (i < 2 or toks[i - 2].kind != "d"):
                return None  # 十四五: the 14th Five-Year Plan, not 14 or 15
            return toks[:i + 1] + toks[i + 2:], toks[:i] + toks[i + 1:]
    return None


def read_chinese(t: str, pos: int, *, bare_ok: bool = False, counted: bool = False) -> Reading | None:
    """The Chinese numeral (digits mixed in) starting at ``pos`` of normalised text, or None.

    A reading of digits alone is left to the caller (None here). ``bare_ok`` reads a bare
    big unit as one of it (超亿元, 破万: more than one 亿 / 万); ``counted`` (a unit follows the
    numeral) reads digits one by one without a zero among them (一一二家).

    >>> r = read_chinese("约五六万人", 1)
    >>> r.value, r.value_max, r.approx
    (Decimal('50000'), Decimal('60000'), 'about')
    >>> read_chinese("3万40000", 0) is None
    True
    """
    toks = _tokens(t, pos)
    if not toks or toks[0].kind == "a":
        return None
    if all(tk.kind in ("d", "z", "p") for tk in toks) and len(toks) > 2:
        v = _digit_by_digit(toks, counted)
        return Reading(v, toks[-1].end, scaled=True) if v is not None else None
    rng = _split_range(toks)
    if rng is not None:
        return _range_reading(rng, toks)
    got = _parse(toks)
    if got is None:
        return None
    st, n = got
    if n < len(toks) or st.uncertain or toks[0].kind == "b" and st.approx is None and not bare_ok:
        return None  # a figure read only in part, or a bare 万 (unless 超/破/过 came before)
    if len(toks) == 1 and toks[0].kind == "n":
        return None  # plain digits
    value = st.total()
    weak = len(toks) == 1 and toks[0].kind in ("d", "z", "s")
    return Reading(value, toks[-1].end, scaled=not weak, approx=st.approx, words=True, weak=weak)


def _range_reading(rng: tuple[list[_Tok], list[_Tok]], toks: list[_Tok]) -> Reading | None:
    lo, hi = (_parse(r) for r in rng)
    if lo is None or hi is None or lo[1] < len(rng[0]) or hi[1] < len(rng[1]):
        return None
    if lo[0].uncertain or hi[0].uncertain:
        return None
    big = any(tk.kind in ("b", "s") for tk in toks)
    return Reading(lo[0].total(), toks[-1].end, scaled=big, approx="about", value_max=hi[0].total(),
                   words=True, weak=not big)


def cn_to_number(text: str) -> int | float | None:
    """The number that ``text`` writes from end to end in Chinese numerals, or None.

    >>> cn_to_number("一千一百一十一万一千一百一十一亿一千一百一十一万一千一百一十一")
    1111111111111111
    >>> cn_to_number("四川") is None, cn_to_number("二〇二四"), cn_to_number("零点零零一")
    (True, 2024, 0.001)
    """
    norm = Normalized(text.strip())
    r = read_chinese(norm.text, 0)
    if r is None or r.end != len(norm.text) or r.value_max is not None:
        return None  # not a numeral, not all of the text, or a range (三四 "three or four")
    return to_number(r.value)
