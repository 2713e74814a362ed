"""A loopback OpenAI-compatible chat-completions server that misbehaves on purpose.

Started by the tests in a background thread (``http.server.ThreadingHTTPServer`` on
127.0.0.1, port 0). It speaks ``POST /v1/chat/completions`` and ``GET /v1/models`` and
answers with a SYNTHETIC tool-call answer *grounded in the request's own article*: the
article is read back from between the ``ARTICLE-<nonce> BEGIN/END`` markers of the user
message, one sentence holding a number is echoed as ``evidence`` and that number is the
``value`` of one ``quantity`` fact.

At configurable rates, drawn from an RNG seeded by ``(seed, article, request number of
that article)`` — so the faults an article meets do not depend on thread interleaving —
it injects one fault per request instead:

    429_ra        429 with ``Retry-After: <retry_after>``
    429           429 without Retry-After
    500 502 503   server errors
    reset         the socket is closed (RST) without any answer
    slow          the answer comes after ``slow_s`` (longer than the client timeout)
    truncated     200, Content-Length of the whole body, half of it sent, then closed
    bad_body      200 with a complete body that is not JSON
    bad_args      200, tool-call arguments that are not JSON
    schema        200, valid JSON that breaks the schema (value is not a number, ...)
    empty         200 with an empty ``choices`` list
    refusal       200, a refusal and no tool call
    ungrounded    200, a schema-valid answer whose evidence is NOT in the article

Plan only: ``401`` (key rejected) and ``echo_auth`` (400 whose error message quotes
the request's Authorization header back, as some proxies do).

Every request is logged (:class:`RequestLog`) with its arrival time, the article key and
the fault served; :attr:`FaultServer.counts` counts requests per fault class (``ok``
for clean answers).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import socket
import struct
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["FaultServer", "RequestLog", "FAULTS", "PLAN_ONLY_FAULTS", "TRANSPORT_FAULTS", "ANSWER_FAULTS", "article_between_markers"]

TRANSPORT_FAULTS = ("429_ra", "429", "500", "502", "503", "reset", "slow", "truncated", "bad_body")
ANSWER_FAULTS = ("bad_args", "schema", "empty", "refusal", "ungrounded")
FAULTS = TRANSPORT_FAULTS + ANSWER_FAULTS
# Only served when a plan asks for them (never drawn from the rates).
PLAN_ONLY_FAULTS = ("401", "echo_auth")

_NONCE = re.compile(r"between the two ARTICLE-([0-9a-f]+) markers")
_SENTENCE = re.compile(r"[^.!?。！？\n]*\d[^.!?。！？\n]*[.!?。！？]")
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


def article_between_markers(user_text: str) -> tuple[str | None, str | None]:
    """``(nonce, article)`` of a user message built from the prompt template.

    The nonce is the one the *instructions* name; the article runs from the first
    ``ARTICLE-<nonce> BEGIN`` line to the last ``ARTICLE-<nonce> END`` line, so a fake
    marker inside the article (another nonce) does not end it.
    """
    m = _NONCE.search(user_text)
    if not m:
        return None, None
    nonce = m.group(1)
    begin = f"ARTICLE-{nonce} BEGIN\n"
    end = f"\nARTICLE-{nonce} END"
    i = user_text.find(begin)
    j = user_text.rfind(end)
    if i < 0 or j < i:
        return nonce, None
    return nonce, user_text[i + len(begin) : j]


@dataclass
class RequestLog:
    t: float  # time.monotonic() when the request arrived
    article: str  # article key (see FaultServer.key_pattern)
    n: int  # 1-based request number of this article
    fault: str  # the fault served, or "ok"
    status: int | None  # HTTP status sent (None: no answer)
    t_done: float = 0.0  # time the answer (or the reset) went out
    body: dict | None = field(default=None, repr=False)


def synthetic_answer(article: str | None, *, name: str = "HealthNewsArticle") -> dict:
    """SYNTHETIC tool arguments: one quantity whose evidence is a sentence of ``article``."""
    if not article:
        return {"quantities": []}
    for m in _SENTENCE.finditer(article):
        sentence = m.group(0).strip()
        # Numbers of the article's key (ART-0001) are not facts.
        nums = [n for n in _NUMBER.finditer(sentence) if not sentence[: n.start()].endswith("ART-")]
        if nums:
            value = float(nums[0].group(0).replace(",", ""))
            break
    else:
        return {"quantities": []}
    return {
        "quantities": [
            {"measure": "synthetic measure", "value": value, "qualifier": "exact", "evidence": sentence}
        ]
    }


def completion(arguments: str | None, *, name: str = "HealthNewsArticle", refusal: str | None = None,
               choices: bool = True) -> dict:
    message: dict[str, Any] = {"role": "assistant", "content": None, "refusal": refusal}
    if arguments is not None:
        message["tool_calls"] = [{"id": "call_1", "type": "function", "function": {"name": name, "arguments": arguments}}]
    return {
        "id": "chatcmpl-fault",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": "fault-model",
        "choices": [{"index": 0, "finish_reason": "tool_calls" if arguments else "stop", "message": message}]
        if choices
        else [],
        "usage": {"prompt_tokens": 50, "completion_tokens": 10, "total_tokens": 60},
    }


class FaultServer:
    """The server. Use as a context manager; ``base_url`` is ``http://127.0.0.1:<port>/v1``.

    Args:
        rates: ``{fault: probability}`` per request (the rest answer cleanly).
        seed: RNG seed.
        retry_after: the ``Retry-After`` header value of ``429_ra``.
        slow_s: how long a ``slow`` answer takes.
        plan: ``plan(article_key, n) -> fault | None`` decides instead of the rates
            (``None``: fall back to the rates; ``"ok"``: a clean answer).
        key_pattern: a regex whose first match in the article is its key (else a hash).
        latency_s: delay before every answer.
        keep_bodies: keep each request's JSON body in the log.
    """

    def __init__(self, rates: dict[str, float] | None = None, *, seed: int = 0, retry_after: str = "0.3",
                 slow_s: float = 2.0, plan: Callable[[str, int], str | None] | None = None,
                 key_pattern: str = r"ART-\d+", latency_s: float = 0.0, keep_bodies: bool = False,
                 tool_name: str = "HealthNewsArticle"):
        unknown = set(rates or {}) - set(FAULTS)
        if unknown:
            raise ValueError(f"unknown fault classes: {sorted(unknown)}")
        if sum((rates or {}).values()) > 1.0 + 1e-9:
            raise ValueError("fault rates add up to more than 1")
        self.rates = dict(rates or {})
        self.seed = seed
        self.retry_after = retry_after
        self.slow_s = slow_s
        self.plan = plan
        self.key_re = re.compile(key_pattern)
        self.latency_s = latency_s
        self.keep_bodies = keep_bodies
        self.tool_name = tool_name
        self.counts: Counter[str] = Counter()
        self.log: list[RequestLog] = []
        self.other_requests: list[tuple[str, str]] = []  # (method, path) of non-completion requests
        self._per_article: defaultdict[str, int] = defaultdict(int)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # lifecycle ---------------------------------------------------------------------
    def start(self) -> FaultServer:
        server = self

        class Handler(_Handler):
            fault_server = server

        self._httpd = _Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="faultserver", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # bookkeeping ---------------------------------------------------------------------
    def reset_stats(self) -> None:
        with self._lock:
            self.counts.clear()
            self.log.clear()
            self._per_article.clear()
            self.other_requests.clear()

    def requests_of(self, article: str) -> list[RequestLog]:
        with self._lock:
            return sorted((r for r in self.log if r.article == article), key=lambda r: r.n)

    def requests_per_article(self) -> dict[str, int]:
        with self._lock:
            return dict(self._per_article)

    def article_key(self, article: str | None, raw: bytes) -> str:
        if article:
            m = self.key_re.search(article)
            if m:
                return m.group(0)
            return "sha:" + hashlib.sha256(article.encode("utf-8", "surrogatepass")).hexdigest()[:12]
        return "raw:" + hashlib.sha256(raw).hexdigest()[:12]

    def choose(self, key: str, n: int) -> str:
        if self.plan is not None:
            planned = self.plan(key, n)
            if planned is not None:
                return planned
        rng = random.Random(f"{self.seed}:{key}:{n}")
        x = rng.random()
        acc = 0.0
        for fault in FAULTS:  # fixed order: the same seed gives the same faults
            acc += self.rates.get(fault, 0.0)
            if x < acc:
                return fault
        return "ok"

    def _register(self, key: str, body: dict | None) -> RequestLog:
        with self._lock:
            self._per_article[key] += 1
            n = self._per_article[key]
        entry = RequestLog(time.monotonic(), key, n, "?", None, body=body if self.keep_bodies else None)
        entry.fault = self.choose(key, n)
        with self._lock:
            self.counts[entry.fault] += 1
            self.log.append(entry)
        return entry

    def sleep(self, seconds: float) -> None:
        """Sleep unless the server is stopping (so shutdown is quick)."""
        self._stopping.wait(seconds)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # the listen backlog: a burst of new connections is not refused


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    fault_server: FaultServer

    def log_message(self, format: str, *args: Any) -> None:  # keep pytest output clean
        pass

    def _send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self._send_bytes(status, data, headers)

    def _send_bytes(self, status: int, data: bytes, headers: dict[str, str] | None = None,
                    content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()

    def _reset(self) -> None:
        """Close the connection with an RST, no answer at all."""
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.close_connection = True
        try:
            self.connection.close()
        except OSError:
            pass

    def do_GET(self) -> None:  # noqa: N802
        srv = self.fault_server
        with srv._lock:
            srv.other_requests.append(("GET", self.path))
        if self.path.rstrip("/") in ("/v1/models", "/models"):
            self._send_json(200, {"object": "list", "data": [{"id": "fault-model", "object": "model",
                                                              "created": 0, "owned_by": "faultserver"}]})
        else:
            self._send_json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})

    def do_POST(self) -> None:  # noqa: N802
        srv = self.fault_server
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if self.path.rstrip("/") not in ("/v1/chat/completions", "/chat/completions"):
            with srv._lock:
                srv.other_requests.append(("POST", self.path))
            self._send_json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
            return
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            self._send_json(400, {"error": {"message": "request body is not JSON", "type": "invalid_request"}})
            return
        article = None
        for msg in body.get("messages") or []:
            content = msg.get("content")
            if msg.get("role") == "user" and isinstance(content, str):
                _nonce, article = article_between_markers(content)
                if article is not None:
                    break
        key = srv.article_key(article, raw)
        entry = srv._register(key, body)
        try:
            if srv.latency_s:
                srv.sleep(srv.latency_s)
            self._serve(entry, article)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, OSError):
            self.close_connection = True  # the client gave up (timeout): nothing to do
        finally:
            entry.t_done = time.monotonic()

    def _serve(self, entry: RequestLog, article: str | None) -> None:
        srv = self.fault_server
        fault = entry.fault
        good = json.dumps(synthetic_answer(article), ensure_ascii=False)
        err = lambda code, msg: {"error": {"message": msg, "type": "server_error", "code": code}}  # noqa: E731
        if fault == "429_ra":
            entry.status = 429
            self._send_json(429, err("rate_limited", "synthetic rate limit"), {"Retry-After": srv.retry_after})
        elif fault == "429":
            entry.status = 429
            self._send_json(429, err("rate_limited", "synthetic rate limit, no hint"))
        elif fault in ("500", "502", "503"):
            entry.status = int(fault)
            self._send_json(entry.status, err(fault, f"synthetic {fault}"))
        elif fault == "reset":
            self._reset()
        elif fault == "401":
            entry.status = 401
            self._send_json(401, {"error": {"message": "Incorrect API key provided.", "type": "invalid_request_error",
                                            "code": "invalid_api_key"}})
        elif fault == "echo_auth":
            entry.status = 400
            self._send_json(400, {"error": {"message": f"bad request with header {self.headers.get('Authorization')}",
                                            "type": "invalid_request_error"}})
        elif fault == "slow":
            srv.sleep(srv.slow_s)
            entry.status = 200
            self._send_json(200, completion(good, name=srv.tool_name))
        elif fault == "truncated":
            data = json.dumps(completion(good, name=srv.tool_name)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            entry.status = 200
            self._reset()
        elif fault == "bad_body":
            entry.status = 200
            data = json.dumps(completion(good, name=srv.tool_name)).encode()
            self._send_bytes(200, data[: len(data) // 2])
        elif fault == "bad_args":
            entry.status = 200
            self._send_json(200, completion(good[: max(1, len(good) // 2)] + "}}{", name=srv.tool_name))
        elif fault == "schema":
            entry.status = 200
            bad = {"quantities": [{"measure": ["not", "a", "string"], "value": "many", "evidence": 42}],
                   "places": "nowhere"}
            self._send_json(200, completion(json.dumps(bad), name=srv.tool_name))
        elif fault == "empty":
            entry.status = 200
            self._send_json(200, completion(None, choices=False))
        elif fault == "refusal":
            entry.status = 200
            self._send_json(200, completion(None, refusal="I'm sorry, I cannot help with that request."))
        elif fault == "ungrounded":
            entry.status = 200
            args = {"quantities": [{"measure": "surgeries", "value": 1000000,
                                    "evidence": "1,000,000 surgeries were performed by the fault server."}]}
            self._send_json(200, completion(json.dumps(args), name=srv.tool_name))
        else:
            entry.status = 200
            self._send_json(200, completion(good, name=srv.tool_name))
