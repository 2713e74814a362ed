"""Reading an HTTP answer's rate-limit hints (no openai import: the rate limiter uses it).

>>> class R: headers = {"retry-after": "2.5"}
>>> retry_after_seconds(R())
2.5
"""

from __future__ import annotations

import time
from typing import Any

__all__ = ["retry_after_seconds"]


def retry_after_seconds(exc_or_response: Any) -> float | None:
    """``Retry-After`` (seconds or HTTP date) or ``retry-after-ms`` of a failed response
    (or of the exception that carries it)."""
    response = getattr(exc_or_response, "response", exc_or_response)
    headers = getattr(response, "headers", None)
    if not headers:
        return None
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None
