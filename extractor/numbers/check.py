"""The model's numbers, checked against the numbers in their own evidence.

Models mis-scale numbers (500余万元 → 500; ۳ میلیون و ۴۰۰ هزار → 3.4). The evidence is
verbatim text, so the deterministic reader (:mod:`extractor.numbers.quantities`) is the judge:
when the model's value is not among the values stated in the evidence, the reading
of the evidence replaces it and the fact records a :class:`Correction`; when the
evidence states no number at all, the fact is flagged instead. A figure the reader marks
``uncertain`` (digits grouped by plain spaces, a figure it could read only in part) is
never used to correct: the fact is flagged ``<field>_uncertain_in_evidence``.

Qualifiers (``more_than``, ``at_least``, ``up_to``, ``less_than``, ``about``, ``nearly``) are
taken from the evidence when it states one and the model gave another: 超过100人 is
``more_than`` 100, 不足100人 ``less_than`` 100, 100人以上 ``at_least`` 100.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

from pydantic import BaseModel

from extractor.core.evidence import checked_number_fields
from extractor.core.types import Correction
from extractor.numbers.quantities import Quantity, find_quantities, unit_starts_with_scale

__all__ = ["NumberCheck", "checked_number_fields", "check_numbers"]


@dataclass(frozen=True)
class NumberCheck:
    corrections: tuple[Correction, ...] = ()
    flags: tuple[str, ...] = ()
    updates: tuple[tuple[str, object], ...] = ()  # (field, new value) to apply to the owner


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)


def _matches(model_value: float, q: Quantity, *, model_unit: str | None = None) -> bool:
    if _close(model_value, q.value):
        return True
    if q.value_max is not None:
        low, high = sorted((q.value, q.value_max))
        # A range (20-30 beds) holds any value the model read from it, ends included.
        if low <= model_value <= high or _close(model_value, high):
            return True
    # 0.93 for "93%", or 93 (percent) for "0.93": the same statement.
    if q.unit == "percent" and _close(model_value * 100, q.value):
        return True
    return model_unit == "percent" and q.unit != "percent" and _close(model_value, q.value * 100)


def _power_of_ten_apart(a: float, b: float) -> bool:
    if not a or not b:
        return False
    exp = math.log10(abs(a / b))
    return abs(exp - round(exp)) < 1e-9 and round(exp) != 0


def _candidate_for(model_value: float, quantities: list[Quantity]) -> tuple[Quantity | None, bool]:
    """The evidence quantity the model meant but mis-scaled (500 for 5,000,000; 3.4 for
    3,400,000), and whether several fit. Only a power-of-ten slip is corrected: an
    unrelated value (2 for "200人") is the model's mistake to flag, not ours to guess."""
    fits = [q for q in quantities if _power_of_ten_apart(q.value, model_value)]
    if len(fits) == 1:
        return fits[0], False
    return None, len(fits) > 1


def check_numbers(owner: BaseModel, evidence: str, *, lang: str | None = None) -> NumberCheck:
    """Compare every checked number field of ``owner`` with the numbers in ``evidence``.

    >>> from pydantic import BaseModel
    >>> class M(BaseModel):
    ...     value: float
    ...     evidence: str
    >>> check_numbers(M(value=500, evidence="投入援疆资金500余万元"), "投入援疆资金500余万元").updates
    (('value', 5000000),)
    >>> check_numbers(M(value=3e7, evidence=""), "投入3000万至5000万元", lang="zh").flags
    ('value_range_in_evidence',)
    """
    fields = [f for f in checked_number_fields(type(owner)) if isinstance(getattr(owner, f, None), (int, float))]
    if not fields:
        return NumberCheck()
    quantities = find_quantities(evidence, lang) if evidence else []
    if not quantities:
        return NumberCheck(flags=tuple(f"{f}_not_in_evidence" for f in fields))
    corrections: list[Correction] = []
    flags: list[str] = []
    updates: list[tuple[str, object]] = []
    has_qualifier = "qualifier" in type(owner).model_fields
    for field in fields:
        value = float(getattr(owner, field))
        unit = getattr(owner, "unit", None)
        matched = next((q for q in quantities if _matches(value, q, model_unit=unit)), None)
        if matched is None:
            candidate, ambiguous = _candidate_for(value, quantities)
            if candidate is None:
                flags.append(f"{field}_ambiguous_in_evidence" if ambiguous else f"{field}_not_in_evidence")
                continue
            if candidate.uncertain or unit_starts_with_scale(candidate.unit):
                # flag, never correct, on a doubtful reading; nor on a figure read without the
                # scale word glued to its unit (۲۰ میلیاردتومان as 20): its scale is the doubt
                flags.append(f"{field}_uncertain_in_evidence")
                continue
            corrections.append(
                Correction(
                    field=field,
                    model_value=getattr(owner, field),
                    corrected_value=candidate.value,
                    reason=f"evidence states {candidate.text!r}",
                )
            )
            updates.append((field, candidate.value))
            matched = candidate
        # One value read from a range (3000万至5000万元) is not the whole statement: said, as
        # label mode says it, unless the schema has a field for the range's other end.
        if matched.value_max is not None and field in ("value", "amount") \
                and f"{field}_max" not in type(owner).model_fields:
            flags.append(f"{field}_range_in_evidence")
        # The qualifier belongs to the main value only (余, بیش از, nearly ...).
        if has_qualifier and field in ("value", "amount"):
            current = getattr(owner, "qualifier", None)
            if matched.qualifier != "exact" and current != matched.qualifier and not matched.uncertain:
                accepted, qualifier = _as_field_value(type(owner), "qualifier", matched.qualifier)
                if not accepted:
                    # A user's schema with fewer qualifiers: say what the evidence states.
                    flags.append(f"qualifier_{matched.qualifier}_in_evidence")
                    continue
                corrections.append(
                    Correction(
                        field="qualifier",
                        model_value=current,
                        corrected_value=matched.qualifier,
                        reason=f"evidence states {matched.text!r}",
                    )
                )
                updates.append(("qualifier", qualifier))
    return NumberCheck(tuple(corrections), tuple(flags), tuple(updates))


@functools.lru_cache(maxsize=256)
def _as_field_value(model: type[BaseModel], field: str, value: object) -> tuple[bool, object]:
    """Whether ``model.field`` accepts ``value`` (a schema's own qualifier vocabulary), and
    the value as the field holds it (an Enum member for an Enum field)."""
    from typing import Annotated, Any

    from pydantic import TypeAdapter, ValidationError

    info = model.model_fields[field]
    annotation: Any = Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
    try:
        return True, TypeAdapter(annotation).validate_python(value)
    except ValidationError:
        return False, value
