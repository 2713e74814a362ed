"""Commands ``run``, ``extract``, ``schemas`` and ``providers``.

Exit codes: 0 every article ok; 1 the run finished but some articles failed (or the
one article of ``extract`` failed; for ``run --dry-run``: some input cannot be used); 2 usage or configuration error (missing key,
unreachable endpoint, unknown schema); 130 interrupted with Ctrl-C (resumable).
"""

from __future__ import annotations

import json
import logging
import os
import shlex
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.table import Table

logger = logging.getLogger("extractor.cli")

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

LOCAL_NOTE = (
    "note: this run used the tiny embedded model (--local). It is there for trying the tool offline and "
    "for tests: its facts are mostly wrong, and grounding drops most of them. Use a real model for real work."
)

# Options shared by `run` and `extract` ---------------------------------------------------
Model = Annotated[Optional[str], typer.Option("--model", "-m", help="Model name (default: the provider's).")]
BaseUrl = Annotated[Optional[str], typer.Option("--base-url", help="OpenAI-compatible endpoint URL.")]
Provider = Annotated[Optional[str], typer.Option("--provider", help="Provider profile (see `extractor providers`).")]
Schema = Annotated[Optional[str], typer.Option("--schema", help="Schema name, 'module:Class' or 'file.py:Class'.")]
Prompt = Annotated[Optional[str], typer.Option("--prompt", help="Prompt template name.")]
MaxReasks = Annotated[Optional[int], typer.Option("--max-reasks", min=0, help="Validation re-asks per call.")]
MaxTransport = Annotated[
    Optional[int], typer.Option("--max-transport-retries", min=0, help="Retries after 429/5xx/timeouts per request.")
]
Timeout = Annotated[Optional[float], typer.Option("--timeout", min=0.001, help="Seconds per model request.")]
NoClean = Annotated[bool, typer.Option("--no-clean", help="Do not remove boilerplate before extraction.")]
KeepUngrounded = Annotated[
    bool, typer.Option("--keep-ungrounded", help="Keep facts whose evidence is not in the article (flagged).")
]
Local = Annotated[
    Optional[bool],
    typer.Option("--local/--no-local", help="Run the tiny embedded model (default: when no key or URL is set "
                                            "and the [local] extra is installed)."),
]
LocalModel = Annotated[Optional[Path], typer.Option("--local-model", help="GGUF file for --local.")]
LogJson = Annotated[bool, typer.Option("--log-json", help="JSON-lines log on stderr.")]


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "ts": round(record.created, 3),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        extra = getattr(record, "event", None)
        if isinstance(extra, dict):
            data.update(extra)
        if record.exc_info:
            data["exc"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False, default=str)


def _setup_logging(log_json: bool, console: Console, quiet: bool = False) -> None:
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


def _fail(message: str, code: int = EXIT_USAGE) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _settings(**opts: Any) -> Any:
    from extractor.model.settings import Settings

    overrides = {
        "model": opts.get("model"),
        "base_url": opts.get("base_url"),
        "provider": opts.get("provider"),
        "schema_ref": opts.get("schema"),
        "prompt": opts.get("prompt"),
        "max_reasks": opts.get("max_reasks"),
        "max_transport_retries": opts.get("max_transport_retries"),
        "timeout_s": opts.get("timeout"),
    }
    if opts.get("no_clean"):
        overrides["clean"] = False
    if opts.get("keep_ungrounded"):
        overrides["ungrounded"] = "flag"
    return Settings.from_env(**{k: v for k, v in overrides.items() if v is not None})


def _wants_local(settings: Any, local: bool | None) -> bool:
    if local is not None:
        return local
    # Only when nothing points at a real endpoint: no key, no URL, a provider that needs a key.
    if settings.api_key is not None or settings.base_url is not None or not settings.profile().needs_api_key:
        return False
    from extractor.model.localserver import local_available

    return local_available()


def _enter_local(stack: ExitStack, settings: Any, local_model: Path | None) -> Any:
    # LocalServer itself says which pip command to run when the [local] extra is missing.
    from extractor.model.localserver import LocalServer, local_settings

    srv = stack.enter_context(LocalServer(model_path=str(local_model) if local_model else None))
    return local_settings(settings, srv)


def _money(v: float | None) -> str:
    if v is None:
        return "n/a"
    return f"${v:,.4f}" if v < 1 else f"${v:,.2f}"


