"""Property-based tests (hypothesis) of the files a shop hands us: order imports (CSV, JSON, JSON
Lines) and FAQ files. Bad input gives problems with a line, never a crash, and a good file
imported afterwards still lands whole."""
from __future__ import annotations

import atexit
import json
import shutil
import string
import tempfile
from pathlib import Path

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from actions.importer import ImportProblems, read_orders
from actions.orders_store import COLUMNS, SqliteOrdersStore
from faq.loader import LoadResult, load_dir

FAST = settings(max_examples=150, deadline=None)
text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=80)
cells = st.one_of(text, st.sampled_from(["2026-02-30", "2026-11-03", "shipped", "paid", "x@y.be", "1-ABC-234",
                                         "", " ", "\"", ",", "\n", "10000001", "2026-11-03T10:00:00Z"]))
GOOD = ("order_number,email,plate,order_date,status,carrier,tracking_number,expected_delivery,items\n"
        "20000001,good@example.be,1-ABC-234,2026-11-02,shipped,bpost,TRK1,2026-11-05,Remblokken\n")


@st.composite
def csv_files(draw) -> str:
    header = draw(st.lists(st.sampled_from(COLUMNS + ("extra", "")), min_size=1, max_size=11))
    rows = draw(st.lists(st.lists(cells, min_size=0, max_size=11), max_size=6))
    quote = lambda v: '"' + v.replace('"', '""') + '"' if any(c in v for c in ',"\n') else v  # noqa: E731
    return "\n".join([",".join(header)] + [",".join(quote(v) for v in row) for row in rows])


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | cells,
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
                               st.sampled_from(COLUMNS) | text, inner, max_size=9), max_leaves=20)
json_files = st.one_of(json_values.map(json.dumps),
                       st.lists(json_values, max_size=5).map(lambda rows: "\n".join(json.dumps(r) for r in rows)),
                       text.map(lambda t: "[" + t))


_WORK = Path(tempfile.mkdtemp(prefix="fuzz-orders-"))
atexit.register(shutil.rmtree, _WORK, True)
_STORE: list[SqliteOrdersStore] = []


def _store() -> SqliteOrdersStore:
    """One real SQLite store for all examples (a fresh file each time costs seconds per test)."""
    if not _STORE:
        store = SqliteOrdersStore(_WORK / "orders.db")
        store.db.execute("PRAGMA synchronous=OFF")
        _STORE.append(store)
    return _STORE[0]


def _check(content: str | bytes, suffix: str) -> None:
    path = _WORK / f"orders{suffix}"
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8", "surrogatepass"))
    try:
        orders = read_orders(path)
    except ImportProblems as exc:
        assert exc.problems and all(isinstance(p, str) and p for p in exc.problems)
        orders = None
    store = _store()
    store.db.execute("DELETE FROM orders")
    if orders:
        store.upsert_all(orders)
        assert store.count() == len({o.order_number for o in orders})
    good = _WORK / "good.csv"
    good.write_text(GOOD)
    store.upsert_all(read_orders(good))  # the next good file still lands whole
    assert store.get("20000001").email == "good@example.be"


@FAST
@given(content=csv_files())
def test_any_csv_gives_orders_or_problems(content):
    _check(content, ".csv")


@FAST
@given(content=json_files)
def test_any_json_gives_orders_or_problems(content):
    _check(content, ".json")


@FAST
@given(content=st.binary(max_size=300))
def test_any_bytes_give_orders_or_problems(content):
    _check(content, ".csv")


FAQ_KEYS = ["id", "question", "alternatives", "answer", "tags", "source"]
faq_values = st.recursive(st.none() | st.booleans() | st.integers() | text | st.just("x.y"),
                          lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
                              st.sampled_from(FAQ_KEYS) | text, inner, max_size=6), max_leaves=15)
faq_files = st.one_of(
    st.lists(st.dictionaries(st.sampled_from(FAQ_KEYS), faq_values, max_size=6), max_size=4).map(
        lambda entries: yaml.safe_dump(entries, allow_unicode=True)),
    text, faq_values.map(lambda v: yaml.safe_dump(v, allow_unicode=True)),
    st.binary(max_size=200))
VALID = [{"id": "shop.hello", "question": "Hoe bestel ik?", "alternatives": ["bestellen"],
          "answer": "Via de website.", "tags": ["order"], "source": "x.txt"}]


@settings(max_examples=150, deadline=None)
@given(content=faq_files, name=st.text(alphabet=string.ascii_lowercase, min_size=1, max_size=8))
def test_any_faq_file_gives_entries_or_problems_with_a_line(content, name):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for lang in ("nl", "fr"):
            (root / lang).mkdir()
            (root / lang / "shop.yml").write_text(yaml.safe_dump(VALID, allow_unicode=True))
        bad = root / "nl" / f"{name}.yml"
        bad.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8", "surrogatepass"))
        result = load_dir(root)
        assert isinstance(result, LoadResult)
        assert all(p.file and p.message for p in result.problems)
        # The good file next to it is still read whole.
        assert {(e.lang, e.id) for e in result.entries} >= {("nl", "shop.hello"), ("fr", "shop.hello")} or \
            name == "shop"
