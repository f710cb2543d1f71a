"""Strict reading of files (issue 17 items 2, 5, 14, 15): one encoding per file or a refusal
naming the first bad byte's line and column, NUL anywhere refused, ids normalised, mixed line
endings read, a column cap, byte-order marks of UTF-16/32, Excel's `sep=` line, misnamed
compressed files, integers out of range, upload names in messages, quotes in chart labels.
Every load goes through the real import into a real DuckDB file."""

from __future__ import annotations

import codecs
import json
import re
import subprocess
import sys
from pathlib import Path

import plotly
import pytest

from metrics.ingest import LoadRefused, load_file, preview
from metrics.store import Store
from render.theme import safe_label

ACC = "account_id,name,signup_date\n"


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "t.duckdb")
    yield s
    s.close()


def put(store: Store, name: str, data: bytes) -> Path:
    p = store.uploads / name
    p.write_bytes(data)
    return p


def stored(store: Store, sql: str) -> list[tuple]:
    cur = store.cursor()
    try:
        return cur.execute(sql).fetchall()
    finally:
        cur.close()


def names(store: Store) -> list[tuple]:
    return stored(store, "SELECT account_id, name FROM accounts ORDER BY account_id")


# --------------------------------------------------------------------------- item 2: encodings

def test_a_utf8_file_with_one_latin1_byte_is_refused_at_its_line_and_column(store):
    data = ACC.encode() + "A1,Société,2024-01-01\nA2,Zoë,2024-01-01\n".encode() + (
        b"A3,Caf\xe9 Noir,2024-01-01\n")
    res = load_file(store, "accounts", put(store, "a.csv", data))
    assert res.outcome == "refused"
    assert "not valid UTF-8" in res.message
    assert "byte 0xE9 at line 4, column 7" in res.message
    assert names(store) == []
    with pytest.raises(LoadRefused, match="line 4, column 7"):  # the wizard's preview too
        preview(store, "accounts", store.uploads / "a.csv")


def test_a_surrogate_sequence_in_a_utf8_file_is_refused_not_read_as_latin1(store):
    data = ACC.encode() + "A1,Zoë,2024-01-01\n".encode() + b"A2,x\xed\xa0\x80y,2024-01-01\n"
    res = load_file(store, "accounts", put(store, "a.csv", data))
    assert res.outcome == "refused"
    assert "byte 0xED at line 3, column 5" in res.message


def test_a_consistent_windows_1252_file_loads_its_names_right_and_says_so(store):
    text = ACC + "A1,Société Générale,2024-01-01\nA2,Zoë “Z” Ltd,2024-01-01\n"
    res = load_file(store, "accounts", put(store, "a.csv", text.encode("cp1252")))
    assert res.outcome == "loaded", res.message
    assert names(store) == [("A1", "Société Générale"), ("A2", "Zoë “Z” Ltd")]
    assert any("Windows-1252" in n for n in res.notes)
    _df, info = preview(store, "accounts", store.uploads / "a.csv")
    assert info["encoding"] == "cp1252"
    assert any("Windows-1252" in n for n in info["notes"])  # the wizard warns with it


def test_a_byte_undefined_in_windows_1252_is_refused(store):
    data = ACC.encode() + b"A1,Soci\xe9t\xe9,2024-01-01\nA2,x\x81,2024-01-01\n"
    res = load_file(store, "accounts", put(store, "a.csv", data))
    assert res.outcome == "refused"
    assert "line 3, column 5" in res.message


@pytest.mark.parametrize("codec", ["utf-32", "utf-32-be", "utf-16-be"])
def test_utf16_and_utf32_files_with_a_byte_order_mark_load(store, codec):
    text = ACC + "A1,Société,2024-01-01\n"
    bom = {"utf-32": b"", "utf-32-be": codecs.BOM_UTF32_BE, "utf-16-be": codecs.BOM_UTF16_BE}
    res = load_file(store, "accounts", put(store, "a.csv", bom[codec] + text.encode(codec)))
    assert res.outcome == "loaded", res.message
    assert names(store) == [("A1", "Société")]


# --------------------------------------------------------------------------- item 5: NUL, ids

