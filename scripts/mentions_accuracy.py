"""How many gold quantities and amounts the mentions (``extractor.mentions.find_mentions``,
no model) hold with the right value and qualifier, their span pointing at their text.

    .venv/bin/python scripts/mentions_accuracy.py [--seeds DIR] [--gold DIR] [--misses]

* ``gold/``: every ``quantity`` and ``money`` fact of the gold annotations of the seeds
  (``../shared/seeds`` or ``examples/seeds``, or ``--seeds``). A gold fact is *present* when a mention of the
  same kind (money for money, quantity for quantity) lies inside an occurrence of the fact's
  evidence in the file, with the same value and qualifier; facts that share an evidence
  (50%、50%和18%) need distinct mentions. ``value`` counts the value alone, ``any kind``
  also accepts a quantity read as money or the reverse.
* ``tests/data/fresh_mentions/numbers.jsonl`` (328 clauses, one figure each, annotated by
  hand before any reader ran) and ``sentences.jsonl`` (47 sentences, 158 figures): a figure is
  present when a mention (quantity or money) of its clause has its value and qualifier.

Every mention's span is checked against its text (``spans``). Always exits 0.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from extractor.core.types import Mention  # noqa: E402
from extractor.mentions import find_mentions  # noqa: E402
from extractor.numbers import values_match  # noqa: E402
from extractor.text.reading import document_from_text, read_document  # noqa: E402

FRESH = ROOT / "tests/data/fresh_mentions"
SEEDS = Path(os.environ.get("EXTRACTOR_SEEDS", ROOT.parent / "shared" / "seeds"))
if not SEEDS.is_dir():  # a checkout that bundles the seeds
    SEEDS = ROOT / "examples" / "seeds"


def _same(m: Mention, value: float, qualifier: str | None) -> bool:
    return m.value is not None and values_match(m.value, value) and (qualifier is None or m.qualifier == qualifier)


def _assign(wanted: list[tuple[float, str | None, set[str]]], candidates: list[list[Mention]]) -> list[bool]:
    """Greedy one-to-one matching: each wanted figure takes the first unused mention that fits."""
    used: set[str] = set()
    out = []
    for (value, qualifier, kinds), cands in zip(wanted, candidates):
        hit = next((m for m in cands if m.id not in used and m.kind in kinds and _same(m, value, qualifier)), None)
        if hit is not None:
            used.add(hit.id)
        out.append(hit is not None)
    return out


def _spans_ok(text: str, mentions: Iterable[Mention]) -> tuple[int, int]:
    ms = list(mentions)
    return sum(text[m.start:m.end] == m.text for m in ms), len(ms)


def gold_figures(seeds: Path, gold: Path, show_misses: bool) -> None:
    levels = {"value+qualifier": 0, "value": 0, "value+qualifier, any kind": 0}
    total = 0
    spans = [0, 0]
    misses: list[str] = []
    for gold_file in sorted(gold.glob("*.json")):
        seed = seeds / f"{gold_file.stem}.txt"
        if not seed.exists():
            continue
        doc = read_document(seed)
        found = find_mentions(doc)
        ok, n = _spans_ok(doc.text, found.mentions)
        spans[0] += ok
        spans[1] += n
        facts = [f for f in json.loads(gold_file.read_text(encoding="utf-8"))["facts"] if f["type"] in ("quantity",
                                                                                                         "money")]
        cands = []
        for f in facts:
            occ = []
            i = doc.text.find(f["evidence"])
            while i >= 0:
                occ.append((i, i + len(f["evidence"])))
                i = doc.text.find(f["evidence"], i + 1)
            cands.append([m for m in found.mentions if any(s <= m.start and m.end <= e for s, e in occ)])
        total += len(facts)

        def wanted(with_qualifier: bool, any_kind: bool, facts: list[dict] = facts
                   ) -> list[tuple[float, str | None, set[str]]]:
            return [(f["data"].get("value", f["data"].get("amount")),
                     f["data"].get("qualifier", "exact") if with_qualifier else None,
                     {"quantity", "money"} if any_kind else {f["type"]}) for f in facts]

        strict = _assign(wanted(True, False), cands)
        levels["value+qualifier"] += sum(strict)
        levels["value"] += sum(_assign(wanted(False, False), cands))
        levels["value+qualifier, any kind"] += sum(_assign(wanted(True, True), cands))
        for f, hit, c in zip(facts, strict, cands):
            if not hit:
                got = [(m.id, m.text, m.value, m.qualifier) for m in c]
                misses.append(f"  {gold_file.stem[:3]} {f['type']} {f['data'].get('value', f['data'].get('amount'))} "
                              f"{f['data'].get('qualifier')} in {f['evidence'][:60]!r}: mentions there {got}")
    print(f"gold/ quantity+money facts: {total}")
    for name, n in levels.items():
        print(f"  present ({name}): {n}/{total} ({100 * n / max(total, 1):.1f}%)")
    print(f"  spans pointing at their text: {spans[0]}/{spans[1]}")
    if show_misses:
        print("\n".join(misses))


def fresh_figures(show_misses: bool) -> None:
    numbers = [json.loads(x) for x in (FRESH / "numbers.jsonl").read_text(encoding="utf-8").splitlines() if x.strip()]
    rows = [r for r in numbers if r.get("value") is not None]
    hit = 0
    spans = [0, 0]
    misses = []
    for r in rows:
        found = find_mentions(document_from_text(r["text"], detect_metadata=False), lang=r["lang"])
        ok, n = _spans_ok(r["text"], found.mentions)
        spans[0] += ok
        spans[1] += n
        if _assign([(r["value"], r["qualifier"], {"quantity", "money"})], [list(found.mentions)])[0]:
            hit += 1
        else:
            misses.append(f"  numbers {r['text'][:60]!r} [{r['lang']}] want {r['value']} {r['qualifier']}; got "
                          f"{[(m.value, m.qualifier) for m in found.mentions if m.kind != 'date']}")
    print(f"fresh numbers.jsonl: present {hit}/{len(rows)} ({100 * hit / max(len(rows), 1):.1f}%)")
    sentences = [json.loads(x) for x in (FRESH / "sentences.jsonl").read_text(encoding="utf-8").splitlines()
                 if x.strip()]
    figures = hit = 0
    for r in sentences:
        found = find_mentions(document_from_text(r["text"], detect_metadata=False), lang=r["lang"])
        ok, n = _spans_ok(r["text"], found.mentions)
        spans[0] += ok
        spans[1] += n
        want = [(q["value"], q["qualifier"], {"quantity", "money"}) for q in r["quantities"]]
        got = _assign(want, [list(found.mentions)] * len(want))
        figures += len(want)
        hit += sum(got)
        if not all(got):
            misses.append(f"  sentence {r['text'][:50]!r} [{r['lang']}] missed "
                          f"{[w[:2] for w, g in zip(want, got) if not g]}")
    print(f"fresh sentences.jsonl: figures present {hit}/{figures} ({100 * hit / max(figures, 1):.1f}%)")
    print(f"  spans pointing at their text: {spans[0]}/{spans[1]}")
    if show_misses:
        print("\n".join(misses))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=Path, default=SEEDS)
    parser.add_argument("--gold", type=Path, default=ROOT / "gold")
    parser.add_argument("--misses", action="store_true", help="list every figure not present")
    args = parser.parse_args()
    gold_figures(args.seeds, args.gold, args.misses)
    if FRESH.exists():
        fresh_figures(args.misses)


if __name__ == "__main__":
    main()
