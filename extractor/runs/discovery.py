"""Finding the articles of a run: files, folders (recursive) and glob patterns.

Nothing outside what the user named is read. A symlink whose target lies outside the
named folders (and, for a glob, outside the folder the pattern starts in) is not
followed unless ``follow_symlinks`` is set; pipes, sockets and devices are never
opened. What a folder walk or a glob passes over is not lost in silence: each such
path is a :class:`Skipped` entry with its reason, reported in the run's summary.

Also the cheap keys a re-run checks before decoding anything: a file's sha256, the
sha256 of each JSONL line's text, a file's normalised path.

>>> files, errors = discover_inputs(["no/such/folder"])
>>> files, [str(e) for e in errors]
([], ['no/such/folder: file not found'])
"""

from __future__ import annotations

import errno
import glob
import hashlib
import json
import os
import stat
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from extractor.core.errors import InputError
from extractor.core.records import SKIP_REASONS, SUPPORTED_SUFFIXES, Skipped
from extractor.text.reading import file_kind, iter_documents, jsonl_lines, jsonl_source, open_regular

__all__ = ["SUPPORTED_SUFFIXES", "SKIP_REASONS", "Skipped", "Discovery", "discover", "discover_inputs", "count_items",
           "file_sha", "jsonl_keys", "file_key", "what_became_of"]

_GLOB_CHARS = set("*?[")

@dataclass
class Discovery:
    """What :func:`discover` found.

    ``files``: the articles' files, in a stable order, without repeats. ``missing``: a
    named path that does not exist or a glob that matched nothing (a mistaken command
    line). ``errors``: a named path that exists but cannot be an article (an
    unsupported type, a pipe or device, a link outside the input). ``skipped``: what a
    folder walk or a glob passed over. ``roots``: the folders reading is confined to.
    ``listed``: each file's ``(st_dev, st_ino)`` as found (by :func:`file_key`), so that
    reading refuses a file put in its place since (a link leading out of the roots).
    """

    files: list[Path] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    missing: list[InputError] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    roots: tuple[str, ...] = ()
    listed: dict[str, tuple[int, int]] = field(default_factory=dict)

    def listed_id(self, path: str | os.PathLike[str]) -> tuple[int, int] | None:
        """The ``(st_dev, st_ino)`` ``path`` had when it was found; None for a path not found here."""
        return self.listed.get(file_key(path))

    def skipped_by_reason(self) -> dict[str, int]:
        return dict(sorted(Counter(s.reason for s in self.skipped).items()))

    def to_dict(self) -> dict[str, Any]:
        return {"files": len(self.files), "missing": [str(e) for e in self.missing],
                "errors": [str(e) for e in self.errors], "skipped": [s.to_dict() for s in self.skipped],
                "skipped_by_reason": self.skipped_by_reason()}


def _is_hidden(name: str) -> bool:
    return name.startswith(".")


