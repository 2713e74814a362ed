"""What each field of a schema is, so that every field of every fact can be grounded.

A string field is one of:

* :data:`InText` — words that must occur in the article (names, places, organisations,
  titles, members; ``list[InText]`` too). A value that is not in the article flags its
  fact ``field_not_in_text`` (:mod:`extractor.grounding.fields`).
* :data:`Label` — the model's own words by design (``measure``, ``purpose``): not checked.
* an enum (``Literal[...]`` or an ``Enum``): checked by validation.
* :class:`FromMention` — filled by the library from a mention the readers found
  (:mod:`extractor.mentions`), never typed by the model: in *label mode* the model answers
  the mention's id (``Q3``) in a :data:`MentionRef` field and the library fills the value,
  unit, qualifier, evidence and span from the reader.
* :class:`FromDocument` — a property of the article (title, outlet, publication date) that
  must agree with what reading found.

A user's schema without markers keeps working: a plain ``str`` field whose description
says "as written" is taken as :data:`InText`, any other is reported as unchecked.

The names are chosen not to clash at ``from extractor import …``: ``extractor.Span`` is the
span *model* (``[start, end)`` into the text), so the marker for "occurs in the text" is
``InText``.

>>> from typing import Annotated, Literal
>>> from pydantic import BaseModel
>>> class Beds(BaseModel):
...     hospital: InText
...     wards: list[InText] = []
...     measure: Label
...     kind: Literal["general", "icu"] = "general"
...     count: Annotated[float, FromMention("quantity")]
...     mention: MentionRef = ""
...     note: str | None = None
>>> {name: role.kind for name, role in field_roles(Beds).items()}  # doctest: +NORMALIZE_WHITESPACE
{'hospital': 'in_text', 'wards': 'in_text', 'measure': 'label', 'kind': 'enum', 'count': 'from_mention',
 'mention': 'mention_ref', 'note': 'unchecked'}
"""

from __future__ import annotations

import enum
import typing
import weakref
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from extractor.core.evidence import EVIDENCE_FIELD_NAMES, CheckedNumberMarker, EvidenceMarker

__all__ = ["InText", "Label", "MentionRef", "InTextMarker", "LabelMarker", "MentionRefMarker", "FromMention",
           "FromDocument", "FieldRole", "RoleKind", "field_roles", "markers_of", "AS_WRITTEN"]

MentionKindName = Literal["quantity", "money", "date"]
RoleKind = Literal["evidence", "in_text", "label", "enum", "from_mention", "mention_ref", "from_document", "number",
                   "unchecked", "other"]

# A plain string field whose description says this is taken as InText in a user's schema.
AS_WRITTEN = "as written"


@dataclass(frozen=True)
class InTextMarker:
    """Metadata marker: this string (or each string of this list) must occur in the article."""


@dataclass(frozen=True)
class LabelMarker:
    """Metadata marker: this string is the model's own words by design (not checked against the text)."""


@dataclass(frozen=True)
class MentionRefMarker:
    """Metadata marker: this string is a mention id (``Q3``) the readers gave; ``kind`` restricts it."""

    kind: MentionKindName | None = None


@dataclass(frozen=True)
class FromMention:
    """Metadata marker: this field is filled from a mention, never typed by the model.

    ``kind`` is the mention kind (``quantity``, ``money``, ``date``), ``attribute`` the
    mention's attribute it takes (``value``, ``value_max``, ``unit``, ``currency``,
    ``qualifier``, ``text``, ``date_start``, ``date_end``…) and ``ref`` the field that names
    the mention: in label mode the model answers that field with the mention's id, and every
    field of the same ``ref`` is filled from that one mention.

    >>> FromMention("money", "currency")
    FromMention(kind='money', attribute='currency', ref='mention')
    """

    kind: MentionKindName
    attribute: str = "value"
    ref: str = "mention"

    def __post_init__(self) -> None:
        if self.kind not in ("quantity", "money", "date"):
            raise ValueError(f"FromMention kind must be 'quantity', 'money' or 'date', not {self.kind!r}")
        if not self.ref.isidentifier():
            raise ValueError(f"FromMention ref must be a field name, not {self.ref!r}")


