"""The name pip knows this package by, which is not the name it is imported by.

``import extractor`` and the ``extractor`` command keep their names; the distribution
on the package index is ``grounded-extractor`` (``extractor`` there is someone else's
package: bindings for GNU libextractor). Every install hint the library prints is built
here, so that none of them sends a user to the other package.

>>> pip_install("local")
"pip install 'grounded-extractor[local]'"
"""

from __future__ import annotations

__all__ = ["DISTRIBUTION", "pip_install"]

DISTRIBUTION = "grounded-extractor"
"""``[project] name`` in pyproject.toml (tests/test_packaging.py checks that the two agree)."""


def pip_install(extra: str | None = None) -> str:
    """The command that installs this package, with an optional extra."""
    target = f"{DISTRIBUTION}[{extra}]" if extra else DISTRIBUTION
    return f"pip install '{target}'"
