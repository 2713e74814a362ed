"""Sentences of a (cleaned) news text, with exact spans: the unit a mention belongs to and
the unit a model cites (``[S12]``).

A rule splitter, chosen by measurement over pysbd and sentencex (``scripts/sentence_splitters.py``):
it splits

* after the full-width terminators ``。！？`` and the Arabic ``؟`` wherever they stand,
  after ``!`` before a Han character, and after ``. ! ? …`` only before whitespace or the end (``2.3萬`` and the
  ``艾尼外爾?艾買提`` of a scraped Uyghur name stay whole), never after a Latin
  abbreviation (``Dr.``, ``U.S.``, ``No.``) or an initial;
* at every line break, except a hard-wrapped Latin line (one that ends mid-sentence and
  whose next line starts with a lower-case letter): in scraped Chinese, Persian and
  Arabic pages a line is a paragraph, a heading or a list item (a consortium's member list).

Closing quotes and brackets after a terminator stay with their sentence; the whitespace
between sentences belongs to none. ``sentence.text == text[sentence.start:sentence.end]``.

>>> [s.text for s in split_sentences("武主任說:“一定要做心電圖。”患者轉危為安。")]
['武主任說:“一定要做心電圖。”', '患者轉危為安。']
>>> [(s.id, s.start, s.end) for s in split_sentences("Dr. Li said 2.3 million. Beds rose.")]
[('S1', 0, 24), ('S2', 25, 35)]
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["TextSentence", "split_sentences", "SPLITTER_VERSION"]

# Part of what a sentence id means: bump it when the same text splits differently.
SPLITTER_VERSION = "1"


@dataclass(frozen=True)
class TextSentence:
    """One sentence: ``id`` (``S1``, ``S2``… in text order) and ``[start, end)`` in the text split."""

    id: str
    start: int
    end: int
    text: str


# Terminators that end a sentence wherever they stand, and those that end one only before
# whitespace (or the end of the text).
_ALWAYS = "。！？؟"
_BEFORE_SPACE = ".!?…"
_CLOSERS = "”’」』\"')）】》»"
_BOUNDARY = re.compile(
    # (a full stop right before a digit starts a figure, 。.5, not the end of this sentence)
    rf"[{_ALWAYS}]+(?:[{_BEFORE_SPACE}{_ALWAYS}](?!\d))*[{_CLOSERS}]*"
    rf"|[{_BEFORE_SPACE}]+[{_CLOSERS}]*(?=\s|$)"
    # A half-width "!" in Chinese text ends a sentence too; a half-width "?" there is more
    # often a scraped name's middle dot (艾尼外爾?艾買提).
    r"|!+(?=[\u3400-\u9fff\uf900-\ufaff“「])"
    r"|\n"
)
# Latin abbreviations and initials after which a full stop does not end the sentence.
_ABBREVIATION = re.compile(
    r"(?:^|[\s(])(?:[A-Z]|Mr|Mrs|Ms|Dr|Prof|Sr|Jr|St|Mt|No|Nos|Vol|Fig|Gen|Gov|Sen|Rep|Col|Lt|Capt|Sgt|Inc|Ltd|Co|"
    r"Corp|Dept|Univ|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|vs|etc|e\.g|i\.e|approx|est|"
    r"U\.S|U\.K|U\.N|a\.m|p\.m|Rs)\.$"
)
_LATIN_LETTER = re.compile(r"[A-Za-z\u00c0-\u024f]")


def _joins_next_line(text: str, newline: int) -> bool:
    """Whether the line break at ``newline`` only wraps a Latin sentence (the next line goes on in lower case)."""
    before = text[:newline].rstrip(" \t\r")
    after = text[newline + 1:].lstrip(" \t")
    if not before or not after or after[0] == "\n":
        return False
    last, first = before[-1], after[0]
    return (first.islower() and bool(_LATIN_LETTER.match(first))
            and (bool(_LATIN_LETTER.match(last)) or last in ",;:-–(" or last.isdigit()))


def _ends_sentence(text: str, m: re.Match[str]) -> bool:
    if m.group(0) == "\n":
        return not _joins_next_line(text, m.start())
    # A full stop after an abbreviation or an initial ends nothing.
    return not (m.group(0).startswith(".") and _ABBREVIATION.search(text, max(0, m.start() - 8), m.start() + 1))


def split_sentences(text: str, lang: str | None = None) -> list[TextSentence]:
    """The sentences of ``text`` in order, ids ``S1``, ``S2``… (``lang`` is accepted for
    callers that know it; the rules hold for every script at once, since pages mix them).

    >>> [s.text for s in split_sentences("از ۶ مرکز به ۱۱ مرکز رسید. حدود ۳ میلیون نفر مراجعه کردند.")]
    ['از ۶ مرکز به ۱۱ مرکز رسید.', 'حدود ۳ میلیون نفر مراجعه کردند.']
    >>> [s.text for s in split_sentences("64家医联体成员单位名单\\n晋源区医疗集团\\n原平市医疗集团")]
    ['64家医联体成员单位名单', '晋源区医疗集团', '原平市医疗集团']
    >>> [s.text for s in split_sentences("The hospital has\\nfour wards.")]
    ['The hospital has\\nfour wards.']
    """
    del lang
    out: list[TextSentence] = []
    start = 0

    def add(end: int) -> None:
        s, e = start, end
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append(TextSentence(f"S{len(out) + 1}", s, e, text[s:e]))

    for m in _BOUNDARY.finditer(text):
        if _ends_sentence(text, m):
            add(m.end())
            start = m.end()
    add(len(text))
    return out
