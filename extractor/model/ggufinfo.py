"""What a GGUF model file says about itself: architecture, context length, chat template.

``--local-model`` takes any GGUF file. The server's context size, the memory its KV cache
needs and whether the chat template renders tool schemas into the prompt are all in the
file's header, the key/value section in front of the tensors. :func:`read_gguf_info`
reads that section and nothing else, with the standard library only: the CLI calls it
before it starts llama.cpp, so ``--help`` and a bad path never pay for loading it.

Why not the ``gguf`` package (llama.cpp's own reader): it maps every tensor into numpy
arrays and parses every field; measured on the bundled 98 MB SmolLM2 file it took 172 ms
to import and 3.4 s to read, against 13 ms here (docs/local-models.md), and it would be
one more dependency of the ``[local]`` extra for ~150 lines. ``tests/test_ggufinfo.py``
checks this reader on headers the test writes itself (tests/gguf_writer.py, written from
the spec) and on the bundled model when the ``[local]`` extra is installed.

>>> import io, struct
>>> def kv_str(key, value):
...     k, v = key.encode(), value.encode()
...     return struct.pack("<Q", len(k)) + k + struct.pack("<IQ", 8, len(v)) + v
>>> def kv_u32(key, value):
...     k = key.encode()
...     return struct.pack("<Q", len(k)) + k + struct.pack("<II", 4, value)
>>> header = b"GGUF" + struct.pack("<IQQ", 3, 0, 2) + kv_str("general.architecture", "llama") \\
...     + kv_u32("llama.context_length", 8192)
>>> info = parse_gguf_header(header, source="tiny.gguf")
>>> info.architecture, info.context_length
('llama', 8192)
"""

from __future__ import annotations

import mmap
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from extractor.core.errors import ConfigurationError

__all__ = ["GGUFError", "GGUFInfo", "parse_gguf_header", "read_gguf_info"]

_MAGIC = b"GGUF"
# Value types of the GGUF spec (ggml/docs/gguf.md): struct code and size in bytes.
_SCALARS: dict[int, tuple[str, int]] = {
    0: ("B", 1), 1: ("b", 1), 2: ("H", 2), 3: ("h", 2), 4: ("I", 4), 5: ("i", 4),
    6: ("f", 4), 7: ("?", 1), 10: ("Q", 8), 11: ("q", 8), 12: ("d", 8),
}
_STRING, _ARRAY = 8, 9
# Sanity limits: a corrupt or hostile header must not make us allocate or loop forever.
_MAX_KV = 1_000_000
_MAX_STRING = 64 * 1024 * 1024  # chat templates are a few KB; 64 MB is absurd already
# Arrays are summarised, not kept: a tokenizer's 150,000 tokens are of no use here.
_KEEP_ARRAY_ITEMS = 16


class GGUFError(ConfigurationError):
    """A file is not a GGUF model, or its header cannot be read. The message names the file."""


@dataclass(frozen=True)
class GGUFArray:
    """An array value of the header: its element type, length and first few items."""

    item_type: int
    length: int
    head: tuple[Any, ...] = ()


