"""The benchmarks' ceiling procedure, loaded the same way by every benchmark.

bench/sql/bench_minimal_transfer.sql is created in a throwaway bench database (as its
owner) and granted by name to bank_app, the role both the ledger benchmark and the bare
HTTP stack call it as.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from api.config import Settings
from scripts.db_connection import quote_identifier
from scripts.migrate import run_script

PROCEDURE = "bench_minimal_transfer"
SQL_FILE = Path(__file__).with_name("sql") / f"{PROCEDURE}.sql"


def install_minimal_transfer(conn: Any, database: str, settings: Settings) -> None:
    """Create the procedure in `database` (conn's current one) and let bank_app execute it."""
    run_script(conn, SQL_FILE)
    with conn.cursor() as cur:
        for host in settings.db_user_hosts:
            cur.execute(
                f"GRANT EXECUTE ON PROCEDURE {quote_identifier(database)}.{PROCEDURE} TO %s@%s",
                ("bank_app", host),
            )
