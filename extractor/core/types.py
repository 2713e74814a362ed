"""Data types every stage shares: spans, facts with their envelope, usage, the result.

The schema says what the model must produce; the *envelope* here (span, alignment,
corrections, chunk) is what the library adds afterwards and is never asked of the model.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer

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


class ExtractionResult(BaseModel):
    """Everything extracted from one article, with provenance.

    ``data`` is the filled schema (ungrounded facts removed unless the settings keep
    them, corrected numbers applied); ``facts`` is the flat list a table is made of.
    """

    data: Any = Field(default=None, description="The filled schema instance (a plain dict once reloaded from JSON).")
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

    @field_serializer("data")
    def _dump_data(self, value: Any, info: Any) -> Any:
        if isinstance(value, BaseModel):
            return value.model_dump(mode=info.mode)
        return value

    def facts_of(self, fact_type: str) -> list[Fact]:
        """The facts of one type, e.g. ``result.facts_of("quantity")``."""
        return [f for f in self.facts if f.type == fact_type]
