"""The baseline of scripts/bench_peers.py: what a user writes without extractor.

A minimal asyncio + instructor loop over a folder of articles: read each file, ask the
model for the built-in schema (HealthNewsArticle) with instructor's defaults (tools
mode, validation re-asks), ``CONCURRENCY`` requests in flight, one JSON line per article.
No cleaning, no grounding, no number check, no store, no resume.

    python scripts/peer_instructor.py FOLDER OUT.jsonl BASE_URL MODEL CONCURRENCY
"""

import asyncio
import json
import sys
from pathlib import Path

import instructor
import openai

from extractor.schemas.health_news import HealthNewsArticle

PROMPT = ("Extract the facts of this health-service news article into the given structure. Use only what the "
          "article states; every fact's evidence is a verbatim quote of the article.")


async def main(folder: str, out: str, base_url: str, model: str, concurrency: int) -> None:
    client = instructor.from_openai(openai.AsyncOpenAI(base_url=base_url, api_key="x"))
    slots = asyncio.Semaphore(concurrency)

    async def one(path: Path) -> dict:
        text = path.read_text(encoding="utf-8")
        async with slots:
            try:
                facts = await client.chat.completions.create(
                    model=model, response_model=HealthNewsArticle, max_retries=2,
                    messages=[{"role": "system", "content": PROMPT}, {"role": "user", "content": text}])
            except Exception as exc:  # one bad article does not stop the loop
                return {"source": str(path), "error": str(exc)}
        return {"source": str(path), "data": facts.model_dump(mode="json")}

    with open(out, "w", encoding="utf-8") as sink:
        for done in asyncio.as_completed([one(p) for p in sorted(Path(folder).glob("*.txt"))]):
            sink.write(json.dumps(await done, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5], int(sys.argv[5])))
