"""Quotes → spans in the original text (``align``), and the validator instructor re-asks with (``validation``).

``from extractor.grounding import ground_quote`` keeps working as in v0.1.
"""

from __future__ import annotations

from extractor.grounding.align import (
    MIN_FUZZY_CHARS,
    EvidenceSite,
    MapKey,
    Match,
    PathPart,
    SourceIndex,
    evidence_fields,
    fact_models,
    fact_type_of,
    ground_quote,
    iter_evidence,
)

__all__ = ["MIN_FUZZY_CHARS", "PathPart",
           "fact_models", "fact_type_of", "EvidenceSite", "MapKey", "Match", "SourceIndex", "evidence_fields",
           "iter_evidence", "ground_quote"]
