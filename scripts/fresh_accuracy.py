#!/usr/bin/env python
"""Score the number and date readers on the held-out set in tests/data/fresh_mentions.

    python scripts/fresh_accuracy.py                 # the three files in tests/data/fresh_mentions
    python scripts/fresh_accuracy.py --dir other/ --failures

* numbers.jsonl: ``parse_quantity(text, lang)`` must give the annotated value AND
  qualifier (a row annotated with value null must give no quantity), as in
  scripts/number_accuracy.py. Range ends are reported but not scored.
* sentences.jsonl: ``find_quantities(text, lang)`` must give exactly the annotated
  (value, qualifier) list, in order, for a sentence to count; per-figure recall and
  precision count one-to-one matches of (value, qualifier), in any order.
* dates.jsonl: ``parse_date(text, lang=lang, reference=...)`` must give the annotated
  start, end and granularity; start+end agreement is reported on its own as well.

Only the public reader functions are imported. Always exits 0: this is a measurement,
not a gate.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import defaultdict
from datetime import date
from pathlib import Path

from extractor.dates import parse_date
from extractor.numbers import find_quantities, parse_quantity

DEFAULT_DIR = Path(__file__).resolve().parent.parent / "tests" / "data" / "fresh_mentions"
LANGS = ("zh-Hans", "zh-Hant", "fa", "ar", "en")


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    try:
        return math.isclose(float(a), float(b), rel_tol=1e-6, abs_tol=1e-9)
    except (TypeError, ValueError, OverflowError):
        return False


def _rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _call(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs), None
    except Exception as exc:  # a crash is a failure to report, not a reason to stop
        return None, f"{type(exc).__name__}: {exc}"


def score_numbers(rows: list[dict]) -> dict:
    per = defaultdict(lambda: [0, 0])
    range_ok = range_n = 0
    fails = []
    for i, row in enumerate(rows, 1):
        q, err = _call(parse_quantity, row["text"], row.get("lang"))
        want_v, want_q = row.get("value"), row.get("qualifier")
        if want_v is None:
            ok = q is None and err is None
        else:
            ok = q is not None and _same(q.value, want_v) and q.qualifier == want_q
        if "range_end" in row:
            range_n += 1
            range_ok += q is not None and _same(getattr(q, "value_max", None), row["range_end"])
        lang = row.get("lang") or "auto"
        per[lang][1] += 1
        per[lang][0] += ok
        if not ok:
            got = err or ([q.value, q.qualifier, q.unit, getattr(q, "value_max", None)] if q else None)
            want = [want_v, want_q, row.get("range_end")]
            fails.append(f"numbers {i}: {row['text']!r} [{lang}] expected {want} got {got}")
    return {"per": per, "range": (range_ok, range_n), "fails": fails}


def score_sentences(rows: list[dict]) -> dict:
    per = defaultdict(lambda: [0, 0, 0, 0, 0])  # exact, sentences, matched, annotated, found
    fails = []
    for i, row in enumerate(rows, 1):
        found, err = _call(find_quantities, row["text"], row.get("lang"))
        found = found or []
        want = [(q["value"], q["qualifier"]) for q in row["quantities"]]
        got = [(q.value, q.qualifier) for q in found]
        exact = err is None and len(got) == len(want) and all(
            _same(gv, wv) and gq == wq for (gv, gq), (wv, wq) in zip(got, want))
        unused = list(got)
        matched = 0
        for wv, wq in want:
            for j, (gv, gq) in enumerate(unused):
                if _same(gv, wv) and gq == wq:
                    matched += 1
                    del unused[j]
                    break
        lang = row.get("lang") or "auto"
        p = per[lang]
        p[0] += exact
        p[1] += 1
        p[2] += matched
        p[3] += len(want)
        p[4] += len(got)
        if not exact:
            fails.append(f"sentences {i}: [{lang}] expected {want} got {err or got}")
    return {"per": per, "fails": fails}


def score_dates(rows: list[dict]) -> dict:
    per = defaultdict(lambda: [0, 0, 0])  # full, start+end, total
    fails = []
    for i, row in enumerate(rows, 1):
        ref = date.fromisoformat(row["reference"]) if row.get("reference") else None
        d, err = _call(parse_date, row["text"], lang=row.get("lang"), reference=ref)
        want = (row["start"], row["end"], row["granularity"])
        got = None
        if d is not None:
            got = (d.start.isoformat() if d.start else None, d.end.isoformat() if d.end else None,
                   d.granularity)
        span_ok = got is not None and got[:2] == want[:2]
        full_ok = span_ok and got[2] == want[2]
        lang = row.get("lang") or "auto"
        per[lang][0] += full_ok
        per[lang][1] += span_ok
        per[lang][2] += 1
        if not full_ok:
            fails.append(f"dates {i}: {row['text']!r} [{lang}] expected {list(want)} got {err or got}")
    return {"per": per, "fails": fails}


def _pct(a: int, b: int) -> str:
    return f"{100.0 * a / b:5.1f}" if b else "    -"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dir", default=str(DEFAULT_DIR), help="folder with the three JSONL files")
    ap.add_argument("--failures", action="store_true", help="list every miss")
    args = ap.parse_args(argv)
    folder = Path(args.dir)
    nums = score_numbers(_rows(folder / "numbers.jsonl"))
    sents = score_sentences(_rows(folder / "sentences.jsonl"))
    dates = score_dates(_rows(folder / "dates.jsonl"))

    langs = [lg for lg in LANGS] + sorted(set(nums["per"]) | set(sents["per"]) | set(dates["per"]) - set(LANGS))
    langs = list(dict.fromkeys(langs))
    head = (f"{'lang':<8}| {'numbers':>13} {'%':>5} | {'sent exact':>10} {'%':>5} {'recall':>6} {'prec':>6}"
            f" | {'dates':>9} {'%':>5} {'span%':>5}")
    print(head)
    print("-" * len(head))
    tot = defaultdict(int)
    for lg in langs:
        n = nums["per"].get(lg, [0, 0])
        s = sents["per"].get(lg, [0, 0, 0, 0, 0])
        d = dates["per"].get(lg, [0, 0, 0])
        if not (n[1] or s[1] or d[2]):
            continue
        for k, v in zip(("nc", "nt", "se", "st", "sm", "sa", "sf", "df", "ds", "dt"), (*n, *s, *d)):
            tot[k] += v
        print(f"{lg:<8}| {n[0]:>6}/{n[1]:<6} {_pct(n[0], n[1])} | {s[0]:>4}/{s[1]:<5} {_pct(s[0], s[1])}"
              f" {_pct(s[2], s[3]):>6} {_pct(s[2], s[4]):>6} | {d[0]:>4}/{d[2]:<4} {_pct(d[0], d[2])}"
              f" {_pct(d[1], d[2])}")
    print("-" * len(head))
    print(f"{'all':<8}| {tot['nc']:>6}/{tot['nt']:<6} {_pct(tot['nc'], tot['nt'])} | {tot['se']:>4}/{tot['st']:<5}"
          f" {_pct(tot['se'], tot['st'])} {_pct(tot['sm'], tot['sa']):>6} {_pct(tot['sm'], tot['sf']):>6} |"
          f" {tot['df']:>4}/{tot['dt']:<4} {_pct(tot['df'], tot['dt'])} {_pct(tot['ds'], tot['dt'])}")
    r_ok, r_n = nums["range"]
    print(f"(numbers: range_end also read on {r_ok}/{r_n} ranges, not scored;"
          " dates: span% = start and end right whatever the granularity)")
    if args.failures:
        print("\nfailures:")
        for line in nums["fails"] + sents["fails"] + dates["fails"]:
            print("  " + line)
    print(f"SUMMARY numbers {tot['nc']}/{tot['nt']} ({_pct(tot['nc'], tot['nt']).strip()}%) | sentences exact "
          f"{tot['se']}/{tot['st']} ({_pct(tot['se'], tot['st']).strip()}%), figure recall "
          f"{_pct(tot['sm'], tot['sa']).strip()}% precision {_pct(tot['sm'], tot['sf']).strip()}% | dates "
          f"{tot['df']}/{tot['dt']} ({_pct(tot['df'], tot['dt']).strip()}%)")
    return 0


if __name__ == "__main__":
    try:
        main()
    except Exception as exc:  # never fail the caller: report and exit 0
        print(f"fresh_accuracy: could not finish: {type(exc).__name__}: {exc}")
    sys.exit(0)
