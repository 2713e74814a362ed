"""``--dry-run``: what a run would send, and roughly what it would cost, with no model call."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, cast

from extractor.core.errors import ExtractorError, InputError
from extractor.core.records import DryRunSummary
from extractor.runs.discovery import count_items, discover_inputs
from extractor.text.reading import Document, iter_documents

if TYPE_CHECKING:
    from extractor.pipeline import ArticlePipeline

__all__ = ["estimate_batch"]


def estimate_batch(
    extractor: ArticlePipeline | object,
    inputs: Iterable[str | os.PathLike[str]],
    *,
    on_progress: Callable[[int, int], None] | None = None,
    text_field: str = "text",
    id_field: str = "id",
    follow_symlinks: bool = False,
) -> DryRunSummary:
    """Read, clean and chunk every article and count the prompt tokens; no model call,
    no API key needed. The cost covers input tokens only (the answer's length is not
    known before the call). One article at a time: memory is that of the largest
    article, and an article over the per-article budget is counted as unusable (its
    text is refused from its length, before cleaning or chunking)."""
    # The public Extractor (a layer above) holds its pipeline.
    pipeline = cast("ArticlePipeline", getattr(extractor, "pipeline", extractor))
    files, errors = discover_inputs(inputs, follow_symlinks=follow_symlinks)
    model = pipeline.model_name
    out = DryRunSummary(model=model, errors=len(errors), error_messages=[str(e) for e in errors])
    total = count_items(files)
    done = 0
    for path in files:
        for item in iter_documents(path, text_field=text_field, id_field=id_field,
                                   languages=pipeline.settings.extra_languages):
            done += 1
            _count(pipeline, item, out)
            if on_progress is not None:
                on_progress(done, total)
    try:
        price = pipeline.settings.profile().price_for(model)
    except ExtractorError:
        price = None
    if price is not None:
        out.price_per_mtok = (price.input_per_mtok, price.output_per_mtok)
        out.input_cost_usd = round(price.cost(out.prompt_tokens, 0), 6)
    return out


def _count(extractor: ArticlePipeline, item: Document | InputError, out: DryRunSummary) -> None:
    if isinstance(item, InputError):
        out.errors += 1
        out.error_messages.append(str(item))
        return
    try:
        prepared = extractor.prepare(item)
    except ExtractorError as exc:
        out.errors += 1
        named = isinstance(exc, InputError) and exc.source
        out.error_messages.append(str(exc) if named else f"{item.source}: {exc}")
        return
    out.articles += 1
    out.chunks += len(prepared.chunks)
    out.prompt_tokens += prepared.prompt_tokens
