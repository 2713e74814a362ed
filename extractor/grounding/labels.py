"""Label mode: the model names a mention, the readers give the value.

A schema whose fields are marked :class:`~extractor.core.fields.FromMention` is asked in a
derived form (:func:`label_model`): those fields and the quote are gone, and in their place
the model answers the id of a mention the readers found (``"mention": "Q3"``), plus what
only it can say (measure, subject, period, purpose). :func:`fill_labels` turns the answer
back into the user's schema with value, unit, currency, qualifier, evidence and span taken
from the mention, so a numeric fact can be mis-labelled but never mis-scaled or ungrounded.

The ids are checked while instructor validates the answer (:func:`label_context` puts the
article's :class:`~extractor.mentions.MentionSet` in the validation context), so an id that
is not in the article, or of the wrong kind, is re-asked with a message that says which.

>>> from extractor.mentions import find_mentions
>>> from extractor.schemas.health_news import Money
>>> Asked = label_model(Money)
>>> sorted(Asked.model_json_schema()["properties"])
['mention', 'payer', 'purpose']
>>> found = find_mentions("指揮部投入援疆資金500余萬元,改造衛生院2個。", lang="zh-Hant")
>>> answer = Asked.model_validate({"mention": "M1", "purpose": "clinics"}, context=label_context(found))
>>> m = fill_labels(answer, found).data
>>> m.amount, m.currency, m.qualifier, m.evidence
(5000000.0, 'CNY', 'more_than', '指揮部投入援疆資金500余萬元,改造衛生院2個。')
"""

from __future__ import annotations

import copy
import logging
import re
import typing
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from extractor.core.evidence import EVIDENCE_FIELD_NAMES, EvidenceMarker
from extractor.core.fields import FromMention, field_roles
from extractor.core.types import MENTION_PREFIX, Mention, Sentence, Span
from extractor.grounding._derive import Dropped, derive_classes, restore_with_sites, source_of
from extractor.mentions import MentionSet, normalize_id

logger = logging.getLogger(__name__)

__all__ = ["RefSpec", "LabelSite", "Filled", "label_refs", "uses_labels", "label_model", "label_context",
           "fill_labels", "reading_flags", "hold_mention_ids", "MENTIONS_CONTEXT_KEY", "UNKNOWN_MENTION"]

MENTIONS_CONTEXT_KEY = "extractor_mentions"
LABEL_TAG = "label"
UNKNOWN_MENTION = "unknown_mention"
EvidenceUnit = Literal["sentence", "clause"]


@dataclass(frozen=True)
class RefSpec:
    """One mention reference of a fact model: the answer field ``name`` holds a mention id of
    ``kind``; ``fields`` maps the schema's fields filled from it to the mention attribute."""

    name: str
    kind: str
    required: bool
    fields: dict[str, str]


def label_refs(model: type[BaseModel]) -> dict[str, RefSpec]:
    """The mention references of one model class, from its :class:`FromMention` fields.

    >>> from extractor.schemas.health_news import Quantity
    >>> refs = label_refs(Quantity)
    >>> {n: (r.kind, r.required, sorted(r.fields)) for n, r in refs.items()}  # doctest: +NORMALIZE_WHITESPACE
    {'mention': ('quantity', True, ['qualifier', 'unit', 'value']),
     'previous_mention': ('quantity', False, ['previous_value'])}
    """
    refs: dict[str, RefSpec] = {}
    for name, role in field_roles(model).items():
        marker = role.marker
        if role.kind != "from_mention" or not isinstance(marker, FromMention):
            continue
        required = model.model_fields[name].is_required()
        spec = refs.get(marker.ref)
        if spec is not None and spec.kind != marker.kind:
            raise ValueError(f"{model.__name__}.{name}: ref {marker.ref!r} is a {spec.kind} mention elsewhere, "
                             f"not {marker.kind}")
        refs[marker.ref] = RefSpec(marker.ref, marker.kind, required or bool(spec and spec.required),
                                   {**(spec.fields if spec else {}), name: marker.attribute})
    return refs


