"""What every command shares: option types, exit codes, logging, settings from options, errors.

Exit codes, the same for every command (:data:`EXIT_CODES`), each meaning one thing:

* 0 — done, every article ok;
* 1 — finished, but some articles failed (the summary says which are worth retrying);
* 2 — usage or configuration error: a bad option, a missing key, an unknown schema or
  provider, an unreachable endpoint, an input path that does not exist, nothing to
  extract, OUT busy with another run. Checked before OUT is created: a mistaken command
  leaves nothing behind;
* 3 — storage or environment: the disk is full, a file-size limit, OUT read-only, the
  store damaged. One line says the cause (``--debug`` adds the traceback);
* 75 — a Batch API job has not ended yet (``batch-collect --no-wait``): try again later;
* 130 — interrupted with Ctrl-C (resumable: run the same command again).

Anything else is a bug (70, with the traceback under ``--debug``).
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from collections.abc import Iterable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from extractor.core.redact import RedactingFilter, redact, redact_argv, secrets_of

__all__ = ["EXIT_OK", "EXIT_FAILED", "EXIT_USAGE", "EXIT_STORAGE", "EXIT_NOT_READY", "EXIT_INTERRUPTED",
           "EXIT_INTERNAL", "EXIT_CODES", "EXIT_CODES_HELP", "LOCAL_NOTE", "SettingsOptions", "setup_logging", "fail",
           "with_flags", "money", "wants_local", "enter_local", "check_out", "shown_command", "run_secrets",
           "storage_exit"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_STORAGE, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
EXIT_NOT_READY = 75  # EX_TEMPFAIL: a Batch API job still running (3 before 0.3: 3 is now storage)
EXIT_INTERNAL = 70  # EX_SOFTWARE: a bug
EXIT_CODES = {
    EXIT_OK: "every article ok",
    EXIT_FAILED: "some articles failed (the summary says which are worth retrying)",
    EXIT_USAGE: "usage or configuration error, input path not found, nothing to extract, OUT busy (nothing created)",
    EXIT_STORAGE: "storage or environment: disk full, file-size limit, OUT read-only, store damaged",
    EXIT_NOT_READY: "a Batch API job has not ended yet",
    EXIT_INTERRUPTED: "interrupted (Ctrl-C); run the same command to resume",
}
EXIT_CODES_HELP = "Exit codes: " + "; ".join(f"{code} {what}" for code, what in EXIT_CODES.items()) + "."

LOCAL_NOTE = (
    "note: this run used the tiny embedded model (--local). It is there for trying the tool offline and "
    "for tests: its numbers are the readers' own, but it finds few of an article's facts and its labels "
    "(what a number counts) are mostly noise. Use a real model for real work; --mentions-only lists every "
    "number and date with no model."
)

logger = logging.getLogger("extractor.cli")

# Options shared by several commands -------------------------------------------------------
Model = Annotated[str | None, typer.Option("--model", "-m", help="Model name (default: the provider's).")]
BaseUrl = Annotated[str | None, typer.Option("--base-url", help="OpenAI-compatible endpoint URL.")]
Provider = Annotated[str | None, typer.Option("--provider", help="Provider profile (see `extractor providers`).")]
Schema = Annotated[str | None, typer.Option("--schema", help="Schema name, 'module:Class' or 'file.py:Class'.")]
Prompt = Annotated[str | None, typer.Option("--prompt", help="Prompt template name.")]
MaxReasks = Annotated[int | None, typer.Option("--max-reasks", min=0, help="Validation re-asks per call.")]
MaxTransport = Annotated[
    int | None, typer.Option("--max-transport-retries", min=0, help="Retries after 429/5xx/timeouts per request.")
]
Timeout = Annotated[float | None, typer.Option("--timeout", min=0.001, help="Seconds per model request.")]
NoClean = Annotated[bool, typer.Option("--no-clean", help="Do not remove boilerplate before extraction.")]
KeepUngrounded = Annotated[
    bool, typer.Option("--keep-ungrounded", help="Keep facts whose evidence is not in the article (flagged).")
]
Labels = Annotated[bool | None, typer.Option(
    "--labels/--no-labels", help="Numbers named by the ids of the mentions the readers found (default: for a "
                                 "schema that marks them, as the built-in one does); --no-labels: the model types "
                                 "values.")]
EvidenceMode = Annotated[str | None, typer.Option(
    "--evidence", help="quote (the model copies a verbatim quote) or sentence (it cites sentence ids; the "
                       "default with --labels).")]
Local = Annotated[
    bool | None,
    typer.Option("--local/--no-local", help="Run the tiny embedded model (default: when no key or URL is set "
                                            "and the [local] extra is installed)."),
]
LocalModel = Annotated[Path | None, typer.Option(
    "--local-model", help="Any GGUF model file for --local (default: the bundled SmolLM2-135M); its context size "
                          "is read from the file, chunks and answer budget measured with its tokenizer.")]
LogJson = Annotated[bool, typer.Option("--log-json", help="JSON-lines log on stderr.")]
Wait = Annotated[bool, typer.Option("--wait", help="If another run is writing OUT, wait for it instead of "
                                                   "exiting with code 2.")]


@dataclass(frozen=True, kw_only=True)
class SettingsOptions:
    """The command-line options that become :class:`~extractor.model.settings.Settings`."""

    model: str | None = None
    base_url: str | None = None
    provider: str | None = None
    schema: str | None = None
    prompt: str | None = None
    max_reasks: int | None = None
    max_transport_retries: int | None = None
    timeout: float | None = None
    no_clean: bool = False
    keep_ungrounded: bool = False
    labels: bool | None = None
    evidence: str | None = None
    max_article_tokens: int | None = None

    def settings(self) -> Any:
        """Settings from these options on top of ``EXTRACTOR_*`` and the provider profile."""
        from extractor.model.settings import Settings

        overrides: dict[str, Any] = {
            "model": self.model, "base_url": self.base_url, "provider": self.provider, "schema_ref": self.schema,
            "prompt": self.prompt, "max_reasks": self.max_reasks, "max_transport_retries": self.max_transport_retries,
            "timeout_s": self.timeout, "labels": self.labels, "evidence_mode": self.evidence,
            "max_article_tokens": self.max_article_tokens,
        }
        if self.no_clean:
            overrides["clean"] = False
        if self.keep_ungrounded:
            overrides["ungrounded"] = "flag"
        return Settings.from_env(**{k: v for k, v in overrides.items() if v is not None})


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {"ts": round(record.created, 3), "level": record.levelname.lower(),
                                "logger": record.name, "msg": record.getMessage()}
        extra = getattr(record, "event", None)
        if isinstance(extra, dict):
            data.update(extra)
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


def setup_logging(log_json: bool, console: Console, quiet: bool = False, secrets: Iterable[str] = ()) -> None:
    """One handler for the CLI's own log (rich or JSON lines on stderr), libraries quieted.

    Every line it prints is redacted (:func:`extractor.core.redact.redact`), with
    ``secrets`` (the run's key and URL password) on top of the generic rules.
    """
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_extractor_cli", False):
            root.removeHandler(h)
    if log_json:
        handler: logging.Handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(_JsonFormatter())
        level = logging.INFO
    else:
        from rich.logging import RichHandler

        handler = RichHandler(console=console, show_path=False, show_time=False, markup=False)
        level = logging.ERROR if quiet else logging.WARNING
    handler._extractor_cli = True  # type: ignore[attr-defined]
    handler.addFilter(RedactingFilter(secrets))
    if os.environ.get("EXTRACTOR_DEBUG"):
        level = logging.DEBUG
    handler.setLevel(level)
    root.addHandler(handler)
    root.setLevel(min(level, root.level) if root.level else level)
    # Libraries below us chat at INFO; keep the log about articles.
    for noisy in ("httpx", "httpx2", "openai", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # instructor logs every exhausted re-ask budget at ERROR; the same failure reaches
    # the user once, as the article's error record, so its copy is noise here.
    logging.getLogger("instructor").setLevel(logging.CRITICAL)


# The library's messages name its parameters (``base_url=``); a command line user needs
# the flags that set them, added to the message by :func:`with_flags`.
_FLAGS = {"base_url": "--base-url", "api_key": "EXTRACTOR_API_KEY", "model": "--model",
          "provider": "--provider, or --local for the embedded model", "wait": "--wait", "out": "--out",
          "engine": "--engine", "ray_address": "--ray-address", "timeout_s": "--timeout", "schema": "--schema",
          "prompt": "--prompt", "max_reasks": "--max-reasks", "max_transport_retries": "--max-transport-retries"}
_PARAMETER = re.compile(r"\b([a-z_]+)=")


def with_flags(message: str) -> str:
    """``message`` with the command line's flags for the library parameters it names.

    >>> with_flags("cannot reach http://gpu:8000/v1: check base_url= (or EXTRACTOR_BASE_URL)")
    'cannot reach http://gpu:8000/v1: check base_url= (or EXTRACTOR_BASE_URL) [command line: --base-url]'
    """
    flags = [_FLAGS[name] for name in dict.fromkeys(_PARAMETER.findall(message)) if name in _FLAGS]
    return f"{message} [command line: {'; '.join(flags)}]" if flags else message


def fail(message: str, code: int = EXIT_USAGE, secrets: Iterable[str] = ()) -> typer.Exit:
    """Print ``error: message`` on stderr, redacted, with the flags for the parameters it names;
    raise the returned Exit."""
    typer.echo(f"error: {with_flags(redact(message, secrets))}", err=True)
    return typer.Exit(code)


def storage_exit(exc: BaseException, secrets: Iterable[str] = (), where: Any = None) -> typer.Exit | None:
    """One line and exit 3 when ``exc`` is a storage failure (disk full, read-only, a
    damaged store...), with the traceback only under ``--debug``; None otherwise.
    ``where`` (the output folder) names the place when the error names none."""
    from extractor.store.failures import storage_error

    cause = storage_error(exc, str(where) if where is not None else None)
    if cause is None:
        return None
    if os.environ.get("EXTRACTOR_DEBUG"):
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
    return fail(str(cause), EXIT_STORAGE, secrets)


def run_secrets(settings: Any) -> tuple[str, ...]:
    """The credentials a command must never print: its API key and the base URL's password."""
    key = settings.api_key.get_secret_value() if getattr(settings, "api_key", None) is not None else None
    url = settings.base_url if getattr(settings, "base_url", None) else None
    return secrets_of(api_key=key, urls=[url, os.environ.get("EXTRACTOR_BASE_URL")])


def shown_command(argv: Iterable[str] | None = None, secrets: Iterable[str] = ()) -> tuple[str, bool]:
    """``(command line, redacted)``: the command as it may be printed (a resume hint) and
    whether credentials were removed from it (then the user must supply them again)."""
    import shlex

    raw = list(sys.argv if argv is None else argv)
    shown = redact_argv(raw, secrets)
    return shlex.join(shown), shown != raw


def money(v: float | None) -> str:
    if v is None:
        return "n/a"
    return f"${v:,.4f}" if v < 1 else f"${v:,.2f}"


def wants_local(settings: Any, local: bool | None) -> bool:
    """``--local`` as given; by default only when nothing points at a real endpoint
    (no key, no URL, a provider that needs a key) and the [local] extra is installed."""
    if local is not None:
        return local
    if settings.api_key is not None or settings.base_url is not None or not settings.profile().needs_api_key:
        return False
    from extractor.model.localserver import local_available

    return local_available()


def enter_local(stack: ExitStack, settings: Any, local_model: Path | None) -> Any:
    """Start the embedded server for the life of ``stack``; settings pointing at it."""
    # LocalServer itself says which pip command to run when the [local] extra is missing.
    from extractor.model.localserver import LocalServer, local_settings

    srv = stack.enter_context(LocalServer(model_path=str(local_model) if local_model else None))
    return local_settings(settings, srv)


def check_out(out: Path) -> None:
    """OUT must be a folder that can be created and written; checked without creating
    anything (the run creates it, once every other check passed). A file where the
    folder should be: exit 2. A read-only place: exit 3."""
    if out.exists() and not out.is_dir():
        raise fail(f"--out {out} is a file, not a folder; name a folder for the store and exports") from None
    existing = out
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if not existing.is_dir():
        raise fail(f"--out {out} cannot be created: {existing} is a file") from None
    if not os.access(existing, os.W_OK | os.X_OK):
        why = "is read-only" if _read_only_fs(existing) else "is not writable"
        what = "" if existing == out else f" ({existing} {why})"
        raise fail(f"--out {out} cannot be written{what or ': it ' + why}", EXIT_STORAGE) from None


def _read_only_fs(path: Path) -> bool:
    try:
        return bool(os.statvfs(path).f_flag & os.ST_RDONLY)
    except (OSError, AttributeError):  # pragma: no cover - no statvfs
        return False
