"""What a run reports: one :class:`ArticleRecord` per article, :class:`Progress` as it goes,
a :class:`RunSummary` at the end. The same for every engine.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from extractor.core.errors import retryable
from extractor.core.types import ExtractionResult, Usage

__all__ = ["ArticleRecord", "Progress", "RunSummary", "DryRunSummary", "How", "Skipped", "SKIP_REASONS"]

SUPPORTED_SUFFIXES = frozenset({".txt", ".md", ".html", ".htm", ".jsonl"})

SKIP_REASONS = {
    "hidden": "hidden (its name starts with a dot)",
    "unsupported_type": "not an article type (" + ", ".join(sorted(SUPPORTED_SUFFIXES)) + ")",
    "link_outside": "a symlink to a place outside the input (add --follow-symlinks to read it)",
    "special_file": "not a regular file (a pipe, socket or device is never opened)",
    "symlink_loop": "a symlink loop",
    "broken_symlink": "a symlink to nothing",
    "seen_folder": "a folder already read through another path",
    "unreadable": "cannot be read",
}
"""Why a walk or a glob passed over a path: the reason codes of :class:`Skipped`."""


@dataclass(frozen=True)
class Skipped:
    """A path a folder walk or a glob passed over, and why (a :data:`SKIP_REASONS` code).

    >>> str(Skipped("in/passwd.txt", "link_outside", "-> /etc/passwd"))
    'in/passwd.txt: a symlink to a place outside the input (add --follow-symlinks to read it): -> /etc/passwd'
    """

    path: str
    reason: str
    detail: str = ""

    def __str__(self) -> str:
        text = f"{self.path}: {SKIP_REASONS.get(self.reason, self.reason)}"
        return f"{text}: {self.detail}" if self.detail else text

    def to_dict(self) -> dict[str, str]:
        return {"path": self.path, "reason": self.reason, "detail": self.detail}

EXIT_INTERRUPTED = 130
"""The exit code of an interrupted run (128 + SIGINT, as shells report Ctrl-C)."""

# How a record came about in this run: asked the model, re-derived from stored answers
# (0 calls), or reused as stored (0 calls, nothing recomputed).
How = Literal["requested", "rederived", "reused"]


@dataclass
class ArticleRecord:
    """The outcome of one article in a run.

    ``status`` is ``ok`` or ``error``; ``how`` says whether the model was asked in this
    run (``requested``), the facts were re-derived from stored answers (``rederived``)
    or the stored record was reused (``reused``); ``cached`` is True for the last two.
    ``error_kind`` is ``input``, a :class:`~extractor.core.errors.ModelCallError` kind
    (``transport``, ``validation``, ``refusal``, ``empty``) or ``internal``. ``result``
    is the :class:`ExtractionResult` of an ``ok`` record made or re-derived in this run.
    ``kept_previous`` marks a failed request whose article keeps the answer stored before
    (a ``--refresh`` that failed): the outputs still show that answer. A ``pending`` record
    (status ``pending``) waits in that Batch API batch: a later run collects it.
    ``from_submitted`` says what became of the article's file between a Batch API submit
    and the collect (deleted, changed, made unreadable) when its answer was therefore
    derived from the text submitted, kept in the store.
    """

    source: str | None
    sha256: str | None
    status: str
    error: str | None = None
    error_kind: str | None = None
    how: How = "requested"
    duplicate_of: str | None = None
    facts: int = 0
    facts_by_type: dict[str, int] = field(default_factory=dict)
    usage: Usage | None = None
    result_json: str | None = field(default=None, repr=False)
    _result: ExtractionResult | None = field(default=None, repr=False)
    kept_previous: bool = False
    pending: str | None = None
    language_unsupported: bool = False
    from_submitted: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def cached(self) -> bool:
        """No model call was made for this article in this run."""
        return self.how != "requested"

    @property
    def result(self) -> ExtractionResult | None:
        if self._result is None and self.result_json:
            self._result = ExtractionResult.model_validate_json(self.result_json)
        return self._result

    @classmethod
    def of_result(cls, result: ExtractionResult, *, source: str | None, sha256: str, how: How,
                  result_json: str | None = None, usage: Usage | None = None) -> ArticleRecord:
        by_type = facts_by_type(result)
        return cls(source, sha256, "ok", how=how, facts=len(result.facts), facts_by_type=by_type, usage=usage,
                   result_json=result_json, _result=result,
                   language_unsupported=result.document.language_unsupported)


def facts_by_type(result: ExtractionResult) -> dict[str, int]:
    counts: dict[str, int] = {}
    for f in result.facts:
        counts[f.type] = counts.get(f.type, 0) + 1
    return counts


@dataclass
class Progress:
    """Counts so far, handed to ``on_progress`` after every record."""

    total: int
    done: int = 0
    ok: int = 0
    failed: int = 0
    cached: int = 0
    tokens: int = 0
    cost_usd: float = 0.0
    started: float = field(default_factory=time.monotonic)

    @property
    def elapsed_s(self) -> float:
        return time.monotonic() - self.started

    @property
    def per_minute(self) -> float:
        """Articles per minute processed in this run (cached ones excluded)."""
        fresh = self.done - self.cached
        return 60.0 * fresh / self.elapsed_s if self.elapsed_s > 0 else 0.0


@dataclass
class RunSummary:
    """What a run did. ``exit_code`` is 0 when every article is ok, 1 when some failed, 130
    when the run was interrupted (Ctrl-C, ``stop``, a cancelled ``arun``: the command line's
    code; the same command again resumes it).

    ``requested`` articles were sent to the model in this run, ``rederived`` ones had
    their facts made again from stored answers (a post-processing setting changed),
    ``cached`` ones were reused as stored; the last two cost no call. Of the ``failed``
    ones, ``kept_previous`` still show the answer stored before (a failed ``--refresh``).
    ``pending`` articles wait in the Batch API ``batches``: the same run again collects them.
    ``from_submitted`` articles were collected although their file was deleted, changed or
    made unreadable since the submit: their answers were derived from the text submitted.
    ``lost_answers`` names the answers paid for that could not be stored (a file gone
    since a submit made before texts were kept; putting it back as it was collects it).
    ``language_unsupported`` counts the articles extracted in this run whose language the
    readers are not built for (their facts are flagged). ``provider``, ``model`` and
    ``chunk_tokens`` (the article text per chunk, in tokens) say what the run asked.
    """

    run_id: int
    out: Path
    engine: str = "asyncio"
    total: int = 0
    ok: int = 0
    failed: int = 0
    cached: int = 0
    requested: int = 0
    rederived: int = 0
    duplicates: int = 0
    model_calls: int = 0
    rate_limited: int = 0
    paused_s: float = 0.0
    requested_twice: int = 0
    kept_previous: int = 0
    pending: int = 0
    batches: list[str] = field(default_factory=list)
    from_submitted: int = 0
    lost_answers: list[str] = field(default_factory=list)
    interrupted: bool = False
    language_unsupported: int = 0
    provider: str | None = None
    model: str | None = None
    chunk_tokens: int | None = None
    wall_s: float = 0.0
    facts_by_type: dict[str, int] = field(default_factory=dict)
    errors_by_kind: dict[str, int] = field(default_factory=dict)
    usage: Usage = field(default_factory=Usage)
    paths: dict[str, str] = field(default_factory=dict)
    skipped: list[Skipped] = field(default_factory=list)
    export_error: str | None = None
    # What was asked and where: provider profile, model, endpoint, chunk size (no silent guesses).
    endpoint: dict[str, Any] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        """0 every article ok; 1 some failed; 3 the outputs could not be written (storage);
        130 interrupted (resumable).

        >>> RunSummary(run_id=1, out=Path("out"), ok=3).exit_code
        0
        >>> RunSummary(run_id=1, out=Path("out"), ok=2, failed=1).exit_code
        1
        >>> RunSummary(run_id=1, out=Path("out"), ok=2, interrupted=True).exit_code
        130
        """
        if self.interrupted:
            return EXIT_INTERRUPTED
        if self.export_error:
            return 3
        return 0 if self.failed == 0 else 1

    @property
    def retryable(self) -> int:
        """Failed articles worth running again as they are (see :data:`RETRYABLE_KINDS`)."""
        return sum(n for kind, n in self.errors_by_kind.items() if retryable(kind))

    @property
    def not_retryable(self) -> int:
        """Failed articles that will fail again until the file (or the question) changes."""
        return self.failed - self.retryable

    def skipped_by_reason(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for s in self.skipped:
            counts[s.reason] = counts.get(s.reason, 0) + 1
        return dict(sorted(counts.items()))

    @property
    def reused(self) -> int:
        """Articles reused as stored (no call, nothing recomputed)."""
        return self.cached - self.rederived

    def add(self, rec: ArticleRecord) -> None:
        """Count one article's record."""
        if rec.pending is not None:
            self.pending += 1
            if rec.pending not in self.batches:
                self.batches.append(rec.pending)
            return
        self.cached += rec.cached
        self.language_unsupported += rec.language_unsupported
        self.rederived += rec.how == "rederived"
        self.requested += rec.how == "requested" and rec.error_kind != "input"
        self.duplicates += rec.duplicate_of is not None
        self.from_submitted += rec.from_submitted is not None
        if rec.ok:
            self.ok += 1
        else:
            self.failed += 1
            self.kept_previous += rec.kept_previous
            kind = rec.error_kind or "unknown"
            self.errors_by_kind[kind] = self.errors_by_kind.get(kind, 0) + 1
        for t, n in rec.facts_by_type.items():
            self.facts_by_type[t] = self.facts_by_type.get(t, 0) + n
        if rec.usage is not None:
            self.usage = self.usage.add(rec.usage)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["out"] = str(self.out)
        d["usage"] = self.usage.model_dump()
        d["reused"] = self.reused
        d["exit_code"] = self.exit_code
        d["retryable"], d["not_retryable"] = self.retryable, self.not_retryable
        d["skipped"] = [s.to_dict() for s in self.skipped]
        d["skipped_by_reason"] = self.skipped_by_reason()
        return d

    def counts(self) -> dict[str, Any]:
        """The figures the store logs with the run (skipped paths by reason, not one by one)."""
        d = self.to_dict()
        for key in ("out", "paths", "wall_s", "exit_code", "skipped"):
            d.pop(key, None)
        counts: dict[str, Any] = json.loads(json.dumps(d, default=str))
        return counts


@dataclass
class DryRunSummary:
    """What a run would send: articles, chunks, estimated prompt tokens and their cost."""

    articles: int = 0
    errors: int = 0
    chunks: int = 0
    prompt_tokens: int = 0
    input_cost_usd: float | None = None
    model: str = ""
    price_per_mtok: tuple[float, float] | None = None
    error_messages: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)
