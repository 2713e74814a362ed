"""Answer bounds: a response model whose JSON schema caps list sizes and string lengths.

A tiny local model (the embedded SmolLM2-135M) under a JSON grammar now and then
repeats list items, or the text inside one string, until its output budget runs out;
the answer is then cut off and the article fails. llama.cpp turns the tool's JSON
schema into a GBNF grammar and honours ``maxItems`` on arrays and ``maxLength`` on
strings there, so with both in the schema every answer the grammar allows is finite:
a loop ends at the list's or the string's cap and the model has to move on and close
the object.

:func:`bounded_model` derives such a variant of a response model. Only the JSON schema
sent to the server changes: the class keeps its name, its fields, its validators and
the very same nested classes, so an answer validates exactly as before (an answer with
more items than the cap, from another server, still passes). Without bounds the
response model is used unchanged and requests are byte-identical to unbounded ones.

>>> from extractor.schemas.health_news import HealthNewsArticle
>>> Bounded = bounded_model(HealthNewsArticle, max_items=3, max_chars=100)
>>> Bounded.__name__, Bounded.model_json_schema()["properties"]["places"]["maxItems"]
('HealthNewsArticle', 3)
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, create_model

__all__ = ["AnswerSize", "answer_size", "bound_json_schema", "bounded_model", "answer_bounds_of"]

# Keys whose values are sub-schemas (dicts), lists of sub-schemas, or maps of them.
# "default", "examples", "enum" and "const" hold data, not schemas, and are left alone.
_SCHEMA_KEYS = ("items", "additionalProperties", "not", "if", "then", "else", "contains")
_SCHEMA_LIST_KEYS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_MAP_KEYS = ("properties", "$defs", "definitions", "patternProperties")


def _is_free_string(node: dict[str, Any]) -> bool:
    """A string whose length only the model decides (no enum, const, pattern or format)."""
    return node.get("type") == "string" and not any(k in node for k in ("enum", "const", "pattern", "format"))


def _bound(node: Any, max_items: int | None, max_chars: int | None) -> None:
    if not isinstance(node, dict):
        return
    if max_items is not None and node.get("type") == "array" and "maxItems" not in node:
        node["maxItems"] = max(max_items, node.get("minItems", 0))
    if max_chars is not None and _is_free_string(node) and "maxLength" not in node:
        node["maxLength"] = max(max_chars, node.get("minLength", 0))
    for key in _SCHEMA_KEYS:
        _bound(node.get(key), max_items, max_chars)
    for key in _SCHEMA_LIST_KEYS:
        for sub in node.get(key) or ():
            _bound(sub, max_items, max_chars)
    for key in _SCHEMA_MAP_KEYS:
        sub_map = node.get(key)
        if isinstance(sub_map, dict):
            for sub in sub_map.values():
                _bound(sub, max_items, max_chars)


def bound_json_schema(schema: dict[str, Any], *, max_items: int | None, max_chars: int | None) -> dict[str, Any]:
    """A copy of a JSON schema with ``maxItems`` on every array and ``maxLength`` on every
    free-text string, at any depth (``$defs``, ``anyOf`` branches, array items included).

    Caps the schema already states are kept; enums, constants, patterns and formats are
    bounded by their own grammar and left as they are.
    """
    out = copy.deepcopy(schema)
    _bound(out, max_items, max_chars)
    return out


class _BoundedSchema:
    """Mixin: the model's JSON schema, bounded by the class's ``__extractor_answer_bounds__``."""

    __extractor_answer_bounds__: tuple[int | None, int | None] = (None, None)

    @classmethod
    def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        schema = super().model_json_schema(*args, **kwargs)  # type: ignore[misc]
        max_items, max_chars = cls.__extractor_answer_bounds__
        return bound_json_schema(schema, max_items=max_items, max_chars=max_chars)


@lru_cache(maxsize=64)
def bounded_model(model: type[BaseModel], *, max_items: int | None, max_chars: int | None) -> type[BaseModel]:
    """``model`` whose JSON schema caps every list at ``max_items`` items and every
    free-text string at ``max_chars`` characters, recursively into nested models.

    Same name, docstring, fields and validators; nested models are the same classes.
    Validation is not tightened: the caps are for the server's grammar only.
    Returns ``model`` itself when both caps are None.
    """
    if max_items is None and max_chars is None:
        return model
    if (max_items is not None and max_items < 1) or (max_chars is not None and max_chars < 1):
        raise ValueError(f"answer bounds must be positive: max_items={max_items}, max_chars={max_chars}")
    bounded = create_model(model.__name__, __base__=(_BoundedSchema, model), __module__=model.__module__)
    bounded.__extractor_answer_bounds__ = (max_items, max_chars)
    bounded.__doc__ = model.__doc__
    bounded.__qualname__ = model.__qualname__
    return bounded


def answer_bounds_of(model: type[BaseModel]) -> tuple[int | None, int | None]:
    """``(max_items, max_chars)`` of a model made by :func:`bounded_model`; ``(None, None)`` otherwise."""
    return getattr(model, "__extractor_answer_bounds__", (None, None))


# The longest JSON text of a scalar the model may write: a float with every digit,
# an integer, true/false, null.
_SCALAR_CHARS = {"number": 24, "integer": 20, "boolean": 5, "null": 4}
_MAX_DEPTH = 12  # a recursive schema ($ref to itself) is followed this deep


@dataclass(frozen=True)
class AnswerSize:
    """The largest answer a JSON schema allows, in characters.

    ``syntax_chars`` are keys, brackets, numbers and enum values (ASCII, tokenised like
    JSON); ``text_chars`` are the free text inside strings (any script: a name or a quote
    in Chinese costs a model with an English vocabulary two tokens a character).
    ``bounded`` is False when some list or string had no cap and was counted at the
    assumed size instead.

    >>> answer_size({"type": "object", "properties": {"ids": {"type": "array", "maxItems": 3,
    ...     "items": {"type": "string", "maxLength": 5}}}}, assumed_items=8, assumed_chars=100)
    AnswerSize(syntax_chars=20, text_chars=15, bounded=True)
    """

    syntax_chars: int
    text_chars: int
    bounded: bool

    def __add__(self, other: AnswerSize) -> AnswerSize:
        return AnswerSize(self.syntax_chars + other.syntax_chars, self.text_chars + other.text_chars,
                          self.bounded and other.bounded)

    def times(self, n: int) -> AnswerSize:
        return AnswerSize(self.syntax_chars * n, self.text_chars * n, self.bounded)

    def weight(self) -> int:
        return self.syntax_chars + 4 * self.text_chars


def answer_size(schema: dict[str, Any], *, assumed_items: int, assumed_chars: int) -> AnswerSize:
    """The largest compact JSON answer ``schema`` allows: every optional field written,
    every list at ``maxItems``, every string at ``maxLength``; a list or a string without
    a cap counted at ``assumed_items`` / ``assumed_chars`` (and the result marked unbounded).

    What the grammar allows, not what a model typically writes: it sizes the answer budget
    (``max_tokens``) so that a bounded answer is never cut off.
    """
    defs = {**(schema.get("definitions") or {}), **(schema.get("$defs") or {})}
    return _size(schema, defs, assumed_items, assumed_chars, 0)


def _size(node: Any, defs: dict[str, Any], items: int, chars: int, depth: int) -> AnswerSize:
    if not isinstance(node, dict) or depth > _MAX_DEPTH:
        return AnswerSize(_SCALAR_CHARS["null"], 0, depth <= _MAX_DEPTH)
    ref = node.get("$ref")
    if isinstance(ref, str):
        target = defs.get(ref.rsplit("/", 1)[-1])
        base = _size(target, defs, items, chars, depth + 1)
        rest = {k: v for k, v in node.items() if k != "$ref"}
        return base if not rest.get("type") and not rest.get("properties") else max(
            base, _size(rest, defs, items, chars, depth + 1), key=AnswerSize.weight)
    for key in ("anyOf", "oneOf"):
        if node.get(key):
            return max((_size(sub, defs, items, chars, depth + 1) for sub in node[key]), key=AnswerSize.weight)
    if node.get("allOf"):
        return max((_size(sub, defs, items, chars, depth + 1) for sub in node["allOf"]), key=AnswerSize.weight)
    if "const" in node:
        return AnswerSize(len(json.dumps(node["const"], ensure_ascii=False)), 0, True)
    if isinstance(node.get("enum"), list) and node["enum"]:
        return AnswerSize(max(len(json.dumps(v, ensure_ascii=False)) for v in node["enum"]), 0, True)
    kinds = node.get("type")
    if isinstance(kinds, list):
        return max((_size({**node, "type": k}, defs, items, chars, depth) for k in kinds), key=AnswerSize.weight)
    if kinds == "object" or "properties" in node:
        total = AnswerSize(2, 0, True)
        for key, sub in (node.get("properties") or {}).items():
            # "key": value, — the key, its quotes, the colon and the comma.
            total = total + AnswerSize(len(json.dumps(key, ensure_ascii=False)) + 2, 0, True)
            total = total + _size(sub, defs, items, chars, depth + 1)
        return total
    if kinds == "array":
        n = node.get("maxItems")
        item = _size(node.get("items"), defs, items, chars, depth + 1) + AnswerSize(1, 0, True)
        if isinstance(n, int):
            return AnswerSize(2, 0, True) + item.times(n)
        return AnswerSize(2, 0, False) + item.times(items)
    if kinds == "string":
        if node.get("format") in ("date", "date-time", "time"):
            return AnswerSize(2 + 32, 0, True)
        n = node.get("maxLength")
        return AnswerSize(2, n, True) if isinstance(n, int) else AnswerSize(2, chars, False)
    if kinds in _SCALAR_CHARS:
        return AnswerSize(_SCALAR_CHARS[kinds], 0, True)
    # No type: anything JSON. Counted as one unbounded string.
    return AnswerSize(2, chars, False)
