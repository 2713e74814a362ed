"""The single-article pipeline driven by synthetic model answers (named synthetic_*).

Each test scripts what an OpenAI-compatible server answers (tests/fakes.py, in process),
sends the request through the real openai client and instructor, and checks what the
library guarantees.
"""

from __future__ import annotations

import time

import pytest
from conftest import seed_text
from fakes import QUOTE_MODE, FakeEndpoint, Reply, completion

from extractor import Extractor, ExtractorError, ModelCallError, Settings, aextract, extract
from extractor.core.errors import ConfigurationError
from extractor.text.textnorm import fold_text

SEED_003 = seed_text("003")
SEED_002 = seed_text("002")
SEED_000 = seed_text("000")


def settings(**kw) -> Settings:
    base = dict(provider="openai", model="synthetic-model", api_key="sk-test-synthetic", backoff_initial_s=0.01,
                **QUOTE_MODE)
    base.update(kw)
    return Settings(**base)


def synthetic_aid_answer(*, bad_quote: bool = False, mis_scaled: bool = True) -> dict:
    """An answer for seed 003: one mis-scaled investment, one hallucinated quote (optional)."""
    quantities = [
        {"measure": "village clinics covered", "value": 197, "unit": "clinic", "qualifier": "exact",
         "evidence": "14個鄉鎮衛生院和197個村(社區)衛生室實現了全覆蓋"},
    ]
    if bad_quote:
        quantities.append({"measure": "surgeries", "value": 1000000, "evidence": "performed 1,000,000 surgeries"})
    return {
        "article": {"title": "山東援疆推動優質醫療資源下沉", "language": "zh-Hant"},
        "money": [
            {"amount": 500 if mis_scaled else 5000000, "currency": "CNY", "qualifier": "exact",
             "purpose": "upgrade township health centres", "evidence": "濟寧援疆指揮部投入援疆資金500余萬元"},
        ],
        "quantities": quantities,
        "places": [{"name": "英吉沙縣", "level": "county", "evidence": "喀什地區英吉沙縣"}],
    }


def test_extract_grounds_corrects_and_counts():
    server = FakeEndpoint(script=[synthetic_aid_answer()])
    result = Extractor(settings(), client=server.client()).extract(SEED_003)

    assert result.usage.requests == 1 and result.usage.reasks == 0 and result.usage.transport_retries == 0
    assert result.usage.prompt_tokens == 100 and result.usage.completion_tokens == 20
    assert {f.type for f in result.facts} == {"money", "quantity", "place"}
    for fact in result.facts:
        assert fact.grounded and fact.alignment == "exact"
        assert fold_text(SEED_003[fact.span.start : fact.span.end]) == fold_text(fact.evidence)
    money = result.facts_of("money")[0]
    # 500 → 5,000,000 and 'exact' → 'more_than', both read from the evidence (500余萬元).
    assert money.data["amount"] == 5_000_000
    assert money.data["qualifier"] == "more_than"
    assert {c.field for c in money.corrections} == {"amount", "qualifier"}
    assert result.data.money[0].amount == 5_000_000
    assert result.stats.corrected == 1
    assert result.schema_name == "health_news" and result.schema_version and result.prompt_version
    # The request really went out in tools mode with the article fenced as data.
    request = server.requests[0]
    assert request["tool_choice"]["function"]["name"] == "HealthNewsArticle"
    user = request["messages"][-1]["content"]
    assert "ARTICLE-" in user and "濟寧援疆指揮部" in user


def test_reask_after_bad_quote_then_success():
    server = FakeEndpoint(script=[
        synthetic_aid_answer(bad_quote=True),
        synthetic_aid_answer(bad_quote=False),
    ])
    result = Extractor(settings(max_reasks=2), client=server.client()).extract(SEED_003)
    assert result.usage.requests == 2 and result.usage.reasks == 1
    assert result.usage.prompt_tokens == 200  # both attempts counted
    # The re-ask told the model which quote was wrong.
    reask_text = str(server.requests[1]["messages"])
    assert "performed 1,000,000 surgeries" in reask_text and "does not occur in the article" in reask_text
    assert all(f.grounded for f in result.facts)
    assert not any(f.data.get("value") == 1000000 for f in result.facts)


