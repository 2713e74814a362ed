"""What every command shares: option types, exit codes, logging, settings from options, errors.

Exit codes, the same for every command: 0 done and every article ok; 1 finished but
some articles failed; 2 usage or configuration error (missing key, unreachable
endpoint, unknown schema, the output folder busy with another run); 3 a Batch API job
has not ended yet; 130 interrupted with Ctrl-C (resumable).
"""

from __future__ import annotations

import json
import logging
import re
import sys
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

__all__ = ["EXIT_OK", "EXIT_FAILED", "EXIT_USAGE", "EXIT_NOT_READY", "EXIT_INTERRUPTED", "LOCAL_NOTE",
           "SettingsOptions", "setup_logging", "fail", "with_flags", "money", "wants_local", "enter_local", "check_out"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_NOT_READY, EXIT_INTERRUPTED = 0, 1, 2, 3, 130

LOCAL_NOTE = (
    "note: this run used the tiny embedded model (--local). It is there for trying the tool offline and "
    "for tests: its facts are mostly wrong, and grounding drops most of them. Use a real model for real work."
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
Local = Annotated[
    bool | None,
    typer.Option("--local/--no-local", help="Run the tiny embedded model (default: when no key or URL is set "
                                            "and the [local] extra is installed)."),
]
LocalModel = Annotated[Path | None, typer.Option("--local-model", help="GGUF file for --local.")]
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

    def settings(self) -> Any:
        """Settings from these options on top of ``EXTRACTOR_*`` and the provider profile."""
        from extractor.model.settings import Settings

        overrides: dict[str, Any] = {
            "model": self.model, "base_url": self.base_url, "provider": self.provider, "schema_ref": self.schema,
            "prompt": self.prompt, "max_reasks": self.max_reasks, "max_transport_retries": self.max_transport_retries,
            "timeout_s": self.timeout,
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


def setup_logging(log_json: bool, console: Console, quiet: bool = False) -> None:
    """One handler for the CLI's own log (rich or JSON lines on stderr), libraries quieted."""
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


def fail(message: str, code: int = EXIT_USAGE) -> typer.Exit:
    """Print ``error: message`` on stderr (with the flags for the parameters it names); raise the returned Exit."""
    typer.echo(f"error: {with_flags(message)}", err=True)
    return typer.Exit(code)


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
    """OUT must be a folder that can be created and written: else one line, exit 2."""
    import os

    if out.exists() and not out.is_dir():
        raise fail(f"--out {out} is a file, not a folder; name a folder for the store and exports") from None
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise fail(f"--out {out} cannot be created: {exc.strerror or exc}") from None
    if not os.access(out, os.W_OK | os.X_OK):
        raise fail(f"--out {out} is not writable") from None