# run -------------------------------------------------------------------------------------

def run(
    inputs: Annotated[list[str], typer.Argument(help="Files, folders (recursive) or glob patterns.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder (SQLite store and exports).")],
    concurrency: Annotated[int, typer.Option("--concurrency", "-c", min=1, help="Articles in flight at once.")] = 8,
    model: Model = None,
    base_url: BaseUrl = None,
    provider: Provider = None,
    schema: Schema = None,
    prompt: Prompt = None,
    rpm: Annotated[Optional[int], typer.Option("--rpm", min=1, help="Requests per minute, run-wide.")] = None,
    tpm: Annotated[Optional[int], typer.Option("--tpm", min=1, help="Tokens per minute, run-wide.")] = None,
    max_reasks: MaxReasks = None,
    max_transport_retries: MaxTransport = None,
    timeout: Timeout = None,
    no_clean: NoClean = False,
    keep_ungrounded: KeepUngrounded = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Read, clean, chunk and estimate tokens and cost; "
                                                             "no model call, no key needed.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    log_json: LogJson = False,
    retry_errors: Annotated[bool, typer.Option("--retry-errors/--no-retry-errors",
                                               help="Extract again the articles that failed last time.")] = True,
    local: Local = None,
    local_model: LocalModel = None,
    # --- batch API (extractor/cli/batchapi_cmds.py) ---
    batch_api: Annotated[bool, typer.Option("--batch-api", help="Submit to the OpenAI Batch API (half price, "
                                                                "answers within 24h) and exit; collect with "
                                                                "`extractor batch-collect OUT`.")] = False,
    # --- end batch API ---
) -> None:
    """Extract facts from many articles into OUT (resumable: re-run the same command to continue)."""
    from extractor.core.errors import ConfigurationError, ExtractorError

    err = Console(stderr=True)
    _setup_logging(log_json, err, quiet)
    try:
        settings = _settings(model=model, base_url=base_url, provider=provider, schema=schema, prompt=prompt,
                             max_reasks=max_reasks, max_transport_retries=max_transport_retries, timeout=timeout,
                             no_clean=no_clean, keep_ungrounded=keep_ungrounded)
        if dry_run:
            dry = _dry_run(settings, inputs, quiet=quiet, log_json=log_json, err=err)
            # As for a run: 1 when any input cannot be used.
            raise typer.Exit(EXIT_FAILED if dry.errors else EXIT_OK)
        _check_out(out)
        # --- batch API (extractor/cli/batchapi_cmds.py) ---
        if batch_api:
            from extractor.cli.batchapi_cmds import submit_command

            raise typer.Exit(submit_command(settings, inputs, out=out, log_json=log_json))
        # --- end batch API ---
        with ExitStack() as stack:
            use_local = _wants_local(settings, local)
            if use_local:
                settings = _enter_local(stack, settings, local_model)
                if concurrency > 1:
                    # llama.cpp's server answers one request at a time; more in flight only time out.
                    logger.warning("--local: concurrency lowered from %d to 1", concurrency)
                    concurrency = 1
            code = _run(settings, inputs, out=out, concurrency=concurrency, rpm=rpm, tpm=tpm, quiet=quiet,
                        log_json=log_json, retry_errors=retry_errors, err=err, used_local=use_local)
    except typer.Exit:
        raise
    except ConfigurationError as exc:
        raise _fail(str(exc))
    except ExtractorError as exc:
        raise _fail(str(exc))
    except OSError as exc:
        raise _fail(f"{exc.filename or out}: {exc.strerror or exc}")
    raise typer.Exit(code)


def _check_out(out: Path) -> None:
    """OUT must be a folder that can be created and written: else one line, exit 2."""
    if out.exists() and not out.is_dir():
        raise _fail(f"--out {out} is a file, not a folder; name a folder for the store and exports")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _fail(f"--out {out} cannot be created: {exc.strerror or exc}")
    if not os.access(out, os.W_OK | os.X_OK):
        raise _fail(f"--out {out} is not writable")


