"""Output tokens per gold fact in each answer form, and the prompt tokens of the two ways of
showing mentions to the model — computed, not measured with a model.

    .venv/bin/python scripts/tokens_per_fact.py [--seeds DIR] [--gold DIR]

Output tokens: every fact of ``gold/`` serialised as a model would write it (JSON, the
fields the form asks for) in

* ``quote``: the schema's fields and the verbatim evidence (today's form);
* ``label``: quantities and money as the mention id plus measure/subject/period/purpose
  (value, unit, currency, qualifier and evidence filled by the library), other facts as quote;
* ``sentence``: every evidence as the ids of the sentences it stands in (``["S12"]``);
* ``label+sentence``: both.

Prompt tokens: each seed's cleaned text plain, with inline mention markers (``⟦Q3⟧``), with
the mention table after it, with sentence ids, and with both ids.

Tokens are ``extractor.text.chunking.estimate_tokens`` (about one per CJK or Arabic-script
character, one per four ASCII characters; it errs high): tiktoken cannot load its encodings
without network access here, so real tokenizer counts are left to a run with a model.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from extractor.grounding.align import fact_models, fact_type_of  # noqa: E402
from extractor.grounding.labels import label_refs  # noqa: E402
from extractor.grounding.marking import render_marked, render_table  # noqa: E402
from extractor.mentions import MentionSet, find_mentions  # noqa: E402
from extractor.numbers import values_match  # noqa: E402
from extractor.schemas.health_news import HealthNewsArticle  # noqa: E402
from extractor.text.chunking import estimate_tokens  # noqa: E402
from extractor.text.reading import read_document  # noqa: E402

SEEDS = Path(os.environ.get("EXTRACTOR_SEEDS", ROOT.parent / "shared" / "seeds"))
if not SEEDS.is_dir():  # a checkout that bundles the seeds
    SEEDS = ROOT / "examples" / "seeds"
MODELS = {fact_type_of(m): m for m in fact_models(HealthNewsArticle)}
MODES = ("quote", "label", "sentence", "label+sentence")


def _span_of(text: str, evidence: str) -> tuple[int, int] | None:
    i = text.find(evidence)
    return (i, i + len(evidence)) if i >= 0 else None


def _sentence_ids(found: MentionSet, span: tuple[int, int] | None) -> list[str]:
    if span is None:
        return ["S1"]
    return [s.id for s in found.sentences if s.start < span[1] and span[0] < s.end] or ["S1"]


def _mention_id(found: MentionSet, fact: dict, span: tuple[int, int] | None, used: set[str]) -> str:
    value = fact["data"].get("value", fact["data"].get("amount"))
    for m in found.mentions:
        inside = span is None or (span[0] <= m.start and m.end <= span[1])
        if m.id not in used and m.kind == fact["type"] and inside and m.value is not None \
                and values_match(m.value, value):
            used.add(m.id)
            return m.id
    return ("M" if fact["type"] == "money" else "Q") + "99"  # not found: an id of the same length class


def serialise(fact: dict, mode: str, found: MentionSet, text: str, used: set[str]) -> str:
    model = MODELS[fact["type"]]
    span = _span_of(text, fact["evidence"])
    data = dict(fact["data"])
    label = mode.startswith("label") and bool(label_refs(model))
    if label:  # the evidence is the mention's sentence: nothing to quote or cite
        filled = {name for spec in label_refs(model).values() for name in spec.fields}
        data = {k: v for k, v in data.items() if k not in filled}
        data["mention"] = _mention_id(found, fact, span, used)
    elif mode.endswith("sentence"):
        data["evidence"] = _sentence_ids(found, span)
    else:
        data["evidence"] = fact["evidence"]
    return json.dumps(data, ensure_ascii=False)


def output_tokens(seeds: Path, gold: Path) -> None:
    totals = {m: 0 for m in MODES}
    numeric = {m: 0 for m in MODES}
    n = n_numeric = 0
    for gold_file in sorted(gold.glob("*.json")):
        seed = seeds / f"{gold_file.stem}.txt"
        if not seed.exists():
            continue
        doc = read_document(seed)
        found = find_mentions(doc)
        facts = json.loads(gold_file.read_text(encoding="utf-8"))["facts"]
        for mode in MODES:
            used: set[str] = set()
            for fact in facts:
                tokens = estimate_tokens(serialise(fact, mode, found, doc.text, used))
                totals[mode] += tokens
                if fact["type"] in ("quantity", "money"):
                    numeric[mode] += tokens
        n += len(facts)
        n_numeric += sum(f["type"] in ("quantity", "money") for f in facts)
    print(f"output tokens per gold fact (estimate_tokens; {n} facts, {n_numeric} quantity/money):")
    print(f"  {'mode':<16}{'all facts':>12}{'quantity+money':>16}")
    for mode in MODES:
        print(f"  {mode:<16}{totals[mode] / n:>12.1f}{numeric[mode] / n_numeric:>16.1f}")


def prompt_tokens(seeds: Path) -> None:
    print("prompt tokens of the article text (estimate_tokens):")
    print(f"  {'seed':<6}{'plain':>7}{'inline ⟦Q3⟧':>13}{'table':>8}{'[S12]':>8}{'both ids':>10}{'mentions':>10}")
    sums = [0] * 5
    for seed in sorted(seeds.glob("0*.txt")):
        found = find_mentions(read_document(seed))
        counts = [estimate_tokens(found.cleaned.text), estimate_tokens(render_marked(found)),
                  estimate_tokens(render_table(found)),
                  estimate_tokens(render_marked(found, mention_kinds=(), sentence_ids=True)),
                  estimate_tokens(render_marked(found, sentence_ids=True))]
        sums = [a + b for a, b in zip(sums, counts)]
        quantities = len([m for m in found.mentions if m.kind != "date"])
        print(f"  {seed.name[:3]:<6}{counts[0]:>7}{counts[1]:>13}{counts[2]:>8}{counts[3]:>8}{counts[4]:>10}"
              f"{quantities:>10}")
    print(f"  {'all':<6}{sums[0]:>7}{sums[1]:>13}{sums[2]:>8}{sums[3]:>8}{sums[4]:>10}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=Path, default=SEEDS)
    parser.add_argument("--gold", type=Path, default=ROOT / "gold")
    args = parser.parse_args()
    output_tokens(args.seeds, args.gold)
    print()
    prompt_tokens(args.seeds)


if __name__ == "__main__":
    main()
