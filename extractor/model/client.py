"""The model call: an instructor-wrapped OpenAI client with two separate retry budgets.

* **Validation re-asks** are instructor's: the answer did not parse, did not fit the
  schema, or quoted text that is not in the article (``Settings.max_reasks``).
* **Transport retries** are ours (tenacity): 429 with or without ``Retry-After``,
  408/409/5xx, timeouts and dropped connections, with exponential backoff and jitter,
  honouring ``Retry-After`` up to a cap (``Settings.max_transport_retries``).

The transport policy wraps each HTTP request, not the whole instructor call, so a 429
in the middle of a re-ask does not throw the re-asks already made away. Both counts
end up in :class:`~extractor.core.types.Usage`.
"""

from __future__ import annotations

import contextlib
import functools
import importlib
import inspect
import logging
import os
import random
import re
import threading
import types
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import httpx2
import instructor
import openai
from instructor.core.exceptions import IncompleteOutputException, InstructorError, InstructorRetryException
from pydantic import BaseModel, ValidationError
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
)

from extractor.core.errors import ConfigurationError, ModelCallError
from extractor.core.redact import redact as redact_text
from extractor.core.redact import secrets_of
from extractor.core.types import Usage
from extractor.grounding.validation import GROUNDING_ERROR_PREFIX, checking_quotes
from extractor.model.endpoint import shown_url
from extractor.model.headers import retry_after_seconds
from extractor.model.outcome import CallOutcome
from extractor.model.prepared import prepared_response_model, skip_repeated_async_validator_walks
from extractor.model.ratelimit import RateLimitedTransport, RateLimiter
from extractor.model.settings import Settings

logger = logging.getLogger(__name__)

__all__ = ["ModelClient", "CallOutcome", "repair_json_text", "is_transient", "is_context_overflow",
           "retry_after_seconds", "answer_text", "repair_completion", "preload"]

_MODES = {
    "tools": instructor.Mode.TOOLS,
    "json_schema": instructor.Mode.JSON_SCHEMA,
    "json": instructor.Mode.JSON,
    "md_json": instructor.Mode.MD_JSON,
}
_TRANSIENT_STATUS = {408, 409, 425, 429, 500, 502, 503, 504, 520, 522, 524, 529}

# The body fields of chat.completions.create, in the order the SDK writes them.
_BODY_FIELDS = tuple(name for name in inspect.signature(openai.resources.chat.completions.AsyncCompletions.create)
                     .parameters if name not in ("self", "extra_headers", "extra_query", "extra_body", "timeout"))
_PLAIN = (str, int, float, bool, type(None))
_SCHEMA_FIELDS = ("tools", "response_format", "functions")


def direct_body(kwargs: dict[str, Any]) -> dict[str, Any] | None:
    """The body ``chat.completions.create(**kwargs)`` would send, or None when the SDK must build it.

    The SDK walks every argument through its type-driven transform on every request; for
    our requests that walk (over the whole JSON schema) is a quarter of the library's CPU
    and changes nothing: the arguments are plain JSON already. ``tests/test_model_cache.py``
    checks that the bytes sent are the SDK's own.
    """
    if kwargs.get("stream") or not set(kwargs) <= set(_BODY_FIELDS):
        return None
    body = {name: kwargs[name] for name in _BODY_FIELDS
            if name in kwargs and not isinstance(kwargs[name], openai.NotGiven)}
    # The schema-bearing fields come from our prepared model's JSON schema (plain JSON by
    # construction, and walking them costs what the SDK's transform did): checked shallowly.
    deep = (v for k, v in body.items() if k not in _SCHEMA_FIELDS)
    shallow = (body[k] for k in _SCHEMA_FIELDS if k in body)
    return body if all(map(_plain_json, deep)) and all(type(v) in (dict, list) for v in shallow) else None


def _plain_json(value: Any) -> bool:
    if isinstance(value, _PLAIN):
        return True
    if type(value) is dict:
        return all(type(k) is str and _plain_json(v) for k, v in value.items())
    if type(value) is list:
        return all(_plain_json(v) for v in value)
    return False


# What servers say when a prompt and its answer budget exceed the context: OpenAI's and
# llama-cpp-python's code, vLLM's and llama.cpp's own server's wording.
_CONTEXT_OVERFLOW = re.compile(
    r"context[_ ](?:length|window|size)|maximum context|exceeds? the available context", re.I)


