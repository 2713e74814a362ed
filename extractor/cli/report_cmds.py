"""``extractor report``: the HTML review page of a run."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from extractor.cli.common import EXIT_CODES_HELP, EXIT_STORAGE, Wait, fail, storage_exit

__all__ = ["register", "report_command"]


def report_command(
    out_dir: Annotated[Path, typer.Argument(help="Output folder of a run (holds articles.jsonl).", exists=True,
                                            file_okay=False)],
    output: Annotated[Path | None, typer.Option("--output", "-o",
                                                help="HTML file (default OUT_DIR/report.html).")] = None,
    wait: Wait = False,
) -> None:
    """Write one self-contained HTML page with every fact highlighted in its article.

    Only reads OUT_DIR (its articles.jsonl and summary.json): with --output outside it,
    a read-only OUT_DIR, or one another run is writing, works.
    """
    from extractor.core.errors import OutputBusyError, StorageError
    from extractor.outputs.report import write_report
    from extractor.store import OutputLock

    target = output or out_dir / "report.html"
    inside = _inside(target, out_dir)
    try:
        if inside:
            if not os.access(out_dir, os.W_OK | os.X_OK):
                raise fail(f"{out_dir} cannot be written (read-only): write the page elsewhere with --output FILE",
                           EXIT_STORAGE)
            # A page inside OUT is written by the one process that writes OUT.
            with OutputLock(out_dir, wait=wait):
                path = write_report(out_dir, path=output)
        else:
            # The exports are replaced whole, never written in place: reading needs no lock.
            path = write_report(out_dir, path=output)
    except typer.Exit:
        raise
    except FileNotFoundError as exc:
        raise fail(str(exc)) from None
    except OutputBusyError as exc:
        raise fail(str(exc)) from None
    except StorageError as exc:
        raise fail(str(exc), EXIT_STORAGE) from None
    except Exception as exc:
        stored = storage_exit(exc)
        if stored is not None:
            raise stored from None
        raise
    typer.echo(str(path))


def _inside(path: Path, folder: Path) -> bool:
    real, root = os.path.realpath(path), os.path.realpath(folder)
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def register(app: typer.Typer) -> None:
    """Add ``report`` to the CLI."""
    app.command("report", epilog=EXIT_CODES_HELP)(report_command)
