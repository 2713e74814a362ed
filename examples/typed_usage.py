"""A user's script, type-checked in CI with ``mypy --strict`` and pyright (0 errors).

It shows the public API as an application sees it: one article (``extract``,
``aextract``), a reusable ``Extractor`` with a batch, typed ``Settings`` and
``RunOptions``, the facts with their evidence and spans, and ``result.data`` typed as
the schema class given. Run it against any OpenAI-compatible server (the batch writes
into ``out/``)::

    EXTRACTOR_BASE_URL=http://127.0.0.1:8080/v1 EXTRACTOR_MODEL=my-model python examples/typed_usage.py article.txt
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from pydantic import BaseModel

from extractor import (
    Evidence,
    ExtractionResult,
    Extractor,
    ExtractorError,
    Fact,
    RunOptions,
    Settings,
    __version__,
    aextract,
    extract,
)


class BedCount(BaseModel):
    """A number of hospital beds the article states."""

    measure: str
    value: float
    unit: str | None = None
    evidence: Evidence


class BedReport(BaseModel):
    """Bed counts stated in a hospital report."""

    quantities: list[BedCount] = []


def show(result: ExtractionResult) -> None:
    facts: list[Fact] = result.facts
    for fact in facts:
        where = f"{fact.span.start}-{fact.span.end}" if fact.span else "not found"
        print(f"{fact.type:<12} {where:>11}  {fact.evidence[:60]}")
    print(f"{len(facts)} facts, {result.usage.requests} requests, {result.stats.ungrounded} ungrounded")


def bed_counts(result: ExtractionResult[BedReport]) -> list[BedCount]:
    """The schema's own objects, typed: ``result.data`` is a BedReport (None without a model)."""
    return result.data.quantities if result.data is not None else []


async def in_a_service(settings: Settings, text: str) -> ExtractionResult[BedReport]:
    """An application's coroutine: one shared Extractor for the schema, closed with the service."""
    async with Extractor(settings, schema=BedReport) as ex:
        return await ex.aextract(text)


def main(article: Path) -> int:
    settings = Settings(provider="llamacpp", base_url=os.environ.get("EXTRACTOR_BASE_URL", "http://127.0.0.1:8080/v1"),
                        model=os.environ.get("EXTRACTOR_MODEL", "local-model"), max_reasks=1, timeout_s=60.0)
    text = article.read_text(encoding="utf-8")
    try:
        show(extract(text, settings=settings, source=article.name))
        show(asyncio.run(aextract(text, settings=settings, source=article.name, max_reasks=1)))
        typed = asyncio.run(in_a_service(settings, text))
        print(f"typed: {[q.value for q in bed_counts(typed)]}")
        with Extractor(settings) as ex:
            show(ex.extract(text, source=article.name))
            summary = ex.run([article], options=RunOptions(out="out", concurrency=4, rpm=600))
    except ExtractorError as exc:
        print(f"extractor {__version__}: {exc}", file=sys.stderr)
        return 2
    print(f"batch: {summary.ok} ok, {summary.failed} failed; exit code {summary.exit_code}")
    return summary.exit_code


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
