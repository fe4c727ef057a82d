"""Import historical card payments into the ledger, at their original times.

    python -m scripts.import_transactions FILE.csv [--database-url URL] [--limit N]
        [--source handbook] [--currency JOD] [--batch-size 5000]

The file is in the format of the fraud detection handbook's simulated data (TRANSACTION_ID,
TX_DATETIME, CUSTOMER_ID, TERMINAL_ID, TX_AMOUNT and, optionally, TX_FRAUD and
TX_FRAUD_SCENARIO): each row a payment from a customer to a terminal (a merchant). The whole
file is read and checked first, so a bad row stops the run before anything is written, with
its line. The rows, in time order, then go to sp_import_transactions in batches; each batch
is one database transaction, and a row imported before is not posted again, so an
interrupted run is finished by running it again. Times are taken as UTC. Amounts carry the
float noise of the data set's generator (40.599999999999994): a value within 1e-9 of the
currency's minor unit is that value; any other extra decimal is an error.

The import runs as the operator's own login (the schema admin) on behalf of the system user
(or another admin with --actor-id); the API cannot call it.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pymysql
from tqdm import tqdm

from api.config import DatabaseAddress
from scripts.db_connection import connect
from scripts.dbserver import resolve_admin_url

REQUIRED_COLUMNS = ("TRANSACTION_ID", "TX_DATETIME", "CUSTOMER_ID", "TERMINAL_ID", "TX_AMOUNT")
LABEL_COLUMNS = ("TX_FRAUD", "TX_FRAUD_SCENARIO")
SYSTEM_USER_ID = 1
DEFAULT_BATCH = 5000
_PARTY_ID = re.compile(r"[a-z0-9_-]{1,20}")
_FLOAT_NOISE = Decimal("1e-9")
_RETRIED_ERRORS = {1205, 1213}  # lock wait timeout, deadlock: the batch rolled back whole


class ImportFileError(ValueError):
    """A row of the file that cannot be imported, named by its line."""


@dataclass(frozen=True)
class SourceRow:
    """One checked row of the file."""

    line: int
    source_id: int
    at: datetime
    customer: str
    terminal: str
    amount: Decimal
    is_fraud: bool | None
    scenario: int | None

    def as_json(self) -> dict[str, Any]:
        """The row as sp_import_transactions reads it."""
        return {"line": self.line, "id": str(self.source_id),
                "at": self.at.isoformat(sep=" "), "customer": self.customer,
                "terminal": self.terminal, "amount": str(self.amount),
                "fraud": None if self.is_fraud is None else int(self.is_fraud),
                "scenario": self.scenario}


@dataclass
class ImportResult(Mapping[int, int]):
    """Each source TRANSACTION_ID of the run and the bank transaction it is (a mapping)."""

    source: str
    transaction_ids: dict[int, int] = field(default_factory=dict)
    posted: int = 0
    already_imported: int = 0
    seconds: float = 0.0

    def __getitem__(self, source_id: int) -> int:
        return self.transaction_ids[source_id]

    def __iter__(self) -> Iterator[int]:
        return iter(self.transaction_ids)

    def __len__(self) -> int:
        return len(self.transaction_ids)


def read_rows(path: Path, *, exponent: int, limit: int | None = None) -> list[SourceRow]:
    """The file's rows (the first `limit`), checked, in time order; a bad line raises."""
    unit = Decimal(1).scaleb(-exponent)
    rows: list[SourceRow] = []
    seen: dict[int, int] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise ImportFileError(f"{path}:1: missing column(s) {', '.join(missing)}")
        for record in reader:
            if limit is not None and len(rows) >= limit:
                break
            line = reader.line_num
            row = _checked(record, line=line, unit=unit, where=f"{path}:{line}")
            if row.source_id in seen:
                raise ImportFileError(f"{path}:{line}: TRANSACTION_ID {row.source_id} is also on "
                                      f"line {seen[row.source_id]}")
            seen[row.source_id] = line
            rows.append(row)
    rows.sort(key=lambda r: (r.at, r.line))
    return rows


def _checked(record: Mapping[str, str | None], *, line: int, unit: Decimal, where: str
             ) -> SourceRow:
    """One CSV record as a SourceRow, or ImportFileError saying what is wrong."""
    def text(name: str) -> str:
        value = record.get(name)
        if value is None or not value.strip():
            raise ImportFileError(f"{where}: {name} is empty")
        return value.strip()

    source_id = text("TRANSACTION_ID")
    if not source_id.isdigit() or len(source_id) > 18:
        raise ImportFileError(f"{where}: TRANSACTION_ID {source_id!r} is not a whole number")
    try:
        at = datetime.fromisoformat(text("TX_DATETIME"))
    except ValueError:
        raise ImportFileError(f"{where}: TX_DATETIME {record.get('TX_DATETIME')!r} is not a "
                              "date and time (YYYY-MM-DD HH:MM:SS)") from None
    if at.tzinfo is not None or at.year < 1970:
        raise ImportFileError(f"{where}: TX_DATETIME must be a UTC time without a zone, "
                              "from 1970 on")
    parties = []
    for name in ("CUSTOMER_ID", "TERMINAL_ID"):
        party = text(name).lower()
        if not _PARTY_ID.fullmatch(party):
            raise ImportFileError(f"{where}: {name} {party!r} is not 1-20 letters, digits, _ or -")
        parties.append(party)
    try:
        raw = Decimal(text("TX_AMOUNT"))
    except InvalidOperation:
        raise ImportFileError(f"{where}: TX_AMOUNT {record.get('TX_AMOUNT')!r} is not a "
                              "number") from None
    amount = raw.quantize(unit, rounding=ROUND_HALF_EVEN) if raw.is_finite() else raw
    if not raw.is_finite() or amount <= 0 or abs(raw - amount) > _FLOAT_NOISE:
        raise ImportFileError(f"{where}: TX_AMOUNT {raw} must be positive with at most "
                              f"{-unit.as_tuple().exponent} decimals")  # type: ignore[operator]
    return SourceRow(line=line, source_id=int(source_id), at=at, customer=parties[0],
                     terminal=parties[1], amount=amount, is_fraud=_label(record, where),
                     scenario=_scenario(record, where))


