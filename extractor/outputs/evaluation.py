"""Scoring a batch run against hand-made gold annotations.

Predictions are the ``articles.jsonl`` a batch run writes (one JSON object per article,
with ``facts``, ``usage``, ``status``, ``document``); gold is a folder of JSON files, one
per article (see ``gold/README.md``). Articles are paired by sha256, else by the base name
of ``source``.

A predicted fact *matches* a gold fact of the same type when the type's **key fields**
agree; every gold and predicted fact is used at most once (one-to-one, greedy on a
similarity score so that, of two gold facts with the same number, the one whose evidence
and description are closest wins). Key fields come from each fact model's ``key_fields``
(:mod:`extractor.core.schema`), so a user's schema is scored the same way; the
health-news schema declares (see :class:`KeySpec` for optional fields and defaults):

============  ==================================================================
type          key fields
============  ==================================================================
place         ``name``
organisation  ``name``
consortium    ``name``
person        ``name``
quantity      ``value`` (exact after normalisation) + ``qualifier`` (exact) + ``unit`` compatible
money         ``amount`` (exact) + ``qualifier`` (exact) + ``currency`` compatible
facility      ``name``
event         ``kind`` + ``date`` (by value, when both give one) + ``title`` (when both
              give one, else the evidence quotes must overlap)
============  ==================================================================

Comparators: names are folded across scripts (simplified/traditional, Persian/Arabic letter
forms, digits, inline pinyin, zero-width characters; :func:`extractor.text.textnorm.fold_text`),
stripped of spaces and punctuation and then match when equal, when one contains the other,
or when their rapidfuzz ratio is at least :data:`NAME_THRESHOLD`. Numbers match when equal
after normalisation (Persian digits, thousands separators, strings). Units and currencies
are compatible when either is missing, when either is a free-form word the evaluator does
not know, or when both fall in the same known family (``%``/``percent``/``درصد``;
``人``/``person``/``人次``; ``元``/``CNY``...). Dates compare by value. List fields
(``members``, ``participants``) are aligned one-to-one by name similarity and scored as
their own precision/recall. Non-key fields of matched pairs are reported as field accuracy.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz

from extractor.text.textnorm import fold_text, to_ascii_digits

__all__ = [
    "EvalReport",
    "PRF",
    "evaluate",
    "load_predictions",
    "load_gold",
    "names_match",
    "name_score",
    "numbers_equal",
    "units_compatible",
    "dates_equal",
    "align_lists",
    "match_facts",
    "KeySpec",
    "key_specs",
    "NAME_THRESHOLD",
]

NAME_THRESHOLD = 85.0


NUMBER_FIELDS = frozenset(
    {"value", "amount", "member_count", "previous_value", "progress_percent", "participant_count", "year_formed"}
)
NAME_FIELDS = frozenset(
    {"name", "subject", "organisation", "lead_institution", "place", "role", "organiser", "title", "payer",
     "measure", "purpose", "size"}
)
LIST_FIELDS = frozenset({"members", "participants"})
DATE_FIELDS = frozenset({"date", "period", "previous_period", "expected_date"})
EXACT_FIELDS = frozenset({"qualifier", "kind", "level", "status"})


# ---------------------------------------------------------------------------------
# Comparators


def _is_punct_or_space(ch: str) -> bool:
    cat = unicodedata.category(ch)
    return ch.isspace() or cat[0] in ("P", "S", "Z")


@lru_cache(maxsize=65536)
def _name_key(text: str) -> str:
    return "".join(c for c in fold_text(text) if not _is_punct_or_space(c))


def name_score(a: Any, b: Any) -> float:
    """Similarity 0-100 of two names after script folding; containment scores 90."""
    if not a or not b:
        return 0.0
    ka, kb = _name_key(str(a)), _name_key(str(b))
    if not ka or not kb:
        # Names made only of punctuation: compare what is left after folding.
        ka, kb = fold_text(str(a)), fold_text(str(b))
    if ka == kb:
        return 100.0
    short, long_ = (ka, kb) if len(ka) <= len(kb) else (kb, ka)
    if short and short in long_:
        return 90.0
    return float(fuzz.ratio(ka, kb))


def names_match(a: Any, b: Any, threshold: float = NAME_THRESHOLD) -> bool:
    """Whether two names denote the same thing across scripts (fold + fuzzy or containment)."""
    return name_score(a, b) >= threshold


def _to_number(x: Any) -> float | None:
    if x is None or isinstance(x, bool):
        return None
    if isinstance(x, (int, float)):
        return float(x)
    s = to_ascii_digits(str(x)).strip().replace(",", "").replace("٬", "").replace("٫", ".").replace(" ", "")
    try:
        return float(s)
    except ValueError:
        return None


def numbers_equal(a: Any, b: Any, *, rel_tol: float = 1e-9) -> bool:
    """Exact comparison after normalisation (strings, Persian digits, separators).

    Two missing values are equal; a missing and a present one are not.
    """
    na, nb = _to_number(a), _to_number(b)
    if na is None or nb is None:
        return na is None and nb is None and (a in (None, "") and b in (None, ""))
    return math.isclose(na, nb, rel_tol=rel_tol, abs_tol=1e-9)


_UNIT_ALIASES: dict[str, tuple[str, ...]] = {
    "percent": ("percent", "%", "pct", "percentage", "درصد", "٪", "百分比", "百分之", "百分点"),
    "person": ("person", "persons", "people", "人", "名", "位", "نفر", "شخص", "individual", "patients", "patient"),
    "person_time": ("person_time", "person-time", "person-times", "persontime", "人次", "visits", "visit", "نفر بار"),
    "m2": ("m2", "m²", "sqm", "square metre", "square meter", "square metres", "square meters", "平方米", "平米",
           "㎡", "متر مربع", "مترمربع", "متر"),
    "hour": ("hour", "hours", "h", "小时", "ساعت"),
    "day": ("day", "days", "天", "日", "روز"),
    "month": ("month", "months", "个月", "月", "ماه"),
    "year": ("year", "years", "年", "سال"),
    "CNY": ("cny", "rmb", "yuan", "元", "人民币", "万元", "¥", "￥"),
    "IRR": ("irr", "rial", "rials", "ریال"),
    "IRT": ("irt", "toman", "tomans", "تومان"),
    "USD": ("usd", "$", "dollar", "dollars", "us$", "دلار", "美元"),
    "EUR": ("eur", "euro", "euros", "€", "يورو", "یورو", "欧元"),
}
_UNIT_CANON: dict[str, str] = {}
for _canon, _aliases in _UNIT_ALIASES.items():
    for _alias in _aliases:
        _UNIT_CANON[_name_key(_alias) or _alias] = _canon
# Counting people and counting visits by people are confused often and harmlessly.
_UNIT_FAMILY = {"person_time": "person"}


def _unit_canon(u: Any) -> str | None:
    if u is None or str(u).strip() == "":
        return None
    key = _name_key(str(u)) or str(u).strip()
    return _UNIT_CANON.get(key)


def units_compatible(a: Any, b: Any) -> bool:
    """Compatible unless both units are known and of different families."""
    if a in (None, "") or b in (None, ""):
        return True
    ca, cb = _unit_canon(a), _unit_canon(b)
    if ca is None or cb is None:
        # A free-form unit word ("centre", "مرکز") cannot be judged; the number decides.
        return True
    return _UNIT_FAMILY.get(ca, ca) == _UNIT_FAMILY.get(cb, cb)


def _units_equal(a: Any, b: Any) -> bool:
    """Stricter than :func:`units_compatible`, for field accuracy."""
    if a in (None, "") and b in (None, ""):
        return True
    if a in (None, "") or b in (None, ""):
        return False
    ca, cb = _unit_canon(a), _unit_canon(b)
    if ca and cb:
        return ca == cb
    return names_match(a, b)


def _date_key(s: Any) -> Any:
    if s in (None, ""):
        return None
    text = str(s)
    try:
        from extractor.numbers.dates import parse_date

        d = parse_date(text)
        if d is not None and d.start is not None:
            return ("d", d.start.isoformat(), d.end.isoformat() if d.end else None)
    except Exception:  # noqa: BLE001 - the date parser is best effort here
        pass
    nums = tuple(int(n) for n in re.findall(r"\d+", to_ascii_digits(fold_text(text))))
    if nums:
        return ("n", nums)
    return ("s", _name_key(text))


def dates_equal(a: Any, b: Any) -> bool:
    """Dates compared by value (parsed when possible, else by the numbers they contain)."""
    if a in (None, "") or b in (None, ""):
        return a in (None, "") and b in (None, "")
    ka, kb = _date_key(a), _date_key(b)
    if ka == kb:
        return True
    # One side parsed to a calendar date and the other did not: fall back to the numbers.
    na = tuple(int(n) for n in re.findall(r"\d+", to_ascii_digits(str(a))))
    nb = tuple(int(n) for n in re.findall(r"\d+", to_ascii_digits(str(b))))
    return bool(na) and na == nb


def align_lists(pred: Iterable[Any], gold: Iterable[Any],
                threshold: float = NAME_THRESHOLD) -> list[tuple[int, int, float]]:
    """One-to-one alignment of two lists of names, greedy by similarity.

    Returns ``(pred_index, gold_index, score)`` for the aligned pairs.
    """
    p, g = [x for x in pred or []], [x for x in gold or []]
    pairs = []
    for i, a in enumerate(p):
        for j, b in enumerate(g):
            s = name_score(a, b)
            if s >= threshold:
                pairs.append((s, i, j))
    pairs.sort(key=lambda t: (-t[0], t[1], t[2]))
    used_p: set[int] = set()
    used_g: set[int] = set()
    out = []
    for s, i, j in pairs:
        if i in used_p or j in used_g:
            continue
        used_p.add(i)
        used_g.add(j)
        out.append((i, j, s))
    return out


def field_equal(name: str, a: Any, b: Any) -> bool:
    """Whether a predicted and a gold value of one field agree, with the field's comparator."""
    if name in NUMBER_FIELDS:
        return numbers_equal(a, b)
    if name == "unit":
        return _units_equal(a, b)
    if name == "currency":
        return _units_equal(a, b)
    if name in DATE_FIELDS:
        return dates_equal(a, b)
    if name in LIST_FIELDS:
        a, b = list(a or []), list(b or [])
        return len(a) == len(b) and len(align_lists(a, b)) == len(b)
    if name in EXACT_FIELDS:
        return (a or None) == (b or None)
    if a in (None, "") or b in (None, ""):
        return a in (None, "") and b in (None, "")
    if isinstance(a, str) or isinstance(b, str):
        return names_match(a, b)
    return a == b


