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
from typing import Any, Literal

from extractor.core.errors import ConfigurationError

__all__ = ["RunOptions", "EngineName", "ENGINES"]

EngineName = Literal["asyncio", "ray"]
ENGINES: tuple[str, ...] = ("asyncio", "ray")


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
        follow_symlinks: read files that symlinks lead to outside the named inputs (by
            default such a link is skipped and reported: a shared input folder must not
            become a way to send any readable file on the machine to the model).
    """

    out: Path
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
    follow_symlinks: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "out", Path(os.fspath(self.out)))
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
