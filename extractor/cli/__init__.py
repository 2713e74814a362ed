"""The ``extractor`` command line.

Commands live in sibling modules, each exposing ``register(app)``; a module that is
not installed (yet) is skipped, so the CLI works with whatever commands exist.
Heavy imports (openai, instructor, lingua) happen inside the commands, which keeps
``extractor --help`` fast.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging

import typer

__all__ = ["app", "main", "COMMAND_MODULES"]

COMMAND_MODULES = ["run_cmds", "eval_cmds", "report_cmds", "batchapi_cmds"]

app = typer.Typer(
    name="extractor",
    help="Validated, source-grounded structured facts from noisy multilingual news articles.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register_all() -> None:
    for name in COMMAND_MODULES:
        full = f"{__name__}.{name}"
        if importlib.util.find_spec(full) is None:
            continue
        module = importlib.import_module(full)
        register = getattr(module, "register", None)
        if callable(register):
            register(app)
        else:  # pragma: no cover - a module without register() is a programming error
            logging.getLogger(__name__).warning("%s has no register(app); its commands are not available", full)


_register_all()


def main() -> None:
    """Entry point of the ``extractor`` script."""
    app()
