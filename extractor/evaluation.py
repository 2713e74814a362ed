"""Deprecated v0.1 path: moved to :mod:`extractor.outputs.evaluation`,
and the v0.1 names to :mod:`extractor._v01_names`.

See :mod:`extractor._v01_paths`.
"""

from extractor._v01_paths import forward

__getattr__, __dir__ = forward(__name__, "extractor.outputs.evaluation", "extractor._v01_names")
