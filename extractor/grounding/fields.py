"""Every field grounded: the strings a fact states must be in the article, and what it says
about the article must agree with what reading found.

* :func:`check_fields` — each :data:`~extractor.core.fields.InText` field of one fact (a
  string or a list of strings; in a user's schema also a plain string described "as written")
  is looked up in the article: ``exact`` (after folding scripts, simplified/traditional,
  inline pinyin, digits, zero-width characters), ``fuzzy`` (the partial match evidence uses,
  for strings of 6+ folded characters) or ``coordinated`` (a name the article writes
  shared between list members: 烏恰鎮、芒辛鎮衛生院 → 烏恰鎮衛生院). A miss flags the fact
  ``field_not_in_text:<field>`` (:func:`field_flags`); such a fact is not presented as
  grounded unless the settings keep ungrounded facts (:func:`apply_field_checks`).
* :func:`check_document_fields` — each :class:`~extractor.core.fields.FromDocument` field
  (``data.article``'s title, outlet, publication date, language) is compared with the
  :class:`~extractor.text.reading.Document`; where reading found nothing the value must occur
  in the article. :func:`apply_document_checks` replaces a differing value by what reading
  found, or empties one that is not in the article, and says so.
* :func:`unchecked_fields` — the string fields of a schema that say nothing of what they
  are (reported with the result, so that a user knows what was not checked).

>>> from pydantic import BaseModel
>>> from extractor.core.fields import InText
>>> class Person(BaseModel):
...     name: InText
...     role: InText | None = None
...     evidence: str = ""
>>> source = SourceIndex("薩罕鎮衛生院副書記、院長米爾古麗?亞森說")
>>> checks = check_fields(Person(name="米爾古麗?亞森", role="院長"), source)
>>> [(c.field, c.alignment) for c in checks]
[('name', 'exact'), ('role', 'exact')]
>>> field_flags(check_fields(Person(name="王小明", role="院長"), source))
['field_not_in_text:name']
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from extractor.core.fields import FromDocument, field_roles
from extractor.core.types import Fact
from extractor.grounding.align import SourceIndex, base_letter, ground_quote, schema_models
from extractor.numbers.dates import parse_date
from extractor.text.reading import Document
from extractor.text.textnorm import fold

logger = logging.getLogger(__name__)

__all__ = ["FieldCheck", "DocumentCheck", "check_fields", "field_flags", "apply_field_checks",
           "check_document_fields", "apply_document_checks", "unchecked_fields", "FIELD_NOT_IN_TEXT",
           "ARTICLE_FIELD_DIFFERS", "ARTICLE_FIELD_NOT_IN_TEXT"]

FieldAlignment = Literal["exact", "fuzzy", "coordinated", "none"]
FIELD_NOT_IN_TEXT = "field_not_in_text"
ARTICLE_FIELD_DIFFERS = "article_field_differs"
ARTICLE_FIELD_NOT_IN_TEXT = "article_field_not_in_text"

# Between two coordinated list members sharing a head noun (烏恰鎮、芒辛鎮衛生院, 西里、张家坡、石桥、
# 中庄周边4家卫生院): a list separator right after the first member, then more members, and the
# shared head right after the last one (a few characters of it: 周边4家).
_LIST_SEPARATOR = re.compile(r"\s*(?:、|,|，|和|及|与|與|以及|或|و|،|\band\b|\bor\b|&|/)\s*", re.IGNORECASE)
# A gap with 等 ("and others") or 的 (a modifier) is a phrase, not list members: 北京、上海等地的医院
# names no 北京医院.
_CLAUSE_BREAK = re.compile(r"[。;；!?！？:：\n等的]")
_MAX_COORDINATION_GAP = 30
_MAX_LAST_MEMBER = 8
_MIN_PART = 2


@dataclass(frozen=True)
class FieldCheck:
    """One string of one fact looked up in the article: ``field`` (``members[3]`` for a list
    item), the value, how it was found and where (original offsets; None when not found)."""

    field: str
    value: str
    alignment: FieldAlignment
    span: tuple[int, int] | None = None

    @property
    def found(self) -> bool:
        return self.alignment != "none"


def _coordinated(folded: str, source: SourceIndex) -> tuple[int, int] | None:
    """Where a name stands split between coordinated list members (head 、 … last member tail)."""
    hay = source.folded.text
    for k in range(_MIN_PART, len(folded) - _MIN_PART + 1):
        head, tail = folded[:k], folded[k:]
        i = hay.find(head)
        while i != -1:
            sep = _LIST_SEPARATOR.match(hay, i + k)
            if sep is not None:
                j = hay.find(tail, sep.end(), sep.end() + _MAX_COORDINATION_GAP + len(tail))
                gap = hay[sep.end():j] if j != -1 else ""
                last = _LIST_SEPARATOR.split(gap)[-1] if gap else ""
                if j != -1 and not _CLAUSE_BREAK.search(gap) and len(last) <= _MAX_LAST_MEMBER:
                    return source.folded.span_to_original(i, j + len(tail))
            i = hay.find(head, i + 1)
    return None


def find_string(value: str, source: SourceIndex, *, fuzzy_threshold: float = 85.0) -> FieldCheck:
    """How ``value`` occurs in the article (``field`` left empty).

    A name is found ``exact`` (after folding script, letter forms and case), ``fuzzy`` when
    only spacing and punctuation differ (``St Mary's`` for ``St. Mary’s``), or
    ``coordinated`` (split between list members sharing a head noun). A name differing
    in a single letter is another name, so there is no similarity score here:
    ``fuzzy_threshold`` is kept for callers and unused.

    >>> src = SourceIndex("在烏恰鎮、芒辛鎮衛生院建設智慧化接種門診2處。喀什地区第二人民医院")
    >>> find_string("乌恰镇卫生院", src).alignment, find_string("喀什地區人民醫院", src).alignment
    ('coordinated', 'none')
    >>> find_string("喀什地区第一人民医院", src).alignment
    'none'
    >>> src = SourceIndex("Dr. Jane Smith of St. Mary’s Hospital met Ali Ahmadian.")
    >>> [find_string(v, src).alignment for v in ("St Mary's Hospital", "Dr. John Smith", "Ali Ahmadi")]
    ['fuzzy', 'none', 'none']
    """
    del fuzzy_threshold
    folded = fold(value).text
    if not folded:
        return FieldCheck("", value, "none")
    exact = [span for span in source.find_all(folded) if _whole_words(source.text, span)]
    if exact:
        return FieldCheck("", value, "exact", exact[0])
    span = _same_letters(folded, source)
    if span is not None:
        return FieldCheck("", value, "fuzzy", span)
    span = _coordinated(folded, source)
    if span is not None:
        return FieldCheck("", value, "coordinated", span)
    return FieldCheck("", value, "none")


def _whole_words(text: str, span: tuple[int, int]) -> bool:
    """A Latin-script name does not start or end inside a word (``Ahmadi`` in ``Ahmadian``);
    other scripts have no such boundary to keep (Chinese has no spaces; Arabic and Persian
    glue conjunctions and prepositions to the word that follows)."""
    start, end = span
    before = text[start - 1] if start > 0 else " "
    after = text[end] if end < len(text) else " "
    first, last = text[start] if end > start else " ", text[end - 1] if end > start else " "
    return not ((_LATIN_WORD.match(first) and _LATIN_WORD.match(before))
                or (_LATIN_WORD.match(last) and _LATIN_WORD.match(after)))


_LATIN_WORD = re.compile(r"[0-9A-Za-z\u00C0-\u024F]")
_NOT_LETTER = re.compile(r"[\W_]+")


def _same_letters(folded: str, source: SourceIndex) -> tuple[int, int] | None:
    """Where the value's letters and digits stand in the article's, in the same order with
    nothing but spaces and punctuation between them (``St Marys`` for ``St. Mary’s``)."""
    letters = "".join(base_letter(ch) for ch in _NOT_LETTER.sub("", folded))
    if len(letters) < _MIN_PART:
        return None
    hay, where = source.letters
    i = hay.find(letters)
    while i != -1:
        positions = where[i:i + len(letters)]
        span = source.folded.span_to_original(positions[0], positions[-1] + 1)
        if _small_gaps(source, positions) and _whole_words(source.text, span):
            return span
        i = hay.find(letters, i + 1)
    return None


# Between two letters of one name: a few characters of spacing or punctuation, never a
# sentence's end (北京。协和医院 is not 北京协和医院); between two digits only a thousands
# comma (12. 3 is not 123).
_MAX_GAP = 3
_SENTENCE_END = re.compile(r"[。！？；\n]")


def _small_gaps(source: SourceIndex, positions: tuple[int, ...]) -> bool:
    hay = source.folded.text
    for a, b in zip(positions, positions[1:]):
        gap = hay[a + 1:b]
        if not gap:
            continue
        start, end = source.folded.span_to_original(a + 1, b)
        if len(gap) > _MAX_GAP or _SENTENCE_END.search(source.text, start, end):
            return False
        if hay[a].isdigit() and hay[b].isdigit() and gap != ",":
            return False
    return True


def _in_text_fields(model: type[BaseModel]) -> list[str]:
    return [name for name, role in field_roles(model).items() if role.kind == "in_text"]


def check_fields(owner: BaseModel, source: SourceIndex, *, fuzzy_threshold: float = 85.0) -> list[FieldCheck]:
    """Every non-empty in-text string of one fact model (nested facts are facts of their own)."""
    out: list[FieldCheck] = []
    for name in _in_text_fields(type(owner)):
        value = getattr(owner, name, None)
        items: list[tuple[str, Any]] = ([(f"{name}[{i}]", v) for i, v in enumerate(value)]
                                        if isinstance(value, (list, tuple)) else [(name, value)])
        for where, item in items:
            if not isinstance(item, str) or not item.strip():
                continue
            found = find_string(item, source, fuzzy_threshold=fuzzy_threshold)
            out.append(FieldCheck(where, item, found.alignment, found.span))
    return out


def field_flags(checks: list[FieldCheck]) -> list[str]:
    """``field_not_in_text:<field>`` for every string not found (a list field's item keeps its index)."""
    return [f"{FIELD_NOT_IN_TEXT}:{c.field}" for c in checks if not c.found]


def apply_field_checks(fact: Fact, checks: list[FieldCheck], *, keep_ungrounded: bool = False) -> bool:
    """Flag ``fact`` for each string not in the article; True when the fact must go (a miss,
    and ungrounded facts are not kept). A kept fact with a miss is never ``grounded``.

    >>> fact = Fact(type="person", path="people[0]", data={}, evidence="...", grounded=True, alignment="exact")
    >>> apply_field_checks(fact, [FieldCheck("name", "王小明", "none")]), fact.grounded, fact.flags
    (True, False, ['field_not_in_text:name'])
    """
    flags = field_flags(checks)
    for flag in flags:
        if flag not in fact.flags:
            fact.flags.append(flag)
    if flags:
        fact.grounded = False
        return not keep_ungrounded
    return False


# --------------------------------------------------------------------------- data.article


@dataclass(frozen=True)
class DocumentCheck:
    """One :class:`FromDocument` field compared with what reading found.

    ``status``: ``agrees`` (same as reading), ``in_text`` (reading found nothing; the value
    is in the article), ``differs`` (reading found ``found``, the model said otherwise) or
    ``not_in_text`` (reading found nothing and the value is not in the article).
    """

    path: str
    attribute: str
    value: str
    status: Literal["agrees", "in_text", "differs", "not_in_text"]
    found: str | None = None

    @property
    def flag(self) -> str | None:
        if self.status == "differs":
            return f"{ARTICLE_FIELD_DIFFERS}:{self.path}"
        if self.status == "not_in_text":
            return f"{ARTICLE_FIELD_NOT_IN_TEXT}:{self.path}"
        return None


def _iter_document_fields(obj: Any, path: str = "") -> Iterator[tuple[BaseModel, str, str, FromDocument]]:
    if isinstance(obj, BaseModel):
        for name, role in field_roles(type(obj)).items():
            if role.kind == "from_document":
                yield obj, name, f"{path}.{name}" if path else name, role.marker
            else:
                yield from _iter_document_fields(getattr(obj, name, None), f"{path}.{name}" if path else name)
    elif isinstance(obj, (list, tuple)):
        for i, item in enumerate(obj):
            yield from _iter_document_fields(item, f"{path}[{i}]")


def _same_text(a: str, b: str, threshold: float) -> bool:
    fa, fb = fold(a).text, fold(b).text
    if not fa or not fb:
        return False
    if fa == fb or (min(len(fa), len(fb)) >= 4 and (fa in fb or fb in fa)):
        return True
    return ground_quote(a, SourceIndex(b), fuzzy_threshold=threshold).alignment != "none"


def _same_date(value: str, found: str, lang: str | None) -> bool:
    try:
        a = parse_date(value, lang=lang)
        b = parse_date(found, lang=lang)
    except ValueError:
        return False
    return bool(a and b and a.start and b.start and a.start <= b.start <= (a.end or a.start))


def _same_language(value: str, found: str) -> bool:
    a, b = value.strip().lower().replace("_", "-"), found.strip().lower().replace("_", "-")
    return a == b or a.startswith(b + "-") or b.startswith(a + "-")


def check_document_fields(data: BaseModel, document: Document, source: SourceIndex | None = None, *,
                          fuzzy_threshold: float = 85.0) -> list[DocumentCheck]:
    """Every non-empty :class:`FromDocument` field of ``data`` against the document's metadata.

    >>> from typing import Annotated
    >>> from pydantic import BaseModel
    >>> from extractor.text.reading import document_from_text
    >>> class Info(BaseModel):
    ...     title: Annotated[str | None, FromDocument("title")] = None
    ...     outlet: Annotated[str | None, FromDocument("outlet")] = None
    >>> doc = document_from_text("道縣醫共體召開總結會\\n\\n來源: 湖南法治報\\n\\n會議在縣醫院召開。")
    >>> [(c.path, c.status) for c in check_document_fields(Info(title="平壤醫院開業", outlet="湖南法治报"), doc)]
    [('title', 'differs'), ('outlet', 'agrees')]
    """
    source = source or SourceIndex(document.text)
    out: list[DocumentCheck] = []
    for owner, name, path, marker in _iter_document_fields(data):
        value = getattr(owner, name, None)
        if not isinstance(value, str) or not value.strip():
            continue
        found = getattr(document, marker.attribute, None)
        if found:
            if marker.attribute == "published":
                same = _same_date(value, found, document.language) or _same_text(value, found, fuzzy_threshold)
            elif marker.attribute == "language":
                same = _same_language(value, found)
            else:
                same = _same_text(value, found, fuzzy_threshold)
            out.append(DocumentCheck(path, marker.attribute, value, "agrees" if same else "differs", found))
            continue
        if marker.attribute == "language":
            continue  # nothing to check a language code against
        in_text = find_string(value, source, fuzzy_threshold=fuzzy_threshold).found
        out.append(DocumentCheck(path, marker.attribute, value, "in_text" if in_text else "not_in_text"))
    return out


# Document fields whose agreeing value is replaced by what reading found, as written in the
# file (a date or a language code the model wrote in another form is left as it is).
_AS_READ = frozenset({"title", "outlet"})


def apply_document_checks(data: BaseModel, checks: list[DocumentCheck], *, keep_ungrounded: bool = False
                          ) -> list[str]:
    """Make ``data`` say only what the article supports: a value that differs from what reading
    found is replaced by it, one not in the article is emptied (both kept as the model wrote
    them under ``keep_ungrounded``); a title or outlet that is the file's in another script
    or letter form (``湖南法治报`` for ``湖南法治報``) becomes the file's. Returns the flags, one per field
    changed or kept.

    >>> from pydantic import BaseModel
    >>> class Info(BaseModel):
    ...     outlet: str | None = None
    >>> info = Info(outlet="湖南法治报")
    >>> check = DocumentCheck("outlet", "outlet", "湖南法治报", "agrees", "湖南法治報")
    >>> apply_document_checks(info, [check]), info.outlet
    ([], '湖南法治報')
    """
    flags: list[str] = []
    for check in checks:
        flag = check.flag
        if flag is None:
            if (check.status == "agrees" and check.attribute in _AS_READ and check.found
                    and check.value != check.found and fold(check.value).text == fold(check.found).text):
                # Near enough to agree is not the same string: the row says what the file says.
                owner, name = _owner_of(data, check.path)
                if owner is not None:
                    object.__setattr__(owner, name, check.found)
            continue
        flags.append(flag)
        if keep_ungrounded:
            continue
        owner, name = _owner_of(data, check.path)
        if owner is not None:
            replacement = check.found if check.status == "differs" else None
            object.__setattr__(owner, name, replacement)
            logger.debug("%s: %r replaced by %r", check.path, check.value, replacement)
    return flags


def _owner_of(data: BaseModel, path: str) -> tuple[Any, str]:
    obj: Any = data
    parts = re.findall(r"[^.\[\]]+|\[\d+\]", path)
    for part in parts[:-1]:
        obj = obj[int(part[1:-1])] if part.startswith("[") else getattr(obj, part, None)
        if obj is None:
            return None, ""
    return obj, parts[-1]


# --------------------------------------------------------------------------- what is not checked


def unchecked_fields(schema: type[BaseModel]) -> list[str]:
    """``Model.field`` for every string field of ``schema`` (at any depth) that is neither
    in-text, a label, an enum, evidence, filled from a mention or the document: what the
    library cannot vouch for.

    >>> from pydantic import BaseModel, Field
    >>> class Clinic(BaseModel):
    ...     name: str = Field(description="Name as written.")
    ...     rating: str = ""
    >>> unchecked_fields(Clinic)
    ['Clinic.rating']
    """
    return [f"{model.__name__}.{name}" for model in schema_models(schema)
            for name, role in field_roles(model).items() if role.kind == "unchecked"]
