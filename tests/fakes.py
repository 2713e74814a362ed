"""The one fake model endpoint of the test suite: SYNTHETIC OpenAI-compatible answers.

Every answer this module serves is SYNTHETIC: made up in test code to drive one code
path, never a model's output. Recordings of a real server live in ``cassettes/`` and
are only ever written by ``scripts/record_cassettes.py``; nothing here is a cassette
and no cassette is ever written by hand.

What is here:

* :func:`completion` — a ``chat.completion`` body as an OpenAI-compatible server sends
  it, carrying an answer in any instructor mode (tools, json_schema, json, md_json).
* :class:`FakeEndpoint` — answers ``POST /v1/chat/completions`` from a fixed answer, a
  callable ``(body) -> answer`` or a script (consumed in order), optionally with latency
  and with the seeded fault injection of :class:`FaultPlan`; it records every request
  (parsed body, raw bytes, arrival and answer times, the article it was about).
* :func:`quote_article_answer` — the stand-in model: fills any requested schema with real
  quotes of the article and invented names (``scripts/standin_model.py --quote-article``).
* :class:`FakeBatchAPI` — OpenAI's files + batches API, in memory.
* :func:`serve` — serves any of them over HTTP on 127.0.0.1 (a free port).

What an answer may be (a fixed answer, what a callable returns, a script item):

* a ``dict`` — the model's answer (the tool arguments, or the JSON content in the JSON
  modes), wrapped with :func:`completion`; in tools mode the tool call is named after
  the request's ``tool_choice``;
* a ``str`` — the arguments text as written (broken JSON, control characters, ...);
* ``(status, body)`` or ``(status, body, headers)`` — a whole HTTP answer; a dict or
  list body is sent as JSON (e.g. ``(200, completion(None, refusal="..."))``,
  ``(429, {"error": ...}, {"retry-after": "1"})``);
* an ``httpx2.Response`` or a :class:`Reply` (which can also delay, truncate or reset);
* an exception — raised in the client's transport (over loopback: the connection is
  reset);
* in a script, a callable ``(body) -> any of the above``.

In process (no socket; timeouts are not simulated)::

    endpoint = FakeEndpoint(script=[{"quantities": []}])
    Extractor(settings, client=endpoint.client()).extract(text)
    over(Extractor(settings), endpoint.transport()).run(inputs, out=out)
    endpoint.requests[0]["tool_choice"]   # the parsed request bodies; .raw: their bytes

Over loopback (subprocesses, the CLI, real timeouts, resets and truncated bodies)::

    with FakeEndpoint.with_faults({"503": 0.1}, seed=1) as endpoint:   # or endpoint.serve()
        run_cli("--base-url", endpoint.base_url)
    endpoint.requests_per_article()

A child process finds this module with ``env=child_env()``.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import hashlib
import json
import os
import random
import re
import socket
import struct
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx2

__all__ = [
    "ANSWER_FAULTS", "CLI", "FAULTS", "PLAN_ONLY_FAULTS", "TRANSPORT_FAULTS", "FakeBatchAPI", "FakeEndpoint",
    "FaultPlan", "Reply", "RequestLog", "article_between_markers", "article_of", "child_env", "cli_env", "completion",
    "serve", "synthetic_answer", "synthetic_batch_answer", "user_text", "write_bulletins", "INVENTED",
    "quote_article_answer", "request_schema",
]

TESTS_DIR = Path(__file__).resolve().parent
DEFAULT_NAME = "HealthNewsArticle"
IN_PROCESS_URL = "http://synthetic.test/v1"  # never resolved: the transport answers in process
MODES = ("tools", "json_schema", "json", "md_json")


CLI = "import sys; from extractor.cli import main; sys.argv[0] = 'extractor'; main()"
"""``[sys.executable, "-c", CLI, *args]`` runs the command line in a child process, as the installed script does."""


QUOTE_MODE: dict[str, Any] = {"labels": False, "evidence_mode": "quote"}
"""Settings of the tests written for quote mode (the model copies quotes and types values):
their SYNTHETIC answers are in that form. Label mode has tests of its own."""


def over(ex: Any, transport: httpx2.AsyncBaseTransport) -> Any:
    """``ex`` (an ``extractor.Extractor``) whose async requests go over ``transport``, as the
    library's own client would send them (:meth:`ArticlePipeline.over_transport`)."""
    twin = copy.copy(ex)
    twin.pipeline = ex.pipeline.over_transport(transport)
    return twin


def cli_env(api_key: str) -> dict[str, str]:
    """The environment of a child ``extractor`` process: none of ours or the shell's
    ``EXTRACTOR_*``/``OPENAI_*`` settings, a test key, unbuffered output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EXTRACTOR_", "OPENAI_"))}
    env["EXTRACTOR_API_KEY"] = api_key
    env["PYTHONUNBUFFERED"] = "1"
    return env


def write_bulletins(folder: Path, n: int) -> None:
    """``n`` one-paragraph health bulletins ``a0000.txt``..., each keyed ``ART-0000``... for the endpoint."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (folder / f"a{i:04d}.txt").write_text(
            f"ART-{i:04d} Health bulletin.\n\nThe County Hospital of Town {i} performed {100 + i} surgeries "
            f"last year.\n", encoding="utf-8")


