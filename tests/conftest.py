"""Shared fixtures: the seed articles and cassette settings.

Synthetic answers (made-up model output used to drive one code path) live in
``tests/fakes.py`` (the one fake model endpoint) and in the tests as functions named
``synthetic_*``; recordings of a real server live in ``cassettes/`` and are only ever
written by ``scripts/record_cassettes.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS_DIR = Path(os.environ.get("EXTRACTOR_SEEDS", ROOT.parent / "shared" / "seeds"))
if not SEEDS_DIR.is_dir():  # a checkout that bundles the seeds
    SEEDS_DIR = ROOT / "examples" / "seeds"
SEED_FILES = sorted(SEEDS_DIR.glob("0*.txt"))


def seed_text(prefix: str) -> str:
    """The text of the seed whose file name starts with ``prefix`` (e.g. '003')."""
    for p in SEED_FILES:
        if p.name.startswith(prefix):
            return p.read_text(encoding="utf-8")
    raise FileNotFoundError(f"no seed {prefix!r} in {SEEDS_DIR}")


@pytest.fixture(scope="session")
def seeds() -> dict[str, str]:
    return {p.name[:3]: p.read_text(encoding="utf-8") for p in SEED_FILES}


# --- cassettes (pytest-recording) ---------------------------------------------------
# Never set record_mode here: CI replays with the default 'none'; only
# scripts/record_cassettes.py passes --record-mode=rewrite.
@pytest.fixture(scope="module")
def vcr_config():
    return {
        "filter_headers": ["authorization", "cookie", "set-cookie", "api-key", "x-api-key", "openai-organization"],
        "decode_compressed_response": True,
        # Host and port differ between recordings (a free port each time); the body
        # carries the model, the messages and the schema, which is what matters.
        "match_on": ["method", "scheme", "path", "body"],
    }


@pytest.fixture(scope="module")
def vcr_cassette_dir(request):
    return str(ROOT / "cassettes" / request.module.__name__.split(".")[-1])