def _evidence_score(a: str | None, b: str | None) -> float:
    if not a or not b:
        return 0.0
    return float(fuzz.partial_ratio(_name_key(a), _name_key(b)))


@dataclass(frozen=True)
class KeySpec:
    """How facts of one type are matched, read off the schema's fact model.

    ``fields`` are the model's ``key_fields`` (:func:`extractor.core.schema.key_fields_of`).
    A key field whose default is None is compared only when both facts give it; a
    missing enum-like field counts as its default (``qualifier`` → ``exact``). When no
    *identifying* key field (not an enum, not a date) could be compared, the two facts'
    evidence quotes must overlap instead.
    """

    fields: tuple[str, ...] = ("name",)
    optional: frozenset[str] = frozenset()
    defaults: tuple[tuple[str, Any], ...] = ()
    identifying: frozenset[str] = frozenset({"name"})

    @classmethod
    def of(cls, model: type) -> KeySpec:
        from typing import Literal, get_args, get_origin

        from extractor.core.schema import key_fields_of

        fields = key_fields_of(model)
        optional, defaults, identifying = set(), [], set()
        for name in fields:
            info = model.model_fields.get(name)
            if info is None:
                continue
            enum = get_origin(info.annotation) is Literal or any(get_origin(a) is Literal
                                                                 for a in get_args(info.annotation))
            if info.default is None:
                optional.add(name)
            elif enum and isinstance(info.default, str):
                defaults.append((name, info.default))
            if not enum and name not in DATE_FIELDS:
                identifying.add(name)
        return cls(fields, frozenset(optional), tuple(defaults), frozenset(identifying))