def test_persistent_bad_quote_is_dropped_not_fatal():
    answers = [synthetic_aid_answer(bad_quote=True) for _ in range(2)]
    result = Extractor(settings(max_reasks=1), client=FakeEndpoint(script=answers).client()).extract(SEED_003)
    assert result.usage.requests == 2 and result.usage.reasks == 1
    assert result.stats.dropped == 1 and result.stats.ungrounded == 1
    assert all(f.grounded for f in result.facts)
    assert len(result.data.quantities) == 1
    assert any("quotes not found" in w for w in result.warnings)


def test_ungrounded_kept_flagged_when_asked():
    answers = [synthetic_aid_answer(bad_quote=True)]
    s = settings(max_reasks=0, ungrounded="flag")
    result = Extractor(s, client=FakeEndpoint(script=answers).client()).extract(SEED_003)
    flagged = [f for f in result.facts if not f.grounded]
    assert len(flagged) == 1
    assert flagged[0].span is None and flagged[0].alignment == "none" and "ungrounded" in flagged[0].flags
    assert result.stats.flagged == 1 and result.stats.dropped == 0


def test_rate_limit_retry_after_is_honoured():
    server = FakeEndpoint(script=[
        (429, {"error": {"message": "slow down", "type": "rate_limit"}}, {"retry-after": "1"}),
        (503, {"error": {"message": "overloaded"}}),
        synthetic_aid_answer(mis_scaled=False),
    ])
    start = time.monotonic()
    result = Extractor(settings(), client=server.client()).extract(SEED_003)
    assert time.monotonic() - start >= 1.0
    assert result.usage.transport_retries == 2 and result.usage.requests == 3 and result.usage.reasks == 0


def test_transport_budget_exhausted_raises_library_error():
    server = FakeEndpoint(script=[(500, {"error": {"message": "boom"}}) for _ in range(3)])
    with pytest.raises(ModelCallError) as info:
        Extractor(settings(max_transport_retries=2), client=server.client()).extract(SEED_003)
    err = info.value
    assert err.kind == "transport" and err.attempts == 3
    assert "boom" in str(err) and "3 attempts" in str(err)


def test_schema_invalid_every_time_is_a_validation_error():
    broken = ['{"money": [{"amount": "lots"' for _ in range(3)]
    with pytest.raises(ModelCallError) as info:
        Extractor(settings(max_reasks=2), client=FakeEndpoint(script=broken).client()).extract(SEED_003)
    assert info.value.kind == "validation" and info.value.attempts == 3


def test_refusal_and_empty_choices():
    refusal = completion(None, content=None, refusal="I can't help with that.")
    with pytest.raises(ModelCallError) as info:
        Extractor(settings(max_reasks=0), client=FakeEndpoint(script=[(200, refusal)]).client()).extract(SEED_003)
    assert info.value.kind == "refusal" and "can't help" in str(info.value)

    empty = completion(None, choices=False)
    with pytest.raises(ModelCallError) as info:
        Extractor(settings(), client=FakeEndpoint(script=[(200, empty)]).client()).extract(SEED_003)
    assert info.value.kind == "empty"


def test_raw_control_characters_from_local_grammar_are_repaired():
    raw = '{"places": [{"name": "英吉沙縣\t", "level": "county", "evidence": "喀什地區英吉沙縣"}]}'
    raw = raw.replace("\\t", "\t")
    result = Extractor(settings(), client=FakeEndpoint(script=[raw]).client()).extract(SEED_003)
    assert result.usage.reasks == 0 and len(result.facts) == 1


def test_spans_point_into_original_text_with_pinyin():
    # The model quotes without the inline pinyin the page carries.
    answer = {"people": [{"name": "李明清", "role": "心血管内科主任", "evidence": "心血管內科主任李明清在培訓中"}],
              "events": [{"kind": "meeting", "date": "1月22日", "evidence": "1月22日,道縣人民醫院醫共體總院召開2024年度醫共體建設工作總結"}]}
    result = Extractor(settings(), client=FakeEndpoint(script=[answer]).client()).extract(SEED_002)
    assert len(result.facts) == 2
    event = result.facts_of("event")[0]
    original = SEED_002[event.span.start : event.span.end]
    assert "醫(yī)院" in original  # the span covers the pinyin the model left out
    assert fold_text(original) == fold_text(event.evidence)


def test_fact_stated_twice_appears_once_with_both_spans():
    quote = "۱۲ هزار عمل جراحی"
    fact = {"measure": "surgeries", "value": 12000, "qualifier": "exact", "evidence": quote}
    answer = {"quantities": [fact, dict(fact)]}
    result = Extractor(settings(), client=FakeEndpoint(script=[answer]).client()).extract(SEED_000)
    facts = result.facts_of("quantity")
    assert len(facts) == 1 and len(result.data.quantities) == 1
    assert len(facts[0].spans) == SEED_000.count(quote) >= 2
    assert result.stats.merged_duplicates == 1


