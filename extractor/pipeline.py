"""One article, start to end. The only module that calls the stages in order.

    text ─read─▶ Document ─clean─▶ CleanText ─chunk─▶ [Chunk]
    [Chunk] ─prompt─▶ messages ─model─▶ schema instance per chunk
    instances ─merge─▶ one instance ─ground─▶ spans into the ORIGINAL text
              ─numbers─▶ values checked against their evidence
              ─dedupe/drop─▶ ExtractionResult

>>> from extractor import Extractor, Settings                      # doctest: +SKIP
>>> ex = Extractor(Settings(provider="deepseek", model="deepseek-chat"))
>>> result = ex.extract(open("article.txt", encoding="utf-8").read())
>>> [(f.type, f.data["value"], f.span) for f in result.facts_of("quantity")]
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from extractor.text.chunking import Chunk, chunk_text, estimate_tokens
from extractor.text.cleaning import CleanText, clean_text
from extractor.core.errors import ConfigurationError
from extractor.core.types import DateInfo, DocumentInfo, ExtractionResult, Fact, GroundingStats, Span, Usage
from extractor.grounding.align import EvidenceSite, MapKey, PathPart, SourceIndex, fact_type_of, ground_quote, iter_evidence
from extractor.model.client import CallOutcome, ModelClient
from extractor.model.bounds import bounded_model
from extractor.numbers.dates import parse_date
from extractor.numbers.check import check_numbers
from extractor.model.prompting import PromptTemplate, build_messages, template_for_schema
from extractor.text.reading import Document, document_from_text, read_document
from extractor.model.registry import resolve_schema, schema_name, schema_version
from extractor.model.settings import Settings
from extractor.text.textnorm import fold_text
from extractor.grounding.validation import validated_model, validation_context

logger = logging.getLogger(__name__)

__all__ = ["Extractor", "Prepared", "extract", "aextract"]


@dataclass(frozen=True)
class Prepared:
    """An article read, cleaned, chunked and turned into messages — before any model call.

    ``--dry-run`` stops here; ``prompt_tokens`` is an estimate.
    """

    document: Document
    cleaned: CleanText
    chunks: tuple[Chunk, ...]
    messages: tuple[tuple[dict[str, str], ...], ...]
    prompt_tokens: int


def _fact_type(owner: BaseModel) -> str:
    return fact_type_of(type(owner))


DATE_FIELD_NAMES = frozenset({"date", "period", "previous_period", "expected_date", "as_of", "publication_date"})


def _reference_date(published: str | None) -> date | None:
    if not published:
        return None
    try:
        return date.fromisoformat(published[:10])
    except ValueError:
        return None


def _read_dates(payload: dict[str, Any], *, lang: str | None, reference: date | None) -> dict[str, DateInfo]:
    """Date-like fields as ISO periods; relative ones ('last year') only with a reference date."""
    out: dict[str, DateInfo] = {}
    for name, value in payload.items():
        if name not in DATE_FIELD_NAMES or not isinstance(value, str) or not value.strip():
            continue
        try:
            parsed = parse_date(value, lang=lang, reference=reference)
        except ValueError:
            parsed = None
        if parsed is None:
            continue
        out[name] = DateInfo(
            text=value,
            start=parsed.start.isoformat() if parsed.start else None,
            end=parsed.end.isoformat() if parsed.end else None,
            granularity=parsed.granularity,
            calendar=parsed.calendar,
            resolved=parsed.resolved,
        )
    return out


def _fact_payload(site: EvidenceSite) -> dict[str, Any]:
    return site.owner.model_dump(mode="json", exclude={site.field})


def _dedupe_key(fact_type: str, payload: dict[str, Any], quote: str) -> str:
    # The quote is part of the key: two hospitals with "100 beds" each are two facts
    # even when the model left their subjects empty.
    return "\x00".join([fact_type, json.dumps(payload, sort_keys=True, ensure_ascii=False), fold_text(quote)])


def _merge_instances(instances: list[BaseModel]) -> BaseModel:
    """Chunk answers into one: lists concatenated, the first non-empty scalar kept."""
    if len(instances) == 1:
        return instances[0]
    first = instances[0]
    values: dict[str, Any] = {}
    for name in type(first).model_fields:
        vals = [getattr(inst, name) for inst in instances]
        if all(isinstance(v, list) for v in vals):
            values[name] = [item for v in vals for item in v]
        elif all(isinstance(v, BaseModel) for v in vals) and len({type(v) for v in vals}) == 1:
            values[name] = _merge_instances(vals)
        else:
            values[name] = next((v for v in vals if v not in (None, "", [], {})), vals[0])
    # model_construct keeps the very same nested objects, which the fact bookkeeping
    # identifies by id(); everything in it was validated already.
    return type(first).model_construct(**values)


def _parent_list(data: BaseModel, path: tuple[PathPart, ...]) -> list | None:
    """The list that holds the item at ``path`` (None when the item is not in a list)."""
    if not path or not isinstance(path[-1], int):
        return None
    parent: Any = data
    for part in path[:-1]:
        if isinstance(part, MapKey):
            parent = parent[part.key]
        elif isinstance(part, int):
            parent = parent[part]
        else:
            parent = getattr(parent, part)
    return parent if isinstance(parent, list) else None


def _inside(path: tuple[PathPart, ...], removed: list[tuple[PathPart, ...]]) -> bool:
    return any(path[: len(r)] == r for r in removed)


class Extractor:
    """Reusable extraction engine: settings, schema, prompt and model clients in one place.

    Keep one per application and call it from many threads or tasks; it holds no
    per-article state.

    Args:
        settings: a :class:`Settings`; by default read from the environment.
        schema: a schema class or reference, overriding ``settings.schema_ref``.
        client / async_client: your own ``openai.OpenAI`` / ``openai.AsyncOpenAI``.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        schema: type[BaseModel] | str | None = None,
        client: Any = None,
        async_client: Any = None,
    ):
        self.settings = settings or Settings.from_env()
        self.schema = resolve_schema(schema or self.settings.schema_ref)
        # Bounded only when the settings ask for it (--local); else the model, and the
        # request, are exactly the validated schema.
        self.response_model = bounded_model(validated_model(self.schema), max_items=self.settings.max_list_items,
                                            max_chars=self.settings.max_string_chars)
        self.template: PromptTemplate = template_for_schema(schema_name(self.schema), self.settings.prompt)
        self._schema_json = json.dumps(self.schema.model_json_schema(), ensure_ascii=False)
        self._schema_tokens = estimate_tokens(self._schema_json)
        self._client_args = {"client": client, "async_client": async_client}
        self._model_client: ModelClient | None = None

    # Clients and the batch -------------------------------------------------------
    @property
    def model_client(self) -> ModelClient:
        if self._model_client is None:
            self._model_client = ModelClient(self.settings, **self._client_args)
        return self._model_client

    @property
    def async_client_override(self) -> Any:
        """The ``openai.AsyncOpenAI`` the application passed in, if any (the batch wraps its transport)."""
        return self._client_args["async_client"]

    def run(self, paths: Any, *, out: str | Path, **options: Any) -> Any:
        """Run the batch over files, folders or globs into ``out`` (see :func:`extractor.runs.batch.run_batch`).

        >>> summary = Extractor(settings).run(["articles/"], out="out", concurrency=16)  # doctest: +SKIP
        >>> summary.exit_code, summary.to_dict()["ok"]                                      # doctest: +SKIP
        """
        from extractor.runs.batch import run_batch

        return run_batch(self, list(paths) if not isinstance(paths, (str, Path)) else [paths], out=Path(out), **options)

    def aiter_results(self, paths: Any, *, out: str | Path, **options: Any) -> Any:
        """Async iterator over one record per article as the batch finishes them."""
        from extractor.runs.batch import iter_results

        return iter_results(self, list(paths) if not isinstance(paths, (str, Path)) else [paths], out=Path(out), **options)

    # Identity of what this extractor produces: the store caches results under it ---
    @property
    def model_name(self) -> str:
        return self.settings.resolved_model()

    @property
    def schema_name(self) -> str:
        return schema_name(self.schema)

    @property
    def schema_version(self) -> str:
        return schema_version(self.schema)

    def close(self) -> None:
        if self._model_client is not None:
            self._model_client.close()

    def __enter__(self) -> "Extractor":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def aclose(self) -> None:
        if self._model_client is not None:
            await self._model_client.aclose()

    # Stages before the model ------------------------------------------------------
    def prepare(self, article: str | Document, *, source: str | None = None) -> Prepared:
        """Read, clean, chunk and build the messages (no model call)."""
        doc = article if isinstance(article, Document) else document_from_text(article, source=source)
        cleaned = clean_text(doc.text, doc.language, enabled=self.settings.clean)
        budget = self.settings.chunk_budget(self._schema_tokens)
        chunks = tuple(chunk_text(cleaned.text, max_tokens=budget, overlap_tokens=self.settings.chunk_overlap_tokens))
        if not chunks:
            chunks = (Chunk(index=0, text=cleaned.text, start=0, end=len(cleaned.text)),)
        instructions = (self.schema.__doc__ or "").strip()
        messages = tuple(
            tuple(
                build_messages(
                    self.template, article=c.text, schema_instructions=instructions, language=doc.language, title=doc.title
                )
            )
            for c in chunks
        )
        tokens = sum(estimate_tokens(m["content"]) for msgs in messages for m in msgs)
        tokens += self._schema_tokens * len(chunks)
        return Prepared(doc, cleaned, chunks, messages, tokens)

    def _context(self, chunk: Chunk) -> dict[str, Any]:
        return validation_context(chunk.text, check_quotes=self.settings.reask_on_ungrounded)

    # Public API ---------------------------------------------------------------------
    def extract(self, text: str, *, source: str | None = None) -> ExtractionResult:
        """Facts from one article's text; spans point into ``text``."""
        return self.extract_document(document_from_text(text, source=source))

    def extract_file(self, path: str | Path) -> ExtractionResult:
        """Facts from one file (any encoding, .txt/.html/.md); spans point into the decoded text."""
        return self.extract_document(read_document(path))

    def extract_document(self, doc: Document) -> ExtractionResult:
        prepared = self.prepare(doc)
        outcomes = [
            self.model_client.call(list(msgs), self.response_model, context=self._context(chunk))
            for chunk, msgs in zip(prepared.chunks, prepared.messages)
        ]
        return self.finish(prepared, outcomes)

    async def aextract(self, text: str, *, source: str | None = None) -> ExtractionResult:
        """Async :meth:`extract`."""
        return await self.aextract_document(document_from_text(text, source=source))

    async def aextract_file(self, path: str | Path) -> ExtractionResult:
        doc = await asyncio.to_thread(read_document, path)
        return await self.aextract_document(doc)

    async def aextract_document(self, doc: Document) -> ExtractionResult:
        # Cleaning and language detection are CPU work; keep them off the event loop.
        prepared = await asyncio.to_thread(self.prepare, doc)
        tasks = [
            asyncio.ensure_future(self.model_client.acall(list(msgs), self.response_model, context=self._context(chunk)))
            for chunk, msgs in zip(prepared.chunks, prepared.messages)
        ]
        try:
            outcomes = await asyncio.gather(*tasks)
        except BaseException:
            # One chunk failed (or we were cancelled): the article fails, so the other
            # chunks' requests are stopped rather than paid for and thrown away.
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        return self.finish(prepared, list(outcomes))

    # After the model ----------------------------------------------------------------
    def finish(self, prepared: Prepared, outcomes: list[CallOutcome]) -> ExtractionResult:
        """Merge chunk answers, ground every fact, check numbers, drop or flag, dedupe."""
        doc, cleaned = prepared.document, prepared.cleaned
        s = self.settings
        chunk_of: dict[int, int] = {}
        for chunk, outcome in zip(prepared.chunks, outcomes):
            for site in iter_evidence(outcome.data):
                chunk_of[id(site.owner)] = chunk.index
        data = _merge_instances([o.data for o in outcomes])
        source = SourceIndex(doc.text)
        hints = {c.index: cleaned.span_to_original(c.start, c.end) for c in prepared.chunks}

        stats = GroundingStats()
        reference = _reference_date(doc.published)
        facts_by_owner: dict[int, Fact] = {}
        kept: list[tuple[EvidenceSite, Fact]] = []
        dropped_paths: list[tuple[PathPart, ...]] = []
        removals: list[tuple[list, BaseModel]] = []  # (the list, the item): resolved before any removal
        # Pass 1: ground every quote, check numbers, decide what is dropped.
        for site in list(iter_evidence(data)):
            stats.total += 1
            chunk_index = chunk_of.get(id(site.owner))
            match = ground_quote(site.quote, source, hint=hints.get(chunk_index), fuzzy_threshold=s.fuzzy_threshold)
            grounded = match.alignment != "none"
            fact = Fact(
                type=_fact_type(site.owner),
                path=site.path_str,
                data={},
                evidence=site.quote,
                span=Span(start=match.start, end=match.end) if grounded else None,
                spans=[Span(start=a, end=b) for a, b in (match.all_exact or ((match.start, match.end),))] if grounded else [],
                alignment=match.alignment,
                score=round(match.score, 1),
                grounded=grounded,
                chunk=chunk_index,
            )
            if grounded:
                stats.exact += match.alignment == "exact"
                stats.fuzzy += match.alignment == "fuzzy"
                if s.check_numbers:
                    check = check_numbers(site.owner, site.quote, lang=doc.language)
                    for field, value in check.updates:
                        setattr(site.owner, field, value)
                    fact.corrections.extend(check.corrections)
                    fact.flags.extend(check.flags)
                    stats.corrected += bool(check.corrections)
            else:
                stats.ungrounded += 1
                fact.flags.append("ungrounded")
                parent = _parent_list(data, site.path) if s.ungrounded == "drop" else None
                if parent is not None:
                    removals.append((parent, site.owner))
                    dropped_paths.append(site.path)
                    stats.dropped += 1
                    continue
                # Not in a list (a required single field): it cannot go, so it stays flagged.
                stats.flagged += 1
            fact.data = _fact_payload(site)
            fact.dates = _read_dates(fact.data, lang=doc.language, reference=reference)
            kept.append((site, fact))

        # Pass 2: one fact for the same statement quoted more than once (chunk overlaps,
        # a headline repeating the body), never for facts inside a dropped parent.
        first_by_key: dict[str, Fact] = {}
        for site, fact in kept:
            if _inside(site.path, dropped_paths):
                continue
            key = _dedupe_key(fact.type, fact.data, site.quote)
            earlier = first_by_key.get(key)
            parent = _parent_list(data, site.path) if earlier is not None and fact.grounded and earlier.grounded else None
            if parent is not None:
                for sp in fact.spans:
                    if sp not in earlier.spans:
                        earlier.spans.append(sp)
                earlier.spans.sort(key=lambda x: x.start)
                stats.merged_duplicates += 1
                removals.append((parent, site.owner))
                continue
            first_by_key.setdefault(key, fact)
            facts_by_owner[id(site.owner)] = fact

        for parent, owner in removals:
            for i, item in enumerate(parent):
                if item is owner:
                    del parent[i]
                    break

        facts: list[Fact] = []
        for site in iter_evidence(data):
            fact = facts_by_owner.get(id(site.owner))
            if fact is not None:
                fact.path = site.path_str
                facts.append(fact)

        usage = Usage()
        warnings: list[str] = list(doc.warnings)
        for o in outcomes:
            usage = usage.add(o.usage)
            warnings.extend(o.warnings)
        if stats.dropped:
            warnings.append(f"dropped {stats.dropped} fact(s) whose evidence is not in the article")
        info = DocumentInfo(
            source=doc.source,
            sha256=doc.sha256,
            encoding=doc.encoding,
            format=doc.format,
            language=doc.language,
            title=doc.title,
            published=doc.published,
            outlet=doc.outlet,
            chars=len(doc.text),
            cleaned_chars=len(cleaned.text),
            removed_lines=len(cleaned.removed),
            chunks=len(prepared.chunks),
            warnings=list(doc.warnings),
        )
        return ExtractionResult(
            data=data,
            facts=facts,
            usage=usage,
            document=info,
            stats=stats,
            schema_name=self.schema_name,
            schema_version=self.schema_version,
            prompt_name=self.template.name,
            prompt_version=self.template.version,
            model=self.model_name,
            provider=self.settings.profile().name,
            warnings=warnings,
        )


