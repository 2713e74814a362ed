"""Evaluation: comparators across scripts, one-to-one matching, run metrics, CLI."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from extractor.outputs.evaluation import (
    align_lists,
    dates_equal,
    evaluate,
    match_facts,
    names_match,
    numbers_equal,
    units_compatible,
)


def _q(value, qualifier="exact", unit="person", measure="m", evidence="e", **kw):
    return {"type": "quantity", "data": {"measure": measure, "value": value, "qualifier": qualifier, "unit": unit, **kw},
            "evidence": evidence}


def _fact(t, evidence="e", **data):
    return {"type": t, "data": data, "evidence": evidence}


@pytest.fixture()
def gold_dir(tmp_path: Path) -> Path:
    d = tmp_path / "gold"
    d.mkdir()
    (d / "a_zh.json").write_text(json.dumps({
        "source": "a_zh.txt", "sha256": "aaa", "language": "zh-Hant",
        "facts": [
            _fact("organisation", evidence="道縣人民醫(yī)院召開", name="道縣人民醫院", kind="hospital"),
            _q(50, "percent", "percent", evidence="分別下降50%、50%和18%", measure="decline year 1"),
            _q(50, "exact", "percent", evidence="分別下降50%、50%和18%", measure="decline year 2"),
            _q(18, "exact", "percent", evidence="分別下降50%、50%和18%", measure="decline year 3"),
            {"type": "money", "data": {"amount": 5000000, "currency": "CNY", "qualifier": "more_than"}, "evidence": "500余萬元"},
            _fact("consortium", evidence="医联体", name="南部山區醫聯體", members=["西里", "張家坡", "石橋", "中莊"], member_count=5),
            _fact("event", evidence="1月22日召開會議", kind="meeting", date="1月22日", title="培訓會議"),
        ],
    }, ensure_ascii=False), encoding="utf-8")
    (d / "b_fa.json").write_text(json.dumps({
        "source": "b_fa.txt", "sha256": "bbb", "language": "fa",
        "facts": [
            _fact("person", evidence="میثم حجتی پور در نشست", name="میثم حجتی پور", role="مدیر درمان"),
            _q(3400000, "about", "person", evidence="حدود ۳ میلیون و ۴۰۰ هزار نفر"),
        ],
    }, ensure_ascii=False), encoding="utf-8")
    (d / "README.md").write_text("not gold")
    return d


def _perfect(gold_dir: Path) -> list[dict]:
    out = []
    for p in sorted(gold_dir.glob("*.json")):
        g = json.loads(p.read_text(encoding="utf-8"))
        facts = [{**copy.deepcopy(f), "grounded": True, "corrections": [], "flags": []} for f in g["facts"]]
        out.append({"source": f"/runs/in/{g['source']}", "sha256": None, "status": "ok", "error": None,
                    "document": {"language": g["language"]}, "facts": facts,
                    "usage": {"prompt_tokens": 100, "completion_tokens": 50, "total_tokens": 150, "reasks": 1,
                              "cost_usd": 0.01}})
    return out


# --- comparators -------------------------------------------------------------------


@pytest.mark.parametrize("a,b", [
    ("道縣人民醫院", "道县人民医院"),                 # traditional vs simplified
    ("道縣人民醫(yī)院", "道县人民医院"),             # inline pinyin
    ("بيمارستان شهدا", "بیمارستان شهدا"),             # Arabic vs Persian yeh
    ("بیمارستان‌های کرمانشاه", "بیمارستانهای کرمانشاه"),  # missing ZWNJ
    ("沂源县第二人民医院", "山东省淄博市沂源县第二人民医院"),  # containment
    ("Shohada Hospital", "Shohada hospital."),
    ("Kermanshah Social Security", "Kermanshah Social Securty"),  # fuzzy
])
def test_names_match_across_scripts(a, b):
    assert names_match(a, b)


@pytest.mark.parametrize("a,b", [("西里卫生院", "石桥卫生院"), ("李明清", "熊志霖"), ("تهران", "کرمانشاه"), ("x", None)])
def test_names_differ(a, b):
    assert not names_match(a, b)


def test_numbers_units_dates():
    assert numbers_equal("۱۲۰۰۰", 12000) and numbers_equal("1,200,000", 1.2e6) and numbers_equal(None, None)
    assert not numbers_equal(12000, 12001) and not numbers_equal(None, 0)
    assert units_compatible("%", "percent") and units_compatible("درصد", "percent")
    assert units_compatible("person", "人次") and units_compatible(None, "CNY")
    assert units_compatible("centre", "مرکز")  # free-form words are not judged
    assert not units_compatible("percent", "CNY") and not units_compatible("m2", "person")
    assert dates_equal("1月22日", "1月22日") and dates_equal("2025-01-22", "2025-01-22")
    assert not dates_equal("1月22日", "5月15日")


def test_align_lists_one_to_one():
    pairs = align_lists(["医院", "医院", "晋源区医疗集团"], ["晋源區醫療集團", "医院"])
    assert sorted((i, j) for i, j, _ in pairs) == [(0, 1), (2, 0)]


def test_duplicate_values_matched_one_to_one():
    gold = [_q(50, unit="percent"), _q(50, unit="percent"), _q(18, unit="percent")]
    pred = [_q(50, unit="%"), _q(50, unit="%"), _q(50, unit="%")]
    assert len(match_facts("quantity", pred, gold)) == 2


def test_tie_break_prefers_closer_evidence():
    gold = [_q(14, unit="centre", evidence="全縣14個鄉鎮衛生院中醫館實現了全覆蓋"),
            _q(14, unit="centre", evidence="14個鄉鎮衛生院和197個村衛生室實現了全覆蓋")]
    pred = [_q(14, unit="centre", evidence="14个乡镇卫生院和197个村卫生室实现了全覆盖")]
    assert match_facts("quantity", pred, gold) == [(0, 1)]


# --- evaluate ------------------------------------------------------------------------


def test_perfect_predictions_score_one(gold_dir):
    r = evaluate(_perfect(gold_dir), gold_dir)
    assert (r.overall.tp, r.overall.fp, r.overall.fn) == (9, 0, 0)
    assert r.overall.f1 == 1.0
    assert set(r.by_language) == {"zh-Hant", "fa"}
    assert r.by_type["quantity"].tp == 4
    assert r.list_items["consortium.members"].f1 == 1.0
    assert r.schema_valid_rate == 1.0 and r.grounding_rate == 1.0 and r.correction_rate == 0.0
    assert r.reasks_per_article == 1.0 and r.tokens_per_article == 150 and r.cost_per_article == pytest.approx(0.01)


def test_mismatches_and_script_variants(gold_dir):
    preds = _perfect(gold_dir)
    zh = preds[1] if preds[1]["source"].endswith("a_zh.txt") else preds[0]
    for f in zh["facts"]:
        if f["type"] == "organisation":
            f["data"]["name"] = "道县人民医院"           # simplified: still a match
        if f["type"] == "money":
            f["data"]["qualifier"] = "exact"              # wrong qualifier: FP + FN
            f["corrections"] = [{"field": "amount", "model_value": 500, "corrected_value": 5000000, "reason": "scale"}]
        if f["type"] == "quantity" and f["data"]["value"] == 18:
            f["data"]["value"] = "١٨"                     # Arabic-Indic digits as a string: a match
            f["grounded"] = False
        if f["type"] == "consortium":
            f["data"]["members"] = ["西里", "张家坡", "某某"]
    zh["facts"].append(_fact("place", name="道县", level="county"))
    r = evaluate(preds, gold_dir)
    assert r.by_type["organisation"].tp == 1
    assert (r.by_type["money"].tp, r.by_type["money"].fp, r.by_type["money"].fn) == (0, 1, 1)
    assert r.by_type["quantity"].tp == 4
    assert r.by_type["place"].fp == 1
    m = r.list_items["consortium.members"]
    assert (m.tp, m.fp, m.fn) == (2, 1, 2)
    assert r.predicted_facts == 10 and r.grounded_facts == 8 and r.corrected_facts == 1  # appended place has no "grounded"
    art = next(a for a in r.articles if a["source"] == "a_zh.txt")
    assert any("money" in s for s in art["missed"]) and any("place" in s for s in art["spurious"])
    assert r.field_accuracy["consortium"]["member_count"] == [1, 1]


def test_matching_by_sha_errors_and_missing(gold_dir):
    preds = _perfect(gold_dir)
    fa = next(p for p in preds if p["source"].endswith("b_fa.txt"))
    fa["source"], fa["sha256"] = "renamed.txt", "bbb"   # matched by sha256
    zh = next(p for p in preds if p["source"].endswith("a_zh.txt"))
    zh.update(status="error", error="ModelError: boom", facts=[])
    preds.append({"source": "other.txt", "status": "ok", "facts": [_fact("place", name="x")]})
    r = evaluate(preds, gold_dir)
    assert r.unmatched_predictions == ["other.txt"]
    assert r.schema_valid_rate == 0.5
    assert r.by_language["zh-Hant"].recall == 0.0 and r.by_language["fa"].recall == 1.0
    r2 = evaluate([fa], gold_dir)
    assert r2.missing_predictions == ["a_zh.txt"] and r2.by_language["zh-Hant"].fn == 7


def test_loads_jsonl_and_folder_and_renders(gold_dir, tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "articles.jsonl").write_text(
        "\n".join(json.dumps(p, ensure_ascii=False) for p in _perfect(gold_dir)) + "\n\n", encoding="utf-8")
    r1, r2 = evaluate(out, gold_dir), evaluate(out / "articles.jsonl", gold_dir)
    assert r1.to_dict() == r2.to_dict()
    d = json.loads(json.dumps(r1.to_dict()))
    assert d["overall"]["f1"] == 1.0 and d["run"]["tokens_per_article"] == 150
    text = r1.render_text()
    assert "quantity" in text and "zh-Hant" in text and "grounding rate" in text


def test_bad_jsonl_line_is_reported(gold_dir, tmp_path):
    p = tmp_path / "articles.jsonl"
    p.write_text('{"source": "a_zh.txt", "facts": []}\n{oops\n')
    with pytest.raises(ValueError, match=":2:"):
        evaluate(p, gold_dir)


def test_cli_eval(gold_dir, tmp_path):
    from extractor.cli import eval_cmds, report_cmds

    app = typer.Typer()
    eval_cmds.register(app)
    report_cmds.register(app)
    out = tmp_path / "run"
    out.mkdir()
    (out / "articles.jsonl").write_text(
        "\n".join(json.dumps(p, ensure_ascii=False) for p in _perfect(gold_dir)), encoding="utf-8")
    runner = CliRunner()
    res = runner.invoke(app, ["eval", str(out), str(gold_dir), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["overall"]["f1"] == 1.0
    res = runner.invoke(app, ["eval", str(out / "articles.jsonl"), str(gold_dir)])
    assert res.exit_code == 0 and "Facts by type" in res.output
    res = runner.invoke(app, ["report", str(out), "--output", str(tmp_path / "r.html")])
    assert res.exit_code == 0, res.output
    assert (tmp_path / "r.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_real_gold_against_itself():
    gold = Path(__file__).resolve().parents[1] / "gold"
    r = evaluate(_perfect(gold), gold)
    assert r.overall.fp == 0 and r.overall.fn == 0 and r.overall.tp > 150


def test_cli_eval_exit_codes(gold_dir, tmp_path):
    """A broken predictions file is a one-line error (exit 2); failed articles in eval-run exit 1."""
    from fakes import Reply, serve

    from extractor.cli import eval_cmds

    app = typer.Typer()
    eval_cmds.register(app)
    runner = CliRunner()
    broken = tmp_path / "articles.jsonl"
    broken.write_text('{"source": "a_zh.txt", "facts": []}\n{oops\n', encoding="utf-8")
    res = runner.invoke(app, ["eval", str(broken), str(gold_dir)])
    assert res.exit_code == 2 and "error:" in res.output and ":2:" in res.output, res.output
    broken.write_text('{"source": "a_zh.txt", "facts": []}\n[1]\n', encoding="utf-8")
    res = runner.invoke(app, ["eval", str(broken), str(gold_dir)])
    assert res.exit_code == 2 and ":2: expected a JSON object" in res.output, res.output
    bad_gold = tmp_path / "bad_gold"
    bad_gold.mkdir()
    (bad_gold / "a.json").write_text("[]", encoding="utf-8")
    res = runner.invoke(app, ["eval", str(broken.with_name("none.jsonl")), str(bad_gold)])
    assert res.exit_code == 2
    broken.write_text('{"source": "a_zh.txt", "facts": []}\n', encoding="utf-8")
    res = runner.invoke(app, ["eval", str(broken), str(bad_gold)])
    assert res.exit_code == 2 and "a.json: expected a JSON object" in res.output, res.output
    (bad_gold / "a.json").write_text('{"source": "a_zh.txt", "facts": null}', encoding="utf-8")
    res = runner.invoke(app, ["eval", str(broken), str(bad_gold)])
    assert res.exit_code == 0, res.output  # no facts: null is an empty list
    broken.write_text('{"source": "a_zh.txt", "facts": [{"type": "money", "data": 5}]}\n', encoding="utf-8")
    res = runner.invoke(app, ["eval", str(broken), str(bad_gold)])
    assert res.exit_code == 2 and ":1: fact 1: 'type' must be a string and 'data' an object" in res.output
    broken.write_text('{"source": "a_zh.txt", "facts": [{"data": {"amount": 5}}]}\n', encoding="utf-8")
    res = runner.invoke(app, ["eval", str(broken), str(bad_gold)])
    assert res.exit_code == 2 and "fact 1: 'type' must be a string" in res.output, res.output
    broken.write_text('{"source": "a_zh.txt", "facts": [{"type": "money", "data": null}]}\n', encoding="utf-8")
    res = runner.invoke(app, ["eval", str(broken), str(bad_gold)])
    assert res.exit_code == 0, res.output  # data: null is an empty object, as the scorer reads it

    articles = tmp_path / "in"
    articles.mkdir()
    (articles / "a.txt").write_text("The county hospital has 120 beds.", encoding="utf-8")
    with serve(lambda request: Reply.json(400, {"error": {"message": "model not found"}})) as url:
        res = runner.invoke(app, ["eval-run", str(articles), str(gold_dir), "--out", str(tmp_path / "out"),
                                  "--provider", "openai", "--model", "m", "--base-url", url, "--no-report"],
                            env={"OPENAI_API_KEY": "sk-test", "EXTRACTOR_API_KEY": "sk-test"})
    assert res.exit_code == 1 and "1 article(s) failed" in res.output, res.output
    res = runner.invoke(app, ["eval-run", str(articles), str(gold_dir), "--out", str(tmp_path / "out2"),
                              "--provider", "openai", "--model", "m", "--base-url", "http://127.0.0.1:9/v1"],
                        env={"OPENAI_API_KEY": "sk-test"})
    assert res.exit_code == 2 and "cannot reach" in res.output, res.output
