"""extractor: validated, source-grounded structured facts from noisy news articles.

>>> from extractor import extract                       # doctest: +SKIP
>>> result = extract(open("article.txt").read())        # doctest: +SKIP
>>> result.facts[0].evidence, result.facts[0].span      # doctest: +SKIP

The names below are resolved on first use, so that ``import extractor.numbers`` (or the
CLI's ``--help``) does not pay for instructor, openai and lingua; type checkers read
the explicit re-exports in the ``TYPE_CHECKING`` block. Importing this package has no
other effect: no import hook, no logging set-up.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

# The one copy of the version: setuptools reads it for the distribution's metadata
# ([tool.setuptools.dynamic] in pyproject.toml), `extractor --version` prints it.
__version__ = "0.3.0"

__all__ = [
    "ConfigurationError",
    "Evidence",
    "ExtractionResult",
    "Extractor",
    "ExtractorError",
    "Fact",
    "InputError",
    "ModelCallError",
    "OutputBusyError",
    "RunOptions",
    "SchemaNotFoundError",
    "Settings",
    "Span",
    "Usage",
    "Mention",
    "InText",
    "Label",
    "FromMention",
    "MentionRef",
    "__version__",
    "aextract",
    "extract",
    "find_mentions",
]

# Where each lazy name lives (tests/test_packaging.py checks that it agrees with the
# TYPE_CHECKING imports and with __all__).
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

if TYPE_CHECKING:  # pragma: no cover - read by mypy and pyright, never run
    from extractor.api import Extractor as Extractor
    from extractor.core.errors import ConfigurationError as ConfigurationError
    from extractor.core.errors import ExtractorError as ExtractorError
    from extractor.core.errors import InputError as InputError
    from extractor.core.errors import ModelCallError as ModelCallError
    from extractor.core.errors import OutputBusyError as OutputBusyError
    from extractor.core.errors import SchemaNotFoundError as SchemaNotFoundError
    from extractor.core.evidence import Evidence as Evidence
    from extractor.core.fields import FromMention as FromMention
    from extractor.core.fields import InText as InText
    from extractor.core.fields import Label as Label
    from extractor.core.fields import MentionRef as MentionRef
    from extractor.core.options import RunOptions as RunOptions
    from extractor.core.types import ExtractionResult as ExtractionResult
    from extractor.core.types import Fact as Fact
    from extractor.core.types import Mention as Mention
    from extractor.core.types import Span as Span
    from extractor.core.types import Usage as Usage
    from extractor.mentions import find_mentions as find_mentions
    from extractor.model.settings import Settings as Settings
    from extractor.pipeline import aextract as aextract
    from extractor.pipeline import extract as extract


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'extractor' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
