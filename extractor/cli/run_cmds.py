"""Commands ``run``, ``extract``, ``schemas`` and ``providers``.

Exit codes (:mod:`extractor.cli.common`): 0 every article ok; 1 the run finished but
some articles failed (or the one article of ``extract`` failed; for ``run --dry-run``:
some input cannot be used); 2 usage or configuration error (missing key, unreachable
endpoint, unknown schema, an input path that does not exist, nothing to extract, OUT
busy with another run), found before OUT is created; 3 storage or environment (disk
full, file-size limit, OUT read-only, a damaged store); 130 interrupted with Ctrl-C
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
    EXIT_CODES_HELP,
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_STORAGE,
    EXIT_USAGE,
    LOCAL_NOTE,
    BaseUrl,
    EvidenceMode,
    KeepUngrounded,
    Labels,
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
    run_secrets,
    setup_logging,
    shown_command,
    storage_exit,
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
MaxArticleTokens = Annotated[int | None, typer.Option(
    "--max-article-tokens", min=0, help="Most prompt tokens one article may send, all its chunks together "
                                        "(default 200,000; 0: no limit). A bigger article is refused before any "
                                        "call, as an input error.")]
FollowSymlinks = Annotated[bool, typer.Option(
    "--follow-symlinks", help="Read files that symlinks lead to outside the inputs named (by default such links "
                              "are skipped and listed in the summary).")]
RebuildStore = Annotated[bool, typer.Option(
    "--rebuild-store", help="OUT's store is damaged or gone: rebuild it from what is left of it and from the "
                            "exports (the damaged file is kept aside), then run; only articles no file records "
                            "are asked again.")]
SKIPPED_SHOWN = 10  # skipped paths listed at the end of a run (all are in summary.json)

Workers = Annotated[int | None, typer.Option("--workers", min=0, help="Processes for the articles' CPU work "
                                                 "(reading, cleaning, mentions, grounding) beside the one that "
                                                 "makes the requests; 0: none (default: one per core beyond the "
                                                 "first, none on 2 cores or fewer).")]


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
    labels: Labels = None,
    evidence: EvidenceMode = None,
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
    workers: Workers = None,
    text_field: Annotated[str, typer.Option("--text-field", help="JSONL field holding the article text.")] = "text",
    id_field: Annotated[str, typer.Option("--id-field", help="JSONL field holding the article id.")] = "id",
    local: Local = None,
    local_model: LocalModel = None,
    batch_api: Annotated[bool, typer.Option("--batch-api", help="The same as --engine batchapi: submit to the "
                                                                "OpenAI Batch API (half price, answers within "
                                                                "24h); run the same command again (or "
                                                                "`extractor batch-collect OUT`) to collect.")] = False,
    max_article_tokens: MaxArticleTokens = None,
    follow_symlinks: FollowSymlinks = False,
    rebuild_store: RebuildStore = False,
) -> None:
    """Extract facts from many articles into OUT (resumable: re-run the same command to continue).

    Reads nothing outside the inputs named: symlinks leading elsewhere, hidden files,
    other file types and pipes or devices are skipped and listed in the summary.
    """
    from extractor.core.errors import ExtractorError, StorageError
    from extractor.core.options import RunOptions

    err = Console(stderr=True)
    setup_logging(log_json, err, quiet)
    secrets: tuple[str, ...] = ()
    try:
        settings = SettingsOptions(model=model, base_url=base_url, provider=provider, schema=schema, prompt=prompt,
                                   max_reasks=max_reasks, max_transport_retries=max_transport_retries,
                                   timeout=timeout, no_clean=no_clean, keep_ungrounded=keep_ungrounded,
                                   labels=labels, evidence=evidence,
                                   max_article_tokens=max_article_tokens).settings()
        if mentions_only:
            settings = settings.model_copy(update={"mentions_only": True})
        secrets = run_secrets(settings)
        setup_logging(log_json, err, quiet, secrets)
        if dry_run:
            found = _discover(inputs, follow_symlinks)
            dry = _dry_run(settings, inputs, text_field=text_field, id_field=id_field, log_json=log_json, err=err,
                           follow_symlinks=follow_symlinks)
            _print_skipped(found.skipped, err)
            # As for a run: 1 when any input cannot be used.
            raise typer.Exit(EXIT_FAILED if dry.errors else EXIT_OK)
        options = RunOptions(out=out, concurrency=concurrency, rpm=rpm, tpm=tpm, retry_errors=retry_errors,
                             refresh=refresh, text_field=text_field, id_field=id_field, wait=wait,
                             engine="batchapi" if batch_api else engine, ray_address=ray_address,
                             check_connection=False, argv=tuple(sys.argv), follow_symlinks=follow_symlinks,
                             engine_options={} if workers is None else {"workers": workers})
        with ExitStack() as stack:
            use_local = not mentions_only and options.engine != "batchapi" and wants_local(settings, local)
            if use_local:
                settings = enter_local(stack, settings, local_model)
                if options.concurrency > 1:
                    # llama.cpp's server answers one request at a time; more in flight only time out.
                    logger.warning("--local: concurrency lowered from %d to 1", options.concurrency)
                    options = options.but(concurrency=1)
            # Everything that can be wrong with the command is found before OUT exists.
            ex = _preflight(settings, inputs, options, rebuild=rebuild_store)
            if rebuild_store:
                _rebuild(ex, options, err)
            code = _run(ex, inputs, options, quiet=quiet, log_json=log_json, err=err, used_local=use_local,
                        secrets=secrets)
    except typer.Exit:
        raise
    except StorageError as exc:
        raise fail(str(exc), EXIT_STORAGE, secrets) from None
    except ExtractorError as exc:
        raise fail(str(exc), EXIT_USAGE, secrets) from None
    except Exception as exc:
        stored = storage_exit(exc, secrets, where=out)
        if stored is not None:
            raise stored from None
        if isinstance(exc, OSError):
            raise fail(f"{exc.filename or out}: {exc.strerror or exc}", EXIT_USAGE, secrets) from None
        raise
    raise typer.Exit(code)


def _discover(inputs: list[str], follow_symlinks: bool) -> Any:
    """The inputs, found before anything is created: exit 2 when a path named does not
    exist (a glob matched nothing) or nothing is left to extract."""
    from extractor.runs.discovery import discover

    found = discover(inputs, follow_symlinks=follow_symlinks)
    if found.missing:
        raise fail("; ".join(str(e) for e in found.missing) + ". Nothing was done.")
    if not found.files and not found.errors:
        reasons = ", ".join(f"{n} {reason.replace('_', ' ')}" for reason, n in found.skipped_by_reason().items())
        raise fail(f"nothing to extract in {', '.join(inputs)}: no .txt, .md, .html, .htm or .jsonl file"
                   + (f" (skipped: {reasons}; see --follow-symlinks for links)" if reasons else "")
                   + ". Nothing was done.")
    return found


def _preflight(settings: Any, inputs: list[str], options: Any, *, rebuild: bool) -> Any:
    """Check the command before OUT is created; return the Extractor to run with.

    Order: the engine and its options; the output folder can be written; the
    configuration (key, model, schema); the inputs exist and hold something to extract;
    OUT's store is sound (unless it is to be rebuilt); the endpoint accepts connections.
    Each failure is one line: exit 2 (exit 3 for a read-only place or a damaged store).
    """
    from extractor.api import Extractor
    from extractor.model.endpoint import check_configuration, check_endpoint
    from extractor.runs.runner import check_engine
    from extractor.store import DB_NAME
    from extractor.store.integrity import check_store

    asks = not settings.mentions_only  # --mentions-only needs no key, model or endpoint
    check_engine(options)
    check_out(options.out)
    if asks:
        check_configuration(settings)
    ex = Extractor(settings)
    _discover(inputs, options.follow_symlinks)
    if not rebuild:
        check_store(options.out / DB_NAME, ray_recovers=options.engine == "ray")
    if asks:
        check_endpoint(settings)
    return ex


def _rebuild(ex: Any, options: Any, err: Console) -> None:
    """``--rebuild-store``: rebuild OUT's store under its lock, and import the Ray record set."""
    from extractor.outputs.rebuild import rebuild_store
    from extractor.store import OutputLock

    with OutputLock(options.out, wait=options.wait, command=list(options.argv or sys.argv)):
        report = rebuild_store(options.out)
        ray = options.out / "ray" / "records"
        if ray.is_dir():
            n = _import_ray_records(ex, options.out)
            if n:
                err.print(f"imported {n} record(s) from the Ray record set", markup=False, highlight=False)
    err.print(report.describe(), markup=False, highlight=False, soft_wrap=True)


