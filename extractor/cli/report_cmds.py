"""``extractor report``: the HTML review page of a run."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

__all__ = ["register", "report_command"]


def report_command(
    out_dir: Annotated[Path, typer.Argument(help="Output folder of a run (holds articles.jsonl).", exists=True, file_okay=False)],
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="HTML file (default OUT_DIR/report.html).")] = None,
) -> None:
    """Write one self-contained HTML page with every fact highlighted in its article."""
    from extractor.outputs.report import write_report

    try:
        path = write_report(out_dir, path=output)
    except FileNotFoundError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(str(path))


def register(app: typer.Typer) -> None:
    """Add ``report`` to the CLI."""
    app.command("report")(report_command)
