"""The v0.1 module paths that moved into the layered packages, kept importable.

Each old path (``extractor/batch.py``, ``extractor/settings.py``, ...) is a real module
of a few lines that calls :func:`forward`: importing it raises a
:class:`DeprecationWarning` at the line that imports it, and its attributes resolve, on
first use, in the module's new home (or homes, for a v0.1 module whose names split).
Nothing is installed on ``sys.meta_path`` and nothing happens at ``import extractor``.

The paths promised for good (``extractor.numbers``, ``extractor.dates``,
``extractor.cleaning``) are ordinary modules, not shims. ``tests/test_public_paths.py``
checks every public name of v0.1 at its v0.1 path; the import-linter contract "v0.1
shims" in pyproject.toml keeps the library itself from importing them.
"""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable
from typing import Any

__all__ = ["forward"]


def forward(name: str, *homes: str) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Warn that ``name`` moved, and return the module-level ``__getattr__`` and ``__dir__``
    that forward to ``homes`` (searched in order).

    Called from the body of the shim module, so the warning (``stacklevel=3``: this
    function, the shim's body, then the first frame outside the import machinery)
    points at the user's ``import`` line, where the default filters show it.
    """
    warnings.warn(f"{name} moved to {homes[0]}; import it from there", DeprecationWarning, stacklevel=3)

    def __getattr__(attr: str) -> Any:
        if attr == "__all__":  # ``from extractor.llm import *`` gets the names of every home
            names: list[str] = []
            for home in homes:
                module = importlib.import_module(home)
                exported = getattr(module, "__all__", None)
                if exported is None:
                    exported = [n for n in vars(module) if not n.startswith("_")]
                names += [n for n in exported if n not in names]
            return names
        if not (attr.startswith("__") and attr.endswith("__")):  # __path__, __wrapped__...: not forwarded
            for home in homes:
                module = importlib.import_module(home)
                if hasattr(module, attr):
                    return getattr(module, attr)
        raise AttributeError(f"module {name!r} (moved to {homes[0]}) has no attribute {attr!r}")

    def __dir__() -> list[str]:
        return sorted({n for home in homes for n in dir(importlib.import_module(home))})

    return __getattr__, __dir__
