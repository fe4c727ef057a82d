"""The benchmarks' one ceiling procedure: one SQL file, loaded the same way by both."""

from __future__ import annotations

import importlib.util
import secrets
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from api.config import REPO_ROOT, DatabaseAddress, get_settings
from scripts.db_connection import connect
from scripts.migrate import drop_database

BENCH = REPO_ROOT / "bench"


def _loader() -> Any:
    """bench/minimal_transfer.py by path: bench/ is run from the checkout, not installed."""
    spec = importlib.util.spec_from_file_location("bench_minimal", BENCH / "minimal_transfer.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


loader = _loader()
PROCEDURE: str = loader.PROCEDURE


@pytest.fixture
def scratch(admin_url: str) -> Iterator[tuple[str, Any]]:
    """A throwaway database holding just the accounts columns the procedure moves."""
    name = f"bank_scratch_{secrets.token_hex(4)}"
    admin = DatabaseAddress.from_url(admin_url)
    server = connect(admin, use_database=False)
    with server.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}`")
    server.close()
    conn = connect(admin.with_database(name), dict_rows=True)
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE accounts (id BIGINT UNSIGNED PRIMARY KEY,"
                    " balance DECIMAL(20,4) NOT NULL, available_balance DECIMAL(20,4) NOT NULL)")
        cur.execute("INSERT INTO accounts VALUES (1, 100, 100), (2, 100, 100)")
    try:
        yield name, conn
    finally:
        with conn.cursor() as cur:
            cur.execute(f"DROP PROCEDURE IF EXISTS {PROCEDURE}")  # takes its grants with it
        conn.close()
        drop_database(admin_url, name)


def test_both_benchmarks_load_the_one_sql_file():
    sources = {path.name: path.read_text() for path in BENCH.glob("*.py")}
    assert not [name for name, text in sources.items() if "CREATE PROCEDURE" in text]
    for name in ("ledger_bench.py", "http_bench.py"):
        assert "install_minimal_transfer(" in sources[name], name
    assert f"CALL {PROCEDURE}(" in sources["bare_app.py"]
    assert f"CALL {PROCEDURE}(" in sources["ledger_bench.py"]


def test_the_ceiling_moves_both_rows_and_bank_app_may_call_it(scratch, admin_url: str):
    name, conn = scratch
    settings = get_settings()
    loader.install_minimal_transfer(conn, name, settings)
    app = DatabaseAddress.from_url(admin_url).with_database(name).as_role(
        "bank_app", settings.app_db_password)
    caller = connect(app, dict_rows=True)
    try:
        with caller.cursor() as cur:
            for source, target in ((1, 2), (2, 1), (1, 2)):  # both lock orders
                cur.execute(f"CALL {PROCEDURE}(%s, %s, '2.5')", (source, target))
                assert cur.fetchone() == {"id": source}
                while cur.nextset():
                    pass
    finally:
        caller.close()
    with conn.cursor() as cur:
        cur.execute("SELECT id, balance, available_balance FROM accounts ORDER BY id")
        assert cur.fetchall() == [
            {"id": 1, "balance": Decimal("97.5000"), "available_balance": Decimal("97.5000")},
            {"id": 2, "balance": Decimal("102.5000"), "available_balance": Decimal("102.5000")},
        ]
