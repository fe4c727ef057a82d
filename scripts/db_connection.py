"""PyMySQL connections and the small helpers the migrator and the grant synchroniser share.

Synchronous on purpose: the scripts, tests and benchmarks run one statement at a time and
never inside the API's event loop (which uses `api/ledger.py` and aiomysql).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pymysql
import pymysql.cursors

from api.config import DatabaseAddress


def connect(address: DatabaseAddress, *, use_database: bool = True, dict_rows: bool = False) -> Any:
    """A PyMySQL connection to `address` (autocommit, utf8mb4, one statement per call)."""
    return pymysql.connect(
        host=address.host,
        port=address.port,
        user=address.user,
        password=address.password,
        database=address.database if use_database else None,
        unix_socket=address.unix_socket,
        charset="utf8mb4",
        autocommit=True,
        cursorclass=pymysql.cursors.DictCursor if dict_rows else pymysql.cursors.Cursor,
    )


def tuple_cursor(conn: Any) -> Any:
    """A tuple-row cursor, whatever the connection's default cursor class."""
    return conn.cursor(pymysql.cursors.Cursor)


def quote_identifier(name: str) -> str:
    """`name` as a backquoted identifier."""
    return "`" + name.replace("`", "``") + "`"


def column(cur: Any, query: str, args: Sequence[Any] = ()) -> list[Any]:
    """The first column of every row `query` returns."""
    cur.execute(query, tuple(args))
    return [row[0] for row in cur.fetchall()]
