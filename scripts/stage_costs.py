"""CPU per article of each stage of the pipeline, one thread, no network (issue 22).

Reads ``--copies`` copies of the five seed articles (each made unique by a last line) and
times, with ``time.process_time``: reading (decoding, cleaning, metadata, language),
prepare (mentions, chunking, the prompt), the request body, validating a SYNTHETIC answer
(``tests/fakes.quote_article_answer``: the requested schema filled with real lines and words
of the article), finish (answer forms, grounding, field checks, dedupe) and the result's
JSON. Requests, the store and the exports are not in it (``scripts/bench_peers.py`` measures
the whole run).

    python scripts/stage_costs.py                 # label mode (the default)
    python scripts/stage_costs.py --quote         # quote mode
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "scripts"))


class Clock:
    """CPU time since the last tick, added to a stage."""

    def __init__(self, spent: dict[str, float]):
        self.spent, self.counting, self.last = spent, False, time.process_time()

    def start(self) -> None:
        self.last = time.process_time()

    def tick(self, stage: str) -> None:
        now = time.process_time()
        if self.counting:
            self.spent[stage] += now - self.last
        self.last = now


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--copies", type=int, default=40)
    ap.add_argument("--quote", action="store_true", help="quote mode (labels=False, evidence_mode='quote')")
    a = ap.parse_args()

    from bench_peers import seed_copies
    from fakes import quote_article_answer

    from extractor import Settings
    from extractor.core.types import Usage
    from extractor.grounding.validation import checking_quotes
    from extractor.model.outcome import CallOutcome
    from extractor.pipeline import ArticlePipeline
    from extractor.text.reading import iter_documents

    form = {"labels": False, "evidence_mode": "quote"} if a.quote else {}
    p = ArticlePipeline(Settings(provider="openai", base_url="http://127.0.0.1:9/v1", model="bench", api_key="x",
                                 **form))
    client = p.model_client
    files = sorted(seed_copies(Path(tempfile.mkdtemp(prefix="stage_costs_")), 5 * a.copies).glob("*.txt"))
    spent = dict.fromkeys(("read", "prepare", "request body", "validate", "finish", "result json"), 0.0)
    clock = Clock(spent)
    for n, path in enumerate(files):
        clock.counting = n >= 5  # the first copy of each seed warms the caches
        clock.start()
        tick = clock.tick
        doc = next(iter(iter_documents(path)))
        tick("read")
        prepared = p.prepare(doc)
        tick("prepare")
        body = client.request_body(list(prepared.messages[0]), p.response_model)
        tick("request body")
        words = tuple(w for w in doc.text.split() if len(w) >= 4)[:40]
        text = json.dumps(quote_article_answer(body, words), ensure_ascii=False)
        clock.start()
        with checking_quotes(p._context(prepared, prepared.chunks[0])):
            data = p.response_model.model_validate_json(text)
        tick("validate")
        result = p.finish(prepared, [CallOutcome(data, Usage())])
        tick("finish")
        result.model_dump_json()
        tick("result json")
    counted = len(files) - 5
    print(f"{'quote' if a.quote else 'label'} mode, {counted} seed articles, ms of CPU per article:")
    for stage, s in spent.items():
        print(f"  {stage:<13} {1000 * s / counted:6.2f}")
    print(f"  {'total':<13} {1000 * sum(spent.values()) / counted:6.2f}")


if __name__ == "__main__":
    main()
