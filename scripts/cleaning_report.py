"""How well the line cleaner does on the annotated seeds and extra test pages.

For each file: precision/recall of "kept as body" against the body-line annotations,
the share of boilerplate lines removed, and size (characters, estimated prompt
tokens) before cleaning, after cleaning, and for a perfect line cleaner (exactly the
annotated body lines, inline pinyin dropped).

    python scripts/cleaning_report.py            # table
    python scripts/cleaning_report.py --json     # machine-readable
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from extractor.text.chunking import estimate_tokens
from extractor.text.cleaning import clean_by_lines, clean_text

ROOT = Path(__file__).resolve().parents[1]
SEEDS = Path("/work/shared/seeds")
DATA = ROOT / "tests" / "data"


def annotated_files() -> list[tuple[Path, list[int]]]:
    """(file, body line numbers) for every annotated seed and extra page present."""
    out = []
    for folder, ann in ((SEEDS, DATA / "body_lines.json"), (DATA / "pages", DATA / "pages" / "body_lines.json")):
        if not ann.exists():
            continue
        for name, lines in json.loads(ann.read_text(encoding="utf-8")).items():
            if name.startswith("_"):
                continue
            path = folder / name
            if path.exists():
                out.append((path, lines))
    return out


def measure(text: str, body: list[int]) -> dict:
    """Metrics for one text and its body-line annotation."""
    clean = clean_text(text)
    nonblank = {i for i, ln in enumerate(text.splitlines(), 1) if ln.strip()}
    body_set = set(body) & nonblank
    boiler = nonblank - body_set
    kept = set(clean.kept)
    tp = len(kept & body_set)
    perfect = clean_by_lines(text, body_set)
    return {
        "body_lines": len(body_set),
        "boilerplate_lines": len(boiler),
        "precision": tp / len(kept) if kept else 1.0,
        "recall": tp / len(body_set) if body_set else 1.0,
        "boilerplate_removed": len(boiler - kept) / len(boiler) if boiler else 1.0,
        "missed_body": sorted(body_set - kept),
        "kept_boilerplate": sorted(boiler & kept),
        "chars_before": len(text),
        "tokens_before": estimate_tokens(text),
        "chars_after": len(clean.text),
        "tokens_after": estimate_tokens(clean.text),
        "chars_perfect": len(perfect.text),
        "tokens_perfect": estimate_tokens(perfect.text),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = ap.parse_args(argv)
    rows = {}
    for path, body in annotated_files():
        rows[path.name] = measure(path.read_text(encoding="utf-8"), body)
    if not rows:
        print("no annotated files found", file=sys.stderr)
        return 1
    tot = {k: sum(r[k] for r in rows.values()) for k in
           ("tokens_before", "tokens_after", "tokens_perfect", "chars_before", "chars_after", "chars_perfect")}
    if args.json:
        print(json.dumps({"files": rows, "total": tot}, ensure_ascii=False, indent=1))
        return 0
    hdr = f"{'file':28} {'prec':>6} {'recall':>6} {'bp_rm':>6} {'chars b/a/p':>18} {'tokens b/a/p':>18}  missed/kept-bp"
    print(hdr)
    print("-" * len(hdr))
    for name, r in rows.items():
        print(f"{name:28} {r['precision']:6.1%} {r['recall']:6.1%} {r['boilerplate_removed']:6.1%} "
              f"{r['chars_before']:>6}/{r['chars_after']:>5}/{r['chars_perfect']:>5} "
              f"{r['tokens_before']:>6}/{r['tokens_after']:>5}/{r['tokens_perfect']:>5}  "
              f"{r['missed_body'] or '-'} {r['kept_boilerplate'] or '-'}")
    print(f"{'TOTAL':28} {'':20} {tot['chars_before']:>6}/{tot['chars_after']:>5}/{tot['chars_perfect']:>5} "
          f"{tot['tokens_before']:>6}/{tot['tokens_after']:>5}/{tot['tokens_perfect']:>5}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
