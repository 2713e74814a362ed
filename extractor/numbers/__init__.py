"""Deterministic reading of numbers and dates, and the check of a model's numbers against them.

The public entry points keep the import paths of v0.1::

    from extractor.numbers import parse_quantity, find_quantities
    from extractor.dates import parse_date, find_dates

>>> parse_quantity("500余万元").value
5000000
"""

from __future__ import annotations

from extractor.numbers.quantities import Qualifier, Quantity, find_quantities, parse_quantity, values_match

__all__ = ["Qualifier", "Quantity", "parse_quantity", "find_quantities", "values_match"]
