"""The engines a batch can run on, by name: the registry.

Built-in: ``asyncio`` (this process), ``ray`` (a Ray cluster), ``batchapi`` (the OpenAI
Batch API). A package adds one under the ``extractor.engines`` entry point group
(``name = "package.module:EngineClass"``), or a run names any class as
``"module:Class"``. Importing this package imports no engine: an engine's module (and
Ray) is loaded only when a run asks for it.

>>> engine_class("asyncio").__name__
'AsyncioEngine'
>>> engine_class("warp")  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
extractor.core.errors.ConfigurationError: unknown engine 'warp'; use one of asyncio, batchapi, ray ...
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points

from extractor.core.errors import ConfigurationError
from extractor.runs.engines.base import Answer, BatchJournal, Engine, EngineContext, EngineStats, Job, is_fatal

__all__ = ["BUILTIN", "engine_class", "Engine", "EngineContext", "EngineStats", "Job", "Answer", "BatchJournal",
           "is_fatal"]

BUILTIN: dict[str, str] = {
    "asyncio": "extractor.runs.engines.asyncio:AsyncioEngine",
    "batchapi": "extractor.runs.engines.batchapi:BatchApiEngine",
    "ray": "extractor.runs.engines.ray:RayEngine",
}
"""Engine name → ``module:Class``. A new built-in engine is one line here."""

ENTRY_POINT_GROUP = "extractor.engines"


def _plugins() -> dict[str, str]:
    return {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name not in BUILTIN}


def engine_class(name: str) -> type[Engine]:
    """The engine class a run's ``engine`` option names."""
    target = BUILTIN.get(name) or _plugins().get(name) or (name if ":" in name else None)
    if target is None:
        known = sorted({*BUILTIN, *_plugins()})
        raise ConfigurationError(f"unknown engine {name!r}; use one of {', '.join(known)} (or a plugin's, or "
                                 "'module:Class')")
    module_name, _, attr = target.partition(":")
    try:
        cls = getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ConfigurationError(f"engine {name!r} ({target}) cannot be loaded: {exc}") from exc
    if not (isinstance(cls, type) and issubclass(cls, Engine)):
        raise ConfigurationError(f"engine {name!r} ({target}) is not an Engine subclass")
    return cls
