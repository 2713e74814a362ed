"""Many articles: discovery, bounded concurrency, a shared rate limiter, resumable runs.

    inputs ─discover─▶ files ─read─▶ Documents ─┬─ done before? ──▶ cached record (no call)
                                                └─ N workers ─▶ Extractor ─▶ store ─▶ record
    end / Ctrl-C ─▶ exports regenerated from the store

Every article ends as exactly one record, ``ok`` or ``error`` with the reason; a bad
article never stops the run. Results are written to SQLite one transaction per
article (:mod:`extractor.store.sqlite`), so a killed run restarted with the same command
picks up where it stopped and makes no model call for finished articles.

Rate limits are handled run-wide: every HTTP request to the model passes one
:class:`RateLimiter` (requests and tokens per minute, token buckets), and a 429 from
any request pauses *all* new requests for the ``Retry-After`` (or backoff) interval,
instead of letting the other workers keep hammering an endpoint that is already
refusing. The limiter sits in the HTTP transport of the OpenAI client, below
instructor's re-asks and tenacity's retries, so it sees every request.

>>> from extractor import Extractor, Settings                       # doctest: +SKIP
>>> from extractor.runs.batch import run_batch
>>> summary = run_batch(Extractor(Settings.from_env()), ["articles/"], out=Path("out"))
>>> summary.ok, summary.failed, summary.paths["articles"]
"""

from __future__ import annotations

import asyncio
import glob
import hashlib
import json
import logging
import os
import random
import signal
import socket
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, AsyncIterator, Callable, Iterable, Iterator
from urllib.parse import urlsplit

import httpx2

from extractor.core.errors import ConfigurationError, ExtractorError, InputError, ModelCallError
from extractor.core.types import Usage
from extractor.model.client import retry_after_seconds
from extractor.store import Identity, Store, input_error_key

logger = logging.getLogger(__name__)

__all__ = [
    "ArticleRecord",
    "DryRunSummary",
    "Progress",
    "RateLimitedTransport",
    "RateLimiter",
    "RunSummary",
    "SUPPORTED_SUFFIXES",
    "check_endpoint",
    "discover_inputs",
    "estimate_batch",
    "iter_results",
    "run_batch",
]

SUPPORTED_SUFFIXES = frozenset({".txt", ".md", ".html", ".htm", ".jsonl"})
_GLOB_CHARS = set("*?[")


# --------------------------------------------------------------------------- discovery


def _is_hidden(name: str) -> bool:
    return name.startswith(".")


def _walk(root: Path, errors: list[InputError]) -> Iterator[Path]:
    """Supported files under ``root``, sorted, hidden entries skipped, symlink loops reported."""
    seen_dirs: set[tuple[int, int]] = set()

    def visit(d: Path) -> Iterator[Path]:
        try:
            st = d.stat()
        except OSError as exc:
            errors.append(InputError(str(d), f"cannot be read: {_oserror(exc)}"))
            return
        ident = (st.st_dev, st.st_ino)
        if ident in seen_dirs:
            errors.append(InputError(str(d), "is a symlink loop (a folder that contains itself); skipped"))
            return
        seen_dirs.add(ident)
        try:
            entries = sorted(os.scandir(d), key=lambda e: e.name)
        except OSError as exc:
            errors.append(InputError(str(d), f"folder cannot be listed: {_oserror(exc)}"))
            return
        for entry in entries:
            if _is_hidden(entry.name):
                continue
            path = Path(entry.path)
            try:
                is_dir = entry.is_dir()  # follows symlinks
                is_file = entry.is_file()
            except OSError as exc:  # ELOOP on a self-referencing symlink
                errors.append(InputError(str(path), f"cannot be read: {_oserror(exc)}"))
                continue
            if is_dir:
                yield from visit(path)
            elif is_file:
                if path.suffix.lower() in SUPPORTED_SUFFIXES:
                    yield path
            elif entry.is_symlink():
                errors.append(InputError(str(path), "is a broken or looping symlink"))

    yield from visit(root)


def _oserror(exc: OSError) -> str:
    return exc.strerror or str(exc)


