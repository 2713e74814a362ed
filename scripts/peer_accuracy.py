#!/usr/bin/env python
"""Score the number, money and date readers on test cases taken from other projects' test suites.

    python scripts/peer_accuracy.py                       # every tests/data/peers/*.jsonl
    python scripts/peer_accuracy.py --kind money --lang ar --misses 40
    python scripts/peer_accuracy.py tests/data/peers/money.jsonl --scope core

The case format is that of /work/shared/conformance/cases.jsonl (see tests/data/peers/README.md),
with a third kind, ``money``:

* ``number``: ``parse_quantity(text, lang=lang)``; a hit when the value equals the peer's
  (rel. 1e-9); ``"value": null`` means the peer asserts that the text holds no number.
* ``money``: ``parse_quantity(text, lang=lang)``; a hit when ``value`` matches and, for every
  one of ``value_max``, ``currency`` and ``qualifier`` that the case gives, the reading matches
  it too (``"value_max": null`` / ``"currency": null``: the reading must have none).
* ``date``: ``parse_date(text, lang=lang, reference=reference)``; a hit when ``start`` matches
  and, where the case gives them, ``end`` and ``granularity``; ``"start": null`` means the peer
  asserts no resolvable date.

Exact or abstain: a reading that is wrong in any checked field is SILENT WRONG, unless the
reader marked it ``uncertain`` (or returned nothing, an unresolved date, or no currency where one
was expected): those are misses, the reader abstained. An exception is a miss, shown with its type.

The table gives accuracy per source x language x kind, split by scope (core / borderline /
questionable), with the silent-wrong count of each cell; then totals per language x kind, up to
``--misses`` misses (silent wrong first), and a one-line SUMMARY. Always exits 0: a measurement.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DIR = ROOT / "tests" / "data" / "peers"
SCOPES = ("core", "borderline", "questionable")
KINDS = ("number", "money", "date")


@dataclass
class Outcome:
    hit: bool
    silent: bool  # a wrong reading given without doubt
    why: str  # for a miss: what went wrong
    got: str  # what the reader returned, for the listing


def load_cases(paths: list[Path]) -> list[dict]:
    out = []
    for path in paths:
        with path.open(encoding="utf-8") as f:
            for i, line in enumerate(f, 1):
                line = line.strip()
                if not line:
                    continue
                try:
                    c = json.loads(line)
                except json.JSONDecodeError as e:
                    raise SystemExit(f"{path}:{i}: not a JSON object: {e}") from None
                if c.get("kind") not in KINDS or not all(k in c for k in ("text", "lang", "source")):
                    raise SystemExit(f"{path}:{i}: a case needs source, kind ({'/'.join(KINDS)}), text and lang: "
                                     f"{line[:80]}")
                c["_where"] = f"{path.name}:{i}"
                out.append(c)
    return out


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    try:
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    except (TypeError, ValueError, OverflowError):
        return False


def _currency_of(q) -> str | None:
    """The reading's currency: the ``currency`` field where the Quantity has one, else its unit
    when that is an ISO 4217 code (the v0.2 shape put currencies in ``unit``)."""
    if hasattr(q, "currency"):
        return q.currency
    u = q.unit
    return u if isinstance(u, str) and len(u) == 3 and u.isupper() and u.isalpha() else None


def _show_q(q) -> str:
    s = f"{q.value!r}"
    if q.value_max is not None:
        s += f"..{q.value_max!r}"
    s += f" {q.qualifier}"
    cur = _currency_of(q)
    if cur:
        s += f" {cur}"
    elif q.unit:
        s += f" unit={q.unit}"
    if q.uncertain:
        s += f" UNCERTAIN({q.reason})"
    return s + f" from {q.text!r}"


def run_quantity(c: dict, parse_quantity) -> Outcome:
    """A number or money case."""
    want = c.get("value")
    try:
        q = parse_quantity(c["text"], lang=c.get("lang"))
    except Exception as e:  # noqa: BLE001 - a library failure is a miss, never a crash
        return Outcome(False, False, f"exception {type(e).__name__}", f"{type(e).__name__}: {e}"[:120])
    if want is None:
        if q is None:
            return Outcome(True, False, "", "None")
        return Outcome(False, not q.uncertain, "a figure where the peer expects none", _show_q(q))
    if q is None:
        return Outcome(False, False, "no figure found", "None")
    shown = _show_q(q)
    wrong = []
    if not _same(q.value, want):
        wrong.append("value")
    if "value_max" in c and not _same(q.value_max, c["value_max"]):
        wrong.append("value_max")
    if "qualifier" in c and c["qualifier"] is not None and q.qualifier != c["qualifier"]:
        wrong.append("qualifier")
    abstained_currency = False
    if c["kind"] == "money" and "currency" in c:
        got_cur = _currency_of(q)
        if got_cur != c["currency"]:
            if got_cur is None:
                abstained_currency = True  # the reader gave no currency: a miss, not a wrong one
            else:
                wrong.append("currency")
    if not wrong and not abstained_currency:
        return Outcome(True, False, "", shown)
    if not wrong:
        return Outcome(False, False, "no currency given", shown)
    return Outcome(False, not q.uncertain, "wrong " + "+".join(wrong) + (" (marked uncertain)" if q.uncertain else ""),
                   shown)


def run_date(c: dict, parse_date) -> Outcome:
    want = c.get("start")
    ref = c.get("reference")
    try:
        d = parse_date(c["text"], lang=c.get("lang"), reference=date.fromisoformat(ref) if ref else None)
    except Exception as e:  # noqa: BLE001
        return Outcome(False, False, f"exception {type(e).__name__}", f"{type(e).__name__}: {e}"[:120])
    if want is None:
        if d is None or d.start is None:
            return Outcome(True, False, "", "None" if d is None else "unresolved")
        return Outcome(False, True, "a date where the peer expects none", f"{d.start} {d.granularity} from {d.text!r}")
    if d is None:
        return Outcome(False, False, "no date found", "None")
    if d.start is None:
        return Outcome(False, False, "date found but unresolved", f"unresolved {d.granularity} from {d.text!r}")
    shown = f"{d.start}..{d.end} {d.granularity} ({d.calendar}) from {d.text!r}"
    wrong = []
    if d.start.isoformat() != want:
        wrong.append("start")
    if c.get("end") and (d.end is None or d.end.isoformat() != c["end"]):
        wrong.append("end")
    if c.get("granularity") and d.granularity != c["granularity"]:
        wrong.append("granularity")
    if not wrong:
        return Outcome(True, False, "", shown)
    return Outcome(False, True, "wrong " + "+".join(wrong), shown)


def score(cases: list[dict]) -> list[tuple[dict, Outcome]]:
    from extractor.dates import parse_date
    from extractor.numbers import parse_quantity

    return [(c, run_date(c, parse_date) if c["kind"] == "date" else run_quantity(c, parse_quantity))
            for c in cases]


def _cell(v: list[Outcome]) -> str:
    if not v:
        return f"{'-':>21}"
    hits, silent = sum(o.hit for o in v), sum(o.silent for o in v)
    return f"{hits:>4}/{len(v):<4} {100 * hits / len(v):5.1f}% sw{silent:<3}"


def report(results: list[tuple[dict, Outcome]], misses: int, out=sys.stdout) -> None:
    def p(*a):
        print(*a, file=out)

    groups: dict[tuple, dict[str, list[Outcome]]] = defaultdict(lambda: defaultdict(list))
    for c, o in results:
        groups[(c["source"], c["lang"], c["kind"])][c.get("scope", "core")].append(o)
    w = max((len(k[0]) for k in groups), default=10)
    head = f"{'source':<{w}}  {'lang':<7} {'kind':<6}  {'core':>21}  {'borderline':>21}  {'questionable':>21}"
    p(head)
    p("-" * len(head))
    for key in sorted(groups, key=lambda k: (k[2], k[1], k[0])):
        g = groups[key]
        p(f"{key[0]:<{w}}  {key[1]:<7} {key[2]:<6}  {_cell(g['core'])}  {_cell(g['borderline'])}  "
          f"{_cell(g['questionable'])}")
    p("\n(sw = silent wrong: a wrong reading given without doubt)")
    p("\nTotals by language x kind")
    tot: dict[tuple, dict[str, list[Outcome]]] = defaultdict(lambda: defaultdict(list))
    for c, o in results:
        tot[(c["lang"], c["kind"])][c.get("scope", "core")].append(o)
        tot[("ALL", c["kind"])][c.get("scope", "core")].append(o)
    for key in sorted(tot, key=lambda k: (KINDS.index(k[1]), k[0] == "ALL", k[0])):
        g = tot[key]
        p(f"  {key[0]:<7} {key[1]:<6}  core {_cell(g['core'])}  borderline {_cell(g['borderline'])}  "
          f"questionable {_cell(g['questionable'])}")
    bad = [(c, o) for c, o in results if not o.hit]
    if bad and misses > 0:
        bad.sort(key=lambda co: (not co[1].silent, SCOPES.index(co[0].get("scope", "core")), co[0]["kind"],
                                 co[0]["lang"]))
        p(f"\nMisses ({len(bad)} in all, {sum(o.silent for _, o in bad)} silent wrong; showing up to {misses}, "
          "silent wrong first)")
        for c, o in bad[:misses]:
            want = _want(c)
            tag = "SILENT " if o.silent else ""
            p(f"  - {tag}[{c['kind']} {c['lang']} {c.get('scope', 'core')}] {c['text']!r}  want {want}  got {o.got}"
              f"  ({o.why}; {c['source'].split(':')[0]}; {c['_where']})")
    core = {k: g["core"] for k, g in tot.items() if g["core"] and k[0] != "ALL"}
    parts = [f"{k[1]}/{k[0]} {100 * sum(o.hit for o in v) / len(v):.1f}% (sw {sum(o.silent for o in v)})"
             for k, v in sorted(core.items(), key=lambda kv: (KINDS.index(kv[0][1]), kv[0][0]))]
    silent_cb = sum(o.silent for c, o in results if c.get("scope", "core") != "questionable")
    p(f"\nSUMMARY core: {', '.join(parts)}; silent wrong (core+borderline): {silent_cb}")


def _want(c: dict) -> str:
    if c["kind"] == "date":
        s = f"{c.get('start')}" + (f"..{c['end']}" if c.get("end") else "")
        s += f" gran={c['granularity']}" if c.get("granularity") else ""
        return s + (f" ref={c['reference']}" if c.get("reference") else "")
    s = repr(c.get("value"))
    if c.get("value_max") is not None:
        s += f"..{c['value_max']!r}"
    for k in ("qualifier", "currency"):
        if k in c:
            s += f" {k}={c[k]}"
    return s


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="*", help="case files (default: every tests/data/peers/*.jsonl)")
    ap.add_argument("--misses", type=int, default=30, help="misses to list (default 30)")
    ap.add_argument("--kind", choices=KINDS)
    ap.add_argument("--lang")
    ap.add_argument("--scope", choices=SCOPES)
    ap.add_argument("--source", help="only sources whose name contains this")
    args = ap.parse_args(argv)
    paths = [Path(f) for f in args.files] or sorted(DEFAULT_DIR.glob("*.jsonl"))
    if not paths:
        print(f"no case files in {DEFAULT_DIR}")
        return 0
    cases = [c for c in load_cases(paths)
             if (not args.kind or c["kind"] == args.kind) and (not args.lang or c["lang"] == args.lang)
             and (not args.scope or c.get("scope", "core") == args.scope)
             and (not args.source or args.source in c["source"])]
    report(score(cases), args.misses)
    return 0


if __name__ == "__main__":
    sys.exit(main())