def child_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """``env`` (default ``os.environ``) with ``tests/`` on PYTHONPATH: a child can ``import fakes``."""
    env = dict(os.environ if env is None else env)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(TESTS_DIR), env.get("PYTHONPATH")) if p)
    return env


# --------------------------------------------------------------------------- answers


def completion(answer: dict | str | None, *, mode: str = "tools", name: str = DEFAULT_NAME,
               content: str | None = None, refusal: str | None = None, finish_reason: str | None = None,
               prompt_tokens: int = 100, completion_tokens: int = 20, choices: bool = True,
               model: str = "synthetic-model") -> dict:
    """A SYNTHETIC ``chat.completion`` body as an OpenAI-compatible server sends it.

    ``answer``: a dict (sent as JSON), a str (sent as written) or None (no answer: only
    ``content`` / ``refusal``). ``mode``: ``tools`` puts it in a tool call named ``name``;
    ``json_schema`` and ``json`` in the message content; ``md_json`` in a fenced
    ```` ```json ```` block. ``finish_reason`` defaults to ``tool_calls`` with a tool call,
    else ``stop``. ``choices=False``: an empty choice list.
    """
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}: one of {MODES}")
    message: dict[str, Any] = {"role": "assistant", "content": content, "refusal": refusal}
    if answer is not None:
        text = answer if isinstance(answer, str) else json.dumps(answer, ensure_ascii=False)
        if mode == "tools":
            message["tool_calls"] = [{"id": "call_1", "type": "function",
                                      "function": {"name": name, "arguments": text}}]
        else:
            message["content"] = f"```json\n{text}\n```" if mode == "md_json" else text
    if finish_reason is None:
        finish_reason = "tool_calls" if "tool_calls" in message else "stop"
    return {
        "id": "chatcmpl-synthetic",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [{"index": 0, "finish_reason": finish_reason, "message": message}] if choices else [],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
    }


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


def user_text(body: dict) -> str:
    """The text of the last user message of a chat request body ('' if none)."""
    users = [m.get("content") for m in body.get("messages") or [] if m.get("role") == "user"]
    return users[-1] if users and isinstance(users[-1], str) else ""


def article_of(body: dict) -> str | None:
    """The article of a chat request: the first user message with the template's markers."""
    for msg in body.get("messages") or []:
        content = msg.get("content")
        if msg.get("role") == "user" and isinstance(content, str):
            _nonce, article = article_between_markers(content)
            if article is not None:
                return article
    return None


def synthetic_answer(article: str | None) -> dict:
    """SYNTHETIC answer grounded in ``article``: one quantity whose evidence is its first
    sentence holding a number (the number of its key, ``ART-0001``, does not count)."""
    if not article:
        return {"quantities": []}
    article = _SENTENCE_MARK.sub("", _MARK.sub("", article))  # written as a quote-mode answer
    for m in _SENTENCE.finditer(article):
        sentence = m.group(0).strip()
        nums = [n for n in _NUMBER.finditer(sentence) if not sentence[: n.start()].endswith("ART-")]
        if nums:
            value = float(nums[0].group(0).replace(",", ""))
            break
    else:
        return {"quantities": []}
    return {"quantities": [{"measure": "synthetic measure", "value": value, "qualifier": "exact",
                            "evidence": sentence}]}


# --------------------------------------------------------------------------- a stand-in model

# Strings the stand-in invents (none occurs in any seed or test article).
INVENTED = ("Pyongyang Central Clinic", "Dr. Olaf Invented", "Atlantis Health Bureau", "平壤中心醫院",
            "بیمارستان خیالی آتلانتیس")
_MARK = re.compile(r"⟦([QMD]\d+)⟧")
_SENTENCE_MARK = re.compile(r"\[(S\d+)\] ")


def in_request_form(answer: dict, body: dict) -> dict:
    """A SYNTHETIC answer written in quote form (values typed, evidence quoted), in the form
    the request asks for: in label mode a fact's number becomes the id of the mention marked
    ``⟦Q3⟧`` in its quoted sentence, and with sentence citations its quote becomes the id of the
    ``[S3]`` sentence that holds it. The same facts, so a fixture serves both forms; a fact the
    form cannot express (its quote is in no sentence, no mention of its kind stands there) is
    left out, as a model that follows the prompt would leave it out."""
    text = article_of(body) or ""
    labels, cited = "⟦" in text, bool(_SENTENCE_MARK.search(text))
    if not (labels or cited) or not isinstance(answer, dict):
        return answer
    sentences = [(m.group(1), m.end()) for m in _SENTENCE_MARK.finditer(text)]
    spans = [(sid, start, sentences[i + 1][1] - len(f"[{sentences[i + 1][0]}] ") if i + 1 < len(sentences)
              else len(text)) for i, (sid, start) in enumerate(sentences)]

    def plain(s: str) -> str:
        return _MARK.sub("", s)

    def where(quote: str) -> tuple[str, int, int] | None:
        for sid, start, end in spans:
            if quote.strip() and quote.strip() in plain(text[start:end]):
                return sid, start, end
        return None

    def convert(fact: dict) -> dict | None:
        quote = fact.get("evidence")
        if not isinstance(quote, str):
            return fact
        found = where(quote)
        if found is None:
            return None
        out = dict(fact)
        if cited:
            out["evidence"] = [found[0]]
        for name, kind in (("value", "Q"), ("amount", "M")):
            if labels and name in fact:
                marks = [i for i in _MARK.findall(text[found[1]:found[2]]) if i[0] == kind]
                if not marks:
                    return None
                out = {k: v for k, v in out.items() if k not in (name, "unit", "qualifier", "currency",
                                                                   "previous_value")}
                out["mention"] = marks[0]
        return out

    def converted(items: list[object]) -> list[object]:
        kept = [convert(f) if isinstance(f, dict) else f for f in items]
        return [f for f in kept if f is not None]

    return {key: converted(value) if isinstance(value, list) else value for key, value in answer.items()}