def uses_labels(schema: type[BaseModel]) -> bool:
    """Whether any model of ``schema`` (at any depth) has fields filled from mentions."""
    seen: set[type] = set()

    def visit(annotation: Any) -> bool:
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            if annotation in seen:
                return False
            seen.add(annotation)
            return bool(label_refs(annotation)) or any(visit(i.annotation) for i in annotation.model_fields.values())
        return any(visit(a) for a in typing.get_args(annotation))

    return visit(schema)


def _evidence_fields(model: type[BaseModel]) -> list[str]:
    return [n for n, i in model.model_fields.items()
            if n in EVIDENCE_FIELD_NAMES or any(isinstance(m, EvidenceMarker) for m in i.metadata)]


def _ref_field(spec: RefSpec) -> tuple[Any, FieldInfo]:
    prefix = MENTION_PREFIX[spec.kind]
    what = ", ".join(spec.fields)
    description = (f"Id of the {spec.kind} mention that states this fact's {what}, as marked in the text "
                   f"({prefix}1, {prefix}2, ...).")
    if spec.required:
        return str, FieldInfo(annotation=str, description=description)
    return str | None, FieldInfo(annotation=str | None, default=None,
                                 description=description + " Leave empty when the text states none.")


def _change(model: type[BaseModel]) -> tuple[set[str], dict[str, tuple[Any, FieldInfo]]] | None:
    refs = label_refs(model)
    if not refs:
        return None
    dropped = {name for spec in refs.values() for name in spec.fields} | set(_evidence_fields(model))
    return dropped, {name: _ref_field(spec) for name, spec in refs.items()}


def _check_ids(instance: BaseModel, context: dict[str, Any]) -> list[str]:
    mentions: MentionSet | None = context.get(MENTIONS_CONTEXT_KEY)
    if mentions is None:
        return []
    problems = []
    for name, spec in label_refs(source_of(type(instance))).items():
        value = getattr(instance, name, None)
        if value is None or not str(value).strip():
            if spec.required:
                problems.append(f"{name}: empty; give the id of the {spec.kind} mention marked in the text")
            continue
        mention = mentions.get(str(value))
        prefix = MENTION_PREFIX[spec.kind]
        if mention is None:
            known = ", ".join(m.id for m in mentions.of_kind(spec.kind)[:12])  # type: ignore[arg-type]
            problems.append(f"{name}: {value!r} is not marked in the text; use one of the {prefix} ids"
                            + (f" ({known}...)" if known else " (this article has none: leave this fact out)"))
        elif mention.kind != spec.kind:
            problems.append(f"{name}: {value!r} is a {mention.kind} mention; this field needs a {prefix} id")
    return problems


@lru_cache(maxsize=64)
def label_model(schema: type[BaseModel]) -> type[BaseModel]:
    """The model-facing form of ``schema`` in label mode (``schema`` itself when nothing in it
    is filled from a mention). Derived classes are named ``Label<Class>``; the top-level class
    keeps its name."""
    return derive_classes(schema, _change, tag=LABEL_TAG, checker=_check_ids, prefix="Label")


def label_context(mentions: MentionSet) -> dict[str, Any]:
    """The validation context that checks mention ids (merge it with the quote check's)."""
    return {MENTIONS_CONTEXT_KEY: mentions}


@dataclass(frozen=True)
class LabelSite:
    """Where a filled fact's values came from: its mention per reference field, its evidence
    (the sentence, or clause, of the first reference) and the evidence's span and sentence."""

    mentions: dict[str, Mention]
    evidence: str
    span: Span
    sentence: Sentence | None
    spans: tuple[Span, ...] = ()
    flags: tuple[str, ...] = ()

    @property
    def mention_ids(self) -> dict[str, str]:
        return {ref: m.id for ref, m in self.mentions.items()}


@dataclass
class Filled:
    """An answer turned into the user's schema: ``data``, the :class:`LabelSite` of every
    filled object (by ``id()`` of the object in ``data``), and what had to be dropped."""

    data: BaseModel
    sites: dict[int, LabelSite] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def site_of(self, obj: BaseModel) -> LabelSite | None:
        return self.sites.get(id(obj))


_CLAUSE_END = re.compile(r",(?!\d)|[，;；:：、]|\s[-–—]\s")


