"""Cleaner vs. hand annotations (seeds and extra pages), offsets back to the original."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from extractor.cleaning import clean_text
from extractor.text.textnorm import fold_text

SEEDS = Path("/work/shared/seeds")
DATA = Path(__file__).parent / "data"


def _cases():
    out = []
    for folder, ann in ((SEEDS, DATA / "body_lines.json"), (DATA / "pages", DATA / "pages" / "body_lines.json")):
        for name, body in json.loads(ann.read_text(encoding="utf-8")).items():
            if not name.startswith("_"):
                out.append(pytest.param(folder / name, body, id=name))
    return out


CASES = _cases()


def test_annotations_cover_all_seeds_and_five_pages():
    names = {c.values[0].name for c in CASES}
    assert {p.name for p in SEEDS.glob("*.txt")} <= names
    assert len(list((DATA / "pages").glob("*.txt"))) >= 5


@pytest.mark.parametrize("path,body", CASES)
def test_body_recall_and_boilerplate_removal(path, body):
    if not path.exists():
        pytest.skip(f"{path} missing")
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    nonblank = {i for i, ln in enumerate(lines, 1) if ln.strip()}
    body = set(body)
    assert body <= nonblank, "annotation points at blank lines"
    boiler = nonblank - body
    c = clean_text(text)
    kept = set(c.kept)
    assert body - kept == set(), f"body lines dropped:\n{c.debug_view()}"
    removed = len(boiler - kept) / len(boiler)
    assert removed >= 0.9, f"only {removed:.0%} of boilerplate removed:\n{c.debug_view()}"
    # Every removed non-blank line is recorded with a reason and its exact offsets.
    for r in c.removed:
        assert text[r.start:r.end] == r.text
        assert r.reason


@pytest.mark.parametrize("path,body", CASES)
def test_offsets_map_back_to_original(path, body):
    text = path.read_text(encoding="utf-8")
    c = clean_text(text)
    rng = random.Random(len(text))
    assert len(c.offsets) == len(c.text) + 1
    # Kept substrings: within one kept line (a span across lines would, in the
    # original, also cover the removed lines between them).
    line_spans = []
    pos = 0
    for ln in c.text.split("\n"):
        if ln:
            line_spans.append((pos, pos + len(ln)))
        pos += len(ln) + 1
    for _ in range(300):
        lo, hi = rng.choice(line_spans)
        a = rng.randrange(lo, hi)
        b = min(hi, a + rng.randrange(1, 80))
        s, e = c.span_to_original(a, b)
        assert 0 <= s < e <= len(text)
        assert fold_text(text[s:e]) == fold_text(c.text[a:b]), (a, b, c.text[a:b], text[s:e])
    # Every single character maps to itself (apart from inserted line separators).
    for i, ch in enumerate(c.text):
        if ch != "\n":
            assert text[c.to_original(i)] == ch


def test_pinyin_dropped_and_mapped():
    text = "標題行很短\n\n湖南法治報(bào)訊,道縣人民醫(yī)院召開了會議,50余人參加會議並討論工作。\n"
    c = clean_text(text)
    assert "(bào)" not in c.text and "醫院" in c.text
    i = c.text.index("醫院")
    s, e = c.span_to_original(i, i + 2)
    assert text[s:e] == "醫(yī)院"


def test_disabled_is_identity():
    text = "一审:某某\n正文。\n"
    c = clean_text(text, enabled=False)
    assert c.text == text and c.removed == ()
    assert c.span_to_original(0, len(text)) == (0, len(text))


def test_specific_reasons_on_seeds():
    reasons = {}
    for p in SEEDS.glob("*.txt"):
        for r in clean_text(p.read_text(encoding="utf-8")).removed:
            reasons.setdefault(r.reason, []).append(r.text.strip())
    assert any("2 + 15" in t for t in reasons["captcha"])
    assert any("一審" in t for t in reasons["editor_credit"])
    assert "separator" in reasons and "spam" in reasons and "metadata" in reasons
    assert "comment_form" in reasons and "related_headlines" in reasons


def test_list_sandwiched_in_body_is_kept_but_trailing_headlines_are_not():
    para = "市卫生健康委员会今天召开会议，部署全市基层医疗卫生服务能力提升工作，要求各地抓好落实。"
    text = "\n".join([para, "成员单位名单", "甲县医院", "乙县医院", "丙县医院", para.replace("今天", "昨天"),
                      "责任编辑：某人", "某地发生交通事故", "某明星举办演唱会"])
    c = clean_text(text)
    assert "乙县医院" in c.text
    assert "演唱会" not in c.text and "责任编辑" not in c.text


def test_no_prose_keeps_everything_plausible():
    text = "甲县医院\n乙县医院\n丙县医院\n"
    assert clean_text(text).text == "甲县医院\n乙县医院\n丙县医院"


def test_empty_text():
    c = clean_text("")
    assert c.text == "" and c.to_original(0) == 0


def test_debug_view_marks_lines():
    text = (SEEDS / "002_db8248fa0f35ca8a.txt").read_text(encoding="utf-8")
    view = clean_text(text).debug_view().splitlines()
    assert view[0].startswith("+") and view[6].startswith("-") and "editor_credit" in view[6]


_PARA_ZH = "县人民医院今年共完成手术3200台，比去年增长15%，门诊量再创新高，群众满意度持续提升。"
_PARA_EN = "The county hospital opened its new surgical wing on Monday, officials said, after two years of work."
_PARA_FA = "وزیر بهداشت روز دوشنبه از افتتاح بخش جدید جراحی در بیمارستان شهرستان خبر داد و گفت این طرح دو سال طول کشید."


@pytest.mark.parametrize("head,last", [
    (_PARA_ZH, "据悉，全年培训8000余人次。"),
    (_PARA_ZH, "医院全年接诊患者8000余人次。"),
    (_PARA_ZH, "全县新增家庭医生团队32个！"),
    (_PARA_EN, "The hospital added 200 beds."),
    (_PARA_EN, "Waiting times fell by 12%."),
    (_PARA_FA, "این بیمارستان ۲۰۰ تخت دارد."),
])
def test_a_short_last_sentence_with_a_figure_is_body_not_a_headline(head, last):
    text = "\n".join(["县医院召开年度总结会", head, last, "", "Flu season hits early", "某明星举办演唱会"])
    c = clean_text(text)
    assert c.text.endswith(last), c.debug_view()
    assert "Flu season" not in c.text and "演唱会" not in c.text  # the headlines after it still go
    s, e = c.span_to_original(len(c.text) - len(last), len(c.text))
    assert text[s:e] == last


@pytest.mark.parametrize("head,related,last", [
    (_PARA_EN, ["More from Health", "Nurses strike over pay in three counties", "County clinic closes maternity ward",
                "Flu season arrives early this year"], "Updated 10:32 a.m. on May 3, 2024."),
    (_PARA_EN, ["Related stories", "Nurses strike over pay", "County clinic closes ward"],
     "The hospital added 200 beds."),
    (_PARA_ZH, ["相关新闻", "市卫健委召开专题会议", "某区医联体签约仪式举行"], "全县新增家庭医生团队32个。"),
    (_PARA_FA, ["اخبار مرتبط", "افتتاح درمانگاه جدید در شیراز", "واکسیناسیون در مدارس آغاز شد"],
     "این بیمارستان ۲۰۰ تخت دارد."),
])
def test_a_figure_sentence_after_a_list_of_headlines_does_not_pull_them_into_the_body(head, related, last):
    text = "\n\n".join(["County hospital grows", head, _PARA_EN.replace("Monday", "Tuesday"), "\n".join(related), last])
    c = clean_text(text)
    assert c.text.endswith(_PARA_EN.replace("Monday", "Tuesday")), c.debug_view()
    assert not any(r in c.text for r in related) and last not in c.text


@pytest.mark.parametrize("last", [
    "Updated 10:32 a.m. on May 3, 2024.", "Published 3 May 2024, 9:00.", "Last modified on 12 March 2024.",
    "更新于2024年5月3日。", "发布于2024-05-03 10:32。", "编辑：王某 2024年5月3日。", "تاریخ انتشار: ۱۲ اردیبهشت ۱۴۰۳.",
])
def test_a_dateline_right_after_the_body_is_not_body(last):
    c = clean_text("\n".join(["County hospital grows", _PARA_EN, _PARA_EN.replace("Monday", "Tuesday"), last]))
    assert last not in c.text, c.debug_view()


@pytest.mark.parametrize("tail", [
    "Minister visits clinic in 2024",  # a headline: no full stop
    "2024年度十大新闻",
    "责任编辑：王某 2024",
])
def test_headlines_and_credits_with_figures_after_the_body_still_go(tail):
    c = clean_text("\n".join([_PARA_EN, _PARA_EN.replace("Monday", "Tuesday"), tail]))
    assert tail not in c.text
