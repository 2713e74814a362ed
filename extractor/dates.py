"""``extractor.dates``: the v0.1 import path of the date reader, kept for users.

The code lives in :mod:`extractor.numbers.dates`.

>>> from extractor.dates import parse_date
>>> parse_date("2024年3月").start.isoformat()
'2024-03-01'
"""

from __future__ import annotations

from extractor.numbers.dates import DateValue, find_dates, parse_date

__all__ = ["DateValue", "parse_date", "find_dates"]