@dataclass(frozen=True)
class GGUFInfo:
    """The header of a GGUF file. ``metadata`` holds every key; arrays as :class:`GGUFArray`."""

    source: str
    version: int
    tensor_count: int
    metadata: Mapping[str, Any] = field(repr=False)

    def get(self, key: str, default: Any = None) -> Any:
        return self.metadata.get(key, default)

    def _arch_int(self, suffix: str) -> int | None:
        value = self.metadata.get(f"{self.architecture}.{suffix}") if self.architecture else None
        # head_count_kv is an array (one per layer) in a few architectures: take the largest.
        if isinstance(value, GGUFArray):
            value = max((v for v in value.head if isinstance(v, int)), default=None)
        return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0 else None

    @property
    def architecture(self) -> str | None:
        value = self.metadata.get("general.architecture")
        return value if isinstance(value, str) and value else None

    @property
    def name(self) -> str | None:
        value = self.metadata.get("general.name")
        return value if isinstance(value, str) and value else None

    @property
    def license(self) -> str | None:
        value = self.metadata.get("general.license")
        return value if isinstance(value, str) and value else None

    @property
    def context_length(self) -> int | None:
        """``<arch>.context_length``: the context the model was trained for, in tokens."""
        return self._arch_int("context_length")

    @property
    def chat_template(self) -> str | None:
        value = self.metadata.get("tokenizer.chat_template")
        return value if isinstance(value, str) and value else None

    @property
    def template_renders_tools(self) -> bool:
        """Whether the chat template writes the tool definitions (their JSON schema) into
        the prompt, as Qwen's and Llama 3's do; SmolLM2's does not (the grammar alone
        carries the schema there)."""
        template = self.chat_template or ""
        return "tools" in template

    def kv_bytes_per_token(self, *, bytes_per_value: int = 2) -> int | None:
        """Memory of the KV cache per token of context (f16 keys and values by default),
        None when the header lacks a size."""
        layers = self._arch_int("block_count")
        heads = self._arch_int("attention.head_count")
        kv_heads = self._arch_int("attention.head_count_kv") or heads
        width = self._arch_int("embedding_length")
        key_len = self._arch_int("attention.key_length") or (width // heads if width and heads else None)
        value_len = self._arch_int("attention.value_length") or key_len
        if not (layers and kv_heads and key_len and value_len):
            return None
        return layers * kv_heads * (key_len + value_len) * bytes_per_value


class _Reader:
    def __init__(self, data: Any, source: str, order: str):
        self.data, self.pos, self.source, self.order = data, 0, source, order
        self.size = len(data)

    def fail(self, problem: str) -> GGUFError:
        return GGUFError(f"{self.source}: not a readable GGUF model header: {problem} (at byte {self.pos})")

    def scalar(self, code: str, size: int) -> Any:
        if self.pos + size > self.size:
            raise self.fail(f"the file ends inside the header ({self.size} bytes)")
        (value,) = struct.unpack_from(self.order + code, self.data, self.pos)
        self.pos += size
        return value

    def count(self, version: int) -> int:
        return self.scalar("I", 4) if version == 1 else self.scalar("Q", 8)

    def string(self, version: int) -> str:
        length = self.count(version)
        if length > _MAX_STRING or self.pos + length > self.size:
            raise self.fail(f"a string of {length} bytes does not fit in the file")
        raw = bytes(self.data[self.pos:self.pos + length])
        self.pos += length
        return raw.decode("utf-8", errors="replace")

    def skip_strings(self, n: int, version: int) -> None:
        # A vocabulary is 30,000 to 260,000 strings: one tight loop, checked at the end
        # (an overrun past the end raises struct.error on the next length read).
        width = 4 if version == 1 else 8
        unpack = struct.Struct(self.order + ("I" if version == 1 else "Q")).unpack_from
        data, pos = self.data, self.pos
        try:
            for _ in range(n):
                pos += width + unpack(data, pos)[0]
        except struct.error:
            raise self.fail(f"an array of {n} strings does not fit in the file") from None
        if pos > self.size:
            raise self.fail(f"an array of {n} strings does not fit in the file")
        self.pos = pos

    def value(self, kind: int, version: int) -> Any:
        if kind in _SCALARS:
            return self.scalar(*_SCALARS[kind])
        if kind == _STRING:
            return self.string(version)
        if kind == _ARRAY:
            item_type = self.scalar("I", 4)
            length = self.count(version)
            head = []
            for i in range(length):
                if i < _KEEP_ARRAY_ITEMS:
                    head.append(self.value(item_type, version))
                elif item_type in _SCALARS:
                    # Fixed-size items: jump over the rest at once.
                    size = _SCALARS[item_type][1] * (length - i)
                    if self.pos + size > self.size:
                        raise self.fail(f"an array of {length} items does not fit in the file")
                    self.pos += size
                    break
                elif item_type == _STRING:
                    self.skip_strings(length - i, version)
                    break
                else:
                    self.value(item_type, version)
            return GGUFArray(item_type, length, tuple(head))
        raise self.fail(f"unknown value type {kind}")


def parse_gguf_header(data: bytes | bytearray | memoryview | mmap.mmap, *, source: str = "<bytes>") -> GGUFInfo:
    """The header of a GGUF file held in ``data`` (the whole file or at least its header).

    Raises:
        GGUFError: not GGUF (the message quotes the first bytes), an unknown version,
            or a header cut short.
    """
    head = bytes(data[:4])
    if head != _MAGIC:
        raise GGUFError(f"{source}: not a GGUF model file (it starts with {head!r}, not {_MAGIC!r})")
    # GGUF is little-endian unless written on a big-endian machine; the version (1..3)
    # tells which: read the wrong way round it is a huge number.
    if len(data) < 24:
        raise GGUFError(f"{source}: not a readable GGUF model header: the file ends after {len(data)} bytes")
    order = "<"
    (version,) = struct.unpack_from("<I", data, 4)
    if version > 0xFFFF:
        order = ">"
        (version,) = struct.unpack_from(">I", data, 4)
    reader = _Reader(data, source, order)
    reader.pos = 8
    if version not in (1, 2, 3):
        raise GGUFError(f"{source}: GGUF version {version} is not one this reader knows (1, 2 or 3)")
    tensor_count = reader.count(version)
    kv_count = reader.count(version)
    if kv_count > _MAX_KV:
        raise reader.fail(f"{kv_count} metadata keys is not believable")
    metadata: dict[str, Any] = {}
    for _ in range(kv_count):
        key = reader.string(version)
        kind = reader.scalar("I", 4)
        metadata[key] = reader.value(kind, version)
    return GGUFInfo(source=source, version=version, tensor_count=tensor_count, metadata=metadata)


def read_gguf_info(path: str | Path) -> GGUFInfo:
    """The header of the GGUF file at ``path``, read without loading the model.

    Raises:
        GGUFError: the file cannot be opened, is not GGUF, or its header is cut short;
            the message names the file.
    """
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            size = fh.seek(0, 2)
            if size < 24:
                fh.seek(0)
                return parse_gguf_header(fh.read(), source=str(path))
            # The header can be megabytes (a tokenizer's vocabulary); a memory map reads
            # only the pages the parser touches.
            with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
                return parse_gguf_header(mapped, source=str(path))
    except OSError as exc:
        raise GGUFError(f"{path}: cannot read the model file: {exc.strerror or exc}") from None
