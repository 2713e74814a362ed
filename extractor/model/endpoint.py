"""Checks of an endpoint's settings before a run spends anything: a key, a model, a URL
that accepts connections. Each failure is one clear :class:`ConfigurationError` line.
"""

from __future__ import annotations

import socket
from typing import Any
from urllib.parse import urlsplit

from extractor.core.errors import ConfigurationError
from extractor.core.redact import redact

__all__ = ["check_configuration", "check_endpoint", "shown_url"]


def shown_url(url: str) -> str:
    """``url`` as an error message may show it (:func:`extractor.core.redact.redact`):
    without ``user:password@`` or a credential in its query.

    >>> shown_url("http://analyst:hunter2@vllm.internal:8000/v1")
    'http://vllm.internal:8000/v1'
    """
    return redact(url)


def check_configuration(settings: Any) -> None:
    """Raise :class:`ConfigurationError` early (missing key, no model, no base URL) with one clear line."""
    settings.resolved_api_key()
    settings.resolved_model()
    if settings.resolved_base_url() is None:
        raise ConfigurationError(f"provider {settings.profile().name!r} needs a base URL: pass base_url= or set "
                                 "EXTRACTOR_BASE_URL")


def check_endpoint(settings: Any, timeout_s: float | None = None) -> None:
    """Raise :class:`ConfigurationError` with one clear line when the endpoint's host
    does not accept connections within ``timeout_s`` (default: the settings'
    ``connect_deadline_s``); a quick TCP connect, nothing is sent."""
    url = settings.resolved_base_url()
    if not url:
        raise ConfigurationError(
            f"provider {settings.profile().name!r} needs a base URL: pass base_url= or set EXTRACTOR_BASE_URL"
        )
    parts = urlsplit(url)
    host = parts.hostname
    port = parts.port or (443 if parts.scheme == "https" else 80)
    if not host:
        raise ConfigurationError(f"base URL {shown_url(url)!r} has no host name: check base_url= "
                                 "(or EXTRACTOR_BASE_URL)")
    deadline = settings.connect_deadline_s if timeout_s is None else timeout_s
    try:
        with socket.create_connection((host, port), timeout=deadline):
            pass
    except OSError as exc:
        raise ConfigurationError(
            f"cannot reach {shown_url(url)} ({exc.strerror or exc}; connect_deadline_s={deadline:g}): is the "
            "server running and the network up? check base_url= (or EXTRACTOR_BASE_URL)"
        ) from None


