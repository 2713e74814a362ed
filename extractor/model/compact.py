"""A JSON schema in fewer bytes for the same answers: what a request carries.

A schema as pydantic writes it repeats itself: every property has a ``title`` that
restates its name, every optional field a ``default: null`` and an ``anyOf`` with
``null``, and the evidence field of each fact kind carries the same description. A run
sends the schema with every request; :func:`compact_schema` writes it once.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

__all__ = ["compact_schema"]

# Keywords whose value is a map of names to schemas, a schema, or a list of schemas.
_SCHEMA_MAPS = ("properties", "$defs", "definitions", "patternProperties")
_SCHEMA_ONE = ("items", "additionalProperties", "not", "contains", "propertyNames")
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_EMPTY_DEFAULTS = (None, [], {})
# A subschema written this many times or more is defined once (in ``$defs``) and referred to.
_MIN_REPEATS = 2
_MIN_HOISTED_CHARS = 60


def compact_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """The same JSON schema in fewer bytes: what a model needs to fill it, once.

    * no ``title`` on properties and definitions (each repeats the property's name; the
      root's names the tool);
    * no ``default`` that is null or empty (optional is what ``required`` says);
    * a subschema written more than once (the evidence field of every fact, a shared enum)
      defined once under ``$defs`` and referred to.

    Answers valid under the full schema are valid under this one and the other way round.

    >>> compact_schema({"title": "M", "type": "object", "properties": {
    ...     "a": {"title": "A", "anyOf": [{"type": "string"}, {"type": "null"}], "default": None}}})
    {'title': 'M', 'type': 'object', 'properties': {'a': {'anyOf': [{'type': 'string'}, {'type': 'null'}]}}}
    """
    slim = _slim(schema, root=True)
    return _hoist_repeats(slim)


def _slim(node: Any, *, root: bool = False) -> Any:
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "title" and not root and isinstance(value, str):
            continue
        if key == "default" and value in _EMPTY_DEFAULTS:
            continue
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {name: _slim(sub) for name, sub in value.items()}
        elif key in _SCHEMA_ONE and isinstance(value, dict):
            out[key] = _slim(value)
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            out[key] = [_slim(sub) for sub in value]
        else:
            out[key] = value
    return out


def _canonical(node: Any) -> str:
    return json.dumps(node, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _hoist_repeats(schema: dict[str, Any]) -> dict[str, Any]:
    """Subschemas of properties written ``_MIN_REPEATS`` times or more, defined once."""
    counts: Counter[str] = Counter()
    examples: dict[str, Any] = {}

    def count(node: Any) -> None:
        if not isinstance(node, dict):
            return
        for name, sub in (node.get("properties") or {}).items():
            if isinstance(sub, dict) and "$ref" not in sub:
                text = _canonical(sub)
                if len(text) >= _MIN_HOISTED_CHARS:
                    counts[text] += 1
                    examples.setdefault(text, (name, sub))
            count(sub)
        for key in _SCHEMA_ONE:
            count(node.get(key))
        for key in _SCHEMA_LISTS:
            for sub in node.get(key) or ():
                count(sub)
        for sub in (node.get("$defs") or {}).values():
            count(sub)

    count(schema)
    defs = dict(schema.get("$defs") or {})
    refs: dict[str, str] = {}
    for text, n in counts.items():
        if n < _MIN_REPEATS:
            continue
        name = examples[text][0]
        base = "".join(part.capitalize() for part in name.split("_")) or "Shared"
        unique, i = base, 2
        while unique in defs:
            unique, i = f"{base}{i}", i + 1
        defs[unique] = examples[text][1]
        refs[text] = f"#/$defs/{unique}"
    if not refs:
        return schema

    def replace(node: Any) -> Any:
        if not isinstance(node, dict):
            return node
        out = dict(node)
        if isinstance(node.get("properties"), dict):
            out["properties"] = {name: ({"$ref": refs[_canonical(sub)]} if _canonical(sub) in refs
                                        else replace(sub)) for name, sub in node["properties"].items()}
        for key in _SCHEMA_ONE:
            if isinstance(node.get(key), dict):
                out[key] = replace(node[key])
        for key in _SCHEMA_LISTS:
            if isinstance(node.get(key), list):
                out[key] = [replace(sub) for sub in node[key]]
        return out

    result = replace({k: v for k, v in schema.items() if k != "$defs"})
    result["$defs"] = {name: replace(sub) if f"#/$defs/{name}" not in refs.values() else sub
                       for name, sub in defs.items()}
    return result