@lru_cache(maxsize=32)
def key_specs(schema_ref: str) -> dict[str, KeySpec]:
    """Fact type → :class:`KeySpec` for a schema name or reference (empty when it cannot be loaded)."""
    from extractor.grounding.align import fact_models, fact_type_of
    from extractor.model.registry import resolve_schema

    try:
        schema = resolve_schema(schema_ref)
    except Exception:  # noqa: BLE001 - an unknown schema is matched by name only
        return {}
    return {fact_type_of(m): KeySpec.of(m) for m in fact_models(schema)}


def _key_equal(name: str, a: Any, b: Any) -> bool:
    # Units are only compatible-or-not in a key: the number decides the match.
    if name in ("unit", "currency"):
        return units_compatible(a, b)
    return field_equal(name, a, b)


def key_match(fact_type: str, pred: dict, gold: dict, pred_evidence: str = "", gold_evidence: str = "",
              spec: KeySpec | None = None) -> bool:
    """Whether a predicted fact's key fields match a gold fact of the same type (see :class:`KeySpec`)."""
    spec = spec or key_specs("health_news").get(fact_type) or KeySpec()
    defaults = dict(spec.defaults)
    identified = False
    for name in spec.fields:
        a, b = pred.get(name), gold.get(name)
        if name in spec.optional and (a in (None, "") or b in (None, "")):
            continue
        if name in defaults:
            a, b = a or defaults[name], b or defaults[name]
        if not _key_equal(name, a, b):
            return False
        identified |= name in spec.identifying
    return identified or _evidence_score(pred_evidence, gold_evidence) >= 60