def is_context_overflow(exc: BaseException) -> bool:
    """Whether a server refused a request because it does not fit the model's context.

    >>> import httpx2, openai
    >>> response = httpx2.Response(400, request=httpx2.Request("POST", "http://127.0.0.1/v1/chat/completions"))
    >>> is_context_overflow(openai.BadRequestError(
    ...     "Error code: 400 - This model's maximum context length is 8192 tokens. However, you requested 9437 tokens",
    ...     response=response, body={"code": "context_length_exceeded"}))
    True
    """
    if not isinstance(exc, openai.BadRequestError):
        return False
    return getattr(exc, "code", None) == "context_length_exceeded" or bool(_CONTEXT_OVERFLOW.search(str(exc)))


def is_transient(exc: BaseException) -> bool:
    """Whether a failed request is worth sending again."""
    if isinstance(exc, (openai.APITimeoutError, openai.APIConnectionError)):
        return True
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in _TRANSIENT_STATUS
    return False


def is_connect_failure(exc: BaseException | None) -> bool:
    """Whether a request failed before the server had it: the connection was refused, the
    host not found, or the connection not accepted in time (not a dropped connection)."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, (httpx2.ConnectError, httpx2.ConnectTimeout)):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


class _Wait:
    """Exponential backoff with full jitter; ``Retry-After`` wins when the server sends it.
    After a connect failure it never waits past the connect deadline."""

    def __init__(self, settings: Settings):
        self.initial = settings.backoff_initial_s
        self.cap = settings.backoff_max_s
        self.max_retry_after = settings.max_retry_after_s
        self.connect_deadline = settings.connect_deadline_s

    def __call__(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        hinted = retry_after_seconds(exc) if exc else None
        if hinted is not None:
            return min(hinted, self.max_retry_after)
        wait = random.uniform(0, min(self.cap, self.initial * 2 ** (state.attempt_number - 1)))
        if is_connect_failure(exc):
            wait = min(wait, max(0.0, self.connect_deadline - (state.seconds_since_start or 0.0)))
        return wait


class _ConnectDeadline:
    """Stop retrying an endpoint that does not accept connections once ``deadline`` seconds
    have gone since the first attempt: a server that is down stays down for longer than
    a retry budget meant for 429s and 5xx, and the caller should hear so at once."""

    def __init__(self, deadline: float):
        self.deadline = deadline

    def __call__(self, state: RetryCallState) -> bool:
        exc = state.outcome.exception() if state.outcome else None
        return is_connect_failure(exc) and (state.seconds_since_start or 0.0) >= self.deadline


_CONTROL = re.compile(r"[\x00-\x1f]")
# Keys seen by any ModelClient in this process, so that the log filter below can remove
# them from third-party log lines (instructor logs raw exception texts at ERROR).
_KNOWN_SECRETS: set[str] = set()


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """``text`` without the given secrets, known keys, URL passwords, or bearer/``sk-``
    tokens (:func:`extractor.core.redact.redact` with this process's known keys)."""
    return redact_text(text, (*secrets, *_KNOWN_SECRETS))


# Set while one of our calls runs (in its thread or task): what instructor logs then is
# about an outcome this library handles (a re-ask, a quote accepted unchecked, a transport
# error it retries or turns into a ModelCallError), not an error for the application's log.
_IN_OUR_CALL: ContextVar[bool] = ContextVar("extractor_in_model_call", default=False)


@contextlib.contextmanager
def _our_call() -> Iterator[None]:
    token = _IN_OUR_CALL.set(True)
    try:
        yield
    finally:
        _IN_OUR_CALL.reset(token)


class _RedactingFilter(logging.Filter):
    """Removes keys from third-party log lines; during our own calls, lowers instructor's
    ERROR and WARNING lines to DEBUG (instructor logs each failed attempt, 19 lines with the
    validation errors, at ERROR). Other uses of instructor in the process are left alone."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if (record.levelno > logging.DEBUG and _IN_OUR_CALL.get()
                and (record.name == "instructor" or record.name.startswith("instructor."))):
            # Handlers compare the record's level after logger filters ran: a WARNING handler drops it.
            record.levelno, record.levelname = logging.DEBUG, logging.getLevelName(logging.DEBUG)
        return True


# Logger filters do not apply to child loggers, so the ones that log exception texts
# are named one by one (instructor's retry loop logs each failed attempt's error).
_redacting_lock = threading.Lock()
_REDACTED_LOGGERS = ("instructor", "instructor.v2", "instructor.v2.retry", "openai", "openai._base_client", "httpx2")


def redact_third_party_logs() -> None:
    """Put the key-redacting filter on the loggers that print exception texts (idempotent).

    Called when a :class:`ModelClient` is built, not at import: importing extractor
    changes no logger of another library, and an application that never makes a model
    call never gets the filter.
    """
    with _redacting_lock:  # two clients built at once in two threads add one filter, not two
        for name in _REDACTED_LOGGERS:
            third_party = logging.getLogger(name)
            if not any(isinstance(f, _RedactingFilter) for f in third_party.filters):
                third_party.addFilter(_RedactingFilter())


def repair_json_text(text: str) -> str:
    """Escape raw control characters inside JSON strings.

    llama.cpp's generated grammars can let a raw newline or tab into a string, which
    strict JSON parsers reject; outside strings they are whitespace and stay.
    """
    if not _CONTROL.search(text):
        return text
    out: list[str] = []
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
            elif ch < " ":
                out.append({"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(ch, f"\\u{ord(ch):04x}"))
                continue
        elif ch == '"':
            in_string = True
        out.append(ch)
    return "".join(out)


def repair_completion(completion: Any) -> None:
    for choice in getattr(completion, "choices", None) or []:
        msg = getattr(choice, "message", None)
        if msg is None:
            continue
        if isinstance(msg.content, str):
            msg.content = repair_json_text(msg.content)
        for call in getattr(msg, "tool_calls", None) or []:
            fn = getattr(call, "function", None)
            if fn is not None and isinstance(fn.arguments, str):
                fn.arguments = repair_json_text(fn.arguments)


def answer_text(completion: Any) -> str | None:
    """The JSON text of an answer, whatever the mode put it in."""
    choices = getattr(completion, "choices", None) or []
    if not choices:
        return None
    msg = choices[0].message
    calls = getattr(msg, "tool_calls", None) or []
    if calls:
        return calls[0].function.arguments
    content = msg.content or ""
    m = re.search(r"```(?:json)?\s*(.*?)```", content, re.S)
    return m.group(1) if m else content


_SAMPLE_COMPLETION: dict[str, Any] = {
    "id": "warm-up", "object": "chat.completion", "created": 0, "model": "-",
    "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
        "role": "assistant", "content": None, "refusal": None,
        "tool_calls": [{"id": "-", "type": "function", "function": {"name": "-", "arguments": "{}"}}]}}],
    "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
}


@functools.cache
def preload() -> None:
    """Load, once per process, what the first request and answer would load lazily:
    instructor's OpenAI handlers, the SDK's answer models, the async HTTP stack's backend.
    :class:`extractor.Extractor` calls it when built, so that no request pays for it on
    the event loop. Sends nothing."""
    with contextlib.suppress(ImportError):  # instructor's layout: loaded on its first request otherwise
        importlib.import_module("instructor.v2.providers.openai")
    from openai.types.chat import ChatCompletion

    # The SDK reads an answer by constructing its models, which completes them on first use.
    ChatCompletion.model_construct(**_SAMPLE_COMPLETION)
    with contextlib.suppress(ImportError):  # the async HTTP stack loads it on its first request
        importlib.import_module("anyio._backends._asyncio")


class _EmptyAnswer(Exception):
    pass


# Everything a call can end with that is turned into a ModelCallError.
_HANDLED = (IncompleteOutputException, InstructorError, openai.APIError, _EmptyAnswer)


@dataclass
class _Counters:
    requests: int = 0
    transport_retries: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    last_completion: Any = None
    refusal: str | None = None

    def record(self, completion: Any) -> None:
        self.last_completion = completion
        u = getattr(completion, "usage", None)
        if u is not None:
            self.prompt_tokens += u.prompt_tokens or 0
            self.completion_tokens += u.completion_tokens or 0
            self.total_tokens += u.total_tokens or 0
        choices = getattr(completion, "choices", None) or []
        if choices:
            refusal = getattr(choices[0].message, "refusal", None)
            if refusal:
                self.refusal = refusal

    def usage(self, *, reasks: int, price=None, model: str = "") -> Usage:
        cost = price.cost(self.prompt_tokens, self.completion_tokens) if price else None
        return Usage(
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            total_tokens=self.total_tokens or self.prompt_tokens + self.completion_tokens,
            requests=self.requests,
            calls=1,
            reasks=reasks,
            transport_retries=self.transport_retries,
            cost_usd=cost,
        )


class ModelClient:
    """Owns the OpenAI clients (sync and async) and makes structured calls.

    Pass your own ``openai.OpenAI`` / ``openai.AsyncOpenAI`` to reuse connection pools,
    proxies or auth of an embedding application; otherwise they are built from settings.
    """

    def __init__(self, settings: Settings, *, client: Any = None, async_client: Any = None):
        self.settings = settings
        # An application's client keeps its pool, proxies and auth, but not its own
        # retries: nested inside ours they would multiply the budget and go uncounted.
        self._client = _without_retries(client)
        self._async_client = _without_retries(async_client)
        # An application's client shares its connection pool with the copy above; closing
        # it is the application's business, not ours.
        self._owns_client = client is None
        self._owns_async_client = async_client is None
        # Whether every async request passes a run-wide limiter (see :meth:`limited`).
        self.limited_run_wide = False
        # The HTTP transport our own async clients are built over (a stand-in server in
        # tests and benchmarks; None: the network, through a pool of our own).
        self.transport: httpx2.AsyncBaseTransport | None = None
        self._building = threading.Lock()  # one client even when threads ask at once
        _KNOWN_SECRETS.update(self._secrets)
        redact_third_party_logs()
        self.model = settings.resolved_model()
        skip_repeated_async_validator_walks()
        self.mode = _MODES[settings.resolved_mode()]
        self.profile = settings.profile()
        self.price = self.profile.price_for(self.model)

    # Clients ----------------------------------------------------------------------
    def _client_kwargs(self) -> dict[str, Any]:
        return {
            "api_key": self.settings.resolved_api_key(),
            "base_url": self.settings.resolved_base_url(),
            # A host that does not accept the connection is given up on within the connect
            # deadline, not the whole request timeout.
            "timeout": httpx2.Timeout(self.settings.timeout_s,
                                      connect=min(self.settings.connect_deadline_s, self.settings.timeout_s)),
            # Our tenacity policy owns transport retries; two nested policies would
            # multiply the budget and hide it.
            "max_retries": 0,
        }

    @property
    def client(self) -> Any:
        if self._client is None:
            with self._building:
                if self._client is None:
                    self._client = openai.OpenAI(**self._client_kwargs())
        return self._client

    @property
    def async_client(self) -> Any:
        if self._async_client is None:
            with self._building:
                if self._async_client is None:
                    self._async_client = openai.AsyncOpenAI(**self._client_kwargs())
        return self._async_client

    @property
    def has_async_client(self) -> bool:
        """Whether the async client exists (built, or the application's)."""
        return self._async_client is not None

    def warm_up(self, response_model: type[BaseModel]) -> None:
        """Build the async client and the request schema of ``response_model`` (and
        :func:`preload`), so that whoever calls this pays for it rather than the event
        loop's first request. Sends nothing."""
        preload()
        self.async_client  # noqa: B018 - built here
        self.request_body([{"role": "user", "content": "-"}], response_model)

    def close(self) -> None:
        """Close the sync client if this object built it (an application's own client stays open)."""
        if self._owns_client and self._client is not None and hasattr(self._client, "close"):
            self._client.close()

    async def aclose(self) -> None:
        """Close the async client if this object built it (an application's own client stays open)."""
        if self._owns_async_client and self._async_client is not None and hasattr(self._async_client, "close"):
            await self._async_client.close()

    def limited(self, limiter: RateLimiter, *, pool_size: int) -> ModelClient:
        """A twin whose async requests all pass ``limiter`` (its slots bound the requests in
        flight, its buckets the rates, its pause every request after a 429).

        Built from the settings over a connection pool of ``pool_size``; an application's
        own async client keeps its pool, proxies and auth (its transport is wrapped and
        stays open when the twin is closed). A client whose transport cannot be wrapped
        (its ``create`` replaced on the object by a tracing wrapper) is used as it is:
        then ``limited_run_wide`` is False, and rpm/tpm limits are refused.
        """
        user = None if self._owns_async_client else self._async_client
        if user is None:
            limits = httpx2.Limits(max_connections=pool_size, max_keepalive_connections=pool_size)
            inner = self.transport or httpx2.AsyncHTTPTransport(limits=limits)
            limited = RateLimitedTransport(inner, limiter, close_inner=self.transport is None)
            http = httpx2.AsyncClient(transport=limited,
                                      timeout=self.settings.timeout_s)
            twin = self._twin()
            twin._async_client = openai.AsyncOpenAI(**self._client_kwargs(), http_client=http)
        else:
            inner = _transport_of(user)
            if inner is None:
                if limiter.rpm or limiter.tpm:
                    raise ConfigurationError("rpm/tpm limits cannot be kept with the given async client: its create "
                                             "is wrapped (tracing?) or its transport cannot be reached. Pass a "
                                             "client without that, or leave the limits to the application")
                logger.warning("the given async client is used as it is (its create is wrapped, or its transport "
                               "cannot be reached): concurrency bounds the articles in progress, there is no "
                               "run-wide 429 pause, and model requests are not counted")
                return self
            http = httpx2.AsyncClient(transport=RateLimitedTransport(inner, limiter, close_inner=False),
                                      timeout=self.settings.timeout_s)
            twin = self._twin()
            twin._async_client = user.copy(http_client=http, max_retries=0)
        twin._owns_async_client = True  # the twin's copy and its pool are ours to close
        twin.limited_run_wide = True
        return twin

    def _twin(self) -> ModelClient:
        """A client of the same settings that shares this one's sync client (the Batch API's
        files and batches go through it) and builds its own async one."""
        twin = ModelClient(self.settings)
        if self._client is not None:
            twin._client, twin._owns_client = self._client, False
        return twin

    def over_transport(self, transport: httpx2.AsyncBaseTransport) -> ModelClient:
        """A twin whose async client (built from the settings) sends over ``transport``
        (a stand-in server, a proxy's transport); the transport stays open when it closes."""
        twin = self._twin()
        twin.transport = transport
        twin._async_client = openai.AsyncOpenAI(**self._client_kwargs(), http_client=httpx2.AsyncClient(
            transport=_Unclosed(transport), timeout=self.settings.timeout_s))
        return twin

    # Helpers ------------------------------------------------------------------------
    def _request_kwargs(self) -> dict[str, Any]:
        kw: dict[str, Any] = {"model": self.model, "temperature": self.settings.temperature}
        if self.settings.max_output_tokens:
            kw["max_tokens"] = self.settings.max_output_tokens
        return kw

    def _retrying(self, counters: _Counters, cls=Retrying):
        # before_sleep, not inside wait: tenacity computes the wait before it checks the
        # stop condition, so a count there would include the attempt that is never made.
        def before_sleep(state: RetryCallState) -> None:
            counters.transport_retries += 1
            exc = state.outcome.exception() if state.outcome else None
            logger.warning("transient model error (%s); retrying in %.1fs", self._redact(_describe(exc)),
                           state.upcoming_sleep)

        return cls(
            retry=retry_if_exception(is_transient),
            stop=stop_after_attempt(self.settings.max_transport_retries + 1)
            | _ConnectDeadline(self.settings.connect_deadline_s),
            wait=_Wait(self.settings),
            before_sleep=before_sleep,
            reraise=True,
        )

    def _check_answer(self, completion: Any, counters: _Counters) -> None:
        counters.record(completion)
        choices = getattr(completion, "choices", None)
        if not choices:
            raise _EmptyAnswer("the server answered with no choices")
        repair_completion(completion)

    def _fail(self, exc: BaseException, counters: _Counters, attempts: int) -> ModelCallError:
        error = self._fail_unredacted(exc, counters, attempts)
        error.last_error = self._redact(error.last_error)
        error.args = (self._redact(str(error.args[0])),) if error.args else ()
        return error

    def _redact(self, text: str) -> str:
        """Remove the API key (and anything that looks like a bearer token) from a message:
        some proxies echo request headers in their error bodies."""
        return redact(text, self._secrets)

    @property
    def _secrets(self) -> tuple[str, ...]:
        keys = [self.settings.api_key.get_secret_value() if self.settings.api_key else None]
        keys += [getattr(c, "api_key", None) for c in (self._client, self._async_client)]
        # A password in the base URL is a credential too (``http://user:pw@host/v1``).
        keys += secrets_of(urls=[self.settings.base_url])
        return tuple(k for k in keys if isinstance(k, str) and len(k) >= 4)

    def _fail_unredacted(self, exc: BaseException, counters: _Counters, attempts: int) -> ModelCallError:
        root = exc.__cause__ if isinstance(exc, InstructorRetryException) and exc.__cause__ else exc
        if isinstance(root, _EmptyAnswer):
            return ModelCallError("empty", attempts=counters.requests, last_error=str(root), model=self.model)
        if isinstance(root, openai.AuthenticationError):
            return ModelCallError(
                "transport", attempts=counters.requests,
                last_error="authentication failed (401): check EXTRACTOR_API_KEY / OPENAI_API_KEY", model=self.model,
            )
        if isinstance(root, openai.APIConnectionError) and is_connect_failure(root):
            url = shown_url(self.settings.resolved_base_url() or "the endpoint")
            return ModelCallError(
                "transport", attempts=counters.requests,
                last_error=f"cannot reach {url} ({_describe(root)}; connect_deadline_s="
                           f"{self.settings.connect_deadline_s:g}): is the server running? check base_url= "
                           "(or EXTRACTOR_BASE_URL)",
                model=self.model,
            )
        if isinstance(root, openai.APIConnectionError):
            url = shown_url(self.settings.resolved_base_url() or "the endpoint")
            return ModelCallError(
                "transport", attempts=counters.requests,
                last_error=f"cannot reach {url} ({_describe(root)}): is the server running? check base_url= "
                           "(or EXTRACTOR_BASE_URL)",
                model=self.model,
            )
        if is_context_overflow(root):
            return ModelCallError(
                "context", attempts=counters.requests, model=self.model,
                last_error=f"the request does not fit the model's context ({_describe(root)}); lower chunk_tokens "
                "or max_output_tokens, or use a model with a longer context",
            )
        if isinstance(root, openai.APIError):
            return ModelCallError("transport", attempts=counters.requests, last_error=_describe(root), model=self.model)
        if counters.refusal:
            return ModelCallError("refusal", attempts=counters.requests, last_error=counters.refusal[:300],
                                  model=self.model)
        return ModelCallError("validation", attempts=attempts, last_error=_short(str(root)), model=self.model)

    def _cut_off(self, counters: _Counters) -> ModelCallError:
        return ModelCallError(
            "validation",
            attempts=counters.requests,
            last_error=f"the answer was cut off at max_output_tokens={self.settings.max_output_tokens}; "
            "raise it or lower chunk_tokens",
            model=self.model,
        )

    def _fallback(self, response_model: type[BaseModel], exc: InstructorRetryException,
                  counters: _Counters) -> BaseModel | None:
        """Accept the last answer without the quote check when only quotes failed.

        A weak model may never quote perfectly; rather than losing the whole article,
        the last schema-valid answer goes on to grounding, which drops (or flags) each
        fact whose quote is not in the article.
        """
        # Only the last attempt counts: an earlier quote problem followed by a broken
        # answer is a broken answer.
        last = exc.failed_attempts[-1] if getattr(exc, "failed_attempts", None) else None
        if last is None or GROUNDING_ERROR_PREFIX not in str(last.exception):
            return None
        if last.completion is not counters.last_completion:  # a later request failed otherwise
            return None
        text = answer_text(last.completion)
        if not text:
            return None
        try:
            return response_model.model_validate_json(repair_json_text(text), context={"extractor_check_quotes": False})
        except (ValidationError, ValueError):
            return None

    def _messages_kwargs(self, messages: list[dict[str, Any]], response_model: type[BaseModel]) -> dict[str, Any]:
        # No ``context=``: given one, instructor renders every message as a Jinja template,
        # which costs CPU and breaks on articles that contain ``{%`` or ``{{``. Our validator
        # reads the source text from :func:`checking_quotes` instead.
        return dict(
            messages=messages,
            response_model=prepared_response_model(response_model, compact=self.settings.compact_schema),
            max_retries=self.settings.max_reasks,
            strict=False,
            **self._request_kwargs(),
        )

    def _settle(
        self, response_model: type[BaseModel], counters: _Counters, *, data: BaseModel | None = None,
        exc: BaseException | None = None,
    ) -> CallOutcome:
        """The outcome of one structured call, or the library's error for its failure."""
        warnings: tuple[str, ...] = ()
        if isinstance(exc, InstructorRetryException):
            data = self._fallback(response_model, exc, counters)
            if data is None:
                raise self._fail(exc, counters, exc.n_attempts) from None
            warnings = (f"accepted the last answer after {exc.n_attempts} attempts with quotes not found in the "
                        "article",)
        # ``from None``: the original exceptions may quote request headers (some proxies
        # echo them); everything useful is in the redacted message.
        elif isinstance(exc, IncompleteOutputException):
            raise self._cut_off(counters) from None
        elif exc is not None:
            raise self._fail(exc, counters, counters.requests) from None
        assert data is not None
        reasks = max(0, counters.requests - counters.transport_retries - 1)
        return CallOutcome(data, counters.usage(reasks=reasks, price=self.price), warnings)

    # Requests sent elsewhere (the OpenAI Batch API) ------------------------------------
    def request_body(self, messages: list[dict[str, str]], response_model: type[BaseModel]) -> dict[str, Any]:
        """The chat.completions body instructor would send for these messages in this mode."""
        from instructor.processing.response import handle_response_model

        prepared = prepared_response_model(response_model, compact=self.settings.compact_schema)
        _, kwargs = handle_response_model(prepared, mode=self.mode,
                                          messages=[dict(m) for m in messages], **self._request_kwargs())
        return kwargs

    def parse_answer(self, body: dict[str, Any], response_model: type[BaseModel], *,
                     price_factor: float = 1.0) -> CallOutcome:
        """One answer that came back without a live call (no re-ask is possible): parsed
        and validated, quotes left to grounding. Raises :class:`ModelCallError`."""
        from openai.types.chat import ChatCompletion

        try:
            completion = ChatCompletion.model_validate(body)
        except ValidationError as exc:
            raise ModelCallError("empty", attempts=1, last_error=f"unreadable answer: {str(exc)[:300]}",
                                 model=self.model) from None
        usage = self._usage_of(completion, price_factor)
        text = self._answer_of(completion)
        try:
            data = response_model.model_validate_json(text, context={"extractor_check_quotes": False})
        except (ValidationError, ValueError) as exc:
            raise ModelCallError("validation", attempts=1, last_error=_short(str(exc)), model=self.model) from None
        return CallOutcome(data, usage)

    def _usage_of(self, completion: Any, price_factor: float) -> Usage:
        u = completion.usage
        prompt, answer = (u.prompt_tokens or 0, u.completion_tokens or 0) if u else (0, 0)
        return Usage(prompt_tokens=prompt, completion_tokens=answer,
                     total_tokens=(u.total_tokens if u else 0) or prompt + answer, requests=1, calls=1,
                     cost_usd=self.price.cost(prompt, answer) * price_factor if self.price else None)

    def _answer_of(self, completion: Any) -> str:
        if not completion.choices:
            raise ModelCallError("empty", attempts=1, last_error="the server answered with no choices",
                                 model=self.model)
        choice = completion.choices[0]
        refusal = getattr(choice.message, "refusal", None)
        if refusal:
            raise ModelCallError("refusal", attempts=1, last_error=refusal[:300], model=self.model)
        if choice.finish_reason == "length":
            raise self._cut_off(_Counters(requests=1))
        repair_completion(completion)
        text = answer_text(completion)
        if not text or not text.strip():
            raise ModelCallError("empty", attempts=1, last_error="the answer has no content", model=self.model)
        return text

    @staticmethod
    def _sender(client: Any) -> Any:
        """``chat.completions.create`` of ``client``, or the same request posted as a plain body
        when :func:`direct_body` can build it (sync or async, as ``client`` is)."""
        from openai.types.chat import ChatCompletion

        create = client.chat.completions.create
        options: Any = {"security": {"bearer_auth": True}}  # what create() asks for
        direct = _posts_like_the_sdk(client)

        def send(*args: Any, **kwargs: Any) -> Any:
            body = None if args or not direct else direct_body(kwargs)
            if body is None:
                return create(*args, **kwargs)
            return client.post("/chat/completions", body=body, cast_to=ChatCompletion, options=options)

        return send

    # Calls ------------------------------------------------------------------------------
    def call(self, messages: list[dict], response_model: type[BaseModel], *, context: dict[str, Any]) -> CallOutcome:
        counters = _Counters()
        raw_create = self._sender(self.client)
        retrying = self._retrying(counters)

        def create(*args: Any, **kwargs: Any) -> Any:
            def once() -> Any:
                counters.requests += 1
                counters.last_completion = None
                completion = raw_create(*args, **kwargs)
                self._check_answer(completion, counters)
                return completion

            return retrying(once)

        patched = instructor.Instructor(client=self.client, create=instructor.patch(create=create, mode=self.mode),
                                        mode=self.mode)
        try:
            with checking_quotes(context), _our_call():
                data = patched.chat.completions.create(**self._messages_kwargs(messages, response_model))
        except _HANDLED as exc:
            return self._settle(response_model, counters, exc=exc)
        return self._settle(response_model, counters, data=data)

    async def acall(self, messages: list[dict], response_model: type[BaseModel], *,
                    context: dict[str, Any]) -> CallOutcome:
        counters = _Counters()
        raw_create = self._sender(self.async_client)
        retrying = self._retrying(counters, AsyncRetrying)

        async def create(*args: Any, **kwargs: Any) -> Any:
            async def once() -> Any:
                counters.requests += 1
                counters.last_completion = None
                completion = await raw_create(*args, **kwargs)
                self._check_answer(completion, counters)
                return completion

            return await retrying(once)

        patched = instructor.AsyncInstructor(
            client=self.async_client, create=instructor.patch(create=create, mode=self.mode), mode=self.mode
        )
        try:
            with checking_quotes(context), _our_call():
                data = await patched.chat.completions.create(**self._messages_kwargs(messages, response_model))
        except _HANDLED as exc:
            return self._settle(response_model, counters, exc=exc)
        return self._settle(response_model, counters, data=data)


def _posts_like_the_sdk(client: Any) -> bool:
    """Whether posting the body ourselves sends what ``chat.completions.create`` would.

    Only for the SDK's own client classes with their own ``create``: a subclass, a wrapper
    or a stand-in (tracing, Azure deployments, a test double) may do more in ``create``,
    and that is the application's to keep.
    """
    from openai.resources.chat.completions import AsyncCompletions, Completions

    kinds = {openai.OpenAI: Completions, openai.AsyncOpenAI: AsyncCompletions}
    if type(client) not in kinds:
        return False
    completions = client.chat.completions
    cls = kinds[type(client)]
    # Tracing instrumentations (OpenTelemetry, Langfuse, ...) wrap the class's create:
    # a wrapper is not the plain function whose code lives in the SDK's own files.
    return type(completions) is cls and not create_is_wrapped(client) and _sdk_code_only(vars(cls).get("create"))


_OPENAI_DIR = os.path.dirname(openai.__file__) + os.sep


def _sdk_code_only(function: Any) -> bool:
    """Whether ``function`` and every function it wraps (``__wrapped__``) are the SDK's own code."""
    layers = 0
    while function is not None and layers < 10:
        code = getattr(function, "__code__", None)
        if type(function) is not types.FunctionType or code is None or not code.co_filename.startswith(_OPENAI_DIR):
            return False
        function, layers = getattr(function, "__wrapped__", None), layers + 1
    return function is None


def create_is_wrapped(client: Any) -> bool:
    """Whether ``chat.completions.create`` was replaced on this client object itself
    (LangSmith's ``wrap_openai`` and similar tracing wrappers do that): a copy of the
    client (``with_options``, ``copy``) would lose the wrapper.

    >>> import openai
    >>> client = openai.OpenAI(api_key="sk-test", base_url="http://127.0.0.1:9/v1")
    >>> create_is_wrapped(client)
    False
    """
    completions = getattr(getattr(client, "chat", None), "completions", None)
    return completions is not None and "create" in vars(completions)


class _Unclosed(httpx2.AsyncBaseTransport):
    """A transport that is not ours to close."""

    def __init__(self, inner: httpx2.AsyncBaseTransport):
        self.inner = inner

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        return await self.inner.handle_async_request(request)


def _transport_of(client: Any) -> httpx2.AsyncBaseTransport | None:
    """The HTTP transport under an application's async client, or None when it cannot be
    used: a copy over a wrapped transport would lose a ``create`` wrapped on the object.
    The SDK has no public accessor for it; this is the one place that reaches in."""
    if create_is_wrapped(client):
        return None
    transport = getattr(getattr(client, "_client", None), "_transport", None)
    return transport if isinstance(transport, httpx2.AsyncBaseTransport) else None


def _without_retries(client: Any) -> Any:
    """A copy of an application's client without its own retries (ours are counted).

    A client whose ``create`` was wrapped on the object itself (tracing) is kept as it is:
    the copy would lose the wrapper. Its own retries then nest inside ours, which we say.
    """
    if client is None or not hasattr(client, "with_options"):
        return client
    if create_is_wrapped(client):
        if getattr(client, "max_retries", 0):
            logger.warning("the given client's create is wrapped (tracing?): it is used as it is, and its own "
                           "max_retries=%s nest inside ours; build it with max_retries=0 to avoid that",
                           client.max_retries)
        return client
    return client.with_options(max_retries=0)


def _describe(exc: BaseException | None) -> str:
    if exc is None:
        return "unknown error"
    status = getattr(exc, "status_code", None)
    name = type(exc).__name__
    msg = _short(str(exc))
    return f"{name} {status}: {msg}" if status else f"{name}: {msg}"


def _short(text: str, limit: int = 400) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
