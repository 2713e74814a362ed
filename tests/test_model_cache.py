"""instructor's per-schema work is done once (extractor/model/prepared.py), and nothing changes on the wire.

Fails loudly when an instructor (or pydantic/openai) upgrade stops taking the cached path
(wraps our class again, recomputes the JSON schema per request, walks the model per
request) or sends anything different from instructor's own uncached path, byte for byte.
Model answers are SYNTHETIC (tests/fakes.py's FakeEndpoint, in process).
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import instructor
import pytest
from fakes import QUOTE_MODE, FakeEndpoint

from extractor import Extractor, Settings
from extractor.grounding.validation import checking_quotes
from extractor.model.compact import compact_schema
from extractor.model.prepared import CACHE_STATS, prepared_response_model

ARTICLE = "Kermanshah county hospital performed 1,200 surgeries last year, the provincial health office said."
QUOTE = "Kermanshah county hospital performed 1,200 surgeries last year"
GOOD = {"organisations": [{"name": "Kermanshah county hospital", "kind": "hospital", "evidence": QUOTE}],
        "quantities": [{"measure": "surgeries performed", "value": 1200, "unit": "operation", "evidence": QUOTE}]}
BAD_QUOTE = json.loads(json.dumps(GOOD))
BAD_QUOTE["quantities"][0]["evidence"] = "The hospital carried out 1200 operations"
BAD_SCHEMA = json.loads(json.dumps(GOOD))
BAD_SCHEMA["quantities"][0]["value"] = "twelve hundred"
SCRIPTS = {"good": [GOOD], "reask_quote": [BAD_QUOTE, GOOD], "reask_schema": [BAD_SCHEMA, GOOD]}
MODES = ("tools", "json_schema", "json", "md_json")
INSTRUCTOR_MODES = {"tools": instructor.Mode.TOOLS, "json_schema": instructor.Mode.JSON_SCHEMA,
                    "json": instructor.Mode.JSON, "md_json": instructor.Mode.MD_JSON}


def recorder(mode: str, script: list[dict]) -> FakeEndpoint:
    """Answers with the SYNTHETIC script in turn (over and over); ``.raw``: the bytes of every request."""
    return FakeEndpoint(script=script, cycle=True, mode=mode)


def extractor_for(mode: str, rec: FakeEndpoint, *, compact: bool = True) -> Extractor:
    return Extractor(Settings(provider="openai", model="gpt-test", api_key="sk-test", mode=mode, compact_schema=compact,
                              **QUOTE_MODE),
                     client=rec.client(api_key="sk-test"), async_client=rec.async_client(api_key="sk-test"))


def as_instructor_is_given(rm: Any, compact: bool) -> Any:
    """The model to hand instructor's own path: ``rm`` itself, or (compact) ``rm`` whose JSON
    schema is :func:`compact_schema` of its own — everything else is instructor's doing."""
    if not compact:
        return rm
    full = rm.model_json_schema

    class Compact(rm):  # type: ignore[misc, valid-type]
        @classmethod
        def model_json_schema(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
            return compact_schema(full(*args, **kwargs))

    Compact.__name__ = Compact.__qualname__ = rm.__name__
    return Compact


def call_args(ex: Extractor, article: str = ARTICLE) -> tuple[list, Any, dict]:
    prepared = ex.pipeline.prepare(article)
    return list(prepared.messages[0]), ex.pipeline.response_model, ex.pipeline._context(prepared, prepared.chunks[0])


def instructor_uncached(mode: str, script: list[dict], msgs: list, rm: Any, ctx: dict, kind: str) -> tuple:
    """instructor's own path: the unprepared model, a plain patched client, nothing cached."""
    rec = recorder(mode, script)
    m = INSTRUCTOR_MODES[mode]
    kw = dict(messages=msgs, response_model=rm, max_retries=2, strict=False, model="gpt-test", temperature=0.0,
              max_tokens=4096)
    with checking_quotes(ctx):
        if kind == "sync":
            c = rec.client(api_key="sk-test")
            out = instructor.Instructor(client=c, create=instructor.patch(create=c.chat.completions.create, mode=m),
                                        mode=m).chat.completions.create(**kw)
        else:
            c = rec.async_client(api_key="sk-test")
            patched = instructor.AsyncInstructor(client=c, create=instructor.patch(create=c.chat.completions.create,
                                                                                   mode=m), mode=m)
            out = asyncio.run(patched.chat.completions.create(**kw))
    return rec.raw, out


@pytest.mark.parametrize("compact", [True, False], ids=["compact", "full"])
@pytest.mark.parametrize("kind", ["sync", "async"])
@pytest.mark.parametrize("scenario", sorted(SCRIPTS))
@pytest.mark.parametrize("mode", MODES)
def test_cached_path_sends_exactly_what_instructor_sends(mode, scenario, kind, compact):
    rec = recorder(mode, SCRIPTS[scenario])
    ex = extractor_for(mode, rec, compact=compact)
    msgs, rm, ctx = call_args(ex)
    for _ in range(3):  # the later calls are served from the caches
        rec.clear()
        client = ex.pipeline.model_client
        out = client.call(msgs, rm, context=ctx) if kind == "sync" else asyncio.run(client.acall(msgs, rm, context=ctx))
        ref_bodies, ref = instructor_uncached(mode, SCRIPTS[scenario], msgs, as_instructor_is_given(rm, compact), ctx,
                                              kind)
        assert rec.raw == ref_bodies  # the bytes sent, every attempt, re-asks included
        assert len(rec.raw) == len(SCRIPTS[scenario])
        assert out.data.model_dump() == ref.model_dump()
        # instructor did not wrap our class again
        assert type(out.data) is prepared_response_model(rm, compact=compact)


def test_the_caches_are_hit_and_nothing_is_recomputed():
    rec = recorder("json_schema", [GOOD])  # the mode that asks model_json_schema on every request
    ex = extractor_for("json_schema", rec)
    msgs, rm, ctx = call_args(ex)
    ex.pipeline.model_client.call(msgs, rm, context=ctx)
    before, hits = dict(CACHE_STATS), prepared_response_model.cache_info().hits
    for _ in range(20):
        ex.pipeline.model_client.call(msgs, rm, context=ctx)
    assert prepared_response_model.cache_info().hits - hits == 20
    assert CACHE_STATS["schema_computed"] == before.get("schema_computed", 0), "the JSON schema was made again"
    assert CACHE_STATS["schema_served"] - before.get("schema_served", 0) >= 20, "instructor stopped asking our memo"
    assert CACHE_STATS["walks_skipped"] - before.get("walks_skipped", 0) >= 20, "async-validator walks came back"
    assert CACHE_STATS["walks_run"] == before.get("walks_run", 0)


def test_tools_mode_bodies_equal_instructor_with_its_own_context_templating():
    """In the modes that carry the schema outside the messages, not handing instructor a
    context changes nothing on the wire even for an ordinary article."""
    for mode in ("tools", "json_schema"):
        rec = recorder(mode, [GOOD])
        ex = extractor_for(mode, rec)
        msgs, rm, ctx = call_args(ex)
        ex.pipeline.model_client.call(msgs, rm, context=ctx)
        ref = recorder(mode, [GOOD])
        c = ref.client(api_key="sk-test")
        m = INSTRUCTOR_MODES[mode]
        rm = as_instructor_is_given(rm, compact=True)
        instructor.Instructor(client=c, create=instructor.patch(create=c.chat.completions.create, mode=m),
                              mode=m).chat.completions.create(messages=msgs, response_model=rm, max_retries=2,
                                                              context=ctx, strict=False, model="gpt-test",
                                                              temperature=0.0, max_tokens=4096)
        assert rec.raw == ref.raw


@pytest.mark.parametrize("mode", MODES)
def test_an_article_with_template_syntax_is_sent_as_written(mode):
    """instructor renders messages as Jinja templates when given a context: ``{%`` used to
    raise before any request and ``{{ x }}`` was replaced. The article must go as written."""
    article = "Clinic {{ name }} opened {% raw %} 1,200 beds {# note #} {%- endif %} in 2024."
    rec = recorder(mode, [{"quantities": [{"measure": "beds", "value": 1200,
                                           "evidence": "opened {% raw %} 1,200 beds"}]}])
    ex = extractor_for(mode, rec)
    result = ex.extract(article)
    sent = json.loads(rec.raw[0])["messages"][-1]["content"]
    assert "{{ name }}" in sent and "{% raw %}" in sent and "{%- endif %}" in sent
    assert result.facts_of("quantity")[0].grounded


def test_the_sdks_own_clients_take_the_direct_path():
    """An openai upgrade that renames or restructures the clients would silently send every
    request through ``create`` again (per-call schema work); this says so instead."""
    import openai

    from extractor.model.client import _posts_like_the_sdk

    for kind in (openai.OpenAI, openai.AsyncOpenAI):
        client = kind(api_key="sk-test", base_url="http://127.0.0.1:9/v1")
        assert _posts_like_the_sdk(client) and _posts_like_the_sdk(client.with_options(max_retries=0))
