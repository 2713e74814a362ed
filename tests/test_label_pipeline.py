"""Label mode through the whole pipeline: the model names mentions and cites sentences; the
readers give every value, qualifier, unit, evidence and span (SYNTHETIC answers, in process)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import SEED_FILES, seed_text
from fakes import FakeEndpoint, article_of, quote_article_answer

from extractor import Extractor, Settings
from extractor.text.textnorm import fold_text


def settings(**kw) -> Settings:
    return Settings(**{"provider": "openai", "model": "synthetic-model", "api_key": "sk-test-synthetic",
                       "max_reasks": 1, **kw})


def synthetic_label_answer_003(body: dict) -> dict:
    """SYNTHETIC answer for seed 003 in label form: ids, labels and sentence ids only (read off
    the marked text, as a model would)."""
    shown = article_of(body) or ""
    assert "⟦M1⟧500余萬元" in shown and "[S5]" in shown  # the model sees the marks it must use
    clinics = re.search(r"⟦(Q\d+)⟧197個", shown).group(1)
    county = re.search(r"\[(S\d+)\] [^\[]*英吉沙縣", shown).group(1)
    return {
        "money": [{"mention": "M1", "purpose": "upgrade township health centres", "payer": "濟寧援疆指揮部"}],
        "quantities": [{"mention": clinics, "measure": "village clinics covered"}],
        "places": [{"name": "英吉沙縣", "level": "county", "evidence": [county]}],
    }


def test_values_come_from_the_readers_and_evidence_from_the_sentences():
    text = seed_text("003")
    server = FakeEndpoint(answer=synthetic_label_answer_003)
    result = Extractor(settings(), client=server.client()).extract(text)
    assert result.usage.requests == 1 and result.usage.reasks == 0
    money = result.facts_of("money")[0]
    assert (money.data["amount"], money.data["qualifier"], money.data["currency"]) == (5_000_000, "more_than", "CNY")
    assert money.mentions == {"mention": "M1"} and not money.corrections
    m1 = next(m for m in result.mentions if m.id == "M1")
    assert money.span.start <= m1.start < m1.end <= money.span.end  # the evidence is M1's sentence
    assert text[money.span.start:money.span.end] == money.evidence
    clinics = result.facts_of("quantity")[0]
    assert (clinics.data["value"], clinics.data["qualifier"]) == (197, "exact")
    place = result.facts_of("place")[0]
    assert place.grounded and "英吉沙縣" in place.evidence and text[place.span.start:place.span.end] == place.evidence
    # The model typed no number and copied no sentence: its answer is ids and words.
    sent = json.dumps(server.requests[0]["tools"], ensure_ascii=False)
    assert '"mention"' in sent and '"amount"' not in sent


def test_an_unknown_id_is_asked_again_and_a_quote_is_never_asked_for():
    text = seed_text("003")
    answers = iter([{"money": [{"mention": "M99", "purpose": "x"}]},
                    {"money": [{"mention": "M2", "purpose": "vaccination"}]}])
    server = FakeEndpoint(answer=lambda body: next(answers))
    result = Extractor(settings(), client=server.client()).extract(text)
    assert result.usage.requests == 2 and result.usage.reasks == 1
    reask = json.dumps(server.requests[1]["messages"], ensure_ascii=False)
    assert "M99" in reask
    assert result.facts_of("money")[0].data["amount"] == 3_000_000


@pytest.mark.parametrize("path", SEED_FILES, ids=[p.name[:3] for p in SEED_FILES])
def test_every_numeric_fact_is_its_mention_and_every_span_holds_its_evidence(path):
    text = path.read_text(encoding="utf-8")
    server = FakeEndpoint(answer=lambda body: quote_article_answer(body))
    result = Extractor(settings(ungrounded="flag"), client=server.client()).extract(text, source=path.name)
    by_id = {m.id: m for m in result.mentions}
    assert by_id and all(fold_text(text[m.start:m.end]) == fold_text(m.text) for m in result.mentions)
    numeric = [f for f in result.facts if f.type in ("quantity", "money")]
    assert numeric, "the stand-in labels the marked numbers of every seed"
    for fact in numeric:
        mention = by_id[fact.mentions["mention"]]
        value = fact.data["value" if fact.type == "quantity" else "amount"]
        assert (value, fact.data["qualifier"]) == (float(mention.value), mention.qualifier)
        assert fact.span.start <= mention.start and mention.end <= fact.span.end
    for fact in result.facts:
        assert fact.span is not None and text[fact.span.start:fact.span.end] == fact.evidence
    assert result.usage.requests == 1  # no re-ask for quotes in label mode


def test_quote_mode_stays_available_and_is_what_a_schema_without_markers_gets():
    from pydantic import BaseModel

    class Beds(BaseModel):
        hospital: str
        value: float
        evidence: str

    class Report(BaseModel):
        beds: list[Beds] = []

    ex = Extractor(settings(), schema=Report)
    assert (ex.pipeline.form.labels, ex.pipeline.form.evidence) == (False, "quote")
    quoted = Extractor(settings(labels=False, evidence_mode="quote"))
    assert (quoted.pipeline.form.labels, quoted.pipeline.form.evidence) == (False, "quote")
    assert quoted.identity.request_key != Extractor(settings()).identity.request_key


def test_mentions_only_needs_no_key_and_calls_nothing(tmp_path, monkeypatch):
    """The analyst's first table, offline: every mention with its span into the file."""
    import csv

    from typer.testing import CliRunner

    from extractor.cli import app

    for var in ("OPENAI_API_KEY", "EXTRACTOR_API_KEY", "EXTRACTOR_BASE_URL", "EXTRACTOR_MODEL", "EXTRACTOR_PROVIDER"):
        monkeypatch.delenv(var, raising=False)
    seeds = tmp_path / "in"
    seeds.mkdir()
    for path in SEED_FILES:
        (seeds / path.name).write_bytes(path.read_bytes())
    res = CliRunner().invoke(app, ["run", str(seeds), "--out", str(tmp_path / "out"), "--mentions-only", "-q"])
    assert res.exit_code == 0, res.output
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert summary["run"]["model_calls"] == 0
    with open(tmp_path / "out" / "tables" / "mentions.csv", encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert {Path(r["source"]).name for r in rows} == {p.name for p in SEED_FILES}
    texts = {p.name: p.read_text(encoding="utf-8") for p in SEED_FILES}
    for row in rows:
        text = texts[Path(row["source"]).name]
        assert fold_text(text[int(row["start"]):int(row["end"])]) == fold_text(row["text"])
    money = [r for r in rows if r["kind"] == "money" and r["text"].startswith("500")]
    assert money and (float(money[0]["value"]), money[0]["qualifier"], money[0]["currency"]) == (
        5_000_000, "more_than", "CNY")


def test_grammar_held_ids_name_only_the_articles_own_mentions_and_sentences():
    """For a grammar-constrained server (--local): the schema sent holds every id to the article's."""
    text = seed_text("003")
    server = FakeEndpoint(answer=synthetic_label_answer_003)
    ex = Extractor(settings(grammar_ids=True), client=server.client())
    result = ex.extract(text)
    params = server.requests[0]["tools"][0]["function"]["parameters"]

    def resolved(node: dict) -> dict:  # the compact schema defines a repeated part once
        while "$ref" in node:
            node = params["$defs"][node["$ref"].rsplit("/", 1)[-1]]
        return node

    money_ids = resolved(params["$defs"]["LabelMoney"]["properties"]["mention"])["enum"]
    assert money_ids == [m.id for m in result.mentions if m.kind == "money"]
    assert params["properties"]["quantities"]["minItems"] == 1 and "quantities" in params["required"]
    cited = resolved(params["$defs"]["CitedPlace"]["properties"]["evidence"])
    assert cited["minItems"] == 1 and cited["items"]["enum"][0] == "S1"
    assert result.facts_of("money")[0].data["amount"] == 5_000_000
    # The extractor's own response model (and so stored answers) is unchanged.
    assert "enum" not in str(ex.pipeline.response_model.model_json_schema()["$defs"]["LabelMoney"])


def test_a_range_or_a_doubtful_reading_filled_from_a_mention_is_flagged():
    """Label mode fills one value: a range's upper end, or a reading the reader doubts, must
    not pass as a plain exact figure (quote mode's number check flags the same)."""
    text = ("县医院扩建工程.\n\n县政府投资3000万至5000万元用于县医院扩建。"
            "The ward has €300 000 of new equipment and 120 beds.\n")

    def synthetic_label_answer(body):
        ids = re.findall(r"⟦(\w+)⟧", article_of(body))
        money = [{"mention": i, "purpose": "expansion"} for i in ids if i.startswith("M")]
        beds = [{"mention": i, "measure": "beds"} for i in ids if i.startswith("Q")]
        return {"money": money, "quantities": beds}

    server = FakeEndpoint(answer=synthetic_label_answer)
    result = Extractor(settings(), client=server.client()).extract(text)
    flags = {f.data.get("amount", f.data.get("value")): f.flags for f in result.facts}
    assert flags[30_000_000] == ["amount_range_in_evidence"]
    assert flags[300_000] == ["amount_uncertain_in_evidence"]
    assert flags[120] == []
