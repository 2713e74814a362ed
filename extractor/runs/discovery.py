"""Finding the articles of a run: files, folders (recursive) and glob patterns.

Also the cheap keys a re-run checks before decoding anything: a file's sha256, the
sha256 of each JSONL line's text, a file's normalised path.

>>> files, errors = discover_inputs(["no/such/folder"])
>>> files, [str(e) for e in errors]
([], ['no/such/folder: file not found'])
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from extractor.core.errors import InputError
from extractor.text.reading import jsonl_source

__all__ = ["SUPPORTED_SUFFIXES", "discover_inputs", "count_items", "file_sha", "jsonl_keys", "file_key"]

SUPPORTED_SUFFIXES = frozenset({".txt", ".md", ".html", ".htm", ".jsonl"})
_GLOB_CHARS = set("*?[")

def _is_hidden(name: str) -> bool:
    return name.startswith(".")


def _walk(root: Path, errors: list[InputError]) -> Iterator[Path]:
    """Supported files under ``root``, sorted, hidden entries skipped, symlink loops reported."""
    seen_dirs: set[tuple[int, int]] = set()

    def visit(d: Path) -> Iterator[Path]:
        try:
            st = d.stat()
        except OSError as exc:
            errors.append(InputError(str(d), f"cannot be read: {_oserror(exc)}"))
            return
        ident = (st.st_dev, st.st_ino)
        if ident in seen_dirs:
            errors.append(InputError(str(d), "is a symlink loop (a folder that contains itself); skipped"))
            return
        seen_dirs.add(ident)
        try:
            entries = sorted(os.scandir(d), key=lambda e: e.name)
        except OSError as exc:
            errors.append(InputError(str(d), f"folder cannot be listed: {_oserror(exc)}"))
            return
        for entry in entries:
            if _is_hidden(entry.name):
                continue
            path = Path(entry.path)
            try:
                is_dir = entry.is_dir()  # follows symlinks
                is_file = entry.is_file()
            except OSError as exc:  # ELOOP on a self-referencing symlink
                errors.append(InputError(str(path), f"cannot be read: {_oserror(exc)}"))
                continue
            if is_dir:
                yield from visit(path)
            elif is_file:
                if path.suffix.lower() in SUPPORTED_SUFFIXES:
                    yield path
            elif entry.is_symlink():
                errors.append(InputError(str(path), "is a broken or looping symlink"))

    yield from visit(root)


def _oserror(exc: OSError) -> str:
    return exc.strerror or str(exc)


def discover_inputs(inputs: Iterable[str | os.PathLike[str]]) -> tuple[list[Path], list[InputError]]:
    """Files to process from paths, folders (recursive) and glob patterns.

    Returns ``(files, errors)``: files in a stable order without repeats, and one
    :class:`InputError` per input that cannot be used (missing, unreadable, a symlink
    loop, an unsupported file named explicitly). Hidden files and folders are skipped
    when found by a folder walk or a glob. Supported: .txt .md .html .htm .jsonl.
    """
    files: list[Path] = []
    errors: list[InputError] = []
    seen: set[str] = set()

    def add(p: Path) -> None:
        key = os.path.normpath(os.path.abspath(p))
        if key not in seen:
            seen.add(key)
            files.append(p)

    for raw in inputs:
        text = os.fspath(raw)
        path = Path(text)
        if not path.exists() and not path.is_symlink() and _GLOB_CHARS & set(text):
            matches = sorted(glob.glob(text, recursive=True))
            if not matches:
                errors.append(InputError(text, "glob pattern matched no files"))
            for m in matches:
                mp = Path(m)
                if any(_is_hidden(part) for part in mp.parts if part not in (".", "..")):
                    continue
                if mp.is_dir():
                    for f in _walk(mp, errors):
                        add(f)
                elif mp.suffix.lower() in SUPPORTED_SUFFIXES:
                    add(mp)
            continue
        try:
            is_dir = path.is_dir()
            exists = path.exists()
        except OSError as exc:
            errors.append(InputError(text, f"cannot be read: {_oserror(exc)}"))
            continue
        if is_dir:
            for f in _walk(path, errors):
                add(f)
        elif exists:
            if path.suffix.lower() not in SUPPORTED_SUFFIXES:
                errors.append(InputError(text, f"unsupported file type {path.suffix or '(none)'!r}; "
                                               f"use {', '.join(sorted(SUPPORTED_SUFFIXES))}"))
            else:
                add(path)
        elif path.is_symlink():
            errors.append(InputError(text, "is a broken or looping symlink"))
        else:
            errors.append(InputError(text, "file not found"))
    # An error for the same source must not appear twice (a loop seen from two inputs).
    unique: dict[str, InputError] = {}
    for e in errors:
        unique.setdefault(str(e.source), e)
    return files, list(unique.values())


def count_items(files: list[Path]) -> int:
    """Articles expected: one per file, one per non-blank line of a .jsonl file."""
    n = 0
    for f in files:
        if f.suffix.lower() == ".jsonl":
            try:
                with open(f, "rb") as fh:
                    n += sum(1 for line in fh if line.strip())
            except OSError:
                n += 1
        else:
            n += 1
    return n


def file_sha(path: Path) -> str | None:
    try:
        with open(path, "rb") as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except OSError:
        return None


def jsonl_keys(path: Path, text_field: str, id_field: str) -> list[tuple[str, str]] | None:
    """``(source, sha256)`` of every usable line, computed as :mod:`extractor.text.reading`
    does; None when any line needs the full reader (which then decides)."""
    try:
        data = path.read_bytes()
        content = data.decode("utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None

    out = []
    used: set[str] = set()
    for lineno, line in enumerate(content.splitlines(), 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except (ValueError, RecursionError):  # not JSON, a digit string past Python's limit, too deep
            return None
        if not isinstance(rec, dict) or not isinstance(rec.get(text_field), str) or not rec[text_field].strip():
            return None
        source = jsonl_source(path, rec.get(id_field), lineno, used)
        out.append((source, hashlib.sha256(rec[text_field].encode("utf-8", "surrogatepass")).hexdigest()))
    return out


def file_key(path: str | os.PathLike[str]) -> str:
    """A file's key in the store's ``sources`` table: absolute and normalised, so that
    ``in/a.txt`` and ``/work/in/a.txt`` are the same file."""
    return os.path.normpath(os.path.abspath(os.fspath(path)))

