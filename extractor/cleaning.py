"""``extractor.cleaning``: the v0.1 import path of the boilerplate cleaner, kept for users.

The code lives in :mod:`extractor.text.cleaning`.
"""

from __future__ import annotations

from extractor.text.cleaning import CleanText, RemovedLine, clean_by_lines, clean_text, split_lines

__all__ = ["RemovedLine", "CleanText", "clean_text", "clean_by_lines", "split_lines"]
