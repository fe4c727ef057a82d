"""Set-up for the risk rules' tests: a session's login facts, a clock, listed addresses."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.support.ledger import query


def zone_for_local_hour(conn: Any, hour: int) -> str:
    """A fixed UTC offset under which it is now `hour` o'clock (for users.time_zone)."""
    now = query(conn, "SELECT UTC_TIMESTAMP(6) AS t")[0]["t"]
    offset = (hour - now.hour) % 24
    offset = offset - 24 if offset > 13 else offset
    return f"{'+' if offset >= 0 else '-'}{abs(offset):02d}:00"


def session_for(conn: Any, user_id: int, *, country: str | None = None,
                new_device: bool = False) -> str:
    session = secrets.token_hex(16)
    with conn.cursor() as cur:
        cur.execute("INSERT INTO auth_sessions (id, user_id, expires_at, country, new_device)"
                    " VALUES (%s, %s, NOW(6) + INTERVAL 1 HOUR, %s, %s)",
                    (session, user_id, country, new_device))
    return session


@contextmanager
def listed(conn: Any, kind: str, network: str) -> Iterator[None]:
    query(conn, "INSERT INTO risk_ip_lists (list_kind, network, note) VALUES (%s, %s, 'test')",
          kind, network)
    try:
        yield
    finally:
        query(conn, "DELETE FROM risk_ip_lists WHERE list_kind = %s AND network = %s",
              kind, network)
