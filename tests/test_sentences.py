"""The sentence splitter: exact spans, ids in order, the cases scraped news brings."""

from __future__ import annotations

from conftest import SEED_FILES
from hypothesis import given, settings
from hypothesis import strategies as st

from extractor.text.cleaning import clean_text
from extractor.text.sentences import split_sentences


def texts(text: str) -> list[str]:
    return [s.text for s in split_sentences(text)]


def test_full_width_terminators_split_wherever_they_stand():
    assert texts("醫院召開會議。院長致辭！誰參加？") == ["醫院召開會議。", "院長致辭！", "誰參加？"]


def test_closing_quote_stays_with_its_sentence():
    assert texts("他說:“一定要做心電圖。”患者轉危為安。") == ["他說:“一定要做心電圖。”", "患者轉危為安。"]


def test_half_width_question_mark_inside_a_scraped_name_does_not_split():
    assert texts("職工艾尼外爾?艾買提興奮地說。") == ["職工艾尼外爾?艾買提興奮地說。"]


def test_half_width_exclamation_before_han_splits():
    assert texts("竟然是28,335張!在這18年") == ["竟然是28,335張!", "在這18年"]


def test_decimals_and_abbreviations_do_not_split():
    assert texts("Dr. Li of the U.S. office said 2.3 million. Beds rose.") == [
        "Dr. Li of the U.S. office said 2.3 million.", "Beds rose."]


def test_persian_and_arabic():
    assert texts("حدود ۳ میلیون نفر مراجعه کردند. آیا کافی است؟ بله") == [
        "حدود ۳ میلیون نفر مراجعه کردند.", "آیا کافی است؟", "بله"]
    assert texts("افتتح الوزير المستشفى. بتكلفة 5 ملايين") == ["افتتح الوزير المستشفى.", "بتكلفة 5 ملايين"]


def test_every_line_is_a_sentence_but_a_hard_wrapped_latin_line():
    assert texts("64家医联体成员单位名单\n晋源区医疗集团\n原平市医疗集团") == [
        "64家医联体成员单位名单", "晋源区医疗集团", "原平市医疗集团"]
    assert texts("The county hospital opened\nfour new wards.\nBeds") == [
        "The county hospital opened\nfour new wards.", "Beds"]


def test_ids_count_in_text_order_and_whitespace_belongs_to_no_sentence():
    got = split_sentences("  一。 \n\n 二。  ")
    assert [(s.id, s.text) for s in got] == [("S1", "一。"), ("S2", "二。")]


def test_seeds_sentences_point_at_their_text():
    assert SEED_FILES
    for path in SEED_FILES:
        cleaned = clean_text(path.read_text(encoding="utf-8"))
        got = split_sentences(cleaned.text)
        assert got and all(cleaned.text[s.start:s.end] == s.text for s in got)
        assert all(a.end <= b.start for a, b in zip(got, got[1:]))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(list("ab 。.!?？\n”1,醫۱") + ["Dr. ", "U.S. "]), max_size=40).map("".join))
def test_sentences_cover_every_visible_character_once(text):
    got = split_sentences(text)
    assert all(text[s.start:s.end] == s.text and s.text == s.text.strip() and s.text for s in got)
    assert [s.id for s in got] == [f"S{i}" for i in range(1, len(got) + 1)]
    covered = set()
    for a, b in zip(got, got[1:]):
        assert a.end <= b.start
    for s in got:
        covered.update(range(s.start, s.end))
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace())
