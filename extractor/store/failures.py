"""Which failures are the storage's, and how to say them in one line.

A full disk, a file-size limit, a read-only folder or a damaged store is not a failed
article and not a usage mistake: the command line reports it with its own exit code
(3) and one line that names the path and the cause. :func:`storage_error` finds such a
cause in an exception (or in what it was raised from) and returns it as a
:class:`~extractor.core.errors.StorageError`.

>>> import errno
>>> str(storage_error(OSError(errno.ENOSPC, "No space left on device", "out/summary.json")))
'out/summary.json: no space left on the device (free some space, or choose another --out)'
>>> storage_error(ValueError("not ours")) is None
True
"""

from __future__ import annotations

import errno
import os
import sqlite3

from extractor.core.errors import StorageError, StoreDamagedError

__all__ = ["storage_error", "STORAGE_ERRNOS"]

STORAGE_ERRNOS = {
    errno.ENOSPC: "no space left on the device (free some space, or choose another --out)",
    errno.EDQUOT: "disk quota exceeded (free some space, or choose another --out)",
    errno.EFBIG: "file too large: a file-size limit was reached (ulimit -f)",
    errno.EROFS: "read-only file system (choose another --out)",
    errno.EACCES: "permission denied",
    errno.EPERM: "operation not permitted",
    errno.EIO: "input/output error (a failing disk or a lost network mount)",
    errno.EMFILE: "too many open files (raise ulimit -n)",
    errno.ENFILE: "too many open files in the system",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
}
# SQLite reports the same causes in its own words.
_SQLITE = (
    ("database or disk is full", "no space left on the device (free some space, or choose another --out)"),
    ("readonly database", "the store cannot be written (a read-only folder or file)"),
    ("disk i/o error", "input/output error writing the store (a full disk, a file-size limit or a failing disk)"),
    ("unable to open database file", "the store cannot be opened (a missing or read-only folder)"),
)
_DAMAGE = ("malformed", "not a database", "disk image")


def _full(where: str) -> bool:
    try:
        st = os.statvfs(where)
    except OSError:
        return False
    return st.f_bavail * st.f_frsize < 256 * 1024


def _size_limited() -> bool:
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return False
    return resource.getrlimit(resource.RLIMIT_FSIZE)[0] != resource.RLIM_INFINITY


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen and len(seen) < 20:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def storage_error(exc: BaseException, where: str | None = None) -> StorageError | None:
    """The storage failure behind ``exc`` as one :class:`StorageError` line, or None.
    ``where`` (the output folder) names the place when the error itself names none."""
    for e in _chain(exc):
        if isinstance(e, StorageError):
            return e
        if isinstance(e, OSError) and e.errno in STORAGE_ERRNOS:
            place = e.filename if e.filename is not None else where
            prefix = f"{place}: " if place else ""
            return StorageError(f"{prefix}{STORAGE_ERRNOS[e.errno]}", path=str(place) if place else None)
        if isinstance(e, sqlite3.DatabaseError):
            text = str(e).lower()
            prefix = f"{where}: " if where else ""
            if any(w in text for w in _DAMAGE):
                return StoreDamagedError(f"{prefix}the store is damaged ({e}): rebuild it with --rebuild-store or "
                                         "choose a new --out", path=where)
            for words, cause in _SQLITE:
                if words in text:
                    if words == "disk i/o error" and where and _full(where):
                        cause = STORAGE_ERRNOS[errno.ENOSPC]  # SQLite's I/O error is the full disk it met
                    elif words == "disk i/o error" and _size_limited():
                        cause = STORAGE_ERRNOS[errno.EFBIG]
                    return StorageError(prefix + cause, path=where)
    return None