def _import_ray_records(ex: Any, out: Path) -> int:
    """Records the Ray workers wrote that the rebuilt store lacks (what a Ray run recovers
    at its start, done here for every engine)."""
    import dataclasses

    from extractor.runs.engines.ray_records import document_from_meta, missing_rows, records_location
    from extractor.store import NewRecord, Store

    identity = ex.identity
    with Store(out) as store:
        rows = missing_rows(records_location(out), identity.request_key, store.done_keys(identity))
        for row in rows:
            meta = json.loads(row["document_json"] or "{}")
            doc = document_from_meta(row["text"] or "", {**meta, "sha256": row["sha256"], "source": row["source"]})
            ident = dataclasses.replace(identity, derive_key=row["derive_key"]) if row["derive_key"] else identity
            status = "ok" if row["status"] == "ok" else "error"
            if status == "error" and store.lookup(doc.sha256, identity) is not None:
                continue
            store.put(NewRecord(sha256=doc.sha256, identity=ident, source=row["source"], status=status, run_id=None,
                                error=row["error"], error_kind=row["error_kind"], answers_json=row["answers_json"],
                                result_json=row["result_json"], document_json=row["document_json"], text=doc.text,
                                usage_json=row["usage_json"], file=row["file"]))
    return len(rows)


def _dry_run(settings: Any, inputs: list[str], *, text_field: str, id_field: str, log_json: bool,
             err: Console, follow_symlinks: bool) -> Any:
    from extractor.pipeline import ArticlePipeline  # one article at a time, no model: no openai import
    from extractor.runs.dryrun import estimate_batch

    summary = estimate_batch(ArticlePipeline(settings), inputs, text_field=text_field, id_field=id_field,
                             follow_symlinks=follow_symlinks)
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
        err.print(f"  cannot be used: {msg}", markup=False, highlight=False)
    return summary


