"""Deprecated v0.1 path: moved to :mod:`extractor.runs.legacy` and :mod:`extractor.model.endpoint`.

See :mod:`extractor._v01_paths`.
"""

from extractor._v01_paths import forward

__getattr__, __dir__ = forward(__name__, "extractor.runs.legacy", "extractor.model.endpoint")
