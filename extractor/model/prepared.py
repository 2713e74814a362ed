"""instructor's per-schema work, done once per response model instead of on every request.

For every request instructor 1.17 builds a new wrapper class of the response model
(``create_model``), computes its whole JSON schema, and walks the model for async
validators five to seven times; a run asks the same schema thousands of times, so
that was ~90% of the library's CPU per article. Two thin caches, both checked by
``tests/test_model_cache.py`` so that an instructor upgrade that changes the behaviour
fails loudly instead of silently slowing down:

* :func:`prepared_response_model` (public API only): the wrapper instructor would
  build, built once, with its JSON schema computed once. Passed as ``response_model``,
  instructor uses it as is (it skips ``create_model`` for a class that already is its
  ``ResponseSchema``) and its own schema cache hits.
* :func:`skip_repeated_async_validator_walks`: instructor's ``reject_async_validators``
  answered from memory for the classes prepared here (each was walked once, when it was
  prepared). This patches one instructor function, guarded: it refuses to install if
  the function is no longer where it was, and it changes nothing for other classes.

Request bodies are byte-for-byte what instructor sends without the caches; with
``compact=True`` (the default of :class:`~extractor.model.settings.Settings`) the same but
for the JSON schema, which :func:`compact_schema` writes in fewer bytes.
"""

from __future__ import annotations

import json
import threading
import weakref
from collections import Counter
from functools import lru_cache
from typing import Any

import instructor
from pydantic import BaseModel

from extractor.model.compact import compact_schema

__all__ = ["prepared_response_model", "skip_repeated_async_validator_walks", "CACHE_STATS"]

# Diagnostics for the tests and the benchmark (how often each cache served a request).
CACHE_STATS: Counter[str] = Counter()

_CHECKED: weakref.WeakSet[type] = weakref.WeakSet()
_install_lock = threading.Lock()
_original_reject: Any = None


@lru_cache(maxsize=64)
def prepared_response_model(response_model: type[BaseModel], *, compact: bool = False) -> type[BaseModel]:
    """instructor's wrapper of ``response_model``, built once, its JSON schema memoised.

    Same class name, fields and validators as the class instructor would build itself on
    every request; the same JSON schema, or with ``compact`` the same in fewer bytes
    (:func:`compact_schema`), which is what the request then carries.
    """
    prepared: Any = instructor.openai_schema(response_model)
    generate = prepared.model_json_schema.__func__  # pydantic's classmethod, unbound
    texts: dict[Any, str] = {}

    def model_json_schema(cls: type[BaseModel], *args: Any, **kwargs: Any) -> dict[str, Any]:
        try:
            key = (cls, args, tuple(sorted(kwargs.items())))
            text = texts.get(key)
        except TypeError:  # an unhashable argument: no memo
            return generate(cls, *args, **kwargs)  # type: ignore[no-any-return]
        if text is None:
            CACHE_STATS["schema_computed"] += 1
            # Two threads may both compute it; the results are equal.
            schema = generate(cls, *args, **kwargs)
            text = texts[key] = json.dumps(compact_schema(schema) if compact else schema)
        else:
            CACHE_STATS["schema_served"] += 1
        # A fresh dict every time: instructor and the openai client edit what they get.
        return json.loads(text)  # type: ignore[no-any-return]

    prepared.model_json_schema = classmethod(model_json_schema)
    _walk_once(prepared)
    CACHE_STATS["prepared"] += 1
    return prepared  # type: ignore[no-any-return]


def _walk_once(prepared: type) -> None:
    """The async-validator check instructor makes, made once now (it raises if it ever would)."""
    from instructor.v2.validation import async_validators

    (_original_reject or async_validators.reject_async_validators)(prepared)
    _CHECKED.add(prepared)


def skip_repeated_async_validator_walks() -> None:
    """Answer instructor's async-validator check from memory for prepared classes (idempotent)."""
    global _original_reject
    with _install_lock:
        if _original_reject is not None:
            return
        from instructor.v2.core import patch as instructor_patch
        from instructor.v2.validation import async_validators

        original = async_validators.reject_async_validators
        if getattr(instructor_patch, "reject_async_validators", None) is not original:
            raise RuntimeError("instructor changed: reject_async_validators is no longer where extractor "
                               "expects it; update extractor/model/prepared.py")

        def reject_async_validators(model: Any) -> None:
            if isinstance(model, type) and model in _CHECKED:
                CACHE_STATS["walks_skipped"] += 1
                return
            CACHE_STATS["walks_run"] += 1
            original(model)

        async_validators.reject_async_validators = reject_async_validators
        instructor_patch.reject_async_validators = reject_async_validators
        _original_reject = original
