"""The form the model answers in, and how an answer becomes the user's schema.

An :class:`AnswerForm` says whether fields marked ``FromMention`` are answered as mention ids
(label mode, :mod:`extractor.grounding.labels`) and whether evidence is a quote (``"quote"``,
as in v0.1) or sentence ids (``"sentence"``, :mod:`extractor.grounding.citations`). It gives
the response model to ask with, the validation context that checks the ids, and turns an
answer back into an instance of the user's schema with, for every fact it filled, where the
evidence stands (:class:`AnswerSite`): the pipeline then needs no search for those quotes.

>>> from extractor.mentions import find_mentions
>>> from extractor.schemas.health_news import HealthNewsArticle
>>> form = AnswerForm(labels=True, evidence="sentence")
>>> Asked = form.response_model(HealthNewsArticle)
>>> found = find_mentions("會議在道縣召開。道縣醫院投入資金220萬元。", lang="zh-Hant")
>>> answer = Asked.model_validate({"places": [{"name": "道縣", "evidence": ["S1"]}],
...                                "money": [{"mention": "M1", "purpose": "wards"}]}, context=form.context(found))
>>> filled = form.to_schema(answer, found)
>>> [(f.evidence, filled.sites[id(f)].span) for f in (filled.data.places[0], filled.data.money[0])]
[('會議在道縣召開。', Span(start=0, end=8)), ('道縣醫院投入資金220萬元。', Span(start=8, end=22))]
>>> filled.data.money[0].amount, filled.sites[id(filled.data.money[0])].mention_ids
(2200000.0, {'mention': 'M1'})
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel

from extractor.core.errors import ConfigurationError
from extractor.core.types import Span
from extractor.grounding.align import Match
from extractor.grounding.citations import citation_context, citation_model, fill_citations
from extractor.grounding.labels import EvidenceUnit, fill_labels, label_context, label_model, uses_labels
from extractor.mentions import MentionSet

__all__ = ["AnswerForm", "AnswerSite", "FilledAnswer", "EvidenceMode", "default_answer_form", "answer_form"]

EvidenceMode = Literal["quote", "sentence"]


@dataclass(frozen=True)
class AnswerSite:
    """Where a fact's evidence stands in the original text, and which ids it came from."""

    evidence: str
    span: Span
    spans: tuple[Span, ...]
    mention_ids: dict[str, str] = field(default_factory=dict)
    sentence_ids: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()  # what a filled value does not say of its reading (a range, a doubt)

    def as_match(self) -> Match:
        """The site as a grounding :class:`~extractor.grounding.align.Match` (exact: the text
        is the file's own)."""
        return Match(self.span.start, self.span.end, "exact", 100.0,
                     tuple((s.start, s.end) for s in self.spans) or ((self.span.start, self.span.end),))


@dataclass
class FilledAnswer:
    """The user's schema instance, the :class:`AnswerSite` of each object whose evidence the
    library filled (by ``id()`` in ``data``), and the objects dropped (with reasons)."""

    data: BaseModel
    sites: dict[int, AnswerSite] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def site_of(self, obj: BaseModel) -> AnswerSite | None:
        return self.sites.get(id(obj))


@dataclass(frozen=True)
class AnswerForm:
    """``labels``: FromMention fields answered as mention ids; ``evidence``: ``"quote"`` or
    ``"sentence"`` ids; ``evidence_unit``: a label-mode fact's evidence is its mention's
    ``"sentence"`` (default) or ``"clause"``."""

    labels: bool = False
    evidence: EvidenceMode = "quote"
    evidence_unit: EvidenceUnit = "sentence"

    def __post_init__(self) -> None:
        if self.evidence not in ("quote", "sentence"):
            raise ValueError(f"evidence must be 'quote' or 'sentence', not {self.evidence!r}")
        if self.evidence_unit not in ("sentence", "clause"):
            raise ValueError(f"evidence_unit must be 'sentence' or 'clause', not {self.evidence_unit!r}")

    @property
    def needs_mentions(self) -> bool:
        """Whether the prompt must carry mention or sentence ids."""
        return self.labels or self.evidence == "sentence"

    def response_model(self, schema: type[BaseModel]) -> type[BaseModel]:
        """The class the model is asked to fill (``schema`` itself in quote mode without labels)."""
        model = label_model(schema) if self.labels else schema
        return citation_model(model) if self.evidence == "sentence" else model

    def context(self, found: MentionSet) -> dict[str, Any]:
        """Validation context entries that check the ids (merge with the quote check's)."""
        out: dict[str, Any] = {}
        if self.labels:
            out.update(label_context(found))
        if self.evidence == "sentence":
            out.update(citation_context(found))
        return out

    def to_schema(self, answer: BaseModel, found: MentionSet) -> FilledAnswer:
        """The user's schema instance of an answer in this form (``answer`` as it is in quote
        mode without labels: its quotes are grounded by the pipeline as before)."""
        sites: dict[int, AnswerSite] = {}
        problems: list[str] = []
        data = answer
        if self.evidence == "sentence":
            cited = fill_citations(data, found)
            data, problems = cited.data, problems + cited.problems
            for key, c in cited.sites.items():
                sites[key] = AnswerSite(c.evidence, c.span, c.spans, sentence_ids=tuple(s.id for s in c.sentences))
        if self.labels:
            filled = fill_labels(data, found, evidence=self.evidence_unit)
            data, problems = filled.data, problems + filled.problems
            for key, s in filled.sites.items():
                sites[key] = AnswerSite(s.evidence, s.span, s.spans or (s.span,), s.mention_ids,
                                        (s.sentence.id,) if s.sentence else (), s.flags)
        return FilledAnswer(data, sites, problems)


def default_answer_form(schema: type[BaseModel]) -> AnswerForm:
    """Label mode with sentence citations for a schema with ``FromMention`` fields (the
    built-in one), quote mode otherwise (v0.1's form, unchanged for schemas without markers)."""
    labels = uses_labels(schema)
    return AnswerForm(labels=labels, evidence="sentence" if labels else "quote")


def answer_form(schema: type[BaseModel], *, labels: bool | None = None,
                evidence: EvidenceMode | None = None) -> AnswerForm:
    """The form a schema is asked in: the schema's default (:func:`default_answer_form`),
    with ``labels`` and ``evidence`` overriding it where given.

    >>> from extractor.schemas.health_news import HealthNewsArticle
    >>> answer_form(HealthNewsArticle)
    AnswerForm(labels=True, evidence='sentence', evidence_unit='sentence')
    >>> answer_form(HealthNewsArticle, labels=False, evidence="quote")
    AnswerForm(labels=False, evidence='quote', evidence_unit='sentence')
    """
    default = default_answer_form(schema)
    if labels and not uses_labels(schema):
        raise ConfigurationError(f"schema {schema.__name__} marks no field FromMention: label mode needs some "
                                 "(see extractor.fields), or use labels=False")
    return AnswerForm(labels=default.labels if labels is None else labels, evidence=evidence or default.evidence)
