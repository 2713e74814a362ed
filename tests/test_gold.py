"""The gold annotations: verbatim evidence, valid against the schema, thorough on numbers."""

from __future__ import annotations

import hashlib
import json
import typing
from pathlib import Path

import pytest

from extractor.schemas.health_news import HealthNewsArticle

ROOT = Path(__file__).resolve().parents[1]
GOLD = ROOT / "gold"
SEEDS = Path("/work/shared/seeds")


def _fact_models() -> dict[str, type]:
    out = {}
    for info in HealthNewsArticle.model_fields.values():
        args = typing.get_args(info.annotation)
        if args and hasattr(args[0], "fact_type"):
            out[args[0].fact_type] = args[0]
    return out


MODELS = _fact_models()
GOLD_FILES = sorted(GOLD.glob("*.json"))
needs_seeds = pytest.mark.skipif(not SEEDS.is_dir(), reason=f"seed articles not found in {SEEDS}")


def _load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def test_fact_models_cover_the_schema():
    assert set(MODELS) == {"place", "organisation", "consortium", "person", "quantity", "money", "facility", "event"}


@needs_seeds
def test_one_gold_file_per_seed():
    seeds = {p.stem for p in SEEDS.glob("*.txt")}
    assert seeds and seeds == {p.stem for p in GOLD_FILES}


@pytest.mark.parametrize("path", GOLD_FILES, ids=lambda p: p.stem)
def test_gold_validates_against_schema(path: Path):
    doc = _load(path)
    assert doc["source"] == path.with_suffix(".txt").name
    assert doc["language"] in {"fa", "ar", "en", "zh-Hans", "zh-Hant"}
    assert doc["facts"], "empty gold file"
    for n, fact in enumerate(doc["facts"]):
        assert fact["type"] in MODELS, (n, fact["type"])
        assert "evidence" not in fact["data"], n
        model = MODELS[fact["type"]]
        obj = model.model_validate({**fact["data"], "evidence": fact["evidence"]})
        # Unknown keys would be dropped silently by extra="ignore": catch typos here.
        assert set(fact["data"]) <= set(model.model_fields), (n, set(fact["data"]) - set(model.model_fields))
        assert obj.evidence == fact["evidence"]


@needs_seeds
@pytest.mark.parametrize("path", GOLD_FILES, ids=lambda p: p.stem)
def test_gold_evidence_is_verbatim(path: Path):
    doc = _load(path)
    raw = (SEEDS / doc["source"]).read_bytes()
    assert doc["sha256"] == hashlib.sha256(raw).hexdigest()
    text = raw.decode("utf-8")
    missing = [f["evidence"] for f in doc["facts"] if f["evidence"] not in text]
    assert not missing, missing


def _facts(stem_prefix: str, fact_type: str) -> list[dict]:
    path = next(p for p in GOLD_FILES if p.stem.startswith(stem_prefix))
    return [f["data"] for f in _load(path)["facts"] if f["type"] == fact_type]


def test_seed_003_numbers():
    money = {(m["amount"], m["qualifier"], m["currency"]) for m in _facts("003", "money")}
    assert {(5000000, "more_than", "CNY"), (3000000, "more_than", "CNY"), (2200000, "exact", "CNY")} <= money
    values = sorted(q["value"] for q in _facts("003", "quantity") if q["unit"] == "percent")
    assert values == [18, 50, 50]
    counts = [(q["value"], q["unit"]) for q in _facts("003", "quantity")]
    assert (197, "clinic") in counts and counts.count((14, "centre")) == 2
    assert any(q["value"] == 23000 and q["qualifier"] == "more_than" for q in _facts("003", "quantity"))


def test_seed_000_numbers_fully_scaled():
    qs = _facts("000", "quantity")
    assert any(q["value"] == 3400000 and q["qualifier"] == "about" for q in qs)
    assert any(q["value"] == 12000 and q["qualifier"] == "more_than" for q in qs)
    assert any(q["value"] == 11 and q.get("previous_value") == 6 for q in qs)


def test_seed_004_consortium_members():
    (c,) = _facts("004", "consortium")
    assert c["member_count"] == 64 and len(c["members"]) == 64
    assert c["members"][0] == "晋源区医疗集团" and c["members"][-1] == "晋祠镇中心卫生院"
    assert any(q["value"] == 1000 and q["qualifier"] == "nearly" for q in _facts("004", "quantity"))


def test_every_fact_type_is_annotated_somewhere():
    types = {f["type"] for p in GOLD_FILES for f in _load(p)["facts"]}
    assert types == set(MODELS)
