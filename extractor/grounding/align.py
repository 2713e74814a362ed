"""Evidence → span in the source text, with an alignment status.

Models paraphrase, switch scripts, drop pinyin or a zero-width joiner, and sometimes
invent a quote. We fold both sides (:mod:`extractor.text.textnorm`) and look for the quote:
an exact match of the folded strings is ``exact``; otherwise the best partial match
above a threshold (rapidfuzz) is ``fuzzy``; otherwise ``none`` — and a fact with
``none`` is never presented as grounded.

The walker (:func:`iter_evidence`) finds evidence fields in *any* schema: a field named
``evidence`` or annotated with :data:`extractor.core.evidence.Evidence`, at any depth.
"""

from __future__ import annotations

import re
import unicodedata
import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from pydantic import BaseModel
from rapidfuzz import fuzz

from extractor.core.evidence import EVIDENCE_FIELD_NAMES, EvidenceMarker
from extractor.core.types import Alignment
from extractor.text.textnorm import Folded, fold

__all__ = [
    "evidence_problems",
    "fact_models",
    "fact_type_of",
    "EvidenceSite",
    "MapKey",
    "Match",
    "SourceIndex",
    "evidence_fields",
    "iter_evidence",
    "ground_quote",
]

# Quotes shorter than this (folded) are matched exactly only: a fuzzy match of "12"
# somewhere in an article proves nothing.
MIN_FUZZY_CHARS = 6


def evidence_fields(model: type[BaseModel]) -> list[str]:
    """Names of the evidence fields of one model class (not nested ones)."""
    fields = model.model_fields
    known = _EVIDENCE_FIELDS.get(model)
    if known is None or known[0] is not fields:  # a model_rebuild() gives new fields: read again
        names = tuple(name for name, info in fields.items()
                      if name in EVIDENCE_FIELD_NAMES or any(isinstance(m, EvidenceMarker) for m in info.metadata))
        known = _EVIDENCE_FIELDS[model] = (fields, names)
    return list(known[1])


# Read once per class (grounding walks every answer with it); weak keys, as classes come and go.
_EVIDENCE_FIELDS: weakref.WeakKeyDictionary[type[BaseModel], tuple[dict[str, Any], tuple[str, ...]]] = \
    weakref.WeakKeyDictionary()


def fact_type_of(model: type[BaseModel]) -> str:
    """A fact model's type name: its ``fact_type`` class attribute, else its class name
    in snake case (``BedCount`` → ``bed_count``)."""
    declared = getattr(model, "fact_type", None)
    if isinstance(declared, str):
        return declared
    return re.sub(r"(?<!^)(?=[A-Z])", "_", model.__name__).lower()


def schema_models(schema: type[BaseModel]) -> list[type[BaseModel]]:
    """Every model class inside ``schema``, itself first (at any depth, through lists, dicts
    and optionals), each once."""
    import typing

    found: list[type[BaseModel]] = []

    def visit(annotation: Any) -> None:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation in found:
                return
            found.append(annotation)
            for info in annotation.model_fields.values():
                visit(info.annotation)
            return
        for arg in typing.get_args(annotation):
            visit(arg)

    visit(schema)
    return found


def fact_models(schema: type[BaseModel]) -> list[type[BaseModel]]:
    """Every model class inside ``schema`` (at any depth, through lists, dicts and
    optionals) that carries evidence: the kinds of fact the schema can produce."""
    return [m for m in schema_models(schema) if evidence_fields(m)]


def evidence_problems(schema: type[BaseModel]) -> list[str]:
    """Why no fact of ``schema`` could ever be grounded, or ``[]``: no model inside it has an
    evidence field (named ``evidence`` or typed :data:`~extractor.core.evidence.Evidence`),
    or one has an evidence field that cannot hold a quote (``evidence: int``).

    >>> class Beds(BaseModel):
    ...     count: int
    ...     evidence: int
    >>> evidence_problems(Beds)
    ["Beds.evidence is typed int: evidence must be a str (a verbatim quote), e.g. 'evidence: Evidence'"]
    """
    problems: list[str] = []
    for model in fact_models(schema):
        for name in evidence_fields(model):
            annotation = model.model_fields[name].annotation
            if not _holds_text(annotation):
                shown = getattr(annotation, "__name__", None) or repr(annotation).replace("typing.", "")
                problems.append(f"{model.__name__}.{name} is typed {shown}: evidence must be a str (a verbatim "
                                "quote), e.g. 'evidence: Evidence'")
    if not problems and not fact_models(schema):
        problems.append("no model in it has an evidence field: give each fact model a field "
                        "'evidence: Evidence' (from extractor import Evidence), the verbatim quote that states it")
    return problems


def _holds_text(annotation: Any) -> bool:
    """Whether a field annotation takes a quote: ``str``, optionally ``None``, or string literals."""
    import types
    import typing

    if annotation is str:
        return True
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Literal:
        return all(isinstance(a, str) for a in args)
    if origin in (typing.Union, types.UnionType):
        kinds = [a for a in args if a is not type(None)]
        return bool(kinds) and all(_holds_text(a) for a in kinds)
    return False


@dataclass(frozen=True)
class MapKey:
    """A dict key in a path, kept as the original object (an ``int`` key is not a list index)."""

    key: Any


PathPart = str | int | MapKey  # attribute name | list index | dict key


