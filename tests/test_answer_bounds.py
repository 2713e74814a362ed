"""Answer bounds (``extractor.model.bounds``): maxItems / maxLength in the schema sent to a
grammar-constrained server, so that the tiny embedded model has to close its answer.

Fast tests of the bounded model and of the request it makes (bounds off: the request is
byte for byte what it was), and one opt-in ``local_server`` test that runs the five seeds
through the real embedded server with the bounds ``--local`` uses.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

import pytest
from conftest import ROOT, SEED_FILES
from fakes import FakeEndpoint
from pydantic import ValidationError

from extractor import Extractor, Settings
from extractor.grounding.validation import GROUNDING_ERROR_PREFIX, validated_model, validation_context
from extractor.model.bounds import answer_bounds_of, bound_json_schema, bounded_model
from extractor.model.localserver import BUNDLED_MODEL_BOUNDS, INSTALL_COMMAND, local_available, local_settings
from extractor.schemas.health_news import HealthNewsArticle, Place

LIST_FIELD = {"place": "places", "organisation": "organisations", "consortium": "consortia", "person": "people",
              "quantity": "quantities", "money": "money", "facility": "facilities", "event": "events"}


def _nodes(node):
    """Every dict in a JSON schema, with the key path that leads to it."""
    stack = [((), node)]
    while stack:
        path, n = stack.pop()
        if isinstance(n, dict):
            yield path, n
            stack.extend(((*path, k), v) for k, v in n.items())
        elif isinstance(n, list):
            stack.extend(((*path, i), v) for i, v in enumerate(n))


def _without_bounds(node):
    if isinstance(node, dict):
        return {k: _without_bounds(v) for k, v in node.items() if k not in ("maxItems", "maxLength")}
    if isinstance(node, list):
        return [_without_bounds(v) for v in node]
    return node


def _gold_answer(name: str) -> dict:
    gold = json.loads((ROOT / "gold" / name).read_text(encoding="utf-8"))
    answer: dict = defaultdict(list)
    for fact in gold["facts"]:
        answer[LIST_FIELD[fact["type"]]].append({**fact["data"], "evidence": fact["evidence"]})
    return dict(answer)


# The bounded model --------------------------------------------------------------------
def test_bounded_schema_caps_every_list_and_free_string_at_any_depth():
    model = bounded_model(validated_model(HealthNewsArticle), max_items=3, max_chars=120)
    schema = model.model_json_schema()
    arrays = [(p, n) for p, n in _nodes(schema) if n.get("type") == "array"]
    strings = [(p, n) for p, n in _nodes(schema) if n.get("type") == "string"]
    assert len(arrays) >= 10  # the eight fact lists, Consortium.members, Event.participants
    assert all(n["maxItems"] == 3 for _, n in arrays), arrays
    for path, n in strings:
        if "enum" in n or "const" in n:
            assert "maxLength" not in n, path  # Literal fields: the enum bounds them already
        else:
            assert n["maxLength"] == 120, path
    defs = schema["$defs"]
    assert defs["Consortium"]["properties"]["members"]["items"]["maxLength"] == 120  # list of strings
    assert defs["Place"]["properties"]["evidence"]["maxLength"] == 120
    lead = defs["Consortium"]["properties"]["lead_institution"]["anyOf"]  # str | None
    assert {"type": "string", "maxLength": 120} in lead and {"type": "null"} in lead
    assert "maxLength" not in json.dumps(defs["Quantity"]["properties"]["value"])  # numbers untouched
    # Everything else is the schema as it was.
    assert _without_bounds(schema) == HealthNewsArticle.model_json_schema()


def test_unbounded_model_and_schema_are_untouched():
    plain = validated_model(HealthNewsArticle)
    before = json.dumps(plain.model_json_schema(), sort_keys=True)
    bounded_model(plain, max_items=2, max_chars=50).model_json_schema()
    assert json.dumps(plain.model_json_schema(), sort_keys=True) == before
    assert "maxItems" not in before and "maxLength" not in before
    assert bounded_model(plain, max_items=None, max_chars=None) is plain
    assert answer_bounds_of(plain) == (None, None)


def test_bounded_model_is_the_same_class_to_its_users():
    plain = validated_model(HealthNewsArticle)
    model = bounded_model(plain, max_items=4, max_chars=80)
    assert model is bounded_model(plain, max_items=4, max_chars=80)  # cached: one class per bounds
    assert answer_bounds_of(model) == (4, 80)
    assert model.__name__ == "HealthNewsArticle" and model.__doc__ == HealthNewsArticle.__doc__
    assert issubclass(model, plain) and issubclass(model, HealthNewsArticle)
    assert model.model_fields.keys() == HealthNewsArticle.model_fields.keys()
    # Nested models are the very same classes (the pipeline finds fact types by class).
    data = model.model_validate({"places": [{"name": "山東", "evidence": "山東援疆"}]})
    assert type(data.places[0]) is Place


@pytest.mark.parametrize("gold", sorted(p.name for p in (ROOT / "gold").glob("0*.json")))
def test_normal_answers_validate_as_before(gold):
    answer = _gold_answer(gold)
    plain = validated_model(HealthNewsArticle)
    model = bounded_model(plain, max_items=1, max_chars=5)  # caps far below the answer: not enforced
    assert model.model_validate(answer).model_dump() == plain.model_validate(answer).model_dump()


def test_grounding_validator_still_runs():
    model = bounded_model(validated_model(HealthNewsArticle), max_items=3, max_chars=100)
    # One quote found, one not: asked again (an answer that quotes nothing is not: tests/test_faults.py).
    answer = {"places": [{"name": "Kermanshah", "evidence": "Kermanshah has a new hospital."},
                         {"name": "Kermanshah", "evidence": "a sentence that is not in the article"}]}
    with pytest.raises(ValidationError, match=GROUNDING_ERROR_PREFIX):
        model.model_validate(answer, context=validation_context("Kermanshah has a new hospital."))
    ok = {"places": [{"name": "Kermanshah", "evidence": "Kermanshah has a new hospital."}]}
    assert model.model_validate(ok, context=validation_context("Kermanshah has a new hospital.")).places


def test_bound_json_schema_keeps_stated_caps_and_leaves_data_alone():
    schema = {"type": "object", "properties": {
        "tags": {"type": "array", "items": {"type": "string", "maxLength": 10}, "maxItems": 2, "default": ["x" * 50]},
        "code": {"type": "string", "pattern": "^[A-Z]{3}$"},
        "when": {"type": "string", "format": "date"},
        "names": {"type": "array", "items": {"type": "string"}, "minItems": 5},
        "kind": {"const": "a", "type": "string"},
        "note": {"type": "string", "minLength": 300},
    }}
    out = bound_json_schema(schema, max_items=3, max_chars=100)
    p = out["properties"]
    assert p["tags"]["maxItems"] == 2 and p["tags"]["items"]["maxLength"] == 10 and p["tags"]["default"] == ["x" * 50]
    assert "maxLength" not in p["code"] and "maxLength" not in p["when"] and "maxLength" not in p["kind"]
    assert p["names"]["maxItems"] == 5 and p["names"]["items"]["maxLength"] == 100  # never below minItems
    assert p["note"]["maxLength"] == 300
    assert "maxItems" not in json.dumps(schema["properties"]["names"])  # the input is not modified
    with pytest.raises(ValueError):
        bounded_model(HealthNewsArticle, max_items=0, max_chars=10)


def test_user_schema_is_bounded_too():
    from pydantic import BaseModel

    from extractor.core.evidence import Evidence

    class Bed(BaseModel):
        hospital: str
        evidence: Evidence

    class Beds(BaseModel):
        counts: list[Bed] = []
        by_ward: dict[str, list[str]] = {}

    schema = bounded_model(validated_model(Beds), max_items=2, max_chars=40).model_json_schema()
    assert schema["properties"]["counts"]["maxItems"] == 2
    assert schema["$defs"]["Bed"]["properties"]["hospital"]["maxLength"] == 40
    assert schema["properties"]["by_ward"]["additionalProperties"]["maxItems"] == 2


# The request -------------------------------------------------------------------------------
def _request_body(settings: Settings, text: str = "The county hospital has 120 beds.") -> bytes:
    endpoint = FakeEndpoint(
        {"quantities": [{"measure": "beds", "value": 120, "evidence": "The county hospital has 120 beds."}]})
    Extractor(settings, client=endpoint.client()).extract(text)
    assert len(endpoint.raw) == 1
    return endpoint.raw[0]


BASE = dict(provider="llamacpp", base_url="http://127.0.0.1:8765/v1", model="smollm2-135m-instruct-q4_1",
            labels=False, evidence_mode="quote",  # the schema in quote mode, as pydantic writes it: the request
            compact_schema=False)                 # these tests look into


def test_request_is_byte_identical_without_bounds():
    default = _request_body(Settings(**BASE))
    explicit_none = _request_body(Settings(**BASE, max_list_items=None, max_string_chars=None))
    assert default == explicit_none
    assert b"maxItems" not in default and b"maxLength" not in default


def test_request_carries_the_bounds_when_set():
    plain = json.loads(_request_body(Settings(**BASE)))
    bounded = json.loads(_request_body(Settings(**BASE, max_list_items=3, max_string_chars=90)))
    params = bounded["tools"][0]["function"]["parameters"]
    assert params["properties"]["places"]["maxItems"] == 3
    assert params["$defs"]["Quantity"]["properties"]["evidence"]["maxLength"] == 90
    assert bounded["tools"][0]["function"]["name"] == "HealthNewsArticle"
    assert _without_bounds(bounded) == plain  # nothing else in the request changed


def test_local_settings_bound_the_bundled_model_unless_set():
    class _Started:
        base_url = "http://127.0.0.1:1234/v1"
        model_name = "smollm2-135m-instruct-q4_1"

    class _OwnModel(_Started):
        model_name = "qwen2.5-7b-instruct-q4_k_m"

    s = local_settings(Settings(), _Started())
    assert (s.max_list_items, s.max_string_chars) == (BUNDLED_MODEL_BOUNDS["max_list_items"],
                                                      BUNDLED_MODEL_BOUNDS["max_string_chars"])
    kept = local_settings(Settings(max_list_items=7), _Started())
    assert kept.max_list_items == 7 and kept.max_string_chars == BUNDLED_MODEL_BOUNDS["max_string_chars"]
    env = local_settings(Settings.from_env({"EXTRACTOR_MAX_STRING_CHARS": "200"}), _Started())
    assert env.max_string_chars == 200
    own = local_settings(Settings(), _OwnModel())  # --local-model: a capable GGUF keeps its lists
    assert own.max_list_items is None and own.max_string_chars is None
    assert Settings().max_list_items is None and Settings().max_string_chars is None  # off elsewhere


def _unbounded_repetitions(grammar: str) -> list[str]:
    """GBNF rules with ``*`` or ``+`` outside literals and character classes."""
    out = []
    for line in grammar.splitlines():
        body = re.sub(r'"(?:[^"\\]|\\.)*"', '""', line.split("::=", 1)[-1])
        body = re.sub(r"\[(?:[^\]\\]|\\.)*\]", "[]", body)
        if "*" in body or "+" in body:
            out.append(line[:120])
    return out


def test_llama_cpp_grammar_of_the_bounded_schema_is_finite():
    grammar_mod = pytest.importorskip("llama_cpp.llama_grammar", reason=f"needs the [local] extra: {INSTALL_COMMAND}")
    from instructor.processing.function_calls import openai_schema

    def grammar(model):
        return grammar_mod.json_schema_to_gbnf(json.dumps(openai_schema(model).openai_schema["parameters"]))

    plain = validated_model(HealthNewsArticle)
    assert _unbounded_repetitions(grammar(plain))  # the unbounded schema lets a list or string run on
    bounded = bounded_model(plain, max_items=BUNDLED_MODEL_BOUNDS["max_list_items"],
                            max_chars=BUNDLED_MODEL_BOUNDS["max_string_chars"])
    assert _unbounded_repetitions(grammar(bounded)) == []


# The real embedded server -------------------------------------------------------------
@pytest.mark.local_server
@pytest.mark.skipif(not local_available(), reason=f"the [local] extra is not installed: {INSTALL_COMMAND}")
def test_every_seed_ends_ok_on_the_embedded_model(request, tmp_path):
    # Minutes of CPU: only when asked for with -m local_server.
    if "local_server" not in (request.config.getoption("markexpr") or ""):
        pytest.skip("real llama.cpp server: run with  pytest -m local_server")
    from extractor.model.localserver import LocalServer

    assert len(SEED_FILES) == 5, SEED_FILES
    with LocalServer(startup_timeout_s=180) as srv:
        settings = local_settings(Settings(), srv)  # what `extractor run --local` uses
        assert settings.max_list_items and settings.max_string_chars
        records: list = []
        with Extractor(settings) as ex:
            summary = ex.run([str(p) for p in SEED_FILES], out=tmp_path / "out", concurrency=1,
                             on_record=records.append)
    outcomes = {Path(r.source).name: (r.status, r.error_kind, r.error) for r in records}
    assert (summary.ok, summary.failed, summary.exit_code) == (5, 0, 0), outcomes
