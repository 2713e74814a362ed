#!/usr/bin/env python
"""Measure how often extractor.numbers reads annotated mentions correctly.

A mention counts as correct when ``parse_quantity`` gives the annotated value (within
``values_match``) AND the annotated qualifier; a mention annotated with value null must
give no quantity. Units are reported but not scored.

    python scripts/number_accuracy.py                      # tests/data/number_mentions.jsonl
    python scripts/number_accuracy.py other.jsonl --json

Always exits 0: this is a measurement, not a gate (the tests are the gate).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from pathlib import Path

from extractor.numbers import parse_quantity, values_match

DEFAULT = Path(__file__).resolve().parent.parent / "tests" / "data" / "number_mentions.jsonl"


def evaluate(rows: list[dict]) -> dict:
    per_lang: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    failures = []
    unit_ok = unit_n = 0
    for i, row in enumerate(rows, 1):
        lang = row.get("lang")
        try:
            q = parse_quantity(row["text"], lang)
            err = None
        except Exception as exc:  # a crash is a failure to report, not a reason to stop
            q, err = None, f"{type(exc).__name__}: {exc}"
        want_v, want_q = row.get("value"), row.get("qualifier")
        if want_v is None:
            ok = q is None and err is None
        else:
            ok = q is not None and values_match(q.value, want_v) and q.qualifier == want_q
            if q is not None and "unit" in row:
                unit_n += 1
                unit_ok += q.unit == row["unit"]
        key = lang or "auto"
        per_lang[key][1] += 1
        per_lang[key][0] += ok
        if not ok:
            failures.append({
                "line": i, "text": row["text"], "lang": lang,
                "expected": [want_v, want_q],
                "got": err or ([q.value, q.qualifier, q.unit, q.text] if q else None),
            })
    total = len(rows)
    correct = sum(c for c, _ in per_lang.values())
    return {
        "total": total,
        "correct": correct,
        "accuracy": round(100.0 * correct / total, 2) if total else 0.0,
        "unit_accuracy": round(100.0 * unit_ok / unit_n, 2) if unit_n else None,
        "per_lang": {k: {"correct": c, "total": n} for k, (c, n) in sorted(per_lang.items())},
        "failures": failures,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path", nargs="?", default=str(DEFAULT), help="JSONL of annotated mentions")
    ap.add_argument("--json", action="store_true", help="print the report as JSON")
    args = ap.parse_args(argv)
    rows = []
    with open(args.path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                rows.append(json.loads(line))
    report = evaluate(rows)
    if args.json:
        json.dump(report, sys.stdout, ensure_ascii=False, indent=2)
        print()
        return 0
    print(f"{'lang':<10}{'correct':>9}{'total':>7}{'%':>8}")
    print("-" * 34)
    for lang, r in report["per_lang"].items():
        pct = 100.0 * r["correct"] / r["total"] if r["total"] else 0.0
        print(f"{lang:<10}{r['correct']:>9}{r['total']:>7}{pct:>8.1f}")
    print("-" * 34)
    print(f"{'all':<10}{report['correct']:>9}{report['total']:>7}{report['accuracy']:>8.1f}")
    if report["unit_accuracy"] is not None:
        print(f"unit agreement (not scored): {report['unit_accuracy']:.1f}%")
    if report["failures"]:
        print("\nfailures:")
        for fl in report["failures"]:
            print(f"  line {fl['line']}: {fl['text']!r} [{fl['lang']}] expected {fl['expected']} got {fl['got']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
