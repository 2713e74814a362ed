"""Exports from the store: articles.jsonl, CSV with BOM, Parquet, consortium members, summary."""

from __future__ import annotations

import csv
import json
import os

import pyarrow.parquet as pq

from extractor.outputs.export import export_all
from extractor.store import Identity, NewRecord, Store, input_error_key

IDENT = Identity("health_news", "1.0", "default", "1", "gpt-4o-mini")

TEXT = "Kermanshah hospital has 120 beds. The alliance has 64 members: A, B."
RESULT = {
    "data": {"quantities": [{"measure": "beds", "value": 120.0}]},
    "facts": [
        {"type": "quantity", "path": "quantities[0]", "data": {"measure": "beds", "value": 120.0, "unit": None,
                                                                 "tags": ["x", "y"]},
         "evidence": "has 120 beds", "span": {"start": 20, "end": 32}, "spans": [], "alignment": "exact",
         "score": 100.0, "grounded": True, "corrections": [{"field": "value", "model_value": 12,
                                                            "corrected_value": 120, "reason": "evidence"}],
         "flags": [], "chunk": 0},
        {"type": "consortium", "path": "consortia[0]", "data": {"name": "The alliance", "members": ["A", "B"],
                                                                  "member_count": 64},
         "evidence": "The alliance has 64 members", "span": {"start": 34, "end": 62}, "alignment": "exact",
         "grounded": True, "corrections": [], "flags": ["ungrounded"], "chunk": 0},
    ],
    "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120, "requests": 2, "calls": 1,
              "reasks": 1, "transport_retries": 0, "cost_usd": 0.001},
    "document": {"source": "a.txt", "title": "T", "language": "en", "encoding": "utf_8"},
    "stats": {"total": 2}, "schema_name": "health_news", "schema_version": "1.0", "prompt_name": "default",
    "prompt_version": "1", "model": "gpt-4o-mini", "provider": "openai", "warnings": [],
}


def _fill(out):
    with Store(out) as st:
        st.put(NewRecord(sha256="f" * 64, identity=IDENT, source="a.txt", status="ok", run_id=1,
               result_json=json.dumps(RESULT), text=TEXT, usage_json=json.dumps(RESULT["usage"])))
        st.put(NewRecord(sha256=input_error_key("bad.txt"), identity=IDENT, source="bad.txt", status="error", run_id=1,
               error="bad.txt: is empty (0 bytes)", error_kind="input"))


def test_articles_jsonl_has_every_article_with_text(tmp_path):
    _fill(tmp_path)
    paths = export_all(tmp_path)
    lines = [json.loads(x) for x in paths["articles"].read_text(encoding="utf-8").splitlines()]
    assert [x["status"] for x in lines] == ["ok", "error"]
    ok, err = lines
    for key in ("source", "sha256", "status", "error", "document", "facts", "data", "usage", "stats",
                "schema_name", "schema_version", "prompt_name", "prompt_version", "model", "text"):
        assert key in ok
    assert ok["text"] == TEXT and ok["article_id"] == "f" * 16
    assert TEXT[ok["facts"][0]["span"]["start"]:ok["facts"][0]["span"]["end"]] == "has 120 beds"
    assert err["sha256"] is None and err["error"].startswith("bad.txt")


