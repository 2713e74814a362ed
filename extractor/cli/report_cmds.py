"""``extractor report``: the HTML review page of a run."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from extractor.cli.common import Wait, fail

__all__ = ["register", "report_command"]


def report_command(
    out_dir: Annotated[Path, typer.Argument(help="Output folder of a run (holds articles.jsonl).", exists=True,
                                            file_okay=False)],
    output: Annotated[Path | None, typer.Option("--output", "-o",
                                                help="HTML file (default OUT_DIR/report.html).")] = None,
    wait: Wait = False,
) -> None:
    """Write one self-contained HTML page with every fact highlighted in its article."""
    from extractor.core.errors import OutputBusyError
    from extractor.outputs.report import write_report
    from extractor.store import OutputLock

    try:
        # The page goes into OUT, which one process writes at a time.
        with OutputLock(out_dir, wait=wait):
            path = write_report(out_dir, path=output)
    except FileNotFoundError as exc:
        raise fail(str(exc)) from None
    except OutputBusyError as exc:
        raise fail(str(exc)) from None
    typer.echo(str(path))


def register(app: typer.Typer) -> None:
    """Add ``report`` to the CLI."""
    app.command("report")(report_command)
