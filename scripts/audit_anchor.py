"""The audit chain's head, kept outside the database, and proof that the chain still extends it.

The hash chain in `audit_log` shows an edited or removed row, but not a chain rebuilt from
scratch: whoever can TRUNCATE (or drop the guard triggers) can write a new, internally
consistent chain. An anchor saved elsewhere closes that gap.

    python -m scripts.audit_anchor save   [--file PATH] [--database NAME]
    python -m scripts.audit_anchor verify [--file PATH] [--database NAME]

`save` prints the chain head (last id, last hash, row count) as JSON and writes it to the
file (default `.run/audit-anchor-<database>.json`; keep a copy off the database host).
`verify` checks that the row at the anchored id still has the anchored hash, that every
row from there on links to the one before it and matches its own hash, that no row is
missing and that the chain head points at the last row. Exit status: 0 the chain extends
the anchor, 1 it does not (each reason is printed), 2 no anchor file or no database.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pymysql
import pymysql.cursors

from api.config import REPO_ROOT, DatabaseAddress, get_settings
from scripts.db_connection import connect

GENESIS_HASH = "0" * 64
# Every row from the anchor on, with whether its stored hash matches its content.
_CHAIN_FROM = (
    "SELECT id, prev_hash, row_hash,"
    " row_hash = fn_audit_row_hash(prev_hash, id, table_name, row_id, action, actor_user_id,"
    "                              db_user, before_data, after_data, created_at, event, reason)"
    " AS intact"
    " FROM audit_log WHERE id >= %s ORDER BY id"
)


@dataclass(frozen=True)
class Anchor:
    """Where the chain stood when the anchor was taken."""

    database: str
    last_id: int
    last_hash: str
    row_count: int
    taken_at: str

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> Anchor:
        raw: dict[str, Any] = json.loads(text)
        return cls(
            database=str(raw["database"]),
            last_id=int(raw["last_id"]),
            last_hash=str(raw["last_hash"]),
            row_count=int(raw["row_count"]),
            taken_at=str(raw["taken_at"]),
        )


def default_file(database: str) -> Path:
    return REPO_ROOT / ".run" / f"audit-anchor-{database}.json"


def chain_head(conn: Any, database: str) -> Anchor:
    """The chain's head as the database reports it now."""
    with conn.cursor(pymysql.cursors.Cursor) as cur:
        cur.execute("SELECT last_id, last_hash FROM audit_chain_head WHERE id = 1")
        head = cur.fetchone()
        cur.execute("SELECT COUNT(*) FROM audit_log")
        count = int(cur.fetchone()[0])
    last_id, last_hash = (int(head[0]), str(head[1])) if head else (0, GENESIS_HASH)
    return Anchor(database=database, last_id=last_id, last_hash=last_hash, row_count=count,
                  taken_at=datetime.now(UTC).isoformat(timespec="seconds"))


def verify(conn: Any, anchor: Anchor) -> list[str]:
    """Why the chain no longer extends `anchor` (an empty list: it does)."""
    problems: list[str] = []
    start = max(anchor.last_id, 1)
    expected_prev = anchor.last_hash if anchor.last_id else GENESIS_HASH
    expected_id = anchor.last_id if anchor.last_id else 1
    last_id, last_hash, seen = 0, GENESIS_HASH, 0
    with conn.cursor(pymysql.cursors.SSCursor) as cur:
        cur.execute(_CHAIN_FROM, (start,))
        for row_id, prev_hash, row_hash, intact in cur:
            row_id = int(row_id)
            if row_id != expected_id:
                problems.append(f"audit row {expected_id} is missing (next is {row_id})")
                break
            if row_id == anchor.last_id:
                if row_hash != anchor.last_hash:
                    problems.append(
                        f"audit row {row_id} has hash {row_hash[:16]}..., the anchor says "
                        f"{anchor.last_hash[:16]}...: the chain was rewritten")
                    break
            elif prev_hash != expected_prev:
                problems.append(f"audit row {row_id} does not link to row {row_id - 1}")
                break
            if not intact:
                problems.append(f"audit row {row_id} no longer matches its hash")
                break
            expected_prev, expected_id = row_hash, row_id + 1
            last_id, last_hash, seen = row_id, row_hash, seen + 1
    if problems:
        return problems
    if anchor.last_id and seen == 0:
        return [f"audit row {anchor.last_id} (the anchored head) is gone: the chain was rewritten"]
    now = chain_head(conn, anchor.database)
    if now.row_count < anchor.row_count:
        problems.append(f"the audit log has {now.row_count} rows, fewer than the anchored "
                        f"{anchor.row_count}")
    if now.row_count != last_id:
        problems.append(f"the audit log has {now.row_count} rows but its ids run to {last_id}")
    if (now.last_id, now.last_hash) != (last_id, last_hash):
        problems.append(f"the chain head says row {now.last_id}, the last row is {last_id}")
    return problems


def _address(database: str | None) -> DatabaseAddress:
    from scripts.dbserver import resolve_admin_url

    address = DatabaseAddress.from_url(resolve_admin_url())
    return address.with_database(database or get_settings().db_name)


def main(argv: Sequence[str] | None = None) -> int:
    """CLI: save or verify the anchor of the configured database's audit chain."""
    parser = argparse.ArgumentParser(
        prog="python -m scripts.audit_anchor",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("action", choices=("save", "verify"))
    parser.add_argument("--file", type=Path, help="anchor file (default .run/audit-anchor-DB.json)")
    parser.add_argument("--database", help="database name (default: BANK_DB_NAME or 'bank')")
    args = parser.parse_args(argv)
    try:
        address = _address(args.database)
        conn = connect(address)
    except (RuntimeError, pymysql.err.MySQLError) as exc:
        print(f"audit_anchor: cannot reach the database: {exc}", file=sys.stderr)
        return 2
    path: Path = args.file or default_file(address.database)
    try:
        if args.action == "save":
            anchor = chain_head(conn, address.database)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(anchor.to_json() + "\n")
            print(anchor.to_json())
            return 0
        try:
            anchor = Anchor.from_json(path.read_text())
        except (OSError, ValueError, KeyError) as exc:
            print(f"audit_anchor: no usable anchor in {path}: {exc}", file=sys.stderr)
            return 2
        problems = verify(conn, anchor)
        head = chain_head(conn, address.database)
    finally:
        conn.close()
    if problems:
        for problem in problems:
            print(f"audit_anchor: BROKEN: {problem}", file=sys.stderr)
        return 1
    print(f"audit_anchor: ok: the chain extends the anchor (row {anchor.last_id}, "
          f"{anchor.last_hash[:16]}...) up to row {head.last_id} ({head.last_hash[:16]}...)")
    return 0

if __name__ == "__main__":
    sys.exit(main())