@dataclass(frozen=True)
class FromDocument:
    """Metadata marker: this field states a property reading found (``title``, ``outlet``,
    ``published``, ``language``); a value that differs from it is flagged."""

    attribute: Literal["title", "outlet", "published", "language"]


InText = Annotated[str, InTextMarker()]
Label = Annotated[str, LabelMarker()]
MentionRef = Annotated[str, MentionRefMarker()]


@dataclass(frozen=True)
class FieldRole:
    """What one field is: ``kind`` (see :data:`RoleKind`), the marker that says so (if any),
    and whether it holds a list of strings."""

    kind: RoleKind
    marker: Any = None
    is_list: bool = False


def markers_of(info: FieldInfo) -> list[Any]:
    """Every metadata object of a field, also those inside ``Optional[...]``/``list[...]``."""
    found = list(info.metadata)

    def visit(annotation: Any) -> None:
        if typing.get_origin(annotation) is Annotated:
            found.extend(annotation.__metadata__)
            visit(typing.get_args(annotation)[0])
            return
        for arg in typing.get_args(annotation):
            visit(arg)

    visit(info.annotation)
    return found


def _leaf_types(annotation: Any) -> tuple[set[Any], bool]:
    """The non-None leaf types of an annotation and whether a list/tuple/set wraps them."""
    leaves: set[Any] = set()
    in_list = False

    def visit(a: Any, listed: bool) -> None:
        nonlocal in_list
        origin = typing.get_origin(a)
        if origin is Annotated:
            visit(typing.get_args(a)[0], listed)
        elif origin in (list, tuple, set, frozenset):
            in_list = True
            for arg in typing.get_args(a):
                if arg is not Ellipsis:
                    visit(arg, True)
        elif origin is Literal:
            leaves.add(Literal)
        elif origin is not None:  # Union / Optional
            for arg in typing.get_args(a):
                visit(arg, listed)
        elif a is not type(None):
            leaves.add(a)

    visit(annotation, False)
    return leaves, in_list


def _role(name: str, info: FieldInfo) -> FieldRole:
    marks = markers_of(info)
    leaves, is_list = _leaf_types(info.annotation)
    for kind, cls in (("from_mention", FromMention), ("mention_ref", MentionRefMarker),
                      ("from_document", FromDocument), ("evidence", EvidenceMarker), ("in_text", InTextMarker),
                      ("label", LabelMarker)):
        marker = next((m for m in marks if isinstance(m, cls)), None)
        if marker is not None:
            return FieldRole(kind, marker, is_list)  # type: ignore[arg-type]
    if name in EVIDENCE_FIELD_NAMES and str in leaves:
        return FieldRole("evidence")
    if leaves and all(x is Literal or (isinstance(x, type) and issubclass(x, enum.Enum)) for x in leaves):
        return FieldRole("enum", None, is_list)
    if any(isinstance(m, CheckedNumberMarker) for m in marks) or (
            leaves and all(x in (int, float) for x in leaves)):
        return FieldRole("number", None, is_list)
    if leaves == {str}:
        if AS_WRITTEN in (info.description or "").lower():
            return FieldRole("in_text", None, is_list)
        return FieldRole("unchecked", None, is_list)
    return FieldRole("other", None, is_list)


def field_roles(model: type[BaseModel]) -> dict[str, FieldRole]:
    """The role of every field of one model class (not of nested models), in field order.

    >>> from pydantic import BaseModel, Field
    >>> class Clinic(BaseModel):
    ...     name: str = Field(description="Name as written in the article.")
    ...     rating: str = ""
    >>> {n: r.kind for n, r in field_roles(Clinic).items()}
    {'name': 'in_text', 'rating': 'unchecked'}
    """
    fields = model.model_fields
    known = _ROLES.get(model)
    if known is None or known[0] is not fields:  # a model_rebuild() gives new fields: read again
        known = _ROLES[model] = (fields, tuple((name, _role(name, info)) for name, info in fields.items()))
    return dict(known[1])


# The roles of each class, read once: grounding asks for them for every fact of every
# article. Weak keys: classes built on the fly (validated wrappers) are not kept alive.
_ROLES: weakref.WeakKeyDictionary[type[BaseModel], tuple[dict[str, FieldInfo], tuple[tuple[str, FieldRole], ...]]] \
    = weakref.WeakKeyDictionary()