def test_custom_schema_from_file_gets_grounding(tmp_path):
    schema_file = tmp_path / "beds.py"
    schema_file.write_text(
        "from pydantic import BaseModel\n"
        "from extractor.core.evidence import Evidence, CheckedNumber\n"
        "class Claim(BaseModel):\n    beds: CheckedNumber\n    quote: Evidence\n"
        "class BedReport(BaseModel):\n    claims: list[Claim] = []\n",
        encoding="utf-8",
    )
    answer = {"claims": [{"beds": 0.7, "quote": "ضریب اشغال تخت در بیمارستانهای این مدیریت ۷۰ درصد است"},
                         {"beds": 5, "quote": "invented"}]}
    server = FakeEndpoint(script=[answer] * 2)
    result = Extractor(settings(max_reasks=1), schema=f"{schema_file}:BedReport", client=server.client()).extract(SEED_000)
    assert [f.type for f in result.facts] == ["claim"]
    assert result.facts[0].grounded and result.facts[0].data["beds"] == 0.7  # 0.7 == 70 % is the same statement
    assert result.schema_name == "BedReport"


async def test_async_extract_with_own_client():
    server = FakeEndpoint(script=[
        (429, {"error": {"message": "slow"}}, {"retry-after-ms": "50"}),
        synthetic_aid_answer(),
    ])
    result = await aextract(SEED_003, settings=settings(), client=server.async_client())
    assert result.usage.transport_retries == 1 and result.facts_of("money")[0].data["amount"] == 5_000_000


def test_missing_key_is_one_clear_line(monkeypatch):
    for var in ("EXTRACTOR_API_KEY", "OPENAI_API_KEY", "EXTRACTOR_BASE_URL", "EXTRACTOR_PROVIDER"):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(ConfigurationError) as info:
        extract("some text", provider="openai")
    assert "EXTRACTOR_API_KEY" in str(info.value) and "\n" not in str(info.value)
    assert isinstance(info.value, ExtractorError)


def test_unreachable_endpoint_is_clear():
    s = Settings(provider="llamacpp", base_url="http://127.0.0.1:9/v1", model="m", max_transport_retries=1,
                 backoff_initial_s=0.01, timeout_s=2)
    with pytest.raises(ModelCallError) as info:
        extract("道縣人民醫院召開會議。", settings=s)
    assert info.value.kind == "transport" and "127.0.0.1:9" in str(info.value)


def test_result_round_trips_as_json():
    result = Extractor(settings(), client=FakeEndpoint(script=[synthetic_aid_answer()]).client()).extract(SEED_003)
    again = type(result).model_validate_json(result.model_dump_json())
    assert again.facts == result.facts and again.data["money"][0]["amount"] == 5_000_000


def synthetic_per_chunk_answer(body: dict) -> dict:
    """Answers each chunk with one fact per sentence of that chunk, so that the
    sentences in the overlap between two chunks are reported twice."""
    import re as _re

    user = body["messages"][-1]["content"]
    article = _re.search(r"BEGIN\n(.*)\nARTICLE-", user, _re.S).group(1)
    sentences = [x.strip() for x in _re.findall(r"[^。\n]+。", article)]
    return {"organisations": [{"name": "中心卫生院", "kind": "township_health_centre", "evidence": x}
                              for x in sentences]}


def test_long_article_is_chunked_and_merged():
    sentences = [f"第{i}家中心卫生院今年完成门诊{i * 100}人次。" for i in range(1, 121)]
    text = "\n".join(sentences)
    server = FakeEndpoint(script=[synthetic_per_chunk_answer] * 40)
    s = settings(chunk_tokens=300, chunk_overlap_tokens=60)
    result = Extractor(s, client=server.client()).extract(text)
    n_chunks = result.document.chunks
    assert n_chunks > 3 and result.usage.calls == n_chunks == len(server.requests)
    # Every sentence once, at its own place in the original text, in order.
    assert [text[f.span.start:f.span.end] for f in result.facts] == sentences
    assert all(f.grounded and f.spans == [f.span] for f in result.facts)
    assert {f.chunk for f in result.facts} <= set(range(n_chunks))
    # The overlap's sentences were reported by two chunks and merged into one fact.
    reported = result.stats.total
    assert reported > len(sentences) and result.stats.merged_duplicates == reported - len(sentences)
    assert len(result.data.organisations) == len(sentences)


