import datetime as dt
import json
import sqlite3

import pytest
from click.testing import CliRunner

from actions.importer import ImportProblems, read_orders
from actions.orders_store import SqliteOrdersStore, open_store
from helpdesk.cli import cli

HEADER = "order_number,email,plate,order_date,status,carrier,tracking_number,expected_delivery,items\n"
GOOD = "55500001,Klant@Example.be,1-abc-999,2026-03-01,shipped,bpost,3232000001,2026-03-04,Remblokken\n"


def test_store_get_and_plate_match_ignore_case_spaces_dashes(orders_db):
    store = open_store()
    order = store.get("10000001")
    assert order.email == "jan.peeters@example.be"
    found = store.find_by_plate("1 abc-234", order.order_date)
    assert [o.order_number for o in found] == ["10000001"]
    assert store.find_by_plate("1ABC234", order.order_date - dt.timedelta(days=1)) == []
    assert store.get("99999999") is None


def test_import_csv_all_rows(tmp_path, monkeypatch):
    db = tmp_path / "o.db"
    monkeypatch.setenv("ORDERS_DB", str(db))
    src = tmp_path / "orders.csv"
    src.write_text(HEADER + GOOD + "55500002,b@example.fr,AB-123-CD,2026-03-02,delivered,,,,\n")
    result = CliRunner().invoke(cli, ["orders", "import", str(src)])
    assert result.exit_code == 0, result.output
    store = SqliteOrdersStore(db)
    assert store.count() == 2
    order = store.get("55500001")
    assert order.email == "klant@example.be" and order.expected_delivery == dt.date(2026, 3, 4)
    assert store.find_by_plate("1ABC999", dt.date(2026, 3, 1))[0].order_number == "55500001"


def test_import_bad_rows_reports_lines_and_imports_nothing(tmp_path, monkeypatch):
    db = tmp_path / "o.db"
    monkeypatch.setenv("ORDERS_DB", str(db))
    SqliteOrdersStore(db).upsert_all([])  # existing empty store stays empty
    src = tmp_path / "orders.csv"
    src.write_text(
        HEADER + GOOD
        + "55500002,not-an-email,AB-123-CD,2026-03-02,shipped,,,,\n"
        + "55500003,c@example.fr,AB-123-CD,03/02/2026,shipped,,,,\n"
        + "55500004,d@example.fr,,2026-03-02,lost,,,,\n"
        + "55500001,e@example.fr,,2026-03-02,paid,,,,\n"
    )
    result = CliRunner().invoke(cli, ["orders", "import", str(src)])
    assert result.exit_code != 0
    out = result.output
    assert "line 3: email" in out
    assert "line 4: order_date must be an ISO 8601 date" in out
    assert "line 5: status must be one of" in out
    assert "line 6: order_number 55500001 already on line 2" in out
    assert "nothing imported" in out
    assert sqlite3.connect(db).execute("select count(*) from orders").fetchone()[0] == 0


def test_import_json_array_with_line_numbers(tmp_path):
    good = {"order_number": "55500001", "email": "a@example.be", "plate": None, "order_date": "2026-03-01",
            "status": "paid", "items": ["remblokken", "olie"]}
    bad = dict(good, order_number="12ab")
    src = tmp_path / "orders.json"
    src.write_text("[\n" + json.dumps(good) + ",\n" + json.dumps(bad) + "\n]\n")
    with pytest.raises(ImportProblems) as exc:
        read_orders(src)
    assert exc.value.problems == ["line 3: order_number must be 6-12 digits, got '12ab'"]
    src.write_text(json.dumps([good]))
    [order] = read_orders(src)
    assert order.items == "remblokken; olie" and order.plate is None


def test_import_jsonl_and_header_errors(tmp_path):
    src = tmp_path / "orders.jsonl"
    src.write_text('{"order_number": "55500001", "email": "a@example.be", "order_date": "2026-03-01", "status": "paid"}\n{oops\n')
    with pytest.raises(ImportProblems) as exc:
        read_orders(src)
    assert exc.value.problems[0].startswith("line 2: invalid JSON")
    csv_src = tmp_path / "bad.csv"
    csv_src.write_text("order_number,mail\n1,2\n")
    with pytest.raises(ImportProblems) as exc:
        read_orders(csv_src)
    assert "missing column(s): email, order_date, status" in exc.value.problems[0]


def test_demo_seeds_and_prints(tmp_path, monkeypatch):
    monkeypatch.setenv("ORDERS_DB", str(tmp_path / "o.db"))
    result = CliRunner().invoke(cli, ["orders", "demo"])
    assert result.exit_code == 0, result.output
    assert "seeded 20 demo orders" in result.output
    store = SqliteOrdersStore(tmp_path / "o.db")
    plates = {o["plate"] for o in store.db["orders"].rows}
    assert {"1-ABC-234", "AB-123-CD", "12-ABC-3"} <= plates


def test_plugged_store(monkeypatch):
    monkeypatch.setenv("ORDERS_STORE", "helpers:not_there")
    with pytest.raises(AttributeError):
        open_store()
    monkeypatch.setenv("ORDERS_STORE", "no-colon")
    with pytest.raises(ValueError):
        open_store()


def test_import_failing_deep_in_the_file_leaves_the_store_as_it_was(tmp_path, monkeypatch):
    """All or nothing also when the database refuses row 150 (issue 12: 99 rows were left)."""
    db = tmp_path / "o.db"
    monkeypatch.setenv("ORDERS_DB", str(db))
    SqliteOrdersStore(db).upsert_all(read_orders(_write(tmp_path / "old.csv", HEADER + GOOD)))
    conn = sqlite3.connect(db)
    # The database itself refuses one row (a shop's own constraint, a full disk...).
    conn.execute("CREATE TRIGGER refuse BEFORE INSERT ON orders WHEN NEW.order_number = '55501150'"
                 " BEGIN SELECT RAISE(ABORT, 'row refused'); END")
    conn.commit()
    rows = "".join(f"{55501000 + i},k{i}@example.be,,2026-03-01,paid,,,,\n" for i in range(1, 301))
    rows += "55500001,nieuw@example.be,,2026-03-09,delivered,,,,\n"  # would replace an existing order
    src = _write(tmp_path / "orders.csv", HEADER + rows)
    result = CliRunner().invoke(cli, ["orders", "import", str(src)])
    assert result.exit_code != 0 and "nothing imported" in result.output
    assert "row refused" in result.output
    assert conn.execute("select count(*) from orders").fetchone()[0] == 1
    assert conn.execute("select email from orders").fetchone()[0] == "klant@example.be"


def _write(path, text: str):
    path.write_text(text)
    return path
