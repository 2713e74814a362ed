"""Normalisation shared by the number and date readers, and the reading of digit strings.

Text is scanned in a normalised copy: every digit script folded to ASCII one character for
one (Persian ۱۲۳, Arabic-Indic ١٢٣, full-width １２３), invisible characters and inline pinyin
removed, with a map back to the original offsets so that every span found is a span of
the text the caller gave. Digit strings are then read with every grouping convention that
news in the five languages uses.

>>> n = Normalized("門診(zhěn)۲۰۰۰人")
>>> n.text, n.span(2, 6)
('門診2000人', (8, 12))
>>> read_digits("12,34,567.89", "en"), read_digits("۱۲٬۵۰۰", "fa"), read_digits("1 234 567", "en")
(Decimal('1234567.89'), Decimal('12500'), Decimal('1234567'))
"""

from __future__ import annotations

import html
import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from extractor.text.textnorm import PINYIN_ANNOTATION, to_ascii_digits

__all__ = ["Normalized", "Reading", "fold_arabic", "read_digits", "DIGITS", "MAX_DIGITS", "to_number", "end_of"]

# Longer digit runs are identifiers or garbage, never quantities.
MAX_DIGITS = 30

_INVISIBLE = re.compile("[\u200b-\u200f\u2060\ufeff\u202a-\u202e\u2066-\u2069\u0640\u00ad]+"
                        # harakat inside a word (مليونًا, مُستشفى): the word is then found as written
                        # without them; a tanween at the end (ألفاً) is kept, it tells the case
                        "|[\u064b-\u0652](?=[\u0621-\u064a])")
# One for one, so offsets survive: full-width punctuation becomes ASCII. The typographic spaces
# used to group digits (no-break, narrow no-break, thin, figure) all become one narrow no-break
# space: grouping with it is certain, with a plain space it is not.
_ONE_FOR_ONE = str.maketrans({"％": "%", "．": ".", "\u00a0": "\u202f", "\u3000": " ", "\u2009": "\u202f",
                              "\u2007": "\u202f", "－": "-", "～": "~", "：": ":"})
# A full-width comma between full-width digits groups thousands (４，５６５); between ASCII
# digits it is a clause comma of Chinese text and stays one.
_FW_GROUP = re.compile("(?<=[０-９])，(?=[０-９]{3}(?![０-９]))")


class Normalized:
    """``text`` normalised for scanning, with :meth:`orig` mapping offsets back.

    >>> Normalized("٤٥‌٠").text
    '450'
    >>> n = Normalized("۲۰ میلیاردتومان", breaks=[10])
    >>> n.text, n.span(3, 10), n.span(11, 16)
    ('20 میلیارد تومان', (3, 10), (10, 15))
    >>> n = Normalized("$5&nbsp;million &#8364;")
    >>> n.text, n.span(0, 10), n.span(11, 12)
    ('$5\u202fmillion €', (0, 15), (16, 23))
    """

    __slots__ = ("text", "_nstarts", "_ostarts", "_ends")
    # What is cut out of the text (a subclass scanning for something else may cut other things).
    CUTS: tuple[re.Pattern[str], ...] = (PINYIN_ANNOTATION, _INVISIBLE)

    def __init__(self, original: str, *, breaks: Iterable[int] = ()) -> None:
        # An edit (a, b, repl) puts repl (one character or none) for original[a:b]: a cut, an
        # HTML character reference read as its character (5&nbsp;million, A&amp;E, &#160;, in
        # plain text scraped from pages), or with a == b a space inserted before original
        # offset a, a word break the text leaves out (a ZWNJ cut as invisible, or no space at
        # all: ۲۰ میلیاردتومان). Insertions sort before a cut at the same offset.
        edits = sorted([(a, a, " ") for a in breaks]
                       + [(*m.span(), "") for pattern in self.CUTS for m in pattern.finditer(original)]
                       + list(_entities(original)))
        parts: list[str] = []
        self._nstarts = [0]
        self._ostarts = [0]
        self._ends: dict[int, int] = {}  # where a replaced character ends in the original
        pos = npos = 0
        for a, b, repl in edits:
            if a < pos and (repl or b <= pos):
                continue  # inside a cut or a reference
            a = max(a, pos)  # overlapping cuts
            parts.append(original[pos:a])
            npos += a - pos
            if repl:
                self._nstarts.append(npos)
                self._ostarts.append(a)
                self._ends[npos] = b
                parts.append(repl)
                npos += 1
            pos = b
            self._nstarts.append(npos)
            self._ostarts.append(pos)
        parts.append(original[pos:])
        self.text = self.fold("".join(parts))

    def fold(self, kept: str) -> str:
        """The one-for-one folding of what was kept (a subclass may fold differently)."""
        return to_ascii_digits(_FW_GROUP.sub(",", kept)).translate(_ONE_FOR_ONE)

    def orig(self, i: int) -> int:
        """Original offset of normalised offset ``i``."""
        k = bisect_right(self._nstarts, i) - 1
        return self._ostarts[k] + (i - self._nstarts[k])

    def span(self, a: int, b: int) -> tuple[int, int]:
        """Original span of normalised ``[a, b)``; the end follows the last kept character,
        so pinyin after a unit (個(gè)) stays outside the span, and a character reference
        (&euro;) inside it."""
        if b <= a:
            o = self.orig(a)
            return o, o
        end = self._ends.get(b - 1)
        return self.orig(a), end if end is not None else self.orig(b - 1) + 1


