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

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, Literal, overload

from extractor.core.errors import ConfigurationError

__all__ = ["RunOptions", "EngineName", "ENGINES"]

EngineName = Literal["asyncio", "ray"]
ENGINES: tuple[str, ...] = ("asyncio", "ray")


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
        engine: ``asyncio`` (one process) or ``ray`` (a Ray cluster, local or remote).
        ray_address: ``None`` starts a local Ray instance; ``auto`` or the head's ``HOST:PORT`` joins
            one (Ray Client ``ray://`` addresses are refused: see the README, 'Beyond one machine').
        check_connection: test that the endpoint accepts connections before the run
            (default: when the library builds the client itself).
        argv: the command line, logged with the run (secrets blanked).
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
    engine: EngineName = "asyncio"
    ray_address: str | None = None
    check_connection: bool | None = None
    argv: tuple[str, ...] | None = None

    def __post_init__(self) -> None:
        if self.argv is not None:
            object.__setattr__(self, "argv", tuple(self.argv))
        if self.concurrency < 1:
            raise ConfigurationError(f"concurrency must be at least 1, got {self.concurrency}")
        for name in ("rpm", "tpm"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ConfigurationError(f"{name} must be positive, got {value}")
        if self.engine not in ENGINES:
            raise ConfigurationError(f"unknown engine {self.engine!r}; use one of {', '.join(ENGINES)}")
        if self.ray_address and self.engine != "ray":
            raise ConfigurationError(f"ray_address {self.ray_address!r} is for the ray engine; add --engine ray "
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
