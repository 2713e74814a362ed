"""Measure sentence splitters on data they were not written on: the rule splitter of
``extractor.text.sentences`` against pysbd and sentencex (when installed).

    .venv/bin/python scripts/sentence_splitters.py

Data and measures:

* ``tests/data/fresh_mentions/sentences.jsonl`` (47 whole sentences, zh-Hans/zh-Hant/fa/ar/en,
  annotated for another purpose before the splitter existed): each must come back as ONE
  sentence (``whole``), and two consecutive sentences of the same language joined (with a
  space, none in Chinese) must come back as TWO sentences cut at the join (``pairs``).
* the five seeds (``../shared/seeds`` or ``examples/seeds``, cleaned as the pipeline cleans them): gold
  evidence clauses (``gold/``) cut by a sentence boundary (``evidence cut``; fewer is better),
  and the number of sentences.
* every sentence's span must slice to its text (``spans ok``), and the time per seed pass.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from extractor.text.cleaning import clean_text  # noqa: E402
from extractor.text.reading import read_document  # noqa: E402
from extractor.text.sentences import split_sentences  # noqa: E402

SEEDS = Path(os.environ.get("EXTRACTOR_SEEDS", ROOT.parent / "shared" / "seeds"))
if not SEEDS.is_dir():  # a checkout that bundles the seeds
    SEEDS = ROOT / "examples" / "seeds"
FRESH = ROOT / "tests/data/fresh_mentions/sentences.jsonl"

Splitter = Callable[[str, str], list[tuple[int, int]]]


def rule(text: str, lang: str) -> list[tuple[int, int]]:
    return [(s.start, s.end) for s in split_sentences(text, lang)]


def _spans_of(text: str, parts: list[str]) -> list[tuple[int, int]]:
    out, pos = [], 0
    for p in parts:
        p = p.strip()
        if not p:
            continue
        i = text.find(p, pos)
        if i < 0:
            return [(-1, -1)]
        out.append((i, i + len(p)))
        pos = i + len(p)
    return out


def make_pysbd() -> Splitter | None:
    try:
        import pysbd
    except ImportError:
        return None
    cache: dict[str, object] = {}

    def split(text: str, lang: str) -> list[tuple[int, int]]:
        code = "zh" if lang.startswith("zh") else lang[:2]
        seg = cache.setdefault(code, pysbd.Segmenter(language=code, clean=False, char_span=True))
        return [(s.start, s.end) for s in seg.segment(text) if s.sent.strip()]  # type: ignore[attr-defined]

    return split


def make_sentencex() -> Splitter | None:
    try:
        from sentencex import segment
    except ImportError:
        return None

    def split(text: str, lang: str) -> list[tuple[int, int]]:
        code = "zh" if lang.startswith("zh") else lang[:2]
        return _spans_of(text, list(segment(code, text)))

    return split


def _trimmed(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
    return out


def measure(name: str, split: Splitter) -> dict:
    rows = [json.loads(x) for x in FRESH.read_text(encoding="utf-8").splitlines() if x.strip()]
    whole = sum(len(_trimmed(r["text"], split(r["text"], r["lang"]))) == 1 for r in rows)
    pairs = ok_pairs = 0
    for a, b in zip(rows, rows[1:]):
        if a["lang"] != b["lang"]:
            continue
        joiner = "" if a["lang"].startswith("zh") else " "
        text = a["text"].strip() + joiner + b["text"].strip()
        cut = len(a["text"].strip())
        got = _trimmed(text, split(text, a["lang"]))
        pairs += 1
        ok_pairs += len(got) == 2 and got[0][1] == cut
    cut_evidence = total_evidence = sentences = 0
    spans_ok = True
    t0 = time.perf_counter()
    for seed in sorted(SEEDS.glob("*.txt")):
        doc = read_document(seed)
        cleaned = clean_text(doc.text, doc.language)
        got = _trimmed(cleaned.text, split(cleaned.text, doc.language or "en"))
        spans_ok &= all(0 <= s < e <= len(cleaned.text) for s, e in got)
        sentences += len(got)
        bounds = {e for _s, e in got[:-1]}
        gold = json.loads((ROOT / "gold" / f"{seed.stem}.json").read_text(encoding="utf-8"))
        for fact in gold["facts"]:
            ev = fact["evidence"]
            i = cleaned.text.find(ev)
            if i < 0:
                continue
            total_evidence += 1
            cut_evidence += any(i < b < i + len(ev) for b in bounds)
    seconds = time.perf_counter() - t0
    return {"splitter": name, "whole": f"{whole}/{len(rows)}", "pairs": f"{ok_pairs}/{pairs}",
            "evidence cut": f"{cut_evidence}/{total_evidence}", "seed sentences": sentences,
            "spans ok": spans_ok, "seconds (5 seeds)": round(seconds, 3)}


def main() -> None:
    candidates: list[tuple[str, Splitter | None]] = [("rule (extractor.text.sentences)", rule),
                                                     ("pysbd", make_pysbd()), ("sentencex", make_sentencex())]
    for name, split in candidates:
        if split is None:
            print(f"{name}: not installed")
            continue
        print(json.dumps(measure(name, split), ensure_ascii=False))


if __name__ == "__main__":
    main()