def _clause(text: str, sentence: Sentence, mention: Mention) -> tuple[int, int]:
    """The clause of ``sentence`` that holds ``mention`` (cut at commas, semicolons, colons;
    a list 、 too only when the clause would otherwise be the whole sentence)."""
    start, end = sentence.start, sentence.end
    for m in _CLAUSE_END.finditer(text, sentence.start, mention.start):
        if m.group(0) != "、":
            start = m.end()
    after = next((m for m in _CLAUSE_END.finditer(text, mention.end, sentence.end) if m.group(0) != "、"), None)
    if after is not None:
        end = after.start()
    while start < end and text[start].isspace():
        start += 1
    return start, end


def _coerce(value: Any, info: FieldInfo) -> Any:
    """A mention's value for a field typed ``int`` (a count) stays exact; others as they are."""
    if isinstance(value, float) and value.is_integer():
        leaves = {a for a in typing.get_args(info.annotation)} or {info.annotation}
        if int in leaves and float not in leaves:
            return int(value)
    return value


def fill_labels(answer: BaseModel, mentions: MentionSet, *, evidence: EvidenceUnit = "sentence") -> Filled:
    """The user's schema instance for a label-mode ``answer``: each fact's FromMention fields
    from its mention, its evidence the mention's sentence (or clause) as written in the file.

    A list item whose id is not a mention of the right kind is dropped (the reason is in
    ``problems``, prefixed ``unknown_mention``); the validation of a live answer re-asks
    instead, so this happens only to answers stored without that check.
    """
    text = mentions.original_text()

    def fill(obj: BaseModel, values: dict[str, Any], path: tuple[Any, ...]) -> tuple[dict[str, Any], LabelSite | None]:
        source = source_of(type(obj))
        refs = label_refs(source)
        if not refs:
            return values, None
        used: dict[str, Mention] = {}
        flags: list[str] = []
        for name, spec in refs.items():
            raw = values.pop(name, None)
            if name in source.model_fields:  # the user's schema keeps the id too (a MentionRef field)
                values[name] = normalize_id(raw) if raw else None
            if raw is None or not str(raw).strip():
                if spec.required:
                    raise Dropped(f"{UNKNOWN_MENTION}: {_where(path)}.{name} is empty")
                continue
            mention = mentions.get(str(raw))
            if mention is None or mention.kind != spec.kind:
                raise Dropped(f"{UNKNOWN_MENTION}: {_where(path)}.{name} = {raw!r} is not a {spec.kind} mention")
            used[name] = mention
            for field_name, attribute in spec.fields.items():
                values[field_name] = _coerce(getattr(mention, attribute), source.model_fields[field_name])
            flags.extend(reading_flags(mention, spec))
        site = _site(text, mentions, used, evidence, tuple(flags))
        for name in _evidence_fields(source):
            values[name] = site.evidence if site else ""
        return values, site

    data, sites, problems = restore_with_sites(answer, fill, tag=LABEL_TAG,
                                               failure="the answer cannot be filled from the article's mentions")
    for p in problems:
        logger.info("label mode: %s", p)
    return Filled(data, sites, problems)


def _where(path: tuple[Any, ...]) -> str:
    out = ""
    for p in path:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "$"


def reading_flags(mention: Mention, spec: RefSpec) -> list[str]:
    """What the filled value does not say of its mention, as quote mode's number check says it:
    a reading the reader doubts (``value_uncertain_in_evidence``) and a range whose upper end
    no field of the schema holds (``value_range_in_evidence``: 3000万至5000万元 filled as 30000000).

    >>> spec = RefSpec("mention", "money", True, {"amount": "value", "currency": "currency"})
    >>> m = Mention(id="M1", kind="money", text="3000万至5000万元", start=0, end=12,
    ...             value=30000000, value_max=50000000, currency="CNY", qualifier="exact")
    >>> reading_flags(m, spec)
    ['amount_range_in_evidence']
    """
    value_fields = [f for f, attribute in spec.fields.items() if attribute == "value"]
    holds_max = "value_max" in spec.fields.values()
    out: list[str] = []
    for field_name in value_fields:
        if mention.uncertain:
            out.append(f"{field_name}_uncertain_in_evidence")
        if mention.value_max is not None and not holds_max:
            out.append(f"{field_name}_range_in_evidence")
    return out


