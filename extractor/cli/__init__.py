"""The ``extractor`` command line.

Commands live in sibling modules, each exposing ``register(app)``. Heavy imports
(openai, instructor, lingua) happen inside the commands, which keeps ``extractor --help``
fast.
"""

from __future__ import annotations

import importlib

import typer

__all__ = ["app", "main", "COMMAND_MODULES"]

COMMAND_MODULES = ["run_cmds", "eval_cmds", "report_cmds", "batchapi_cmds"]

app = typer.Typer(
    name="extractor",
    help="Validated, source-grounded structured facts from noisy multilingual news articles.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _register_all() -> None:
    for name in COMMAND_MODULES:
        importlib.import_module(f"{__name__}.{name}").register(app)


_register_all()


def main() -> None:
    """Entry point of the ``extractor`` script."""
    app()