def _pair_score(fact_type: str, p: dict, g: dict) -> float:
    """Tie-break among key-matching pairs: evidence and descriptive fields."""
    pd, gd = p.get("data") or {}, g.get("data") or {}
    score = _evidence_score(p.get("evidence"), g.get("evidence"))
    extra = [name_score(pd.get(f), gd.get(f)) for f in ("name", "measure", "subject", "purpose", "title") if gd.get(f)]
    if extra:
        score += sum(extra) / len(extra) / 2
    return score


def match_facts(fact_type: str, preds: list[dict], golds: list[dict], spec: KeySpec | None = None
                ) -> list[tuple[int, int]]:
    """One-to-one matching of predicted and gold facts of one type; ``(pred_i, gold_j)`` pairs."""
    cands = []
    for i, p in enumerate(preds):
        for j, g in enumerate(golds):
            if key_match(fact_type, p.get("data") or {}, g.get("data") or {}, p.get("evidence") or "",
                         g.get("evidence") or "", spec):
                cands.append((_pair_score(fact_type, p, g), i, j))
    cands.sort(key=lambda t: (-t[0], t[1], t[2]))
    used_p: set[int] = set()
    used_g: set[int] = set()
    out = []
    for _, i, j in cands:
        if i in used_p or j in used_g:
            continue
        used_p.add(i)
        used_g.add(j)
        out.append((i, j))
    return out


# ---------------------------------------------------------------------------------
# Report


