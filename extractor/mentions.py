"""Mentions first: every number, amount, percentage and date of an article, read before any
model call, each with a short id, its span in the ORIGINAL text and its sentence.

    Document ─clean─▶ CleanText ─split─▶ sentences (S1…)
                                └─numbers.find_quantities / numbers.find_dates─▶ Mention (Q1, M1, D1…)

The readers run on the cleaned text (what a model would be shown: no boilerplate, no inline
pinyin); every span is mapped back to the original with the cleaning's offset map, so
``document.text[m.start:m.end] == m.text`` for every mention. Amounts in a currency are
``money`` (``currency`` set, ``unit`` empty; an amount in a family of currencies, ``١٥ مليون
دينار``, has no currency and the word as its unit), other figures (percentages included) are
``quantity``; relative dates (去年, سال گذشته, last year) are resolved against the
publication date when the document has one. Ids number the mentions of each kind in text
order, so the same text always gets the same ids.

>>> from extractor.text.reading import document_from_text
>>> doc = document_from_text("2022年8月,指揮部投入資金500余萬元,培訓人員8000余人次。", detect_metadata=False)
>>> found = find_mentions(doc)
>>> [(m.id, m.text, m.value, m.qualifier, m.sentence) for m in found.mentions]  # doctest: +NORMALIZE_WHITESPACE
[('D1', '2022年8月', None, None, 'S1'), ('M1', '500余萬元', 5000000, 'more_than', 'S1'),
 ('Q1', '8000余人次', 8000, 'more_than', 'S1')]
>>> found.get("M1").currency, doc.text[found.get("M1").start:found.get("M1").end]
('CNY', '500余萬元')
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from extractor.core.types import MENTION_PREFIX, Mention, MentionKind, Sentence
from extractor.numbers.currency import is_currency_code
from extractor.numbers.dates import find_dates
from extractor.numbers.quantities import Quantity, find_quantities
from extractor.text.cleaning import CleanText, clean_text
from extractor.text.reading import Document
from extractor.text.sentences import TextSentence, split_sentences

__all__ = ["MentionSet", "find_mentions", "currency_of", "reference_date"]


def currency_of(unit: str | None) -> str | None:
    """The currency code a reader's unit names, or None for a unit that is not money (an
    abbreviation in capitals is not a currency unless ISO 4217 lists it).

    >>> currency_of("CNY"), currency_of("person_time"), currency_of("個"), currency_of("ICU")
    ('CNY', None, None, None)
    """
    return unit if unit and is_currency_code(unit) else None


def reference_date(published: str | None) -> date | None:
    """The publication date a relative date is read against (``None`` when unknown or unreadable).

    >>> reference_date("2022-09-27 10:14"), reference_date("yesterday")
    (datetime.date(2022, 9, 27), None)
    """
    if not published:
        return None
    try:
        return date.fromisoformat(published[:10])
    except ValueError:
        return None


@dataclass(frozen=True)
class MentionSet:
    """An article's mentions and sentences, with their spans in the cleaned text too (for
    rendering the text a model is shown) and lookups by id.

    ``mentions`` and ``sentences`` carry ORIGINAL spans; ``clean_spans`` and
    ``clean_sentences`` give the same items' spans in ``cleaned.text``.
    """

    mentions: tuple[Mention, ...]
    sentences: tuple[Sentence, ...]
    cleaned: CleanText
    clean_spans: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    clean_sentences: tuple[TextSentence, ...] = ()
    _by_id: dict[str, Mention] = field(default_factory=dict, init=False, repr=False, compare=False)
    _sentence_by_id: dict[str, Sentence] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_id.update({m.id: m for m in self.mentions})
        self._sentence_by_id.update({s.id: s for s in self.sentences})

    def __iter__(self) -> Iterator[Mention]:
        return iter(self.mentions)

    def __len__(self) -> int:
        return len(self.mentions)

    def get(self, mention_id: str) -> Mention | None:
        """The mention with this id (``"Q3"``; case and surrounding spaces or brackets ignored)."""
        return self._by_id.get(normalize_id(mention_id))

    def of_kind(self, kind: MentionKind) -> tuple[Mention, ...]:
        return tuple(m for m in self.mentions if m.kind == kind)

    def sentence(self, sentence_id: str | None) -> Sentence | None:
        """The sentence with this id (``"S12"``)."""
        return self._sentence_by_id.get(normalize_id(sentence_id or ""))

    def sentence_of(self, mention: Mention) -> Sentence | None:
        return self.sentence(mention.sentence)

    def original_text(self) -> str:
        return self.cleaned.original


_ID_NOISE = re.compile(r"[\s\[\]⟦⟧()【】\"'#]")


def normalize_id(mention_id: str) -> str:
    """An id as a model may write it (``"[q3]"``, ``" Q3 "``, ``"⟦Q3⟧"``) in its canonical form.

    >>> normalize_id("⟦q3⟧"), normalize_id(" [S12] ")
    ('Q3', 'S12')
    """
    return _ID_NOISE.sub("", str(mention_id)).upper()


def _sentences(cleaned: CleanText, lang: str | None) -> tuple[tuple[TextSentence, ...], tuple[Sentence, ...]]:
    clean = tuple(split_sentences(cleaned.text, lang))
    original = []
    for s in clean:
        start, end = cleaned.span_to_original(s.start, s.end)
        original.append(Sentence(id=s.id, start=start, end=end))
    return clean, tuple(original)


def _sentence_at(sentences: tuple[TextSentence, ...], starts: list[int], pos: int) -> str | None:
    i = bisect_right(starts, pos) - 1
    return sentences[i].id if i >= 0 and pos < sentences[i].end else None


@dataclass(frozen=True)
class _Found:
    """One reading in cleaned-text coordinates, before ids are given."""

    kind: MentionKind
    start: int
    end: int
    fields: dict[str, Any]
    number_end: int | None = None


def _quantity(q: Quantity) -> _Found:
    # The reader's own currency, read in context: a unit in capitals ("12 ICU beds") is not one.
    # An amount in a family of currencies (١٥ مليون دينار, 20 riyals) is money whose currency
    # the text leaves open: currency None, the word as its unit.
    currency = q.currency
    return _Found("money" if currency or q.money else "quantity", q.start, q.end, {
        "value": q.value, "value_max": q.value_max, "unit": None if currency else q.unit, "currency": currency,
        "qualifier": q.qualifier, "uncertain": q.uncertain}, q.number_end or None)


def _readings(text: str, lang: str | None, reference: date | None) -> list[_Found]:
    found = [_quantity(q) for q in find_quantities(text, lang)]
    for start, end, d in find_dates(text, lang=lang, reference=reference):
        found.append(_Found("date", start, end, {
            "date_start": d.start.isoformat() if d.start else None, "date_end": d.end.isoformat() if d.end else None,
            "granularity": d.granularity, "calendar": d.calendar, "resolved": d.resolved}))
    return _without_overlaps(found)


def _without_overlaps(found: list[_Found]) -> list[_Found]:
    """Where a date and a figure are read over the same characters, the date is kept: the
    number reader already skips what it knows to be a date, so a figure inside a date is a
    year or a day the date reader read more fully. A figure whose unit word is the first
    word of a date ("about 3,400 last year") keeps its number and loses that unit."""
    dates = [f for f in found if f.kind == "date"]
    kept = []
    for f in found:
        if f.kind == "date" or any(d.start <= f.start and f.end <= d.end for d in dates):
            continue
        cut = [d.start for d in dates if f.start < d.start < f.end]
        if cut and f.number_end is not None and f.number_end <= min(cut):
            f = _Found(f.kind, f.start, f.number_end, {**f.fields, "unit": None}, f.number_end)
        kept.append(f)
    return sorted(kept + dates, key=lambda f: (f.start, f.end, f.kind))


def find_mentions(
    document: Document | str,
    cleaned: CleanText | None = None,
    *,
    lang: str | None = None,
    reference: date | None = None,
) -> MentionSet:
    """Every number, amount, percentage and date of an article, with ids, original spans and sentences.

    ``cleaned`` is the article's :class:`CleanText` when the caller has it (the pipeline does);
    otherwise the text is cleaned here as the pipeline would. ``lang`` and ``reference``
    (the publication date, for relative dates) default to what reading found.

    >>> found = find_mentions("Beds rose by 12% to about 3,400 last year.", lang="en",
    ...                       reference=date(2024, 5, 1))
    >>> [(m.id, m.text, m.value, m.unit, m.qualifier) for m in found.of_kind("quantity")]
    [('Q1', '12%', 12, 'percent', 'exact'), ('Q2', 'about 3,400', 3400, None, 'about')]
    >>> found.of_kind("date")[0].date_start
    '2023-01-01'
    """
    if isinstance(document, str):
        text, doc_lang, published = document, None, None
    else:
        text, doc_lang, published = document.text, document.language, document.published
    lang = lang or doc_lang
    if reference is None:
        reference = reference_date(published)
    if cleaned is None:
        cleaned = clean_text(text, lang)
    elif cleaned.original != text:
        raise ValueError("find_mentions: the cleaned text was not made from this document's text")
    clean_sentences, sentences = _sentences(cleaned, lang)
    counters = dict.fromkeys(MENTION_PREFIX, 0)
    mentions: list[Mention] = []
    clean_spans: dict[str, tuple[int, int]] = {}
    starts = [s.start for s in clean_sentences]
    for f in _readings(cleaned.text, lang, reference):
        counters[f.kind] += 1
        mention_id = f"{MENTION_PREFIX[f.kind]}{counters[f.kind]}"
        start, end = cleaned.span_to_original(f.start, f.end)
        mentions.append(Mention(id=mention_id, kind=f.kind, text=text[start:end], start=start, end=end,
                                sentence=_sentence_at(clean_sentences, starts, f.start), **f.fields))
        clean_spans[mention_id] = (f.start, f.end)
    return MentionSet(tuple(mentions), sentences, cleaned, clean_spans, clean_sentences)