def request_schema(body: dict) -> dict | None:
    """The JSON schema a chat request asks to fill: its tool's parameters, or the
    ``response_format``'s schema (``None`` in the plain JSON modes)."""
    for tool in body.get("tools") or []:
        params = (tool.get("function") or {}).get("parameters")
        if isinstance(params, dict):
            return params
    fmt = body.get("response_format") or {}
    schema = (fmt.get("json_schema") or {}).get("schema")
    return schema if isinstance(schema, dict) else None


class _Filler:
    """Fills a JSON schema the way a model that quotes well but invents names would."""

    def __init__(self, schema: dict, text: str, strings: tuple[str, ...], items: int):
        self.defs = schema.get("$defs") or schema.get("definitions") or {}
        plain = _SENTENCE_MARK.sub("", _MARK.sub("", text))
        self.lines = [ln.strip() for ln in plain.splitlines() if len(ln.strip()) >= 8] or [plain.strip() or "-"]
        self.ids = {k: [i for i in _MARK.findall(text) if i[0] == k] for k in "QMD"}
        self.sentences = _SENTENCE_MARK.findall(text)
        self.strings, self.items = strings, items
        self.n_line = self.n_string = self.n_id = 0
        self.invented: list[str] = []

    def _resolve(self, node: dict) -> dict:
        while "$ref" in node:
            node = self.defs[node["$ref"].rsplit("/", 1)[-1]]
        return node

    def line(self, numeric: bool = False) -> str:
        """The next line of the article (the next one with a digit, for a fact with a number)."""
        pool = [ln for ln in self.lines if _NUMBER.search(ln)] if numeric else []
        pool = pool or self.lines
        self.n_line += 1
        return pool[(self.n_line - 1) % len(pool)]

    def string(self) -> str:
        self.n_string += 1
        value = self.strings[(self.n_string - 1) % len(self.strings)]
        self.invented.append(value)
        return value

    @staticmethod
    def _kind(description: str) -> str:
        return next((k for k in "QMD" if f"{k}1, {k}2" in description), "Q")

    def mentionable(self, item: dict) -> bool:
        """Whether a list item whose ``mention`` is required can be filled (a model that
        follows the prompt lists no money fact in an article with no ⟦M⟧ mark)."""
        props = item.get("properties") or {}
        if "mention" not in props or "mention" not in (item.get("required") or ()):
            return True
        return bool(self.ids[self._kind(self._resolve(props["mention"]).get("description") or "")])

    def mention(self, description: str) -> str:
        ids = self.ids[self._kind(description)] or ["Q1"]
        self.n_id += 1
        return ids[(self.n_id - 1) % len(ids)]

    def fill(self, node: dict, name: str = "", quote: str = "") -> Any:
        node = self._resolve(node)
        options = node.get("anyOf") or node.get("oneOf")
        if options:
            real = [o for o in options if self._resolve(o).get("type") != "null"]
            return self.fill(real[0] if real else options[0], name, quote)
        if "enum" in node:
            return node["enum"][0]
        if "const" in node:
            return node["const"]
        kind = node.get("type")
        if kind == "object" or "properties" in node:
            props = node.get("properties") or {}
            numeric = any(self._resolve(p).get("type") in ("number", "integer")
                          or any(self._resolve(o).get("type") in ("number", "integer") for o in p.get("anyOf") or ())
                          for p in props.values())
            quote = self.line(numeric) if "evidence" in props else quote
            return {k: self.fill(v, k, quote) for k, v in props.items()}
        if kind == "array":
            if name == "evidence":
                return [self.sentences[(self.n_line - 1) % len(self.sentences)]] if self.sentences else ["S1"]
            item = self._resolve(node.get("items") or {"type": "string"})
            if not self.mentionable(item):
                return []
            return [self.fill(item, name, quote) for _ in range(self.items)]
        if kind in ("number", "integer"):
            m = _NUMBER.search(quote)
            value = float(m.group(0).replace(",", "")) if m else 1.0
            return int(value) if kind == "integer" else value
        if kind == "boolean":
            return False
        if name == "evidence":
            return quote or self.line()
        if "mention" in name:
            return self.mention(node.get("description") or "")
        return self.string()


def quote_article_answer(body: dict, strings: tuple[str, ...] = INVENTED, *, items: int = 2,
                         invented: list[str] | None = None) -> dict:
    """SYNTHETIC answer that fills whatever schema the request asks for with REAL quotes
    (lines of the request's article, in turn) and INVENTED strings (``strings``, in turn) in
    every other text field: names, places, titles, members, the article's title and outlet.
    Numbers come from the quoted line; enums take their first value; in label mode a
    mention field takes an id marked in the text (⟦Q3⟧), and sentence-id evidence an [S3]
    id. Each invented string used is appended to ``invented``."""
    schema = request_schema(body)
    if schema is None:
        return {}
    text = article_of(body) or user_text(body)
    filler = _Filler(schema, text, tuple(strings) or INVENTED, items)
    answer = filler.fill(schema)
    if invented is not None:
        invented.extend(filler.invented)
    return answer


