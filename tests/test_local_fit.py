"""Chunk size, answer budget and grammar for a local GGUF model (extractor.model.localfit),
and a server's context overflow reported as such, not as a transport failure."""

from __future__ import annotations

import json

import pytest
from fakes import FakeEndpoint, Reply

from extractor import Extractor, Settings
from extractor.core.errors import ConfigurationError, ModelCallError
from extractor.grounding.validation import validated_model
from extractor.model.bounds import AnswerSize, answer_size, bounded_model
from extractor.model.localfit import (
    ANSWER_SHARE,
    CALIBRATION_TEXTS,
    MIN_ANSWER_TOKENS,
    REASK_MESSAGE_TOKENS,
    grammar_problem,
    plan_local_fit,
    text_cost,
)
from extractor.schemas.health_news import HealthNewsArticle
from extractor.text.chunking import estimate_tokens


def chars(text: str) -> int:
    """A SYNTHETIC tokenizer: one token a character."""
    return len(text)


def plan(**kw):
    args = dict(context_tokens=8192, count_tokens=chars, prompt_texts=["s" * 100, "u" * 200], tool_json=None,
                answer=AnswerSize(400, 0, True), max_reasks=0)
    args.update(kw)
    return plan_local_fit(**args)


def test_text_cost_is_the_worst_calibration_sentence():
    per_estimate, per_char = text_cost(chars)
    # One token a character: English (1 estimated token per 4 characters) is the worst.
    en = CALIBRATION_TEXTS["en"]
    assert per_estimate == pytest.approx(len(en) / estimate_tokens(en)) and per_char == 1.0


def test_the_answer_budget_follows_the_schema():
    # The largest bounded answer is small: exactly that much (a grammar cannot exceed it).
    assert plan(answer=AnswerSize(400, 0, True)).answer_tokens == 100
    # Bounded but large: at most a fifth of the context.
    assert plan(answer=AnswerSize(400, 50_000, True)).answer_tokens == 8192 // ANSWER_SHARE
    # Unbounded lists or strings: a fifth of the context.
    assert plan(answer=AnswerSize(400, 300, False)).answer_tokens == 8192 // ANSWER_SHARE
    # ... and it grows with the context.
    assert plan(context_tokens=16384, answer=AnswerSize(400, 300, False)).answer_tokens == 16384 // ANSWER_SHARE
    # A small context's fifth is not less than MIN_ANSWER_TOKENS ...
    assert plan(context_tokens=2000, answer=AnswerSize(400, 5000, False)).answer_tokens == MIN_ANSWER_TOKENS
    # ... unless the grammar's largest answer is smaller still.
    assert plan(context_tokens=2000, answer=AnswerSize(400, 200, True)).answer_tokens == 100 + 200
    # The user's own budget is kept.
    assert plan(answer_tokens=333).answer_tokens == 333


def test_the_room_for_text_is_what_the_request_leaves():
    base = plan(answer_tokens=500)
    with_tools = plan(answer_tokens=500, tool_json="t" * 1000)
    with_reask = plan(answer_tokens=500, max_reasks=1)
    ratio = base.text_ratio * 1.10
    assert with_tools.tool_tokens > 1000 and with_reask.reask_tokens == 500 + REASK_MESSAGE_TOKENS
    assert base.chunk_tokens - with_tools.chunk_tokens == pytest.approx(with_tools.tool_tokens / ratio, abs=1)
    assert base.chunk_tokens - with_reask.chunk_tokens == pytest.approx(with_reask.reask_tokens / ratio, abs=1)
    # Chunks never exceed what Settings.chunk_budget allows for any provider.
    assert plan(context_tokens=1_000_000).chunk_tokens == 12_000


def test_no_room_is_a_configuration_error_that_says_what_takes_it():
    with pytest.raises(ConfigurationError, match=r"context of 2048 tokens leaves no room.*tool schema"):
        plan(context_tokens=2048, tool_json="t" * 1500)


