"""GET /audit/logs: filters, pages, the chain verified from genesis, and the external anchor."""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

from api.config import DatabaseAddress
from api.main import create_app
from scripts.db_connection import connect
from scripts.migrate import drop_database, migrate
from tests.support.app import Bank, Person, client_for, make_settings, running

EVENTS = ("user.block", "user.unblock", "user.terminate_sessions", "user.role_change",
          "user.kyc_verified", "account.freeze", "account.unfreeze")


async def act(bank: Bank, actor: Person, path: str, body: dict[str, Any]) -> None:
    response = await bank.client.post(path, headers=actor.auth, json=body)
    assert response.status_code == 200, response.text


async def every_staff_act(bank: Bank, admin: Person, manager: Person, teller: Person,
                          subject: Person, account: dict[str, Any]) -> None:
    users, accounts = f"/admin/users/{subject.id}", f"/admin/accounts/{account['id']}"
    await act(bank, teller, f"{users}/kyc", {"status": "verified", "reason": "r kyc"})
    await act(bank, manager, f"{accounts}/freeze", {"reason": "r freeze"})
    await act(bank, manager, f"{accounts}/unfreeze", {"reason": "r unfreeze"})
    await act(bank, manager, f"{users}/terminate-sessions", {"reason": "r sessions"})
    await act(bank, admin, f"{users}/block", {"reason": "r block"})
    await act(bank, admin, f"{users}/unblock", {"reason": "r unblock"})
    await act(bank, admin, f"{users}/role", {"role": "teller", "reason": "r role"})


