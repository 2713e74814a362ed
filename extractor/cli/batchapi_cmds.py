"""Commands ``batch-status`` and ``batch-collect`` for the OpenAI Batch API engine
(``extractor run ... --engine batchapi`` submits, and collects when run again; see
:mod:`extractor.runs.batchapi`).

Both read the settings the batch was submitted with from ``OUT/extractor.sqlite``
(the API key comes from the environment, as always), so no option needs repeating.

Exit codes: 0 done and every article ok; 1 some articles failed; 2 usage or
configuration error; 3 storage (disk full, OUT read-only, a damaged store); 75 the
batch has not ended yet (``--no-wait``; 3 before 0.3); 130 Ctrl-C while waiting (run
the same command again).
"""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from extractor.cli.common import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_NOT_READY,
    EXIT_OK,
    EXIT_STORAGE,
    LogJson,
    fail,
    money,
    setup_logging,
    shown_command,
)

OutArg = Annotated[Path, typer.Argument(help="The output folder the batch was submitted into.")]
BatchId = Annotated[str | None, typer.Option("--batch-id", help="Batch id (default: the latest one in OUT).")]


def submit_command(settings: Any, inputs: list[str], options: Any, *, log_json: bool) -> int:
    """v0.1's ``extractor run ... --batch-api`` step: submit only, and print how to collect."""
    from extractor.api import Extractor
    from extractor.runs.batchapi import submit

    with Extractor(settings) as ex:
        batch_id = submit(ex, inputs, options)
    collect_cmd = shlex.join(["extractor", "batch-collect", str(options.out)] +
                             (["--batch-id", batch_id] if batch_id else []))
    if log_json:
        typer.echo(json.dumps({"batch_id": batch_id, "collect": collect_cmd if batch_id else None}))
    elif batch_id is None:
        typer.echo("nothing new to submit: every article is done or already waiting in a batch")
    else:
        typer.echo(f"submitted batch {batch_id}; collect it with: {collect_cmd}")
    return EXIT_OK


def _extractor(out: Path, batch_id: str | None) -> Any:
    from extractor.api import Extractor
    from extractor.runs.batchapi import job_settings

    return Extractor(job_settings(out, batch_id))


def batch_status(out: OutArg, batch_id: BatchId = None, log_json: LogJson = False) -> None:
    """Show the status of a Batch API job submitted into OUT."""
    from extractor.core.errors import ExtractorError
    from extractor.runs.batchapi import poll

    setup_logging(log_json, Console(stderr=True))
    try:
        with _extractor(out, batch_id) as ex:
            st = poll(ex, out, batch_id)
    except ExtractorError as exc:
        raise fail(str(exc)) from None
    if log_json:
        typer.echo(json.dumps(st.to_dict()))
        return
    table = Table(title=f"batch {st.batch_id}", show_header=False)
    table.add_row("status", st.status + (" (collected)" if st.collected else ""))
    table.add_row("requests", f"{st.completed} done, {st.failed} failed, of {st.total}")
    Console().print(table)
    if st.ended and not st.collected:
        typer.echo(f"collect it with: extractor batch-collect {shlex.quote(str(out))} --batch-id {st.batch_id}")


def batch_collect(
    out: OutArg,
    batch_id: BatchId = None,
    wait: Annotated[bool, typer.Option("--wait/--no-wait", help="Poll until the batch has ended, and queue behind "
                                                                "another process writing OUT.")] = True,
    poll_interval: Annotated[float, typer.Option("--poll-interval", min=0, help="Seconds between polls.")] = 30.0,
    log_json: LogJson = False,
) -> None:
    """Download a finished Batch API job into OUT: one record per article, exports regenerated."""
    from extractor.core.errors import ExtractorError, StorageError
    from extractor.runs.batchapi import collect

    setup_logging(log_json, Console(stderr=True))
    try:
        with _extractor(out, batch_id) as ex:
            s = collect(ex, out, batch_id, wait=wait, poll_interval=poll_interval, argv=sys.argv)
    except KeyboardInterrupt:
        command, redacted = shown_command()
        typer.echo(f"interrupted; nothing lost. Resume with: {command}"
                   + (" (credentials removed: give them again)" if redacted else ""), err=True)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except StorageError as exc:
        raise fail(str(exc), EXIT_STORAGE) from None
    except ExtractorError as exc:
        raise fail(str(exc)) from None
    if log_json:
        typer.echo(json.dumps({"collect": s.to_dict()}, ensure_ascii=False, default=str))
    elif s.pending:
        typer.echo(f"batch {', '.join(s.batches)} has not ended: {s.pending} article(s) still waiting. Run this "
                   "again later, or with --wait.")
    else:
        table = Table(title="batch collected", show_header=False)
        table.add_row("articles", str(s.ok + s.failed))
        table.add_row("ok", str(s.ok))
        table.add_row("failed", str(s.failed) + (
            f" ({', '.join(f'{k}: {v}' for k, v in sorted(s.errors_by_kind.items()))})" if s.errors_by_kind else ""))
        table.add_row("collected before", str(s.reused))
        if s.from_submitted:
            table.add_row("file gone or changed", f"{s.from_submitted} (answered from the text submitted)")
        if s.lost_answers:
            table.add_row("answers not stored", f"{len(s.lost_answers)} (its file is gone; see the warnings)")
        table.add_row("facts", ", ".join(f"{k}: {v}" for k, v in sorted(s.facts_by_type.items())) or "0")
        u = s.usage
        table.add_row("tokens", f"{u.total_tokens:,} (prompt {u.prompt_tokens:,}, answer {u.completion_tokens:,})")
        table.add_row("cost (batch price)", money(u.cost_usd))
        Console().print(table)
        if s.paths.get("articles"):
            typer.echo(f"outputs: {s.paths['articles']}")
        if s.failed:
            typer.echo(f"{s.failed} article(s) failed: see 'error' in articles.jsonl; run again with "
                       "--engine batchapi to submit them again.")
    if s.interrupted:
        typer.echo(f"interrupted; nothing lost. Resume with: {shlex.join(sys.argv)}", err=True)
        raise typer.Exit(EXIT_INTERRUPTED)
    if s.pending:
        raise typer.Exit(EXIT_NOT_READY)
    raise typer.Exit(EXIT_FAILED if s.failed else EXIT_OK)


def register(app: typer.Typer) -> None:
    """Add ``batch-status`` and ``batch-collect`` to the CLI."""
    app.command("batch-status")(batch_status)
    app.command("batch-collect")(batch_collect)
