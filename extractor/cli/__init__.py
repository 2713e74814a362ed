"""The ``extractor`` command line.

Commands live in sibling modules, each exposing ``register(app)``. Heavy imports
(openai, instructor, lingua) happen inside the commands, which keeps ``extractor --help``
fast. :func:`main` gives every command the same exit codes
(:data:`extractor.cli.common.EXIT_CODES`): whatever escapes a command is one redacted
line with the code of its kind, a traceback only under ``--debug``.
"""

from __future__ import annotations

import importlib
import os
import platform
import sys
from typing import Annotated

import typer

from extractor import __version__
from extractor.cli.common import (
    EXIT_CODES_HELP,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_STORAGE,
    EXIT_USAGE,
)
from extractor.core.distribution import DISTRIBUTION

__all__ = ["app", "main", "COMMAND_MODULES"]

COMMAND_MODULES = ["run_cmds", "eval_cmds", "report_cmds", "batchapi_cmds"]

app = typer.Typer(
    name="extractor",
    help="Validated, source-grounded structured facts from noisy multilingual news articles.\n\n" + EXIT_CODES_HELP,
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
    debug: Annotated[bool, typer.Option("--debug", help="Tracebacks and debug logs for errors (also "
                                                        "EXTRACTOR_DEBUG=1). Accepted anywhere on the line.")] = False,
) -> None:
    """The options of the command itself (the help text is the Typer app's)."""
    if debug:
        os.environ["EXTRACTOR_DEBUG"] = "1"


_register_all()


def main() -> None:
    """Entry point of the ``extractor`` script."""
    args = sys.argv[1:]
    if "--debug" in args[1:]:  # after the command, too: moved to where the app takes it
        args = ["--debug", *[a for a in args if a != "--debug"]]
    sys.exit(_run_app(args))


def _run_app(args: list[str]) -> int:
    from extractor.core.redact import redact

    debug = lambda: bool(os.environ.get("EXTRACTOR_DEBUG"))  # noqa: E731 - set by --debug while parsing
    try:
        result = app(args=args, prog_name="extractor", standalone_mode=False)
        return result if isinstance(result, int) else 0
    except typer.Exit as exc:
        return int(exc.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        typer.echo("interrupted", err=True)
        return EXIT_INTERRUPTED
    except Exception as exc:
        if _is_usage_error(exc):  # the parser's own errors: bad option, missing argument
            exc.show()  # type: ignore[attr-defined]
            return int(getattr(exc, "exit_code", 0) or EXIT_USAGE)
        from extractor.store.failures import storage_error

        if debug():
            import traceback

            traceback.print_exception(exc, file=sys.stderr)
        cause = storage_error(exc)
        if cause is not None:
            typer.echo(f"error: {redact(str(cause))}", err=True)
            return EXIT_STORAGE
        typer.echo(f"internal error: {type(exc).__name__}: {redact(str(exc))} (a bug: run again with --debug "
                   "for the traceback, and report it)", err=True)
        return EXIT_INTERNAL


def _is_usage_error(exc: BaseException) -> bool:
    """A click (or typer's own copy of click) exception, which shows itself."""
    return any(k.__name__ == "ClickException" for k in type(exc).__mro__) and hasattr(exc, "show")
