"""``extractor.dates``: the v0.1 import path of the date reader, kept for users.

The code lives in :mod:`extractor.numbers.dates`.

>>> from extractor.dates import parse_date
>>> parse_date("2024年3月").start.isoformat()
'2024-03-01'
"""

from __future__ import annotations

from extractor.numbers.calendars import Calendar
from extractor.numbers.date_parts import Granularity
from extractor.numbers.dates import DateValue, find_dates, parse_date

__all__ = ["Calendar", "DateValue", "Granularity", "parse_date", "find_dates"]
