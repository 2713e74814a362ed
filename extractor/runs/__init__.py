"""Many articles: discovery, the runner every engine shares, and the engines.

``run_batch`` / ``arun_batch`` / ``iter_results`` (the runner), ``RunOptions`` (how a
run goes), the engines by name (:mod:`extractor.runs.engines`: ``asyncio`` in this
process, ``ray`` on a cluster, ``batchapi`` through the OpenAI Batch API),
``estimate_batch`` for ``--dry-run``.
"""

from __future__ import annotations

from extractor.core.options import RunOptions
from extractor.core.records import ArticleRecord, DryRunSummary, Progress, RunSummary
from extractor.model.ratelimit import RateLimitedTransport, RateLimiter
from extractor.runs.discovery import SUPPORTED_SUFFIXES, discover_inputs
from extractor.runs.dryrun import estimate_batch
from extractor.runs.engines import Answer, Engine, EngineContext, EngineStats, Job, engine_class
from extractor.runs.runner import BatchRun, arun_batch, iter_results, run_batch

__all__ = ["RunOptions", "BatchRun", "run_batch", "arun_batch", "iter_results", "engine_class",
           "estimate_batch", "discover_inputs", "SUPPORTED_SUFFIXES", "Engine", "EngineContext", "EngineStats", "Job",
           "Answer", "RateLimiter", "RateLimitedTransport", "ArticleRecord", "Progress", "RunSummary",
           "DryRunSummary"]
