"""Commands ``run``, ``extract``, ``schemas`` and ``providers``.

Exit codes (:mod:`extractor.cli.common`): 0 every article ok; 1 the run finished but
some articles failed (or the one article of ``extract`` failed; for ``run --dry-run``:
some input cannot be used); 2 usage or configuration error (missing key, unreachable
endpoint, unknown schema, OUT busy with another run); 130 interrupted with Ctrl-C
(resumable).
"""

from __future__ import annotations

import json
import logging
import shlex
import sys
import time
from contextlib import ExitStack, nullcontext, redirect_stdout
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from extractor.cli.common import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    LOCAL_NOTE,
    BaseUrl,
    KeepUngrounded,
    Local,
    LocalModel,
    LogJson,
    MaxReasks,
    MaxTransport,
    Model,
    NoClean,
    Prompt,
    Provider,
    Schema,
    SettingsOptions,
    Timeout,
    Wait,
    check_out,
    enter_local,
    fail,
    money,
    setup_logging,
    wants_local,
)
from extractor.core.distribution import pip_install

logger = logging.getLogger("extractor.cli")

Engine = Annotated[str, typer.Option("--engine", help="asyncio (this process), ray (a Ray cluster; "
                                                        f"{pip_install('ray')}) or batchapi (the OpenAI Batch "
                                                        "API: submits, and the same command later collects).")]
RayAddress = Annotated[str | None, typer.Option("--ray-address", help="Ray cluster to join: 'auto' (run on a "
                                                   "node of it) or the head's HOST:PORT (default: start a local "
                                                   "Ray). Ray Client 'ray://' is refused: see the README, "
                                                   "'Beyond one machine'.")]


# run -------------------------------------------------------------------------------------

