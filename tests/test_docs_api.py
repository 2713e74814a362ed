"""docs/api.md is tested: its examples run (those that call a model are marked +SKIP)."""

from __future__ import annotations

import doctest
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parent.parent / "docs" / "api.md"


def test_the_api_page_examples_run(tmp_path, monkeypatch):
    for var in ("EXTRACTOR_API_KEY", "OPENAI_API_KEY", "EXTRACTOR_BASE_URL", "EXTRACTOR_MODEL", "EXTRACTOR_PROVIDER"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)
    result = doctest.testfile(str(DOC), module_relative=False, optionflags=doctest.ELLIPSIS, verbose=False,
                              report=True)
    assert result.attempted >= 20
    assert result.failed == 0, f"{result.failed} example(s) of docs/api.md failed (see the output above)"


def test_the_readme_links_the_api_page():
    readme = (DOC.parent.parent / "README.md").read_text(encoding="utf-8")
    assert "docs/api.md" in readme


@pytest.mark.parametrize("name", ["ExtractorError", "ConfigurationError", "InputError", "SchemaNotFoundError",
                                  "ModelCallError", "OutputBusyError"])
def test_the_api_page_names_every_exception(name):
    assert f"`{name}`" in DOC.read_text(encoding="utf-8")