def _site(text: str, mentions: MentionSet, used: dict[str, Mention], unit: EvidenceUnit,
          flags: tuple[str, ...] = ()) -> LabelSite | None:
    if not used:
        return None
    primary = next(iter(used.values()))
    sentence = mentions.sentence_of(primary)
    spans: list[Span] = []
    for m in used.values():
        s = mentions.sentence_of(m)
        span = Span(start=s.start, end=s.end) if s else m.span
        if span not in spans:
            spans.append(span)
    if sentence is None:
        start, end = primary.start, primary.end
    elif unit == "clause":
        start, end = _clause(text, sentence, primary)
    else:
        start, end = sentence.start, sentence.end
    return LabelSite(dict(used), text[start:end], Span(start=start, end=end), sentence, tuple(spans), flags)


# --------------------------------------------------------------------------- grammar-held ids


def _derived_classes(model: type[BaseModel]) -> dict[str, type[BaseModel]]:
    """JSON ``$defs`` name → the user's class, for every derived class in ``model`` (label mode,
    sentence citations, or both stacked)."""
    from extractor.grounding._derive import is_derived, models_in

    out: dict[str, type[BaseModel]] = {}
    seen: set[type[BaseModel]] = set()
    todo = [model]
    while todo:
        cls = todo.pop()
        if cls in seen:
            continue
        seen.add(cls)
        root = cls
        while is_derived(root):
            root = source_of(root)
        if root is not cls:
            out[cls.__name__] = root
        for info in cls.model_fields.values():
            todo.extend(models_in(info.annotation))
    return out


def hold_mention_ids(schema: dict[str, Any], model: type[BaseModel], mentions: MentionSet) -> dict[str, Any]:
    """``schema`` (the JSON schema of ``model``, a label-mode response model) with every
    mention-id field held to the ids this article has (an ``enum``), at least one item asked
    for in each list of facts whose ids exist, and sentence-id evidence held to the article's
    sentences (one at least). For a server that turns the schema into a grammar (llama.cpp):
    a small model can then only name real mentions and sentences, and names some.

    >>> from extractor.mentions import find_mentions
    >>> from extractor.schemas.health_news import HealthNewsArticle
    >>> asked = label_model(HealthNewsArticle)
    >>> held = hold_mention_ids(asked.model_json_schema(), asked, find_mentions("投入资金500万元,新建病房2个。"))
    >>> held["$defs"]["LabelMoney"]["properties"]["mention"]["enum"], held["properties"]["money"]["minItems"]
    (['M1'], 1)
    """
    out = copy.deepcopy(schema)
    defs = out.get("$defs") or {}
    held: set[str] = set()
    sentence_ids = [s.id for s in mentions.sentences]
    for name, root in _derived_classes(model).items():
        node = defs.get(name)
        if not isinstance(node, dict):
            continue
        props = node.get("properties") or {}
        for field_name in _evidence_fields(root):
            prop = props.get(field_name)
            if isinstance(prop, dict) and prop.get("type") == "array" and sentence_ids:
                # Sentence citations: ids the article has, and one at least.
                prop["items"] = {"type": "string", "enum": sentence_ids}
                prop["minItems"] = max(1, prop.get("minItems", 0))
        for ref_name, spec in label_refs(root).items():
            ids = [m.id for m in mentions.of_kind(spec.kind)]  # type: ignore[arg-type]
            prop = (node.get("properties") or {}).get(ref_name)
            if not isinstance(prop, dict) or not ids:
                continue
            choice = {"type": "string", "enum": ids}
            if "anyOf" in prop:
                prop["anyOf"] = [choice if o.get("type") == "string" else o for o in prop["anyOf"]]
            else:
                prop.update(choice)
            if spec.required:
                held.add(name)
    required = out.setdefault("required", [])
    for name, prop in (out.get("properties") or {}).items():
        items = prop.get("items") if isinstance(prop, dict) else None
        ref = items.get("$ref", "") if isinstance(items, dict) else ""
        if ref.rsplit("/", 1)[-1] in held:
            # Present and not empty: a grammar skips an optional property altogether.
            prop["minItems"] = max(1, prop.get("minItems", 0))
            if name not in required:
                required.append(name)
    return out