def discover_inputs(inputs: Iterable[str | os.PathLike]) -> tuple[list[Path], list[InputError]]:
    """Files to process from paths, folders (recursive) and glob patterns.

    Returns ``(files, errors)``: files in a stable order without repeats, and one
    :class:`InputError` per input that cannot be used (missing, unreadable, a symlink
    loop, an unsupported file named explicitly). Hidden files and folders are skipped
    when found by a folder walk or a glob. Supported: .txt .md .html .htm .jsonl.
    """
    files: list[Path] = []
    errors: list[InputError] = []
    seen: set[str] = set()

    def add(p: Path) -> None:
        key = os.path.normpath(os.path.abspath(p))
        if key not in seen:
            seen.add(key)
            files.append(p)

    for raw in inputs:
        text = os.fspath(raw)
        path = Path(text)
        if not path.exists() and not path.is_symlink() and _GLOB_CHARS & set(text):
            matches = sorted(glob.glob(text, recursive=True))
            if not matches:
                errors.append(InputError(text, "glob pattern matched no files"))
            for m in matches:
                mp = Path(m)
                if any(_is_hidden(part) for part in mp.parts if part not in (".", "..")):
                    continue
                if mp.is_dir():
                    for f in _walk(mp, errors):
                        add(f)
                elif mp.suffix.lower() in SUPPORTED_SUFFIXES:
                    add(mp)
            continue
        try:
            is_dir = path.is_dir()
            exists = path.exists()
        except OSError as exc:
            errors.append(InputError(text, f"cannot be read: {_oserror(exc)}"))
            continue
        if is_dir:
            for f in _walk(path, errors):
                add(f)
        elif exists:
            if path.suffix.lower() not in SUPPORTED_SUFFIXES:
                errors.append(InputError(text, f"unsupported file type {path.suffix or '(none)'!r}; "
                                               f"use {', '.join(sorted(SUPPORTED_SUFFIXES))}"))
            else:
                add(path)
        elif path.is_symlink():
            errors.append(InputError(text, "is a broken or looping symlink"))
        else:
            errors.append(InputError(text, "file not found"))
    # An error for the same source must not appear twice (a loop seen from two inputs).
    unique: dict[str, InputError] = {}
    for e in errors:
        unique.setdefault(str(e.source), e)
    return files, list(unique.values())


def _count_items(files: list[Path]) -> int:
    """Articles expected: one per file, one per non-blank line of a .jsonl file."""
    n = 0
    for f in files:
        if f.suffix.lower() == ".jsonl":
            try:
                with open(f, "rb") as fh:
                    n += sum(1 for line in fh if line.strip())
            except OSError:
                n += 1
        else:
            n += 1
    return n


# --------------------------------------------------------------------------- rate limiting


