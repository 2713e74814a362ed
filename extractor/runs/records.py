"""The v0.2 path of what a run reports; the types live in :mod:`extractor.core.records`
(below the option objects that carry the hooks receiving them)."""

from __future__ import annotations

from extractor.core.errors import RETRYABLE_KINDS, retryable
from extractor.core.records import ArticleRecord, DryRunSummary, How, Progress, RunSummary, facts_by_type

__all__ = ["ArticleRecord", "Progress", "RunSummary", "DryRunSummary", "How", "facts_by_type", "RETRYABLE_KINDS",
           "retryable"]