def _tool_name(body: dict, default: str) -> str:
    choice = body.get("tool_choice")
    if isinstance(choice, dict):
        return (choice.get("function") or {}).get("name") or default
    return default


# --------------------------------------------------------------------------- one HTTP answer


@dataclass
class Reply:
    """One HTTP answer, as both ways of serving render it.

    ``delay``: seconds before it goes out. ``truncate``: the full Content-Length, half the
    body, then the connection is reset (in process: ``httpx2.RemoteProtocolError``).
    ``reset``: the connection is reset with no answer (in process: ``httpx2.ReadError``).
    ``after``: called once the answer went out (not when the client gave up first in process).
    """

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    truncate: bool = False
    reset: bool = False
    after: Callable[[], None] | None = field(default=None, repr=False)

    @classmethod
    def json(cls, status: int, payload: Any, headers: dict[str, str] | None = None, **kw: Any) -> Reply:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        return cls(status, data, {"content-type": "application/json", **(headers or {})}, **kw)

    @classmethod
    def of(cls, value: Reply | httpx2.Response | tuple) -> Reply:
        """A Reply from a Reply, an ``httpx2.Response`` or ``(status, body[, headers])``."""
        if isinstance(value, Reply):
            return value
        if isinstance(value, httpx2.Response):
            headers = {k.lower(): v for k, v in value.headers.items() if k.lower() != "content-length"}
            return cls(value.status_code, value.read(), headers)
        status, body, *rest = value
        headers = dict(rest[0]) if rest else {}
        if isinstance(body, (dict, list)):
            return cls.json(status, body, headers)
        data = body.encode("utf-8") if isinstance(body, str) else bytes(body)
        return cls(status, data, headers)

    def response(self, request: httpx2.Request) -> httpx2.Response:
        """This answer as the in-process transport returns it (or the error it raises)."""
        if self.reset:
            raise httpx2.ReadError("synthetic: connection reset by peer", request=request)
        if self.truncate:
            raise httpx2.RemoteProtocolError("synthetic: peer closed connection without sending complete "
                                             "message body", request=request)
        headers = {"content-type": "application/json", **{k.lower(): v for k, v in self.headers.items()}}
        return httpx2.Response(self.status, content=self.body, headers=headers)


class _Transport(httpx2.MockTransport):
    """In process, for sync and async clients alike: ``handler(request) -> Reply``."""

    def __init__(self, handler: Callable[[httpx2.Request], Reply]):
        super().__init__(handler)

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        request.read()
        reply = self.handler(request)
        if reply.delay:
            time.sleep(reply.delay)
        response = reply.response(request)
        if reply.after:
            reply.after()
        return response

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        await request.aread()
        reply = self.handler(request)
        if reply.delay:
            await asyncio.sleep(reply.delay)  # cancelled with the client's task: no answer then
        response = reply.response(request)
        if reply.after:
            reply.after()
        return response