def test_relative_dates_resolved_against_publication_date():
    answer = {"quantities": [{"measure": "surgeries", "value": 12000, "period": "در سال گذشته",
                              "evidence": "در سال گذشته ۱۲ هزار عمل جراحی در بیمارستانهای مدیریت درمان تامین اجتماعی استان انجام شده است"}]}
    dated = "تاریخ انتشار: 2024-03-07\n" + SEED_000
    result = Extractor(settings(), client=FakeEndpoint(script=[answer] * 2).client()).extract(dated)
    period = result.facts[0].dates["period"]
    assert period.calendar == "solar_hijri" and period.resolved
    assert (period.start, period.end) == ("2022-03-21", "2023-03-20")
    # Without a publication date the same words stay unresolved rather than guessed.
    result = Extractor(settings(), client=FakeEndpoint(script=[answer]).client()).extract(SEED_000)
    assert result.facts[0].dates["period"].resolved is False


def test_same_numbers_in_different_sentences_stay_two_facts():
    text = "Hospital A has 100 beds. Hospital B has 100 beds."
    q = {"measure": "beds", "value": 100, "unit": "bed"}
    answer = {"quantities": [{**q, "evidence": "Hospital A has 100 beds"}, {**q, "evidence": "Hospital B has 100 beds"}]}
    result = Extractor(settings(), client=FakeEndpoint(script=[answer]).client()).extract(text)
    assert [f.span.start for f in result.facts] == [0, 25] and result.stats.merged_duplicates == 0


class _Person(__import__("pydantic").BaseModel):
    name: str
    evidence: str


class _Org(__import__("pydantic").BaseModel):
    name: str
    evidence: str
    people: list[_Person] = []


class _Orgs(__import__("pydantic").BaseModel):
    orgs: list[_Org] = []
    by_year: dict[int, list[_Person]] = {}


def test_drops_and_duplicates_in_nested_lists_and_int_keyed_dicts():
    text = "Red Cross hospital opened. Dr Li spoke. Dr Wang spoke."
    li = {"name": "Li", "evidence": "Dr Li spoke"}
    answer = {
        "orgs": [
            {"name": "Ghost", "evidence": "invented org", "people": [li]},  # dropped with its child
            {"name": "Red", "evidence": "Red Cross hospital opened", "people": [li]},  # Li survives here
        ],
        "by_year": {"2020": [{"name": "Wang", "evidence": "Dr Wang spoke"}, {"name": "X", "evidence": "not there"}]},
    }
    server = FakeEndpoint(script=[answer])
    result = Extractor(settings(max_reasks=0), schema=_Orgs, client=server.client()).extract(text)
    data = result.data
    assert [o.name for o in data.orgs] == ["Red"] and [p.name for p in data.orgs[0].people] == ["Li"]
    assert [p.name for p in data.by_year[2020]] == ["Wang"]
    assert result.stats.dropped == 2 and result.stats.merged_duplicates == 0
    assert sorted(f.path for f in result.facts) == ["by_year.2020[0]", "orgs[0]", "orgs[0].people[0]"]


async def test_failed_chunk_cancels_the_other_chunk_requests():
    import asyncio as _asyncio

    import httpx2
    import openai

    started, finished = [], []

    def answer(body):
        n = len(started)
        started.append(n)
        if n == 0:
            return 400, {"error": {"message": "bad request"}}
        # Answered after 2 s, unless the request is cancelled first.
        return Reply.json(200, completion({}), delay=2, after=lambda: finished.append(n))

    server = FakeEndpoint(answer)
    client = openai.AsyncOpenAI(api_key="sk-test-synthetic", base_url="http://synthetic.test/v1",
                                http_client=httpx2.AsyncClient(transport=server.transport()))
    text = "\n".join(f"第{i}家中心卫生院今年完成门诊{i * 100}人次。" for i in range(1, 80))
    ex = Extractor(settings(chunk_tokens=300, chunk_overlap_tokens=0), async_client=client)
    with pytest.raises(ModelCallError):
        await ex.aextract(text)
    await _asyncio.sleep(0.1)
    assert len(started) > 1 and finished == []


