"""The integrity check that runs with the bank: scheduled, incremental, metered, notifying."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from api.main import create_app
from tests.support.app import client_for, make_settings, running


async def checked(app: Any, **kwargs: Any) -> Any:
    """Run a check now; the app's own scheduled check may hold the lock for a moment."""
    for _ in range(100):
        result = await app.state.integrity.check(**kwargs)
        if result.outcome == "checked":
            return result
        await asyncio.sleep(0.05)
    raise AssertionError("the integrity check stayed locked")


def last_txn_id(bank: Any) -> int:
    return int(bank.sql("SELECT IFNULL(MAX(id), 0) AS n FROM transactions")[0]["n"])


class TestIntegrityCheck:
    async def test_legitimate_traffic_passes_the_incremental_check(self, app, bank, client):
        since = last_txn_id(bank)
        payer = await bank.person()
        jod = await bank.account(payer, "JOD", deposit="500.000")
        usd = await bank.account(await bank.person(), "USD")
        payees = [await bank.account(await bank.person(), "JOD") for _ in range(3)]
        items = [{"to_account_number": p["account_number"], "amount": "1.500"} for p in payees]
        batch = await client.post("/transactions/batch", headers=payer.money_headers(),
                                  json={"from_account_id": jod["id"], "transfers": items * 2})
        assert batch.status_code == 201, batch.text
        fx = await client.post("/transactions/transfer", headers=payer.money_headers(),
                               json={"from_account_id": jod["id"], "amount": "10.000",
                                     "to_account_number": usd["account_number"]})
        assert fx.status_code == 201, fx.text

        result = await checked(app, since_txn_id=since)
        assert result.kind == "incremental"
        assert result.from_txn_id == since
        assert result.to_txn_id > since
        assert result.violations == 0, result.rows

    async def test_a_corrupted_balance_is_found_metered_and_notified(self, app, bank, client):
        person = await bank.person()
        account = await bank.account(person, "JOD", deposit="20.000")
        since = last_txn_id(bank) - 1
        # A writer that bypasses the procedures: the cached balance no longer matches.
        bank.sql("UPDATE accounts SET balance = balance + 5, available_balance ="
                 " available_balance + 5 WHERE id = %s", account["id"])
        try:
            result = await checked(app, since_txn_id=since)
            full = await checked(app, full=True)
        finally:
            bank.sql("UPDATE accounts SET balance = balance - 5, available_balance ="
                     " available_balance - 5 WHERE id = %s", account["id"])
        found = {(r["check_name"], int(r["subject_id"])) for r in result.rows}
        assert ("balance_mismatch", account["id"]) in found
        assert ("balance_mismatch", account["id"]) in {
            (r["check_name"], int(r["subject_id"])) for r in full.rows}
        assert full.kind == "full"
        assert full.last_full_at is not None

        events = bank.sql("SELECT payload FROM outbox_events WHERE event_type ="
                          " 'integrity.violation' AND aggregate_id = %s", result.check_id)
        assert len(events) == 1
        payload = json.loads(events[0]["payload"])
        assert payload["violations"] == result.violations >= 1
        assert {"check": "balance_mismatch", "subject_id": account["id"]}.items() <= next(
            row for row in payload["rows"] if row["subject_id"] == account["id"]).items()

        async with client_for(app, ip="127.0.0.1") as scraper:  # /metrics: loopback only
            text = (await scraper.get("/metrics")).text
        assert "bank_integrity_violations_found_total" in text
        assert 'bank_integrity_last_check_timestamp_seconds{kind="full"}' in text
        # repaired: the next check over the same window is clean again
        assert (await checked(app, since_txn_id=since)).violations == 0

    async def test_runs_on_a_schedule_and_shows_in_ready(self, admin_url, database):
        settings = make_settings(admin_url, database, integrity_check_seconds=0.1)
        scheduled = create_app(settings)
        async with running(scheduled), client_for(scheduled) as client:
            deadline = time.monotonic() + 10
            while scheduled.state.integrity.last is None:
                assert time.monotonic() < deadline, "no scheduled check ran"
                await asyncio.sleep(0.05)
            ready = (await client.get("/ready")).json()
            assert ready["integrity"]["outcome"] == "checked"
            assert ready["integrity"]["kind"] in {"incremental", "full"}
            assert ready["integrity"]["violations"] == 0
            async with client_for(scheduled, ip="127.0.0.1") as scraper:
                metrics = (await scraper.get("/metrics")).text
            assert "bank_integrity_violations 0.0" in metrics

    async def test_one_process_checks_at_a_time(self, app, admin_conn):
        # Another session holds the check's named lock: this process is told 'skipped'.
        with admin_conn.cursor() as cur:
            cur.execute("SELECT CONCAT('bank_integrity:', LEFT(SHA2(DATABASE(), 256), 32)) AS n")
            name = cur.fetchone()["n"]
            cur.execute("SELECT GET_LOCK(%s, 0) AS got", (name,))
            assert cur.fetchone()["got"] == 1
            try:
                result = await app.state.integrity.check()
            finally:
                cur.execute("SELECT RELEASE_LOCK(%s)", (name,))
        assert result.outcome == "skipped"
