"""Data types every stage shares: spans, facts with their envelope, usage, the result.

The schema says what the model must produce; the *envelope* here (span, alignment,
corrections, chunk) is what the library adds afterwards and is never asked of the model.
"""

from __future__ import annotations

from typing import Any, Generic, Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer
from typing_extensions import TypeVar

Alignment = Literal["exact", "fuzzy", "none"]


class Span(BaseModel):
    """A half-open character range ``[start, end)`` into the text the user passed in."""

    model_config = ConfigDict(frozen=True)
    start: int = Field(ge=0)
    end: int = Field(ge=0)

    def slice(self, text: str) -> str:
        return text[self.start : self.end]


class Correction(BaseModel):
    """A value the library changed because the evidence says otherwise."""

    model_config = ConfigDict(frozen=True)
    field: str
    model_value: Any
    corrected_value: Any
    reason: str


class DateInfo(BaseModel):
    """A date or period field read deterministically (Solar Hijri, Hijri, Chinese, relative)."""

    model_config = ConfigDict(frozen=True)
    text: str
    start: str | None = None  # ISO date
    end: str | None = None
    granularity: str = "unknown"
    calendar: str = "gregorian"
    resolved: bool = False


MentionKind = Literal["quantity", "money", "date"]
MENTION_PREFIX: dict[str, str] = {"quantity": "Q", "money": "M", "date": "D"}


class Sentence(BaseModel):
    """One sentence of the cleaned article: ``id`` (``S1``, ``S2``… in text order) and its
    span ``[start, end)`` in the ORIGINAL text (what a model cites in sentence-citation mode)."""

    model_config = ConfigDict(frozen=True)
    id: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)


class Mention(BaseModel):
    """A number, amount, percentage or date the readers found in the article, before any model.

    ``id`` is short and stable for the same text: a letter for the kind (``Q`` quantities,
    percentages included; ``M`` money; ``D`` dates) and the mention's rank among the
    article's mentions of that kind in text order (``Q1``, ``M3``, ``D2``). ``start``/``end``
    point into the ORIGINAL text and ``text`` is what they point at. Quantities and money
    carry ``value`` (fully scaled; ``value_max`` closes a range), ``unit`` (money:
    ``currency``) and ``qualifier``; dates carry the ISO period ``date_start``…``date_end``
    (inclusive), ``granularity``, ``calendar`` and ``resolved`` (False for a relative or
    year-less date without a publication date to read it against). ``sentence`` is the
    id of the sentence it stands in.

    >>> m = Mention(id="M1", kind="money", text="500余萬元", start=10, end=16, value=5000000,
    ...             currency="CNY", qualifier="more_than", sentence="S2")
    >>> m.value, m.qualifier, m.span
    (5000000, 'more_than', Span(start=10, end=16))
    """

    model_config = ConfigDict(frozen=True)
    id: str
    kind: MentionKind
    text: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    value: int | float | None = None
    value_max: int | float | None = None
    unit: str | None = None
    currency: str | None = None
    qualifier: str | None = None
    uncertain: bool = False
    date_start: str | None = None
    date_end: str | None = None
    granularity: str | None = None
    calendar: str | None = None
    resolved: bool | None = None
    sentence: str | None = None

    @property
    def span(self) -> Span:
        return Span(start=self.start, end=self.end)


class Fact(BaseModel):
    """One fact: the model's fields plus where its evidence stands in the source.

    ``path`` locates the fact in :attr:`ExtractionResult.data` (``quantities[3]``);
    ``type`` is the fact type (``quantity``, ``organisation``, ...).
    """

    type: str
    path: str
    data: dict[str, Any]
    evidence: str
    span: Span | None = None
    spans: list[Span] = Field(default_factory=list, description="All places the evidence was found (merged chunks).")
    alignment: Alignment = "none"
    score: float = Field(default=0.0, description="Match score 0-100 of the evidence against the source.")
    grounded: bool = False
    corrections: list[Correction] = Field(default_factory=list)
    dates: dict[str, DateInfo] = Field(default_factory=dict, description="Date fields as ISO periods.")
    flags: list[str] = Field(default_factory=list)
    chunk: int | None = None
    mentions: dict[str, str] = Field(default_factory=dict, description=(
        "Label mode: the mention each of the fact's mention references was filled from (mention → Q3)."))