def test_the_built_in_schema_bounded_answer_size():
    bounded = bounded_model(validated_model(HealthNewsArticle), max_items=1, max_chars=60).model_json_schema()
    size = answer_size(bounded, assumed_items=8, assumed_chars=200)
    assert size.bounded and size.text_chars > 0
    # Tighter caps, a smaller answer; without caps, unbounded.
    smaller = answer_size(bounded_model(validated_model(HealthNewsArticle), max_items=1, max_chars=10)
                          .model_json_schema(), assumed_items=8, assumed_chars=200)
    assert smaller.text_chars < size.text_chars
    assert not answer_size(HealthNewsArticle.model_json_schema(), assumed_items=8, assumed_chars=200).bounded


def test_answer_size_of_scalars_enums_and_refs():
    schema = {"$defs": {"P": {"type": "object", "properties": {"k": {"enum": ["aa", "bbbb"]}}}},
              "type": "object", "properties": {"p": {"$ref": "#/$defs/P"}, "n": {"type": ["integer", "null"]},
                                               "s": {"type": "string", "maxLength": 7}}}
    size = answer_size(schema, assumed_items=8, assumed_chars=200)
    # {"p":{"k":"bbbb"},"n":<20 digits>,"s":"<7>"} with a comma allowance per key.
    assert size == AnswerSize(2 + (3 + 2) + (2 + (3 + 2) + 6) + (3 + 2) + 20 + (3 + 2) + 2, 7, True)


# llama.cpp's grammar ---------------------------------------------------------------------
def test_llama_cpp_turns_the_built_in_schema_into_a_grammar():
    pytest.importorskip("llama_cpp.llama_grammar", reason="needs the [local] extra (llama-cpp-python)")
    for caps in ((None, None), (1, 60)):
        model = bounded_model(validated_model(HealthNewsArticle), max_items=caps[0], max_chars=caps[1])
        assert grammar_problem(model.model_json_schema()) is None


def test_a_schema_llama_cpp_cannot_convert_is_named():
    pytest.importorskip("llama_cpp.llama_grammar", reason="needs the [local] extra (llama-cpp-python)")
    problem = grammar_problem({"type": "object", "properties": {"x": {"$ref": "https://example.org/remote.json"}}})
    assert problem is not None and problem  # said, not silently replaced by plain JSON


# A context overflow is not a transport failure ----------------------------------------------
# The body llama-cpp-python's server sends (llama_cpp/server/errors.py, context_length_exceeded).
LLAMA_CPP_OVERFLOW = {"error": {
    "message": "This model's maximum context length is 8192 tokens. However, you requested 9437 tokens "
               "(8925 in the messages, 512 in the completion). Please reduce the length of the messages or completion.",
    "type": "invalid_request_error", "param": "messages", "code": "context_length_exceeded"}}
# vLLM's: no code, the same words.
VLLM_OVERFLOW = {"object": "error", "message": "This model's maximum context length is 4096 tokens. However, you "
                 "requested 5000 tokens in the messages, Please reduce the length of the messages.",
                 "type": "BadRequestError", "param": None, "code": 400}


@pytest.mark.parametrize("body", [LLAMA_CPP_OVERFLOW, VLLM_OVERFLOW], ids=["llama-cpp-python", "vllm"])
def test_a_context_overflow_is_reported_as_such(body):
    endpoint = FakeEndpoint(Reply.json(400, body))
    settings = Settings(provider="llamacpp", base_url="http://127.0.0.1:9/v1", model="m", max_transport_retries=3,
                        max_reasks=2)
    with Extractor(settings, client=endpoint.client()) as ex, pytest.raises(ModelCallError) as info:
        ex.extract("县医院今年新增床位200张。", source="a.txt")
    err = info.value
    assert err.kind == "context" and "does not fit the model's context" in err.last_error
    assert "maximum context length is" in err.last_error  # the server's own numbers, quoted
    assert endpoint.calls == 1  # neither retried as transport nor re-asked


def test_another_400_stays_a_transport_failure():
    endpoint = FakeEndpoint(Reply.json(400, {"error": {"message": "tool_choice must name a tool", "type": "x"}}))
    settings = Settings(provider="llamacpp", base_url="http://127.0.0.1:9/v1", model="m")
    with Extractor(settings, client=endpoint.client()) as ex, pytest.raises(ModelCallError) as info:
        ex.extract("县医院今年新增床位200张。", source="a.txt")
    assert info.value.kind == "transport"
    assert json.dumps("tool_choice must name a tool")[1:-1] in info.value.last_error
