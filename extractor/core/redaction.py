"""Secrets out of everything we print or write: settings, command lines, URLs.

One place for the rules, so that the run log, the lock file, the batch journal, the
resume hint and error messages all leave out the same things.

>>> without_userinfo("see http://analyst:hunter2@vllm.internal:8000/v1")
'see http://vllm.internal:8000/v1'
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["SECRET_FIELDS", "redact_settings", "without_userinfo", "redact_argv"]

SECRET_FIELDS = frozenset({"api_key"})


def redact_settings(settings: Any) -> dict[str, Any]:
    """Settings as a JSON-able dict without secrets (the API key is never stored)."""
    data: dict[str, Any]
    if hasattr(settings, "model_dump"):
        data = settings.model_dump(mode="json", exclude=set(SECRET_FIELDS))
    else:
        data = dict(settings or {})
    for key in list(data):
        if key in SECRET_FIELDS or "key" in key.lower() or "secret" in key.lower() or key.lower() == "token":
            data.pop(key)
        elif isinstance(data[key], str):
            data[key] = without_userinfo(data[key])
    return data


_USERINFO = re.compile(r"(?<=://)[^/@\s]+@")


def without_userinfo(text: str) -> str:
    """``text`` with the ``user:password@`` of any URL in it removed.

    >>> without_userinfo("http://analyst:hunter2@vllm.internal:8000/v1")
    'http://vllm.internal:8000/v1'
    """
    return _USERINFO.sub("", text)


def redact_argv(argv: list[str]) -> list[str]:
    """The command line with the value of any key-like option blanked, and no
    ``user:password@`` in URLs.

    >>> redact_argv(["run", "--api-key", "sk-1", "--base-url", "http://me:pw@gpu:8000/v1"])
    ['run', '--api-key', '***', '--base-url', 'http://gpu:8000/v1']
    """
    out: list[str] = []
    hide_next = False
    for arg in map(without_userinfo, argv):
        if hide_next:
            out.append("***")
            hide_next = False
            continue
        name = arg.lower().split("=", 1)[0]
        if name.startswith("--") and any(w in name for w in ("key", "secret", "password")):
            if "=" in arg:
                out.append(arg.split("=", 1)[0] + "=***")
            else:
                out.append(arg)
                hide_next = True
            continue
        out.append(arg)
    return out
