"""A user's script, type-checked in CI with ``mypy --strict`` and pyright (0 errors).

It shows the public API as an application sees it: one article (``extract``,
``aextract``), a reusable ``Extractor`` with a batch, typed ``Settings`` and
``RunOptions``, and the facts with their evidence and spans. Run it against any
OpenAI-compatible server (the batch writes into ``out/``)::

    EXTRACTOR_BASE_URL=http://127.0.0.1:8080/v1 EXTRACTOR_MODEL=my-model python examples/typed_usage.py article.txt
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from extractor import (
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


def show(result: ExtractionResult) -> None:
    facts: list[Fact] = result.facts
    for fact in facts:
        where = f"{fact.span.start}-{fact.span.end}" if fact.span else "not found"
        print(f"{fact.type:<12} {where:>11}  {fact.evidence[:60]}")
    print(f"{len(facts)} facts, {result.usage.requests} requests, {result.stats.ungrounded} ungrounded")


def main(article: Path) -> int:
    settings = Settings(provider="llamacpp", base_url=os.environ.get("EXTRACTOR_BASE_URL", "http://127.0.0.1:8080/v1"),
                        model=os.environ.get("EXTRACTOR_MODEL", "local-model"), max_reasks=1, timeout_s=60.0)
    text = article.read_text(encoding="utf-8")
    try:
        show(extract(text, settings=settings, source=article.name))
        show(asyncio.run(aextract(text, settings=settings, source=article.name)))
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
