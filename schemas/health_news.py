"""The default schema: facts from health-service news.

Written from the five seed articles: a social-security treatment directorate in
Kermanshah, a county hospital's mountain-area medical alliance, a county medical
community (医共体) meeting, a provincial aid programme to Xinjiang, and a provincial
hospital's medical-alliance meeting with 64 members.

Every fact carries ``evidence``: a verbatim quote. Values are *fully scaled* numbers
(500余万元 → 5000000 with qualifier ``more_than``); the library re-reads each number
from its evidence and corrects the model where the two disagree.

Every field says what it is (:mod:`extractor.fields`), without changing what the model is
asked in quote mode (the JSON schema is the same as 1.1's): names, places, organisations,
titles and members are ``InText`` (they must occur in the article), ``measure`` and
``purpose`` are ``Label`` (the model's words), the rest are enums. Quantities and money are
``FromMention``: in label mode the model answers a mention id (``Q3``, ``M1``) and the
library fills value, unit, currency, qualifier, evidence and span from the reader.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from extractor.core.evidence import Evidence
from extractor.core.fields import FromDocument, FromMention, InText, Label
from extractor.core.schema import ChildTable

SCHEMA_VERSION = "1.2"

# 1.2: every field marked (InText / Label / enum / FromMention / FromDocument) for label mode
# and field grounding; the JSON schema the model sees in quote mode is unchanged.

# 1.1: less_than added; 以上/以下/以内 include the stated number (at_least / up_to), 超过/不足
# exclude it (more_than / less_than), as the Civil Code of the PRC (art. 1259) defines them.
Qualifier = Literal["exact", "more_than", "at_least", "about", "nearly", "up_to", "less_than"]

OrganisationKind = Literal[
    "hospital",
    "township_health_centre",
    "village_clinic",
    "community_health_centre",
    "medical_consortium",
    "health_authority",
    "insurer_or_social_security",
    "aid_programme",
    "other",
]


class _Fact(BaseModel):
    # Extra keys from a chatty model are dropped rather than failing validation:
    # they carry nothing we could ground.
    model_config = ConfigDict(extra="ignore")
    fact_type: ClassVar[str] = "fact"


class Place(_Fact):
    fact_type: ClassVar[str] = "place"
    key_fields: ClassVar[tuple[str, ...]] = ("name",)
    name: InText = Field(description="Place name as written in the article.")
    level: Literal["country", "province", "city", "county", "township", "village", "other"] = "other"
    evidence: Evidence


class Organisation(_Fact):
    fact_type: ClassVar[str] = "organisation"
    key_fields: ClassVar[tuple[str, ...]] = ("name",)
    name: InText = Field(description="Name as written in the article.")
    kind: OrganisationKind = "other"
    place: InText | None = Field(None, description="Where it is, as written.")
    evidence: Evidence


class Consortium(_Fact):
    """A medical consortium, alliance or community (医联体, 医共体, 医疗集团)."""

    fact_type: ClassVar[str] = "consortium"
    key_fields: ClassVar[tuple[str, ...]] = ("name",)
    child_tables: ClassVar[tuple[ChildTable, ...]] = (
        ChildTable("consortium_members", "members", item_column="member", index_column="member_index",
                   parent_columns={"consortium": "name", "lead_institution": "lead_institution"}),
    )
    name: InText = Field(description="Name as written.")
    lead_institution: InText | None = None
    members: list[InText] = Field(default_factory=list, description="Member institutions, as written.")
    member_count: int | None = Field(None, description="Number of members when the article states it.")
    year_formed: int | None = Field(None, description="Gregorian year it was formed.")
    evidence: Evidence


class Person(_Fact):
    fact_type: ClassVar[str] = "person"
    key_fields: ClassVar[tuple[str, ...]] = ("name",)
    name: InText = Field(description="Full name as written.")
    role: InText | None = Field(None, description="Role or title, as written.")
    organisation: InText | None = None
    evidence: Evidence


class Quantity(_Fact):
    """A measured number: surgeries, visits, beds, participants, clinics, rates."""

    fact_type: ClassVar[str] = "quantity"
    key_fields: ClassVar[tuple[str, ...]] = ("value", "qualifier", "unit")
    measure: Label = Field(description="What is counted or measured, e.g. 'surgeries performed'.")
    subject: InText | None = Field(None, description="Organisation, place or programme it is about.")
    value: Annotated[float, FromMention("quantity")] = Field(
        description="The number, fully scaled: 2.3万 → 23000, ۳ میلیون و ۴۰۰ هزار → 3400000.")
    unit: Annotated[str | None, FromMention("quantity", "unit")] = Field(
        None, description="'percent', 'CNY', 'm2', 'person', 'person_time', ... or the unit word.")
    qualifier: Annotated[Qualifier, FromMention("quantity", "qualifier")] = Field("exact", description=(
        "超过/逾/余/多/بیش از/more than → more_than; 以上/至少/حداقل/at least → at_least; "
        "以下/以内/最多/حداکثر/up to → up_to; 不足/不到/کمتر از/أقل من/less than → less_than; "
        "近/نزدیک به/nearly → nearly; 约/左右/حدود/about → about."))
    period: InText | None = Field(None, description="Period or as-of date, as written (e.g. 'last year', '到11月底').")
    previous_value: Annotated[float | None, FromMention("quantity", ref="previous_mention")] = Field(
        None, description="Earlier value when the text states a change from → to.")
    previous_period: InText | None = None
    evidence: Evidence


class Money(_Fact):
    fact_type: ClassVar[str] = "money"
    key_fields: ClassVar[tuple[str, ...]] = ("amount", "qualifier", "currency")
    amount: Annotated[float, FromMention("money")] = Field(description="Fully scaled amount: 500余万元 → 5000000.")
    currency: Annotated[str | None, FromMention("money", "currency")] = Field(
        None, description="ISO code: CNY, IRR, IRT (toman), USD, ...")
    qualifier: Annotated[Qualifier, FromMention("money", "qualifier")] = "exact"
    purpose: Label | None = Field(None, description="What the money is for.")
    payer: InText | None = None
    evidence: Evidence


class Facility(_Fact):
    """A facility, equipment or construction project."""

    fact_type: ClassVar[str] = "facility"
    key_fields: ClassVar[tuple[str, ...]] = ("name",)
    name: InText = Field(description="What it is, as written (e.g. 'new emergency ward of Shohada hospital').")
    kind: Literal["facility", "equipment", "construction", "service", "other"] = "other"
    status: Literal["planned", "under_construction", "in_service", "unknown"] = "unknown"
    progress_percent: float | None = None
    size: InText | None = Field(None, description="Size as written, e.g. '3200 متر', '1200平方米'.")
    expected_date: InText | None = Field(None, description="Expected completion or opening, as written.")
    organisation: InText | None = None
    evidence: Evidence


class Event(_Fact):
    fact_type: ClassVar[str] = "event"
    key_fields: ClassVar[tuple[str, ...]] = ("kind", "date", "title")
    kind: Literal["meeting", "agreement", "launch", "training", "inspection", "visit", "other"] = "other"
    title: InText | None = None
    date: InText | None = Field(None, description="Date as written.")
    organiser: InText | None = None
    participants: list[InText] = Field(default_factory=list, description="Named participants or groups.")
    participant_count: int | None = None
    evidence: Evidence


class ArticleInfo(BaseModel):
    model_config = ConfigDict(extra="ignore")
    title: Annotated[str | None, FromDocument("title")] = None
    publication_date: Annotated[str | None, FromDocument("published")] = Field(
        None, description="As written in the article, if stated.")
    outlet: Annotated[str | None, FromDocument("outlet")] = Field(
        None, description="News outlet or source named in the article.")
    language: Annotated[str | None, FromDocument("language")] = Field(
        None, description="zh-Hans, zh-Hant, fa, ar, en, ...")


class HealthNewsArticle(BaseModel):
    """Facts reported by one health-service news article."""

    schema_name: ClassVar[str] = "health_news"
    schema_version: ClassVar[str] = SCHEMA_VERSION
    model_config = ConfigDict(extra="ignore")

    article: ArticleInfo = Field(default_factory=ArticleInfo)
    places: list[Place] = Field(default_factory=list)
    organisations: list[Organisation] = Field(default_factory=list)
    consortia: list[Consortium] = Field(default_factory=list)
    people: list[Person] = Field(default_factory=list)
    quantities: list[Quantity] = Field(default_factory=list)
    money: list[Money] = Field(default_factory=list)
    facilities: list[Facility] = Field(default_factory=list)
    events: list[Event] = Field(default_factory=list)