def run(
    inputs: Annotated[list[str], typer.Argument(help="Files, folders (recursive) or glob patterns.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder (SQLite store and exports).")],
    concurrency: Annotated[int, typer.Option("--concurrency", "-c", min=1, help="Model requests in flight, "
                                                                                 "run-wide.")] = 8,
    model: Model = None,
    base_url: BaseUrl = None,
    provider: Provider = None,
    schema: Schema = None,
    prompt: Prompt = None,
    rpm: Annotated[int | None, typer.Option("--rpm", min=1, help="Requests per minute, run-wide.")] = None,
    tpm: Annotated[int | None, typer.Option("--tpm", min=1, help="Tokens per minute, run-wide.")] = None,
    max_reasks: MaxReasks = None,
    max_transport_retries: MaxTransport = None,
    timeout: Timeout = None,
    no_clean: NoClean = False,
    keep_ungrounded: KeepUngrounded = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Read, clean, chunk and estimate tokens and cost; "
                                                             "no model call, no key needed.")] = False,
    mentions_only: Annotated[bool, typer.Option("--mentions-only", help="Find every number, amount, percentage "
                                                                         "and date (tables/mentions.csv); no model "
                                                                         "call, no key needed.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    log_json: LogJson = False,
    retry_errors: Annotated[bool, typer.Option("--retry-errors/--no-retry-errors",
                                               help="Extract again the articles that failed last time.")] = True,
    refresh: Annotated[bool, typer.Option("--refresh", help="Ask the model again even for articles already "
                                                            "done (new answers replace the stored ones).")] = False,
    wait: Wait = False,
    engine: Engine = "asyncio",
    ray_address: RayAddress = None,
    text_field: Annotated[str, typer.Option("--text-field", help="JSONL field holding the article text.")] = "text",
    id_field: Annotated[str, typer.Option("--id-field", help="JSONL field holding the article id.")] = "id",
    local: Local = None,
    local_model: LocalModel = None,
    batch_api: Annotated[bool, typer.Option("--batch-api", help="The same as --engine batchapi: submit to the "
                                                                "OpenAI Batch API (half price, answers within "
                                                                "24h); run the same command again (or "
                                                                "`extractor batch-collect OUT`) to collect.")] = False,
) -> None:
    """Extract facts from many articles into OUT (resumable: re-run the same command to continue)."""
    from extractor.core.errors import ExtractorError
    from extractor.core.options import RunOptions

    err = Console(stderr=True)
    setup_logging(log_json, err, quiet)
    try:
        settings = SettingsOptions(model=model, base_url=base_url, provider=provider, schema=schema, prompt=prompt,
                                   max_reasks=max_reasks, max_transport_retries=max_transport_retries,
                                   timeout=timeout, no_clean=no_clean, keep_ungrounded=keep_ungrounded).settings()
        if mentions_only:
            settings = settings.model_copy(update={"mentions_only": True})
        if dry_run:
            dry = _dry_run(settings, inputs, text_field=text_field, id_field=id_field, log_json=log_json, err=err)
            # As for a run: 1 when any input cannot be used.
            raise typer.Exit(EXIT_FAILED if dry.errors else EXIT_OK)
        check_out(out)
        options = RunOptions(out=out, concurrency=concurrency, rpm=rpm, tpm=tpm, retry_errors=retry_errors,
                             refresh=refresh, text_field=text_field, id_field=id_field, wait=wait,
                             engine="batchapi" if batch_api else engine, ray_address=ray_address,
                             check_connection=False, argv=tuple(sys.argv))
        with ExitStack() as stack:
            use_local = not mentions_only and wants_local(settings, local)
            if use_local:
                settings = enter_local(stack, settings, local_model)
                if options.concurrency > 1:
                    # llama.cpp's server answers one request at a time; more in flight only time out.
                    logger.warning("--local: concurrency lowered from %d to 1", options.concurrency)
                    options = options.but(concurrency=1)
            code = _run(settings, inputs, options, quiet=quiet, log_json=log_json, err=err, used_local=use_local)
    except typer.Exit:
        raise
    except ExtractorError as exc:
        raise fail(str(exc)) from None
    except OSError as exc:
        raise fail(f"{exc.filename or out}: {exc.strerror or exc}") from None
    raise typer.Exit(code)


def _dry_run(settings: Any, inputs: list[str], *, text_field: str, id_field: str, log_json: bool,
             err: Console) -> Any:
    from extractor.pipeline import Extractor  # one article at a time, no model: no openai import
    from extractor.runs.dryrun import estimate_batch

    summary = estimate_batch(Extractor(settings), inputs, text_field=text_field, id_field=id_field)
    if log_json:
        typer.echo(json.dumps({"dry_run": summary.to_dict()}, ensure_ascii=False))
        return summary
    table = Table(title="dry run (no model called)", show_header=False)
    table.add_row("model", summary.model)
    table.add_row("articles", str(summary.articles))
    table.add_row("unreadable inputs", str(summary.errors))
    table.add_row("chunks (model calls)", str(summary.chunks))
    table.add_row("estimated prompt tokens", f"{summary.prompt_tokens:,}")
    price = summary.price_per_mtok
    table.add_row("price $/Mtok in/out", f"{price[0]} / {price[1]}" if price else "unknown")
    table.add_row("estimated input cost", money(summary.input_cost_usd) + " (answers not included)")
    Console().print(table)
    for msg in summary.error_messages[:20]:
        err.print(f"  skipped: {msg}", markup=False, highlight=False)
    return summary


def _progress_bar(err: Console) -> Any:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    return Progress(
        TextColumn("[bold]extracting"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
        TextColumn("[red]{task.fields[failed]} failed"), TextColumn("{task.fields[rate]:.0f}/min"),
        TextColumn("{task.fields[tokens]:,} tok"), TextColumn("{task.fields[cost]}"), TimeElapsedColumn(),
        TextColumn("ETA"), TimeRemainingColumn(), console=err, transient=False,
    )


def _log_record(rec: Any) -> None:
    logger.info("article %s", rec.status, extra={"event": {
        "event": "article", "source": rec.source, "sha256": rec.sha256, "status": rec.status, "how": rec.how,
        "cached": rec.cached, "error": rec.error, "error_kind": rec.error_kind, "facts": rec.facts,
        "tokens": rec.usage.total_tokens if rec.usage else 0}})


def _run(settings: Any, inputs: list[str], options: Any, *, quiet: bool, log_json: bool, err: Console,
         used_local: bool) -> int:
    from extractor.api import Extractor
    from extractor.model.endpoint import check_configuration, check_endpoint

    # Before the progress bar, so that a configuration error is the only line printed.
    if not settings.mentions_only:
        check_configuration(settings)
    ex = Extractor(settings)
    if not settings.mentions_only:
        check_endpoint(settings)
    bar = _progress_bar(err) if not quiet and not log_json else None
    task = None
    if bar is not None:
        bar.start()
        task = bar.add_task("run", total=None, failed=0, rate=0.0, tokens=0, cost="$0")

    def on_progress(p: Any) -> None:
        if bar is not None:
            bar.update(task, completed=p.done, total=p.total, failed=p.failed, rate=p.per_minute,
                       tokens=p.tokens, cost=money(p.cost_usd))

    started = time.monotonic()
    # stdout carries our summary (or --log-json): Ray prints some of its messages there.
    quiet_stdout = redirect_stdout(sys.stderr) if options.engine == "ray" else nullcontext()
    try:
        with quiet_stdout:
            summary = ex.run(inputs, options=options.but(on_progress=on_progress,
                                                         on_record=_log_record if log_json else None))
    except KeyboardInterrupt:  # the second Ctrl-C: no summary, no exports; the store is intact
        err.print(f"aborted; the articles stored so far are kept. Resume with: {shlex.join(sys.argv)}",
                  markup=False, soft_wrap=True)
        return EXIT_INTERRUPTED
    finally:
        if bar is not None:
            bar.stop()
    _print_summary(summary, used_local=used_local, log_json=log_json, elapsed=time.monotonic() - started,
                   mentions_only=settings.mentions_only)
    if summary.interrupted:
        return EXIT_INTERRUPTED
    return summary.exit_code


def _print_summary(summary: Any, *, used_local: bool, log_json: bool, elapsed: float,
                   mentions_only: bool = False) -> None:
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
    if summary.model and not mentions_only:
        table.add_row("model", f"{summary.model} ({summary.provider}), chunks of {summary.chunk_tokens:,} tokens"
                      if summary.chunk_tokens else f"{summary.model} ({summary.provider})")
    table.add_row("articles", f"{summary.ok + summary.failed} of {summary.total}")
    table.add_row("ok", str(summary.ok))
    if summary.pending:
        table.add_row("waiting in a batch", f"{summary.pending} ({', '.join(summary.batches)})")
    table.add_row("failed", str(summary.failed) + (
        f" ({', '.join(f'{k}: {v}' for k, v in sorted(summary.errors_by_kind.items()))})"
        if summary.errors_by_kind else ""))
    table.add_row("mentions found (no model)" if mentions_only else "asked the model", str(summary.requested))
    table.add_row("re-derived (no call)", str(summary.rederived))
    table.add_row("already done (no call)", str(summary.reused))
    table.add_row("facts", ", ".join(f"{k}: {v}" for k, v in sorted(summary.facts_by_type.items())) or "0")
    if summary.language_unsupported:
        table.add_row("language unsupported", f"{summary.language_unsupported} (facts flagged language_unsupported)")
    table.add_row("model requests", f"{summary.model_calls} (re-asks {u.reasks}, transport retries "
                                    f"{u.transport_retries}, rate-limited {summary.rate_limited})")
    table.add_row("tokens", f"{u.total_tokens:,} (prompt {u.prompt_tokens:,}, answer {u.completion_tokens:,})")
    table.add_row("cost", money(u.cost_usd))
    table.add_row("wall time", f"{summary.wall_s:.1f}s")
    console.print(table)
    paths = summary.paths
    if paths:
        console.print("outputs:", markup=False)
        for key in ("articles", "tables", "summary", "store"):
            if key in paths:
                # soft_wrap: a path broken over two lines cannot be copied.
                console.print(f"  {key:9} {paths[key]}", markup=False, highlight=False, soft_wrap=True)
    if used_local:
        console.print(LOCAL_NOTE, markup=False, highlight=False)
    if summary.pending:
        batches = ", ".join(summary.batches)
        console.print(f"{summary.pending} article(s) wait in Batch API batch {batches}. Collect them by running "
                      f"the same command again (add --wait to wait for them), or with:\n  extractor batch-collect "
                      f"{shlex.quote(str(summary.out))}", soft_wrap=True, markup=False, highlight=False)
    if summary.interrupted:
        console.print(f"interrupted: finished articles are saved. Resume with:\n  {shlex.join(sys.argv)}",
                      soft_wrap=True, markup=False, highlight=False)
    elif summary.failed:
        articles = paths.get("articles", "articles.jsonl")
        if summary.kept_previous:
            message = (f"{summary.failed} article(s) failed; {summary.kept_previous} of them keep the answer stored "
                       f"before (shown in {articles}; the errors are in the log)")
        else:
            message = f"{summary.failed} article(s) failed: see 'error' in {articles}"
        console.print(f"{message}; re-run the same command to retry them.", soft_wrap=True, markup=False,
                      highlight=False)


# extract -----------------------------------------------------------------------------------

def extract(
    file: Annotated[Path, typer.Argument(help="One article file (.txt, .md, .html, .htm, one-line .jsonl), or - "
                                              "for the text on stdin.")],
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
    from extractor.core.errors import ConfigurationError, ExtractorError, InputError, ModelCallError

    setup_logging(log_json, Console(stderr=True))
    try:
        settings = SettingsOptions(model=model, base_url=base_url, provider=provider, schema=schema, prompt=prompt,
                                   max_reasks=max_reasks, max_transport_retries=max_transport_retries,
                                   timeout=timeout, no_clean=no_clean, keep_ungrounded=keep_ungrounded).settings()
        with ExitStack() as stack:
            use_local = wants_local(settings, local)
            if use_local:
                settings = enter_local(stack, settings, local_model)
            from extractor.api import Extractor
            from extractor.model.endpoint import check_configuration, check_endpoint

            check_configuration(settings)
            from_stdin = str(file) == "-"
            text = _stdin_text() if from_stdin else None
            if not from_stdin and not file.is_file():
                raise InputError(str(file), "no such file")
            check_endpoint(settings)
            with Extractor(settings) as ex:
                result = ex.extract(text, source="<stdin>") if text is not None else ex.extract_file(file)
    except ConfigurationError as exc:
        raise fail(str(exc)) from None
    except (InputError, ModelCallError) as exc:
        raise fail(str(exc), EXIT_FAILED) from None
    except ExtractorError as exc:
        raise fail(str(exc)) from None
    typer.echo(result.model_dump_json(indent=2))
    if use_local:
        typer.echo(LOCAL_NOTE, err=True)


def _stdin_text() -> str:
    """The article piped in (``extractor extract -``), decoded as a file would be."""
    from extractor.core.errors import InputError
    from extractor.text.reading import decode_bytes

    if sys.stdin is None or sys.stdin.isatty():
        raise InputError("<stdin>", "nothing piped in: give a file, or pipe the article, e.g. "
                                    "'cat article.txt | extractor extract -'")
    data = sys.stdin.buffer.read()
    if not data.strip():
        raise InputError("<stdin>", "is empty")
    text, _encoding, _warnings = decode_bytes(data, "<stdin>")
    return text


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
        raise fail(str(exc)) from None
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
