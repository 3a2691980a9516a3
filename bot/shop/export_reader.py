"""Reading a shop export: a directory of CSV files or one JSON file into raw records, and
converting their values to the columns' kinds (every problem is collected, nothing raises)."""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.shop.export_format import (
    REQUIRED_SECTIONS,
    SECTIONS,
    BadValue,
    Column,
    ImportIssue,
    Mode,
    RawRecord,
)


# Reading ----------------------------------------------------------------------------------------
def _read_csv_dir(
    directory: Path, issues: list[ImportIssue], mode: Mode
) -> dict[str, list[RawRecord]]:
    sections: dict[str, list[RawRecord]] = {}
    for name, columns in SECTIONS.items():
        filename = f"{name}.csv"
        path = directory / filename
        if not path.exists():
            if mode == "replace" and name in REQUIRED_SECTIONS:
                issues.append(ImportIssue(filename, None, None, f"file is missing in {directory}"))
            continue
        try:
            text = path.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError as exc:
            issues.append(ImportIssue(filename, None, None, f"not UTF-8 text ({exc.reason})"))
            continue
        reader = csv.reader(text.splitlines(keepends=True))
        header = next(reader, None)
        if header is None:
            issues.append(
                ImportIssue(filename, 1, None, "the file is empty; expected a header row")
            )
            continue
        header = [h.strip() for h in header]
        if not _check_header(filename, header, columns, issues):
            continue
        rows: list[RawRecord] = []
        previous_line = 1
        for cells in reader:
            line = previous_line + 1  # first physical line of this record
            previous_line = reader.line_num
            if not any(c.strip() for c in cells):
                continue
            if len(cells) != len(header):
                issues.append(
                    ImportIssue(
                        filename,
                        line,
                        None,
                        f"has {len(cells)} cells but the header has {len(header)} columns",
                    )
                )
                continue
            rows.append(RawRecord(filename, line, None, dict(zip(header, cells, strict=True))))
        sections[name] = rows
    return sections


def _check_header(
    filename: str, header: list[str], columns: Sequence[Column], issues: list[ImportIssue]
) -> bool:
    known = {c.name for c in columns}
    ok = True
    for name in header:
        if name not in known:
            issues.append(
                ImportIssue(filename, 1, name, f"unknown column; expected some of {sorted(known)}")
            )
            ok = False
    duplicates = {h for h in header if header.count(h) > 1}
    for name in sorted(duplicates):
        issues.append(ImportIssue(filename, 1, name, "column appears more than once"))
        ok = False
    for column in columns:
        if column.required and column.name not in header:
            issues.append(ImportIssue(filename, 1, column.name, "required column is missing"))
            ok = False
    return ok


def _read_json(path: Path, issues: list[ImportIssue], mode: Mode) -> dict[str, list[RawRecord]]:
    filename = path.name
    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError as exc:
        issues.append(ImportIssue(filename, None, None, f"not UTF-8 text ({exc.reason})"))
        return {}
    except json.JSONDecodeError as exc:
        issues.append(ImportIssue(filename, exc.lineno, None, f"invalid JSON: {exc.msg}"))
        return {}
    if not isinstance(document, dict):
        issues.append(
            ImportIssue(
                filename, None, None, f"expected an object of lists, got {type(document).__name__}"
            )
        )
        return {}
    unknown = set(document) - set(SECTIONS)
    for name in sorted(unknown):
        issues.append(
            ImportIssue(
                filename, None, None, f"unknown section {name!r}; expected some of {list(SECTIONS)}"
            )
        )
    sections: dict[str, list[RawRecord]] = {}
    for name, columns in SECTIONS.items():
        if name not in document:
            if mode == "replace" and name in REQUIRED_SECTIONS:
                issues.append(ImportIssue(filename, None, None, f"section {name!r} is missing"))
            continue
        records = document[name]
        if not isinstance(records, list):
            issues.append(ImportIssue(filename, None, None, f"section {name!r} must be a list"))
            continue
        known = {c.name for c in columns} | ({"variants"} if name == "products" else set())
        rows: list[RawRecord] = []
        for index, record in enumerate(records):
            label = f"{name}[{index}]"
            if not isinstance(record, dict):
                issues.append(ImportIssue(filename, None, None, "must be an object", label))
                continue
            for key in sorted(set(record) - known):
                issues.append(
                    ImportIssue(
                        filename,
                        None,
                        key,
                        f"unknown field; expected some of {sorted(known)}",
                        label,
                    )
                )
            rows.append(RawRecord(filename, None, label, dict(record)))
        sections[name] = rows
    return sections


