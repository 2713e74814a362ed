"""What a schema declares about its facts, so that a user's schema gets the same exports
and evaluation as the built-in one. All optional class attributes on the fact models:

``fact_type: ClassVar[str]``
    The fact's type and the name of its table (default: the class name in snake case).
``key_fields: ClassVar[tuple[str, ...]]``
    The fields that identify a fact when it is matched against gold annotations
    (default: ``("name",)`` when the model has a ``name`` field, else every number field).
``child_tables: ClassVar[tuple[ChildTable, ...]]``
    Extra tables with one row per item of a list field (a consortium's members).

>>> from typing import ClassVar
>>> from pydantic import BaseModel
>>> class Alliance(BaseModel):
...     child_tables: ClassVar[tuple[ChildTable, ...]] = (
...         ChildTable("alliance_members", "members", item_column="member", parent_columns={"alliance": "name"}),)
...     name: str
...     members: list[str] = []
>>> child_tables_of(Alliance)[0].name
'alliance_members'
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["ChildTable", "child_tables_of", "key_fields_of"]


@dataclass(frozen=True)
class ChildTable:
    """One row per item of the list field ``field`` of each fact.

    Each row has the fact's article, source and index, the columns of ``parent_columns``
    (column name → field of the fact), ``index_column`` (the item's position),
    ``item_column`` (the item itself) and the fact's evidence.
    """

    name: str
    field: str
    item_column: str = "item"
    index_column: str | None = None
    parent_columns: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def columns(self) -> list[str]:
        """The table's columns after the article, source and fact index."""
        return [*self.parent_columns, self.index_column or f"{self.item_column}_index", self.item_column, "evidence"]

    def rows(self, fact: Mapping[str, Any]) -> list[dict[str, Any]]:
        """The rows of one fact (as stored: ``data`` and ``evidence``), without the article columns."""
        data = fact.get("data") or {}
        items = data.get(self.field) or []
        parents = {col: data.get(name) for col, name in self.parent_columns.items()}
        index = self.index_column or f"{self.item_column}_index"
        return [{**parents, index: i, self.item_column: item, "evidence": fact.get("evidence")}
                for i, item in enumerate(items)]


def child_tables_of(model: type) -> tuple[ChildTable, ...]:
    """The child tables a fact model declares (none by default)."""
    return tuple(getattr(model, "child_tables", ()) or ())


def key_fields_of(model: type) -> tuple[str, ...]:
    """The fields that identify a fact of this model when matched against gold."""
    declared = getattr(model, "key_fields", None)
    if declared:
        return tuple(declared)
    fields = getattr(model, "model_fields", {})
    if "name" in fields:
        return ("name",)
    return tuple(n for n, f in fields.items() if f.annotation in (int, float, int | None, float | None)) or ("name",)
