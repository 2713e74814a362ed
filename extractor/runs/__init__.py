"""Many articles: discovery, rate limiting, and the engines that run a batch.

``run_batch`` / ``arun_batch`` / ``iter_results`` (the runner every engine shares),
``RunOptions`` (how a run goes), the engines (``asyncio`` in this process, ``ray`` on
a cluster, the OpenAI Batch API in :mod:`extractor.runs.batchapi`), ``estimate_batch``
for ``--dry-run``.
"""

from __future__ import annotations

from extractor.core.options import RunOptions
from extractor.runs.discovery import SUPPORTED_SUFFIXES, discover_inputs
from extractor.runs.dryrun import estimate_batch
from extractor.runs.engine import Answer, Engine, EngineStats, Job
from extractor.runs.ratelimit import RateLimitedTransport, RateLimiter
from extractor.runs.records import ArticleRecord, DryRunSummary, Progress, RunSummary
from extractor.runs.runner import BatchRun, RunHooks, arun_batch, iter_results, make_engine, run_batch

__all__ = ["RunOptions", "RunHooks", "BatchRun", "run_batch", "arun_batch", "iter_results", "make_engine",
           "estimate_batch", "discover_inputs", "SUPPORTED_SUFFIXES", "Engine", "EngineStats", "Job", "Answer",
           "RateLimiter", "RateLimitedTransport", "ArticleRecord", "Progress", "RunSummary", "DryRunSummary"]