class RateLimiter:
    """Requests- and tokens-per-minute token buckets plus a run-wide pause after a 429.

    One instance is shared by every request of a run. :meth:`acquire` waits, in
    arrival order, until the buckets allow the request and no pause is in force;
    :meth:`on_rate_limited` starts a pause that holds back *every* new request (the
    server's ``Retry-After`` when given, else exponential backoff with jitter that
    grows while 429s keep coming). Requests already sent are not affected.

    Buckets refill continuously and hold ``burst_s`` seconds' worth, so traffic is
    smooth rather than a burst at the start of each minute. A request larger than the
    token bucket goes when the bucket is full (and leaves it in debt), so a tiny
    ``tpm`` slows a run down but never deadlocks it.
    """

    def __init__(
        self,
        rpm: int | None = None,
        tpm: int | None = None,
        *,
        burst_s: float = 1.0,
        backoff_initial_s: float = 1.0,
        backoff_max_s: float = 60.0,
        max_pause_s: float = 120.0,
        clock: Callable[[], float] = time.monotonic,
        max_in_flight: int | None = None,
    ):
        if rpm is not None and rpm <= 0:
            raise ConfigurationError(f"rpm must be positive, got {rpm}")
        if tpm is not None and tpm <= 0:
            raise ConfigurationError(f"tpm must be positive, got {tpm}")
        self.rpm, self.tpm = rpm, tpm
        self.backoff_initial_s, self.backoff_max_s, self.max_pause_s = backoff_initial_s, backoff_max_s, max_pause_s
        self._clock = clock
        self._req_rate = rpm / 60.0 if rpm else 0.0
        self._req_cap = max(1.0, self._req_rate * burst_s)
        self._tok_rate = tpm / 60.0 if tpm else 0.0
        self._tok_cap = max(1.0, self._tok_rate * burst_s)
        self._req = self._req_cap
        self._tok = self._tok_cap
        self._stamp = clock()
        self._paused_until = 0.0
        self._streak = 0
        self._lock: asyncio.Lock | None = None
        self.max_in_flight = max_in_flight
        self._slots: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        # Observable counters (the benchmark and the summary read them).
        self.requests = 0
        self.rate_limited = 0
        self.paused_s = 0.0
        self.waited_s = 0.0

    @property
    def paused_until(self) -> float:
        """Clock time before which no new request is sent."""
        return self._paused_until

    def _bind_loop(self) -> None:
        """Lock and semaphore belong to one event loop: a limiter reused by a later
        ``asyncio.run`` (a second :func:`run_batch`) makes fresh ones."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # pragma: no cover - only called from coroutines
            return
        if loop is not self._loop:
            self._loop = loop
            self._lock = None
            self._slots = None

    def _refill(self, now: float) -> None:
        dt = max(0.0, now - self._stamp)
        self._stamp = now
        if self.rpm:
            self._req = min(self._req_cap, self._req + dt * self._req_rate)
        if self.tpm:
            self._tok = min(self._tok_cap, self._tok + dt * self._tok_rate)

    async def acquire(self, tokens: int = 0) -> None:
        """Wait until one request of about ``tokens`` tokens may be sent, then take it."""
        if not self.rpm and not self.tpm and self._paused_until <= self._clock():
            self.requests += 1
            return
        self._bind_loop()
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            while True:
                now = self._clock()
                self._refill(now)
                wait = self._paused_until - now
                if self.rpm and self._req < 1.0:
                    wait = max(wait, (1.0 - self._req) / self._req_rate)
                if self.tpm and tokens:
                    need = min(float(tokens), self._tok_cap)
                    if self._tok < need:
                        wait = max(wait, (need - self._tok) / self._tok_rate)
                if wait <= 0:
                    break
                self.waited_s += wait
                await asyncio.sleep(wait)
            if self.rpm:
                self._req -= 1.0
            if self.tpm:
                self._tok -= tokens
            self.requests += 1

    def slots(self) -> asyncio.Semaphore | None:
        """The semaphore bounding requests in flight (None when unbounded)."""
        self._bind_loop()
        if self.max_in_flight and self._slots is None:
            self._slots = asyncio.Semaphore(self.max_in_flight)
        return self._slots

    def settle(self, estimated: int, actual: int) -> None:
        """Correct the token bucket once the real usage of a request is known."""
        if self.tpm:
            self._tok = min(self._tok_cap, self._tok + estimated - actual)

    def on_rate_limited(self, retry_after: float | None = None) -> float:
        """A 429 arrived: pause all new requests; returns the pause in seconds."""
        self.rate_limited += 1
        if retry_after is not None:
            delay = min(max(0.0, retry_after), self.max_pause_s)
        else:
            base = min(self.backoff_max_s, self.backoff_initial_s * 2 ** self._streak)
            delay = random.uniform(base / 2, base)
        self._streak += 1
        now = self._clock()
        until = now + delay
        if until > self._paused_until:
            self.paused_s += until - max(now, self._paused_until)
            self._paused_until = until
        logger.warning("rate limited (429): pausing all requests for %.2fs", delay)
        return delay

    def on_success(self) -> None:
        """A request went through: the backoff streak starts again from the beginning."""
        self._streak = 0


class RateLimitedTransport(httpx2.AsyncBaseTransport):
    """An httpx2 transport that sends every request through a :class:`RateLimiter`.

    Wraps any transport (the real one, a ``MockTransport`` in tests). A 429 response
    pauses the whole run; with a tokens-per-minute limit the response body is read to
    charge the real ``usage.total_tokens`` instead of the estimate.
    """

    def __init__(self, inner: httpx2.AsyncBaseTransport, limiter: RateLimiter):
        self.inner = inner
        self.limiter = limiter

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        slots = self.limiter.slots()
        if slots is None:
            return await self._send(request)
        async with slots:
            return await self._send(request)

    async def _send(self, request: httpx2.Request) -> httpx2.Response:
        estimate = 0
        if self.limiter.tpm:
            try:
                # ~4 bytes a token for the JSON body; corrected by settle() afterwards.
                estimate = max(1, len(request.content) // 4)
            except Exception:  # a streamed body has no length yet
                estimate = 1000
        await self.limiter.acquire(estimate)
        try:
            response = await self.inner.handle_async_request(request)
        except BaseException:
            self.limiter.settle(estimate, 0)
            raise
        if response.status_code == 429:
            self.limiter.settle(estimate, 0)
            self.limiter.on_rate_limited(retry_after_seconds(response))
            return response
        self.limiter.on_success()
        if estimate and response.status_code == 200:
            actual = estimate
            try:
                await response.aread()
                actual = int(((response.json() or {}).get("usage") or {}).get("total_tokens") or estimate)
            except Exception:  # not JSON, or no usage reported: keep the estimate
                pass
            self.limiter.settle(estimate, actual)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def check_endpoint(settings: Any, timeout_s: float = 5.0) -> None:
    """Raise :class:`ConfigurationError` with one clear line when the endpoint's host
    does not accept connections (a quick TCP connect; nothing is sent)."""
    url = settings.resolved_base_url()
    if not url:
        raise ConfigurationError(
            f"provider {settings.profile().name!r} needs a base URL: set EXTRACTOR_BASE_URL or --base-url"
        )
    parts = urlsplit(url)
    host = parts.hostname
    port = parts.port or (443 if parts.scheme == "https" else 80)
    if not host:
        raise ConfigurationError(f"base URL {url!r} has no host name: set EXTRACTOR_BASE_URL or --base-url")
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            pass
    except OSError as exc:
        raise ConfigurationError(
            f"cannot reach {url} ({_oserror(exc)}): is the server running and the network up? "
            "set EXTRACTOR_BASE_URL / --base-url, or use --local"
        ) from None


# --------------------------------------------------------------------------- records


@dataclass
class ArticleRecord:
    """The outcome of one article in a run.

    ``status`` is ``ok`` or ``error``; ``cached`` is True when the store already had
    the record and no model call was made; ``error_kind`` is ``input``, a
    :class:`ModelCallError` kind (``transport``, ``validation``, ``refusal``,
    ``empty``) or ``internal``. ``result`` is the :class:`ExtractionResult` of a fresh
    ``ok`` record (None for cached and failed ones).
    """

    source: str | None
    sha256: str | None
    status: str
    error: str | None = None
    error_kind: str | None = None
    cached: bool = False
    duplicate_of: str | None = None
    facts: int = 0
    facts_by_type: dict[str, int] = field(default_factory=dict)
    usage: Usage | None = None
    result: Any = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


@dataclass
class Progress:
    """Counts so far, handed to ``on_progress`` after every record."""

    total: int
    done: int = 0
    ok: int = 0
    failed: int = 0
    cached: int = 0
    tokens: int = 0
    cost_usd: float = 0.0
    started: float = field(default_factory=time.monotonic)

    @property
    def elapsed_s(self) -> float:
        return time.monotonic() - self.started

    @property
    def per_minute(self) -> float:
        """Articles per minute processed in this run (cached ones excluded)."""
        fresh = self.done - self.cached
        return 60.0 * fresh / self.elapsed_s if self.elapsed_s > 0 else 0.0


@dataclass
class RunSummary:
    """What a run did. ``exit_code`` is 0 when every article is ok, else 1."""

    run_id: int
    out: Path
    total: int = 0
    ok: int = 0
    failed: int = 0
    cached: int = 0
    duplicates: int = 0
    model_calls: int = 0
    rate_limited: int = 0
    paused_s: float = 0.0
    interrupted: bool = False
    wall_s: float = 0.0
    facts_by_type: dict[str, int] = field(default_factory=dict)
    errors_by_kind: dict[str, int] = field(default_factory=dict)
    usage: Usage = field(default_factory=Usage)
    paths: dict[str, str] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        return 0 if self.failed == 0 else 1

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["out"] = str(self.out)
        d["usage"] = self.usage.model_dump()
        d["exit_code"] = self.exit_code
        return d


def _facts_by_type(result: Any) -> dict[str, int]:
    counts: dict[str, int] = {}
    for f in result.facts:
        counts[f.type] = counts.get(f.type, 0) + 1
    return counts


# --------------------------------------------------------------------------- the core


def _file_sha(path: Path) -> str | None:
    try:
        with open(path, "rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except OSError:
        return None


def _jsonl_keys(path: Path, text_field: str, id_field: str) -> list[tuple[str, str]] | None:
    """``(source, sha256)`` of every usable line, computed as :mod:`extractor.text.reading`
    does; None when any line needs the full reader (which then decides)."""
    try:
        data = path.read_bytes()
        content = data.decode("utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None
    from extractor.text.reading import jsonl_source

    out = []
    used: set[str] = set()
    for lineno, line in enumerate(content.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            return None
        if not isinstance(rec, dict) or not isinstance(rec.get(text_field), str) or not rec[text_field].strip():
            return None
        source = jsonl_source(path, rec.get(id_field), lineno, used)
        out.append((source, hashlib.sha256(rec[text_field].encode("utf-8", "surrogatepass")).hexdigest()))
    return out


def _file_key(path: str | os.PathLike) -> str:
    """A file's key in the store's ``sources`` table: absolute and normalised, so that
    ``in/a.txt`` and ``/work/in/a.txt`` are the same file."""
    return os.path.normpath(os.path.abspath(os.fspath(path)))


def _doc_json(doc: Any) -> str:
    return json.dumps(
        {
            "source": doc.source, "sha256": doc.sha256, "encoding": doc.encoding, "format": doc.format,
            "language": doc.language, "title": doc.title, "published": doc.published, "outlet": doc.outlet,
            "author": getattr(doc, "author", None), "chars": len(doc.text), "warnings": list(doc.warnings),
        },
        ensure_ascii=False,
    )


class _Abort(Exception):
    """Raised inside the run when every further article would fail the same way."""

    def __init__(self, error: ConfigurationError):
        super().__init__(str(error))
        self.error = error


def _fatal_model_error(exc: ModelCallError) -> bool:
    text = exc.last_error or ""
    return exc.kind == "transport" and (text.startswith("cannot reach") or text.startswith("authentication failed"))


def _batch_extractor(extractor: Any, limiter: RateLimiter, transport: httpx2.AsyncBaseTransport | None,
                     concurrency: int) -> Any:
    """A twin of ``extractor`` whose async OpenAI client sends through the limiter."""
    import openai

    settings = extractor.settings
    user_client = extractor.async_client_override
    if transport is None and user_client is not None:
        inner = getattr(getattr(user_client, "_client", None), "_transport", None)
        if inner is None:
            logger.warning("cannot wrap the given async client's transport; rate limiting is off for this run")
            return extractor
        http = httpx2.AsyncClient(transport=RateLimitedTransport(inner, limiter), timeout=settings.timeout_s)
        client = user_client.copy(http_client=http, max_retries=0)
    else:
        if transport is None:
            limits = httpx2.Limits(max_connections=max(100, concurrency * 2),
                                   max_keepalive_connections=max(20, concurrency * 2))
            transport = httpx2.AsyncHTTPTransport(limits=limits)
        http = httpx2.AsyncClient(transport=RateLimitedTransport(transport, limiter), timeout=settings.timeout_s)
        client = openai.AsyncOpenAI(
            api_key=settings.resolved_api_key(), base_url=settings.resolved_base_url(),
            timeout=settings.timeout_s, max_retries=0, http_client=http,
        )
    return type(extractor)(settings, schema=extractor.schema, async_client=client)


async def iter_results(
    extractor: Any,
    inputs: Iterable[str | os.PathLike],
    *,
    out: str | os.PathLike,
    concurrency: int = 8,
    rpm: int | None = None,
    tpm: int | None = None,
    retry_errors: bool = True,
    limiter: RateLimiter | None = None,
    transport: httpx2.AsyncBaseTransport | None = None,
    stop: asyncio.Event | None = None,
    text_field: str = "text",
    id_field: str = "id",
    argv: list[str] | None = None,
    summary: RunSummary | None = None,
) -> AsyncIterator[ArticleRecord]:
    """Extract every article under ``inputs``, yielding one :class:`ArticleRecord` each.

    Records are written to ``out/extractor.sqlite`` before they are yielded. Articles
    already done under the same schema, prompt and model are yielded as ``cached``
    without a model call (and earlier errors too when ``retry_errors`` is False).
    At most ``concurrency`` model requests are in flight at once (a few more articles
    are being read or grounded meanwhile); ``rpm``/``tpm`` (or a shared
    ``limiter``) bound the request and token rates. ``transport`` replaces the HTTP
    transport (tests, benchmarks). Setting ``stop`` ends the run early: in-flight
    articles are abandoned (a re-run does them) and the generator returns.

    Raises :class:`ConfigurationError` before any work when the settings cannot work
    (no key, no model), or when the first model calls show that none can succeed
    (endpoint unreachable, key rejected).
    """
    if concurrency < 1:
        raise ConfigurationError(f"concurrency must be at least 1, got {concurrency}")
    settings = extractor.settings
    settings.resolved_api_key()
    settings.resolved_model()
    limiter = limiter or RateLimiter(rpm, tpm, backoff_initial_s=settings.backoff_initial_s,
                                     backoff_max_s=settings.backoff_max_s, max_pause_s=settings.max_retry_after_s,
                                     max_in_flight=concurrency)
    # More articles than request slots are worked on, so that reading, cleaning and
    # grounding (CPU) overlap with other articles' model calls instead of idling a slot;
    # the limiter keeps requests in flight at ``concurrency``.
    workers = concurrency + max(2, concurrency // 2)
    identity = Identity.of(extractor)
    worker_ex = _batch_extractor(extractor, limiter, transport, concurrency)
    inputs = [os.fspath(i) for i in inputs]
    files, discovery_errors = await asyncio.to_thread(discover_inputs, inputs)
    store = Store(Path(out))
    run_id = store.start_run(settings=settings, identity=identity, inputs=inputs, argv=argv)
    # Discovery errors (a missing path, a glob that matched nothing) belong to a command
    # line, not to an article: the exports show those of the latest run only.
    store.clear_discovery_errors()
    if summary is None:
        summary = RunSummary(run_id=run_id, out=Path(out))
    summary.run_id = run_id
    calls_before = limiter.requests

    work: asyncio.Queue = asyncio.Queue(maxsize=workers * 2)
    results: asyncio.Queue = asyncio.Queue()
    stop = stop or asyncio.Event()
    in_flight: dict[str, str] = {}  # sha256 -> source, to extract identical content once
    seen: dict[str, str] = {}
    done_files: list[str] = []  # files read to the end: their sources not seen this run are stale
    state = {"ok": 0}
    DONE = object()

    def cached_record(sha: str, source: str | None, status: str, file: str | None = None,
                      duplicate_of: str | None = None) -> ArticleRecord:
        """A record already in the store: point the source at it (this run's content and
        identity) and report it without a model call."""
        if source is not None and store.status_of(sha, identity) is not None:
            store.put_source(source, sha, identity, run_id=run_id, file=file, duplicate_of=duplicate_of)
        err = None
        if status == "error":
            row = store.conn.execute(
                "SELECT error, error_kind FROM records WHERE sha256=? AND schema_name=? AND schema_version=?"
                " AND prompt_name=? AND prompt_version=? AND model=?", (sha, *identity.as_tuple())).fetchone()
            err = row or (None, None)
        return ArticleRecord(source=source, sha256=sha, status=status, cached=True, duplicate_of=duplicate_of,
                             error=err[0] if err else None, error_kind=err[1] if err else None)

    def skip_status(sha: str) -> str | None:
        status = store.status_of(sha, identity)
        if status == "ok" or (status == "error" and not retry_errors):
            return status
        return None

    def input_error(exc: InputError, file: str | None = None) -> ArticleRecord:
        source = str(exc.source) if exc.source is not None else None
        key = input_error_key(source or str(exc))
        store.put(sha256=key, identity=identity, source=source, status="error", run_id=run_id,
                  error=str(exc), error_kind="input", file=file, scope="article" if file else "discovery")
        return ArticleRecord(source=source, sha256=None, status="error", error=str(exc), error_kind="input")

    def cached_or_copy(sha: str, source: str, status: str, file: str) -> ArticleRecord:
        original = in_flight.get(sha) or seen.get(sha)
        rec = cached_record(sha, source, status, file, duplicate_of=original)
        seen.setdefault(sha, source)
        return rec

    async def produce() -> None:
        for exc in discovery_errors:
            await results.put(input_error(exc))
        for path in files:
            if stop.is_set():
                break
            fkey = _file_key(path)
            is_jsonl = path.suffix.lower() == ".jsonl"
            # A cheap pre-check (hash only, no decoding, cleaning or language detection)
            # keeps a re-run of a finished batch fast.
            if is_jsonl:
                keys = await asyncio.to_thread(_jsonl_keys, path, text_field, id_field)
                if keys is not None and keys and all(skip_status(sha) for _, sha in keys):
                    for source, sha in keys:
                        await results.put(cached_or_copy(sha, source, store.status_of(sha, identity) or "ok", fkey))
                    done_files.append(fkey)
                    continue
            else:
                sha = await asyncio.to_thread(_file_sha, path)
                status = skip_status(sha) if sha else None
                if status and not (sha in in_flight):
                    await results.put(cached_or_copy(sha, str(path), status, fkey))
                    done_files.append(fkey)
                    continue
            from extractor.text.reading import iter_documents

            it = iter_documents(path, text_field=text_field, id_field=id_field)
            complete = True
            while True:
                if stop.is_set():
                    complete = False
                    break
                item = await asyncio.to_thread(next, it, None)
                if item is None:
                    break
                await work.put((item, fkey))
            if complete:
                done_files.append(fkey)

    async def process(entry: Any) -> ArticleRecord:
        item, fkey = entry
        if isinstance(item, InputError):
            return input_error(item, fkey)
        doc = item
        # A copy of content met before in this run is a duplicate (counted as one), even
        # when that content is already in the store.
        if doc.sha256 in in_flight or doc.sha256 in seen:
            original = in_flight.get(doc.sha256) or seen.get(doc.sha256)
            # Identical content is extracted once; wait for the first copy's record.
            while doc.sha256 in in_flight:
                await asyncio.sleep(0.05)
            status = store.status_of(doc.sha256, identity)
            if status is not None:
                return cached_record(doc.sha256, doc.source, status, fkey, duplicate_of=original)
            rec = cached_record(doc.sha256, doc.source, "error", fkey, duplicate_of=original)
            rec.error = rec.error or f"not extracted: its copy {original} was not finished"
            rec.error_kind = rec.error_kind or "internal"
            return rec
        status = skip_status(doc.sha256)
        if status:
            seen[doc.sha256] = doc.source
            return cached_record(doc.sha256, doc.source, status, fkey)
        in_flight[doc.sha256] = doc.source
        try:
            try:
                result = await worker_ex.aextract_document(doc)
            except ModelCallError as exc:
                if _fatal_model_error(exc) and state["ok"] == 0:
                    raise _Abort(ConfigurationError(exc.last_error)) from exc
                store.put(sha256=doc.sha256, identity=identity, source=doc.source, status="error", run_id=run_id,
                          error=str(exc), error_kind=exc.kind, document_json=_doc_json(doc), text=doc.text,
                          file=fkey)
                return ArticleRecord(doc.source, doc.sha256, "error", error=str(exc), error_kind=exc.kind)
            except ConfigurationError as exc:
                raise _Abort(exc) from exc
            except (asyncio.CancelledError, _Abort):
                raise
            except Exception as exc:  # one bad article never stops the run
                logger.debug("internal error on %s", doc.source, exc_info=True)
                kind = "input" if isinstance(exc, InputError) else "internal"
                msg = str(exc) if isinstance(exc, ExtractorError) else f"{type(exc).__name__}: {exc}"
                store.put(sha256=doc.sha256, identity=identity, source=doc.source, status="error", run_id=run_id,
                          error=msg, error_kind=kind, document_json=_doc_json(doc), text=doc.text, file=fkey)
                return ArticleRecord(doc.source, doc.sha256, "error", error=msg, error_kind=kind)
            state["ok"] += 1
            store.put(sha256=doc.sha256, identity=identity, source=doc.source, status="ok", run_id=run_id,
                      result_json=result.model_dump_json(), document_json=result.document.model_dump_json(),
                      text=doc.text, usage_json=result.usage.model_dump_json(), file=fkey)
            by_type = _facts_by_type(result)
            return ArticleRecord(doc.source, doc.sha256, "ok", facts=len(result.facts), facts_by_type=by_type,
                                 usage=result.usage, result=result)
        finally:
            in_flight.pop(doc.sha256, None)
            seen[doc.sha256] = doc.source

    async def worker() -> None:
        while True:
            item = await work.get()
            if item is DONE:
                return
            await results.put(await process(item))

    async def supervise() -> None:
        try:
            await produce()
        finally:
            for _ in range(workers):
                await work.put(DONE)

    async def run_all() -> None:
        try:
            await asyncio.gather(supervise(), *(worker() for _ in range(workers)))
        except BaseException as exc:
            if not isinstance(exc, asyncio.CancelledError):
                await results.put(exc)
            raise
        finally:
            await results.put(DONE)

    main = asyncio.create_task(run_all())
    stopper = asyncio.create_task(stop.wait())
    status = "failed"
    try:
        while True:
            getter = asyncio.create_task(results.get())
            done, _ = await asyncio.wait({getter, stopper}, return_when=asyncio.FIRST_COMPLETED)
            if getter not in done:
                getter.cancel()
                summary.interrupted = True
                # Records already finished and queued are stored: report them too.
                while True:
                    try:
                        rec = results.get_nowait()
                    except asyncio.QueueEmpty:
                        break
                    if isinstance(rec, ArticleRecord):
                        yield rec
                break
            rec = getter.result()
            if rec is DONE:
                break
            if isinstance(rec, _Abort):
                raise rec.error
            if isinstance(rec, BaseException):
                raise rec
            yield rec
        status = "interrupted" if summary.interrupted else "finished"
    finally:
        stopper.cancel()
        main.cancel()
        await asyncio.gather(main, stopper, return_exceptions=True)
        summary.model_calls = limiter.requests - calls_before
        summary.rate_limited = limiter.rate_limited
        summary.paused_s = round(limiter.paused_s, 3)
        if worker_ex is not extractor:
            try:
                await worker_ex.aclose()
            except Exception:  # closing must not hide the run's own outcome
                logger.debug("closing the batch client failed", exc_info=True)
        try:
            if status == "finished":
                try:
                    removed = store.prune_sources(run_id, done_files)
                    if removed:
                        logger.info("dropped %d stale source(s) of re-read files from the exports", removed)
                except Exception:  # pruning is tidying; it must not fail the run
                    logger.warning("could not drop stale sources from the store", exc_info=True)
            store.finish_run(run_id, status=status, counts=_counts(summary))
        finally:
            store.close()


def _counts(s: RunSummary) -> dict[str, Any]:
    return {
        "total": s.total, "ok": s.ok, "failed": s.failed, "cached": s.cached, "duplicates": s.duplicates,
        "model_calls": s.model_calls, "rate_limited": s.rate_limited, "interrupted": s.interrupted,
        "facts_by_type": s.facts_by_type, "errors_by_kind": s.errors_by_kind, "usage": s.usage.model_dump(),
    }


async def arun_batch(
    extractor: Any,
    inputs: Iterable[str | os.PathLike],
    *,
    out: str | os.PathLike,
    concurrency: int = 8,
    rpm: int | None = None,
    tpm: int | None = None,
    retry_errors: bool = True,
    on_progress: Callable[[Progress], None] | None = None,
    on_record: Callable[[ArticleRecord], None] | None = None,
    limiter: RateLimiter | None = None,
    transport: httpx2.AsyncBaseTransport | None = None,
    stop: asyncio.Event | None = None,
    export: bool = True,
    check_connection: bool | None = None,
    argv: list[str] | None = None,
) -> RunSummary:
    """Async :func:`run_batch`."""
    inputs = [os.fspath(i) for i in inputs]
    out = Path(out)
    started = time.monotonic()
    if check_connection is None:
        check_connection = transport is None and extractor.async_client_override is None
    extractor.settings.resolved_api_key()
    if check_connection:
        await asyncio.to_thread(check_endpoint, extractor.settings)
    files, errors = await asyncio.to_thread(discover_inputs, inputs)
    total = await asyncio.to_thread(_count_items, files) + len(errors)
    summary = RunSummary(run_id=0, out=out, total=total)
    progress = Progress(total=total)
    usage = Usage()
    try:
        async for rec in iter_results(extractor, inputs, out=out, concurrency=concurrency, rpm=rpm, tpm=tpm,
                                      retry_errors=retry_errors, limiter=limiter, transport=transport, stop=stop,
                                      argv=argv, summary=summary):
            progress.done += 1
            if rec.cached:
                progress.cached += 1
                summary.cached += 1
            if rec.duplicate_of:
                summary.duplicates += 1
            if rec.ok:
                progress.ok += 1
                summary.ok += 1
            else:
                progress.failed += 1
                summary.failed += 1
                kind = rec.error_kind or "unknown"
                summary.errors_by_kind[kind] = summary.errors_by_kind.get(kind, 0) + 1
            for t, n in rec.facts_by_type.items():
                summary.facts_by_type[t] = summary.facts_by_type.get(t, 0) + n
            if rec.usage is not None:
                usage = usage.add(rec.usage)
                summary.usage = usage
                progress.tokens = usage.total_tokens
                progress.cost_usd = usage.cost_usd or 0.0
            if progress.done > progress.total:
                progress.total = summary.total = progress.done
            if on_record is not None:
                on_record(rec)
            if on_progress is not None:
                on_progress(progress)
    finally:
        summary.wall_s = round(time.monotonic() - started, 3)
        if export:
            from extractor.outputs.export import export_all

            # Also after an interruption or an abort: the files show what is stored. An
            # export that fails is logged; it must not replace the run's own outcome.
            try:
                paths = await asyncio.to_thread(export_all, out, run=summary)
            except Exception as exc:
                logger.error("writing the exports of %s failed: %s: %s (the store is intact; "
                             "re-run the same command after fixing the cause: it makes no model calls for "
                             "finished articles and writes the exports again)", out, type(exc).__name__, exc)
                logger.debug("export failure", exc_info=True)
            else:
                summary.paths = {k: str(v) for k, v in paths.items()}
    return summary


def run_batch(
    extractor: Any,
    inputs: Iterable[str | os.PathLike],
    *,
    out: str | os.PathLike,
    concurrency: int = 8,
    rpm: int | None = None,
    tpm: int | None = None,
    retry_errors: bool = True,
    on_progress: Callable[[Progress], None] | None = None,
    on_record: Callable[[ArticleRecord], None] | None = None,
    limiter: RateLimiter | None = None,
    transport: httpx2.AsyncBaseTransport | None = None,
    export: bool = True,
    check_connection: bool | None = None,
    handle_sigint: bool = True,
    argv: list[str] | None = None,
) -> RunSummary:
    """Extract every article under ``inputs`` into ``out``; returns a :class:`RunSummary`.

    ``inputs`` are files, folders (searched recursively) and glob patterns; .txt, .md,
    .html, .htm and .jsonl (one article per line) are read, hidden files skipped.
    Results go to ``out/extractor.sqlite`` one article at a time; at the end (and
    after Ctrl-C) ``out/articles.jsonl``, ``out/tables/*.csv|.parquet`` and
    ``out/summary.json`` are regenerated from it. Running the same call again makes
    no model call for articles already done (failed ones are retried unless
    ``retry_errors=False``).

    ``on_progress`` gets a :class:`Progress` after each article and ``on_record`` the
    :class:`ArticleRecord`. With ``handle_sigint`` (main thread only) the first Ctrl-C
    stops the run cleanly — finished articles are kept and exported, the summary has
    ``interrupted=True`` — and a second Ctrl-C aborts at once.

    Raises :class:`ConfigurationError` (missing key or model, unreachable endpoint)
    before any article is processed.
    """

    async def main() -> RunSummary:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        installed = False
        if handle_sigint:
            def on_sigint() -> None:
                logger.warning("interrupted: finishing the records in hand and writing the outputs "
                               "(Ctrl-C again to abort at once)")
                stop.set()
                loop.remove_signal_handler(signal.SIGINT)
                signal.signal(signal.SIGINT, signal.default_int_handler)

            try:
                loop.add_signal_handler(signal.SIGINT, on_sigint)
                installed = True
            except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or Windows
                installed = False
        try:
            return await arun_batch(
                extractor, inputs, out=out, concurrency=concurrency, rpm=rpm, tpm=tpm, retry_errors=retry_errors,
                on_progress=on_progress, on_record=on_record, limiter=limiter, transport=transport, stop=stop,
                export=export, check_connection=check_connection, argv=argv,
            )
        finally:
            if installed:
                try:
                    loop.remove_signal_handler(signal.SIGINT)
                except (RuntimeError, ValueError):
                    pass

    return asyncio.run(main())


# --------------------------------------------------------------------------- dry run


@dataclass
class DryRunSummary:
    """What a run would send: articles, chunks, estimated prompt tokens and their cost."""

    articles: int = 0
    errors: int = 0
    chunks: int = 0
    prompt_tokens: int = 0
    input_cost_usd: float | None = None
    model: str = ""
    price_per_mtok: tuple[float, float] | None = None
    error_messages: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def estimate_batch(
    extractor: Any,
    inputs: Iterable[str | os.PathLike],
    *,
    on_progress: Callable[[int, int], None] | None = None,
    text_field: str = "text",
    id_field: str = "id",
) -> DryRunSummary:
    """Read, clean and chunk every article and count the prompt tokens; no model call,
    no API key needed. The cost covers input tokens only (the answer's length is not
    known before the call)."""
    from extractor.text.reading import iter_documents

    files, errors = discover_inputs(inputs)
    model = extractor.model_name
    out = DryRunSummary(model=model, errors=len(errors), error_messages=[str(e) for e in errors])
    total = _count_items(files)
    done = 0
    for path in files:
        for item in iter_documents(path, text_field=text_field, id_field=id_field):
            done += 1
            if isinstance(item, InputError):
                out.errors += 1
                out.error_messages.append(str(item))
            else:
                try:
                    prepared = extractor.prepare(item)
                except ExtractorError as exc:
                    out.errors += 1
                    out.error_messages.append(f"{item.source}: {exc}")
                    continue
                out.articles += 1
                out.chunks += len(prepared.chunks)
                out.prompt_tokens += prepared.prompt_tokens
            if on_progress is not None:
                on_progress(done, total)
    try:
        price = extractor.settings.profile().price_for(model)
    except ExtractorError:
        price = None
    if price is not None:
        out.price_per_mtok = (price.input_per_mtok, price.output_per_mtok)
        out.input_cost_usd = round(price.cost(out.prompt_tokens, 0), 6)
    return out
