"""Token-budgeted chunking: coverage, overlap, boundaries, hard splits."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractor.text.chunking import chunk_text, estimate_tokens
from extractor.text.cleaning import clean_text

SEEDS = Path("/work/shared/seeds")


def _check(text, chunks, max_tokens):
    assert chunks[0].start == 0 and chunks[-1].end == len(text)
    for i, c in enumerate(chunks):
        assert c.index == i
        assert c.text == text[c.start:c.end]
        assert estimate_tokens(c.text) <= max_tokens
    for a, b in zip(chunks, chunks[1:]):
        assert a.start < b.start <= a.end, "gap or no progress between chunks"


def test_estimate_tokens():
    assert estimate_tokens("") == 0
    assert estimate_tokens("医院") == 2
    assert estimate_tokens("بیمارستان") == 9
    assert estimate_tokens("abcdefgh") == 2
    assert estimate_tokens("abc") == 1


def test_single_chunk_when_it_fits():
    text = "短文本。"
    assert chunk_text(text, max_tokens=100) == [type(chunk_text(text, max_tokens=100)[0])(0, text, 0, len(text))]


@pytest.mark.parametrize("path", sorted(SEEDS.glob("*.txt")), ids=lambda p: p.name)
def test_seed_chunks_cover_and_overlap(path):
    text = clean_text(path.read_text(encoding="utf-8")).text
    chunks = chunk_text(text, max_tokens=300, overlap_tokens=50)
    assert len(chunks) > 1
    _check(text, chunks, 300)
    overlaps = [a.end - b.start for a, b in zip(chunks, chunks[1:])]
    assert all(o > 0 for o in overlaps)


def test_splits_on_sentence_boundaries():
    sent = "医院今天召开了医联体建设推进会议。"
    text = sent * 40
    chunks = chunk_text(text, max_tokens=100, overlap_tokens=20)
    _check(text, chunks, 100)
    for c in chunks[:-1]:
        assert c.text.endswith("。")
    for c in chunks[1:]:
        assert c.text.startswith("医院")  # overlap begins at a sentence start


def test_prefers_paragraph_boundaries():
    para = "The clinic opened on Monday. It serves 30,000 people a year. " * 3
    text = "\n\n".join([para.strip()] * 10)
    chunks = chunk_text(text, max_tokens=120, overlap_tokens=0)
    _check(text, chunks, 120)
    for c in chunks[:-1]:
        assert text[c.end - 2:c.end] == "\n\n" or c.text.endswith(".")


def test_long_sentence_is_split_hard():
    text = "医" * 1000
    chunks = chunk_text(text, max_tokens=64, overlap_tokens=8)
    _check(text, chunks, 64)
    assert len(chunks) >= 16


def test_long_text_many_chunks():
    text = "\n".join(f"第{i}段：医院共为{i * 37}名患者提供了免费体检服务。The program will continue in {2024 + i % 3}." for i in range(2000))
    chunks = chunk_text(text, max_tokens=2000, overlap_tokens=200)
    _check(text, chunks, 2000)
    assert len(chunks) > 20


def test_no_overlap():
    text = "句子一二三四五六七八九十。" * 50
    chunks = chunk_text(text, max_tokens=50, overlap_tokens=0)
    _check(text, chunks, 50)
    assert all(a.end == b.start for a, b in zip(chunks, chunks[1:]))


def test_bad_budget():
    with pytest.raises(ValueError):
        chunk_text("x", max_tokens=0)
