"""The one redaction function: what may be printed, logged or written of a text that
might hold a credential.

Every place that shows or stores something that could carry a secret goes through
:func:`redact` (or its helpers for a command line, a settings mapping and a URL):
error messages, the "Resume with:" hint, the lock file, the runs log, the summary and
every CLI log line. It removes

* the secrets it is given (the API key, a URL password) wherever they occur;
* the ``user:password@`` of any URL;
* the value of a URL query parameter named like a credential (``?api_key=...``);
* bearer tokens and ``sk-...`` keys;
* the value of command-line options named like a credential (``--api-key X``).

>>> redact("POST http://analyst:hunter2@gpu:8000/v1?api_key=abc failed: Bearer sk-abcdefgh123")
'POST http://gpu:8000/v1?api_key=*** failed: [redacted]'
>>> redact("the key zz-top-secret-42 was refused", secrets=("zz-top-secret-42",))
'the key [redacted] was refused'
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import unquote

__all__ = ["redact", "redact_argv", "redact_mapping", "redact_settings", "without_userinfo", "secrets_of",
           "SECRET_FIELDS", "RedactingFilter",
           "MASK", "SECRET_WORDS"]

MASK = "[redacted]"
# A name containing one of these is a credential's name (options, settings, URL parameters).
SECRET_WORDS = ("key", "secret", "password", "passwd", "token", "credential", "auth")

_USERINFO = re.compile(r"(?<=://)[^/@\s?#]+@")
_SECRET_PARAM = re.compile(r"(?i)([?&;](?:[\w.-]*(?:key|secret|password|passwd|token|credential|auth|sig)[\w.-]*)=)"
                           r"[^&#\s\"'<>]*")
_SECRETISH = re.compile(r"(?i)(?:\bbearer\s+[^\s\"',;]+|\bbasic\s+[A-Za-z0-9+/=]{8,}|\bsk-[A-Za-z0-9_\-]{8,})")


def without_userinfo(text: str) -> str:
    """``text`` with the ``user:password@`` of any URL in it removed.

    >>> without_userinfo("http://analyst:hunter2@vllm.internal:8000/v1")
    'http://vllm.internal:8000/v1'
    """
    return _USERINFO.sub("", text)


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """``text`` as it may be shown: no given secret, URL password, credential-named URL
    parameter, bearer token or ``sk-`` key (see the module's docstring)."""
    for secret in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        text = text.replace(secret, MASK)
    text = without_userinfo(text)
    text = _SECRET_PARAM.sub(r"\1***", text)
    return _SECRETISH.sub(MASK, text)


def _secret_name(name: str) -> bool:
    lowered = name.lower().lstrip("-")
    return any(word in lowered for word in SECRET_WORDS)


def redact_argv(argv: Iterable[str], secrets: Iterable[str | None] = ()) -> list[str]:
    """A command line as it may be shown: every argument redacted, and the value of any
    option named like a credential blanked.

    >>> redact_argv(["run", "--api-key", "sk-1", "--base-url", "http://me:pw@gpu:8000/v1"])
    ['run', '--api-key', '***', '--base-url', 'http://gpu:8000/v1']
    """
    secrets = tuple(secrets)
    out: list[str] = []
    hide_next = False
    for raw in argv:
        arg = redact(str(raw), secrets)
        if hide_next:
            out.append("***")
            hide_next = False
            continue
        name = arg.split("=", 1)[0]
        if name.startswith("--") and _secret_name(name):
            if "=" in arg:
                out.append(name + "=***")
            else:
                out.append(arg)
                hide_next = True
            continue
        out.append(arg)
    return out


def redact_mapping(data: Mapping[str, Any], secrets: Iterable[str | None] = ()) -> dict[str, Any]:
    """A settings-like mapping as it may be stored: credential-named keys dropped, every
    text value redacted (nested mappings and lists too).

    >>> redact_mapping({"api_key": "sk-1", "base_url": "http://me:pw@gpu/v1", "max_tokens": 5})
    {'base_url': 'http://gpu/v1', 'max_tokens': 5}
    """
    secrets = tuple(secrets)

    def clean(value: Any) -> Any:
        if isinstance(value, str):
            return redact(value, secrets)
        if isinstance(value, Mapping):
            return redact_mapping(value, secrets)
        if isinstance(value, (list, tuple)):
            return [clean(v) for v in value]
        return value

    # Token *counts* (max_output_tokens, chunk_tokens...) are figures, not credentials.
    return {k: clean(v) for k, v in data.items()
            if not _secret_name(str(k)) or str(k).lower().endswith(("_tokens", "tokens_s", "_token_count"))}


SECRET_FIELDS = frozenset({"api_key"})


def redact_settings(settings: Any) -> dict[str, Any]:
    """Settings as a JSON-able dict without secrets (the API key is never stored; URLs
    lose their ``user:password@``): :func:`redact_mapping` of the settings' fields.

    >>> redact_settings({"api_key": "sk-1", "base_url": "http://me:pw@gpu:8000/v1", "model": "m"})
    {'base_url': 'http://gpu:8000/v1', 'model': 'm'}
    """
    data: dict[str, Any]
    if hasattr(settings, "model_dump"):
        data = settings.model_dump(mode="json", exclude=set(SECRET_FIELDS))
    else:
        data = dict(settings or {})
    return redact_mapping({k: v for k, v in data.items() if k not in SECRET_FIELDS})


def secrets_of(*, api_key: str | None = None, urls: Iterable[str | None] = ()) -> tuple[str, ...]:
    """The secrets to remove from what a run shows: its API key and the password (and
    user name with it) of each URL, raw and percent-decoded.

    >>> secrets_of(api_key="sk-abc123", urls=["http://me:p%40ss@gpu/v1"])
    ('sk-abc123', 'me:p%40ss', 'p%40ss', 'p@ss')
    """
    found: list[str] = [api_key] if api_key else []
    for url in urls:
        m = _USERINFO.search(url or "")
        if not m:
            continue
        userinfo = m.group(0)[:-1]
        password = userinfo.partition(":")[2]
        found += [userinfo, password, unquote(password)]
    seen: dict[str, None] = {}
    for s in found:
        if s and len(s) >= 4:
            seen.setdefault(s, None)
    return tuple(seen)


class RedactingFilter(logging.Filter):
    """A logging filter (for a handler) that redacts every record it lets through,
    exception text included, with the given secrets on top of the generic rules."""

    def __init__(self, secrets: Iterable[str | None] = ()):
        super().__init__()
        self.secrets = tuple(s for s in secrets if s)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message, self.secrets)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            text = str(exc)
            if redact(text, self.secrets) != text:
                # The traceback would print the exception's text: show a redacted copy.
                record.exc_text = None
                record.exc_info = None
                record.msg = f"{record.msg} ({type(exc).__name__}: {redact(text, self.secrets)})"
        return True
