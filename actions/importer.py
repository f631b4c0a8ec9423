"""Read an orders file (CSV, JSON array or JSON Lines) and validate every row.

All-or-nothing: `read_orders` returns either every order or every problem (with its line), so
`helpdesk orders import` never stores half a file.
"""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from actions.orders_store import COLUMNS, REQUIRED, Order, RowError, order_from_row


class ImportProblems(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def _csv_rows(text: str) -> list[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    if missing or unknown:
        detail = []
        if missing:
            detail.append(f"missing column(s): {', '.join(missing)}")
        if unknown:
            detail.append(f"unknown column(s): {', '.join(unknown)}")
        raise ImportProblems([f"line 1 (header): {'; '.join(detail)}; expected {','.join(COLUMNS)}"])
    reader.fieldnames = header
    rows = []
    line = 1
    for row in reader:
        line_start = line + 1
        line = reader.line_num
        if None in row:
            rows.append((line_start, {"__extra__": row.pop(None)}))
            continue
        if not any((v or "").strip() for v in row.values()):
            continue  # blank line
        rows.append((line_start, {k: (v.strip() if isinstance(v, str) else v) for k, v in row.items()}))
    return rows


def _json_rows(text: str) -> list[tuple[int, Any]]:
    """JSON array of objects, or one object per line; each row keeps the line it starts on."""
    stripped = text.lstrip()
    decoder = json.JSONDecoder()
    rows: list[tuple[int, Any]] = []
    if stripped.startswith("["):
        pos = text.index("[") + 1
        while True:
            while pos < len(text) and text[pos] in " \t\r\n,":
                pos += 1
            if pos >= len(text):
                raise ImportProblems([f"line {text.count(chr(10), 0, pos) + 1}: unterminated JSON array"])
            if text[pos] == "]":
                return rows
            line = text.count("\n", 0, pos) + 1
            try:
                value, pos = decoder.raw_decode(text, pos)
            except json.JSONDecodeError as exc:
                raise ImportProblems([f"line {exc.lineno}: invalid JSON: {exc.msg}"]) from None
            rows.append((line, value))
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            rows.append((number, json.loads(raw)))
        except json.JSONDecodeError as exc:
            raise ImportProblems([f"line {number}: invalid JSON: {exc.msg}"]) from None
    return rows


def read_orders(path: Path, shop: str | None = None) -> list[Order]:
    """Every order in the file, or ImportProblems listing each bad row by line.

    shop: for rows without a `shop` column value (default: the default shop)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ImportProblems([f"{path}: not UTF-8 text"]) from None
    is_json = path.suffix.lower() in (".json", ".jsonl", ".ndjson") or text.lstrip()[:1] in ("[", "{")
    rows = _json_rows(text) if is_json else _csv_rows(text)
    problems: list[str] = []
    orders: list[Order] = []
    seen: dict[str, int] = {}
    for line, row in rows:
        if not isinstance(row, dict):
            problems.append(f"line {line}: expected an object with the order columns")
            continue
        if "__extra__" in row:
            problems.append(f"line {line}: more values than columns")
            continue
        try:
            order = order_from_row(row, shop)
        except RowError as exc:
            problems.append(f"line {line}: {exc}")
            continue
        key = f"{order.shop}/{order.order_number}"
        if key in seen:
            problems.append(f"line {line}: order_number {order.order_number} already on line {seen[key]}")
            continue
        seen[key] = line
        orders.append(order)
    if problems:
        raise ImportProblems(problems)
    if not orders:
        raise ImportProblems([f"{path}: no orders found"])
    return orders
