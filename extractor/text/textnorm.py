"""Script folding for matching, with a map from every folded character back to the original.

Matching a model's quote against a scraped page fails for reasons no reader would
notice: the page is in traditional characters and the quote in simplified, the page
writes ي where the quote writes ی, the page carries inline pinyin (報(bào)) that the
model left out, or a zero-width non-joiner is missing. ``fold`` removes those
differences and keeps, for each character it outputs, the index of the original
character it came from, so a match in the folded text is a span in the original.

>>> f = fold("道縣人民醫(yī)院")
>>> f.text
'道县人民医院'
>>> f.span_to_original(2, 6)
(2, 10)
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

__all__ = ["Folded", "fold", "fold_text", "strip_pinyin", "PINYIN_ANNOTATION", "to_ascii_digits",
           "arabic_script_pattern"]

# A parenthesised pinyin syllable right after a CJK character: 報(bào), 醫(yī), 項(xiàng).
# Requires at least one tone-marked or ü letter, or a plain syllable of latin letters
# between brackets directly attached to a Han character.
PINYIN_ANNOTATION = re.compile(
    r"(?<=[\u3400-\u9fff\uf900-\ufaff])[(（]"
    r"(?=[a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüê]*[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüê])"
    r"[a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüê]{1,7}[)）]",
    re.IGNORECASE,
)

_ZERO_WIDTH = {
    "\u200b", "\u200c", "\u200d", "\u200e", "\u200f", "\u2060", "\ufeff",
    "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069",
    "\u0640",  # tatweel
    "\u00ad",  # soft hyphen
}
_LETTER_FOLD = {
    "ي": "ی", "ى": "ی", "ئ": "ی", "ك": "ک", "ة": "ه", "ۀ": "ه", "أ": "ا", "إ": "ا",
    "آ": "ا", "ٱ": "ا", "ؤ": "و",
    "«": '"', "»": '"', "“": '"', "”": '"', "„": '"', "「": '"', "」": '"', "『": '"', "』": '"',
    "‘": "'", "’": "'", "、": ",", "，": ",", "。": ".", "：": ":", "；": ";",
    "（": "(", "）": ")", "！": "!", "？": "?", "—": "-", "–": "-", "―": "-", "－": "-",
    "٫": ".", "٬": ",", "،": ",", "؛": ";", "؟": "?",
}
_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩０１２３４５６７８９", "0123456789" * 3)


def to_ascii_digits(text: str) -> str:
    """Persian, Arabic-Indic and full-width digits to ASCII, one character for one."""
    return text.translate(_DIGITS)


@lru_cache(maxsize=1)
def _t2s() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


@lru_cache(maxsize=65536)
def _fold_char(ch: str) -> str:
    if ch in _ZERO_WIDTH:
        return ""
    out = unicodedata.normalize("NFKC", ch)
    folded = []
    for c in out:
        if unicodedata.category(c) == "Mn":  # harakat, tashdid, combining marks
            continue
        c = _LETTER_FOLD.get(c, c)
        if "\u3400" <= c <= "\u9fff" or "\uf900" <= c <= "\ufaff":
            c = _t2s().convert(c) or c
        folded.append(c.lower())
    return to_ascii_digits("".join(folded))


@dataclass(frozen=True)
class Folded:
    """Folded text plus ``to_original[i]``: the original index of folded character ``i``.

    ``to_original`` has one extra entry at the end (the original length), so that an
    exclusive end offset maps too.
    """

    text: str
    to_original: tuple[int, ...]
    original_length: int

    def span_to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a ``[start, end)`` span of the folded text to the original text."""
        if not 0 <= start <= end <= len(self.text):
            raise ValueError(f"span [{start}, {end}) outside folded text of length {len(self.text)}")
        if start == end:
            o = self.to_original[start]
            return o, o
        # End maps to just after the last original character that produced text[end-1].
        return self.to_original[start], self.to_original[end - 1] + 1


# Every character folded so far (a memo filled as characters are met; equal whichever
# thread fills it), and those among them that fold to none or several characters.
_TABLE: dict[int, str] = {}
_IRREGULAR: set[str] = set()


def _learn(chars: list[str]) -> None:
    for ch in chars:
        folded = _fold_char(ch)
        if len(folded) != 1:
            _IRREGULAR.add(ch)
        _TABLE[ord(ch)] = folded