def _label(record: Mapping[str, str | None], where: str) -> bool | None:
    value = (record.get("TX_FRAUD") or "").strip()
    if value == "":
        return None
    if value not in {"0", "1"}:
        raise ImportFileError(f"{where}: TX_FRAUD {value!r} must be 0 or 1")
    return value == "1"


def _scenario(record: Mapping[str, str | None], where: str) -> int | None:
    value = (record.get("TX_FRAUD_SCENARIO") or "").strip()
    if value == "":
        return None
    if not value.isdigit() or len(value) > 4:
        raise ImportFileError(f"{where}: TX_FRAUD_SCENARIO {value!r} must be a whole number")
    return int(value)


def import_file(target: str | DatabaseAddress | Any, path: str | Path, *,
                limit: int | None = None, source: str = "handbook", currency: str = "JOD",
                actor_id: int = SYSTEM_USER_ID, batch_size: int = DEFAULT_BATCH,
                progress: bool = True) -> ImportResult:
    """Import a handbook-format CSV; `target` is a database URL, address or PyMySQL connection."""
    started = time.perf_counter()
    own = isinstance(target, str | DatabaseAddress)
    conn: Any = target
    if isinstance(target, str):
        conn = connect(DatabaseAddress.from_url(target))
    elif isinstance(target, DatabaseAddress):
        conn = connect(target)
    try:
        rows = read_rows(Path(path), exponent=_exponent(conn, currency), limit=limit)
        result = ImportResult(source=source)
        with tqdm(total=len(rows), unit="row", desc=f"import {Path(path).name}",
                  disable=not progress, file=sys.stderr) as bar:
            for start in range(0, len(rows), batch_size):
                chunk = rows[start:start + batch_size]
                for source_id, transaction_id, imported in _post(
                        conn, chunk, source=source, currency=currency, actor_id=actor_id):
                    result.transaction_ids[int(source_id)] = int(transaction_id)
                    if imported:
                        result.posted += 1
                    else:
                        result.already_imported += 1
                bar.update(len(chunk))
        result.seconds = time.perf_counter() - started
        return result
    finally:
        if own:
            conn.close()


def _exponent(conn: Any, currency: str) -> int:
    with conn.cursor(pymysql.cursors.Cursor) as cur:
        cur.execute("SELECT exponent FROM currencies WHERE code = %s AND is_active", (currency,))
        found = cur.fetchone()
    if found is None:
        raise ImportFileError(f"currency {currency!r} is not an active currency of the bank")
    return int(found[0])


def _post(conn: Any, chunk: Sequence[SourceRow], *, source: str, currency: str,
          actor_id: int) -> list[tuple[Any, ...]]:
    """One sp_import_transactions call (all or nothing), retried when it lost a lock race."""
    payload = json.dumps([row.as_json() for row in chunk], separators=(",", ":"))
    for attempt in range(5):
        try:
            with conn.cursor(pymysql.cursors.Cursor) as cur:
                cur.execute("CALL sp_import_transactions(%s, %s, %s, %s, NULL)",
                            (source, currency, payload, actor_id))
                answered = list(cur.fetchall())
                while cur.nextset():
                    pass
            return answered
        except pymysql.err.OperationalError as exc:
            if exc.args[0] not in _RETRIED_ERRORS or attempt == 4:
                raise
            time.sleep(0.1 * (attempt + 1))
    raise AssertionError("unreachable")


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: import a file, print what was posted and how fast."""
    parser = argparse.ArgumentParser(prog="python -m scripts.import_transactions",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path)
    parser.add_argument("--database-url", help="admin URL (default: BANK_DATABASE_URL or the "
                                               "private server)")
    parser.add_argument("--limit", type=int, help="import the first N rows of the file only")
    parser.add_argument("--source", default="handbook", help="source label (default handbook)")
    parser.add_argument("--currency", default="JOD", help="currency of the amounts (default JOD)")
    parser.add_argument("--actor-id", type=int, default=SYSTEM_USER_ID,
                        help="the admin user importing (default: the system user)")
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH,
                        help=f"rows per database transaction (default {DEFAULT_BATCH})")
    args = parser.parse_args(argv)
    try:
        result = import_file(args.database_url or resolve_admin_url(), args.file,
                             limit=args.limit, source=args.source, currency=args.currency,
                             actor_id=args.actor_id, batch_size=args.batch_size)
    except ImportFileError as exc:
        print(f"import: {exc}", file=sys.stderr)
        return 2
    except pymysql.err.MySQLError as exc:
        print(f"import: the database refused a batch: {exc.args[-1]}", file=sys.stderr)
        return 1
    rate = len(result) / result.seconds if result.seconds else 0.0
    print(f"import: {len(result)} rows of {args.file.name}: {result.posted} posted, "
          f"{result.already_imported} imported before; {result.seconds:.1f} s "
          f"({rate:,.0f} rows/s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
