"""v0.1 names whose behaviour now lives on the schema, kept for code written against v0.1.

v0.1 hard-coded the built-in schema's evaluation keys and its consortium member rows;
both are now declared by the schema (``key_fields``, ``child_tables``), and these two
names read them from the built-in schema. The shims ``extractor/evaluation.py`` and
``extractor/export.py`` forward ``KEY_FIELDS`` and ``member_rows`` here (:mod:`extractor._v01_paths`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from extractor.core.schema import child_tables_of, key_fields_of
from extractor.grounding.align import fact_models, fact_type_of

__all__ = ["KEY_FIELDS", "member_rows"]


def _builtin_fact_models() -> list[type]:
    from extractor.schemas.health_news import HealthNewsArticle

    return fact_models(HealthNewsArticle)


# Imported only when old code asks for one of these names (through the forwarder).
KEY_FIELDS: dict[str, tuple[str, ...]] = {fact_type_of(m): key_fields_of(m) for m in _builtin_fact_models()}


def member_rows(line: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """One row per member of each consortium fact of one ``articles.jsonl`` line (v0.1 columns)."""
    tables = {fact_type_of(m): child_tables_of(m) for m in _builtin_fact_models()}
    for index, fact in enumerate(line.get("facts") or []):
        if fact.get("type") != "consortium":
            continue
        for table in tables.get("consortium", ()):
            for row in table.rows(fact):
                yield {"article_id": line["article_id"], "source": line["source"], "fact_index": index, **row}
