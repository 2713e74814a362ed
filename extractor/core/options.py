"""Typed, keyword-only option objects, built once (by the CLI or the Python API) and passed down.

:class:`~extractor.model.settings.Settings` says *what* is extracted and from which
endpoint; :class:`RunOptions` says *how a batch runs*: where it writes, how many
requests are in flight, rate limits, which engine. Engines take a ``RunOptions``,
never a list of keywords.

>>> RunOptions(out="out", concurrency=16).concurrency
16
>>> RunOptions(out="out", concurrency=0)
Traceback (most recent call last):
...
extractor.core.errors.ConfigurationError: concurrency must be at least 1, got 0
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal, Protocol, TypedDict, overload

from extractor.core.errors import ConfigurationError
from extractor.core.records import ArticleRecord, Progress

__all__ = ["RunOptions", "RunKeywords", "EngineName", "ENGINES", "RequestLimiter"]

EngineName = Literal["asyncio", "ray", "batchapi"]
ENGINES: tuple[str, ...] = ("asyncio", "ray", "batchapi")
"""The built-in engines; plugins add theirs (see :mod:`extractor.runs.engines`)."""


class RequestLimiter(Protocol):
    """What a run-wide limiter shared by several runs must offer (the library's own is
    :class:`extractor.model.ratelimit.RateLimiter`): a permit per request, the real token
    count afterwards, and a pause for everyone after a 429."""

    async def acquire(self, tokens: int = 0) -> None: ...

    def settle(self, estimated: int, actual: int) -> None: ...

    def on_rate_limited(self, retry_after: float | None = None) -> float: ...

    def on_success(self) -> None: ...


class _PathField:
    """A dataclass field kept as a :class:`~pathlib.Path` and given as any path-like.

    A descriptor-typed field (see the dataclasses docs): mypy and pyright type the
    constructor's parameter from ``__set__`` (``str | os.PathLike[str]``) and the
    attribute from ``__get__`` (``Path``), with no plugin. ``__get__`` on the class raises
    AttributeError, so the dataclass sees no default and the field stays required.
    """

    def __set_name__(self, owner: type, name: str) -> None:
        self._attr = f"_{name}_path"

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> _PathField: ...
    @overload
    def __get__(self, obj: object, owner: type | None = None) -> Path: ...
    def __get__(self, obj: object | None, owner: type | None = None) -> Path | _PathField:
        if obj is None:
            raise AttributeError(f"{self._attr[1:-5]} has no default")
        path: Path = getattr(obj, self._attr)
        return path

    def __set__(self, obj: object, value: str | os.PathLike[str]) -> None:
        object.__setattr__(obj, self._attr, Path(os.fspath(value)))


@dataclass(frozen=True, kw_only=True)
class RunOptions:
    """How one batch runs.

    Attributes:
        out: the output folder (store, exports, lock).
        concurrency: model requests in flight, run-wide (every engine means the same).
        rpm / tpm: requests / tokens per minute, run-wide.
        retry_errors: extract again the articles whose last attempt failed.
        refresh: ask the model again even for articles already done (new answers replace old ones).
        text_field / id_field: the fields of a ``.jsonl`` record that hold the text and the id.
        export: regenerate ``articles.jsonl``, ``tables/`` and ``summary.json`` at the end.
        wait: when another run holds the output folder, wait for it instead of failing.
        engine: ``asyncio`` (one process), ``ray`` (a Ray cluster, local or remote), ``batchapi``
            (the OpenAI Batch API: the first run submits, a later run collects), or a plugin's.
        ray_address: ``None`` starts a local Ray instance; ``auto`` or the head's ``HOST:PORT`` joins
            one (Ray Client ``ray://`` addresses are refused: see the README, 'Beyond one machine').
        check_connection: test that the endpoint accepts connections before the run
            (default: when the library builds the client itself).
        argv: the command line, logged with the run (secrets blanked).
        on_progress / on_record: called after each article with a :class:`Progress` / the
            article's :class:`ArticleRecord`.
        stop: set it to end the run early (finished articles are kept and exported).
        handle_sigint: in the main thread, the first Ctrl-C stops the run cleanly and the
            second aborts it (``run`` only; ``arun`` leaves signals to the application).
        limiter: a run-wide limiter shared with other runs (default: one per run, from
            ``concurrency``, ``rpm`` and ``tpm``).
        only: content hashes (sha256) to restrict the run to; other articles are not read
            further, asked or reported (collecting one Batch API batch uses it).
        poll_interval_s: seconds between two looks at a Batch API batch while waiting for it.
        engine_options: settings only one engine understands (see the engine's ``answer``).
        follow_symlinks: read files that symlinks lead to outside the named inputs (by
            default such a link is skipped and reported: a shared input folder must not
            become a way to send any readable file on the machine to the model).
    """

    out: _PathField = _PathField()  # required (no default); a str or any path-like, kept as a Path
    concurrency: int = 8
    rpm: int | None = None
    tpm: int | None = None
    retry_errors: bool = True
    refresh: bool = False
    text_field: str = "text"
    id_field: str = "id"
    export: bool = True
    wait: bool = False
    engine: EngineName | str = "asyncio"
    ray_address: str | None = None
    check_connection: bool | None = None
    argv: tuple[str, ...] | None = None
    on_progress: Callable[[Progress], None] | None = field(default=None, compare=False)
    on_record: Callable[[ArticleRecord], None] | None = field(default=None, compare=False)
    stop: asyncio.Event | None = field(default=None, compare=False)
    handle_sigint: bool = True
    limiter: RequestLimiter | None = field(default=None, compare=False)
    only: frozenset[str] | None = None
    poll_interval_s: float = 30.0
    engine_options: Mapping[str, str | int | float | bool] = field(default_factory=dict, compare=False)
    follow_symlinks: bool = False

    def __post_init__(self) -> None:
        if self.argv is not None:
            object.__setattr__(self, "argv", tuple(self.argv))
        if self.only is not None:
            object.__setattr__(self, "only", frozenset(self.only))
        if self.poll_interval_s < 0:
            raise ConfigurationError(f"poll_interval_s must not be negative, got {self.poll_interval_s}")
        if self.concurrency < 1:
            raise ConfigurationError(f"concurrency must be at least 1, got {self.concurrency}")
        for name in ("rpm", "tpm"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ConfigurationError(f"{name} must be positive, got {value}")
        if not self.engine or not isinstance(self.engine, str):
            raise ConfigurationError(f"engine must be a name ({', '.join(ENGINES)} or a plugin's), got {self.engine!r}")
        if self.ray_address and self.engine != "ray":
            raise ConfigurationError(f"ray_address={self.ray_address!r} is for the ray engine; pass engine='ray' "
                                     f"(the engine is {self.engine!r})")
        if not self.text_field or not self.id_field:
            raise ConfigurationError(f"text_field and id_field must be set, got {self.text_field!r}/{self.id_field!r}")

    @classmethod
    def of(cls, out: str | os.PathLike[str], **options: Any) -> RunOptions:
        """Options from keywords, with a clear error for a misspelt one (the v0.1 keyword API)."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise ConfigurationError(f"unknown run option(s) {', '.join(map(repr, unknown))}; "
                                     f"known: {', '.join(sorted(known - {'out'}))}")
        return cls(out=Path(os.fspath(out)), **options)

    def but(self, **changes: Any) -> RunOptions:
        """A copy with some options changed (validated again)."""
        return replace(self, **changes)


class RunKeywords(TypedDict, total=False):
    """The fields of :class:`RunOptions` (all but ``out``) as keyword arguments, so that
    ``Extractor.run(paths, out="out", concurency=8)`` is caught by a type checker."""

    concurrency: int
    rpm: int | None
    tpm: int | None
    retry_errors: bool
    refresh: bool
    text_field: str
    id_field: str
    export: bool
    wait: bool
    engine: EngineName | str
    ray_address: str | None
    check_connection: bool | None
    argv: tuple[str, ...] | None
    on_progress: Callable[[Progress], None] | None
    on_record: Callable[[ArticleRecord], None] | None
    stop: asyncio.Event | None
    handle_sigint: bool
    limiter: RequestLimiter | None
    only: frozenset[str] | None
    poll_interval_s: float
    engine_options: Mapping[str, str | int | float | bool]
    follow_symlinks: bool

