"""Reading files into Documents: encodings, bad input, HTML, JSONL, metadata."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import pytest

from extractor.core.errors import InputError
from extractor.text.reading import Document, detect_metadata, document_from_text, iter_documents, read_document

SEEDS = Path("/work/shared/seeds")
SEED_FILES = sorted(SEEDS.glob("*.txt"))
ZH = {"001_3bb7291749eaef2f.txt", "002_db8248fa0f35ca8a.txt", "003_6b3a9c27e4eb7b2e.txt",
      "004_5f1231919d75e752.txt"}
HANT = {"002_db8248fa0f35ca8a.txt", "003_6b3a9c27e4eb7b2e.txt"}


def _seed(name):
    return (SEEDS / name).read_text(encoding="utf-8")


# ---------------------------------------------------------------- encodings

def _roundtrip(tmp_path, text, encoding, bom=b""):
    p = tmp_path / "article.txt"
    data = bom + text.encode(encoding)
    p.write_bytes(data)
    doc = read_document(p)
    assert doc.text == text, f"decoded as {doc.encoding}"
    assert doc.sha256 == hashlib.sha256(data).hexdigest()
    return doc


@pytest.mark.parametrize("path", SEED_FILES, ids=lambda p: p.name)
def test_utf8_seed(path):
    doc = read_document(path)
    assert doc.text == path.read_text(encoding="utf-8")
    assert doc.raw_text == doc.text and doc.format == "text" and doc.source == str(path)
    assert doc.warnings == ()


@pytest.mark.parametrize("name", sorted(ZH))
def test_gb18030(tmp_path, name):
    _roundtrip(tmp_path, _seed(name), "gb18030")


@pytest.mark.parametrize("name", sorted(HANT))
def test_big5(tmp_path, name):
    text = _seed(name)
    try:
        text.encode("big5")
    except UnicodeEncodeError:
        # Big5 has no tone-marked pinyin and misses a few Han characters: drop those.
        from extractor.text.textnorm import strip_pinyin

        text = "".join(ch for ch in strip_pinyin(text) if _big5_ok(ch))
    assert len(text) > 500
    _roundtrip(tmp_path, text, "big5")


def _big5_ok(s):
    try:
        s.encode("big5")
        return True
    except UnicodeEncodeError:
        return False


def test_windows_1256_persian(tmp_path):
    text = _seed("000_3fada1e31a9a57c2.txt")
    text = "".join(ch for ch in text if _enc_ok(ch, "cp1256"))
    doc = _roundtrip(tmp_path, text, "cp1256")
    assert doc.language == "fa"


def _enc_ok(ch, enc):
    try:
        ch.encode(enc)
        return True
    except UnicodeEncodeError:
        return False


@pytest.mark.parametrize("path", SEED_FILES, ids=lambda p: p.name)
def test_utf16_with_bom(tmp_path, path):
    _roundtrip(tmp_path, path.read_text(encoding="utf-8"), "utf-16")


@pytest.mark.parametrize("path", SEED_FILES, ids=lambda p: p.name)
def test_utf16_without_bom(tmp_path, path):
    _roundtrip(tmp_path, path.read_text(encoding="utf-8"), "utf-16-le")
    _roundtrip(tmp_path, path.read_text(encoding="utf-8"), "utf-16-be")


@pytest.mark.parametrize("path", SEED_FILES, ids=lambda p: p.name)
def test_utf8_with_bom(tmp_path, path):
    _roundtrip(tmp_path, path.read_text(encoding="utf-8"), "utf-8", bom=b"\xef\xbb\xbf")


def test_explicit_encoding(tmp_path):
    p = tmp_path / "a.txt"
    p.write_bytes("醫院召開會議。".encode("big5"))
    assert read_document(p, encoding="big5").text == "醫院召開會議。"
    with pytest.raises(InputError, match="a.txt"):
        read_document(p, encoding="utf-8")


# ---------------------------------------------------------------- mojibake: refuse to guess badly

ENGLISH_QUOTED = ("The County Hospital said \u201cwe performed 1,200 surgeries\u201d last year. "
                  "Officials\u2019 report \u2014 released on Monday \u2014 lists 340 beds.\n") * 4


def test_utf8_with_three_stray_bytes_is_utf8_flagged_not_mac_iceland(tmp_path):
    # v0.2 read this as mac_iceland: every \u201d became \u201a\u00c4\u00f9 ("‚Äù"), status ok.
    data = ENGLISH_QUOTED.encode("utf-8")
    data = data[:40] + b"\xff" + data[40:200] + b"\xfe" + data[200:300] + b"\x80" + data[300:]
    p = tmp_path / "stray.txt"
    p.write_bytes(data)
    doc = read_document(p)
    assert doc.encoding == "utf_8" and "\u201cwe performed 1,200 surgeries\u201d" in doc.text
    assert "\u201a\u00c4" not in doc.text and doc.text.count("\ufffd") == 3
    assert doc.warnings == ("encoding_repaired: 3 invalid UTF-8 byte sequence(s) replaced with U+FFFD",)


def test_short_english_and_chinese_with_stray_bytes_is_utf8_flagged_not_cp1252(tmp_path):
    text = "Hospital report: \u533b\u9662\u5b8c\u6210\u4e86100\u53f0\u624b\u672f last year in the county."
    data = text.encode("utf-8")
    data = data[:-5] + b"\x92\x93" + data[-5:]
    p = tmp_path / "short.txt"
    p.write_bytes(data)
    doc = read_document(p)
    assert doc.encoding == "utf_8" and "\u533b\u9662\u5b8c\u6210\u4e86100\u53f0\u624b\u672f" in doc.text
    assert doc.warnings and doc.warnings[0].startswith("encoding_repaired:")


def test_a_repaired_encoding_reaches_the_article_record(tmp_path):
    from extractor.text.reading import ENCODING_REPAIRED, iter_documents

    p = tmp_path / "lines.jsonl"
    p.write_bytes(json.dumps({"id": "a", "text": "The hospital has 120 beds."}).encode() + b"\n\xff\n")
    (doc,) = [d for d in iter_documents(p) if not isinstance(d, InputError)]
    assert doc.warnings and doc.warnings[0].startswith(ENCODING_REPAIRED)


@pytest.mark.parametrize("encoding,text", [
    ("cp1252", "The caf\u00e9 in Z\u00fcrich \u2014 \u201cna\u00efve\u201d r\u00e9sum\u00e9 of the county hospital. " * 8),
    ("gb18030", "\u533b\u9662\u53bb\u5e74\u5b8c\u6210\u4e861200\u53f0\u624b\u672f\uff0c\u5e8a\u4f4d340\u5f20\u3002" * 8),
    ("cp1256", "\u0623\u062c\u0631\u0649 \u0627\u0644\u0645\u0633\u062a\u0634\u0641\u0649 1200 \u0639\u0645\u0644\u064a\u0629 "
               "\u062c\u0631\u0627\u062d\u064a\u0629 \u0641\u064a \u0627\u0644\u0639\u0627\u0645 \u0627\u0644\u0645\u0627\u0636\u064a. " * 8),
])
def test_a_legacy_code_page_is_read_when_it_reads_as_a_supported_language(tmp_path, encoding, text):
    p = tmp_path / "legacy.txt"
    p.write_bytes(text.encode(encoding))
    doc = read_document(p)
    assert doc.text == text and doc.warnings == ()


def test_bytes_no_encoding_reads_as_a_supported_language_are_an_input_error(tmp_path):
    import random

    p = tmp_path / "noise.txt"
    rng = random.Random(1)
    p.write_bytes(bytes(rng.randrange(32, 256) for _ in range(3000)))
    with pytest.raises(InputError) as ei:
        read_document(p)
    assert str(p) in str(ei.value) and "not valid UTF-8" in str(ei.value) and "convert it to UTF-8" in str(ei.value)


# ---------------------------------------------------------------- bad input

@pytest.mark.parametrize("data,problem", [
    (b"", "empty"),
    (b"   \n\t\n  \r\n", "whitespace"),
    (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "binary"),
    (bytes((i * 7919 + 13) % 256 for i in range(4096)), "binary"),
])
def test_bad_files(tmp_path, data, problem):
    p = tmp_path / "bad file.txt"
    p.write_bytes(data)
    with pytest.raises(InputError) as ei:
        read_document(p)
    assert str(p) in str(ei.value) and problem in str(ei.value)
    assert ei.value.source == str(p)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="not found"):
        read_document(tmp_path / "nope.txt")


def test_over_max_bytes_is_quick(tmp_path):
    p = tmp_path / "big.txt"
    with open(p, "wb") as fh:  # sparse-ish: written by seeking, never held in memory
        fh.seek(50_000_000 - 1)
        fh.write(b"a")
    t = time.process_time()
    with pytest.raises(InputError, match="over the limit"):
        read_document(p)
    assert time.process_time() - t < 0.5  # CPU time: a busy machine must not fail it


def test_truncated_utf8_warns(tmp_path):
    text = _seed("001_3bb7291749eaef2f.txt")
    data = text.encode("utf-8") + "医".encode()[:2]
    p = tmp_path / "cut.txt"
    p.write_bytes(data)
    doc = read_document(p)
    assert doc.text == text
    assert doc.warnings and "truncated" in doc.warnings[0]


def test_stray_invalid_byte_warns(tmp_path):
    text = _seed("003_6b3a9c27e4eb7b2e.txt")
    data = text.encode("utf-8")
    data = data[:3000] + b"\xff" + data[3000:]
    p = tmp_path / "stray.txt"
    p.write_bytes(data)
    doc = read_document(p)
    assert doc.warnings and "\ufffd" in doc.text


@pytest.mark.parametrize("name", ["文章 一.txt", "مقاله ۱.txt", "a b c.md"])
def test_non_latin_and_spaced_names(tmp_path, name):
    p = tmp_path / name
    p.write_text(_seed("002_db8248fa0f35ca8a.txt"), encoding="utf-8")
    doc = read_document(p)
    assert doc.source == str(p) and doc.language == "zh-Hant"
    assert doc.format == ("markdown" if name.endswith(".md") else "text")
    (tmp_path / ("empty " + name)).write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        read_document(tmp_path / ("empty " + name))


# ---------------------------------------------------------------- html

HTML = """<!doctype html><html><head><meta charset="utf-8"><title>County opens clinics</title>
<meta name="author" content="Jane Doe"><meta property="og:site_name" content="Riverside Gazette">
<meta property="article:published_time" content="2024-03-03"></head><body>
<nav><a href="/">Home</a> <a href="/health">Health</a></nav>
<article><h1>County opens three rural clinics</h1>
<p>Riverside County opened three new primary care clinics on Monday, the health department said,
reducing the average travel time to a doctor for rural residents from 55 minutes to about 20 minutes.</p>
<p>The clinics were built with $4.2 million from the state's rural health fund and will employ 18 nurses
and 6 physicians. Officials expect them to handle around 30,000 visits a year.</p>
<p>"For many families this is the difference between seeing a doctor and not seeing one at all," said
Maria Lopez, the county's health director.</p></article>
<footer>Copyright 2024 Riverside Gazette</footer></body></html>"""


def test_html(tmp_path):
    p = tmp_path / "page.html"
    p.write_text(HTML, encoding="utf-8")
    doc = read_document(p)
    assert doc.format == "html" and doc.raw_text == HTML
    assert "30,000 visits" in doc.text and "<p>" not in doc.text
    assert doc.published == "2024-03-03" and doc.language == "en"
    assert doc.title and "clinics" in doc.title


def test_html_without_body(tmp_path):
    p = tmp_path / "empty page.html"
    p.write_text("<html><head><title>x</title></head><body><script>var a=1;</script></body></html>", encoding="utf-8")
    with pytest.raises(InputError, match="no body text"):
        read_document(p)


# ---------------------------------------------------------------- jsonl

def test_jsonl_with_broken_lines(tmp_path):
    p = tmp_path / "batch 批.jsonl"
    lines = [
        json.dumps({"id": "a", "text": _seed("001_3bb7291749eaef2f.txt")}, ensure_ascii=False),
        '{"id": "b", "text": "broken',
        "",
        json.dumps({"id": "c", "body": "no text field"}),
        json.dumps(["not", "an", "object"]),
        json.dumps({"text": "無id的記錄。醫院召開會議。", "outlet": "某報"}, ensure_ascii=False),
        json.dumps({"id": "e", "text": "   "}),
    ]
    p.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = list(iter_documents(p))
    assert len(out) == 6
    docs = [d for d in out if isinstance(d, Document)]
    errs = [e for e in out if isinstance(e, InputError)]
    assert [d.source for d in docs] == [f"{p}#a", f"{p}#L6"]  # a line without an id is named by its line
    assert docs[0].published == "2024-03-07" and docs[0].format == "jsonl"
    assert docs[1].outlet == "某報"
    assert len(errs) == 4
    assert all(str(p) in str(e) for e in errs)
    assert "line 2" in str(errs[0]) and "line 4" in str(errs[1])


def test_iter_documents_single_file(tmp_path):
    p = tmp_path / "x.txt"
    p.write_bytes(b"")
    (err,) = list(iter_documents(p))
    assert isinstance(err, InputError)
    (doc,) = list(iter_documents(SEED_FILES[0]))
    assert isinstance(doc, Document)


# ---------------------------------------------------------------- metadata

def test_document_from_text():
    text = _seed("003_6b3a9c27e4eb7b2e.txt")
    doc = document_from_text(text, source="x")
    assert doc.sha256 == hashlib.sha256(text.encode("utf-8")).hexdigest()
    assert doc.published == "2022-09-27" and doc.outlet == "健康報" and doc.language == "zh-Hant"
    assert doc.title == "山東援疆推動優質醫療資源下沉 惠及基層各族群眾健康"
    with pytest.raises(InputError):
        document_from_text("  \n ")
    bare = document_from_text(text, detect_metadata=False)
    assert bare.published is None and bare.text == text


def test_metadata_seeds():
    m1 = detect_metadata(_seed("001_3bb7291749eaef2f.txt"))
    assert m1["published"] == "2024-03-07" and m1["title"] == "让好的医疗离大众更近!"
    m2 = detect_metadata(_seed("002_db8248fa0f35ca8a.txt"))
    assert m2["outlet"] == "湖南法治報"
    m0 = detect_metadata(_seed("000_3fada1e31a9a57c2.txt"))
    assert m0["news_code"] == "73272" and m0["outlet"] == "آتیهآنلاین"
    assert detect_metadata(_seed("004_5f1231919d75e752.txt"))["outlet"] == "健康山西"


def test_metadata_other_forms():
    m = detect_metadata("Some headline here\nBy Jane Doe | March 3, 2024\nBody text follows here. It is long enough.")
    assert m["published"] == "2024-03-03" and m["author"] == "Jane Doe"
    m = detect_metadata("标题\n发布日期：2023年11月8日  来源：市医疗保障局\n正文内容很长很长。（记者 李华）")
    assert m["published"] == "2023-11-08" and m["outlet"] == "市医疗保障局" and m["author"] == "李华"
    m = detect_metadata("عنوان\nتاریخ انتشار: ۱۴۰۲/۰۳/۱۵\nمتن خبر.")
    assert m["published"] == "2023-06-05"  # Solar Hijri 1402-03-15, read by extractor.numbers.dates


def test_solar_hijri_publication_date_is_read_as_iso():
    from extractor.text.reading import detect_metadata

    text = "تیتر خبر درباره بیمارستان\nتاریخ انتشار: ۱۵ اردیبهشت ۱۴۰۲ - ۱۰:۳۰\nمتن خبر اینجاست و طولانی است."
    assert detect_metadata(text)["published"] == "2023-05-05"


def test_a_file_replaced_since_it_was_listed_is_not_read(tmp_path):
    p = tmp_path / "a.txt"
    p.write_text("The County Hospital has 40 beds.", encoding="utf-8")
    st = p.stat()
    listed = (st.st_dev, st.st_ino)
    assert read_document(p, listed_id=listed).text.startswith("The County")
    other = tmp_path / "b.txt"
    other.write_text("Another article with 7 clinics.", encoding="utf-8")
    other.replace(p)  # an editor's save, or someone's swap: a new file under the old name
    with pytest.raises(InputError, match=r"a\.txt: changed since it was listed \(another file is in its place\)"):
        read_document(p, listed_id=listed)
    (item,) = iter_documents(p, listed_id=listed)
    assert isinstance(item, InputError) and "changed since it was listed" in str(item)
    assert read_document(p).text.startswith("Another")  # without a listing: read as it is


def test_jsonl_is_split_at_newlines_only(tmp_path):
    """U+2028, U+0085 and a form feed may stand unescaped inside JSON strings (json.dumps
    with ensure_ascii=False writes them so): they do not end a record, nor shift the line
    numbers of the errors after them; a CRLF file reads the same."""
    from extractor.runs.discovery import jsonl_keys

    texts = ["Line\u2028separator: 40 beds.", "Next\u0085line: 3 clinics.", "Form\x0cfeed: 12 doctors."]
    lines = [json.dumps({"id": f"r{i}", "text": t}, ensure_ascii=False) for i, t in enumerate(texts)]
    p = tmp_path / "a.jsonl"
    p.write_bytes("\r\n".join([*lines, "{broken", ""]).encode())
    items = list(iter_documents(p))
    docs = [x for x in items if isinstance(x, Document)]
    assert [d.text for d in docs] == texts
    assert [d.source for d in docs] == [f"{p}#r{i}" for i in range(3)]
    (err,) = [x for x in items if isinstance(x, InputError)]
    assert str(err).startswith(f"{p}:4: line 4 is not valid JSON"), err
    p.write_bytes("\n".join(lines).encode())
    assert jsonl_keys(p, "text", "id") == [(d.source, d.sha256) for d in docs]

