"""The model's numbers against the numbers of their own evidence."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from extractor.numbers.check import check_numbers


class Q(BaseModel):
    value: float
    unit: str | None = None
    qualifier: str = "exact"
    previous_value: float | None = None
    evidence: str


@pytest.mark.parametrize("value,evidence,updates", [
    (500, "投入援疆资金500余万元", (("value", 5_000_000), ("qualifier", "more_than"))),
    (3.4, "حدود ۳ میلیون و ۴۰۰ هزار نفر", (("value", 3_400_000), ("qualifier", "about"))),
    (12, "بیش از ۱۲ هزار عمل جراحی", (("value", 12_000), ("qualifier", "more_than"))),
    (120, "为大众节省医疗费用120万余元", (("value", 1_200_000), ("qualifier", "more_than"))),
    (8.45, "8.450 تخت بیمارستانی", (("value", 8450),)),
])
def test_mis_scaled_values_are_corrected(value, evidence, updates):
    assert check_numbers(Q(value=value, evidence=evidence), evidence).updates == updates


@pytest.mark.parametrize("value,unit,evidence", [
    (0.93, None, "۹۳ درصد پیشرفت فیزیکی"),        # a fraction for a percentage
    (93, "percent", "coverage reached 0.93"),        # a percentage for a fraction
    (12000, None, "در سال گذشته ۱۲ هزار عمل جراحی"),
])
def test_equivalent_values_are_left_alone(value, unit, evidence):
    check = check_numbers(Q(value=value, unit=unit, evidence=evidence), evidence)
    assert check.updates == () and check.flags == ()


@pytest.mark.parametrize("value", [20, 25, 30])
def test_a_value_inside_a_stated_range_is_kept_and_said_to_be_one_of_a_range(value):
    check = check_numbers(Q(value=value, evidence="20-30 beds"), "20-30 beds")
    assert check.updates == () and check.flags == ("value_range_in_evidence",)


def test_unrelated_or_ambiguous_values_are_flagged_not_guessed():
    assert check_numbers(Q(value=0.5, evidence="half of the 40 staff"), "half of the 40 staff").flags == ("value_not_in_evidence",)
    ev = "15 wards and 150 beds"
    check = check_numbers(Q(value=1.5, evidence=ev), ev)
    assert check.updates == () and check.flags == ("value_ambiguous_in_evidence",)
    check = check_numbers(Q(value=7, evidence="no figure here"), "no figure here")
    assert check.flags == ("value_not_in_evidence",)


def test_previous_value_is_checked_too():
    ev = "تعداد مراکز درمانی از ۶ مرکز در سال ۹۶ به ۱۱ مرکز افزایش یافته"
    assert check_numbers(Q(value=11, previous_value=6, evidence=ev), ev).updates == ()
    check = check_numbers(Q(value=11, previous_value=60, evidence=ev), ev)
    assert check.updates == (("previous_value", 6),)


@pytest.mark.parametrize("value,qualifier,evidence,updates", [
    (100, "exact", "参保人数不足100人", (("qualifier", "less_than"),)),
    (100, "less_than", "参保人数不足100人", ()),
    (85, "more_than", "覆盖率85%以上", (("qualifier", "at_least"),)),
    (100, "up_to", "100人以内", ()),
    (10, "up_to", "کمتر از ۱۰ درصد", (("qualifier", "less_than"),)),
    (5, "exact", "fewer than 5 beds", (("qualifier", "less_than"),)),
    (120, "exact", "约有120家医院、45个诊所和300个药房", (("qualifier", "about"),)),
    (300, "about", "约有120家医院、45个诊所和300个药房", ()),
])
def test_qualifiers_follow_the_evidence(value, qualifier, evidence, updates):
    check = check_numbers(Q(value=value, qualifier=qualifier, evidence=evidence), evidence)
    assert check.updates == updates and check.flags == ()


def test_uncertain_readings_are_flagged_never_used_to_correct():
    ev = "a population of 2 480 000 people"  # plain spaces may also separate figures
    check = check_numbers(Q(value=2.48, evidence=ev), ev)
    assert check.updates == () and check.flags == ("value_uncertain_in_evidence",)
    # The same figure, when the model's value is the one read, needs nothing.
    assert check_numbers(Q(value=2480000, evidence=ev), ev).flags == ()


def test_a_qualifier_the_users_schema_does_not_have_is_flagged_not_written():
    from typing import Literal

    class OldQuantity(BaseModel):  # a v0.1-style schema: no less_than
        value: float
        qualifier: Literal["exact", "about", "more_than", "at_least"] = "exact"
        evidence: str

    evidence = "fewer than 50 doctors"
    check = check_numbers(OldQuantity(value=50, evidence=evidence), evidence, lang="en")
    assert check.updates == () and check.flags == ("qualifier_less_than_in_evidence",)
    check = check_numbers(OldQuantity(value=50, evidence="more than 50 doctors"), "more than 50 doctors", lang="en")
    assert check.updates == (("qualifier", "more_than"),)


def test_an_enum_qualifier_gets_its_enum_member():
    import enum

    class Qualifier(enum.StrEnum):
        exact = "exact"
        more_than = "more_than"

    class Quantity(BaseModel):
        value: float
        qualifier: Qualifier = Qualifier.exact
        evidence: str

    evidence = "more than 50 doctors"
    check = check_numbers(Quantity(value=50, evidence=evidence), evidence, lang="en")
    assert check.updates == (("qualifier", Qualifier.more_than),)
    assert type(check.updates[0][1]) is Qualifier


@pytest.mark.parametrize("evidence", [
    "۲۰ میلیاردتومان برای تکمیل بیمارستان", "۲۰ میلیارد\u200cتومان برای تکمیل بیمارستان",
])
def test_a_right_value_before_a_glued_scale_word_is_left_alone(evidence):
    check = check_numbers(Q(value=20e9, evidence=evidence), evidence, lang="fa")
    assert check.updates == () and check.flags == ()


def test_never_corrects_to_a_figure_whose_unit_starts_with_a_scale_word(monkeypatch):
    # Whatever the reader gives, a figure read without the scale word glued to its unit
    # (۲۰ میلیاردتومان as 20) is no ground to "correct" the model's 20e9.
    from extractor.numbers import check as check_module
    from extractor.numbers.quantities import Quantity

    read = [Quantity(value=20, qualifier="exact", unit="میلیاردتومان", start=0, end=15, text="۲۰ میلیاردتومان")]
    monkeypatch.setattr(check_module, "find_quantities", lambda evidence, lang=None: read)
    check = check_numbers(Q(value=20e9, evidence="x"), "x", lang="fa")
    assert check.updates == () and check.flags == ("value_uncertain_in_evidence",)
