"""The mentions table: every number, amount, percentage and date the readers found, one row
each, for every article — with or without a model (``tables/mentions.csv`` and ``.parquet``).

Columns: ``article_id, source, kind, id, text, value, value_max, unit, currency, qualifier,
date_start, date_end, granularity, calendar, uncertain, start, end, sentence, sentence_text``.
``start``/``end`` point into the article's file text (``text == file_text[start:end]``);
``sentence`` is the sentence id (``S3``) and ``sentence_text`` that sentence as written, so
that a row can be read without opening the article. The table is written with every
export (:func:`extractor.outputs.export.export_all`) or on its own
(:func:`extractor.outputs.export.write_mentions_table`): UTF-8 CSV with a BOM, cells
neutralised against spreadsheet formulas, and Parquet, each written atomically.

>>> line = {"article_id": "a1", "source": "003.txt", "text": "投入資金500余萬元。",
...         "mentions": [{"id": "M1", "kind": "money", "text": "500余萬元", "start": 4, "end": 10,
...                       "value": 5000000, "currency": "CNY", "qualifier": "more_than", "sentence": "S1"}],
...         "sentences": [{"id": "S1", "start": 0, "end": 11}]}
>>> row = next(mention_rows(line))
>>> row["id"], row["value"], row["qualifier"], row["sentence"], row["sentence_text"]
('M1', 5000000, 'more_than', 'S1', '投入資金500余萬元。')
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

__all__ = ["MENTIONS_TABLE", "MENTION_COLUMNS", "mention_rows"]

MENTIONS_TABLE = "mentions"
MENTION_COLUMNS = ["article_id", "source", "kind", "id", "text", "value", "value_max", "unit", "currency",
                   "qualifier", "date_start", "date_end", "granularity", "calendar", "uncertain", "start", "end",
                   "sentence", "sentence_text"]
_FROM_MENTION = MENTION_COLUMNS[2:-1]


def mention_rows(line: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The mentions table's rows of one article line (``articles.jsonl`` form: ``mentions``,
    ``sentences`` and ``text`` as the result stored them)."""
    text = line.get("text")
    sentences = {s.get("id"): s for s in line.get("sentences") or [] if isinstance(s, dict)}
    for mention in line.get("mentions") or []:
        if not isinstance(mention, dict):
            continue
        row: dict[str, Any] = {"article_id": line.get("article_id"), "source": line.get("source")}
        row.update({col: mention.get(col) for col in _FROM_MENTION})
        sentence = sentences.get(mention.get("sentence"))
        row["sentence_text"] = (text[sentence["start"]:sentence["end"]]
                                if sentence and isinstance(text, str) else None)
        yield row