def test_own_client_retries_do_not_nest_inside_ours():
    import httpx2
    import openai

    server = FakeEndpoint(script=[(500, {"error": {"message": "x"}}), (500, {"error": {"message": "y"}}),
                                  synthetic_aid_answer()])
    client = openai.OpenAI(api_key="sk-test-synthetic", base_url="http://synthetic.test/v1", max_retries=5,
                           http_client=httpx2.Client(transport=server.transport()))
    result = Extractor(settings(max_transport_retries=2), client=client).extract(SEED_003)
    assert result.usage.requests == 3 == len(server.requests) and result.usage.transport_retries == 2


def test_an_applications_client_stays_open_after_the_extractor_closes():
    import httpx2
    import openai

    server = FakeEndpoint(script=[synthetic_aid_answer()])
    http = httpx2.Client(transport=server.transport())
    client = openai.OpenAI(api_key="sk-test-synthetic", base_url="http://synthetic.test/v1", http_client=http)
    ex = Extractor(settings(), client=client)
    ex.extract(SEED_003)
    ex.close()
    assert not http.is_closed and not client.is_closed()


def test_an_instrumented_client_is_called_through_its_own_create(monkeypatch):
    """Tracing libraries wrap ``Completions.create``; posting the body ourselves would bypass them."""
    import httpx2
    import openai
    from openai.resources.chat.completions import Completions

    seen = []
    original = Completions.create

    def traced(self, *args, **kwargs):
        seen.append(kwargs.get("model"))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Completions, "create", traced)
    for kind in (openai.OpenAI, type("TracingOpenAI", (openai.OpenAI,), {})):
        server = FakeEndpoint(script=[synthetic_aid_answer()])
        client = kind(api_key="sk-test-synthetic", base_url="http://synthetic.test/v1",
                      http_client=httpx2.Client(transport=server.transport()))
        result = Extractor(settings(), client=client).extract(SEED_003)
        assert result.facts_of("money")
    assert seen == ["synthetic-model", "synthetic-model"]


def test_a_client_wrapped_on_the_object_keeps_its_wrapper(monkeypatch):
    """LangSmith's wrap_openai and similar replace ``create`` on the client object; a
    ``functools.wraps`` wrapper on the class copies the SDK's module name. Both are seen."""
    import functools

    import httpx2
    import openai
    from openai.resources.chat.completions import Completions

    server = FakeEndpoint(script=[synthetic_aid_answer(), synthetic_aid_answer()])
    client = openai.OpenAI(api_key="sk-test-synthetic", base_url="http://synthetic.test/v1", max_retries=0,
                           http_client=httpx2.Client(transport=server.transport()))
    seen = []
    original = client.chat.completions.create

    def traced(*args, **kwargs):
        seen.append("instance")
        return original(*args, **kwargs)

    client.chat.completions.create = traced
    assert Extractor(settings(), client=client).extract(SEED_003).facts_of("money")
    assert seen == ["instance"]

    plain = openai.OpenAI(api_key="sk-test-synthetic", base_url="http://synthetic.test/v1",
                          http_client=httpx2.Client(transport=server.transport()))
    class_create = Completions.create

    @functools.wraps(class_create)
    def traced_class(self, *args, **kwargs):
        seen.append("class")
        return class_create(self, *args, **kwargs)

    monkeypatch.setattr(Completions, "create", traced_class)
    assert Extractor(settings(), client=plain).extract(SEED_003).facts_of("money")
    assert seen == ["instance", "class"]


def test_transport_retries_are_counted_and_logged_once_per_retry(caplog):
    import httpx2
    import openai

    server = FakeEndpoint(script=[(503, {"error": {"message": "busy"}})] * 3)
    client = openai.OpenAI(api_key="sk-test-synthetic", base_url="http://synthetic.test/v1",
                           http_client=httpx2.Client(transport=server.transport()))
    with pytest.raises(ModelCallError) as info:
        Extractor(settings(max_transport_retries=2), client=client).extract(SEED_003)
    assert len(server.requests) == 3 and info.value.attempts == 3
    # Two waits happened; the third failure ends the call and must not announce a retry.
    assert len([r for r in caplog.records if "retrying in" in r.getMessage()]) == 2


def test_an_unreachable_endpoint_is_named_without_its_credentials():
    with pytest.raises(ModelCallError) as info:
        Extractor(settings(max_transport_retries=0, timeout_s=2,
                           base_url="http://analyst:hunter2@127.0.0.1:9/v1")).extract(SEED_003)
    assert "127.0.0.1:9" in str(info.value) and "hunter2" not in str(info.value)
