"""An example schema plugin: hospital bed counts, and the wards that hold them.

Install it next to extractor (``pip install -e examples/schema_plugin``) and run
``extractor run articles/ --out out --schema beds``. The class attributes are the whole
contract with extractor:

* ``schema_name`` / ``schema_version``: how results are named and versioned;
* ``fact_type``: the fact's table (``tables/bed_count.csv``);
* ``key_fields``: which fields identify a fact when scored against gold;
* ``child_tables``: one extra table with a row per ward of each fact.

Fields named ``evidence`` are grounded (a verbatim quote, with its span in the
article); ``value`` is checked against the number stated in that quote.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, Field

from extractor.core.evidence import Evidence
from extractor.core.schema import ChildTable


class BedCount(BaseModel):
    """Beds of one hospital (or one of its wards) as the article states them."""

    fact_type: ClassVar[str] = "bed_count"
    key_fields: ClassVar[tuple[str, ...]] = ("hospital", "value")
    child_tables: ClassVar[tuple[ChildTable, ...]] = (
        ChildTable("bed_count_wards", "wards", item_column="ward", parent_columns={"hospital": "hospital"}),
    )

    hospital: str = Field(description="Hospital name as written in the article.")
    value: float = Field(description="Number of beds, fully scaled.")
    qualifier: Literal["exact", "more_than", "at_least", "about", "nearly", "up_to", "less_than"] = "exact"
    wards: list[str] = Field(default_factory=list, description="Wards named with these beds, as written.")
    evidence: Evidence


class HospitalBeds(BaseModel):
    """Hospital bed counts reported by one news article."""

    schema_name: ClassVar[str] = "beds"
    schema_version: ClassVar[str] = "1.0"

    bed_counts: list[BedCount] = Field(default_factory=list[BedCount])
