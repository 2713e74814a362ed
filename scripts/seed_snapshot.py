#!/usr/bin/env python
"""Snapshot of what the pipeline produces on the five seeds, for before/after comparisons.

Two sources of model answers, both without a network:

* ``replayed``: the cassettes recorded from the embedded llama.cpp server
  (``cassettes/test_cassettes/test_seed_extraction_replayed[NNN].yaml``), replayed with vcrpy;
* ``gold``: each seed's gold facts (``gold/*.json``) sent back as the model's answer.

    python scripts/seed_snapshot.py > before.json      # on the old code
    python scripts/seed_snapshot.py > after.json       # on the new code
    diff before.json after.json                        # a refactor must show no difference

Volatile fields (timestamps) are left out; everything else of each ExtractionResult is kept.
"""

from __future__ import annotations

import json
import os
import sys
from collections import defaultdict
from pathlib import Path

import httpx2
import openai
import vcr

from extractor import Extractor, ModelCallError, Settings

ROOT = Path(__file__).resolve().parent.parent
# What else the settings must say for the requests to be those the cassettes hold.
AS_RECORDED: dict = {"compact_schema": False}
SEEDS = Path(os.environ.get("EXTRACTOR_SEEDS", ROOT.parent / "shared" / "seeds"))
if not SEEDS.is_dir():
    SEEDS = ROOT / "examples" / "seeds"
CASSETTES = ROOT / "cassettes" / "test_cassettes"
LIST_FIELD = {"place": "places", "organisation": "organisations", "consortium": "consortia", "person": "people",
              "quantity": "quantities", "money": "money", "facility": "facilities", "event": "events"}


def replayed(path: Path) -> dict:
    settings = Settings(provider="llamacpp", base_url="http://127.0.0.1:8765/v1", model="smollm2-135m-instruct-q4_1",
                        max_reasks=1, max_output_tokens=384, max_transport_retries=0, timeout_s=600,
                        # as the cassettes were recorded: quote mode, prompt v2
                        prompt="default.v2", labels=False, evidence_mode="quote", **AS_RECORDED)
    cassette = CASSETTES / f"test_seed_extraction_replayed[{path.name[:3]}].yaml"
    recorder = vcr.VCR(record_mode="none", match_on=["method", "scheme", "path", "body"],
                       decode_compressed_response=True)
    with recorder.use_cassette(str(cassette)), Extractor(settings) as ex:
        try:
            return json.loads(ex.extract(path.read_text(encoding="utf-8"), source=path.name).model_dump_json())
        except ModelCallError as exc:
            return {"error": exc.kind, "attempts": exc.attempts}


def gold_answer(gold: dict) -> dict:
    answer: dict = defaultdict(list)
    for fact in gold["facts"]:
        answer[LIST_FIELD[fact["type"]]].append({**fact["data"], "evidence": fact["evidence"]})
    body = {"id": "chatcmpl-snapshot", "object": "chat.completion", "created": 0, "model": "snapshot",
            "choices": [{"index": 0, "finish_reason": "stop", "message": {
                "role": "assistant", "content": None, "tool_calls": [{"id": "call_1", "type": "function", "function": {
                    "name": "HealthNewsArticle", "arguments": json.dumps(answer, ensure_ascii=False)}}]}}],
            "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120}}
    return body


def through_gold(gold_path: Path) -> dict:
    gold = json.loads(gold_path.read_text(encoding="utf-8"))
    body = gold_answer(gold)
    client = openai.OpenAI(api_key="sk-snapshot", base_url="http://snapshot.test/v1", max_retries=0,
                           http_client=httpx2.Client(transport=httpx2.MockTransport(
                               lambda request: httpx2.Response(200, json=body))))
    # Gold is written as quote-mode answers.
    settings = Settings(provider="openai", model="snapshot", api_key="sk-snapshot", max_reasks=0, labels=False,
                        evidence_mode="quote")
    text = (SEEDS / gold["source"]).read_text(encoding="utf-8")
    return json.loads(Extractor(settings, client=client).extract(text, source=gold["source"]).model_dump_json())


def main() -> int:
    snapshot = {
        "replayed": {p.name: replayed(p) for p in sorted(SEEDS.glob("0*.txt"))},
        "gold": {p.name: through_gold(p) for p in sorted((ROOT / "gold").glob("0*.json"))},
    }
    json.dump(snapshot, sys.stdout, ensure_ascii=False, indent=1, sort_keys=True)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