class TestAuditLog:
    async def test_every_staff_act_is_audited_with_actor_and_reason(self, bank, client):
        admin, manager, teller = (await bank.person("admin"), await bank.person("manager"),
                                  await bank.person("teller"))
        auditor, subject = await bank.person("auditor"), await bank.person(kyc="pending")
        account = await bank.account(subject, "JOD")
        await every_staff_act(bank, admin, manager, teller, subject, account)
        expected = {"user.kyc_verified": (teller, "r kyc"),
                    "account.freeze": (manager, "r freeze"),
                    "account.unfreeze": (manager, "r unfreeze"),
                    "user.terminate_sessions": (manager, "r sessions"),
                    "user.block": (admin, "r block"), "user.unblock": (admin, "r unblock"),
                    "user.role_change": (admin, "r role")}
        assert set(expected) == set(EVENTS)
        for event, (actor, reason) in expected.items():
            page = await client.get("/audit/logs", headers=auditor.auth,
                                    params={"event": event, "actor_id": actor.id})
            assert page.status_code == 200, page.text
            body = page.json()
            assert body["chain"]["verified"] is True, body["chain"]
            assert body["anchor"] == {"configured": False, "matches": None, "problem": None,
                                      "last_id": None, "last_hash": None, "row_count": None,
                                      "taken_at": None}
            [row] = [r for r in body["items"] if r["reason"] == reason]
            assert row["actor_user_id"] == actor.id
            assert row["actor_username"] == actor.username
            assert row["before"] is not None
            assert row["after"] is not None
        role_row = (await client.get("/audit/logs", headers=auditor.auth, params={
            "event": "user.role_change", "table": "users", "row_id": subject.id})).json()
        [changed] = role_row["items"]
        assert (changed["before"]["role"], changed["after"]["role"]) == ("customer", "teller")

    async def test_filters_and_pages(self, bank, client):
        admin, subject = await bank.person("admin"), await bank.person()
        for n in range(3):
            await bank.account(subject, ["JOD", "USD", "EUR"][n])
        own = await client.get("/audit/logs", headers=admin.auth,
                               params={"table": "users", "row_id": subject.id})
        assert [r["action"] for r in own.json()["items"]][-1] == "INSERT"
        seen, cursor = [], None
        while True:
            params: dict[str, Any] = {"table": "accounts", "action": "INSERT", "limit": 1,
                                      "actor_id": subject.id}
            if cursor:
                params["cursor"] = cursor
            page = (await client.get("/audit/logs", headers=admin.auth, params=params)).json()
            seen += [r["id"] for r in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert len(seen) == 3
        assert seen == sorted(seen, reverse=True)
        first = (await client.get("/audit/logs", headers=admin.auth,
                                  params={"table": "users", "row_id": subject.id})).json()
        created = first["items"][-1]["created_at"]
        window = (await client.get("/audit/logs", headers=admin.auth, params={
            "table": "users", "row_id": subject.id, "from": created, "to": created})).json()
        assert [r["created_at"] for r in window["items"]] == [created]
        later = (await client.get("/audit/logs", headers=admin.auth, params={
            "actor_id": subject.id, "from": "9000-01-01T00:00:00Z"})).json()
        assert later["items"] == []

    async def test_only_auditors_and_admins_read_it(self, bank, client):
        for role in ("customer", "teller", "manager"):
            person = await bank.person(role)
            assert (await client.get("/audit/logs", headers=person.auth)).status_code == 403
        bad = await client.get("/audit/logs", headers=(await bank.person("auditor")).auth,
                               params={"action": "TRUNCATE"})
        assert bad.status_code == 422


class TestAnchor:
    async def test_the_chain_is_compared_with_the_external_anchor(
        self, bank, admin_url, database, tmp_path: Path
    ):
        auditor = await bank.person("auditor")
        [head] = bank.sql("SELECT last_id, last_hash FROM audit_chain_head WHERE id = 1")
        [count] = bank.sql("SELECT COUNT(*) AS n FROM audit_log")
        anchor = {"database": database, "last_id": head["last_id"],
                  "last_hash": head["last_hash"], "row_count": count["n"],
                  "taken_at": "2024-01-01T00:00:00+00:00"}
        cases = {
            "good": (anchor, True, None),
            "rewritten": ({**anchor, "last_hash": "f" * 64}, False, "another hash"),
            "gone": ({**anchor, "last_id": 10**12}, False, "is gone"),
            "truncated": ({**anchor, "row_count": 10**12}, False, "fewer than"),
        }
        for name, (content, matches, problem) in cases.items():
            path = tmp_path / f"{name}.json"
            path.write_text(json.dumps(content))
            body = await self._logs(admin_url, database, path, auditor)
            assert body["anchor"]["configured"] is True
            assert body["anchor"]["matches"] is matches, (name, body["anchor"])
            if problem:
                assert problem in body["anchor"]["problem"], name
        unreadable = await self._logs(admin_url, database, tmp_path / "missing.json", auditor)
        assert unreadable["anchor"]["matches"] is False
        assert "cannot be read" in unreadable["anchor"]["problem"]

    @staticmethod
    async def _logs(admin_url: str, database: str, path: Path, person: Person) -> Any:
        app = create_app(make_settings(admin_url, database, audit_anchor_file=path,
                                       integrity_check_seconds=0))
        async with running(app), client_for(app) as client:
            response = await client.get("/audit/logs", headers=person.auth,
                                        params={"limit": 1})
            assert response.status_code == 200, response.text
            return response.json()


class TestTampering:
    async def test_an_edited_row_is_found(self, admin_url):
        """In a throwaway database: drop the guard trigger, edit a row, restore the trigger."""
        name = f"bank_test_{secrets.token_hex(4)}"
        migrate(admin_url, database=name)
        conn = connect(DatabaseAddress.from_url(admin_url).with_database(name), dict_rows=True)
        try:
            app = create_app(make_settings(admin_url, name, integrity_check_seconds=0))
            async with running(app), client_for(app) as client:
                bank = Bank(app, client, conn)
                admin, subject = await bank.person("admin"), await bank.person()
                await act(bank, admin, f"/admin/users/{subject.id}/block", {"reason": "real"})
                [row] = bank.sql("SELECT id FROM audit_log WHERE event = 'user.block'")
                clean = (await client.get("/audit/logs", headers=admin.auth)).json()["chain"]
                assert clean["verified"] is True
                assert clean["first_broken_id"] is None

                bank.sql("DROP TRIGGER trg_audit_log_no_update")
                try:
                    bank.sql("UPDATE audit_log SET reason = 'forged' WHERE id = %s", row["id"])
                finally:
                    migrate(admin_url, database=name)  # re-creates every trigger
                refused = bank.sql("SELECT COUNT(*) AS n FROM information_schema.TRIGGERS"
                                   " WHERE TRIGGER_SCHEMA = %s AND TRIGGER_NAME ="
                                   " 'trg_audit_log_no_update'", name)
                assert refused == [{"n": 1}]
                chain = (await client.get("/audit/logs", headers=admin.auth)).json()["chain"]
                assert chain["verified"] is False
                assert chain["first_broken_id"] == row["id"]
                assert chain["broken_reason"] == "the row no longer matches its hash"
        finally:
            conn.close()
            drop_database(admin_url, name)
