"""The whole pipeline over HTTP, replayed from recordings of a real model server.

The recordings in ``cassettes/test_cassettes/`` come from the embedded llama.cpp server
(SmolLM2-135M) and are re-made by ``python scripts/record_cassettes.py``. That model is
tiny and not deterministic, so these tests assert what the library guarantees —
schema-valid results, every kept fact grounded at a span that holds its evidence,
consistent counts — never the model's words.
"""

from __future__ import annotations

import os

import pytest
from conftest import SEED_FILES
from fakes import QUOTE_MODE

from extractor import Extractor, ModelCallError, Settings
from extractor.schemas.health_news import HealthNewsArticle
from extractor.text.textnorm import fold_text

pytestmark = [pytest.mark.vcr, pytest.mark.cassette]

# During replay the host does not matter (cassettes match on method, path and body);
# the model name is part of the body, so it must be the alias the recording used.
BASE_URL = os.environ.get("EXTRACTOR_RECORD_BASE_URL", "http://127.0.0.1:8765/v1")
MODEL = os.environ.get("EXTRACTOR_RECORD_MODEL", "smollm2-135m-instruct-q4_1")


def local_settings(**kw) -> Settings:
    # Recorded in quote mode with prompt default v2 and the full JSON schema: the request bodies must be
    # the same to replay.
    base = dict(provider="llamacpp", base_url=BASE_URL, model=MODEL, max_reasks=1, max_output_tokens=384,
                max_transport_retries=0, timeout_s=600, prompt="default.v2", compact_schema=False,
                **QUOTE_MODE)
    base.update(kw)
    return Settings(**base)


def extract_or_error(settings: Settings, text: str, source: str):
    """The result, or the library's own error when the tiny model never produced a
    schema-valid answer (it loops until max_output_tokens now and then)."""
    with Extractor(settings) as ex:
        try:
            return ex.extract(text, source=source)
        except ModelCallError as exc:
            assert_clean_failure(exc, settings)
            return None


def assert_clean_failure(exc: ModelCallError, settings: Settings) -> None:
    assert exc.kind in ("validation", "empty", "refusal"), exc
    assert 1 <= exc.attempts <= (settings.max_reasks + 1) * (settings.max_transport_retries + 1)
    assert exc.model == MODEL and exc.kind in str(exc) and exc.last_error


def assert_guarantees(result, text: str) -> None:
    assert isinstance(result.data, HealthNewsArticle)
    HealthNewsArticle.model_validate(result.data.model_dump())  # schema-valid
    assert result.model == MODEL and result.provider == "llamacpp"
    for fact in result.facts:
        assert fact.grounded and fact.span is not None and fact.alignment in ("exact", "fuzzy")
        quoted = text[fact.span.start : fact.span.end]
        if fact.alignment == "exact":
            assert fold_text(quoted) == fold_text(fact.evidence)
        assert fact.span in fact.spans or fact.alignment == "fuzzy"
    u = result.usage
    assert u.calls == result.document.chunks >= 1
    assert u.requests == u.calls + u.reasks + u.transport_retries
    assert u.prompt_tokens > 0 and u.total_tokens >= u.prompt_tokens
    s = result.stats
    assert s.total == s.exact + s.fuzzy + s.ungrounded
    assert s.ungrounded == s.dropped + s.flagged
    assert len(result.facts) == s.exact + s.fuzzy + s.flagged - s.merged_duplicates


@pytest.mark.parametrize("path", SEED_FILES, ids=[p.name[:3] for p in SEED_FILES])
def test_seed_extraction_replayed(path):
    text = path.read_text(encoding="utf-8")
    result = extract_or_error(local_settings(), text, path.name)
    if result is None:
        return
    assert_guarantees(result, text)
    assert result.document.source == path.name
    assert result.document.cleaned_chars < result.document.chars  # boilerplate went, not to the model


async def test_async_extraction_replayed():
    path = SEED_FILES[3]
    text = path.read_text(encoding="utf-8")
    settings = local_settings()
    ex = Extractor(settings)
    try:
        result = await ex.aextract(text, source=path.name)
    except ModelCallError as exc:
        assert_clean_failure(exc, settings)
        return
    finally:
        await ex.aclose()
    assert_guarantees(result, text)


def test_flag_policy_keeps_ungrounded_but_never_as_grounded():
    path = SEED_FILES[2]
    text = path.read_text(encoding="utf-8")
    result = extract_or_error(local_settings(ungrounded="flag", max_reasks=0), text, path.name)
    if result is None:
        return
    for fact in result.facts:
        assert fact.grounded == (fact.alignment != "none")
        if not fact.grounded:
            assert fact.span is None and "ungrounded" in fact.flags


# --------------------------------------------------------------------------- label mode

def label_settings(**kw) -> Settings:
    """As ``--local`` asks the bundled model in label mode: mention ids held to the article's
    own by the grammar, lists and strings bounded, sizes fixed so that replays match."""
    base = dict(provider="llamacpp", base_url=BASE_URL, model=MODEL, max_reasks=1, max_output_tokens=512,
                max_transport_retries=0, timeout_s=900, chunk_tokens=1800, grammar_ids=True, max_list_items=3,
                max_string_chars=60, compact_schema=False)  # the schema as it was recorded
    base.update(kw)
    return Settings(**base)


def assert_label_guarantees(result, text: str) -> None:
    """What label mode guarantees whatever the model says: every number is its mention's
    reading, every evidence is the article's own text at its span, no quote is re-asked."""
    by_id = {m.id: m for m in result.mentions}
    for fact in result.facts:
        assert fact.grounded and text[fact.span.start:fact.span.end] == fact.evidence
        if fact.type in ("quantity", "money"):
            mention = by_id[fact.mentions["mention"]]
            value = fact.data["value" if fact.type == "quantity" else "amount"]
            assert (value, fact.data["qualifier"]) == (float(mention.value), mention.qualifier)
            assert fact.span.start <= mention.start and mention.end <= fact.span.end
    u = result.usage
    assert u.requests == u.calls + u.reasks + u.transport_retries


@pytest.mark.parametrize("path", SEED_FILES, ids=[p.name[:3] for p in SEED_FILES])
def test_label_mode_seed_replayed(path):
    text = path.read_text(encoding="utf-8")
    result = extract_or_error(label_settings(), text, path.name)
    if result is None:
        return
    assert_label_guarantees(result, text)
