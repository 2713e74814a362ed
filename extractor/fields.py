"""``extractor.fields``: the markers that say what each field of a schema is.

The code lives in :mod:`extractor.core.fields` (markers) and :mod:`extractor.core.evidence`
(``Evidence``, ``CheckedNumber``).

>>> from typing import Annotated
>>> from pydantic import BaseModel
>>> from extractor.fields import Evidence, FromMention, InText, Label, MentionRef
>>> class Beds(BaseModel):
...     hospital: InText
...     measure: Label
...     count: Annotated[float, FromMention("quantity")]
...     mention: MentionRef = ""
...     evidence: Evidence = ""
"""

from __future__ import annotations

from extractor.core.evidence import CheckedNumber, Evidence
from extractor.core.fields import (
    FieldRole,
    FromDocument,
    FromMention,
    InText,
    Label,
    MentionRef,
    field_roles,
)

__all__ = ["CheckedNumber", "Evidence", "FieldRole", "FromDocument", "FromMention", "InText", "Label", "MentionRef",
           "field_roles"]