@dataclass
class PRF:
    """Counts for micro precision / recall / F1."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float | None:
        d = self.tp + self.fp
        return self.tp / d if d else None

    @property
    def recall(self) -> float | None:
        d = self.tp + self.fn
        return self.tp / d if d else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        if p is None or r is None:
            return None
        return 2 * p * r / (p + r) if (p + r) else 0.0

    def add(self, tp: int = 0, fp: int = 0, fn: int = 0) -> None:
        self.tp += tp
        self.fp += fp
        self.fn += fn

    def to_dict(self) -> dict[str, Any]:
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "gold": self.tp + self.fn,
            "predicted": self.tp + self.fp,
            "precision": _round(self.precision),
            "recall": _round(self.recall),
            "f1": _round(self.f1),
        }


def _round(x: float | None, n: int = 4) -> float | None:
    return None if x is None else round(x, n)


def _short(fact: dict) -> str:
    d = fact.get("data") or {}
    t = fact.get("type", "?")
    if t == "quantity":
        main = f"{d.get('value')} {d.get('unit') or ''} ({d.get('qualifier') or 'exact'}) {d.get('measure') or ''}"
    elif t == "money":
        main = f"{d.get('amount')} {d.get('currency') or ''} ({d.get('qualifier') or 'exact'})"
    elif t == "event":
        main = f"{d.get('kind')} {d.get('title') or ''} {d.get('date') or ''}"
    else:
        main = str(d.get("name"))
    return f"{t}: {' '.join(main.split())}"


@dataclass
class EvalReport:
    """Scores of one evaluation; ``to_dict()`` for JSON, printable with rich."""

    overall: PRF = field(default_factory=PRF)
    by_type: dict[str, PRF] = field(default_factory=dict)
    by_language: dict[str, PRF] = field(default_factory=dict)
    field_accuracy: dict[str, dict[str, list[int]]] = field(default_factory=dict)
    list_items: dict[str, PRF] = field(default_factory=dict)
    articles: list[dict[str, Any]] = field(default_factory=list)
    articles_predicted: int = 0
    articles_evaluated: int = 0
    articles_ok: int = 0
    unmatched_predictions: list[str] = field(default_factory=list)
    missing_predictions: list[str] = field(default_factory=list)
    predicted_facts: int = 0
    grounded_facts: int = 0
    corrected_facts: int = 0
    reasks: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0
    cost_usd: float | None = None

    # Rates ------------------------------------------------------------------------
    @property
    def grounding_rate(self) -> float | None:
        """Share of predicted facts that are grounded in the source."""
        return self.grounded_facts / self.predicted_facts if self.predicted_facts else None

    @property
    def correction_rate(self) -> float | None:
        """Share of predicted facts whose values the number check corrected."""
        return self.corrected_facts / self.predicted_facts if self.predicted_facts else None

    @property
    def schema_valid_rate(self) -> float | None:
        """Articles with status ``ok`` over evaluated articles that have a prediction."""
        n = self.articles_evaluated - len(self.missing_predictions)
        return self.articles_ok / n if n > 0 else None

    def _per_article(self, x: float | None) -> float | None:
        n = self.articles_evaluated - len(self.missing_predictions)
        return x / n if (x is not None and n > 0) else None

    @property
    def reasks_per_article(self) -> float | None:
        return self._per_article(self.reasks)

    @property
    def tokens_per_article(self) -> float | None:
        return self._per_article(self.total_tokens)

    @property
    def cost_per_article(self) -> float | None:
        return self._per_article(self.cost_usd)

    def to_dict(self) -> dict[str, Any]:
        """Everything as plain JSON-able data."""
        return {
            "overall": self.overall.to_dict(),
            "by_type": {k: v.to_dict() for k, v in sorted(self.by_type.items())},
            "by_language": {k: v.to_dict() for k, v in sorted(self.by_language.items())},
            "field_accuracy": {
                t: {f: {"correct": c, "total": n, "accuracy": _round(c / n if n else None)}
                    for f, (c, n) in sorted(fs.items())}
                for t, fs in sorted(self.field_accuracy.items())
            },
            "list_items": {k: v.to_dict() for k, v in sorted(self.list_items.items())},
            "run": {
                "articles_predicted": self.articles_predicted,
                "articles_evaluated": self.articles_evaluated,
                "articles_ok": self.articles_ok,
                "schema_valid_rate": _round(self.schema_valid_rate),
                "predicted_facts": self.predicted_facts,
                "grounded_facts": self.grounded_facts,
                "grounding_rate": _round(self.grounding_rate),
                "corrected_facts": self.corrected_facts,
                "correction_rate": _round(self.correction_rate),
                "reasks": self.reasks,
                "reasks_per_article": _round(self.reasks_per_article),
                "prompt_tokens": self.prompt_tokens,
                "completion_tokens": self.completion_tokens,
                "total_tokens": self.total_tokens,
                "tokens_per_article": _round(self.tokens_per_article, 1),
                "cost_usd": _round(self.cost_usd, 6),
                "cost_per_article_usd": _round(self.cost_per_article, 6),
                "unmatched_predictions": self.unmatched_predictions,
                "missing_predictions": self.missing_predictions,
            },
            "articles": self.articles,
        }

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, **({"indent": 2} | kwargs))

    def __rich__(self) -> Any:
        from rich.console import Group
        from rich.table import Table

        def pct(x: float | None) -> str:
            return "–" if x is None else f"{100 * x:.1f}%"

        def prf_table(title: str, label: str, rows: dict[str, PRF]) -> Table:
            t = Table(title=title, title_justify="left")
            t.add_column(label)
            for c in ("gold", "pred", "tp", "fp", "fn"):
                t.add_column(c, justify="right")
            for c in ("precision", "recall", "F1"):
                t.add_column(c, justify="right")
            total = PRF()
            for m in rows.values():
                total.add(m.tp, m.fp, m.fn)
            for name, m in list(rows.items()) + [("all", total)]:
                t.add_row(
                    name, str(m.tp + m.fn), str(m.tp + m.fp), str(m.tp), str(m.fp), str(m.fn),
                    pct(m.precision), pct(m.recall), pct(m.f1), style="bold" if name == "all" else None,
                )
            return t

        run = Table(title="Run", title_justify="left", show_header=False)
        run.add_column("metric")
        run.add_column("value", justify="right")
        run.add_row("articles evaluated / predicted", f"{self.articles_evaluated} / {self.articles_predicted}")
        run.add_row("schema-valid rate", pct(self.schema_valid_rate))
        run.add_row("grounding rate", pct(self.grounding_rate))
        run.add_row("values corrected by number check", pct(self.correction_rate))
        rpa = self.reasks_per_article
        run.add_row("re-asks per article", "–" if rpa is None else f"{rpa:.2f}")
        tpa = self.tokens_per_article
        run.add_row("tokens per article", "–" if tpa is None else f"{tpa:,.0f}")
        cpa = self.cost_per_article
        run.add_row("cost per article (USD)", "–" if cpa is None else f"{cpa:.5f}")
        if self.missing_predictions:
            run.add_row("gold without prediction", ", ".join(self.missing_predictions))
        if self.unmatched_predictions:
            run.add_row("predictions without gold", str(len(self.unmatched_predictions)))
        parts: list[Any] = [
            prf_table("Facts by type", "type", dict(sorted(self.by_type.items()))),
            prf_table("Facts by language", "language", dict(sorted(self.by_language.items()))),
        ]
        if self.list_items:
            parts.append(prf_table("List items (matched facts)", "field", dict(sorted(self.list_items.items()))))
        if self.field_accuracy:
            fa = Table(title="Field accuracy on matched facts", title_justify="left")
            fa.add_column("type.field")
            fa.add_column("correct / total", justify="right")
            fa.add_column("accuracy", justify="right")
            for t, fs in sorted(self.field_accuracy.items()):
                for f, (c, n) in sorted(fs.items()):
                    fa.add_row(f"{t}.{f}", f"{c} / {n}", pct(c / n if n else None))
            parts.append(fa)
        parts.append(run)
        return Group(*parts)

    def render_text(self, width: int = 110) -> str:
        """The rich tables as plain text."""
        import io

        from rich.console import Console

        console = Console(width=width, record=True, file=io.StringIO())
        console.print(self)
        return console.export_text()

    def __str__(self) -> str:
        return self.render_text()


# ---------------------------------------------------------------------------------
# Loading


def load_predictions(predictions: Path | str | list[dict]) -> list[dict]:
    """Articles of a batch run: an ``articles.jsonl``, a run folder holding one, or dicts."""
    if isinstance(predictions, list):
        return predictions
    path = Path(predictions)
    if path.is_dir():
        path = path / "articles.jsonl"
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}: not JSON: {exc}") from exc
        items = data if isinstance(data, list) else [data]
        for n, item in enumerate(items, 1):
            _require_object(item, f"{path}: item {n}")
        return items
    out = []
    # Not splitlines(): U+2028 and friends may sit unescaped inside JSON strings.
    for n, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise ValueError(f"{path}:{n}: not JSON: {exc}") from exc
        out.append(_require_object(item, f"{path}:{n}"))
    return out


def _require_object(item: Any, where: str) -> dict:
    """``item`` when it is an article object with a usable ``facts`` list, else a ValueError naming ``where``."""
    if not isinstance(item, dict):
        raise ValueError(f"{where}: expected a JSON object (one article), got {type(item).__name__}")
    if item.get("facts") is None:
        item["facts"] = []
    facts = item["facts"]
    if not (isinstance(facts, list) and all(isinstance(f, dict) for f in facts)):
        raise ValueError(f"{where}: 'facts' must be a list of objects")
    for n, fact in enumerate(facts, 1):
        if not isinstance(fact.get("data") or {}, dict) or not isinstance(fact.get("type"), str):
            raise ValueError(f"{where}: fact {n}: 'type' must be a string and 'data' an object")
    return item


def load_gold(gold_dir: Path | str) -> list[dict]:
    """Gold files: every ``*.json`` in a folder (or one file)."""
    path = Path(gold_dir)
    files = [path] if path.is_file() else sorted(path.glob("*.json"))
    out = []
    for f in files:
        try:
            doc = _require_object(json.loads(f.read_text(encoding="utf-8")), str(f))
        except (json.JSONDecodeError, RecursionError) as exc:
            raise ValueError(f"{f}: not JSON: {exc}") from exc
        doc.setdefault("source", f.with_suffix(".txt").name)
        doc.setdefault("facts", [])
        out.append(doc)
    return out


def _basename(s: Any) -> str | None:
    if not s:
        return None
    return re.split(r"[\\/]", str(s))[-1]


def _pred_keys(p: dict) -> tuple[str | None, str | None]:
    doc = p.get("document") or {}
    return (p.get("sha256") or doc.get("sha256"), _basename(p.get("source") or doc.get("source")))


# ---------------------------------------------------------------------------------
# Evaluation


def evaluate(predictions: Path | str | list[dict], gold_dir: Path | str, *,
             grounded_only: bool = False) -> EvalReport:
    """Score predictions against gold.

    Args:
        predictions: an ``articles.jsonl``, a run folder holding one, or the article dicts.
        gold_dir: folder of gold JSON files (see ``gold/README.md``).
        grounded_only: score only predicted facts marked ``grounded`` (by default every
            fact the run kept is scored, flagged ones included).

    Gold articles without a prediction count their facts as missed and are listed in
    ``missing_predictions``; predictions without gold are listed and not scored.
    """
    preds = load_predictions(predictions)
    golds = load_gold(gold_dir)
    report = EvalReport(articles_predicted=len(preds))
    paired = _pair(preds, golds, report)
    any_cost = False
    for g in golds:
        p = paired.get(id(g))
        report.articles_evaluated += 1
        if p is None:
            report.missing_predictions.append(g["source"])
        else:
            any_cost |= _add_usage(report, p)
        report.articles.append(_score_article(report, g, p or {"status": "missing", "facts": []}, grounded_only))
    if not any_cost:
        report.cost_usd = None
    return report


def _pair(preds: list[dict], golds: list[dict], report: EvalReport) -> dict[int, dict]:
    """Gold article (by id) → its prediction, by sha256 else by file name."""
    by_sha = {g["sha256"]: g for g in golds if g.get("sha256")}
    by_name = {_basename(g["source"]): g for g in golds}
    paired: dict[int, dict] = {}
    for p in preds:
        sha, name = _pred_keys(p)
        g = by_sha.get(sha) if sha else None
        if g is None and name:
            g = by_name.get(name)
        if g is None:
            report.unmatched_predictions.append(name or sha or "?")
            continue
        # A re-run may repeat an article; the last line wins as it is the newest.
        paired[id(g)] = p
    return paired


def _add_usage(report: EvalReport, p: dict) -> bool:
    """Count one prediction's status and usage; True when it reports a cost."""
    if p.get("status", "ok") == "ok":
        report.articles_ok += 1
    usage = p.get("usage") or {}
    report.reasks += int(usage.get("reasks") or 0)
    report.prompt_tokens += int(usage.get("prompt_tokens") or 0)
    report.completion_tokens += int(usage.get("completion_tokens") or 0)
    report.total_tokens += int(usage.get("total_tokens") or 0)
    if usage.get("cost_usd") is None:
        return False
    report.cost_usd = (report.cost_usd or 0.0) + float(usage["cost_usd"])
    return True


