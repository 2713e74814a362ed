"""Finding schemas by name: built-ins, plugins, ``module:Class`` and ``file.py:Class``.

Other installed packages make their schemas available by declaring an entry point in
the group ``extractor.schemas``::

    [project.entry-points."extractor.schemas"]
    tenders = "mypkg.schemas:TenderNotice"

>>> resolve_schema("health_news").__name__
'HealthNewsArticle'
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import sys
from dataclasses import dataclass
from importlib.metadata import entry_points
from pathlib import Path

from pydantic import BaseModel

from extractor.core.errors import SchemaNotFoundError
from extractor.schemas import BUILTIN_SCHEMAS

ENTRY_POINT_GROUP = "extractor.schemas"
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SchemaInfo:
    name: str
    version: str
    origin: str  # 'builtin', 'plugin:<dist>', or the reference
    target: str
    description: str


def schema_name(model: type[BaseModel]) -> str:
    return getattr(model, "schema_name", None) or model.__name__


def schema_version(model: type[BaseModel]) -> str:
    return str(getattr(model, "schema_version", None) or "0")


def _load_reference(ref: str) -> type[BaseModel]:
    target, sep, attr = ref.rpartition(":")
    if not sep or not target or not attr:
        raise SchemaNotFoundError(f"schema reference {ref!r} is not a known name, 'module:Class' or 'file.py:Class'")
    if target.endswith(".py") or "/" in target or "\\" in target:
        path = Path(target)
        if not path.is_file():
            raise SchemaNotFoundError(f"schema file {str(path)!r} does not exist (from {ref!r})")
        mod_name = f"_extractor_user_schema_{abs(hash(path.resolve()))}"
        spec = importlib.util.spec_from_file_location(mod_name, path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        # Registered before exec so that pydantic can resolve forward references.
        sys.modules[mod_name] = module
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            raise SchemaNotFoundError(f"schema file {str(path)!r} failed to import: {exc}") from exc
    else:
        try:
            module = importlib.import_module(target)
        except ImportError as exc:
            raise SchemaNotFoundError(f"cannot import module {target!r} for schema {ref!r}: {exc}") from exc
    obj = getattr(module, attr, None)
    if obj is None:
        raise SchemaNotFoundError(f"{target!r} has no attribute {attr!r}")
    if not (isinstance(obj, type) and issubclass(obj, BaseModel)):
        raise SchemaNotFoundError(f"{ref!r} is not a Pydantic model class (got {obj!r})")
    return obj


def _plugins() -> dict[str, tuple[str, str]]:
    """Every schema name → (target, origin): the built-ins, then the entry-point group.

    A name is never taken over: the built-in schema keeps its name whatever a plugin
    declares, and of two plugins with one name the first keeps it (with a warning that
    says how to reach the other: its ``module:Class``).
    """
    found: dict[str, tuple[str, str]] = {n: (t, "builtin") for n, t in BUILTIN_SCHEMAS.items()}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        dist = getattr(getattr(ep, "dist", None), "name", "?")
        origin = "builtin" if dist == "extractor" else f"plugin:{dist}"
        if ep.name in found:
            if found[ep.name][0] != ep.value:
                logger.warning("schema name %r of %s (%s) is already taken by %s (%s); use %r to choose it",
                               ep.name, origin, ep.value, found[ep.name][1], found[ep.name][0], ep.value)
            continue
        found[ep.name] = (ep.value, origin)
    return found


def resolve_schema(ref: str | type[BaseModel]) -> type[BaseModel]:
    """A schema class from a class, a registered name, ``module:Class`` or ``path.py:Class``."""
    if isinstance(ref, type) and issubclass(ref, BaseModel):
        return ref
    if not isinstance(ref, str) or not ref.strip():
        raise SchemaNotFoundError(f"schema reference must be a name or 'module:Class', got {ref!r}")
    ref = ref.strip()
    plugins = _plugins()
    if ref in plugins:
        return _load_reference(plugins[ref][0])
    if ":" in ref:
        return _load_reference(ref)
    known = sorted(plugins)
    raise SchemaNotFoundError(f"unknown schema {ref!r}; known: {', '.join(known)} (or use 'module:Class')")


def portable_reference(schema: type[BaseModel]) -> str | type[BaseModel]:
    """How another process or node finds ``schema``: ``module:Class`` (the module must be
    importable there), an absolute ``file.py:Class`` for a schema loaded from a file (the
    file must be at that path there), or the class itself when it was defined in
    ``__main__`` (then it travels by value).

    >>> from extractor.schemas.health_news import HealthNewsArticle
    >>> portable_reference(HealthNewsArticle)
    'extractor.schemas.health_news:HealthNewsArticle'
    """
    module = schema.__module__
    if module == "__main__":
        return schema
    file = getattr(sys.modules.get(module), "__file__", None)
    if module.startswith("_extractor_user_schema_") and file:
        return f"{Path(file).resolve()}:{schema.__qualname__}"
    return f"{module}:{schema.__qualname__}"


def list_schemas() -> list[SchemaInfo]:
    """Built-in and plugin schemas; a plugin that fails to load is listed with the error."""
    rows: list[SchemaInfo] = []
    plugins = _plugins()
    for name, (target, origin) in plugins.items():
        try:
            model = _load_reference(target)
            doc = (model.__doc__ or "").strip().splitlines()
            rows.append(SchemaInfo(name, schema_version(model), origin, target, doc[0] if doc else ""))
        except SchemaNotFoundError as exc:
            rows.append(SchemaInfo(name, "?", origin, target, f"error: {exc}"))
    return rows