def test_csv_has_bom_and_parquet_is_readable(tmp_path):
    _fill(tmp_path)
    export_all(tmp_path)
    raw = (tmp_path / "tables" / "quantity.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader((tmp_path / "tables" / "quantity.csv").open(encoding="utf-8-sig")))
    assert rows[0]["article_id"] == "f" * 16 and rows[0]["fact_index"] == "0"
    assert rows[0]["value"] == "120" and rows[0]["tags"] == "x; y"
    assert rows[0]["span_start"] == "20" and rows[0]["corrected"] == "true"
    assert json.loads(rows[0]["corrections"])[0]["corrected_value"] == 120
    table = pq.read_table(tmp_path / "tables" / "quantity.parquet")
    assert table.column("value").to_pylist() == [120.0]
    assert table.column("grounded").to_pylist() == [True]
    members = list(csv.DictReader((tmp_path / "tables" / "consortium_members.csv").open(encoding="utf-8-sig")))
    assert [m["member"] for m in members] == ["A", "B"] and members[0]["consortium"] == "The alliance"
    assert pq.read_table(tmp_path / "tables" / "consortium.parquet").num_rows == 1
    cons = list(csv.DictReader((tmp_path / "tables" / "consortium.csv").open(encoding="utf-8-sig")))
    assert cons[0]["members"] == "A; B" and cons[0]["flags"] == "ungrounded"


def test_summary_and_stale_tables_removed(tmp_path):
    (tmp_path / "tables").mkdir()
    (tmp_path / "tables" / "person.csv").write_text("old")
    (tmp_path / "tables" / "obsolete_type.csv").write_text("old")
    _fill(tmp_path)
    paths = export_all(tmp_path)
    summary = json.loads(paths["summary"].read_text())
    assert summary["ok"] == 1 and summary["error"] == 1
    assert summary["facts_by_type"] == {"consortium": 1, "quantity": 1}
    assert summary["tokens"]["total_tokens"] == 120 and summary["cost_usd"] == 0.001
    assert summary["reasks"] == 1 and summary["requests"] == 2
    assert not (tmp_path / "tables" / "obsolete_type.csv").exists()
    # Every fact type of the schema has its table; one without facts has a header only.
    with open(tmp_path / "tables" / "person.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert rows[0][:4] == ["article_id", "source", "fact_index", "name"] and len(rows) == 1
    assert pq.read_table(tmp_path / "tables" / "money.parquet").num_rows == 0
    assert not list(tmp_path.glob(".*.tmp-*"))


def test_int_beyond_int64_and_csv_formula_cells(tmp_path):
    from extractor.outputs.export import write_table

    rows = [{"article_id": "a", "source": "s", "fact_index": 0, "n": 10 ** 19, "name": "=HYPERLINK(\"x\")",
             "m": "-3", "t": "\tx", "ok": "plain"}]
    write_table(rows, tmp_path / "t.csv", tmp_path / "t.parquet")
    with open(tmp_path / "t.csv", encoding="utf-8-sig", newline="") as fh:
        row = list(csv.DictReader(fh))[0]
    assert row["name"] == "'=HYPERLINK(\"x\")" and row["m"] == "'-3" and row["t"] == "'\tx" and row["ok"] == "plain"
    table = pq.read_table(tmp_path / "t.parquet").to_pylist()[0]
    assert table["n"] == str(10 ** 19) and table["name"] == "=HYPERLINK(\"x\")"


def test_export_does_not_import_pandas(tmp_path):
    """pyarrow imports pandas (when installed) on its first conversion of Python lists; the
    export converts through Arrow's JSON reader instead, so a run does not pay for it."""
    import subprocess
    import sys

    _fill(tmp_path)
    code = ("import sys\nfrom extractor.outputs.export import export_all\nexport_all(sys.argv[1])\n"
            "print('pandas' in sys.modules)")
    res = subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.strip() == "False"


def test_parquet_rows_longer_than_the_reader_block_and_many_blocks(tmp_path):
    """The JSON reader's block must hold the longest row; many small rows span many blocks."""
    from extractor.outputs.export import _PARQUET_BLOCK, write_table

    long_text = "长" * (_PARQUET_BLOCK * 2)   # 3 bytes each in UTF-8: six blocks' worth in one row
    rows = [{"article_id": f"a{i}", "fact_index": i, "evidence": f"row {i}"} for i in range(5000)]
    rows.insert(2500, {"article_id": "long", "fact_index": -1, "evidence": long_text})
    write_table(rows, tmp_path / "t.csv", tmp_path / "t.parquet")
    table = pq.read_table(tmp_path / "t.parquet")
    assert table.num_rows == 5001
    got = table.to_pylist()
    assert got[2500]["evidence"] == long_text and got[-1] == {"article_id": "a4999", "fact_index": 4999,
                                                               "evidence": "row 4999"}


def test_summary_counts_the_cost_of_a_shared_answer_once(tmp_path):
    _fill(tmp_path)
    with Store(tmp_path) as st:  # two more files with the same content: no call was made for them
        st.put_source("copy.txt", "f" * 64, IDENT, run_id=1, duplicate_of="a.txt")
        st.put_source("later.txt", "f" * 64, IDENT, run_id=2)
    summary = json.loads(export_all(tmp_path)["summary"].read_text())
    assert summary["articles"] == 4 and summary["ok"] == 3
    assert summary["tokens"]["total_tokens"] == 120 and summary["cost_usd"] == 0.001 and summary["requests"] == 2


def test_a_failed_export_leaves_the_previous_files_and_no_temporary_ones(tmp_path, monkeypatch):
    _fill(tmp_path)
    export_all(tmp_path)
    before = {p.name: p.read_bytes() for p in (tmp_path / "tables").glob("*.parquet")}

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pq.ParquetWriter, "write_batch", disk_full)
    try:
        export_all(tmp_path)
    except OSError:
        pass
    else:
        raise AssertionError("the simulated full disk did not reach export_all")
    assert not list(tmp_path.rglob(".*.tmp-*")) and not list(tmp_path.glob(".export-*"))
    assert {p.name: p.read_bytes() for p in (tmp_path / "tables").glob("*.parquet")} == before


def test_scratch_left_by_a_killed_export_is_removed(tmp_path):
    import subprocess
    import sys

    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = int(gone.stdout)
    _fill(tmp_path)
    (tmp_path / f".export-{dead}").mkdir()
    (tmp_path / f".export-{dead}" / "0.jsonl").write_text("{}\n")
    (tmp_path / f".articles.jsonl.tmp-{dead}").write_text("half")
    (tmp_path / "batches").mkdir()
    (tmp_path / "batches" / f".output-1.jsonl.tmp-{dead}").write_text("half")
    (tmp_path / f".export-{os.getppid()}").mkdir()  # a live process's scratch is not ours to remove
    export_all(tmp_path)
    assert not (tmp_path / f".export-{dead}").exists()
    assert not (tmp_path / f".articles.jsonl.tmp-{dead}").exists()
    assert not (tmp_path / "batches" / f".output-1.jsonl.tmp-{dead}").exists()
    assert (tmp_path / f".export-{os.getppid()}").exists()