def _score_article(report: EvalReport, g: dict, p: dict, grounded_only: bool) -> dict[str, Any]:
    lang = g.get("language") or (p.get("document") or {}).get("language") or "unknown"
    pfacts = list(p.get("facts") or [])
    report.predicted_facts += len(pfacts)
    report.grounded_facts += sum(1 for f in pfacts if f.get("grounded"))
    report.corrected_facts += sum(1 for f in pfacts if f.get("corrections"))
    if grounded_only:
        pfacts = [f for f in pfacts if f.get("grounded")]
    article: dict[str, Any] = {"source": g["source"], "language": lang, "status": p.get("status", "ok"),
                               "error": p.get("error"), "tp": 0, "fp": 0, "fn": 0, "missed": [], "spurious": []}
    specs = key_specs(p.get("schema_name") or g.get("schema") or "health_news")
    for t in sorted({f.get("type") for f in pfacts} | {f.get("type") for f in g["facts"]}):
        pt = [f for f in pfacts if f.get("type") == t]
        gt = [f for f in g["facts"] if f.get("type") == t]
        pairs = match_facts(t, pt, gt, specs.get(t))
        tp, fp, fn = len(pairs), len(pt) - len(pairs), len(gt) - len(pairs)
        report.overall.add(tp, fp, fn)
        report.by_type.setdefault(t, PRF()).add(tp, fp, fn)
        report.by_language.setdefault(lang, PRF()).add(tp, fp, fn)
        article["tp"] += tp
        article["fp"] += fp
        article["fn"] += fn
        mp, mg = {i for i, _ in pairs}, {j for _, j in pairs}
        article["missed"] += [_short(f) for j, f in enumerate(gt) if j not in mg]
        article["spurious"] += [_short(f) for i, f in enumerate(pt) if i not in mp]
        for i, j in pairs:
            _score_fields(report, t, pt[i].get("data") or {}, gt[j].get("data") or {})
    return article


def _score_fields(report: EvalReport, fact_type: str, pred: dict, gold: dict) -> None:
    acc = report.field_accuracy.setdefault(fact_type, {})
    for name, gv in gold.items():
        if gv in (None, "", []):
            continue
        if name in LIST_FIELDS:
            pv = list(pred.get(name) or [])
            aligned = len(align_lists(pv, gv))
            prf = report.list_items.setdefault(f"{fact_type}.{name}", PRF())
            prf.add(aligned, len(pv) - aligned, len(gv) - aligned)
            continue
        ok = field_equal(name, pred.get(name), gv)
        c = acc.setdefault(name, [0, 0])
        c[0] += int(ok)
        c[1] += 1
