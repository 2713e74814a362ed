"""The library's own exceptions. Every message quotes the bad value or names the file."""

from __future__ import annotations

from typing import Any


class ExtractorError(Exception):
    """Base class of every error the library raises on purpose."""


class ConfigurationError(ExtractorError):
    """Settings are missing or contradict each other (no API key, unknown provider, ...)."""


class InputError(ExtractorError):
    """An input file or text cannot be used. ``source`` names it, ``problem`` says why."""

    def __init__(self, source: str | None, problem: str):
        self.source = source
        self.problem = problem
        where = f"{source}: " if source else ""
        super().__init__(f"{where}{problem}")


class SchemaNotFoundError(ExtractorError, LookupError):
    """A schema reference could not be resolved."""


class ModelCallError(ExtractorError):
    """The model could not produce a usable answer within the retry budgets.

    ``kind`` is ``"transport"`` (network, rate limit, server errors), ``"validation"``
    (the answer never fitted the schema), ``"refusal"`` or ``"empty"``.
    """

    def __init__(self, kind: str, *, attempts: int, last_error: str, model: str | None = None):
        self.kind = kind
        self.attempts = attempts
        self.last_error = last_error
        self.model = model
        on = f" from model {model!r}" if model else ""
        super().__init__(
            f"{kind} failure{on} after {attempts} attempt{'s' if attempts != 1 else ''}: {last_error}"
        )


class OutputBusyError(ExtractorError):
    """Another process is writing the same output folder (it holds ``OUT/.lock``).

    ``holder`` is what that process wrote into the lock file: pid, host, start time and
    command line, when it could be read.
    """

    def __init__(self, out: str, holder: dict[str, Any] | None):
        self.out = out
        self.holder = holder or {}
        h = self.holder
        who = f"pid {h.get('pid', '?')} on {h.get('host', '?')}, started {h.get('started', '?')}"
        if h.get("command"):
            who += f": {h['command']}"
        super().__init__(
            f"{out} is being written by another run ({who}). Wait for it to finish, pass wait=True to queue "
            "behind it, or choose another out= folder."
        )