# &name; &#160; &#xA0;: only those that stand for one character are read.
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")


def _entities(text: str) -> Iterable[tuple[int, int, str]]:
    if "&" not in text:
        return
    for m in _ENTITY.finditer(text):
        ch = html.unescape(m.group(0))
        if len(ch) == 1 and ch != m.group(0):
            yield m.start(), m.end(), ch


_AR_FOLD = str.maketrans("يىكأإةآٱئؤۀ", "ییکااهاایوه")
_HARAKAT = re.compile("[\u064b-\u065f\u0670\u0640\u200c\u200d\\s]")


def fold_arabic(word: str) -> str:
    """Arabic-script spelling variants folded together for dictionary look-ups: Arabic ي/ى and
    Persian ی, ك and ک, the alef and hamza seats, ة and ه; harakat, tatweel, ZWNJ and spaces
    dropped.

    >>> fold_arabic("ألفاً") == fold_arabic("الفا"), fold_arabic("یک‌صد") == fold_arabic("يكصد")
    (True, True)
    """
    return _HARAKAT.sub("", word).translate(_AR_FOLD)


# Grouped digits, most specific first.
DIGITS = (
    r"\d{1,2}(?:,\d{2})+,\d{3}(?![\d,])(?:\.\d+)?"    # Indian: 12,34,567.89
    r"|\d{1,3}(?:\.\d{3}){2,}(?![\d.])"               # 1.234.567: dots can only group
    r"|\d{1,3}(?:\u202f\d{3})+(?!\d)(?!\u202f\d)(?:[.٫]\d+)?"  # 1 234 567 with typographic spaces
    r"|\d{1,3}(?: \d{3})+(?!\d)(?! \d)(?:[.٫]\d+)?"   # the same with plain spaces (uncertain)
    r"|\d+(?:[,٬]\d{3}(?!\d))*(?:[.٫]\d+)?"            # 1,234,567.89 / ١٢٬٥٠٠٫٥
    r"|(?<![\d.])[.٫]\d+"                               # .5
)


def read_digits(s: str, lang: str | None = None) -> Decimal | None:
    """A digit string in any grouping convention, or None when it is not one number.

    In Persian and Arabic text a dot followed by exactly three digits groups thousands
    (۸.۴۵۰ تخت is 8450 beds); elsewhere, and with other lengths, it is a decimal point.

    >>> read_digits("8.450", "fa"), read_digits("8.450", "en"), read_digits("١٢٫٥")
    (Decimal('8450'), Decimal('8.450'), Decimal('12.5'))
    """
    s = to_ascii_digits(s)
    if sum(c.isdigit() for c in s) > MAX_DIGITS:
        return None
    if s.count(".") >= 2:
        s = s.replace(".", "")
    s = s.replace(",", "").replace("٬", "").replace(" ", "").replace("\u202f", "")
    if "٫" in s:  # the Arabic decimal separator is never a thousands separator
        s = s.replace("٫", ".")
    elif "." in s:
        head, frac = s.split(".", 1)
        if lang in ("fa", "ar") and len(frac) == 3 and head not in ("", "0"):
            s = head + frac
    try:
        return Decimal(s)
    except InvalidOperation:
        return None


def end_of(pattern: re.Pattern[str], text: str, pos: int) -> int:
    """Where ``pattern`` matched at ``pos`` ends, or ``pos`` when it does not match there.

    >>> end_of(re.compile(r"\\s*"), "a   b", 1)
    4
    """
    m = pattern.match(text, pos)
    return m.end() if m else pos


def to_number(d: Decimal) -> int | float:
    """An int when whole, else a float (the public values are plain numbers).

    >>> to_number(Decimal("23000.0")), to_number(Decimal("2.5"))
    (23000, 2.5)
    """
    return int(d) if d == d.to_integral_value() else float(d)


@dataclass(frozen=True)
class Reading:
    """One figure read from normalised text by a script's reader.

    ``scaled`` is True when the figure carries a scale or multiplier (万, هزار, million,
    a multi-character numeral): such a figure counts even without a unit. ``approx`` is a
    qualifier written inside the figure (十多万 → ``more_than``). ``value_max`` closes a
    range written as one numeral (三四十 → 30 to 40). ``uncertain`` says why the reading
    may be wrong, for the number check to flag instead of correcting.
    """

    value: Decimal
    end: int
    scaled: bool = False
    approx: str | None = None
    value_max: Decimal | None = None
    uncertain: str | None = None
    words: bool = False
    weak: bool = False  # a lone word that is often not a number (یک "a", واحد "one", 一)
