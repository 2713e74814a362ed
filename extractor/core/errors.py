"""The library's own exceptions. Every message quotes the bad value or names the file."""

from __future__ import annotations

from typing import Any

# Error kinds a re-run may well fix: the network, a rate limit or a server error
# (transport), an answer that did not fit (validation, empty: models vary), our own
# (internal). The others fail the same way until something changes: the file (input)
# or the question (refusal).
RETRYABLE_KINDS = frozenset({"transport", "validation", "empty", "internal"})


def retryable(error_kind: str | None) -> bool:
    """Whether an article that failed with ``error_kind`` is worth running again as is.

    >>> retryable("transport"), retryable("input")
    (True, False)
    """
    return error_kind in RETRYABLE_KINDS


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
    (the answer never fitted the schema), ``"context"`` (the server refused a request that
    does not fit the model's context), ``"refusal"`` or ``"empty"``.
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


class StorageError(ExtractorError):
    """The output folder cannot hold what a run writes: the disk is full, a file-size
    limit is reached, the folder is read-only, or its store is damaged. ``path`` names
    the file or folder; the message says what was found and what to do."""

    def __init__(self, message: str, *, path: str | None = None):
        self.path = path
        super().__init__(message)


class StoreDamagedError(StorageError):
    """The store of an output folder is empty, truncated, not a database, or lost the
    writes of its last run, so reusing it as it is would pay again for answers already
    bought. Rebuild it (``--rebuild-store``) or choose a new output folder."""


class OutputBusyError(ExtractorError):
    """Another process is writing the same output folder (it holds ``OUT/.lock``).

    ``holder`` is what that process wrote into the lock file: pid, host, start time and
    command line, when it could be read.
    """

    def __init__(self, out: str, holder: dict[str, Any] | None):
        self.out = out
        self.holder = holder or {}
        h = self.holder
        if h:
            who = f"pid {h.get('pid', '?')} on {h.get('host', '?')}, started {h.get('started', '?')}"
            if h.get("command"):
                who += f": {h['command']}"
        else:
            who = "which one is unknown: its OUT/.lock, which names it, was removed or cannot be read"
        super().__init__(
            f"{out} is being written by another run ({who}). Wait for it to finish, pass wait=True to queue "
            "behind it, or choose another out= folder."
        )
