"""What a stored result answers: the request it came from, and how its facts were derived.

Two fingerprints, kept apart because they cost different things to change:

* ``request_key`` covers every setting that changes what is sent to the model (schema
  and its version, prompt and its version, model, temperature, answer budget, mode,
  cleaning, chunking, re-asking on quotes). A different key is a different question:
  it needs new model calls.
* ``derive_key`` covers what only changes the work done after the answer (grounding
  policy, fuzzy threshold, number check, the library's post-processing version). The
  raw answers are stored, so a different key is re-derived from them with 0 calls.

>>> a = Identity("health_news", "1.1", "default", "2", "gpt-4o-mini")
>>> a.request_key == Identity("health_news", "1.1", "default", "2", "gpt-4o-mini").request_key
True
>>> fingerprint({"b": 1, "a": [1, 2]}) == fingerprint({"a": [1, 2], "b": 1})
True
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Identity", "fingerprint", "legacy_request_key"]


def fingerprint(params: Mapping[str, Any]) -> str:
    """A short stable hash of a JSON-able mapping (key order does not matter)."""
    canonical = json.dumps(params, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:24]


@dataclass(frozen=True)
class Identity:
    """The readable names of a result's origin plus its two fingerprints.

    Built by :attr:`extractor.Extractor.identity`; one made by hand from the five names
    alone is keyed by those names (``request_key`` and ``derive_key`` default to a hash
    of them), which is what a v0.1 record was keyed by.
    """

    schema_name: str
    schema_version: str
    prompt_name: str
    prompt_version: str
    model: str
    request_key: str = ""
    derive_key: str = ""
    request_params: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)
    derive_params: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.request_key:
            object.__setattr__(self, "request_key", fingerprint({"names": self.as_tuple()}))
        if not self.derive_key:
            object.__setattr__(self, "derive_key", fingerprint({"names": self.as_tuple(), "derive": True}))

    def as_tuple(self) -> tuple[str, str, str, str, str]:
        """The five readable names: schema, its version, prompt, its version, model."""
        return (self.schema_name, self.schema_version, self.prompt_name, self.prompt_version, self.model)

    def describe(self) -> str:
        """One line for messages: ``health_news@1.1, prompt default@2, model gpt-4o-mini``."""
        return (f"{self.schema_name}@{self.schema_version}, prompt {self.prompt_name}@{self.prompt_version}, "
                f"model {self.model}")


def legacy_request_key(identity: Identity) -> str:
    """The key migration m004 gave a v0.1 record with these five names.

    >>> legacy_request_key(Identity("health_news", "1.0", "default", "1", "gpt-4o-mini"))
    'v0.1/health_news@1.0/default@1/gpt-4o-mini'
    """
    s, sv, p, pv, m = identity.as_tuple()
    return f"v0.1/{s}@{sv}/{p}@{pv}/{m}"
