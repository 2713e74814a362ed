"""A minimal GGUF header writer for tests: metadata only, no tensors.

It follows the GGUF spec (ggml/docs/gguf.md) independently of the reader under test, so a
mistake in one is not mirrored by the other. The files it writes are headers only;
llama.cpp cannot load them as models, which tests never ask it to.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

UINT8, INT8, UINT16, INT16, UINT32, INT32, FLOAT32, BOOL, STRING, ARRAY, UINT64, INT64, FLOAT64 = range(13)
_CODES = {UINT8: "B", INT8: "b", UINT16: "H", INT16: "h", UINT32: "I", INT32: "i", FLOAT32: "f", BOOL: "?",
          UINT64: "Q", INT64: "q", FLOAT64: "d"}


class Typed:
    """A value with an explicit GGUF type (plain Python values get a default one)."""

    def __init__(self, kind: int, value: Any, item_kind: int | None = None):
        self.kind, self.value, self.item_kind = kind, value, item_kind


def _kind_of(value: Any) -> Typed:
    if isinstance(value, Typed):
        return value
    if isinstance(value, bool):
        return Typed(BOOL, value)
    if isinstance(value, int):
        return Typed(UINT32 if 0 <= value < 2**32 else INT64, value)
    if isinstance(value, float):
        return Typed(FLOAT32, value)
    if isinstance(value, str):
        return Typed(STRING, value)
    if isinstance(value, list):
        first = _kind_of(value[0]) if value else Typed(UINT32, 0)
        return Typed(ARRAY, value, first.kind)
    raise TypeError(f"no GGUF type for {value!r}")


def _count(n: int, version: int, order: str) -> bytes:
    return struct.pack(order + ("I" if version == 1 else "Q"), n)


def _string(s: str, version: int, order: str) -> bytes:
    raw = s.encode("utf-8")
    return _count(len(raw), version, order) + raw


def _value(typed: Typed, version: int, order: str) -> bytes:
    if typed.kind == STRING:
        return _string(typed.value, version, order)
    if typed.kind == ARRAY:
        item_kind = typed.item_kind if typed.item_kind is not None else _kind_of(typed.value).item_kind
        assert item_kind is not None
        out = struct.pack(order + "I", item_kind) + _count(len(typed.value), version, order)
        return out + b"".join(_value(Typed(item_kind, v), version, order) for v in typed.value)
    return struct.pack(order + _CODES[typed.kind], typed.value)


def gguf_header(metadata: dict[str, Any], *, version: int = 3, big_endian: bool = False,
                tensor_count: int = 0) -> bytes:
    """The bytes of a GGUF header holding ``metadata`` (insertion order kept)."""
    order = ">" if big_endian else "<"
    out = [b"GGUF", struct.pack(order + "I", version), _count(tensor_count, version, order),
           _count(len(metadata), version, order)]
    for key, value in metadata.items():
        typed = _kind_of(value)
        out += [_string(key, version, order), struct.pack(order + "I", typed.kind), _value(typed, version, order)]
    return b"".join(out)


def llama_like_metadata(*, arch: str = "llama", context_length: int = 8192, chat_template: str | None = None,
                        vocab: int = 40, **extra: Any) -> dict[str, Any]:
    """The keys a real small llama-architecture model carries (SmolLM2-135M's sizes)."""
    meta: dict[str, Any] = {
        "general.architecture": arch,
        "general.name": "Tiny Test Model",
        "general.license": "apache-2.0",
        f"{arch}.context_length": context_length,
        f"{arch}.block_count": 30,
        f"{arch}.embedding_length": 576,
        f"{arch}.attention.head_count": 9,
        f"{arch}.attention.head_count_kv": 3,
        "tokenizer.ggml.model": "gpt2",
        "tokenizer.ggml.tokens": [f"tok{i}" for i in range(vocab)],
        "tokenizer.ggml.token_type": [1] * vocab,
    }
    if chat_template is not None:
        meta["tokenizer.chat_template"] = chat_template
    meta.update(extra)
    return meta


def write_gguf(path: Path, metadata: dict[str, Any] | None = None, **kw: Any) -> Path:
    """Write a header-only GGUF file; a llama-like header when no metadata is given."""
    path.write_bytes(gguf_header(llama_like_metadata() if metadata is None else metadata, **kw))
    return path
