"""Label mode and sentence citations: what the model is asked, how its ids are checked, and how
an answer becomes the user's schema with values, evidence and spans from the readers."""

from __future__ import annotations

from typing import Annotated, Literal

import pytest
from conftest import SEED_FILES
from pydantic import BaseModel, ValidationError

from extractor.core.fields import FromMention, InText, MentionRef
from extractor.grounding.answer_forms import AnswerForm, default_answer_form
from extractor.grounding.citations import citation_context, citation_model, fill_citations
from extractor.grounding.labels import fill_labels, label_context, label_model, label_refs, uses_labels
from extractor.grounding.marking import render_marked, render_table
from extractor.grounding.validation import checking_quotes, validated_model, validation_context
from extractor.mentions import find_mentions
from extractor.schemas.health_news import HealthNewsArticle, Money, Place, Quantity

ARTICLE = ("首页 > 新闻中心 > 正文\n\n湖南法治報(bào)訊 濟寧援疆指揮部投入援疆資金500余萬元,改造提升示范化鄉鎮衛生院2個。"
           "常態化開展義診巡診80余次、惠及群眾2.3萬余人。\n全縣鄉鎮衛生院的病床從120張增加到300張,基層首診覆蓋率達到95%。\n"
           "\n责任编辑:王明\n")


@pytest.fixture(scope="module")
def found():
    return find_mentions(ARTICLE, lang="zh-Hant")


class Clinics(BaseModel):
    """A user's schema: a count typed int, a date from a mention, its own id field."""

    name: InText
    count: Annotated[int, FromMention("quantity")]
    count_qualifier: Annotated[Literal["exact", "more_than"], FromMention("quantity", "qualifier")] = "exact"
    opened: Annotated[str | None, FromMention("date", "date_start", ref="opened_mention")] = None
    mention: MentionRef | None = None
    evidence: str = ""


class Survey(BaseModel):
    clinics: list[Clinics] = []


def ids(found, kind):
    return [m.id for m in found.of_kind(kind)]


def test_the_mentions_of_the_article(found):
    assert [(m.id, m.text, m.value, m.qualifier) for m in found] == [
        ("M1", "500余萬元", 5000000, "more_than"), ("Q1", "2個", 2, "exact"), ("Q2", "80余次", 80, "more_than"),
        ("Q3", "2.3萬余人", 23000, "more_than"), ("Q4", "120張", 120, "exact"), ("Q5", "300張", 300, "exact"),
        ("Q6", "95%", 95, "exact")]


def test_label_model_asks_for_ids_instead_of_values_and_quotes():
    asked = label_model(HealthNewsArticle)
    assert asked.__name__ == "HealthNewsArticle"
    defs = asked.model_json_schema()["$defs"]
    quantity = defs["LabelQuantity"]
    assert set(quantity["properties"]) == {"measure", "subject", "period", "previous_period", "mention",
                                           "previous_mention"}
    assert set(quantity["required"]) == {"measure", "mention"}
    assert "Q1, Q2" in quantity["properties"]["mention"]["description"]
    assert set(defs["LabelMoney"]["properties"]) == {"purpose", "payer", "mention"}
    assert "M1, M2" in defs["LabelMoney"]["properties"]["mention"]["description"]
    # Facts without FromMention fields are asked as they are (quote mode).
    assert "Place" in defs and "evidence" in defs["Place"]["properties"]
    assert asked.model_fields["places"].annotation == list[Place]
    assert uses_labels(HealthNewsArticle) and label_refs(Quantity)["mention"].required


def test_a_schema_without_markers_keeps_quote_mode():
    class Plain(BaseModel):
        beds: float
        evidence: str

    assert label_model(Plain) is Plain and not uses_labels(Plain)
    assert default_answer_form(Plain) == AnswerForm(labels=False, evidence="quote")
    assert default_answer_form(HealthNewsArticle).labels


def test_ids_not_in_the_article_or_of_the_wrong_kind_are_rejected_with_a_message(found):
    asked = validated_model(label_model(HealthNewsArticle))
    answer = {"quantities": [{"measure": "a", "mention": "Q9"}, {"measure": "b", "mention": "M1"},
                             {"measure": "c", "mention": "Q2", "previous_mention": "Q77"}],
              "money": [{"mention": "Q1"}]}
    with pytest.raises(ValidationError) as info:
        asked.model_validate(answer, context=label_context(found))
    text = str(info.value)
    assert "quantities.0" in text and "'Q9' is not marked in the text" in text and "Q1, Q2" in text
    assert "quantities.1" in text and "'M1' is a money mention; this field needs a Q id" in text
    assert "previous_mention: 'Q77'" in text
    assert "money.0" in text and "needs a M id" in text
    # The same check through the context instructor's calls run under (no explicit context=).
    with checking_quotes({**validation_context(ARTICLE), **label_context(found)}), pytest.raises(ValidationError):
        asked.model_validate_json('{"quantities": [{"measure": "a", "mention": "Q9"}]}')
    # Without mentions in the context (stored answers re-read) nothing is checked here.
    assert asked.model_validate(answer, context={}).quantities[0].mention == "Q9"