# Whitespace a fold changes: runs of two or more, and any single one other than " ".
_SPACE_TO_COLLAPSE = re.compile(r"\s{2,}|[^\S ]")


def fold(text: str, *, drop_pinyin: bool = True, collapse_space: bool = True) -> Folded:
    """Fold ``text`` for matching (NFKC, traditional→simplified, Persian/Arabic letter
    forms, digits, case, zero-width characters, diacritics, inline pinyin, whitespace)."""
    if len(text) <= _SHORT:  # names, quotes, values: folded again and again within an article
        return _fold_short(text, drop_pinyin, collapse_space)
    return _fold(text, drop_pinyin, collapse_space)


_SHORT = 200


@lru_cache(maxsize=8192)
def _fold_short(text: str, drop_pinyin: bool, collapse_space: bool) -> Folded:
    return _fold(text, drop_pinyin, collapse_space)


def _fold(text: str, drop_pinyin: bool, collapse_space: bool) -> Folded:
    # Runs of characters that fold to exactly one each are folded by str.translate, their
    # offsets a range: Python steps only for the characters that fold to none or several
    # (zero-width, ligatures, "…") and for inline pinyin.
    chars = set(text)
    unseen = [ch for ch in chars if ord(ch) not in _TABLE]
    if unseen:
        _learn(unseen)
    cuts: list[tuple[int, int]] = []  # [start, end) of what is not a plain run
    if drop_pinyin:
        cuts = [m.span() for m in PINYIN_ANNOTATION.finditer(text)]
    irregular = chars & _IRREGULAR
    if irregular:
        cuts += [(i, i + 1) for i, ch in enumerate(text) if ch in irregular]
        cuts.sort()
    parts: list[str] = []
    idx: list[int] = []
    pos = 0
    for a, b in cuts:
        if a < pos:  # an irregular character inside pinyin already dropped
            continue
        parts.append(text[pos:a].translate(_TABLE))
        idx.extend(range(pos, a))
        if b - a == 1 and text[a] in irregular:  # (a pinyin annotation is longer: it is dropped)
            piece = _TABLE[ord(text[a])]
            parts.append(piece)
            idx.extend([a] * len(piece))
        pos = b
    parts.append(text[pos:].translate(_TABLE))
    idx.extend(range(pos, len(text)))
    folded = "".join(parts)
    if collapse_space:
        folded, idx = _collapse_space(folded, idx)
    idx.append(len(text))
    return Folded(text=folded, to_original=tuple(idx), original_length=len(text))


def _collapse_space(text: str, idx: list[int]) -> tuple[str, list[int]]:
    """Each run of whitespace as one " " (at its first character's index), none at either end."""
    lead = len(text) - len(text.lstrip())
    body = text.strip()
    if not body:
        return "", []
    idx = idx[lead:lead + len(body)]
    runs = list(_SPACE_TO_COLLAPSE.finditer(body))
    if not runs:
        return body, idx
    parts: list[str] = []
    out_idx: list[int] = []
    pos = 0
    for m in runs:
        a, b = m.span()
        parts.append(body[pos:a])
        parts.append(" ")
        out_idx.extend(idx[pos:a + 1])
        pos = b
    parts.append(body[pos:])
    out_idx.extend(idx[pos:])
    return "".join(parts), out_idx


def fold_text(text: str) -> str:
    """Only the folded string, for comparisons that need no offsets."""
    return fold(text).text


def strip_pinyin(text: str) -> str:
    """Remove inline pinyin annotations (報(bào) → 報), keeping everything else as is."""
    return PINYIN_ANNOTATION.sub("", text)


def arabic_script_pattern(phrase: str) -> str:
    """Regex for an Arabic-script phrase that accepts the Persian/Arabic letter variants
    (ی/ي/ى, ک/ك, ا/أ/إ/آ, ه/ة) and any spacing between words.

    >>> import re
    >>> bool(re.fullmatch(arabic_script_pattern("میلیون"), "ميليون"))
    True
    """
    out = []
    for ch in phrase:
        if ch in "یيى":
            out.append("[یيى]")
        elif ch in "کك":
            out.append("[کك]")
        elif ch in "اأإ":
            out.append("[اأإآ]")
        elif ch in "هة":
            out.append("[هة]")
        elif ch == " ":
            out.append(r"\s*")
        else:
            out.append(re.escape(ch))
    return "".join(out)
