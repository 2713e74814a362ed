"""The v0.2 path of the run-wide rate limiter, which now lives in :mod:`extractor.model.ratelimit`
(the model layer builds the HTTP clients every request passes through)."""

from __future__ import annotations

from extractor.model.ratelimit import NotStarted, RateLimitedTransport, RateLimiter, article_gate

__all__ = ["RateLimiter", "RateLimitedTransport", "NotStarted", "article_gate"]
