"""The ``extractor`` command line.

Commands live in sibling modules, each exposing ``register(app)``. Heavy imports
(openai, instructor, lingua) happen inside the commands, which keeps ``extractor --help``
fast.
"""

from __future__ import annotations

import importlib
import platform
from typing import Annotated

import typer

from extractor import __version__
from extractor.core.distribution import DISTRIBUTION

__all__ = ["app", "main", "COMMAND_MODULES"]

COMMAND_MODULES = ["run_cmds", "eval_cmds", "report_cmds", "batchapi_cmds"]

app = typer.Typer(
    name="extractor",
    help="Validated, source-grounded structured facts from noisy multilingual news articles.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Plain click help: Rich markup read "[local]" in a help text as a style tag and
    # dropped it, and Rich's option table cut long option names at 80 columns
    # ("--max-transpor…"). tests/test_packaging.py checks both at COLUMNS=80.
    rich_markup_mode=None,
)


def _register_all() -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(f"{__name__}.{name}").register(app)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"extractor {__version__} (pip package {DISTRIBUTION}, Python {platform.python_version()})")
        raise typer.Exit()


@app.callback()
def _options(
    version: Annotated[bool, typer.Option("--version", callback=_print_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """The options of the command itself (the help text is the Typer app's)."""


_register_all()


def main() -> None:
    """Entry point of the ``extractor`` script."""
    app()