def test_values_units_qualifiers_evidence_and_spans_come_from_the_reader(found):
    asked = label_model(HealthNewsArticle)
    answer = asked.model_validate({
        "quantities": [{"measure": "people reached", "subject": "英吉沙縣", "mention": "q3"},
                       {"measure": "beds", "mention": "⟦Q5⟧", "previous_mention": "Q4"}],
        "money": [{"mention": "M1", "purpose": "township clinics", "payer": "濟寧援疆指揮部"}],
    }, context=label_context(found))
    filled = fill_labels(answer, found)
    assert isinstance(filled.data, HealthNewsArticle) and not filled.problems
    people, beds = filled.data.quantities
    assert (people.value, people.qualifier, people.unit) == (23000, "more_than", "person")
    assert (beds.value, beds.previous_value, beds.unit) == (300, 120, "張")
    money = filled.data.money[0]
    assert (money.amount, money.currency, money.qualifier) == (5000000, "CNY", "more_than")
    for fact in (people, beds, money):
        site = filled.site_of(fact)
        assert ARTICLE[site.span.start:site.span.end] == fact.evidence
    assert people.evidence == "常態化開展義診巡診80余次、惠及群眾2.3萬余人。"
    assert filled.site_of(beds).mention_ids == {"mention": "Q5", "previous_mention": "Q4"}
    assert filled.site_of(money).sentence.id == "S1"


def test_evidence_can_be_the_mention_clause(found):
    answer = label_model(Money).model_validate({"mention": "M1"}, context=label_context(found))
    clause = fill_labels(answer, found, evidence="clause")
    assert clause.data.evidence == "湖南法治報(bào)訊 濟寧援疆指揮部投入援疆資金500余萬元"
    answer = label_model(Quantity).model_validate({"measure": "beds", "mention": "Q5"}, context=label_context(found))
    assert fill_labels(answer, found, evidence="clause").data.evidence == "全縣鄉鎮衛生院的病床從120張增加到300張"
    site = clause.site_of(clause.data)
    assert ARTICLE[site.span.start:site.span.end] == clause.data.evidence


def test_a_user_schema_gets_int_counts_dates_and_its_id_field(found):
    text = "2021年3月新建社區診所逾12家。"
    mentions = find_mentions(text, lang="zh-Hans")
    assert [m.id for m in mentions] == ["D1", "Q1"]
    asked = label_model(Survey)
    assert set(asked.model_json_schema()["$defs"]["LabelClinics"]["properties"]) == {"name", "mention",
                                                                                     "opened_mention"}
    answer = asked.model_validate({"clinics": [{"name": "社區診所", "mention": "Q1", "opened_mention": "D1"}]},
                                  context=label_context(mentions))
    clinic = fill_labels(answer, mentions).data.clinics[0]
    assert (clinic.count, type(clinic.count), clinic.count_qualifier) == (12, int, "more_than")
    assert clinic.opened == "2021-03-01" and clinic.mention == "Q1" and clinic.evidence == text


def test_stored_answers_with_bad_ids_lose_those_facts_not_the_article(found):
    asked = label_model(HealthNewsArticle)
    answer = asked.model_validate({"quantities": [{"measure": "a", "mention": "Q99"}, {"measure": "b", "mention": "Q1"}],
                                   "money": [{"mention": "Q1"}]}, context={})
    filled = fill_labels(answer, found)
    assert [q.value for q in filled.data.quantities] == [2]
    assert filled.data.money == []
    assert len(filled.problems) == 2 and all(p.startswith("unknown_mention") for p in filled.problems)


def test_a_qualifier_the_user_schema_lacks_drops_the_fact_with_its_reason():
    mentions = find_mentions("新建社區診所約12家,另有逾3家。", lang="zh-Hans")
    answer = label_model(Survey).model_validate(
        {"clinics": [{"name": "社區診所", "mention": "Q1"}, {"name": "社區診所", "mention": "Q2"}]},
        context=label_context(mentions))
    filled = fill_labels(answer, mentions)
    assert [c.count for c in filled.data.clinics] == [3]
    assert "count_qualifier" in filled.problems[0] or "Input should be" in filled.problems[0]