def _oserror(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _inside(path: str, roots: Iterable[str]) -> bool:
    return any(path == r or path.startswith(r.rstrip(os.sep) + os.sep) for r in roots)


def _glob_root(pattern: str) -> str:
    """The folder a glob pattern starts in: its longest leading part without glob characters."""
    head: list[str] = []
    for part in Path(pattern).parts:
        if _GLOB_CHARS & set(part):
            break
        head.append(part)
    return os.path.realpath(os.path.join(*head)) if head else os.path.realpath(".")


def _fixed_parts(pattern: str) -> tuple[str, ...]:
    """The parts of a glob pattern before its first one with glob characters."""
    parts = Path(pattern).parts
    n = next((i for i, part in enumerate(parts) if _GLOB_CHARS & set(part)), len(parts))
    return parts[:n]


def _matched_hidden(match: Path, fixed: tuple[str, ...]) -> bool:
    """Whether a glob match has a dot-name where the pattern matched: the folders the
    user wrote out (``.hid/news/*.txt``) were named on purpose and are not hidden from them."""
    parts = match.parts
    below = parts[len(fixed):] if parts[:len(fixed)] == fixed else parts
    return any(_is_hidden(part) for part in below if part not in (".", ".."))


class _Finder:
    """One discovery: the named roots, what was found, what was passed over."""

    def __init__(self, follow_symlinks: bool):
        self.follow = follow_symlinks
        self.found = Discovery()
        self.roots: list[str] = []
        self.seen: set[str] = set()
        self.walked: set[tuple[int, int]] = set()

    def add(self, p: Path, st: os.stat_result) -> None:
        key = file_key(p)
        if key not in self.seen:
            self.seen.add(key)
            self.found.files.append(p)
            self.found.listed[key] = (st.st_dev, st.st_ino)

    def skip(self, path: str, reason: str, detail: str = "") -> None:
        self.found.skipped.append(Skipped(path, reason, detail))

    # A path's target, confined to the roots ------------------------------------------
    def target(self, path: str, *, within: Iterable[str] = ()) -> tuple[str | None, str, str]:
        """``(real path, reason, detail)``: the real path when it may be read, else None
        with the reason (a :data:`SKIP_REASONS` code) and a detail."""
        try:
            real = os.path.realpath(path, strict=True)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                return None, "symlink_loop", ""
            if exc.errno == errno.ENOENT and os.path.islink(path):
                return None, "broken_symlink", f"-> {os.readlink(path)}"
            return None, "unreadable", _oserror(exc)
        if not self.follow and not _inside(real, (*self.roots, *within)):
            return None, "link_outside", f"-> {real}"
        return real, "", ""

    # Folder walks --------------------------------------------------------------------
    def walk(self, root: Path) -> None:
        """Supported files under ``root``, sorted; every other entry is a :class:`Skipped`."""
        try:
            st = os.stat(root)
        except OSError as exc:
            self.skip(str(root), "unreadable", _oserror(exc))
            return
        self._visit(root, (st.st_dev, st.st_ino), ())

    def _visit(self, d: Path, ident: tuple[int, int], ancestors: tuple[tuple[int, int], ...]) -> None:
        if ident in ancestors:
            self.skip(str(d), "symlink_loop", "a folder that contains itself")
            return
        if ident in self.walked:
            self.skip(str(d), "seen_folder")
            return
        self.walked.add(ident)
        try:
            entries = sorted(os.scandir(d), key=lambda e: e.name)
        except OSError as exc:
            self.skip(str(d), "unreadable", f"folder cannot be listed: {_oserror(exc)}")
            return
        for entry in entries:
            self._entry(Path(entry.path), entry.name, entry.is_symlink(), (*ancestors, ident))

    def _entry(self, path: Path, name: str, is_link: bool, ancestors: tuple[tuple[int, int], ...]) -> None:
        if _is_hidden(name):
            self.skip(str(path), "hidden")
            return
        if is_link:
            real, reason, detail = self.target(str(path))
            if real is None:
                self.skip(str(path), reason, detail)
                return
        try:
            st = os.stat(path)
        except OSError as exc:
            self.skip(str(path), "unreadable", _oserror(exc))
            return
        if stat.S_ISDIR(st.st_mode):
            self._visit(path, (st.st_dev, st.st_ino), ancestors)
        elif not stat.S_ISREG(st.st_mode):
            self.skip(str(path), "special_file", file_kind(st.st_mode) or "")
        elif path.suffix.lower() in SUPPORTED_SUFFIXES:
            self.add(path, st)
        else:
            self.skip(str(path), "unsupported_type", path.suffix or "(no extension)")

    # Named inputs --------------------------------------------------------------------
    def glob(self, text: str) -> None:
        matches = sorted(glob.glob(text, recursive=True))
        if not matches:
            self.found.missing.append(InputError(text, "glob pattern matched no files"))
            return
        fixed = _fixed_parts(text)
        for m in matches:
            mp = Path(m)
            if _matched_hidden(mp, fixed):
                self.skip(m, "hidden")
                continue
            # A match is read only when its real path stays in the pattern's own folder
            # (or another named one): a link among the matches, or a linked folder that
            # ``**`` went through, leads out of it.
            real, reason, detail = self.target(m)
            if real is None:
                self.skip(m, reason, detail)
                continue
            try:
                st = os.stat(mp)
            except OSError as exc:
                self.skip(m, "unreadable", _oserror(exc))
                continue
            if stat.S_ISDIR(st.st_mode):
                self._visit(mp, (st.st_dev, st.st_ino), ())
            else:
                self._entry(mp, "", False, ())

    def named(self, text: str) -> None:
        path = Path(text)
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            self.found.missing.append(InputError(text, "file not found"))
            return
        except OSError as exc:
            self.found.errors.append(InputError(text, f"cannot be read: {_oserror(exc)}"))
            return
        if stat.S_ISLNK(st.st_mode):
            real, reason, detail = self.target(text, within=(os.path.realpath(path.parent),))
            if real is None and reason == "link_outside":
                self.found.errors.append(InputError(text, f"is a symlink to {detail[3:]}, outside the folder it is "
                                                          "in and the folders named; name the file itself, or add "
                                                          "--follow-symlinks"))
                return
            if real is None:
                self.found.errors.append(InputError(text, f"is {SKIP_REASONS[reason]}" +
                                                    (f" ({detail})" if detail else "")))
                return
            try:
                st = os.stat(path)
            except OSError as exc:
                self.found.errors.append(InputError(text, f"cannot be read: {_oserror(exc)}"))
                return
        if stat.S_ISDIR(st.st_mode):
            self._visit(path, (st.st_dev, st.st_ino), ())
        elif not stat.S_ISREG(st.st_mode):
            self.found.errors.append(InputError(text, f"is {file_kind(st.st_mode)}, not a regular file; it is "
                                                      "never opened"))
        elif path.suffix.lower() not in SUPPORTED_SUFFIXES:
            self.found.errors.append(InputError(text, f"unsupported file type {path.suffix or '(none)'!r}; "
                                                      f"use {', '.join(sorted(SUPPORTED_SUFFIXES))}"))
        else:
            self.add(path, st)


def _is_glob(text: str) -> bool:
    return bool(_GLOB_CHARS & set(text)) and not os.path.lexists(text)


def discover(inputs: Iterable[str | os.PathLike[str]], *, follow_symlinks: bool = False) -> Discovery:
    """Files to process from paths, folders (recursive) and glob patterns, confined to them.

    Reading stays inside what was named: the named folders, the folder each glob
    pattern starts in, and (for a named file that is a symlink) the folder the link is
    in. A symlink leading elsewhere is skipped (found by a walk or a glob) or an input
    error (named), unless ``follow_symlinks``. Pipes, sockets and devices are never
    opened; hidden files and folders are skipped; so are files of other types than
    .txt .md .html .htm .jsonl. See :class:`Discovery` for what comes back.

    >>> found = discover(["no/such/*.txt"])
    >>> [str(e) for e in found.missing], found.files
    (['no/such/*.txt: glob pattern matched no files'], [])
    """
    texts = [os.fspath(i) for i in inputs]
    finder = _Finder(follow_symlinks)
    for text in texts:
        if _is_glob(text):
            finder.roots.append(_glob_root(text))
        elif os.path.isdir(text):
            finder.roots.append(os.path.realpath(text))
    for text in texts:
        if _is_glob(text):
            finder.glob(text)
        else:
            finder.named(text)
    found = finder.found
    found.roots = tuple(dict.fromkeys(finder.roots))
    # A problem with the same path must not appear twice (a loop seen from two inputs).
    for name in ("errors", "missing"):
        unique: dict[str, InputError] = {}
        for e in getattr(found, name):
            unique.setdefault(str(e.source), e)
        setattr(found, name, list(unique.values()))
    found.skipped = list({s.path: s for s in found.skipped}.values())
    return found


def discover_inputs(inputs: Iterable[str | os.PathLike[str]], *,
                    follow_symlinks: bool = False) -> tuple[list[Path], list[InputError]]:
    """``(files, errors)`` of :func:`discover`: the errors are the missing inputs and
    the named ones that cannot be used (what is skipped is not an error)."""
    found = discover(inputs, follow_symlinks=follow_symlinks)
    return found.files, [*found.missing, *found.errors]


def count_items(files: list[Path]) -> int:
    """Articles expected: one per file, one per non-blank line of a .jsonl file."""
    n = 0
    for f in files:
        if f.suffix.lower() == ".jsonl":
            try:
                with open_regular(f) as fh:
                    n += sum(1 for line in fh if line.strip())
            except (OSError, InputError):
                n += 1
        else:
            n += 1
    return n


def file_sha(path: Path, listed_id: tuple[int, int] | None = None) -> str | None:
    """The sha256 of a regular file's bytes; None when it cannot be read (a pipe or a
    device is never opened, so this never blocks) or is not the file listed as ``listed_id``."""
    try:
        with open_regular(path, listed_id=listed_id) as fh:
            return hashlib.file_digest(fh, "sha256").hexdigest()
    except (OSError, InputError):
        return None


def jsonl_keys(path: Path, text_field: str, id_field: str,
               listed_id: tuple[int, int] | None = None) -> list[tuple[str, str]] | None:
    """``(source, sha256)`` of every usable line, computed as :mod:`extractor.text.reading`
    does; None when any line (or the file: see ``listed_id`` of :func:`file_sha`) needs the
    full reader, which then decides."""
    try:
        with open_regular(path, listed_id=listed_id) as fh:
            data = fh.read()
        content = data.decode("utf-8-sig")
    except (OSError, InputError, UnicodeDecodeError):
        return None

    out = []
    used: set[str] = set()
    for lineno, line in jsonl_lines(content):
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



def what_became_of(path: str | os.PathLike[str], sha256: str, *, text_field: str = "text",
                   id_field: str = "id") -> str | None:
    """What happened to the file an article of content ``sha256`` was read from: None when
    ``path`` still holds that content (a JSONL file: on one of its lines), else what became
    of it, in words that fit before "since it was submitted". Never blocks (see
    :func:`~extractor.text.reading.open_regular`).

    >>> what_became_of("no/such/file.txt", "0" * 64)
    'deleted or moved'
    """
    p = Path(path)
    if not p.exists():  # a link whose target is gone included
        return "deleted or moved"
    try:
        with open_regular(p) as fh:
            digest = hashlib.file_digest(fh, "sha256").hexdigest()
    except InputError as exc:
        return f"made unreadable ({exc.problem})"
    except OSError as exc:
        return f"made unreadable ({_oserror(exc)})"
    if p.suffix.lower() != ".jsonl":
        return None if digest == sha256 else "changed"
    keys = jsonl_keys(p, text_field, id_field)
    if keys is None:  # a line the cheap keys cannot read: the full reader decides
        keys = [(d.source or "", d.sha256) for d in iter_documents(p, text_field=text_field, id_field=id_field)
                if not isinstance(d, InputError)]
    if any(sha == sha256 for _, sha in keys):
        return None
    return "changed (its line is no longer in the file)"
