"""Files and strings to :class:`Document`: decoding, HTML extraction, metadata.

Evidence spans must point into the exact decoded text of the article, so decoding
never normalises anything (no newline or Unicode normalisation); only a byte-order
mark is dropped, because it is an encoding artefact, not text.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from extractor.core.errors import InputError

from .textnorm import strip_pinyin, to_ascii_digits

if TYPE_CHECKING:
    from .cleaning import CleanText

__all__ = ["Document", "document_from_text", "document_from_info", "document_info", "read_document", "iter_documents",
           "detect_metadata", "decode_bytes", "jsonl_lines", "jsonl_source", "check_regular", "open_regular",
           "file_kind", "ENCODING_REPAIRED"]

Format = Literal["text", "html", "markdown", "jsonl"]


@dataclass(frozen=True)
class Document:
    """One article. ``text`` is what spans point into: the exact decoded file for text
    formats, trafilatura's main text for HTML (then ``raw_text`` is the HTML)."""

    text: str
    source: str | None
    sha256: str
    encoding: str | None
    raw_text: str | None
    format: Format
    title: str | None = None
    published: str | None = None
    outlet: str | None = None
    author: str | None = None
    language: str | None = None
    warnings: tuple[str, ...] = field(default=())
    # The text as cleaned while reading (metadata is read off it), so that extraction does
    # not clean it again. Not compared, not shown, and left out of pickles: another
    # process cleans again rather than receive the offset map.
    cleaned: CleanText | None = field(default=None, repr=False, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k != "cleaned"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        for k, v in {**state, "cleaned": None}.items():
            object.__setattr__(self, k, v)

    def cleaned_text(self, *, enabled: bool = True) -> CleanText:
        """The article's :class:`CleanText` (the one made while reading, when there is one).

        >>> document_from_text("Beds: 40.").cleaned_text().text
        'Beds: 40.'
        """
        if enabled and self.cleaned is not None and self.cleaned.original == self.text:
            return self.cleaned
        from .cleaning import clean_text

        return clean_text(self.text, self.language, enabled=enabled)


# --------------------------------------------------------------------------- decoding

_BINARY_MAGIC = {
    b"\x89PNG\r\n\x1a\n": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF87a": "a GIF image",
    b"GIF89a": "a GIF image",
    b"%PDF-": "a PDF file",
    b"PK\x03\x04": "a ZIP archive (or DOCX/XLSX)",
    b"\x1f\x8b": "a gzip archive",
    b"\x7fELF": "an executable",
    b"MZ": "an executable",
}
# Encodings the corpus actually comes in; asked first so that charset-normalizer does
# not pick an exotic code page that happens to decode GB18030 or Big5 bytes.
_PREFERRED = ["utf_8", "gb18030", "big5", "cp1256", "utf_16_le", "utf_16_be", "cp1252"]


# Unicode category Cc (C0, DEL, C1) less the whitespace and separators text uses.
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")


def _looks_binary(text: str) -> bool:
    """Control characters other than whitespace are rare in text and common in binaries."""
    if not text:
        return False
    ctrl = sum(1 for _ in _CONTROL_CHARS.finditer(text))
    return ctrl / len(text) > 0.005 or "\x00" in text


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 without a BOM: zero bytes all at odd (LE) or even (BE) positions, as the
    ASCII characters every text has (newlines, digits, spaces) produce."""
    if len(data) % 2 or b"\x00" not in data:
        return None
    even = data[0::2].count(0)
    odd = data[1::2].count(0)
    # Mostly at one parity: Han characters like 一 (U+4E00) put a few zeros on the other.
    if odd >= 8 * even and odd:
        enc = "utf_16_le"
    elif even >= 8 * odd and even:
        enc = "utf_16_be"
    else:
        return None
    try:
        return enc if not _looks_binary(data.decode(enc)) else None
    except UnicodeDecodeError:
        return None


def decode_bytes(data: bytes, source: str | None = None, encoding: str | None = None,
                 languages: tuple[str, ...] = ()) -> tuple[str, str, list[str]]:
    """Decode file bytes to ``(text, encoding, warnings)`` or raise :class:`InputError`.

    Order: explicit ``encoding``; BOM; BOM-less UTF-16; strict UTF-8 (a multi-byte
    sequence cut off at the very end is dropped); *mostly* valid UTF-8 (at least as
    many valid multi-byte characters as invalid sequences, or only a few invalid ones)
    with the invalid bytes replaced by U+FFFD; a legacy code page only when
    charset-normalizer is confident of it (restricted to the corpus' encodings first)
    and the text then reads as Chinese, Persian, Arabic or English (or one of
    ``languages``) in its own script. Anything else is an :class:`InputError`: a guess
    would send mojibake to the model. A repair adds an ``encoding_repaired: ...`` warning.

    >>> text, enc, warnings = decode_bytes("“quoted” text".encode() + b"\\xff")
    >>> enc, warnings
    ('utf_8', ['encoding_repaired: 1 invalid UTF-8 byte sequence(s) replaced with U+FFFD'])
    """
    warnings: list[str] = []
    if encoding:
        try:
            text = data.decode(encoding)
        except (UnicodeDecodeError, LookupError) as e:
            raise InputError(source, f"cannot decode as {encoding}: {e}") from None
        if text.startswith("\ufeff"):
            text = text[1:]
        return text, encoding, warnings
    for bom, enc in ((b"\xef\xbb\xbf", "utf_8"), (b"\xff\xfe\x00\x00", "utf_32_le"),
                     (b"\x00\x00\xfe\xff", "utf_32_be"), (b"\xff\xfe", "utf_16_le"), (b"\xfe\xff", "utf_16_be")):
        if data.startswith(bom):
            body = data[len(bom):]
            try:
                return body.decode(enc), enc + "_sig" if enc == "utf_8" else enc, warnings
            except UnicodeDecodeError as e:
                if e.start >= len(body) - 4 and e.end == len(body):
                    warnings.append(f"{ENCODING_REPAIRED}: truncated {enc} sequence at the end "
                                    f"({len(body) - e.start} bytes dropped)")
                    return body[: e.start].decode(enc), enc, warnings
                raise InputError(source, f"has a {enc} byte-order mark but is not valid {enc}: {e}") from None
    for magic, what in _BINARY_MAGIC.items():
        if data.startswith(magic):
            raise InputError(source, f"is binary ({what}), not text")
    enc16 = _utf16_without_bom(data)
    if enc16:
        return data.decode(enc16), enc16, warnings
    if b"\x00" in data:
        raise InputError(source, "is binary (contains NUL bytes), not text")
    try:
        return data.decode("utf_8"), "utf_8", warnings
    except UnicodeDecodeError as e:
        # A file cut mid-character (a truncated download) is fine apart from the last
        # 1-3 bytes: keep the text, say so.
        if e.end == len(data) and e.start >= len(data) - 3 and "unexpected end" in e.reason:
            warnings.append(f"{ENCODING_REPAIRED}: truncated UTF-8 sequence at the end "
                            f"({len(data) - e.start} bytes dropped)")
            return data[: e.start].decode("utf_8"), "utf_8", warnings
    replaced = data.decode("utf_8", errors="replace")
    valid, bad = _utf8_evidence(data, replaced)
    non_ascii = len(data) - len(data.translate(None, _HIGH_BYTES))
    if (valid and bad <= valid) or bad <= max(2, non_ascii // 500):
        # Mostly valid UTF-8 with a few stray bytes: the UTF-8 is what the author wrote.
        # A legacy code page would turn every correct character into mojibake instead.
        warnings.append(f"{ENCODING_REPAIRED}: {bad} invalid UTF-8 byte sequence(s) replaced with U+FFFD")
        return replaced, "utf_8", warnings
    text, enc = _legacy(data, source, bad, languages)
    return text, enc, warnings


ENCODING_REPAIRED = "encoding_repaired"
"""The prefix of a Document warning that says its bytes were not all valid in the
encoding it was read with and were repaired (replaced or dropped)."""

_HIGH_BYTES = bytes(range(0x80))
_SUPPORTED_LANGUAGES = ("zh-Hans", "zh-Hant", "fa", "ar", "en")
_HAN_CHAR = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")
_ARABIC_CHAR = re.compile(r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff\u200c\u200d]")
_OTHER_SCRIPT = re.compile(r"[^\x00-\x7f\s\u00a0-\u024f\u2000-\u206f]")
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f\s\u00a0\u2000-\u206f]{3,}")


def _utf8_evidence(data: bytes, replaced: str) -> tuple[int, int]:
    """``(valid, invalid)``: multi-byte UTF-8 characters and invalid byte sequences in ``data``."""
    real_replacement = data.count(b"\xef\xbf\xbd")  # a U+FFFD the author wrote is valid UTF-8
    bad = replaced.count("\ufffd") - real_replacement
    valid = sum(1 for ch in replaced if ord(ch) > 0x7F) - bad
    return valid, bad


def _reads_as_supported(text: str, languages: tuple[str, ...]) -> str | None:
    """The language ``text`` reads as when it is one we extract from and its non-ASCII
    characters are that language's script (no mojibake); else None."""
    from .language import detect_language

    language = detect_language(text, extra=languages)
    if language is None or (language not in _SUPPORTED_LANGUAGES and language not in languages):
        return None
    sample = text[:20_000]
    # Typographic punctuation and accented Latin letters (pinyin, names) fit any script.
    non_ascii = _OTHER_SCRIPT.findall(sample)
    if language.startswith("zh"):
        script = len(_HAN_CHAR.findall(sample))
    elif language in ("fa", "ar"):
        script = len(_ARABIC_CHAR.findall(sample))
    else:
        # Latin-script text: accents and typographic quotes stand alone or in pairs;
        # three non-ASCII letters in a row ("Ã¤Ã", "‚Äù") are a misread multi-byte text.
        if _NON_ASCII_RUN.search(sample):
            return None
        # ... and are Latin letters or punctuation, not letters of another alphabet.
        every = sum(1 for ch in sample if ord(ch) > 0x7F and not ch.isspace())
        return language if len(non_ascii) <= 0.15 * every else None
    return language if script and script >= 0.85 * len(non_ascii) else None


def _legacy(data: bytes, source: str | None, bad: int, languages: tuple[str, ...]) -> tuple[str, str]:
    """A legacy code page that charset-normalizer is confident of and whose text reads as a
    language we support, or an :class:`InputError` naming the file."""
    from charset_normalizer import from_bytes

    guesses = []
    for matches in (from_bytes(data, cp_isolation=_PREFERRED), from_bytes(data)):
        for match in matches:
            if match.encoding.startswith("utf") or match.chaos > _MAX_CHAOS:
                continue
            text = str(match)
            if text.startswith("\ufeff"):
                text = text[1:]
            if _reads_as_supported(text, languages):
                return text, match.encoding
            guesses.append(match.encoding)
    tried = f" (tried {', '.join(dict.fromkeys(guesses))})" if guesses else ""
    raise InputError(source, f"is not valid UTF-8 ({bad} invalid byte sequence(s)) and no legacy encoding reads "
                             f"as Chinese, Persian, Arabic or English text{tried}; convert it to UTF-8")


# charset-normalizer's "mess" ratio above which a decoding is not trusted (its own
# default threshold is 0.2; a correct legacy decoding of news text scores near 0).
_MAX_CHAOS = 0.1


def _check_text(text: str, source: str | None) -> None:
    if _looks_binary(text):
        raise InputError(source, "is binary (control characters), not text")
    if not text.strip():
        raise InputError(source, "is empty or whitespace only")


# --------------------------------------------------------------------------- metadata

_DATE_KEY = re.compile(
    r"(发布时间|發布時間|发布日期|發布日期|发表时间|發表時間|时间|時間|日期|تاریخ انتشار|زمان انتشار|تاريخ النشر|نشر في"
    r"|published|posted|updated|date)\s*(?:on)?\s*[:：]?\s*(.+)", re.IGNORECASE)
_OUTLET_KEY = re.compile(r"(?:^|[\s|])(来源|來源|稿源|source|منبع|المصدر)\s*[:：/]\s*([^|\n]+?)(?=\s{2,}|\s*\||$)",
                         re.IGNORECASE)
_OUTLET_FA = re.compile(r"به گزارش\s+(.{2,40}?)(?:\s+به نقل|،|,|\s+از\s)")
_OUTLET_DATELINE = re.compile(r"^[\s【\[]*([\u3400-\u9fff]{2,10}?[报報网網台社])[讯訊]")
_AUTHOR_KEY = re.compile(
    r"(?:^|[\s|])(作者|记者|記者|نویسنده|خبرنگار|الكاتب|بقلم|author)\s*[:：]\s*([^|\n\s（）()]{2,20})"
    r"|[（(]\s*(?:作者|记者|記者)\s+([^|\n\s（）()]{2,12})\s*[）)]", re.IGNORECASE)
_BYLINE_EN = re.compile(r"^By\s+([A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+){0,3})")
_EDITOR_KEY = re.compile(r"(责任编辑|責任編輯|责编|責編)\s*[:：]\s*([^|\n\s]{2,12})")
_NEWS_CODE = re.compile(r"(کد خبر|شناسه خبر|رمز الخبر)\s*[:：]\s*([0-9۰-۹]+)")


def parse_date(s: str) -> str | None:
    """First full date in ``s`` as ISO ``YYYY-MM-DD`` (any calendar and script
    :mod:`extractor.numbers.dates` reads: 2024-03-07, 2024年3月7日, March 7, 2024,
    ۱۵ اردیبهشت ۱۴۰۲, 15 يناير 2023), else None."""
    from extractor.numbers.dates import find_dates

    for _, _, value in find_dates(s):
        if value.resolved and value.granularity == "day" and value.start:
            return value.start.isoformat()
    return None


_METADATA_CHARS = 200_000


def detect_metadata(text: str, cleaned: CleanText | None = None) -> dict:
    """Publication metadata found in the page text.

    Keys (each None when not found): ``title`` (first kept line, if headline-like),
    ``published`` (ISO date from a "发布时间/時間/日期/تاریخ انتشار/Published" line,
    else as written), ``outlet`` ("来源/來源/Source/منبع/المصدر: X", "به گزارش X",
    a "X报讯" dateline), ``author``, ``editor`` (责任编辑), ``news_code`` (کد خبر).
    Inline pinyin is stripped from the values. Only the head of the text is read
    (its first 400 lines, at most 200,000 characters): metadata sits at the top, and a
    huge file must not cost minutes and gigabytes before it can be refused. ``cleaned``
    is the text's :class:`~extractor.text.cleaning.CleanText` when the caller has it.
    """
    from .cleaning import _is_strong, clean_text

    meta: dict = {"title": None, "published": None, "outlet": None, "author": None,
                  "editor": None, "news_code": None}
    text = text[:_METADATA_CHARS]
    lines = [strip_pinyin(ln[:_METADATA_CHARS // 10]).strip() for ln in text.splitlines()[:400]]
    lines = [ln for ln in lines if ln]
    for ln in lines:
        if meta["published"] is None:
            m = _DATE_KEY.search(ln)
            if m and (m.start() == 0 or ln[m.start() - 1] in " |\t　"):
                iso = parse_date(m[2])
                if iso:
                    meta["published"] = iso
                elif m.start() == 0 and len(ln) <= 80:
                    meta["published"] = re.split(r"\s{2,}|\|", m[2])[0].strip() or None
        if meta["outlet"] is None and len(ln) <= 200:
            m = _OUTLET_KEY.search(ln)
            if m:
                meta["outlet"] = m[2].strip() or None
        if meta["editor"] is None and len(ln) <= 200:
            m = _EDITOR_KEY.search(ln)
            if m:
                meta["editor"] = m[2]
        if meta["author"] is None and len(ln) <= 80:
            m = _AUTHOR_KEY.search(ln) or _BYLINE_EN.match(ln)
            if m:
                meta["author"] = next(g for g in m.groups()[::-1] if g).strip()
        if meta["news_code"] is None:
            m = _NEWS_CODE.search(ln)
            if m:
                meta["news_code"] = to_ascii_digits(m[2])
    if meta["outlet"] is None:
        for ln in lines[:30]:
            m = _OUTLET_FA.search(ln) or _OUTLET_DATELINE.match(ln)
            if m:
                meta["outlet"] = m[1].strip()
                break
    if meta["published"] is None:
        # A dateline date near the top ("2024年3月7日 ...") when no labelled line exists.
        for ln in lines[:8]:
            iso = parse_date(ln)
            if iso and len(ln) <= 60:
                meta["published"] = iso
                break
    if cleaned is None or cleaned.original != text:
        cleaned = clean_text(text)
    first = next((ln.strip() for ln in cleaned.text.splitlines() if ln.strip()), None)
    if first and not _is_strong(first) and len(first) <= 150:
        meta["title"] = first
    return meta


# --------------------------------------------------------------------------- documents

def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _build(text: str, *, source: str | None, sha: str, encoding: str | None, raw: str | None,
           fmt: Format, warnings: list[str], metadata: bool = True,
           given: dict[str, str | None] | None = None, languages: tuple[str, ...] = ()) -> Document:
    """A Document; ``given`` metadata (from HTML or a JSONL record) wins over what is detected."""
    from .cleaning import clean_text
    from .language import detect_language

    meta: dict[str, Any] = {}
    cleaned = language = None
    if metadata and len(text) <= _METADATA_CHARS:
        # Cleaned once: metadata and language are read off it and extraction uses it as it is.
        cleaned = clean_text(text)
        meta = detect_metadata(text, cleaned)
        language = detect_language(cleaned.text or text, extra=languages)
    elif metadata:
        # A huge text is cleaned only if extraction accepts it (its size is checked first).
        meta = detect_metadata(text)
        language = detect_language(text, extra=languages)
    given = given or {}
    fields = {k: given.get(k) or meta.get(k) for k in ("title", "published", "outlet", "author")}
    return Document(text=text, source=source, sha256=sha, encoding=encoding, raw_text=raw,
                    format=fmt, language=language, warnings=tuple(warnings), cleaned=cleaned, **fields)


def document_from_text(text: str, *, source: str | None = None, detect_metadata: bool = True,
                       languages: tuple[str, ...] = ()) -> Document:
    """A :class:`Document` from a string (already decoded): ``sha256`` is of its UTF-8
    bytes. Raises :class:`InputError` for empty or whitespace-only text."""
    if not isinstance(text, str):
        raise InputError(source, f"expected text (str), got {type(text).__name__}")
    _check_text(text, source)
    return _build(text, source=source, sha=_sha256(text.encode("utf-8", "surrogatepass")),
                  encoding=None, raw=text, fmt="text", warnings=[], metadata=detect_metadata, languages=languages)


def _format_of(path: Path) -> Format:
    suffix = path.suffix.lower()
    if suffix in (".html", ".htm", ".xhtml"):
        return "html"
    if suffix in (".md", ".markdown"):
        return "markdown"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    return "text"


def file_kind(mode: int) -> str | None:
    """What a file that is not a regular file or folder is, from its ``st_mode``; None
    for a regular file or a folder.

    >>> import stat
    >>> file_kind(stat.S_IFIFO), file_kind(stat.S_IFREG)
    ('a named pipe (FIFO)', None)
    """
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    return "not a regular file"


def _not_regular(source: str, mode: int) -> InputError:
    if stat.S_ISDIR(mode):
        return InputError(source, "is a directory, not a file")
    # Reading a pipe or a device would block forever or never end: it is never opened.
    return InputError(source, f"is {file_kind(mode)}, not a regular file; it is never opened")


def check_regular(path: str | os.PathLike[str]) -> None:
    """Raise :class:`InputError` naming ``path`` unless it is a regular file (or a link to
    one), saying what it is instead; it is never opened.

    >>> check_regular(".")
    Traceback (most recent call last):
    ...
    extractor.core.errors.InputError: .: is a directory, not a file
    """
    source = os.fspath(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise InputError(source, "file not found") from None
    except OSError as e:
        raise InputError(source, f"cannot be read: {e.strerror or e}") from None
    if not stat.S_ISREG(mode):
        raise _not_regular(source, mode)


def open_regular(path: str | os.PathLike[str], *, listed_id: tuple[int, int] | None = None) -> io.BufferedReader:
    """Open a regular file for reading in binary, or raise :class:`InputError` naming it.

    A pipe, socket or device is refused from its ``stat`` before any ``open``; the
    ``open`` itself cannot block (``O_NONBLOCK``) and the opened file is checked again
    (``fstat``), so a file swapped for a pipe in between is refused too. ``listed_id``
    is the file's ``(st_dev, st_ino)`` when it was listed (discovery checked where it
    leads): an opened file that is another one (a link put in its place since) is refused.
    """
    source = os.fspath(path)
    check_regular(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise InputError(source, "file not found") from None
    except OSError as e:
        raise InputError(source, f"cannot be read: {e.strerror or e}") from None
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        raise _not_regular(source, st.st_mode)
    if listed_id is not None and (st.st_dev, st.st_ino) != tuple(listed_id):
        os.close(fd)
        raise _changed(source)
    return open(fd, "rb")


def _changed(source: str) -> InputError:
    """The error for a file that is not the one listed: it was replaced while the run went on."""
    if os.path.islink(source):
        what = f"it is now a symlink leading to {os.path.realpath(source)}"
    else:
        what = "another file is in its place"
    return InputError(source, f"changed since it was listed ({what}); it is not read: run again to read "
                              "what is there now")


def _read_bytes(path: Path, max_bytes: int, listed_id: tuple[int, int] | None = None) -> bytes:
    source = str(path)
    with open_regular(path, listed_id=listed_id) as fh:
        # Checked before reading, so an oversized file costs no memory and no time.
        size = os.fstat(fh.fileno()).st_size
        if size > max_bytes:
            raise InputError(source, f"is {size:,} bytes, over the limit of {max_bytes:,} bytes")
        if size == 0:
            raise InputError(source, "is empty (0 bytes)")
        try:
            data = fh.read(max_bytes + 1)
        except OSError as e:
            raise InputError(source, f"cannot be read: {e.strerror or e}") from None
    if len(data) > max_bytes:  # grew while we looked
        raise InputError(source, f"is over the limit of {max_bytes:,} bytes")
    return data


def _html_document(html: str, *, source: str, sha: str, encoding: str, warnings: list[str],
                   languages: tuple[str, ...] = ()) -> Document:
    import trafilatura

    try:
        doc = trafilatura.bare_extraction(html, with_metadata=True, include_comments=False,
                                          include_tables=True, favor_recall=True)
    except Exception as e:  # trafilatura/lxml raise many types on malformed markup
        raise InputError(source, f"HTML could not be parsed: {e}") from None
    text = (getattr(doc, "text", None) or "") if doc is not None else ""
    if not text.strip():
        # Short pages fall below trafilatura's minimum size; take the plain body text.
        try:
            text = trafilatura.html2txt(html) or ""
        except Exception:
            text = ""
        doc_meta = doc
    else:
        doc_meta = doc
    if not text.strip():
        raise InputError(source, "HTML page has no body text")
    given: dict[str, str | None] = {}
    if doc_meta is not None:
        given = {"title": getattr(doc_meta, "title", None), "published": getattr(doc_meta, "date", None),
                 "author": getattr(doc_meta, "author", None), "outlet": getattr(doc_meta, "sitename", None)}
    return _build(text, source=source, sha=sha, encoding=encoding, raw=html, fmt="html",
                  warnings=warnings, given=given, languages=languages)


def read_document(path: str | os.PathLike, *, encoding: str | None = None, max_bytes: int = 20_000_000,
                  languages: tuple[str, ...] = (), listed_id: tuple[int, int] | None = None) -> Document:
    """Read one file into a :class:`Document`.

    Text and Markdown keep the exact decoded text (encoding detected: UTF-8/16 with or
    without BOM, GB18030, Big5, Windows-1256, ...). HTML is reduced to its main text
    with trafilatura, which also supplies title, date, author and site name. A
    ``.jsonl`` file must hold exactly one record here (use :func:`iter_documents`).
    Raises :class:`InputError` naming the file when it is missing, empty, whitespace
    only, binary, over ``max_bytes`` or undecodable, or an HTML page without text, or
    not the file listed as ``listed_id`` (see :func:`open_regular`).
    """
    p = Path(path)
    source = str(p)
    fmt = _format_of(p)
    if fmt == "jsonl":
        results = list(iter_documents(p, encoding=encoding, listed_id=listed_id))
        if len(results) != 1:
            raise InputError(source, f"holds {len(results)} JSONL records; use iter_documents for several")
        if isinstance(results[0], InputError):
            raise results[0]
        return results[0]
    data = _read_bytes(p, max_bytes, listed_id)
    text, enc, warnings = decode_bytes(data, source, encoding, languages)
    _check_text(text, source)
    sha = _sha256(data)
    if fmt == "html":
        return _html_document(text, source=source, sha=sha, encoding=enc, warnings=warnings, languages=languages)
    return _build(text, source=source, sha=sha, encoding=enc, raw=text, fmt=fmt, warnings=warnings,
                  languages=languages)


def jsonl_lines(content: str) -> Iterator[tuple[int, str]]:
    """``(line number, line)`` of JSONL text, split at ``\\n`` only (a ``\\r`` before it is
    dropped). Not :meth:`str.splitlines`: U+2028, U+0085 or a form feed may stand unescaped
    inside a JSON string, and splitting there would break a valid record.

    >>> text = '{"text": "a' + chr(0x2028) + 'b"}' + chr(13) + chr(10) + '{}'
    >>> [(n, len(line)) for n, line in jsonl_lines(text)]
    [(1, 15), (2, 2)]
    """
    for lineno, line in enumerate(content.split("\n"), 1):
        yield lineno, line[:-1] if line.endswith("\r") else line


def jsonl_source(path: str | os.PathLike, rid: Any, lineno: int, used: set[str]) -> str:
    """The source name of line ``lineno`` of a JSONL file, unique within the file.

    ``path#<id>`` for a record with an id, ``path#L<lineno>`` for one without (so a
    line number never reads as an id); a repeated id gets the line number appended
    (``path#x`` then ``path#x@L7``). ``used`` holds the names given so far in the file.
    """
    source = f"{path}#{rid}" if rid not in (None, "") else f"{path}#L{lineno}"
    while source in used:
        source = f"{source}@L{lineno}"
    used.add(source)
    return source


def iter_documents(path: str | os.PathLike, *, text_field: str = "text", id_field: str = "id",
                   encoding: str | None = None, max_bytes: int = 20_000_000,
                   languages: tuple[str, ...] = (), listed_id: tuple[int, int] | None = None
                   ) -> Iterator[Document | InputError]:
    """Yield Documents from a file; errors are yielded, not raised, so one bad record
    does not stop a batch.

    For ``.jsonl``: one Document per line (``source`` from :func:`jsonl_source`: ``path#<id>``,
    ``path#L<lineno>`` without an id, ``path#<id>@L<lineno>`` for a repeated id);
    blank lines are skipped; a line that is not a JSON object, lacks ``text_field`` or
    has empty text yields an :class:`InputError` naming the file and line. Title, date,
    outlet and author fields of the record, when present, override detected metadata.
    Other files: the single :func:`read_document` result or its error. ``listed_id``:
    the file's ``(st_dev, st_ino)`` when it was listed (see :func:`open_regular`).
    """
    p = Path(path)
    if _format_of(p) != "jsonl":
        try:
            yield read_document(p, encoding=encoding, max_bytes=max_bytes, languages=languages, listed_id=listed_id)
        except InputError as e:
            yield e
        return
    try:
        data = _read_bytes(p, max_bytes, listed_id)
        content, enc, file_warnings = decode_bytes(data, str(p), encoding, languages)
    except InputError as e:
        yield e
        return
    used: set[str] = set()
    for lineno, line in jsonl_lines(content):
        if not line.strip():
            continue
        where = f"{p}:{lineno}"
        try:
            rec = json.loads(line)
        except json.JSONDecodeError as e:
            yield InputError(where, f"line {lineno} is not valid JSON: {e.msg}")
            continue
        except (ValueError, RecursionError) as e:  # a digit string past Python's limit; nesting too deep
            yield InputError(where, f"line {lineno} cannot be read as JSON: {type(e).__name__}: "
                                    f"{str(e)[:120] or 'nested too deeply'}")
            continue
        if not isinstance(rec, dict):
            yield InputError(where, f"line {lineno} is not a JSON object")
            continue
        text = rec.get(text_field)
        if not isinstance(text, str):
            yield InputError(where, f"line {lineno} has no string field {text_field!r}")
            continue
        source = jsonl_source(p, rec.get(id_field), lineno, used)
        if not text.strip():
            yield InputError(source, f"line {lineno}: field {text_field!r} is empty")
            continue
        given: dict[str, str | None] = {k: rec.get(k) if isinstance(rec.get(k), str) else None
                 for k in ("title", "published", "outlet", "author")}
        try:
            _check_text(text, source)
            yield _build(text, source=source, sha=_sha256(text.encode("utf-8", "surrogatepass")),
                         encoding=enc, raw=text, fmt="jsonl", warnings=list(file_warnings), given=given,
                         languages=languages)
        except InputError as e:
            yield e


def document_info(doc: Document) -> dict[str, Any]:
    """A document's metadata (everything but its text), as stored beside its text and read
    back by :func:`document_from_info`.

    >>> info = document_info(document_from_text("Beds: 40.", source="a.txt", detect_metadata=False))
    >>> info["source"], info["chars"], document_from_info("Beds: 40.", info).sha256 == info["sha256"]
    ('a.txt', 9, True)
    """
    return {"source": doc.source, "sha256": doc.sha256, "encoding": doc.encoding, "format": doc.format,
            "language": doc.language, "title": doc.title, "published": doc.published,
            "outlet": doc.outlet, "author": doc.author, "chars": len(doc.text), "warnings": list(doc.warnings)}


def document_from_info(text: str, info: dict[str, Any]) -> Document:
    """A :class:`Document` rebuilt from its stored text and the metadata a run recorded
    (a :class:`~extractor.core.types.DocumentInfo` as a dict), to derive its facts again
    without reading the file. Nothing is detected again: the stored language and
    publication date are what the first extraction used."""
    return Document(text=text, source=info.get("source"), sha256=info.get("sha256") or "",
                    encoding=info.get("encoding"), raw_text=None, format=info.get("format") or "text",
                    title=info.get("title"), published=info.get("published"), outlet=info.get("outlet"),
                    author=info.get("author"), language=info.get("language"),
                    warnings=tuple(info.get("warnings") or ()))
