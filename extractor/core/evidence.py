"""Marking the fields that hold verbatim quotes and the fields that hold numbers.

The model fills a schema; the library then grounds every *evidence* field it finds,
in any nested model, and checks every *value* field against its evidence. A field is
evidence when it is named ``evidence`` or annotated with :data:`Evidence`; a field is
a checked number when it is annotated with :data:`CheckedNumber` (or is a number named
``value`` or ``amount`` in a model that has evidence).

>>> from pydantic import BaseModel
>>> class Beds(BaseModel):
...     count: CheckedNumber
...     quote: Evidence
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from pydantic import BaseModel, Field


@dataclass(frozen=True)
class EvidenceMarker:
    """Metadata marker: this string field is a verbatim quote from the source."""


@dataclass(frozen=True)
class CheckedNumberMarker:
    """Metadata marker: this number must agree with the number stated in the evidence."""


Evidence = Annotated[
    str,
    Field(
        description=(
            "Verbatim quote copied character for character from the article that states "
            "this fact: one sentence or clause, no paraphrase, no translation."
        )
    ),
    EvidenceMarker(),
]

CheckedNumber = Annotated[float, CheckedNumberMarker()]

EVIDENCE_FIELD_NAMES = frozenset({"evidence"})
NUMBER_FIELD_NAMES = frozenset({"value", "amount", "previous_value"})


def checked_number_fields(model: type[BaseModel]) -> list[str]:
    """Fields of a model class whose value must be stated in the model's evidence."""
    out = []
    for name, info in model.model_fields.items():
        marked = any(isinstance(m, CheckedNumberMarker) for m in info.metadata)
        if marked or name in NUMBER_FIELD_NAMES:
            out.append(name)
    return out