def test_a_required_single_fact_that_cannot_be_filled_is_an_error(found):
    answer = label_model(Money).model_validate({"mention": "M9"}, context={})
    with pytest.raises(ValueError, match="cannot be filled"):
        fill_labels(answer, found)


def test_citation_model_asks_for_sentence_ids(found):
    asked = citation_model(HealthNewsArticle)
    props = asked.model_json_schema()["$defs"]["CitedPlace"]["properties"]
    assert props["evidence"]["type"] == "array" and "S12" in props["evidence"]["description"]
    with pytest.raises(ValidationError, match="'S9' not marked in the text; cite ids S1 to S3"):
        asked.model_validate({"places": [{"name": "英吉沙縣", "evidence": ["S9"]}]}, context=citation_context(found))
    with pytest.raises(ValidationError, match="empty; cite the id"):
        asked.model_validate({"places": [{"name": "英吉沙縣", "evidence": []}]}, context=citation_context(found))


def test_cited_sentences_become_the_evidence_with_exact_spans(found):
    asked = citation_model(HealthNewsArticle)
    answer = asked.model_validate({"places": [{"name": "a", "evidence": ["S1", "S2"]},
                                              {"name": "b", "evidence": ["[s3]", "S1"]}]},
                                  context=citation_context(found))
    cited = fill_citations(answer, found)
    one, two = cited.data.places
    assert one.evidence == ARTICLE[cited.sites[id(one)].span.start:cited.sites[id(one)].span.end]
    assert one.evidence.startswith("湖南法治報(bào)訊") and one.evidence.endswith("2.3萬余人。")
    assert "(bào)" in one.evidence  # the file's own text, not the cleaned one
    assert len(cited.sites[id(two)].spans) == 2 and " … " in two.evidence
    for span in cited.sites[id(two)].spans:
        assert ARTICLE[span.start:span.end] in two.evidence


def test_labels_and_citations_stack(found):
    form = AnswerForm(labels=True, evidence="sentence")
    asked = validated_model(form.response_model(HealthNewsArticle))
    answer = asked.model_validate({"places": [{"name": "英吉沙縣", "evidence": ["S3"]}],
                                   "quantities": [{"measure": "coverage", "mention": "Q6"}]},
                                  context={**validation_context(ARTICLE), **form.context(found)})
    filled = form.to_schema(answer, found)
    place, quantity = filled.data.places[0], filled.data.quantities[0]
    assert isinstance(place, Place) and isinstance(quantity, Quantity)
    assert place.evidence == quantity.evidence == "全縣鄉鎮衛生院的病床從120張增加到300張,基層首診覆蓋率達到95%。"
    assert filled.site_of(place).sentence_ids == ("S3",) and filled.site_of(quantity).mention_ids == {"mention": "Q6"}
    match = filled.site_of(quantity).as_match()
    assert match.alignment == "exact" and ARTICLE[match.start:match.end] == quantity.evidence


def test_inline_markers_and_the_table_render_one_chunk(found):
    whole = render_marked(found)
    assert "⟦M1⟧500余萬元" in whole and "⟦Q6⟧95%" in whole and "(bào)" not in whole
    cut = found.clean_spans["Q4"][0]
    first, second = render_marked(found, end=cut), render_marked(found, start=cut)
    assert "⟦Q4⟧" not in first and second.startswith("⟦Q4⟧120張") and first + second == whole
    numbered = render_marked(found, start=cut, sentence_ids=True, mention_kinds=())
    assert numbered.startswith("[S3] 120張")  # a chunk that starts inside a sentence still cites it
    table = render_table(found)
    assert table.startswith(found.cleaned.text) and "M1: " in table and "[500余萬元]" in table


def test_seed_mentions_render_and_every_id_resolves():
    for path in SEED_FILES:
        mentions = find_mentions(path.read_text(encoding="utf-8"))
        marked = render_marked(mentions, sentence_ids=True, mention_kinds=("quantity", "money", "date"))
        for m in mentions:
            assert f"⟦{m.id}⟧" in marked
        for s in mentions.sentences:
            assert f"[{s.id}] " in marked
        plain = marked
        for m in mentions:
            plain = plain.replace(f"⟦{m.id}⟧", "")
        for s in mentions.sentences:
            plain = plain.replace(f"[{s.id}] ", "")
        assert plain == mentions.cleaned.text
