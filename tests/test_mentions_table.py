"""The mentions table: tables/mentions.csv and .parquet, from stored results or on its own."""

from __future__ import annotations

import csv
import json

import pyarrow.parquet as pq
from conftest import SEED_FILES

from extractor.core.types import ExtractionResult
from extractor.mentions import find_mentions
from extractor.outputs.export import export_all, write_mentions_table
from extractor.outputs.mentions import MENTION_COLUMNS, mention_rows
from extractor.store import Identity, NewRecord, Store
from extractor.text.reading import read_document

IDENT = Identity("health_news", "1.2", "default", "1", "none")


def _store_seeds(out, paths):
    """What a --mentions-only run stores: a result with mentions and sentences, no facts."""
    with Store(out) as st:
        for i, path in enumerate(paths):
            doc = read_document(path)
            found = find_mentions(doc)
            result = ExtractionResult(mentions=list(found.mentions), sentences=list(found.sentences))
            st.put(NewRecord(sha256=f"{i:064d}", identity=IDENT, source=path.name, status="ok", run_id=1,
                   result_json=result.model_dump_json(), text=doc.text, usage_json="{}"))


def test_export_writes_every_mention_with_spans_into_the_file(tmp_path):
    _store_seeds(tmp_path, SEED_FILES)
    paths = export_all(tmp_path)
    assert paths["table:mentions"] == tmp_path / "tables" / "mentions.csv"
    raw = (tmp_path / "tables" / "mentions.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader((tmp_path / "tables" / "mentions.csv").open(encoding="utf-8-sig")))
    assert list(rows[0]) == MENTION_COLUMNS
    texts = {p.name: read_document(p).text for p in SEED_FILES}
    assert {r["source"] for r in rows} == set(texts)
    for r in rows:
        assert texts[r["source"]][int(r["start"]):int(r["end"])] == r["text"]
        assert r["text"] in r["sentence_text"]
    money = next(r for r in rows if r["source"].startswith("003") and r["id"] == "M1")
    assert (money["kind"], money["text"], money["value"], money["currency"], money["qualifier"]) == (
        "money", "500余萬元", "5000000", "CNY", "more_than")
    table = pq.read_table(tmp_path / "tables" / "mentions.parquet")
    assert table.num_rows == len(rows) and table.column_names == MENTION_COLUMNS
    assert str(table.schema.field("start").type) == "int64"
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert summary["mentions"] == len(rows) and summary["facts"] == 0


def test_a_store_without_mentions_gets_the_header(tmp_path):
    with Store(tmp_path) as st:
        st.put(NewRecord(sha256="f" * 64, identity=IDENT, source="a.txt", status="ok", run_id=1,
               result_json=json.dumps({"facts": []}), text="x", usage_json="{}"))
    export_all(tmp_path)
    header = (tmp_path / "tables" / "mentions.csv").read_text(encoding="utf-8-sig").splitlines()
    assert header == [",".join(MENTION_COLUMNS)]


def test_the_table_on_its_own_neutralises_formulas(tmp_path):
    line = {"article_id": "a", "source": "=cmd.txt", "text": "-5% 以上",
            "mentions": [{"id": "Q1", "kind": "quantity", "text": "-5%", "start": 0, "end": 3, "value": -5,
                          "unit": "percent", "qualifier": "exact", "sentence": "S1"}],
            "sentences": [{"id": "S1", "start": 0, "end": 6}]}
    csv_path, parquet_path = write_mentions_table(mention_rows(line), tmp_path / "tables")
    row = next(csv.DictReader(csv_path.open(encoding="utf-8-sig")))
    assert row["source"] == "'=cmd.txt" and row["text"] == "'-5%" and row["value"] == "-5"
    assert pq.read_table(parquet_path).column("text").to_pylist() == ["-5%"]
    assert not list((tmp_path / "tables").glob(".*"))  # no temporary file left


def test_rows_of_an_old_line_without_mentions():
    assert list(mention_rows({"article_id": "a", "source": "s", "text": "t"})) == []
