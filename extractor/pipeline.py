"""One article, start to end. The only module that calls the stages in order.

    text ─read─▶ Document ─clean─▶ CleanText ─chunk─▶ [Chunk]
    [Chunk] ─prompt─▶ messages ─model─▶ answers (one schema instance per chunk)
    answers ─merge─▶ one instance ─ground─▶ spans into the ORIGINAL text
            ─numbers─▶ values checked against their evidence
            ─dedupe/drop─▶ ExtractionResult

The model's answers are kept apart from what is derived from them
(:meth:`Extractor.dump_answers` / :meth:`Extractor.rederive`): the batch stores the
answers, so a change of grounding or number-check settings re-derives the facts
without calling the model again. Batches over many articles live in
:mod:`extractor.runs`; this module never imports them.

>>> from extractor import Extractor, Settings                      # doctest: +SKIP
>>> ex = Extractor(Settings(provider="deepseek", model="deepseek-chat"))  # doctest: +SKIP
>>> result = ex.extract(open("article.txt", encoding="utf-8").read())  # doctest: +SKIP
>>> [(f.type, f.data["value"], f.span) for f in result.facts_of("quantity")]  # doctest: +SKIP
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import json
import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, Self, Unpack, cast

from pydantic import BaseModel

from extractor.core.errors import ConfigurationError, ExtractorError
from extractor.core.identity import Identity, fingerprint
from extractor.core.types import DateInfo, DocumentInfo, ExtractionResult, Fact, GroundingStats, ModelT, Span, Usage
from extractor.grounding.align import (
    EvidenceSite,
    MapKey,
    Match,
    PathPart,
    SourceIndex,
    evidence_problems,
    fact_type_of,
    ground_quote,
    iter_evidence,
)
from extractor.grounding.answer_forms import AnswerSite, answer_form
from extractor.grounding.fields import apply_document_checks, apply_field_checks, check_document_fields, check_fields
from extractor.grounding.labels import hold_mention_ids, uses_labels
from extractor.grounding.marking import QUANTITY_KINDS, render_marked
from extractor.grounding.validation import validated_model, validation_context
from extractor.mentions import MentionSet, find_mentions, reference_date
from extractor.model.bounds import bounded_model
from extractor.model.budget import check_article_text, check_prompt_tokens
from extractor.model.client_kinds import check_client_kinds
from extractor.model.compact import compact_schema
from extractor.model.outcome import CallOutcome
from extractor.model.prompting import PromptTemplate, build_messages, form_rules, template_for_schema
from extractor.model.registry import portable_reference, resolve_schema, schema_name, schema_version
from extractor.model.settings import Settings, SettingsKeywords
from extractor.numbers.check import check_numbers
from extractor.numbers.dates import parse_date
from extractor.text.chunking import Chunk, chunk_text, estimate_tokens
from extractor.text.cleaning import CLEANING_VERSION, CleanText
from extractor.text.language import is_supported
from extractor.text.reading import Document, document_from_text, read_document
from extractor.text.textnorm import fold_text

if TYPE_CHECKING:
    import httpx2
    import openai

    from extractor.model.batches import BatchService
    from extractor.model.client import ModelClient
    from extractor.model.ratelimit import RateLimiter

logger = logging.getLogger(__name__)

__all__ = ["ArticlePipeline", "ArticleExtractor", "ArticleAnswer", "ExtractorRecipe", "Extractor", "Prepared",
           "StagePool", "default_workers", "extract", "aextract", "DERIVE_REVISION"]

# Bump when grounding, the number check, dedupe or the fact envelope change what is
# derived from the same answers: stored results are then re-derived on the next run.
DERIVE_REVISION = "4"  # 3: facts of an article in an unsupported language are flagged; 4: names
# matched without a similarity score, label-mode ranges and doubtful readings flagged

# The share of a chunk's token budget left for article text when the model is shown
# mention and sentence ids (they add 2-3% to the seeds' prompt tokens; scripts/tokens_per_fact.py).
ID_ROOM = 0.92


@dataclass(frozen=True)
class Prepared:
    """An article read, cleaned, chunked and turned into messages — before any model call.

    ``--dry-run`` stops here; ``prompt_tokens`` is an estimate. ``found`` holds every
    number, amount, percentage and date of the article with its sentence (read before any
    model call): label mode shows them to the model by id, and they are the mentions table.
    """

    document: Document
    cleaned: CleanText
    chunks: tuple[Chunk, ...]
    messages: tuple[tuple[dict[str, str], ...], ...]
    prompt_tokens: int
    found: MentionSet
    response_model: type[BaseModel]


DATE_FIELD_NAMES = frozenset({"date", "period", "previous_period", "expected_date", "as_of", "publication_date"})


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


def _parent_list(data: BaseModel, path: tuple[PathPart, ...]) -> list[Any] | None:
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


def _new_fact(site: EvidenceSite, match: Match, chunk_index: int | None) -> Fact:
    grounded = match.alignment != "none"
    spans = [Span(start=a, end=b) for a, b in (match.all_exact or ((match.start, match.end),))] if grounded else []
    return Fact(
        type=fact_type_of(type(site.owner)),
        path=site.path_str,
        data={},
        evidence=site.quote,
        span=Span(start=match.start, end=match.end) if grounded else None,
        spans=spans,
        alignment=match.alignment,
        score=round(match.score, 1),
        grounded=grounded,
        chunk=chunk_index,
    )


@dataclass
class _Derivation:
    """The state of deriving one article's facts from its merged answer.

    Facts are found in two passes over the answer (ground and check, then dedupe);
    removals from the answer's lists wait until both passes are done, because the
    paths of later facts must stay valid meanwhile.
    """

    data: BaseModel
    settings: Settings
    language: str | None
    reference: date | None
    sites: dict[int, AnswerSite] = field(default_factory=dict)
    stats: GroundingStats = field(default_factory=GroundingStats)
    kept: list[tuple[EvidenceSite, Fact]] = field(default_factory=list)
    dropped_paths: list[tuple[PathPart, ...]] = field(default_factory=list)
    removals: list[tuple[list[Any], BaseModel]] = field(default_factory=list)
    facts_by_owner: dict[int, Fact] = field(default_factory=dict)

    def ground(self, source: SourceIndex, chunk_of: dict[int, int], hints: dict[int, tuple[int, int]]) -> None:
        """Pass 1: ground every fact (its evidence, and every string that must be in the
        article), check numbers, decide what is dropped."""
        for site in list(iter_evidence(self.data)):
            self.stats.total += 1
            chunk_index = chunk_of.get(id(site.owner))
            given = self.sites.get(id(site.owner))
            # Evidence the library filled (label mode, sentence citations) stands where the
            # readers found it: no search. A quote the model wrote is looked for.
            match = given.as_match() if given is not None else ground_quote(
                site.quote, source, hint=hints.get(chunk_index) if chunk_index is not None else None,
                fuzzy_threshold=self.settings.fuzzy_threshold)
            fact = _new_fact(site, match, chunk_index)
            if given is not None:
                fact.mentions = dict(given.mention_ids)
                fact.flags.extend(f for f in given.flags if f not in fact.flags)
            if fact.grounded:
                self._grounded(site, fact, match, from_mentions=bool(fact.mentions))
                if self._fields_dropped(site, fact, source):
                    continue
            elif self._ungrounded_dropped(site, fact):
                continue
            fact.data = site.owner.model_dump(mode="json", exclude={site.field})
            fact.dates = _read_dates(fact.data, lang=self.language, reference=self.reference)
            self.kept.append((site, fact))

    def _fields_dropped(self, site: EvidenceSite, fact: Fact, source: SourceIndex) -> bool:
        """Every string the fact states as written must be in the article; True when a miss
        drops the fact (a list item, facts not kept ungrounded). A kept one is not grounded."""
        checks = check_fields(site.owner, source, fuzzy_threshold=self.settings.fuzzy_threshold)
        keep = self.settings.ungrounded == "flag"
        drop = apply_field_checks(fact, checks, keep_ungrounded=keep)
        if fact.grounded:
            return False
        self.stats.fields_not_in_text += 1
        parent = _parent_list(self.data, site.path) if drop else None
        if parent is None:  # kept, flagged: a required single field, or the flag policy
            self.stats.flagged += 1
            return False
        self.removals.append((parent, site.owner))
        self.dropped_paths.append(site.path)
        self.stats.dropped += 1
        return True

    def _grounded(self, site: EvidenceSite, fact: Fact, match: Match, *, from_mentions: bool) -> None:
        self.stats.exact += match.alignment == "exact"
        self.stats.fuzzy += match.alignment == "fuzzy"
        # A value filled from a mention is the reader's own: nothing to check it against.
        if not self.settings.check_numbers or from_mentions:
            return
        check = check_numbers(site.owner, site.quote, lang=self.language)
        for name, value in check.updates:
            setattr(site.owner, name, value)
        fact.corrections.extend(check.corrections)
        fact.flags.extend(check.flags)
        self.stats.corrected += bool(check.corrections)

    def _ungrounded_dropped(self, site: EvidenceSite, fact: Fact) -> bool:
        """Flag an ungrounded fact; True when it is dropped (a list item under the drop policy)."""
        self.stats.ungrounded += 1
        fact.flags.append("ungrounded")
        parent = _parent_list(self.data, site.path) if self.settings.ungrounded == "drop" else None
        if parent is not None:
            self.removals.append((parent, site.owner))
            self.dropped_paths.append(site.path)
            self.stats.dropped += 1
            return True
        # Not in a list (a required single field): it cannot go, so it stays flagged.
        self.stats.flagged += 1
        return False

    def dedupe(self) -> None:
        """Pass 2: one fact for the same statement quoted more than once (chunk overlaps,
        a headline repeating the body), never for facts inside a dropped parent."""
        first_by_key: dict[str, Fact] = {}
        for site, fact in self.kept:
            if _inside(site.path, self.dropped_paths):
                continue
            key = _dedupe_key(fact.type, fact.data, site.quote)
            earlier = first_by_key.get(key)
            both_grounded = earlier is not None and fact.grounded and earlier.grounded
            parent = _parent_list(self.data, site.path) if both_grounded else None
            if earlier is not None and parent is not None:
                for span in fact.spans:
                    if span not in earlier.spans:
                        earlier.spans.append(span)
                earlier.spans.sort(key=lambda s: s.start)
                self.stats.merged_duplicates += 1
                self.removals.append((parent, site.owner))
                continue
            first_by_key.setdefault(key, fact)
            self.facts_by_owner[id(site.owner)] = fact

    def facts(self) -> list[Fact]:
        """Apply the removals, then the kept facts in answer order with their final paths."""
        for parent, owner in self.removals:
            for i, item in enumerate(parent):
                if item is owner:
                    del parent[i]
                    break
        facts: list[Fact] = []
        for site in iter_evidence(self.data):
            fact = self.facts_by_owner.get(id(site.owner))
            if fact is not None:
                fact.path = site.path_str
                facts.append(fact)
        return facts


def _document_info(prepared: Prepared, language_note: str | None) -> DocumentInfo:
    doc, cleaned = prepared.document, prepared.cleaned
    return DocumentInfo(
        source=doc.source, sha256=doc.sha256, encoding=doc.encoding, format=doc.format, language=doc.language,
        language_unsupported=language_note is not None,
        title=doc.title, published=doc.published, outlet=doc.outlet, chars=len(doc.text),
        cleaned_chars=len(cleaned.text), removed_lines=len(cleaned.removed), chunks=len(prepared.chunks),
        warnings=list(doc.warnings),
    )


LANGUAGE_UNSUPPORTED = "language_unsupported"
"""The flag (and the start of the warning) of an article in a language the readers are not built for."""


def _language_note(language: str | None, extra: tuple[str, ...]) -> str | None:
    """The warning for an article whose language the readers are not built for, or None.

    >>> _language_note("fr", ())
    "language_unsupported: the article reads as 'fr'; the number, date and sentence readers are built for Chinese, Persian, Arabic and English (facts are still asked for and grounded; add the language to Settings.extra_languages if you expect it)"
    >>> _language_note("fr", ("fr",)) is None
    True
    """  # noqa: E501
    if is_supported(language, extra):
        return None
    what = f"reads as {language!r}" if language else "has too few letters to tell its language"
    return (f"{LANGUAGE_UNSUPPORTED}: the article {what}; the number, date and sentence readers are built for "
            "Chinese, Persian, Arabic and English (facts are still asked for and grounded; add the language to "
            "Settings.extra_languages if you expect it)")


@dataclass(frozen=True)
class ArticleAnswer:
    """What the model said about one article and what was made of it, or why it failed.

    ``answers_json`` holds the model's raw answers (see :meth:`ArticlePipeline.dump_answers`),
    ``result`` the facts derived from them; an article that failed has only ``error``.
    """

    answers_json: str | None = None
    result: ExtractionResult | None = None
    error: ExtractorError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class ExtractorRecipe:
    """How to build the same extractor in another process or on another node (picklable).

    ``schema`` is a reference every node can resolve (``module:Class``, an absolute
    ``file.py:Class``) or the class itself when it lives in ``__main__``; ``settings``
    carry the API key resolved where the recipe was written, since a node's environment
    may lack it. Recipes travel in memory (Ray's object store), never into a file.
    """

    settings: Settings
    schema: str | type[BaseModel]

    def build(self) -> ArticlePipeline:
        return ArticlePipeline(self.settings, schema=self.schema)


# --------------------------------------------------------------------------- worker processes

# The pipeline of a worker process, built once by the pool's initializer from the run's
# recipe. Module state of the WORKER process only; the parent never sets it.
_WORKER: ArticlePipeline | None = None


def _start_worker(recipe: ExtractorRecipe) -> None:
    import signal

    global _WORKER
    # Ctrl-C is the parent's to handle (finish what is in flight, store it): a worker that
    # died of it would lose the answers already paid for.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _WORKER = recipe.build()


def _in_worker(stage: str, *args: Any) -> Any:
    """Run one CPU stage in a worker; an article's own failure comes back as a value (an
    exception class of ours may not survive pickling), a configuration error as such."""
    assert _WORKER is not None, "the worker's pipeline was not built"
    try:
        if stage == "prepare":
            document, cleaned = args
            if cleaned is not None:  # cleaned while reading, in the parent: not cleaned again
                object.__setattr__(document, "cleaned", cleaned)
            return _portable(_WORKER.prepare(document))
        prepared, answers_json = args
        prepared = dataclasses.replace(prepared, response_model=_WORKER.response_model)
        return _WORKER.finish(prepared, _WORKER.load_answers(answers_json))
    except ConfigurationError as exc:
        return _WorkerFailure(str(exc), configuration=True)
    except ExtractorError as exc:
        return _WorkerFailure(str(exc))
    except Exception as exc:  # one bad article never stops the run
        logger.debug("internal error in a worker", exc_info=True)
        return _WorkerFailure(f"{type(exc).__name__}: {exc}")


def _portable(prepared: Prepared) -> Prepared:
    """``prepared`` as it travels between processes: without its response model, a class
    built at run time that pickle cannot name (each side puts its own back)."""
    return dataclasses.replace(prepared, response_model=BaseModel)


@dataclass(frozen=True)
class _WorkerFailure:
    message: str
    configuration: bool = False

    def raise_it(self) -> None:
        raise (ConfigurationError if self.configuration else ExtractorError)(self.message)


class _WorkersStopped(Exception):
    """The worker processes are gone (killed, out of memory): the stage is run here instead."""


class StagePool:
    """Worker processes for the CPU stages of articles (reading what the runner handed over,
    cleaning, mentions, grounding), so that the event loop only moves bytes.

    Each worker builds the same pipeline from the run's :class:`ExtractorRecipe` once;
    an article travels as its :class:`Document`, its prepared form and its answers' JSON.
    Workers are started with ``spawn`` (no copy of the parent's threads or sockets).
    When they die (the OOM killer, a kill), ``broken`` is set and the stages run in the
    parent from then on: an article whose answers are paid for is still finished.
    """

    def __init__(self, recipe: ExtractorRecipe, workers: int):
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        self.workers = workers
        self.broken = False
        self._pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                         initializer=_start_worker, initargs=(recipe,))

    async def run(self, stage: str, *args: Any) -> Any:
        """The stage's result from a worker; raises :class:`_WorkersStopped` when there are none left."""
        from concurrent.futures.process import BrokenProcessPool

        if self.broken:
            raise _WorkersStopped
        try:
            out = await asyncio.get_running_loop().run_in_executor(self._pool, _in_worker, stage, *args)
        except BrokenProcessPool as exc:
            if not self.broken:
                self.broken = True
                logger.warning("the worker processes stopped (%s); the run goes on without them (as with "
                               "--workers 0)", exc)
            raise _WorkersStopped from None
        if isinstance(out, _WorkerFailure):
            out.raise_it()
        return out

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def default_workers(cpus: int | None = None) -> int:
    """Worker processes a run uses when not told: one per core beyond the one the event
    loop (requests, validation, the store) keeps busy; none on a machine of two cores or
    fewer, where they measured no faster (README, *What we measured*).

    >>> default_workers(2), default_workers(4), default_workers(16)
    (0, 3, 15)
    """
    import os

    cpus = cpus or os.cpu_count() or 1
    return 0 if cpus <= 2 else cpus - 1


class ArticleExtractor(Protocol):
    """What the batch layer (:mod:`extractor.runs`) needs of an extractor, and all it may use.

    :class:`ArticlePipeline` implements it; engines and the runner see nothing else, so a
    new engine needs no knowledge of the stages, the model client or the store.
    """

    @property
    def settings(self) -> Settings: ...

    @property
    def identity(self) -> Identity: ...

    @property
    def endpoint_info(self) -> dict[str, Any]:
        """Provider, model, endpoint and chunk size, as a run reports them."""
        ...

    async def aanswer(self, document: Document) -> ArticleAnswer:
        """Prepare, ask, derive: the article's answer (its error, when it failed)."""
        ...

    def rederive(self, document: Document, answers_json: str) -> ExtractionResult:
        """The facts of stored answers under this extractor's post-processing settings (no call)."""
        ...

    def over_limiter(self, limiter: RateLimiter, *, pool_size: int) -> ArticleExtractor:
        """A twin whose model requests all pass ``limiter``; close it with :meth:`aclose`."""
        ...

    def in_processes(self, workers: int) -> ArticleExtractor:
        """A twin whose CPU stages run in ``workers`` processes (0: this one); close it with :meth:`aclose`."""
        ...

    @property
    def limited_run_wide(self) -> bool:
        """Whether every request of this extractor passes a run-wide limiter."""
        ...

    @property
    def has_own_client(self) -> bool:
        """Whether an application's own client makes the calls (its endpoint is not probed)."""
        ...

    def recipe(self) -> ExtractorRecipe: ...

    def batch_service(self) -> BatchService:
        """The Batch API's files and batches at this extractor's endpoint."""
        ...

    def batch_requests(self, document: Document) -> list[dict[str, object]]:
        """The chat-completions bodies of the article's requests (one per chunk), for the Batch API."""
        ...

    def answer_from_batch(self, document: Document, bodies: Sequence[Mapping[str, object] | ExtractorError],
                          *, price_factor: float) -> ArticleAnswer:
        """The article's answer from the bodies the Batch API returned for :meth:`batch_requests`."""
        ...

    async def aclose(self) -> None: ...


class ArticlePipeline:
    """One article, start to end: read → clean → chunk → prompt → model → ground → check.

    Keep one per application and call it from many threads or tasks; it holds no
    per-article state. This is the single-article engine behind the public
    :class:`extractor.Extractor` (which adds batches) and the :class:`ArticleExtractor`
    the batch layer drives.

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
        # Mistakes no article can get past are told here, before any call.
        check_client_kinds(client, async_client)
        self.schema = resolve_schema(schema or self.settings.schema_ref)
        if not self.settings.mentions_only and not uses_labels(self.schema):
            problems = evidence_problems(self.schema)
            if problems:
                raise ConfigurationError(f"schema {self.schema.__name__} cannot ground any fact: "
                                         + "; ".join(problems))
        # What the model is asked to fill: the schema itself (quote mode), or its label /
        # citation form when the schema marks fields filled from mentions.
        self.form = answer_form(self.schema, labels=self.settings.labels, evidence=self.settings.evidence_mode)
        asked = self.form.response_model(self.schema)
        # Bounded only when the settings ask for it (--local); else the model, and the
        # request, are exactly the validated schema.
        self.response_model = bounded_model(validated_model(asked), max_items=self.settings.max_list_items,
                                            max_chars=self.settings.max_string_chars)
        self.template: PromptTemplate = template_for_schema(schema_name(self.schema), self.settings.prompt)
        self._form_rules = form_rules(self.template, labels=self.form.labels, evidence=self.form.evidence,
                                      needs_ids=self.form.needs_mentions)
        # The schema as the request carries it (compact unless the settings say otherwise).
        full = asked.model_json_schema()
        self._schema_json = json.dumps(compact_schema(full) if self.settings.compact_schema else full,
                                       ensure_ascii=False)
        self._schema_tokens = estimate_tokens(self._schema_json)
        self._client_args = {"client": client, "async_client": async_client}
        self._model_client: ModelClient | None = None
        self._building = threading.Lock()
        self._over_transport = False
        self._stages: StagePool | None = None
        self._closes_client = True

    # Clients -----------------------------------------------------------------------
    @property
    def model_client(self) -> ModelClient:
        """The client that makes the calls (openai and instructor are imported here, not
        before: reading, cleaning, ``--dry-run`` and re-deriving never need them)."""
        if self._model_client is None:
            with self._building:  # one client when worker threads ask at once (aextract builds it in one)
                if self._model_client is None:
                    from extractor.model.client import ModelClient

                    self._model_client = ModelClient(self.settings, **self._client_args)
        return self._model_client

    async def _ready_model_client(self) -> ModelClient:
        """:attr:`model_client`, made ready for async calls off the event loop the first time:
        importing openai and instructor, building the connection pool and what the first
        request and answer build lazily take up to a second that would stall every task."""
        client = self._model_client
        if client is None or not client.has_async_client:
            client = await asyncio.to_thread(self._warm_model_client)
        return client

    def _warm_model_client(self) -> ModelClient:
        client = self.model_client
        client.warm_up(self.response_model)
        return client

    def over_limiter(self, limiter: RateLimiter, *, pool_size: int) -> ArticlePipeline:
        """A twin sharing everything but the model client, whose requests all pass ``limiter``
        (see :meth:`extractor.model.client.ModelClient.limited`). Close it with :meth:`aclose`;
        an application's own client under it stays open."""
        twin = copy.copy(self)
        twin.__dict__.pop("identity", None)  # cached_property: recomputed equal, never shared stale
        twin._model_client = self.model_client.limited(limiter, pool_size=pool_size)
        return twin

    def over_transport(self, transport: httpx2.AsyncBaseTransport) -> ArticlePipeline:
        """A twin whose async requests go over ``transport`` (a stand-in server in tests and
        benchmarks); batches built on it wrap that transport with their limiter."""
        twin = copy.copy(self)
        twin.__dict__.pop("identity", None)
        twin._model_client = self.model_client.over_transport(transport)
        twin._over_transport = True
        return twin

    def in_processes(self, workers: int) -> ArticlePipeline:
        """A twin whose CPU stages (prepare, finish) run in ``workers`` worker processes,
        its requests still made here; ``workers=0`` is this extractor. Close it with :meth:`aclose`."""
        if workers <= 0 or self.settings.grammar_ids:
            # Grammar-held ids give each article its own response model class, which cannot
            # travel between processes (and --local asks one request at a time anyway).
            return self
        twin = copy.copy(self)
        twin.__dict__.pop("identity", None)
        twin._stages = StagePool(self.recipe(), workers)
        twin._closes_client = False  # the client is this extractor's: its own aclose closes it
        return twin

    @property
    def limited_run_wide(self) -> bool:
        return self._model_client is not None and self._model_client.limited_run_wide

    @property
    def has_own_client(self) -> bool:
        return self._over_transport or any(c is not None for c in self._client_args.values())

    def batch_service(self) -> BatchService:
        from extractor.model.batches import BatchService

        return BatchService(self.model_client.client)

    def recipe(self) -> ExtractorRecipe:
        from pydantic import SecretStr

        if self.has_own_client:
            logger.warning("the client given to the Extractor is not used in other processes or on other nodes: "
                           "they build their own from the settings")
        settings = self.settings
        if settings.api_key is None:
            settings = settings.model_copy(update={"api_key": SecretStr(settings.resolved_api_key())})
        return ExtractorRecipe(settings, portable_reference(self.schema))

    def close(self) -> None:
        if self._model_client is not None:
            self._model_client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def aclose(self) -> None:
        if self._stages is not None:
            stages, self._stages = self._stages, None
            await asyncio.to_thread(stages.close)
        if self._model_client is not None and self._closes_client:
            await self._model_client.aclose()

    # What this extractor produces: the store keys results by it -----------------------
    @property
    def model_name(self) -> str:
        return self.settings.resolved_model()

    @property
    def schema_name(self) -> str:
        return schema_name(self.schema)

    @property
    def schema_version(self) -> str:
        return schema_version(self.schema)

    @property
    def endpoint_info(self) -> dict[str, Any]:
        """What this extractor asks and where, as a run prints it at its start and writes it
        in ``summary.json``: provider profile, model, endpoint, mode, chunk size, answer form."""
        from extractor.model.endpoint import shown_url

        s = self.settings
        if s.mentions_only:
            return {"provider": None, "model": self.model_name, "chunk_tokens": None}
        url = s.resolved_base_url()
        form = "labels" if self.form.labels else "values"
        return {"provider": s.profile().name, "model": self.model_name, "base_url": shown_url(url) if url else None,
                "mode": s.resolved_mode(), "chunk_tokens": self._chunk_budget(),
                "answer_form": f"{form} + {self.form.evidence} evidence"}

    @cached_property
    def identity(self) -> Identity:
        """The request and derivation fingerprints of this extractor's results.

        ``request_key`` changes with anything that changes what the model is sent;
        ``derive_key`` with anything that only changes what is made of its answer.
        """
        s = self.settings
        request = {
            "schema": self.schema_name, "schema_version": self.schema_version,
            "schema_json": fingerprint({"json": self._schema_json, "doc": self.schema.__doc__ or ""}),
            "prompt": self.template.name, "prompt_version": self.template.version,
            "prompt_text": fingerprint({"system": self.template.system, "user": self.template.user}),
            "model": self.model_name, "mode": s.resolved_mode(), "temperature": s.temperature,
            "max_output_tokens": s.max_output_tokens, "clean": s.clean, "cleaning": CLEANING_VERSION,
            "chunk_tokens": self._chunk_budget(), "chunk_overlap_tokens": s.chunk_overlap_tokens,
            "reask_on_ungrounded": s.reask_on_ungrounded, "reask_rule": "when_grounded",
            "extra_languages": sorted(s.extra_languages),
            "max_list_items": s.max_list_items, "max_string_chars": s.max_string_chars,
            "answer_form": [self.form.labels, self.form.evidence, self.form.evidence_unit],
            "mentions_only": s.mentions_only, "grammar_ids": s.grammar_ids,
        }
        derive = {"ungrounded": s.ungrounded, "fuzzy_threshold": s.fuzzy_threshold, "check_numbers": s.check_numbers,
                  "revision": DERIVE_REVISION}
        return Identity(self.schema_name, self.schema_version, self.template.name, self.template.version,
                        self.model_name, request_key=fingerprint(request), derive_key=fingerprint(derive),
                        request_params=request, derive_params=derive)

    # Stages before the model ------------------------------------------------------
    def prepare(self, article: str | Document, *, source: str | None = None) -> Prepared:
        """Read, clean, chunk and build the messages (no model call)."""
        doc = article if isinstance(article, Document) else self.document(article, source=source)
        check_article_text(doc.text, source=doc.source, budget=self.settings.max_article_tokens)
        cleaned = doc.cleaned_text(enabled=self.settings.clean)
        found = find_mentions(doc, cleaned)
        budget = self._chunk_budget()
        chunks = tuple(chunk_text(cleaned.text, max_tokens=budget, overlap_tokens=self.settings.chunk_overlap_tokens))
        if not chunks:
            chunks = (Chunk(index=0, text=cleaned.text, start=0, end=len(cleaned.text)),)
        instructions = (self.schema.__doc__ or "").strip()
        messages = tuple(
            tuple(build_messages(self.template, article=self._shown(found, c), schema_instructions=instructions,
                                 language=doc.language, title=doc.title, form_rules=self._form_rules))
            for c in chunks
        )
        tokens = sum(estimate_tokens(m["content"]) for msgs in messages for m in msgs)
        tokens += self._schema_tokens * len(chunks)
        check_prompt_tokens(tokens, source=doc.source, budget=self.settings.max_article_tokens)
        return Prepared(doc, cleaned, chunks, messages, tokens, found, self._asked_for(found))

    def _asked_for(self, found: MentionSet) -> type[BaseModel]:
        """The response model of one article: the extractor's, or, for a grammar-constrained
        server in label mode, one whose schema holds every mention id to this article's own."""
        if not (self.settings.grammar_ids and self.form.labels):
            return self.response_model
        base = self.response_model

        class HeldIds(base):  # type: ignore[valid-type,misc]
            @classmethod
            def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
                return hold_mention_ids(base.model_json_schema(*args, **kwargs), base, found)

        HeldIds.__name__, HeldIds.__qualname__, HeldIds.__doc__ = base.__name__, base.__qualname__, base.__doc__
        return HeldIds

    def _chunk_budget(self) -> int:
        """Tokens of cleaned text per chunk: the settings' budget, less the room the mention and
        sentence ids take in the text the model is shown (+2-3% measured on the seeds; 8% kept)."""
        budget = self.settings.chunk_budget(self._schema_tokens)
        return int(budget * ID_ROOM) if self.form.needs_mentions else budget

    def _shown(self, found: MentionSet, chunk: Chunk) -> str:
        """The chunk as the model sees it: with mention and sentence ids where the form needs them."""
        if not self.form.needs_mentions:
            return chunk.text
        return render_marked(found, start=chunk.start, end=chunk.end, sentence_ids=self.form.evidence == "sentence",
                             mention_kinds=QUANTITY_KINDS if self.form.labels else ())

    def _context(self, prepared: Prepared, chunk: Chunk) -> dict[str, Any]:
        return {**validation_context(chunk.text, check_quotes=self.settings.reask_on_ungrounded),
                **self.form.context(prepared.found)}

    # The model ------------------------------------------------------------------------
    def ask(self, prepared: Prepared) -> list[CallOutcome]:
        """One structured model call per chunk; the answers, not yet grounded."""
        return [self.model_client.call(list(msgs), prepared.response_model, context=self._context(prepared, chunk))
                for chunk, msgs in zip(prepared.chunks, prepared.messages)]

    async def aask(self, prepared: Prepared) -> list[CallOutcome]:
        """Async :meth:`ask`: the chunks' calls run concurrently; one failure cancels the rest."""
        client = await self._ready_model_client()
        tasks = [asyncio.ensure_future(client.acall(list(msgs), prepared.response_model,
                                                    context=self._context(prepared, chunk)))
                 for chunk, msgs in zip(prepared.chunks, prepared.messages)]
        try:
            return list(await asyncio.gather(*tasks))
        except BaseException:
            # The article fails, so the other chunks' requests are stopped rather than
            # paid for and thrown away.
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise

    async def aanswer(self, document: Document) -> ArticleAnswer:
        """The one place the stages run in order for a batch: prepare → ask → keep the raw
        answers → derive the facts. An article's own failure becomes its answer's ``error``;
        a :class:`ConfigurationError` (no article can succeed) is raised."""
        try:
            prepared = await self._aprepare(document)
            if self.settings.mentions_only:
                return ArticleAnswer("[]", self.mentions_result(prepared))
            outcomes = await self.aask(prepared)
            answers = self.dump_answers(outcomes)
            return ArticleAnswer(answers, await self._afinish(prepared, outcomes, answers))
        except ConfigurationError:
            raise
        except ExtractorError as exc:
            return ArticleAnswer(error=exc)
        except Exception as exc:  # one bad article never stops the run
            logger.debug("internal error on %s", document.source, exc_info=True)
            return ArticleAnswer(error=ExtractorError(f"{type(exc).__name__}: {exc}"))

    async def _aprepare(self, document: Document) -> Prepared:
        # Cleaning, mentions and grounding are CPU work: in the worker processes when
        # there are some (and they are alive), else off the event loop in a thread.
        if self._stages is not None:
            try:
                # The cleaned text travels apart: a pickled Document leaves it behind.
                prepared: Prepared = await self._stages.run("prepare", document, document.cleaned)
                return dataclasses.replace(prepared, response_model=self.response_model)
            except _WorkersStopped:
                pass
        return await asyncio.to_thread(self.prepare, document)

    async def _afinish(self, prepared: Prepared, outcomes: list[CallOutcome], answers: str) -> ExtractionResult:
        if self._stages is not None:
            try:
                result: ExtractionResult = await self._stages.run("finish", _portable(prepared), answers)
                return result
            except _WorkersStopped:
                pass  # the answers are paid for: finished here
        return self.finish(prepared, outcomes)

    # Requests answered elsewhere (the OpenAI Batch API) -------------------------------
    def batch_requests(self, document: Document) -> list[dict[str, object]]:
        prepared = self.prepare(document)
        return [self.model_client.request_body(list(msgs), self.response_model) for msgs in prepared.messages]

    def answer_from_batch(self, document: Document, bodies: Sequence[Mapping[str, object] | ExtractorError],
                          *, price_factor: float) -> ArticleAnswer:
        try:
            prepared = self.prepare(document)
            if len(bodies) != len(prepared.chunks):
                raise ConfigurationError(
                    f"{document.source}: {len(bodies)} answers for {len(prepared.chunks)} chunks: the article is "
                    "chunked differently than when it was submitted (chunking settings changed); use the settings "
                    "it was submitted with")
            outcomes = []
            for body in bodies:
                if isinstance(body, ExtractorError):
                    raise body
                outcomes.append(self.model_client.parse_answer(dict(body), self.response_model,
                                                               price_factor=price_factor))
            return ArticleAnswer(self.dump_answers(outcomes), self.finish(prepared, outcomes))
        except ConfigurationError:
            raise
        except ExtractorError as exc:
            return ArticleAnswer(error=exc)
        except Exception as exc:  # one bad article never stops the collect
            logger.debug("internal error on %s", document.source, exc_info=True)
            return ArticleAnswer(error=ExtractorError(f"{type(exc).__name__}: {exc}"))

    # Answers kept, facts re-derived ---------------------------------------------------
    @staticmethod
    def dump_answers(outcomes: list[CallOutcome]) -> str:
        """The model's answers as JSON, one entry per chunk. Call it before :meth:`finish`,
        which edits the answers in place (corrected numbers, dropped facts)."""
        return json.dumps([{"data": o.data.model_dump(mode="json"), "usage": o.usage.model_dump(),
                            "warnings": list(o.warnings)} for o in outcomes], ensure_ascii=False)

    def load_answers(self, answers_json: str) -> list[CallOutcome]:
        """Answers stored by :meth:`dump_answers`, validated again (quotes are checked by grounding)."""
        try:
            entries = json.loads(answers_json)
            unchecked = {"extractor_check_quotes": False}
            return [CallOutcome(self.response_model.model_validate(e["data"], context=unchecked),
                                Usage.model_validate(e["usage"]), tuple(e.get("warnings") or ()))
                    for e in entries]
        except (ValueError, KeyError, TypeError) as exc:
            raise ExtractorError(f"stored answers cannot be read for schema {self.schema_name!r}: {exc}") from exc

    def rederive(self, document: Document, answers_json: str) -> ExtractionResult:
        """The facts of stored answers under this extractor's post-processing settings (no model call)."""
        prepared = self.prepare(document)
        if self.settings.mentions_only:
            return self.mentions_result(prepared)
        outcomes = self.load_answers(answers_json)
        if len(outcomes) != len(prepared.chunks):
            raise ExtractorError(f"{document.source}: {len(outcomes)} stored answers for {len(prepared.chunks)} chunks")
        return self.finish(prepared, outcomes)

    # Public API ---------------------------------------------------------------------
    def document(self, text: str, *, source: str | None = None) -> Document:
        """An article's text as a :class:`Document` (metadata and language detected)."""
        return document_from_text(text, source=source, languages=self.settings.extra_languages)

    def read(self, path: str | Path) -> Document:
        """One file as a :class:`Document` (any encoding, .txt/.html/.md)."""
        return read_document(path, languages=self.settings.extra_languages)

    def extract(self, text: str, *, source: str | None = None) -> ExtractionResult:
        """Facts from one article's text; spans point into ``text``."""
        return self.extract_document(self.document(text, source=source))

    def extract_file(self, path: str | Path) -> ExtractionResult:
        """Facts from one file (any encoding, .txt/.html/.md); spans point into the decoded text."""
        return self.extract_document(self.read(path))

    def extract_document(self, doc: Document) -> ExtractionResult:
        prepared = self.prepare(doc)
        if self.settings.mentions_only:
            return self.mentions_result(prepared)
        return self.finish(prepared, self.ask(prepared))

    async def aextract(self, text: str, *, source: str | None = None) -> ExtractionResult:
        """Async :meth:`extract`. The CPU work (reading, cleaning, mentions, grounding) runs in
        a worker thread and the model client is built in one: the event loop only waits."""
        return await self._aextract_prepared(await asyncio.to_thread(self.prepare, text, source=source))

    async def aextract_file(self, path: str | Path) -> ExtractionResult:
        doc = await asyncio.to_thread(self.read, path)
        return await self.aextract_document(doc)

    async def aextract_document(self, doc: Document) -> ExtractionResult:
        # Cleaning and language detection are CPU work; keep them off the event loop.
        return await self._aextract_prepared(await asyncio.to_thread(self.prepare, doc))

    async def _aextract_prepared(self, prepared: Prepared) -> ExtractionResult:
        if self.settings.mentions_only:
            return self.mentions_result(prepared)
        outcomes = await self.aask(prepared)
        return await asyncio.to_thread(self.finish, prepared, outcomes)

    # After the model ----------------------------------------------------------------
    def mentions_result(self, prepared: Prepared) -> ExtractionResult:
        """The result of an article whose mentions are all that is asked for (no model call)."""
        found = prepared.found
        note = _language_note(prepared.document.language, self.settings.extra_languages)
        return ExtractionResult(
            document=_document_info(prepared, note), schema_name=self.schema_name,
            schema_version=self.schema_version, prompt_name=self.template.name, prompt_version=self.template.version,
            model=self.model_name, provider=None, warnings=[*prepared.document.warnings, *filter(None, [note])],
            mentions=list(found.mentions), sentences=list(found.sentences))

    def finish(self, prepared: Prepared, outcomes: list[CallOutcome]) -> ExtractionResult:
        """Merge chunk answers, ground every fact, check numbers, drop or flag, dedupe."""
        doc = prepared.document
        chunk_of = {id(site.owner): chunk.index
                    for chunk, outcome in zip(prepared.chunks, outcomes) for site in iter_evidence(outcome.data)}
        merged = _merge_instances([o.data for o in outcomes])
        warnings: list[str] = list(doc.warnings)
        note = _language_note(doc.language, self.settings.extra_languages)
        if note is not None:
            warnings.append(note)
        sites: dict[int, AnswerSite] = {}
        if self.form.needs_mentions:
            # Ids → the user's schema, with values, qualifiers, evidence and spans from the readers.
            filled = self.form.to_schema(merged, prepared.found)
            merged, sites = filled.data, filled.sites
            warnings.extend(filled.problems)
        source = SourceIndex(doc.text)
        derivation = _Derivation(merged, self.settings, doc.language, reference_date(doc.published), sites)
        hints = {c.index: prepared.cleaned.span_to_original(c.start, c.end) for c in prepared.chunks}
        derivation.ground(source, chunk_of, hints)
        derivation.dedupe()
        facts = derivation.facts()
        if note is not None:  # on every fact too: the tables are read without the article's warnings
            for fact in facts:
                fact.flags.append(LANGUAGE_UNSUPPORTED)
        doc_checks = check_document_fields(derivation.data, doc, source, fuzzy_threshold=self.settings.fuzzy_threshold)
        warnings.extend(apply_document_checks(derivation.data, doc_checks,
                                              keep_ungrounded=self.settings.ungrounded == "flag"))
        usage = Usage()
        for o in outcomes:
            usage = usage.add(o.usage)
            warnings.extend(o.warnings)
        if derivation.stats.dropped:
            warnings.append(f"dropped {derivation.stats.dropped} fact(s) whose evidence, or a name or other string "
                            "they state, is not in the article")
        found = prepared.found
        return ExtractionResult(
            data=derivation.data, facts=facts, usage=usage, document=_document_info(prepared, note),
            stats=derivation.stats,
            schema_name=self.schema_name, schema_version=self.schema_version, prompt_name=self.template.name,
            prompt_version=self.template.version, model=self.model_name, provider=self.settings.profile().name,
            warnings=warnings, mentions=list(found.mentions), sentences=list(found.sentences),
        )


Extractor = ArticlePipeline
"""The v0.1 name of :class:`ArticlePipeline` (``from extractor.pipeline import Extractor``).
Applications use :class:`extractor.Extractor`, which also runs batches."""


def extract(
    text: str,
    *,
    schema: type[ModelT] | str | None = None,
    settings: Settings | None = None,
    client: openai.OpenAI | None = None,
    source: str | None = None,
    **overrides: Unpack[SettingsKeywords],
) -> ExtractionResult[ModelT]:
    """Facts from one article with the default (or given) schema.

    ``overrides`` are :class:`Settings` fields (``model=``, ``base_url=``, ...), applied on
    top of ``settings`` or the environment; a misspelt one is a type error and a
    :class:`ConfigurationError`. ``client`` is your ``openai.OpenAI`` (kept open). With a
    schema class, ``result.data`` is typed as that class. For many articles, keep one
    :class:`extractor.Extractor`: this builds (and closes) a client per call.

    >>> result = extract(open("article.txt", encoding="utf-8").read(), model="gpt-4o-mini")  # doctest: +SKIP
    >>> result.facts[0].evidence, result.facts[0].span                                      # doctest: +SKIP
    """
    ex = ArticlePipeline(_settings(settings, dict(overrides)), schema=schema, client=client)
    try:
        return cast("ExtractionResult[ModelT]", ex.extract(text, source=source))
    finally:
        if client is None:
            ex.close()


async def aextract(
    text: str,
    *,
    schema: type[ModelT] | str | None = None,
    settings: Settings | None = None,
    client: openai.AsyncOpenAI | None = None,
    source: str | None = None,
    **overrides: Unpack[SettingsKeywords],
) -> ExtractionResult[ModelT]:
    """Async :func:`extract`; ``client`` is your ``openai.AsyncOpenAI`` if given (kept open).

    The event loop only waits: the settings, the schema and the client are made, and the
    article read, cleaned and grounded, in worker threads.

    >>> result = await aextract(text, model="gpt-4o-mini", base_url="http://gpu:8000/v1")  # doctest: +SKIP
    """
    check_client_kinds(None, client, names=("client", "client"))
    ex = await asyncio.to_thread(
        lambda: ArticlePipeline(_settings(settings, dict(overrides)), schema=schema, async_client=client))
    try:
        return cast("ExtractionResult[ModelT]", await ex.aextract(text, source=source))
    finally:
        if client is None:
            await ex.aclose()


def _settings(settings: Settings | None, overrides: Mapping[str, Any]) -> Settings:
    if settings is None:
        return Settings.from_env(**overrides)
    if not overrides:
        return settings
    # Re-validated, so that a misspelt or wrongly typed override fails loudly.
    try:
        return Settings(**{**settings.model_dump(exclude_unset=True), **overrides})
    except ValueError as exc:
        raise ConfigurationError(f"invalid settings: {exc}") from exc