class Usage(BaseModel):
    """Tokens and attempts over every call made for one article (all attempts included)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    requests: int = Field(default=0, description="HTTP requests sent to the model, retries included.")
    calls: int = Field(default=0, description="Structured-extraction calls (one per chunk).")
    reasks: int = Field(default=0, description="Validation re-asks (instructor's budget).")
    transport_retries: int = Field(default=0, description="Retries after 429/5xx/timeouts (tenacity's budget).")
    cost_usd: float | None = None

    def add(self, other: Usage) -> Usage:
        cost = None
        if self.cost_usd is not None or other.cost_usd is not None:
            cost = (self.cost_usd or 0.0) + (other.cost_usd or 0.0)
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            total_tokens=self.total_tokens + other.total_tokens,
            requests=self.requests + other.requests,
            calls=self.calls + other.calls,
            reasks=self.reasks + other.reasks,
            transport_retries=self.transport_retries + other.transport_retries,
            cost_usd=cost,
        )


class DocumentInfo(BaseModel):
    """What the reading and cleaning stages learnt about the article."""

    source: str | None = None
    sha256: str | None = None
    encoding: str | None = None
    format: str | None = None
    language: str | None = None
    language_unsupported: bool = Field(default=False, description=(
        "The readers (numbers, dates, sentences) are not built for the article's language, or it could not be "
        "detected: its facts carry the flag 'language_unsupported'."))
    title: str | None = None
    published: str | None = None
    outlet: str | None = None
    chars: int = 0
    cleaned_chars: int = 0
    removed_lines: int = 0
    chunks: int = 1
    warnings: list[str] = Field(default_factory=list)


class GroundingStats(BaseModel):
    total: int = 0
    exact: int = 0
    fuzzy: int = 0
    ungrounded: int = 0
    dropped: int = 0
    flagged: int = 0
    corrected: int = 0
    merged_duplicates: int = 0
    fields_not_in_text: int = Field(default=0, description=(
        "Facts with a name, place or other as-written string that is not in the article (dropped unless "
        "ungrounded facts are kept)."))


SchemaT = TypeVar("SchemaT", default=Any)
"""The schema class of a result's ``data`` (``Any`` when the schema is named by a string)."""
ModelT = TypeVar("ModelT", bound=BaseModel, default=Any)
"""A schema class given to the public calls (``Any`` when a string names the schema)."""


class ExtractionResult(BaseModel, Generic[SchemaT]):
    """Everything extracted from one article, with provenance.

    ``data`` is the filled schema (ungrounded facts removed unless the settings keep
    them, corrected numbers applied; ``None`` for a mentions-only result); ``facts`` is
    the flat list a table is made of.

    Generic in the schema: ``Extractor(schema=MySchema).extract(text)`` is an
    ``ExtractionResult[MySchema]`` whose ``data`` type checkers know as ``MySchema``. A
    result read back from JSON keeps ``data`` a dict, unless you name the schema:

    >>> from pydantic import BaseModel
    >>> class Beds(BaseModel):
    ...     count: int
    ...     evidence: str
    >>> text = '{"data": {"count": 120, "evidence": "120 beds"}, "model": "m"}'
    >>> ExtractionResult[Beds].model_validate_json(text).data
    Beds(count=120, evidence='120 beds')
    >>> ExtractionResult.model_validate_json(text).data
    {'count': 120, 'evidence': '120 beds'}
    """

    data: SchemaT | None = Field(default=None, description=(
        "The filled schema instance (a plain dict once reloaded from JSON without the schema)."))
    facts: list[Fact] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)
    document: DocumentInfo = Field(default_factory=DocumentInfo)
    stats: GroundingStats = Field(default_factory=GroundingStats)
    schema_name: str = ""
    schema_version: str = ""
    prompt_name: str = ""
    prompt_version: str = ""
    model: str = ""
    provider: str | None = None
    warnings: list[str] = Field(default_factory=list)
    mentions: list[Mention] = Field(default_factory=list, description=(
        "Every number, amount, percentage and date the readers found, found before any model call."))
    sentences: list[Sentence] = Field(default_factory=list, description="The cleaned text's sentences (ids S1...).")

    @field_serializer("data")
    def _dump_data(self, value: Any, info: Any) -> Any:
        if isinstance(value, BaseModel):
            return value.model_dump(mode=info.mode)
        return value

    def facts_of(self, fact_type: str) -> list[Fact]:
        """The facts of one type, e.g. ``result.facts_of("quantity")``."""
        return [f for f in self.facts if f.type == fact_type]