def _dry_run(settings: Any, inputs: list[str], *, quiet: bool, log_json: bool, err: Console) -> Any:
    from extractor.runs.batch import estimate_batch
    from extractor.pipeline import Extractor

    ex = Extractor(settings)
    summary = estimate_batch(ex, inputs)
    if log_json:
        typer.echo(json.dumps({"dry_run": summary.to_dict()}, ensure_ascii=False))
        return summary
    out = Console()
    table = Table(title="dry run (no model called)", show_header=False)
    table.add_row("model", summary.model)
    table.add_row("articles", str(summary.articles))
    table.add_row("unreadable inputs", str(summary.errors))
    table.add_row("chunks (model calls)", str(summary.chunks))
    table.add_row("estimated prompt tokens", f"{summary.prompt_tokens:,}")
    price = summary.price_per_mtok
    table.add_row("price $/Mtok in/out", f"{price[0]} / {price[1]}" if price else "unknown")
    table.add_row("estimated input cost", _money(summary.input_cost_usd) + " (answers not included)")
    out.print(table)
    for msg in summary.error_messages[:20]:
        err.print(f"  skipped: {msg}", markup=False, highlight=False)
    return summary


def _run(settings: Any, inputs: list[str], *, out: Path, concurrency: int, rpm: int | None, tpm: int | None,
         quiet: bool, log_json: bool, retry_errors: bool, err: Console, used_local: bool) -> int:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    from extractor.runs.batch import run_batch
    from extractor.pipeline import Extractor

    from extractor.runs.batch import check_endpoint
    from extractor.model.client import check_configuration

    # Before the progress bar, so that a configuration error is the only line printed.
    check_configuration(settings)
    ex = Extractor(settings)
    check_endpoint(settings)
    bar = None
    task = None
    if not quiet and not log_json:
        bar = Progress(
            TextColumn("[bold]extracting"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TextColumn("[red]{task.fields[failed]} failed"),
            TextColumn("{task.fields[rate]:.0f}/min"),
            TextColumn("{task.fields[tokens]:,} tok"),
            TextColumn("{task.fields[cost]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=err,
            transient=False,
        )
        bar.start()
        task = bar.add_task("run", total=None, failed=0, rate=0.0, tokens=0, cost="$0")

    def on_progress(p: Any) -> None:
        if bar is not None:
            bar.update(task, completed=p.done, total=p.total, failed=p.failed, rate=p.per_minute,
                       tokens=p.tokens, cost=_money(p.cost_usd))

    def on_record(rec: Any) -> None:
        if log_json:
            logger.info("article %s", rec.status, extra={"event": {
                "event": "article", "source": rec.source, "sha256": rec.sha256, "status": rec.status,
                "cached": rec.cached, "error": rec.error, "error_kind": rec.error_kind, "facts": rec.facts,
                "tokens": rec.usage.total_tokens if rec.usage else 0}})

    started = time.monotonic()
    try:
        summary = run_batch(ex, inputs, out=out, concurrency=concurrency, rpm=rpm, tpm=tpm,
                            retry_errors=retry_errors, on_progress=on_progress, on_record=on_record,
                            argv=sys.argv, check_connection=False)
    finally:
        if bar is not None:
            bar.stop()
    _print_summary(summary, used_local=used_local, log_json=log_json, elapsed=time.monotonic() - started)
    if summary.interrupted:
        return EXIT_INTERRUPTED
    return summary.exit_code


def _print_summary(summary: Any, *, used_local: bool, log_json: bool, elapsed: float) -> None:
    if log_json:
        typer.echo(json.dumps({"summary": summary.to_dict(), "local_model": used_local}, ensure_ascii=False,
                              default=str))
        if summary.interrupted:
            typer.echo(f"interrupted; resume with: {shlex.join(sys.argv)}", err=True)
        return
    console = Console()
    u = summary.usage
    title = "run interrupted" if summary.interrupted else "run finished"
    table = Table(title=title, show_header=False)
    table.add_row("articles", f"{summary.ok + summary.failed} of {summary.total}")
    table.add_row("ok", str(summary.ok))
    table.add_row("failed", str(summary.failed) + (
        f" ({', '.join(f'{k}: {v}' for k, v in sorted(summary.errors_by_kind.items()))})"
        if summary.errors_by_kind else ""))
    table.add_row("already done (no call)", str(summary.cached))
    table.add_row("facts", ", ".join(f"{k}: {v}" for k, v in sorted(summary.facts_by_type.items())) or "0")
    table.add_row("model requests", f"{summary.model_calls} (re-asks {u.reasks}, transport retries "
                                    f"{u.transport_retries}, rate-limited {summary.rate_limited})")
    table.add_row("tokens", f"{u.total_tokens:,} (prompt {u.prompt_tokens:,}, answer {u.completion_tokens:,})")
    table.add_row("cost", _money(u.cost_usd))
    table.add_row("wall time", f"{summary.wall_s:.1f}s")
    console.print(table)
    paths = summary.paths
    if paths:
        console.print("outputs:", markup=False)
        for key in ("articles", "tables", "summary", "store"):
            if key in paths:
                console.print(f"  {key:9} {paths[key]}", markup=False, highlight=False)
    if used_local:
        console.print(LOCAL_NOTE, markup=False, highlight=False)
    if summary.interrupted:
        console.print(f"interrupted: finished articles are saved. Resume with:\n  {shlex.join(sys.argv)}",
                      markup=False, highlight=False)
    elif summary.failed:
        console.print(f"{summary.failed} article(s) failed: see 'error' in {paths.get('articles', 'articles.jsonl')}; "
                      "re-run the same command to retry them.", markup=False, highlight=False)


# extract -----------------------------------------------------------------------------------

def extract(
    file: Annotated[Path, typer.Argument(help="One article file (.txt, .md, .html, .htm, one-line .jsonl).")],
    model: Model = None,
    base_url: BaseUrl = None,
    provider: Provider = None,
    schema: Schema = None,
    prompt: Prompt = None,
    max_reasks: MaxReasks = None,
    max_transport_retries: MaxTransport = None,
    timeout: Timeout = None,
    no_clean: NoClean = False,
    keep_ungrounded: KeepUngrounded = False,
    log_json: LogJson = False,
    local: Local = None,
    local_model: LocalModel = None,
) -> None:
    """Extract one article and print its result as JSON on stdout."""
    from extractor.runs.batch import check_endpoint
    from extractor.core.errors import ConfigurationError, ExtractorError, InputError, ModelCallError

    _setup_logging(log_json, Console(stderr=True))
    try:
        settings = _settings(model=model, base_url=base_url, provider=provider, schema=schema, prompt=prompt,
                             max_reasks=max_reasks, max_transport_retries=max_transport_retries, timeout=timeout,
                             no_clean=no_clean, keep_ungrounded=keep_ungrounded)
        with ExitStack() as stack:
            use_local = _wants_local(settings, local)
            if use_local:
                settings = _enter_local(stack, settings, local_model)
            from extractor.model.client import check_configuration
            from extractor.pipeline import Extractor
            from extractor.text.reading import read_document

            check_configuration(settings)
            doc = read_document(file)
            check_endpoint(settings)
            ex = Extractor(settings)
            try:
                result = ex.extract_document(doc)
            finally:
                ex.close()
    except ConfigurationError as exc:
        raise _fail(str(exc))
    except (InputError, ModelCallError) as exc:
        raise _fail(str(exc), EXIT_FAILED)
    except ExtractorError as exc:
        raise _fail(str(exc))
    typer.echo(result.model_dump_json(indent=2))
    if use_local:
        typer.echo(LOCAL_NOTE, err=True)


# schemas, providers ------------------------------------------------------------------------

def schemas() -> None:
    """List the schemas: built-in and from installed plugins."""
    from extractor.model.registry import list_schemas

    table = Table("name", "version", "origin", "description")
    for s in list_schemas():
        table.add_row(s.name, s.version, s.origin, s.description)
    Console().print(table)


def providers() -> None:
    """List the provider profiles (built-in and from extractor.toml / providers.toml)."""
    from extractor.core.errors import ConfigurationError
    from extractor.model.providers import load_profiles

    try:
        profiles = load_profiles()
    except ConfigurationError as exc:
        raise _fail(str(exc))
    table = Table("name", "base_url", "mode", "strict json schema", "context", "default model", "price $/Mtok in/out")
    for p in profiles.values():
        price = p.price_for(p.default_model) if p.default_model else p.prices.get("*")
        table.add_row(
            p.name, p.base_url or "(set base_url)", p.mode, "yes" if p.strict_json_schema else "no",
            f"{p.context_tokens:,}", p.default_model or "(set model)",
            f"{price.input_per_mtok:g} / {price.output_per_mtok:g}" if price else "-",
        )
    Console().print(table)


def register(app: typer.Typer) -> None:
    """Add ``run``, ``extract``, ``schemas`` and ``providers`` to the CLI."""
    app.command("run")(run)
    app.command("extract")(extract)
    app.command("schemas")(schemas)
    app.command("providers")(providers)
