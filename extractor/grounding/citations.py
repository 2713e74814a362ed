"""Sentence citations: the model cites sentence ids, the evidence is the sentence as written.

The article goes to the model with its sentences numbered (``[S12] …``, see
:func:`extractor.grounding.marking.render_marked`); :func:`citation_model` derives the
model-facing form of a schema in which every evidence field holds sentence ids
(``"evidence": ["S12"]``) instead of a quote. :func:`fill_citations` turns the answer back
into the schema with the cited sentences' text as evidence and their exact spans: a quote
can no longer be mistyped, paraphrased or invented, and the model spends a few tokens on
an id instead of dozens on a copy.

Cited sentences that follow each other (``["S12", "S13"]``) are one piece of evidence;
sentences apart are joined with `` … `` and each keeps its own span.

>>> from extractor.mentions import find_mentions
>>> from extractor.schemas.health_news import Place
>>> found = find_mentions("會議在道縣召開。道縣人民醫院參加。英吉沙縣也參加。", lang="zh-Hant")
>>> Asked = citation_model(Place)
>>> Asked.model_json_schema()["properties"]["evidence"]["type"]
'array'
>>> answer = Asked.model_validate({"name": "道縣", "evidence": ["S1", "S2"]}, context=citation_context(found))
>>> filled = fill_citations(answer, found)
>>> filled.data.evidence, filled.sites[id(filled.data)].span
('會議在道縣召開。道縣人民醫院參加。', Span(start=0, end=17))
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from extractor.core.evidence import EVIDENCE_FIELD_NAMES, EvidenceMarker
from extractor.core.types import Sentence, Span
from extractor.grounding._derive import Dropped, derive_classes, restore_with_sites, source_of
from extractor.mentions import MentionSet, normalize_id

logger = logging.getLogger(__name__)

__all__ = ["CitationSite", "Cited", "citation_model", "citation_context", "fill_citations", "uses_evidence",
           "SENTENCES_CONTEXT_KEY", "UNKNOWN_SENTENCE"]

SENTENCES_CONTEXT_KEY = "extractor_sentences"
CITATION_TAG = "citation"
UNKNOWN_SENTENCE = "unknown_sentence"
JOIN = " … "


def _evidence_fields(model: type[BaseModel]) -> list[str]:
    return [n for n, i in model.model_fields.items()
            if n in EVIDENCE_FIELD_NAMES or any(isinstance(m, EvidenceMarker) for m in i.metadata)]


def uses_evidence(model: type[BaseModel]) -> bool:
    return bool(_evidence_fields(model))


_DESCRIPTION = ("Ids of the sentences that state this fact, as marked in the text: [\"S12\"], or [\"S12\", \"S13\"] "
                "when it takes two.")


def _change(model: type[BaseModel]) -> tuple[set[str], dict[str, tuple[Any, FieldInfo]]] | None:
    names = _evidence_fields(model)
    if not names:
        return None
    return set(), {name: (list[str], FieldInfo(annotation=list[str], description=_DESCRIPTION)) for name in names}


def _check_ids(instance: BaseModel, context: dict[str, Any]) -> list[str]:
    found: MentionSet | None = context.get(SENTENCES_CONTEXT_KEY)
    if found is None:
        return []
    problems = []
    for name in _evidence_fields(source_of(type(instance))):
        ids = getattr(instance, name, None) or []
        if not ids:
            problems.append(f"{name}: empty; cite the id of the sentence that states this fact (S1, S2, ...)")
            continue
        bad = [i for i in ids if found.sentence(str(i)) is None]
        if bad:
            last = found.sentences[-1].id if found.sentences else "none"
            problems.append(f"{name}: {', '.join(repr(b) for b in bad)} not marked in the text; cite ids S1 to {last}")
    return problems


@lru_cache(maxsize=64)
def citation_model(schema: type[BaseModel]) -> type[BaseModel]:
    """The model-facing form of ``schema`` with sentence ids for every evidence field (derived
    classes are named ``Cited<Class>``; the top-level class keeps its name). Stack it on label
    mode with ``citation_model(label_model(schema))``."""
    return derive_classes(schema, _change, tag=CITATION_TAG, checker=_check_ids, prefix="Cited")


def citation_context(found: MentionSet) -> dict[str, Any]:
    """The validation context that checks sentence ids (merge it with the others)."""
    return {SENTENCES_CONTEXT_KEY: found}


@dataclass(frozen=True)
class CitationSite:
    """The sentences one fact cited, its evidence text and spans (one per run of adjacent sentences)."""

    sentences: tuple[Sentence, ...]
    evidence: str
    span: Span
    spans: tuple[Span, ...]


@dataclass
class Cited:
    """An answer turned back: ``data``, each cited object's :class:`CitationSite` (by ``id()``
    of the object in ``data``), and what had to be dropped."""

    data: BaseModel
    sites: dict[int, CitationSite] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def _site(text: str, found: MentionSet, ids: list[str]) -> CitationSite | None:
    order = {s.id: i for i, s in enumerate(found.sentences)}
    cited = sorted({s.id: s for i in ids if (s := found.sentence(str(i))) is not None}.values(),
                   key=lambda s: order[s.id])
    if not cited:
        return None
    runs: list[list[Sentence]] = []
    for s in cited:
        if runs and order[s.id] == order[runs[-1][-1].id] + 1:
            runs[-1].append(s)
        else:
            runs.append([s])
    spans = tuple(Span(start=r[0].start, end=r[-1].end) for r in runs)
    evidence = JOIN.join(text[sp.start:sp.end] for sp in spans)
    return CitationSite(tuple(cited), evidence, spans[0], spans)


def fill_citations(answer: BaseModel, found: MentionSet) -> Cited:
    """The schema instance (or, stacked on label mode, the label-mode instance) of a
    citation-mode ``answer``: each evidence field the cited sentences as written in the file.

    A list item that cites no sentence of the article is dropped (reason in ``problems``,
    prefixed ``unknown_sentence``); live answers are re-asked instead.
    """
    text = found.original_text()

    def fill(obj: BaseModel, values: dict[str, Any], path: tuple[Any, ...]
             ) -> tuple[dict[str, Any], CitationSite | None]:
        site = None
        for name in _evidence_fields(source_of(type(obj))):
            ids = [normalize_id(i) for i in (values.get(name) or [])]
            site = _site(text, found, ids)
            if site is None:
                raise Dropped(f"{UNKNOWN_SENTENCE}: {'.'.join(map(str, path)) or '$'}.{name} cites {ids!r}")
            values[name] = site.evidence
        return values, site

    data, sites, problems = restore_with_sites(answer, fill, tag=CITATION_TAG,
                                               failure="the answer's citations cannot be resolved")
    for p in problems:
        logger.info("sentence citations: %s", p)
    return Cited(data, sites, problems)
