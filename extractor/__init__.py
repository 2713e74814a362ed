"""extractor: validated, source-grounded structured facts from noisy news articles.

>>> from extractor import extract                       # doctest: +SKIP
>>> result = extract(open("article.txt").read())        # doctest: +SKIP
>>> result.facts[0].evidence, result.facts[0].span      # doctest: +SKIP
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from extractor import _moved

__version__ = "0.1.0"

# Attributes resolved on first use, so that `import extractor.numbers` (or the CLI's
# `--help`) does not pay for instructor, openai and lingua.
_LAZY = {
    "extract": "extractor.pipeline",
    "aextract": "extractor.pipeline",
    "Extractor": "extractor.api",
    "Settings": "extractor.model.settings",
    "RunOptions": "extractor.core.options",
    "ExtractionResult": "extractor.core.types",
    "Fact": "extractor.core.types",
    "Span": "extractor.core.types",
    "Usage": "extractor.core.types",
    "ExtractorError": "extractor.core.errors",
    "InputError": "extractor.core.errors",
    "ConfigurationError": "extractor.core.errors",
    "ModelCallError": "extractor.core.errors",
    "SchemaNotFoundError": "extractor.core.errors",
    "OutputBusyError": "extractor.core.errors",
    "Evidence": "extractor.core.evidence",
    "Mention": "extractor.core.types",
    "InText": "extractor.core.fields",
    "Label": "extractor.core.fields",
    "FromMention": "extractor.core.fields",
    "MentionRef": "extractor.core.fields",
    "find_mentions": "extractor.mentions",
}

__all__ = sorted(_LAZY) + ["__version__"]

# v0.1 module paths (extractor.batch, extractor.settings, ...) keep importing.
_moved.install()


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'extractor' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:  # pragma: no cover
    from extractor.api import Extractor  # noqa: F401
    from extractor.core.errors import (  # noqa: F401
        ConfigurationError,
        ExtractorError,
        InputError,
        ModelCallError,
        OutputBusyError,
        SchemaNotFoundError,
    )
    from extractor.core.evidence import Evidence  # noqa: F401
    from extractor.core.fields import FromMention, InText, Label, MentionRef  # noqa: F401
    from extractor.core.options import RunOptions  # noqa: F401
    from extractor.core.types import ExtractionResult, Fact, Mention, Span, Usage  # noqa: F401
    from extractor.mentions import find_mentions  # noqa: F401
    from extractor.model.settings import Settings  # noqa: F401
    from extractor.pipeline import aextract, extract  # noqa: F401