def test_a_nul_byte_after_the_first_64_kb_refuses_the_file_with_line_and_column(store):
    rows = "".join(f"A{i},name {i},2024-01-01\n" for i in range(5000))
    data = ACC.encode() + rows.encode() + b"B1,x\x00y,2024-01-01\n"
    assert len(data) > 65536
    res = load_file(store, "accounts", put(store, "a.csv", data))
    assert res.outcome == "refused"
    assert "NUL character at line 5002, column 5" in res.message
    assert names(store) == []


LOOKALIKES = ["A1", "A\u200b1", "A1\u200d", "\ufeffA1", "A\u20601"]


def test_look_alike_ids_are_one_account_after_normalising(store):
    body = "".join(f"{a},n{i},2024-01-01\n" for i, a in enumerate(LOOKALIKES))
    body += "Cafe\u0301,x,2024-01-01\n"  # decomposed é: NFC makes it one character
    res = load_file(store, "accounts", put(store, "a.csv", (ACC + body).encode()),
                    allow_rejects=True)
    assert res.outcome == "loaded_with_rejects"
    assert names(store) == [("A1", "n0"), ("Café", "x")]
    dups = {r["line"] for r in res.rejects if "duplicate" in r["reason"]}
    assert dups == {3, 4, 5, 6}
    assert any("invisible characters" in n for n in res.notes)


def test_every_id_column_is_normalised_the_same_way(store):
    load_file(store, "accounts", put(store, "a.csv", (ACC + "A1,x,2024-01-01\n").encode()))
    t = ("ticket_id,account_id,created_at\nT\u200b1,\ufeffA1,2024-01-02\n")
    assert load_file(store, "tickets", put(store, "t.csv", t.encode())).outcome == "loaded"
    u = "account_id,user_id,occurred_at,feature\nA1\u200d,U\u200b1,2024-01-02 10:00,export\n"
    res = load_file(store, "usage_events", put(store, "u.csv", u.encode()))
    assert res.outcome == "loaded", res.message
    assert res.orphans == 0
    assert stored(store, "SELECT ticket_id, account_id FROM tickets") == [("T1", "A1")]
    assert stored(store, "SELECT account_id, user_id FROM usage_events") == [("A1", "U1")]


def test_the_reject_setting_rejects_ids_with_invisible_characters(store, monkeypatch):
    monkeypatch.setenv("CSM_IDS", "reject")
    body = "A1,x,2024-01-01\nA\u200b2,y,2024-01-01\n"
    res = load_file(store, "accounts", put(store, "a.csv", (ACC + body).encode()))
    assert res.outcome == "rejected"
    assert [(r["line"], r["column"]) for r in res.rejects] == [(3, "account_id")]
    assert "CSM_IDS=reject" in res.rejects[0]["reason"]


# --------------------------------------------------------------------------- item 14

MIXED = (ACC.encode() + b"A1,a,2024-01-01\r\nA2,b,2024-01-01\nA3,c,2024-01-01\rA4,d,2024-01-01"
         b"\r\n")


def test_mixed_line_endings_load_every_row_with_a_note(store):
    res = load_file(store, "accounts", put(store, "a.csv", MIXED))
    assert res.outcome == "loaded", res.message
    assert names(store) == [("A1", "a"), ("A2", "b"), ("A3", "c"), ("A4", "d")]
    assert any("mixes line endings" in n for n in res.notes)
    shown, info = preview(store, "accounts", store.uploads / "a.csv")  # no exception
    assert list(shown["name"]) == ["a", "b", "c", "d"]


def csm(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "csm.cli", *args], capture_output=True,
                          text=True, timeout=300)


def test_the_cli_loads_mixed_line_endings_and_refuses_bad_bytes_without_a_traceback(tmp_path):
    db = str(tmp_path / "db" / "csm.duckdb")
    (tmp_path / "mixed.csv").write_bytes(MIXED)
    r = csm("load", "accounts", str(tmp_path / "mixed.csv"), "--db", db)
    assert r.returncode == 0, r.stderr
    assert "note: mixed.csv mixes line endings" in r.stderr
    assert "state machine" not in r.stderr + r.stdout
    (tmp_path / "bad.csv").write_bytes(ACC.encode() + b"B1,Soci\xe9t\xc3\xa9,2024-01-01\n")
    r = csm("load", "accounts", str(tmp_path / "bad.csv"), "--db", db, "--mode", "append")
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    assert "line 2, column 8" in json.loads(r.stdout)["message"]


