"""The results store of an output folder: one SQLite file, all of the project's SQL."""

from __future__ import annotations

from extractor.store.sqlite import DB_NAME, SECRET_FIELDS, Identity, Store, StoredRecord, input_error_key, redact_settings

__all__ = ["redact_settings", "DB_NAME", "SECRET_FIELDS", "Identity", "Store", "StoredRecord", "input_error_key"]
