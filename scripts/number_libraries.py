#!/usr/bin/env python
"""Score third-party number readers, on their own, on the shared conformance cases.

Each candidate library is given the case text and its first number is compared with the
peer's value, exactly as ``conformance.py`` scores ``extractor.numbers.parse_quantity``:
a hit is the same value (or None where the peer expects no number); a *silent wrong* is
a different value returned (None is a miss, never silent-wrong). Candidates that are not
installed are skipped with a note, so the script runs anywhere; install them ad hoc::

    pip install cn2an chinese2digits text2num word2number number-parser persian-tools arabic-itn
    python scripts/number_libraries.py [--cases ../shared/conformance/cases.jsonl]

A library that only converts a whole string is tried on the whole case text first and then,
where it has one, through its sentence-level mode (the first figure it writes as digits).
Always exits 0: this is a measurement that informed the choice recorded in docs/numbers.md.
"""

from __future__ import annotations

import argparse
import importlib
import json
import math
import re
import sys
import warnings
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CASES = ROOT.parent / "shared" / "conformance" / "cases.jsonl"
_FIRST_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")

Reader = Callable[[str, str], "float | None"]


def _first_number(s: object) -> float | None:
    """The first plain number in a library's output (a digits-for-words rewrite)."""
    m = _FIRST_NUMBER.search(str(s))
    return float(m.group(0)) if m else None


def _quiet(f: Callable[[], object]) -> object | None:
    try:
        return f()
    except Exception:  # noqa: BLE001 - a library that raises has simply not read the text
        return None


def _cn2an() -> Reader:
    cn2an = importlib.import_module("cn2an")

    def read(text: str, lang: str) -> float | None:
        v = _quiet(lambda: cn2an.cn2an(text, "smart"))
        if v is None:
            v = _first_number(_quiet(lambda: cn2an.transform(text, "cn2an")) or "")
        return None if v is None else float(v)
    return read


def _chinese2digits() -> Reader:
    c2d = importlib.import_module("chinese2digits")

    def read(text: str, lang: str) -> float | None:
        out = _quiet(lambda: c2d.takeNumberFromString(text))
        nums = (out or {}).get("digitsStringList") or []
        return _first_number(nums[0]) if nums else None
    return read


def _text2num() -> Reader:
    t2n = importlib.import_module("text_to_num")

    def read(text: str, lang: str) -> float | None:
        v = _quiet(lambda: t2n.text2num(text, "en"))
        if v is None:
            v = _first_number(_quiet(lambda: t2n.alpha2digit(text, "en")) or "")
        return None if v is None else float(v)
    return read


def _word2number() -> Reader:
    w2n = importlib.import_module("word2number.w2n")

    def read(text: str, lang: str) -> float | None:
        v = _quiet(lambda: w2n.word_to_num(text))
        return None if v is None else float(v)
    return read


def _number_parser() -> Reader:
    np_ = importlib.import_module("number_parser")

    def read(text: str, lang: str) -> float | None:
        v = _quiet(lambda: np_.parse_number(text, language="en"))
        if v is None:
            v = _first_number(_quiet(lambda: np_.parse(text, language="en")) or "")
        return None if v is None else float(v)
    return read


def _persian_tools() -> Reader:
    digits = importlib.import_module("persian_tools.digits")

    def read(text: str, lang: str) -> float | None:
        v = _quiet(lambda: digits.convert_from_word(text))
        return None if v is None else float(v)
    return read


def _arabic_itn() -> Reader:
    itn = importlib.import_module("arabic_itn")

    def read(text: str, lang: str) -> float | None:
        return _first_number(_quiet(lambda: itn.normalize(text)) or "")
    return read


def _ours() -> Reader:
    from extractor.numbers import parse_quantity

    def read(text: str, lang: str) -> float | None:
        q = parse_quantity(text, lang=lang)
        return None if q is None else float(q.value)
    return read


# (name, licence, languages it claims, factory). words2num2 (LGPL-2.1) was measured once by
# hand and is left out: a copyleft runtime dependency is not an option for this project.
CANDIDATES: list[tuple[str, str, tuple[str, ...], Callable[[], Reader]]] = [
    ("cn2an", "MIT", ("zh-Hans", "zh-Hant"), _cn2an),
    ("chinese2digits", "Apache-2.0", ("zh-Hans", "zh-Hant"), _chinese2digits),
    ("text2num", "MIT", ("en",), _text2num),
    ("word2number", "MIT", ("en",), _word2number),
    ("number-parser", "BSD-3-Clause", ("en",), _number_parser),
    ("persian-tools", "MIT", ("fa",), _persian_tools),
    ("arabic-itn", "MIT", ("ar",), _arabic_itn),
    ("extractor (ours)", "Apache-2.0", ("zh-Hans", "zh-Hant", "fa", "ar", "en"), _ours),
]


def _same(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def score(read: Reader, cases: list[dict]) -> dict[str, dict[str, int]]:
    """Per language: core hits and cases, and silent wrong values in core + borderline."""
    out: dict[str, dict[str, int]] = defaultdict(lambda: {"hit": 0, "n": 0, "silent": 0})
    for c in cases:
        if c["scope"] == "questionable":
            continue
        want = c.get("value")
        got = read(c["text"], c["lang"])
        hit = got is None if want is None else got is not None and _same(got, want)
        row = out[c["lang"]]
        if c["scope"] == "core":
            row["n"] += 1
            row["hit"] += hit
        row["silent"] += (not hit) and got is not None
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", default=str(DEFAULT_CASES))
    args = ap.parse_args(argv)
    warnings.filterwarnings("ignore")  # cn2an warns on every string it cannot read
    path = Path(args.cases)
    if not path.exists():
        print(f"no cases at {path}; pass --cases", file=sys.stderr)
        return 0
    cases = [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]
    cases = [c for c in cases if c["kind"] == "number"]
    print(f"{'candidate':<18} {'licence':<13} {'lang':<8} {'core':>16} {'silent wrong':>13}")
    for name, licence, langs, factory in CANDIDATES:
        try:
            read = factory()
        except ImportError as exc:
            print(f"{name:<18} skipped: not installed ({exc.name})")
            continue
        res = score(read, [c for c in cases if c["lang"] in langs])
        for lang in langs:
            r = res[lang]
            pct = 100 * r["hit"] / r["n"] if r["n"] else 0.0
            print(f"{name:<18} {licence:<13} {lang:<8} {r['hit']:>4}/{r['n']:<4} {pct:5.1f}% {r['silent']:>13}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
