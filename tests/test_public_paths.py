"""Every public name of v0.1 still imports from its v0.1 path (the promise in the README).

``tests/data/v01_public_names.json`` lists the module-level public names of the v0.1
source tree (commit 83e443e): functions, classes and assigned names without a leading
underscore, read from its syntax tree by ``scripts/v01_public_names.py``.
"""

from __future__ import annotations

import importlib
import json
import warnings
from pathlib import Path

import pytest

V01 = json.loads((Path(__file__).parent / "data" / "v01_public_names.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("module", sorted(V01))
def test_every_v01_name_still_imports_from_its_v01_path(module):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        imported = importlib.import_module(module)
        missing = [name for name in V01[module] if not hasattr(imported, name)]
    assert missing == [], f"{module} lost {missing}"


def test_a_moved_module_warns_at_the_line_that_imports_it(tmp_path, monkeypatch):
    """The warning must point at the user's import, or the default filters hide it."""
    import sys

    user_code = tmp_path / "users_pipeline.py"
    user_code.write_text("import json\nimport extractor.llm\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "extractor.llm", raising=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        importlib.import_module("users_pipeline")
    moved = [w for w in caught if issubclass(w.category, DeprecationWarning) and "extractor.llm" in str(w.message)]
    assert [(Path(w.filename), w.lineno) for w in moved] == [(user_code, 2)]


def test_v01_consortium_member_rows_and_key_fields():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from extractor.evaluation import KEY_FIELDS
        from extractor.export import member_rows
    line = {"article_id": "a1", "source": "s.txt",
            "facts": [{"type": "person", "data": {"name": "X"}},
                      {"type": "consortium", "data": {"name": "N", "lead_institution": "L", "members": ["A", "B"]},
                       "evidence": "N: A, B"}]}
    assert list(member_rows(line)) == [
        {"article_id": "a1", "source": "s.txt", "fact_index": 1, "consortium": "N", "lead_institution": "L",
         "member_index": i, "member": m, "evidence": "N: A, B"} for i, m in enumerate("AB")]
    assert KEY_FIELDS["money"] == ("amount", "qualifier", "currency") and KEY_FIELDS["consortium"] == ("name",)


def test_star_imports_of_a_split_module_get_every_home():
    namespace: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        exec("from extractor.llm import *", namespace)
        exec("from extractor.export import *", namespace)
    assert {"ModelClient", "check_configuration", "member_rows", "export_all"} <= set(namespace)


def test_the_stage_methods_of_the_0_2_extractor_still_answer_with_a_deprecation_warning():
    """0.2's Extractor was the pipeline; code calling its stage methods keeps working."""
    from extractor import Extractor, Settings

    ex = Extractor(Settings(provider="openai", model="m", api_key="sk-test-synthetic", mentions_only=True))
    with pytest.warns(DeprecationWarning, match=r"Extractor\.prepare moved to Extractor\.pipeline\.prepare"):
        prepared = ex.prepare("The hospital has 120 beds.")
    assert prepared.found.mentions[0].value == 120
    with pytest.warns(DeprecationWarning):
        assert ex.schema_name == ex.pipeline.schema_name
    with pytest.raises(AttributeError, match="'Extractor' object has no attribute 'prepair'"):
        ex.prepair  # noqa: B018
