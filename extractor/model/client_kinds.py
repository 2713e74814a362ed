"""Whether an application's client is the kind a call needs (sync or async), told before any call.

A sync ``openai.OpenAI`` where an ``openai.AsyncOpenAI`` is needed (or the reverse) used to
fail on the first request as "validation failure … can't be used in 'await' expression" or
"the server answered with no choices", with a never-awaited coroutine warning. This module
imports no openai: a client given to the library means the application imported it.
"""

from __future__ import annotations

import inspect
import sys
from typing import Any, Literal

from extractor.core.errors import ConfigurationError

__all__ = ["client_kind", "check_client_kinds"]

Kind = Literal["sync", "async"]


def client_kind(client: Any) -> Kind | None:
    """``"sync"`` or ``"async"`` for an OpenAI client (or one whose ``chat.completions.create``
    is a coroutine function), ``None`` when it cannot be told (a stand-in, a wrapper).

    >>> import openai
    >>> client_kind(openai.AsyncOpenAI(api_key="sk-test", base_url="http://127.0.0.1:9/v1"))
    'async'
    >>> client_kind(object()) is None
    True
    """
    openai = sys.modules.get("openai")
    if openai is not None:
        if isinstance(client, openai.AsyncOpenAI):
            return "async"
        if isinstance(client, openai.OpenAI):
            return "sync"
    create = getattr(getattr(getattr(client, "chat", None), "completions", None), "create", None)
    if create is not None and inspect.iscoroutinefunction(inspect.unwrap(create)):
        return "async"
    return None


def check_client_kinds(client: Any, async_client: Any, *, names: tuple[str, str] = ("client", "async_client")) -> None:
    """Raise :class:`ConfigurationError` when ``client`` is async or ``async_client`` is sync.
    ``names`` are the parameters as the caller's API calls them."""
    sync_name, async_name = names
    if client is not None and client_kind(client) == "async":
        raise ConfigurationError(
            f"{sync_name}= must be a sync client (openai.OpenAI) for extract(); got {type(client).__name__}, an "
            f"async one: pass it as async_client= (Extractor) or to aextract()")
    if async_client is not None and client_kind(async_client) == "sync":
        raise ConfigurationError(
            f"{async_name}= must be an async client (openai.AsyncOpenAI) for aextract() and batches; got "
            f"{type(async_client).__name__}, a sync one: pass it as client= (Extractor) or to extract()")