def extract(
    text: str,
    *,
    schema: type[BaseModel] | str | None = None,
    settings: Settings | None = None,
    client: Any = None,
    source: str | None = None,
    **overrides: Any,
) -> ExtractionResult:
    """Facts from one article with the default (or given) schema.

    ``overrides`` are :class:`Settings` fields (``model=``, ``base_url=``, ...), applied on
    top of ``settings`` or the environment.

    >>> result = extract(open("article.txt", encoding="utf-8").read())  # doctest: +SKIP
    >>> result.facts[0].evidence, result.facts[0].span                  # doctest: +SKIP
    """
    settings = _settings(settings, overrides)
    ex = Extractor(settings, schema=schema, client=client)
    try:
        return ex.extract(text, source=source)
    finally:
        if client is None:
            ex.close()


async def aextract(
    text: str,
    *,
    schema: type[BaseModel] | str | None = None,
    settings: Settings | None = None,
    client: Any = None,
    source: str | None = None,
    **overrides: Any,
) -> ExtractionResult:
    """Async :func:`extract`; ``client`` is an ``openai.AsyncOpenAI`` if given."""
    settings = _settings(settings, overrides)
    ex = Extractor(settings, schema=schema, async_client=client)
    try:
        return await ex.aextract(text, source=source)
    finally:
        if client is None:
            await ex.aclose()


def _settings(settings: Settings | None, overrides: dict[str, Any]) -> Settings:
    if settings is None:
        return Settings.from_env(**overrides)
    if not overrides:
        return settings
    # Re-validated, so that a misspelt or wrongly typed override fails loudly.
    try:
        return Settings(**{**settings.model_dump(exclude_unset=True), **overrides})
    except ValueError as exc:
        raise ConfigurationError(f"invalid settings: {exc}") from exc