# Converting values ------------------------------------------------------------------------------
_MONEY = re.compile(r"^-?[0-9]+(\.[0-9]{1,2})?$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _to_int(value: Any) -> int:
    if isinstance(value, bool):
        raise BadValue(f"{value!r} is not a whole number")
    if isinstance(value, int):
        return value
    text = str(value).strip()
    if not re.fullmatch(r"-?[0-9]+", text):
        raise BadValue(f"{text!r} is not a whole number")
    return int(text)


def _to_money(value: Any) -> int:
    """Yuan (up to 2 decimals) to cents: "1,299.50" -> 129950."""
    if isinstance(value, bool):
        raise BadValue(f"{value!r} is not a number")
    if isinstance(value, int | float):
        value = repr(value)
    text = str(value).strip().replace(",", "")
    text = re.sub(r"^(¥|￥|CNY\s*|RMB\s*)", "", text, flags=re.IGNORECASE)
    if not _MONEY.match(text):
        if re.fullmatch(r"-?[0-9]+\.[0-9]{3,}", text):
            raise BadValue(f"{value!r} has more than 2 decimal places")
        raise BadValue(f"{value!r} is not a number")
    try:
        cents = Decimal(text) * 100
    except InvalidOperation:
        raise BadValue(f"{value!r} is not a number") from None
    return int(cents)


def _to_float(value: Any) -> float:
    if isinstance(value, bool):
        raise BadValue(f"{value!r} is not a number")
    try:
        return float(str(value).strip())
    except ValueError:
        raise BadValue(f"{value!r} is not a number") from None


def _to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"true", "1", "yes", "y"}:
        return True
    if text in {"false", "0", "no", "n"}:
        return False
    raise BadValue(f"{value!r} is not true/false (use true, false, 1, 0, yes or no)")


def _to_datetime(value: Any, tz: ZoneInfo) -> datetime:
    text = str(value).strip()
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise BadValue(
            f"{text!r} is not a date/time; use ISO 8601, e.g. 2026-03-15 14:30 "
            "or 2026-03-15T14:30:00+08:00"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)  # shop-local time
    return parsed.astimezone(UTC)


def _to_list(value: Any) -> list[str]:
    if isinstance(value, list):
        if not all(isinstance(v, str) for v in value):
            raise BadValue("must be a list of strings")
        items = value
    elif isinstance(value, str):
        items = value.split("|")
    else:
        raise BadValue(f"{value!r} is not a list (use a|b|c in CSV, a list in JSON)")
    return list(dict.fromkeys(s.strip() for s in items if s.strip()))


def _to_object(value: Any) -> dict[str, str]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise BadValue(f'{value!r} is not a JSON object like {{"Battery": "30 h"}}') from None
    if not isinstance(value, dict):
        raise BadValue('must be a JSON object like {"Battery": "30 h"}')
    return {str(k): str(v) for k, v in value.items()}


def _to_phone(value: Any) -> str:
    text = " ".join(str(value).split())
    digits = re.sub(r"[^0-9]", "", unicodedata.normalize("NFKC", text))
    if len(digits) < 7 or re.search(r"[A-Za-z]", text):
        raise BadValue(f"{text!r} is not a phone number (at least 7 digits expected)")
    return text


def _to_email(value: Any) -> str:
    text = str(value).strip()
    if not _EMAIL.match(text):
        raise BadValue(f"{text!r} is not an email address")
    return text


def convert_value(column: Column, value: Any, tz: ZoneInfo) -> Any:
    kind = column.kind
    if kind == "int":
        result: Any = _to_int(value)
    elif kind == "money":
        result = _to_money(value)
        if result < 0:
            raise BadValue(f"{value!r} must not be negative")
    elif kind == "float":
        result = _to_float(value)
    elif kind == "bool":
        result = _to_bool(value)
    elif kind == "datetime":
        result = _to_datetime(value, tz)
    elif kind == "list":
        result = _to_list(value)
    elif kind == "object":
        result = _to_object(value)
    elif kind == "phone":
        result = _to_phone(value)
    elif kind == "email":
        result = _to_email(value)
    else:
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise BadValue(f"{value!r} is not text")
        result = str(value).strip()
        if column.choices and result not in column.choices:
            raise BadValue(f"{result!r} is not one of {', '.join(column.choices)}")
        if column.max_len is not None and len(result) > column.max_len:
            raise BadValue(f"is {len(result)} characters long; at most {column.max_len} allowed")
    if isinstance(result, int | float) and not isinstance(result, bool):
        if column.min_value is not None and result < column.min_value:
            raise BadValue(f"{value!r} must be at least {column.min_value:g}")
        if column.max_value is not None and result > column.max_value:
            raise BadValue(f"{value!r} must be at most {column.max_value:g}")
    return result


def convert_record(
    raw: RawRecord, columns: Sequence[Column], tz: ZoneInfo, issues: list[ImportIssue]
) -> dict[str, Any] | None:
    """Typed values keyed by the file's column names, or None if any field is bad."""
    out: dict[str, Any] = {}
    ok = True
    for column in columns:
        value = raw.values.get(column.name)
        if _is_missing(value):
            if column.required:
                issues.append(raw.issue(column.name, "is required"))
                ok = False
            out[column.name] = column.default
            continue
        try:
            out[column.name] = convert_value(column, value, tz)
        except BadValue as exc:
            issues.append(raw.issue(column.name, str(exc)))
            ok = False
    return out if ok else None


def read_export(path: Path, mode: Mode, issues: list[ImportIssue]) -> dict[str, list[RawRecord]]:
    if path.is_dir():
        return _read_csv_dir(path, issues, mode)
    if path.is_file() and path.suffix.lower() == ".json":
        return _read_json(path, issues, mode)
    issues.append(
        ImportIssue(
            str(path),
            None,
            None,
            "expected a directory of CSV files (products.csv, customers.csv, orders.csv, "
            "order_items.csv, ...) or a .json file",
        )
    )
    return {}
