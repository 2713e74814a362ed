"""Old module paths of v0.1 that moved into the layered packages, kept importable.

``import extractor.batch`` still works (with a :class:`DeprecationWarning`): the name
resolves to a thin module that forwards attribute access to the module's new home.
The forwarding module is a separate object, so the real module keeps its own name and
spec. The paths the project promised to keep for good (``extractor.numbers``,
``extractor.dates``, ``extractor.cleaning``) are real modules, not listed here.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types
import warnings
from typing import Any

MOVED: dict[str, str | tuple[str, ...]] = {
    "extractor.textnorm": "extractor.text.textnorm",
    "extractor.language": "extractor.text.language",
    "extractor.reading": "extractor.text.reading",
    "extractor.chunking": "extractor.text.chunking",
    "extractor.numbercheck": "extractor.numbers.check",
    "extractor.validation": "extractor.grounding.validation",
    "extractor.settings": "extractor.model.settings",
    "extractor.providers": "extractor.model.providers",
    "extractor.llm": ("extractor.model.client", "extractor.model.endpoint"),
    "extractor.prompting": "extractor.model.prompting",
    "extractor.localserver": "extractor.model.localserver",
    "extractor.registry": "extractor.model.registry",
    "extractor.batch": ("extractor.runs.legacy", "extractor.model.endpoint"),
    "extractor.batchapi": "extractor.runs.batchapi",
    "extractor.export": ("extractor.outputs.export", "extractor._v01_names"),
    "extractor.report": "extractor.outputs.report",
    "extractor.evaluation": ("extractor.outputs.evaluation", "extractor._v01_names"),
}
"""Old name → its new home, or several homes searched in order (a v0.1 module whose names split)."""


def _homes(target: str | tuple[str, ...]) -> tuple[str, ...]:
    return (target,) if isinstance(target, str) else target


class _Forwarder(types.ModuleType):
    def __init__(self, name: str, target: str | tuple[str, ...]):
        super().__init__(name, f"Moved to {_homes(target)[0]}; this name forwards to it.")
        self.__homes = _homes(target)

    def __getattr__(self, attr: str) -> Any:
        if attr == "__all__":  # ``from extractor.llm import *`` gets the names of every home
            names: list[str] = []
            for home in self.__homes:
                module = importlib.import_module(home)
                exported = getattr(module, "__all__", None)
                if exported is None:
                    exported = [n for n in vars(module) if not n.startswith("_")]
                names += [n for n in exported if n not in names]
            return names
        for home in self.__homes:
            module = importlib.import_module(home)
            if hasattr(module, attr):
                return getattr(module, attr)
        raise AttributeError(f"module {self.__name__!r} (moved to {self.__homes[0]}) has no attribute {attr!r}")

    def __dir__(self) -> list[str]:
        return sorted({n for home in self.__homes for n in dir(importlib.import_module(home))})


class _Loader(importlib.abc.Loader):
    def __init__(self, target: str | tuple[str, ...]):
        self.target = _homes(target)[0]
        self.homes = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        return _Forwarder(spec.name, self.homes)

    def exec_module(self, module: types.ModuleType) -> None:
        warnings.warn(f"{module.__name__} moved to {self.target}; import it from there",
                      DeprecationWarning, stacklevel=2)


class MovedModuleFinder(importlib.abc.MetaPathFinder):
    """Finds the old names in :data:`MOVED`; consulted only after the normal finders."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        new = MOVED.get(fullname)
        if new is None:
            return None
        return importlib.machinery.ModuleSpec(fullname, _Loader(new))


def install() -> None:
    if not any(isinstance(f, MovedModuleFinder) for f in sys.meta_path):
        sys.meta_path.append(MovedModuleFinder())