@dataclass(frozen=True)
class EvidenceSite:
    """One model instance that carries evidence, and where it sits in the result."""

    path: tuple[PathPart, ...]  # ('quantities', 3)
    owner: BaseModel
    field: str
    quote: str

    @property
    def path_str(self) -> str:
        out = ""
        for p in self.path:
            if isinstance(p, int):
                out += f"[{p}]"
            else:
                name = p.key if isinstance(p, MapKey) else p
                out += f".{name}" if out else str(name)
        return out or "$"

    @property
    def in_list(self) -> bool:
        """Whether the owner is a list item (and so can be removed from the result)."""
        return bool(self.path) and isinstance(self.path[-1], int)


def iter_evidence(obj: Any, path: tuple[PathPart, ...] = ()) -> Iterator[EvidenceSite]:
    """Every evidence-bearing model inside ``obj``, depth first, in field order."""
    if isinstance(obj, BaseModel):
        fields = evidence_fields(type(obj))
        for name in fields:
            quote = getattr(obj, name)
            if isinstance(quote, str) or quote is None:
                yield EvidenceSite(path, obj, name, quote or "")
        for name in type(obj).model_fields:
            if name in fields:
                continue
            yield from iter_evidence(getattr(obj, name), path + (name,))
    elif isinstance(obj, (list, tuple)):
        for i, item in enumerate(obj):
            yield from iter_evidence(item, path + (i,))
    elif isinstance(obj, dict):
        for k, v in obj.items():
            yield from iter_evidence(v, path + (MapKey(k),))


@dataclass(frozen=True)
class Match:
    start: int
    end: int
    alignment: Alignment
    score: float
    all_exact: tuple[tuple[int, int], ...] = ()


def base_letter(ch: str) -> str:
    """``ch`` without its accents when it is an accented Latin letter (one character for one).

    >>> base_letter("ü"), base_letter("ô"), base_letter("国"), base_letter("ی")
    ('u', 'o', '国', 'ی')
    """
    if ch.isascii() or not "\u00c0" <= ch <= "\u024f":
        return ch
    return unicodedata.normalize("NFD", ch)[0]


class SourceIndex:
    """A source text folded once, searched many times."""

    def __init__(self, text: str):
        self.text = text

    @cached_property
    def folded(self) -> Folded:
        # Folded when first searched: a validation context that is never asked about a
        # quote (label mode answers ids) costs nothing.
        return fold(self.text)

    @cached_property
    def letters(self) -> tuple[str, tuple[int, ...]]:
        """The folded text's letters and digits alone, Latin accents dropped (``São`` → ``sao``),
        and where each stands in the folded text (to find a name that differs only in
        spacing, punctuation and accents)."""
        hay = self.folded.text
        where = tuple(i for i, ch in enumerate(hay) if ch.isalnum())
        return "".join(base_letter(hay[i]) for i in where), where

    def contains(self, quote: str) -> bool:
        q = fold(quote).text
        return bool(q) and q in self.folded.text

    def find_all(self, folded_quote: str) -> list[tuple[int, int]]:
        spans = []
        hay = self.folded.text
        i = hay.find(folded_quote)
        while i != -1 and folded_quote:
            spans.append(self.folded.span_to_original(i, i + len(folded_quote)))
            i = hay.find(folded_quote, i + 1)
        return spans


def _nearest(spans: list[tuple[int, int]], hint: tuple[int, int] | None) -> tuple[int, int]:
    if hint is None:
        return spans[0]
    lo, hi = hint

    def distance(s: tuple[int, int]) -> int:
        if s[0] >= lo and s[1] <= hi:
            return 0
        return min(abs(s[0] - lo), abs(s[0] - hi))

    return min(spans, key=distance)


def ground_quote(
    quote: str,
    source: SourceIndex,
    *,
    hint: tuple[int, int] | None = None,
    fuzzy_threshold: float = 85.0,
) -> Match:
    """Where ``quote`` stands in ``source.text``.

    ``hint`` is the original-text range of the chunk the quote came from: among several
    exact occurrences the one inside (or nearest) it is chosen.

    >>> src = SourceIndex("湖南法治報(bào)訊 道縣人民醫(yī)院召開會議")
    >>> m = ground_quote("道县人民医院召开会议", src)
    >>> (m.alignment, src.text[m.start:m.end])
    ('exact', '道縣人民醫(yī)院召開會議')
    """
    q = fold(quote).text
    if not q:
        return Match(0, 0, "none", 0.0)
    exact = source.find_all(q)
    if exact:
        s, e = _nearest(exact, hint)
        return Match(s, e, "exact", 100.0, tuple(exact))
    if len(q) < MIN_FUZZY_CHARS or len(q) > 4 * max(len(source.folded.text), 1):
        return Match(0, 0, "none", 0.0)
    hay = source.folded.text
    res = fuzz.partial_ratio_alignment(q, hay, score_cutoff=fuzzy_threshold)
    if res is None or res.dest_end <= res.dest_start:
        return Match(0, 0, "none", 0.0)
    # A partial match of a short window inside a long quote is not the quote: require
    # the matched window to cover most of the quote's length.
    if (res.dest_end - res.dest_start) < 0.8 * len(q):
        return Match(0, 0, "none", float(res.score))
    s, e = source.folded.span_to_original(res.dest_start, res.dest_end)
    return Match(s, e, "fuzzy", float(res.score))