# --------------------------------------------------------------------------- loopback


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # the listen backlog: a burst of new connections is not refused


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    app: Callable[[httpx2.Request], Reply | httpx2.Response]
    stopping: threading.Event

    def log_message(self, format: str, *args: Any) -> None:  # keep pytest output clean
        pass

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if len(raw) < length:  # the client died mid-request: a real server never sees this request
            self.close_connection = True
            return
        host, port = self.server.server_address[:2]
        request = httpx2.Request(self.command, f"http://{host}:{port}{self.path}", headers=dict(self.headers),
                                 content=raw)
        try:
            reply = Reply.of(self.app(request))
        except Exception:  # an exception answer (or a broken fake): the connection is reset
            reply = Reply(reset=True)
        try:
            self._send(reply)
        except OSError:  # the client gave up (timeout): nothing to do
            self.close_connection = True
        finally:
            if reply.after:
                reply.after()

    do_GET = do_POST = do_PUT = do_DELETE = _handle

    def _send(self, reply: Reply) -> None:
        if reply.delay:
            self.stopping.wait(reply.delay)  # cut short when the server stops
        if reply.reset:
            self._reset()
            return
        headers = {k.lower(): v for k, v in reply.headers.items()}
        self.send_response(reply.status)
        self.send_header("Content-Type", headers.pop("content-type", "application/json"))
        self.send_header("Content-Length", str(len(reply.body)))
        for k, v in headers.items():
            if k not in ("content-length", "transfer-encoding"):
                self.send_header(k, v)
        self.end_headers()
        self.wfile.write(reply.body[: len(reply.body) // 2] if reply.truncate else reply.body)
        self.wfile.flush()
        if reply.truncate:
            self._reset()

    def _reset(self) -> None:
        """Close the connection with an RST, no (further) answer."""
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.close()


@contextlib.contextmanager
def serve(app: Callable[[httpx2.Request], Reply | httpx2.Response | tuple]) -> Iterator[str]:
    """Serve ``app(request) -> Reply | httpx2.Response | (status, body[, headers])`` over HTTP
    on 127.0.0.1 (a free port) from a background thread; yields ``http://127.0.0.1:<port>/v1``."""
    stopping = threading.Event()
    handler = type("Handler", (_Handler,), {"app": staticmethod(app), "stopping": stopping})
    httpd = _Server(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-endpoint",
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    finally:
        stopping.set()
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


# --------------------------------------------------------------------------- faults

TRANSPORT_FAULTS = ("429_ra", "429", "500", "502", "503", "reset", "slow", "truncated", "bad_body")
ANSWER_FAULTS = ("bad_args", "schema", "empty", "refusal", "ungrounded")
FAULTS = TRANSPORT_FAULTS + ANSWER_FAULTS
# Only served when a plan asks for them (never drawn from the rates).
PLAN_ONLY_FAULTS = ("401", "echo_auth", "half_grounded")


class FaultPlan:
    """Which fault (or ``"ok"``) each request meets, and what that fault sends.

    At the given rates, drawn from an RNG seeded by ``(seed, article key, request number
    of that article)`` — so the faults an article meets do not depend on thread
    interleaving and a test can predict them with :meth:`choose`:

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

    Plan only: ``401`` (key rejected), ``echo_auth`` (400 whose error message quotes
    the request's Authorization header back, as some proxies do) and ``half_grounded``
    (the good answer's fact plus one whose evidence is not in the article).

    ``plan(article_key, n) -> fault | None`` decides instead of the rates (``None``: fall
    back to the rates; ``"ok"``: a clean answer).
    """

    def __init__(self, rates: dict[str, float] | None = None, *, seed: int = 0, retry_after: str = "0.3",
                 slow_s: float = 2.0, plan: Callable[[str, int], str | None] | None = None):
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

    def choose(self, key: str, n: int) -> str:
        """The fault served to the ``n``-th request (1-based) of the article ``key``."""
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

    def reply(self, fault: str, good: str, answer: Callable[..., dict], authorization: str | None) -> Reply:
        """What ``fault`` sends; ``good``: the clean arguments text; ``answer(args, **kw)``: a completion."""
        def err(status: int, code: str, msg: str, headers: dict[str, str] | None = None) -> Reply:
            return Reply.json(status, {"error": {"message": msg, "type": "server_error", "code": code}}, headers)

        if fault == "429_ra":
            return err(429, "rate_limited", "synthetic rate limit", {"Retry-After": self.retry_after})
        if fault == "429":
            return err(429, "rate_limited", "synthetic rate limit, no hint")
        if fault in ("500", "502", "503"):
            return err(int(fault), fault, f"synthetic {fault}")
        if fault == "reset":
            return Reply(reset=True)
        if fault == "401":
            return Reply.json(401, {"error": {"message": "Incorrect API key provided.",
                                              "type": "invalid_request_error", "code": "invalid_api_key"}})
        if fault == "echo_auth":
            return Reply.json(400, {"error": {"message": f"bad request with header {authorization}",
                                              "type": "invalid_request_error"}})
        if fault == "slow":
            return Reply.json(200, answer(good), delay=self.slow_s)
        if fault == "truncated":
            return Reply.json(200, answer(good), truncate=True)
        if fault == "bad_body":
            whole = json.dumps(answer(good)).encode()
            return Reply(200, whole[: len(whole) // 2])
        if fault == "bad_args":
            return Reply.json(200, answer(good[: max(1, len(good) // 2)] + "}}{"))
        if fault == "schema":
            bad = {"quantities": [{"measure": ["not", "a", "string"], "value": "many", "evidence": 42}],
                   "places": "nowhere"}
            return Reply.json(200, answer(json.dumps(bad)))
        if fault == "empty":
            return Reply.json(200, answer(None, choices=False))
        if fault == "refusal":
            return Reply.json(200, answer(None, refusal="I'm sorry, I cannot help with that request."))
        if fault == "ungrounded":
            args = {"quantities": [{"measure": "surgeries", "value": 1000000,
                                    "evidence": "1,000,000 surgeries were performed by the fault server."}]}
            return Reply.json(200, answer(json.dumps(args)))
        if fault == "half_grounded":  # the good answer's fact, and one whose quote is not in the article
            args = json.loads(good)
            args.setdefault("quantities", []).append({
                "measure": "surgeries", "value": 1000000,
                "evidence": "1,000,000 surgeries were performed by the fault server."})
            return Reply.json(200, answer(json.dumps(args)))
        raise ValueError(f"unknown fault {fault!r}")


# --------------------------------------------------------------------------- the endpoint


@dataclass
class RequestLog:
    """One chat-completion request as the endpoint saw it."""

    t: float  # time.monotonic() when the request arrived
    article: str  # article key (see FakeEndpoint.article_key)
    n: int  # 1-based request number of this article
    fault: str  # the fault served, or "ok"
    status: int | None  # HTTP status sent (None: no answer)
    t_done: float = 0.0  # time the answer (or the reset) went out; 0.0: never
    body: dict | None = field(default=None, repr=False)


Answer = Any  # see the module docstring: dict | str | tuple | Reply | httpx2.Response | Exception


class FakeEndpoint:
    """A SYNTHETIC OpenAI-compatible chat-completions endpoint.

    Args:
        answer: the answer to every request, or ``callable(body) -> answer``. Default: a
            :func:`synthetic_answer` grounded in the request's own article.
        script: answers in order, one per request (instead of ``answer``); a request
            past its end fails the test, unless ``cycle`` starts it over.
        mode: how dict/str answers are carried (see :func:`completion`).
        latency: seconds before each answer the endpoint makes up: model answers (a dict or
            str answer) and fault replies. An HTTP answer given whole (a tuple, a
            :class:`Reply`, an ``httpx2.Response``) goes out as given.
        faults: a :class:`FaultPlan` (see also :meth:`with_faults`); its clean answers
            are always the grounded :func:`synthetic_answer`.
        key_pattern: a regex whose first match in the article is its key (else a hash).
        prompt_tokens, completion_tokens, model: what the completions report.

    Records: ``requests`` (parsed bodies), ``raw`` (their bytes), ``log``
    (:class:`RequestLog`), ``counts`` (per fault, ``ok`` for clean answers), ``calls``,
    :meth:`requests_per_article`, :meth:`requests_of`, ``other_requests`` (method, path
    of anything that was not a chat completion).
    """

    def __init__(self, answer: Answer | Callable[[dict], Answer] = None, *, script: list | None = None,
                 cycle: bool = False, mode: str = "tools", name: str = DEFAULT_NAME, latency: float = 0.0,
                 faults: FaultPlan | None = None, key_pattern: str = r"ART-\d+", prompt_tokens: int = 100,
                 completion_tokens: int = 20, model: str = "synthetic-model"):
        if script is not None and answer is not None:
            raise ValueError("a script answers every request: no answer with it")
        if faults is not None and (answer is not None or script is not None):
            raise ValueError("under faults the clean answers are synthetic_answer(article): no answer or script")
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}: one of {MODES}")
        self.answer = answer
        self.script = None if script is None else list(script)
        self.cycle = cycle
        self.mode = mode
        self.name = name
        self.latency = latency
        self.faults = faults
        self.key_re = re.compile(key_pattern)
        self.usage = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens}
        self.model = model
        self.base_url: str | None = None  # while served over loopback
        self._lock = threading.Lock()
        self._serving: contextlib.ExitStack | None = None
        self.clear()

    @classmethod
    def with_faults(cls, rates: dict[str, float] | None = None, *, seed: int = 0, retry_after: str = "0.3",
                    slow_s: float = 2.0, plan: Callable[[str, int], str | None] | None = None,
                    latency: float = 0.0, **kw: Any) -> FakeEndpoint:
        """An endpoint that misbehaves on purpose (see :class:`FaultPlan`); clean answers
        are grounded in the request's own article. Meant to be served over loopback."""
        kw = {"model": "fault-model", "prompt_tokens": 50, "completion_tokens": 10, **kw}
        return cls(faults=FaultPlan(rates, seed=seed, retry_after=retry_after, slow_s=slow_s, plan=plan),
                   latency=latency, **kw)

    # records ----------------------------------------------------------------------------
    def clear(self) -> None:
        """Forget every request (and start the script over)."""
        with self._lock:
            self.requests: list[dict] = []
            self.raw: list[bytes] = []
            self.log: list[RequestLog] = []
            self.counts: Counter[str] = Counter()
            self.other_requests: list[tuple[str, str]] = []
            self._per_article: defaultdict[str, int] = defaultdict(int)
            self._position = 0

    @property
    def calls(self) -> int:
        """How many chat-completion requests arrived."""
        return len(self.log)

    def requests_per_article(self) -> dict[str, int]:
        with self._lock:
            return dict(self._per_article)

    def requests_of(self, article: str) -> list[RequestLog]:
        with self._lock:
            return sorted((r for r in self.log if r.article == article), key=lambda r: r.n)

    def article_key(self, article: str | None, raw: bytes) -> str:
        if article:
            m = self.key_re.search(article)
            if m:
                return m.group(0)
            return "sha:" + hashlib.sha256(article.encode("utf-8", "surrogatepass")).hexdigest()[:12]
        return "raw:" + hashlib.sha256(raw).hexdigest()[:12]

    # answering ----------------------------------------------------------------------------
    def handle(self, request: httpx2.Request) -> Reply:
        """The endpoint itself: one HTTP request in, one :class:`Reply` out."""
        path = request.url.path.rstrip("/")
        if request.method == "GET" and path in ("/v1/models", "/models"):
            with self._lock:
                self.other_requests.append(("GET", request.url.path))
            return Reply.json(200, {"object": "list", "data": [{"id": self.model, "object": "model", "created": 0,
                                                                "owned_by": "fakes"}]})
        if request.method != "POST" or path not in ("/v1/chat/completions", "/chat/completions"):
            with self._lock:
                self.other_requests.append((request.method, request.url.path))
            return Reply.json(404, {"error": {"message": f"no route {request.url.path}", "type": "not_found"}})
        raw = request.content
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            return Reply.json(400, {"error": {"message": "request body is not JSON", "type": "invalid_request"}})
        key = self.article_key(article_of(body), raw)
        with self._lock:
            self._per_article[key] += 1
            entry = RequestLog(time.monotonic(), key, self._per_article[key], "?", None, body=body)
            self.requests.append(body)
            self.raw.append(raw)
        entry.fault = self.faults.choose(key, entry.n) if self.faults is not None else "ok"
        with self._lock:
            self.counts[entry.fault] += 1
            self.log.append(entry)
        if entry.fault == "ok":
            answer = self._next_answer(body)
            reply = self._reply(body, answer)
            latency = self.latency if isinstance(answer, (dict, str)) else 0.0  # a whole HTTP answer goes as given
        else:
            good = json.dumps(synthetic_answer(article_of(body)), ensure_ascii=False)
            reply = self.faults.reply(entry.fault, good, lambda args, **kw: self._completion(body, args, **kw),
                                      request.headers.get("authorization"))
            latency = self.latency
        entry.status = None if reply.reset else reply.status

        then = reply.after

        def done() -> None:
            entry.t_done = time.monotonic()
            if then is not None:
                then()

        return replace(reply, delay=reply.delay + latency, after=done)  # a copy: a Reply may be reused

    def _next_answer(self, body: dict) -> Answer:
        if self.script is None:
            answer = self.answer
            if answer is None:
                return synthetic_answer(article_of(body))
            return answer(body) if callable(answer) else answer
        with self._lock:
            if self._position >= len(self.script) and not (self.cycle and self.script):
                raise AssertionError("the fake endpoint got more requests than scripted")
            item = self.script[self._position % len(self.script)]
            self._position += 1
        return item(body) if callable(item) else item

    def _completion(self, body: dict, answer: dict | str | None, **kw: Any) -> dict:
        return completion(answer, mode=self.mode, name=_tool_name(body, self.name), model=self.model,
                          **self.usage, **kw)

    def _reply(self, body: dict, answer: Answer) -> Reply:
        if isinstance(answer, BaseException):
            raise answer
        if isinstance(answer, dict):
            answer = in_request_form(answer, body)
        if isinstance(answer, (dict, str)):
            return Reply.json(200, self._completion(body, answer))
        if isinstance(answer, (Reply, httpx2.Response, tuple)):
            return Reply.of(answer)
        raise TypeError(f"the fake endpoint cannot answer with {type(answer).__name__}: {answer!r}")

    # in process ---------------------------------------------------------------------------
    def transport(self) -> httpx2.MockTransport:
        """An ``httpx2`` transport answering in process, for sync and async clients alike."""
        return _Transport(self.handle)

    def client(self, api_key: str = "sk-test-synthetic") -> Any:
        """An ``openai.OpenAI`` client (no retries of its own) talking to this endpoint in process."""
        import openai

        return openai.OpenAI(api_key=api_key, base_url=IN_PROCESS_URL, max_retries=0,
                             http_client=httpx2.Client(transport=self.transport()))

    def async_client(self, api_key: str = "sk-test-synthetic") -> Any:
        """An ``openai.AsyncOpenAI`` client (no retries of its own) talking to this endpoint in process."""
        import openai

        return openai.AsyncOpenAI(api_key=api_key, base_url=IN_PROCESS_URL, max_retries=0,
                                  http_client=httpx2.AsyncClient(transport=self.transport()))

    # over loopback -------------------------------------------------------------------------
    @contextlib.contextmanager
    def serve(self) -> Iterator[str]:
        """Serve over HTTP on 127.0.0.1; yields (and sets ``base_url`` to) ``http://127.0.0.1:<port>/v1``."""
        with serve(self.handle) as base_url:
            self.base_url = base_url
            try:
                yield base_url
            finally:
                self.base_url = None

    def __enter__(self) -> FakeEndpoint:
        self._serving = contextlib.ExitStack()
        self._serving.enter_context(self.serve())
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._serving is not None
        self._serving.close()
        self._serving = None


# --------------------------------------------------------------------------- the Batch API


def synthetic_batch_answer(body: dict) -> dict:
    """SYNTHETIC answer to one batch request: a bed count quoting the first sentence with
    a number of its article, and the County Hospital."""
    article = _SENTENCE_MARK.sub("", _MARK.sub("", user_text(body).split(" BEGIN\n", 1)[-1]))
    m = re.search(r"[A-Z][^.\n]*\d[^.\n]*\.", article)
    assert m, "the synthetic batch answer expects a sentence with a number"
    sentence = m.group(0)
    value = int(re.search(r"\d+", sentence).group(0))
    return {
        "quantities": [{"measure": "beds", "value": value, "unit": "bed", "evidence": sentence}],
        "organisations": [{"name": "County Hospital", "kind": "hospital", "evidence": "County Hospital"}],
    }


class FakeBatchAPI:
    """A SYNTHETIC OpenAI files + batches API, in memory: ``client()`` in process,
    ``serve()`` over loopback.

    ``fail``: custom_id predicate -> those requests land in the error file with a 400.
    ``broken``: custom_id predicate -> answered with malformed tool-call arguments.
    ``in_progress_polls``: how many retrieves answer 'in_progress' before 'completed'.
    ``batch_fails``: the batch itself fails at the first retrieve.
    Every other line is answered with :func:`synthetic_batch_answer`.
    """

    def __init__(self, *, fail=None, broken=None, in_progress_polls: int = 0, batch_fails: bool = False):
        self.batch_fails = batch_fails
        self.files: dict[str, bytes] = {}
        self.batches: dict[str, dict] = {}
        self.fail = fail or (lambda cid: False)
        self.broken = broken or (lambda cid: False)
        self.in_progress_polls = in_progress_polls
        self.seen_requests: list[dict] = []
        self.auth_headers: set[str] = set()
        self.calls: list[str] = []

    def _batch(self, bid: str) -> dict:
        b = self.batches[bid]
        return {"id": bid, "object": "batch", "endpoint": b["endpoint"], "completion_window": "24h",
                "created_at": b.get("created_at", 0), "input_file_id": b["input_file_id"], "status": b["status"],
                "output_file_id": b.get("output_file_id"), "error_file_id": b.get("error_file_id"),
                "request_counts": b["counts"], "metadata": b["metadata"], "errors": b.get("errors")}

    def _run(self, bid: str) -> None:
        b = self.batches[bid]
        lines = [json.loads(x) for x in self.files[b["input_file_id"]].decode().splitlines() if x.strip()]
        out, err = [], []
        for i, req in enumerate(lines):
            assert req["method"] == "POST" and req["url"] == "/v1/chat/completions"
            self.seen_requests.append(req)
            cid = req["custom_id"]
            if self.fail(cid):
                err.append({"id": f"req_{i}", "custom_id": cid, "error": None, "response": {
                    "status_code": 400, "request_id": f"r{i}",
                    "body": {"error": {"message": "synthetic: context_length_exceeded",
                                       "type": "invalid_request_error"}}}})
                continue
            body = req["body"]
            args = '{"quantities": "oops"' if self.broken(cid) else in_request_form(synthetic_batch_answer(body), body)
            answer = completion(args, name=_tool_name(body, DEFAULT_NAME), model=body["model"])
            out.append({"id": f"req_{i}", "custom_id": cid, "error": None, "response": {
                "status_code": 200, "request_id": f"r{i}", "body": answer}})
        b["output_file_id"] = self._store("\n".join(json.dumps(x) for x in out).encode() + b"\n")
        b["error_file_id"] = self._store("\n".join(json.dumps(x) for x in err).encode() + b"\n") if err else None
        b["counts"] = {"total": len(lines), "completed": len(out), "failed": len(err)}
        b["status"] = "completed"

    def _store(self, data: bytes) -> str:
        fid = f"file-{len(self.files) + 1}"
        self.files[fid] = data
        return fid

    def __call__(self, request: httpx2.Request) -> httpx2.Response:
        self.auth_headers.add(request.headers.get("authorization", ""))
        path = request.url.path
        self.calls.append(f"{request.method} {path}")
        if request.method == "POST" and path.endswith("/files"):
            body = request.content
            # The JSONL part of the multipart upload: every line that is a request object.
            part = b"\n".join(ln for ln in body.split(b"\r\n") if ln.startswith(b'{"custom_id"'))
            data = b"\n".join(ln for ln in part.split(b"\n") if ln.strip()) + b"\n"
            assert b'name="purpose"' in body and b"batch" in body
            fid = self._store(data)
            return httpx2.Response(200, json={"id": fid, "object": "file", "bytes": len(data), "created_at": 0,
                                              "filename": "input.jsonl", "purpose": "batch", "status": "processed"})
        if request.method == "POST" and path.endswith("/batches"):
            req = json.loads(request.content)
            bid = f"batch_{len(self.batches) + 1}"
            self.batches[bid] = {"endpoint": req["endpoint"], "input_file_id": req["input_file_id"],
                                 "created_at": int(time.time()),
                                 "metadata": req.get("metadata"), "status": "validating",
                                 "counts": {"total": 0, "completed": 0, "failed": 0}, "polls": 0}
            return httpx2.Response(200, json=self._batch(bid))
        if request.method == "GET" and path.endswith("/batches"):
            # Newest first, as OpenAI lists them; one page.
            data = [self._batch(bid) for bid in reversed(list(self.batches))]
            return httpx2.Response(200, json={"object": "list", "data": data, "has_more": False,
                                              "first_id": data[0]["id"] if data else None,
                                              "last_id": data[-1]["id"] if data else None})
        m = re.search(r"/batches/([^/]+)$", path)
        if request.method == "GET" and m:
            bid = m.group(1)
            b = self.batches[bid]
            b["polls"] += 1
            if b["status"] not in ("completed", "failed"):
                if self.batch_fails:
                    b["status"] = "failed"
                    b["errors"] = {"object": "list", "data": [
                        {"code": "invalid_request", "message": "synthetic: model not available in batch", "line": 1}]}
                elif b["polls"] <= self.in_progress_polls:
                    b["status"] = "in_progress"
                else:
                    self._run(bid)
            return httpx2.Response(200, json=self._batch(bid))
        m = re.search(r"/files/([^/]+)/content$", path)
        if request.method == "GET" and m:
            return httpx2.Response(200, content=self.files[m.group(1)])
        return httpx2.Response(404, json={"error": {"message": f"synthetic: no route {request.method} {path}"}})

    def _reply(self, request: httpx2.Request) -> Reply:
        return Reply.of(self(request))

    def client(self, api_key: str = "sk-test-synthetic") -> Any:
        """An ``openai.OpenAI`` client (no retries of its own) talking to this API in process."""
        import openai

        return openai.OpenAI(api_key=api_key, base_url=IN_PROCESS_URL, max_retries=0,
                             http_client=httpx2.Client(transport=_Transport(self._reply)))

    def serve(self) -> contextlib.AbstractContextManager[str]:
        """Serve over HTTP on 127.0.0.1; ``with api.serve() as base_url``."""
        return serve(self)
