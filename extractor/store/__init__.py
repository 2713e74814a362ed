"""The results store of an output folder: one SQLite file with all of the project's SQL,
its numbered migrations, and the lock that keeps one writer per folder."""

from __future__ import annotations

from extractor.store.lock import LOCK_NAME, OutputLock
from extractor.store.sqlite import (
    DB_NAME,
    SECRET_FIELDS,
    Identity,
    NewRecord,
    RecordState,
    Store,
    StoredRecord,
    input_error_key,
    redact_settings,
)

__all__ = ["DB_NAME", "SECRET_FIELDS", "LOCK_NAME", "Identity", "NewRecord", "OutputLock", "RecordState", "Store",
           "StoredRecord", "input_error_key", "redact_settings"]