def _progress_bar(err: Console) -> Any:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    return Progress(
        TextColumn("[bold]extracting"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
        TextColumn("[red]{task.fields[failed]} failed"), TextColumn("{task.fields[rate]:.0f}/min"),
        TextColumn("{task.fields[tokens]:,} tok"), TextColumn("{task.fields[cost]}"), TimeElapsedColumn(),
        TextColumn("ETA"), TimeRemainingColumn(), console=err, transient=False,
    )


def _print_endpoint(info: dict[str, Any], *, log_json: bool, err: Console) -> None:
    """Which profile, model and chunk size this run uses, before anything is asked (no silent guess)."""
    if log_json:
        logger.info("endpoint", extra={"event": {"event": "endpoint", **info}})
        return
    err.print(f"provider {info['provider']}, model {info['model']}, {info['base_url']} ({info['mode']} mode), "
              f"chunks of up to {info['chunk_tokens']:,} tokens, {info['answer_form']}",
              markup=False, highlight=False, soft_wrap=True)


def _log_record(rec: Any) -> None:
    logger.info("article %s", rec.status, extra={"event": {
        "event": "article", "source": rec.source, "sha256": rec.sha256, "status": rec.status, "how": rec.how,
        "cached": rec.cached, "error": rec.error, "error_kind": rec.error_kind, "facts": rec.facts,
        "tokens": rec.usage.total_tokens if rec.usage else 0}})


def _run(ex: Any, inputs: list[str], options: Any, *, quiet: bool, log_json: bool, err: Console,
         used_local: bool, secrets: tuple[str, ...]) -> int:
    if not ex.settings.mentions_only and (log_json or not quiet):  # --quiet: errors only (summary.json says it)
        _print_endpoint(ex.pipeline.endpoint_info, log_json=log_json, err=err)
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
        err.print(f"aborted; the articles stored so far are kept. {_resume_hint(secrets)}", markup=False,
                  soft_wrap=True, highlight=False)
        return EXIT_INTERRUPTED
    finally:
        if bar is not None:
            bar.stop()
    _print_summary(summary, used_local=used_local, log_json=log_json, elapsed=time.monotonic() - started,
                   secrets=secrets, err=err, mentions_only=ex.settings.mentions_only)
    if summary.interrupted:
        return EXIT_INTERRUPTED
    return summary.exit_code


def _resume_hint(secrets: tuple[str, ...]) -> str:
    command, redacted = shown_command(secrets=secrets)
    hint = f"Resume with: {command}"
    if redacted:
        hint += " (credentials removed: give them again, e.g. in EXTRACTOR_BASE_URL / EXTRACTOR_API_KEY)"
    return hint


def _print_skipped(skipped: list[Any], err: Console) -> None:
    """What discovery passed over: counts by reason, then the first paths (all are in summary.json)."""
    if not skipped:
        return
    from extractor.runs.discovery import SKIP_REASONS

    counts: dict[str, int] = {}
    for s in skipped:
        counts[s.reason] = counts.get(s.reason, 0) + 1
    err.print(f"skipped {len(skipped)} path(s) that are not articles: "
              + ", ".join(f"{SKIP_REASONS.get(r, r).split(' (')[0]}: {n}" for r, n in sorted(counts.items())),
              markup=False, highlight=False, soft_wrap=True)
    for s in skipped[:SKIPPED_SHOWN]:
        err.print(f"  skipped: {s}", markup=False, highlight=False, soft_wrap=True)
    if len(skipped) > SKIPPED_SHOWN:
        err.print(f"  ... and {len(skipped) - SKIPPED_SHOWN} more (summary.json lists them all)", markup=False,
                  highlight=False)


def _print_summary(summary: Any, *, used_local: bool, log_json: bool, elapsed: float, secrets: tuple[str, ...],
                   err: Console, mentions_only: bool = False) -> None:
    if log_json:
        typer.echo(json.dumps({"summary": summary.to_dict(), "local_model": used_local}, ensure_ascii=False,
                              default=str))
        if summary.interrupted:
            typer.echo(f"interrupted; {_resume_hint(secrets)}", err=True)
        if summary.export_error:
            typer.echo(f"error: the outputs could not be written: {summary.export_error}", err=True)
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
    if summary.from_submitted:
        table.add_row("file gone or changed", f"{summary.from_submitted} (answered from the text submitted)")
    if summary.lost_answers:
        table.add_row("answers not stored", f"{len(summary.lost_answers)} (its file is gone; see the warnings)")
    table.add_row("failed", str(summary.failed) + (
        f" ({', '.join(f'{k}: {v}' for k, v in sorted(summary.errors_by_kind.items()))})"
        if summary.errors_by_kind else ""))
    if summary.skipped:
        table.add_row("skipped (not articles)", ", ".join(f"{k}: {v}" for k, v in summary.skipped_by_reason().items()))
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
    _print_skipped(summary.skipped, err)
    paths = summary.paths
    if paths:
        console.print("outputs:", markup=False)
        for key in ("articles", "tables", "summary", "store"):
            if key in paths:
                # soft_wrap: a path broken over two lines cannot be copied.
                console.print(f"  {key:9} {paths[key]}", markup=False, highlight=False, soft_wrap=True)
    if used_local:
        console.print(LOCAL_NOTE, markup=False, highlight=False)
    if summary.export_error:
        err.print(f"error: the outputs could not be written: {summary.export_error}. The store is intact: re-run "
                  "the same command once the cause is fixed (no model call for finished articles).",
                  markup=False, highlight=False, soft_wrap=True)
    if summary.pending:
        batches = ", ".join(summary.batches)
        console.print(f"{summary.pending} article(s) wait in Batch API batch {batches}. Collect them by running "
                      f"the same command again (add --wait to wait for them), or with:\n  extractor batch-collect "
                      f"{shlex.quote(str(summary.out))}", soft_wrap=True, markup=False, highlight=False)
    if summary.interrupted:
        console.print(f"interrupted: finished articles are saved. {_resume_hint(secrets)}",
                      soft_wrap=True, markup=False, highlight=False)
    elif summary.failed:
        console.print(_failed_advice(summary), soft_wrap=True, markup=False, highlight=False)


def _failed_advice(summary: Any) -> str:
    """Which failed articles a re-run may fix, and which need their file (or the question) changed."""
    from extractor.core.errors import retryable

    articles = summary.paths.get("articles", "articles.jsonl")
    parts = []
    again = {k: v for k, v in sorted(summary.errors_by_kind.items()) if retryable(k)}
    never = {k: v for k, v in sorted(summary.errors_by_kind.items()) if not retryable(k)}
    if again:
        kept = (f"; {summary.kept_previous} keep the answer stored before" if summary.kept_previous else "")
        parts.append(f"{sum(again.values())} article(s) failed in a way a re-run may fix "
                     f"({', '.join(f'{k}: {v}' for k, v in again.items())}){kept}: re-run the same command to retry "
                     "them")
    if never:
        parts.append(f"{sum(never.values())} will fail again until the file is fixed "
                     f"({', '.join(f'{k}: {v}' for k, v in never.items())}): see 'error' in {articles}")
    return "; ".join(parts) + "."


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
    labels: Labels = None,
    evidence: EvidenceMode = None,
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
                                   timeout=timeout, no_clean=no_clean, keep_ungrounded=keep_ungrounded,
                                   labels=labels, evidence=evidence).settings()
        with ExitStack() as stack:
            use_local = wants_local(settings, local)
            if use_local:
                settings = enter_local(stack, settings, local_model)
            from extractor.api import Extractor
            from extractor.model.endpoint import check_configuration, check_endpoint
            from extractor.text.reading import check_regular

            check_configuration(settings)
            from_stdin = str(file) == "-"
            text = _stdin_text() if from_stdin else None
            if not from_stdin:
                check_regular(file)  # a folder or a pipe is named as such, before any endpoint is asked
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
    app.command("run", epilog=EXIT_CODES_HELP)(run)
    app.command("extract", epilog=EXIT_CODES_HELP)(extract)
    app.command("schemas")(schemas)
    app.command("providers")(providers)
