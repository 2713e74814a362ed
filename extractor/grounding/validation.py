"""Validators that run inside instructor's re-ask loop.

Any schema — ours or a user's — is wrapped in a subclass with one ``after`` validator
that receives the source text through instructor's ``context=`` and rejects answers
whose quotes are not in the article, or whose numbers have no number in their quote.
instructor turns the error text into the re-ask message, so it names each bad field
and quotes the bad value.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from typing import Any

from pydantic import BaseModel, ValidationInfo, create_model, model_validator

from extractor.core.evidence import checked_number_fields
from extractor.grounding.align import SourceIndex, iter_evidence

__all__ = ["GROUNDING_ERROR_PREFIX", "validated_model", "validation_context", "checking_quotes", "active_context"]

GROUNDING_ERROR_PREFIX = "evidence check failed"
_ANY_NUMBER = re.compile(
    r"[0-9۰-۹٠-٩０-９]|[一二三四五六七八九十百千万萬亿億两兩零]"
    r"|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|hundred|thousand|million|billion|dozen)\b"
    r"|هزار|میلیون|میلیارد|ألف|مليون|مليار|یک|دو|سه|چهار|پنج|واحد|اثن|ثلاث",
    re.IGNORECASE,
)
MAX_REPORTED_PROBLEMS = 15


def validation_context(source_text: str, *, check_quotes: bool = True) -> dict[str, Any]:
    """The ``context=`` instructor passes to our validators."""
    return {"extractor_source": SourceIndex(source_text), "extractor_check_quotes": check_quotes}


# The context of the validation in progress, for validators run by instructor: handing it
# over as instructor's ``context=`` would make instructor render the article as a Jinja
# template. Each asyncio task sees its own value.
_CURRENT: ContextVar[dict[str, Any] | None] = ContextVar("extractor_validation_context", default=None)


@contextmanager
def checking_quotes(context: dict[str, Any] | None) -> Iterator[None]:
    """Within the block, answers validated without an explicit ``context=`` are checked
    against ``context`` (from :func:`validation_context`)."""
    token = _CURRENT.set(context)
    try:
        yield
    finally:
        _CURRENT.reset(token)


def active_context(info: ValidationInfo) -> dict[str, Any]:
    """The context of the validation in progress: the explicit ``context=``, else the one
    :func:`checking_quotes` set (empty when there is none)."""
    return (info.context if info.context is not None else _CURRENT.get()) or {}


def _check(instance: BaseModel, info: ValidationInfo) -> BaseModel:
    ctx = active_context(info)
    source: SourceIndex | None = ctx.get("extractor_source")
    if source is None or not ctx.get("extractor_check_quotes", True):
        return instance
    problems: list[str] = []
    found = 0
    for site in iter_evidence(instance):
        where = f"{site.path_str}.{site.field}" if site.path else site.field
        if not site.quote.strip():
            problems.append(f"{where}: empty; copy the sentence that states this fact")
            continue
        if not source.contains(site.quote):
            problems.append(
                f"{where}: {site.quote[:120]!r} does not occur in the article; copy the quote "
                "character for character from the article, or leave this fact out"
            )
            continue
        found += 1
        for field in checked_number_fields(type(site.owner)):
            value = getattr(site.owner, field, None)
            if isinstance(value, (int, float)) and not _ANY_NUMBER.search(site.quote):
                problems.append(f"{site.path_str}.{field}: {value!r} but its evidence {site.quote[:80]!r} "
                                "states no number")
    if problems and not found:
        # A model that quoted nothing of the article will not quote better when asked again
        # (README, *What we measured*: re-asks that pay for themselves): no re-ask is paid
        # for; grounding drops (or flags) each fact whose quote is not there.
        return instance
    if problems:
        more = len(problems) - MAX_REPORTED_PROBLEMS
        lines = problems[:MAX_REPORTED_PROBLEMS] + ([f"... and {more} more"] if more > 0 else [])
        raise ValueError(f"{GROUNDING_ERROR_PREFIX}:\n- " + "\n- ".join(lines))
    return instance


@lru_cache(maxsize=64)
def validated_model(schema: type[BaseModel]) -> type[BaseModel]:
    """``schema`` with the evidence validator attached (same name, same JSON schema)."""

    def check_evidence(self: BaseModel, info: ValidationInfo) -> BaseModel:
        return _check(self, info)

    wrapped = create_model(
        schema.__name__,
        __base__=schema,
        __module__=schema.__module__,
        # pydantic's own stubs type __validators__ as plain callables; a decorated validator is what it takes.
        __validators__={"_extractor_check_evidence": model_validator(mode="after")(check_evidence)},  # type: ignore[dict-item]
    )
    wrapped.__doc__ = schema.__doc__
    return wrapped