def test_a_file_wider_than_the_column_cap_is_refused_at_once(store, monkeypatch):
    header = ACC.strip() + "".join(f",x{i}" for i in range(10_000))
    row = "A1,x,2024-01-01" + ",1" * 10_000
    res = load_file(store, "accounts", put(store, "a.csv", f"{header}\n{row}\n".encode()))
    assert res.outcome == "refused"
    assert "10,003 columns, over the limit of 1,000 (setting CSM_MAX_COLUMNS)" in res.message


# --------------------------------------------------------------------------- item 15

def test_excels_sep_line_gives_the_delimiter_and_lines_stay_the_files(store):
    data = b"sep=;\naccount_id;name;signup_date\nA1;x;2024-01-01\nA2;y;2024-13-01\n"
    res = load_file(store, "accounts", put(store, "a.csv", data), allow_rejects=True)
    assert res.outcome == "loaded_with_rejects", res.message
    assert names(store) == [("A1", "x")]
    assert [(r["line"], r["column"]) for r in res.rejects] == [(4, "signup_date")]
    assert any("sep=;" in n for n in res.notes)


@pytest.mark.parametrize("name,kind", [("a.csv.gz", "gzip"), ("a.csv.zst", "zstd")])
def test_a_plain_file_named_as_compressed_says_so(store, name, kind):
    res = load_file(store, "accounts", put(store, name, (ACC + "A1,x,2024-01-01\n").encode()))
    assert res.outcome == "refused"
    assert f"is not {kind}-compressed" in res.message
    assert "GZIP stream" not in res.message and "frame descriptor" not in res.message


def test_a_zstd_file_is_refused_by_its_first_bytes(store):
    res = load_file(store, "accounts", put(store, "a.csv", b"\x28\xb5\x2f\xfd" + b"\x00" * 40))
    assert res.outcome == "refused"
    assert "zstd-compressed" in res.message


def test_an_integer_too_large_is_out_of_range_not_not_an_integer(store):
    t = "ticket_id,account_id,created_at,contacts\nT1,A1,2024-01-01,2147483648\n"
    res = load_file(store, "tickets", put(store, "t.csv", t.encode()))
    assert res.outcome == "rejected"
    assert res.rejects[0]["reason"] == "integer out of range (-2,147,483,648 to 2,147,483,647)"


def test_messages_name_the_upload_not_the_staged_copy(store):
    p = put(store, "0123456789ab_export.csv", b"foo,bar\n1,2\n")
    with pytest.raises(LoadRefused) as e:
        preview(store, "accounts", p, file_name="export.csv")
    assert "export.csv: missing required column" in str(e.value)
    assert "0123456789ab" not in str(e.value)
    res = load_file(store, "accounts", p, file_name="export.csv")
    assert "0123456789ab" not in res.message


def _plotly_decode(text: str) -> str:
    """Decode entities as plotly.js does: its own named table, and numeric ones."""
    js = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_text()
    table = re.search(r'\{mu:"[^}]*deg:"[^"]*"\}', js)
    assert table, "plotly.js's entity table was not found"
    named = dict(re.findall(r'(\w+):"([^"]*)"', table.group(0)))
    named = {k: v.encode().decode("unicode_escape") for k, v in named.items()}

    def one(m: re.Match) -> str:
        r = m.group(1)
        if r.startswith("#x"):
            return chr(int(r[2:], 16))
        if r.startswith("#"):
            return chr(int(r[1:]))
        return named.get(r, m.group(0))
    return re.sub(r"&(#\d+|#x[\da-fA-F]+|[a-z]+);", one, text)


@pytest.mark.parametrize("label", ['Acme "Pro" plan', "O'Brien & <b>Co</b>", "a > b"])
def test_chart_labels_show_quotes_as_quotes_not_entities(label):
    assert _plotly_decode(safe_label(label)) == label
    assert "<" not in safe_label(label)


def test_a_workbook_or_json_lines_refusal_names_the_upload_too(store):
    p = put(store, "0123456789ab_events.jsonl", b'{"a": 1}\nnot json\n')
    with pytest.raises(LoadRefused) as e:
        preview(store, "usage_events", p, file_name="events.jsonl")
    assert str(e.value).startswith("events.jsonl, line 2: not JSON")
