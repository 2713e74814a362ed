"""The article as the model is shown it in label mode and in sentence-citation mode.

* :func:`render_marked` — the cleaned text with ids in it: ``⟦Q3⟧`` right before each mention
  (``⟦Q3⟧500余萬元``) and/or ``[S12]`` at the start of each sentence. The model answers
  those ids; nothing it could copy wrongly is asked of it.
* :func:`render_table` — the cleaned text as it is, followed by a table of the mentions (id,
  the mention as written in a few characters of context). The alternative to inline markers: the
  text stays untouched, the ids cost a line each (``scripts/tokens_per_fact.py`` measures
  both on the seeds).

Both render one chunk (``start``/``end`` in the cleaned text) so that each chunk's prompt
carries the marks of its own part of the article.

>>> from extractor.mentions import find_mentions
>>> found = find_mentions("投入資金500余萬元,改造衛生院2個。培訓8000余人次。", lang="zh-Hant")
>>> render_marked(found)
'投入資金⟦M1⟧500余萬元,改造衛生院⟦Q1⟧2個。培訓⟦Q2⟧8000余人次。'
>>> render_marked(found, mention_kinds=(), sentence_ids=True)
'[S1] 投入資金500余萬元,改造衛生院2個。[S2] 培訓8000余人次。'
>>> print(render_table(found))
投入資金500余萬元,改造衛生院2個。培訓8000余人次。
<BLANKLINE>
Numbers in the text (id: [number as written] in its context):
M1: 投入資金[500余萬元],改造衛生
Q1: 改造衛生院[2個]。培訓80
Q2: 2個。培訓[8000余人次]。
"""

from __future__ import annotations

from collections.abc import Iterable

from extractor.core.types import MentionKind
from extractor.mentions import MentionSet

__all__ = ["render_marked", "render_table", "mention_marker", "sentence_marker", "QUANTITY_KINDS"]

QUANTITY_KINDS: tuple[MentionKind, ...] = ("quantity", "money")
TABLE_HEADER = "Numbers in the text (id: [number as written] in its context):"


def mention_marker(mention_id: str) -> str:
    return f"⟦{mention_id}⟧"


def sentence_marker(sentence_id: str) -> str:
    return f"[{sentence_id}] "


def _bounds(found: MentionSet, start: int, end: int | None) -> tuple[int, int]:
    n = len(found.cleaned.text)
    end = n if end is None else end
    if not 0 <= start <= end <= n:
        raise ValueError(f"range [{start}, {end}) outside the cleaned text of length {n}")
    return start, end


def _ids_in(found: MentionSet, kinds: Iterable[MentionKind], start: int, end: int) -> list[tuple[int, str]]:
    wanted = set(kinds)
    return [(found.clean_spans[m.id][0], m.id) for m in found.mentions
            if m.kind in wanted and start <= found.clean_spans[m.id][0] and found.clean_spans[m.id][1] <= end]


def render_marked(found: MentionSet, *, start: int = 0, end: int | None = None,
                  mention_kinds: Iterable[MentionKind] = QUANTITY_KINDS, sentence_ids: bool = False) -> str:
    """The cleaned text ``[start, end)`` with ``⟦id⟧`` before each mention of ``mention_kinds``
    and, with ``sentence_ids``, ``[Sn]`` before each sentence (also before a sentence the
    range starts inside of, so every line of a chunk can be cited)."""
    start, end = _bounds(found, start, end)
    text = found.cleaned.text
    marks: list[tuple[int, int, str]] = []  # (position, order at the same position, mark)
    if sentence_ids:
        for s in found.clean_sentences:
            if s.end > start and s.start < end:
                marks.append((max(s.start, start), 0, sentence_marker(s.id)))
    for pos, mention_id in _ids_in(found, mention_kinds, start, end):
        marks.append((pos, 1, mention_marker(mention_id)))
    out: list[str] = []
    last = start
    for pos, _order, mark in sorted(marks):
        out.append(text[last:pos])
        out.append(mark)
        last = pos
    out.append(text[last:end])
    return "".join(out)


def render_table(found: MentionSet, *, start: int = 0, end: int | None = None,
                 mention_kinds: Iterable[MentionKind] = QUANTITY_KINDS, context: int = 5) -> str:
    """The cleaned text ``[start, end)`` unmarked, then one line per mention of ``mention_kinds``
    in it: ``id: …context[text]context…`` (``context`` characters each side, same line)."""
    start, end = _bounds(found, start, end)
    text = found.cleaned.text
    lines = []
    for _pos, mention_id in _ids_in(found, mention_kinds, start, end):
        s, e = found.clean_spans[mention_id]
        before = text[max(start, s - context):s].split("\n")[-1]
        after = text[e:min(end, e + context)].split("\n")[0]
        lines.append(f"{mention_id}: {before}[{text[s:e]}]{after}")
    body = text[start:end]
    if not lines:
        return body
    return body + "\n\n" + TABLE_HEADER + "\n" + "\n".join(lines)
