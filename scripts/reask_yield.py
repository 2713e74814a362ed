"""What a re-ask for quotes not found buys: grounded facts gained per extra request (issue 22).

Replays the seed cassettes (``cassettes/test_cassettes/test_seed_extraction_replayed[NNN].yaml``,
recordings of the embedded llama.cpp model, SmolLM2-135M, made with one re-ask allowed)
twice: with no re-ask (``max_reasks=0``: the first answer only) and as recorded
(``max_reasks=1``), under this checkout's re-ask rule. Per seed: requests, facts kept
grounded, whether the first answer quoted anything of the article; then the totals and
grounded facts gained per extra request.

    python scripts/reask_yield.py            # this checkout's rule
    python scripts/reask_yield.py --json out.json

Run it on an older checkout to see its rule (``git worktree add ../old REV``, then
``PYTHONPATH=../old python scripts/reask_yield.py`` from there).
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

import vcr

from extractor import Extractor, ModelCallError, Settings

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "examples" / "seeds"
CASSETTES = ROOT / "cassettes" / "test_cassettes"


def replay(path: Path, max_reasks: int) -> dict:
    # The settings the cassettes were recorded with (tests/test_cassettes.py): the bodies must match.
    settings = Settings(provider="llamacpp", base_url="http://127.0.0.1:8765/v1", model="smollm2-135m-instruct-q4_1",
                        max_reasks=max_reasks, max_output_tokens=384, max_transport_retries=0, timeout_s=600,
                        prompt="default.v2", labels=False, evidence_mode="quote", **_as_recorded())
    cassette = CASSETTES / f"test_seed_extraction_replayed[{path.name[:3]}].yaml"
    recorder = vcr.VCR(record_mode="none", match_on=["method", "scheme", "path", "body"],
                       decode_compressed_response=True)
    with recorder.use_cassette(str(cassette)) as cass, Extractor(settings) as ex:
        try:
            result = ex.extract(path.read_text(encoding="utf-8"), source=path.name)
        except ModelCallError as exc:
            return {"requests": cass.play_count, "grounded": 0, "quoted": None, "error": exc.kind}
    return {"requests": cass.play_count, "grounded": sum(f.grounded for f in result.facts),
            "quoted": result.stats.exact + result.stats.fuzzy > 0, "error": None}


def _as_recorded() -> dict:
    return {"compact_schema": False} if "compact_schema" in Settings.model_fields else {}


def _shown(r: dict) -> str:
    return f"{r['requests']} request(s), {r['grounded']} grounded" + (f" ({r['error']})" if r["error"] else "")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    logging.disable(logging.WARNING)
    rows = []
    for path in sorted(SEEDS.glob("0*.txt")):
        first, recorded = replay(path, 0), replay(path, 1)
        rows.append({"seed": path.name[:3], "first_only": first, "with_reask": recorded})
        print(f"{path.name[:3]}: first answer only {_shown(first)}; with one re-ask {_shown(recorded)}")
    extra = sum(r["with_reask"]["requests"] - r["first_only"]["requests"] for r in rows)
    gained = sum(r["with_reask"]["grounded"] - r["first_only"]["grounded"] for r in rows)
    per = f"{gained / extra:.2f}" if extra else "n/a (no re-ask made)"
    print(f"total: {extra} extra request(s) for {gained} grounded fact(s) gained: {per} per extra request")
    if a.json:
        a.json.write_text(json.dumps({"rows": rows, "extra_requests": extra, "gained": gained}, indent=2))


if __name__ == "__main__":
    main()
