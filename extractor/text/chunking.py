"""Token-budgeted chunks of a (cleaned) text, with offsets and overlap.

Token counts are estimated, not computed with a tokenizer: no download, no network,
and the estimate errs on the high side so a chunk never overflows the real budget.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Chunk", "estimate_tokens", "chunk_text"]


@dataclass(frozen=True)
class Chunk:
    """``text == chunked_text[start:end]``; ``index`` counts from 0."""

    index: int
    text: str
    start: int
    end: int


def _is_dense(ch: str) -> bool:
    """Characters that BPE tokenizers spend about one token (or more) on."""
    o = ord(ch)
    return (
        0x2E80 <= o <= 0x9FFF  # CJK radicals, kana, Han
        or 0xF900 <= o <= 0xFAFF
        or 0xFF00 <= o <= 0xFFEF  # full-width forms
        or 0xAC00 <= o <= 0xD7AF  # Hangul
        or 0x0590 <= o <= 0x08FF  # Hebrew, Arabic, Syriac, Thaana, Arabic supplements
        or 0xFB1D <= o <= 0xFDFF
        or 0xFE70 <= o <= 0xFEFF
        or 0x0400 <= o <= 0x04FF  # Cyrillic: ~1 token per 2 chars, counted as 1 (conservative)
    )


def estimate_tokens(text: str) -> int:
    """Conservative token estimate: ~1 per CJK/Arabic-script character, ~1 per 4 other
    characters (ASCII letters, digits, spaces), rounded up.

    >>> estimate_tokens("道縣人民醫院"), estimate_tokens("120 beds"), estimate_tokens("café")
    (6, 2, 2)
    """
    # Counted by the regex engine, not a Python step per character (an article is
    # estimated several times while it is chunked).
    non_ascii = len(text) - len(text.encode("ascii", "ignore"))
    dense = len(text) - len(_DENSE_RUNS.sub("", text)) if non_ascii else 0
    # Other non-ASCII (accented Latin, symbols, punctuation like “ ”): ~1 per 2.
    other = len(text) - non_ascii + 2 * (non_ascii - dense)
    return dense + (other + 3) // 4


# Runs of the characters of _is_dense.
_DENSE_RUNS = re.compile("[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\uac00-\ud7af\u0590-\u08ff\ufb1d-\ufdff"
                         "\ufe70-\ufeff\u0400-\u04ff]+")


# Sentence ends: CJK/Arabic/Latin terminators (a Latin '.' only before whitespace, so
# decimals like 3.4 are not split), optionally followed by closing quotes/brackets.
_SENTENCE_END = re.compile(r"(?:[。！？!?؟…]+|\.(?=\s))[”’」』\"')）]*|\n")
_PARAGRAPH = re.compile(r"\n[ \t]*\n+")


def _split_points(text: str, start: int, end: int, pattern: re.Pattern[str]) -> list[int]:
    return [m.end() for m in pattern.finditer(text, start, end) if start < m.end() < end]


def _fit_end(text: str, start: int, limit: int, max_tokens: int) -> int:
    """Largest end in (start, limit] whose text fits ``max_tokens``, preferring paragraph,
    then sentence boundaries, then a hard cut."""
    # Hard limit first: the furthest end that fits, found by walking characters.
    tokens_dense = 0
    other = 0
    hard = start
    for i in range(start, limit):
        ch = text[i]
        if ch.isascii():
            other += 1
        elif _is_dense(ch):
            tokens_dense += 1
        else:
            other += 2
        if tokens_dense + (other + 3) // 4 > max_tokens:
            break
        hard = i + 1
    if hard >= limit:
        return limit
    hard = max(hard, start + 1)  # always progress, even when one char exceeds the budget
    for pattern in (_PARAGRAPH, _SENTENCE_END):
        points = _split_points(text, start, hard + 1, pattern)
        points = [p for p in points if p <= hard]
        # Only accept a boundary that keeps the chunk reasonably full (>= 1/3 of the
        # budget); otherwise one short paragraph would yield a tiny chunk.
        good = [p for p in points if estimate_tokens(text[start:p]) >= max_tokens // 3]
        if good:
            return good[-1]
    return hard


def _overlap_start(text: str, end: int, floor: int, overlap_tokens: int) -> int:
    """Start of the next chunk: ``overlap_tokens`` before ``end``, moved to a sentence
    start when one is near, never at or before ``floor`` (the previous chunk's start)."""
    if overlap_tokens <= 0:
        return end
    i = end
    while i > floor + 1 and estimate_tokens(text[i - 1 : end]) <= overlap_tokens:
        i -= 1
    # Prefer beginning the overlap at a sentence boundary inside the window.
    # A boundary that would leave almost no overlap (a long last sentence) is not used.
    points = [
        p for p in _split_points(text, i, end, _SENTENCE_END)
        if estimate_tokens(text[p:end]) >= overlap_tokens // 3
    ]
    if points:
        return points[0]
    return i


def chunk_text(text: str, *, max_tokens: int, overlap_tokens: int = 200) -> list[Chunk]:
    """Split ``text`` into chunks of at most ``max_tokens`` estimated tokens.

    One chunk when the whole text fits. Otherwise cuts at paragraph boundaries, then
    sentence boundaries (。！？!?.؟ and newlines), and hard-cuts a single sentence longer
    than the budget. Consecutive chunks overlap by about ``overlap_tokens`` so a fact
    spanning a cut is seen whole at least once. Chunks cover the whole text and
    ``chunk.text == text[chunk.start:chunk.end]``.
    """
    if max_tokens < 1:
        raise ValueError(f"max_tokens must be >= 1, got {max_tokens}")
    if overlap_tokens < 0:
        raise ValueError(f"overlap_tokens must be >= 0, got {overlap_tokens}")
    # An overlap close to the budget would make chunks advance by a few characters.
    overlap_tokens = min(overlap_tokens, max_tokens // 2)
    n = len(text)
    if estimate_tokens(text) <= max_tokens:
        return [Chunk(0, text, 0, n)]
    chunks: list[Chunk] = []
    start = 0
    while start < n:
        end = _fit_end(text, start, n, max_tokens)
        chunks.append(Chunk(len(chunks), text[start:end], start, end))
        if end >= n:
            break
        nxt = _overlap_start(text, end, start, overlap_tokens)
        start = nxt if start < nxt < end else end
    return chunks
