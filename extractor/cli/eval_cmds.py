"""``extractor eval`` and ``extractor eval-run``: score a run against gold annotations."""

from __future__ import annotations

import json
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated

import typer

__all__ = ["register", "eval_command", "eval_run_command"]


def _print_report(report, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(report.to_dict(), ensure_ascii=False, indent=2))
    else:
        from rich.console import Console

        Console().print(report)


def eval_command(
    predictions: Annotated[Path, typer.Argument(help="articles.jsonl of a run, or the run's output folder.",
                                                exists=True)],
    gold: Annotated[Path, typer.Argument(help="Folder of gold JSON files (see gold/README.md).", exists=True)],
    as_json: Annotated[bool, typer.Option("--json", help="Print the scores as JSON.")] = False,
    grounded_only: Annotated[bool, typer.Option("--grounded-only", help="Score only grounded facts.")] = False,
) -> None:
    """Score predictions against gold: precision, recall and F1 per fact type and language."""
    from extractor.cli.common import fail
    from extractor.core.errors import ExtractorError
    from extractor.outputs.evaluation import evaluate

    path = predictions / "articles.jsonl" if predictions.is_dir() else predictions
    if not path.exists():
        raise fail(f"{path} not found")
    try:
        report = evaluate(path, gold, grounded_only=grounded_only)
    except (ExtractorError, ValueError, OSError) as exc:  # a broken gold or predictions file: one line, exit 2
        raise fail(str(exc)) from None
    _print_report(report, as_json)


def eval_run_command(
    input_dir: Annotated[Path, typer.Argument(help="Folder of articles to extract.", exists=True, file_okay=False)],
    gold: Annotated[Path, typer.Argument(help="Folder of gold JSON files.", exists=True)],
    out: Annotated[Path, typer.Option("--out", "-o", help="Output folder of the run.")],
    model: Annotated[str | None, typer.Option("--model", "-m", help="Model name (default: the provider's).")] = None,
    base_url: Annotated[str | None, typer.Option("--base-url", help="OpenAI-compatible endpoint URL.")] = None,
    provider: Annotated[str | None, typer.Option("--provider", help="Provider profile.")] = None,
    local: Annotated[bool | None, typer.Option("--local/--no-local", help="Run the tiny embedded model.")] = None,
    local_model: Annotated[Path | None, typer.Option("--local-model", help="GGUF file for --local.")] = None,
    concurrency: Annotated[int, typer.Option("--concurrency", "-c", min=1, help="Model requests in flight, "
                                                                                 "run-wide.")] = 4,
    pattern: Annotated[str, typer.Option("--glob", help="Which files of INPUT_DIR are articles.")] = "*.txt",
    as_json: Annotated[bool, typer.Option("--json", help="Print the scores as JSON.")] = False,
    report: Annotated[bool, typer.Option("--report/--no-report", help="Also write OUT/report.html.")] = True,
) -> None:
    """Run the batch extraction on INPUT_DIR, then score it against GOLD.

    Exit codes as for ``run``: 0, 1 when some articles failed (the scores are printed
    all the same), 2 for a usage or configuration error, 130 when interrupted.
    """
    # The batch layer imports openai/instructor: only load it here.
    from extractor.api import Extractor
    from extractor.cli.common import (
        EXIT_FAILED,
        EXIT_INTERRUPTED,
        SettingsOptions,
        check_out,
        enter_local,
        fail,
        wants_local,
    )
    from extractor.core.errors import ExtractorError
    from extractor.core.options import RunOptions
    from extractor.model.endpoint import check_configuration
    from extractor.outputs.evaluation import evaluate, load_gold

    inputs = sorted(str(p) for p in input_dir.glob(pattern) if p.is_file())
    if not inputs:
        raise fail(f"no files matching {pattern!r} in {input_dir}")
    try:
        load_gold(gold)  # a broken gold file is found before the run is paid for
        settings = SettingsOptions(model=model, base_url=base_url, provider=provider).settings()
        with ExitStack() as stack:
            if wants_local(settings, local):
                settings = enter_local(stack, settings, local_model)
            # A configuration that cannot work is said before OUT is created.
            check_out(out)
            check_configuration(settings)
            with Extractor(settings) as ex:
                summary = ex.run(inputs, options=RunOptions(out=out, concurrency=concurrency))
        if summary.interrupted:
            raise typer.Exit(EXIT_INTERRUPTED)
        if report:
            from extractor.outputs.report import write_report

            typer.echo(f"report: {write_report(out)}", err=True)
        _print_report(evaluate(out / "articles.jsonl", gold), as_json)
    except (ExtractorError, ValueError, OSError) as exc:
        raise fail(str(exc)) from None
    if summary.failed:
        typer.echo(f"{summary.failed} article(s) failed: see 'error' in {out / 'articles.jsonl'}", err=True)
        raise typer.Exit(EXIT_FAILED)


def register(app: typer.Typer) -> None:
    """Add ``eval`` and ``eval-run`` to the CLI."""
    app.command("eval")(eval_command)
    app.command("eval-run")(eval_run_command)
