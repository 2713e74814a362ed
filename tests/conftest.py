"""Shared fixtures: the seed articles, cassette settings, and synthetic model servers.

Synthetic answers (made-up model output used to drive one code path) live here and
in the tests as functions named ``synthetic_*``; recordings of a real server live in
``cassettes/`` and are only ever written by ``scripts/record_cassettes.py``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import httpx2
import openai
import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS_DIR = Path(os.environ.get("EXTRACTOR_SEEDS", ROOT.parent / "shared" / "seeds"))
if not SEEDS_DIR.is_dir():  # a checkout that bundles the seeds
    SEEDS_DIR = ROOT / "examples" / "seeds"
SEED_FILES = sorted(SEEDS_DIR.glob("0*.txt"))


def seed_text(prefix: str) -> str:
    """The text of the seed whose file name starts with ``prefix`` (e.g. '003')."""
    for p in SEED_FILES:
        if p.name.startswith(prefix):
            return p.read_text(encoding="utf-8")
    raise FileNotFoundError(f"no seed {prefix!r} in {SEEDS_DIR}")


@pytest.fixture(scope="session")
def seeds() -> dict[str, str]:
    return {p.name[:3]: p.read_text(encoding="utf-8") for p in SEED_FILES}


# --- cassettes (pytest-recording) ---------------------------------------------------
# Never set record_mode here: CI replays with the default 'none'; only
# scripts/record_cassettes.py passes --record-mode=rewrite.
@pytest.fixture(scope="module")
def vcr_config():
    return {
        "filter_headers": ["authorization", "cookie", "set-cookie", "api-key", "x-api-key", "openai-organization"],
        "decode_compressed_response": True,
        # Host and port differ between recordings (a free port each time); the body
        # carries the model, the messages and the schema, which is what matters.
        "match_on": ["method", "scheme", "path", "body"],
    }


@pytest.fixture(scope="module")
def vcr_cassette_dir(request):
    return str(ROOT / "cassettes" / request.module.__name__.split(".")[-1])


# --- synthetic OpenAI-compatible answers ---------------------------------------------
def chat_completion(arguments: dict | str | None, *, name: str = "HealthNewsArticle", content: str | None = None,
                    prompt_tokens: int = 100, completion_tokens: int = 20, refusal: str | None = None) -> dict:
    """A chat.completion body as an OpenAI-compatible server sends it (tools mode)."""
    message: dict = {"role": "assistant", "content": content, "refusal": refusal}
    if arguments is not None:
        args = arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)
        message["tool_calls"] = [{"id": "call_1", "type": "function", "function": {"name": name, "arguments": args}}]
    return {
        "id": "chatcmpl-synthetic",
        "object": "chat.completion",
        "created": 0,
        "model": "synthetic-model",
        "choices": [{"index": 0, "finish_reason": "stop", "message": message}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
    }


class ScriptedServer:
    """Answers requests from a list of (status, body, headers) in order; records requests."""

    def __init__(self, script: list):
        self.script = list(script)
        self.requests: list[dict] = []

    def _next(self, request):
        self.requests.append(json.loads(request.content or b"{}"))
        if not self.script:
            raise AssertionError("the scripted server got more requests than scripted")
        item = self.script.pop(0)
        if isinstance(item, Exception):
            raise item
        if callable(item):
            return item(request)
        status, body, headers = item if len(item) == 3 else (*item, {})
        if isinstance(body, (dict, list)):
            return httpx2.Response(status, json=body, headers=headers)
        return httpx2.Response(status, content=body.encode() if isinstance(body, str) else body, headers=headers)

    def client(self) -> openai.OpenAI:
        return openai.OpenAI(api_key="sk-test-synthetic", base_url="http://synthetic.test/v1", max_retries=0,
                             http_client=httpx2.Client(transport=httpx2.MockTransport(self._next)))

    def async_client(self) -> openai.AsyncOpenAI:
        async def handler(request):
            return self._next(request)

        return openai.AsyncOpenAI(api_key="sk-test-synthetic", base_url="http://synthetic.test/v1", max_retries=0,
                                  http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(handler)))


@pytest.fixture
def scripted() -> Callable[[list], ScriptedServer]:
    return ScriptedServer
