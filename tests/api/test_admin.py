"""Staff controls over HTTP: lists, block, sessions, roles, KYC, freeze; each act audited."""

from __future__ import annotations

from typing import Any

from tests.support.app import Bank, Person

REASON = {"reason": "checked by the fraud desk"}


def audit_rows(bank: Bank, table: str, row_id: int, event: str) -> list[dict[str, Any]]:
    return bank.sql("SELECT * FROM audit_log WHERE table_name = %s AND row_id = %s AND event = %s"
                    " ORDER BY id", table, row_id, event)


async def post(bank: Bank, actor: Person, path: str, body: dict[str, Any] | None = None) -> Any:
    return await bank.client.post(path, headers=actor.auth, json=body or REASON)


class TestLists:
    async def test_staff_list_users_with_filters_and_pages(self, bank, client):
        teller = await bank.person("teller")
        people = [await bank.person(kyc="pending") for _ in range(3)]
        prefix = people[0].username[:4]
        one = await client.get("/admin/users", headers=teller.auth,
                               params={"username_prefix": people[0].username})
        assert one.status_code == 200, one.text
        [found] = one.json()["items"]
        assert found["id"] == people[0].id
        assert found["kyc_status"] == "pending"
        assert found["active_sessions"] >= 1
        # No hash, no PII, whoever asks.
        assert not {"password_hash", "pin_hash", "email", "email_enc", "full_name"} & set(found)
        seen: list[int] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"kyc_status": "pending", "role": "customer", "limit": 2,
                                      "username_prefix": prefix}
            if cursor:
                params["cursor"] = cursor
            page = (await client.get("/admin/users", headers=teller.auth, params=params)).json()
            seen += [u["id"] for u in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == sorted(seen, reverse=True)
        assert people[0].id in seen
        assert all(u["role"] == "customer" for u in page["items"])

    async def test_auditor_sees_and_customer_does_not(self, bank, client):
        auditor, customer = await bank.person("auditor"), await bank.person()
        assert (await client.get("/admin/users", headers=auditor.auth)).status_code == 200
        for path in ("/admin/users", "/admin/accounts"):
            refused = await client.get(path, headers=customer.auth)
            assert refused.status_code == 403, path

    async def test_accounts_filtered_and_paged(self, bank, client):
        teller, owner = await bank.person("teller"), await bank.person()
        jod1 = await bank.account(owner, "JOD")
        jod2 = await bank.account(owner, "JOD", "checking")
        await bank.account(owner, "USD")
        first = (await client.get("/admin/accounts", headers=teller.auth, params={
            "user_id": owner.id, "currency": "JOD", "limit": 1})).json()
        assert [a["id"] for a in first["items"]] == [jod2["id"]]
        second = (await client.get("/admin/accounts", headers=teller.auth, params={
            "user_id": owner.id, "currency": "JOD", "limit": 1,
            "cursor": first["next_cursor"]})).json()
        assert [a["id"] for a in second["items"]] == [jod1["id"]]
        assert second["next_cursor"] is None
        checking = (await client.get("/admin/accounts", headers=teller.auth, params={
            "user_id": owner.id, "account_type": "checking", "status": "active"})).json()
        assert [a["id"] for a in checking["items"]] == [jod2["id"]]


class TestBlock:
    async def test_block_ends_every_session_at_once(self, bank, client):
        admin, customer = await bank.person("admin"), await bank.person()
        assert (await client.get("/auth/me", headers=customer.auth)).status_code == 200
        blocked = await post(bank, admin, f"/admin/users/{customer.id}/block")
        assert blocked.status_code == 200, blocked.text
        assert blocked.json()["status"] == "blocked"
        assert blocked.json()["sessions_ended"] == 1
        assert (await client.get("/auth/me", headers=customer.auth)).status_code == 401
        refresh = await client.post("/auth/refresh",
                                    json={"refresh_token": customer.refresh_token})
        assert refresh.status_code in (401, 403)
        login = await client.post("/auth/login", json={"username": customer.username,
                                                       "password": customer.password})
        assert login.status_code == 403
        again = await post(bank, admin, f"/admin/users/{customer.id}/block")
        assert again.status_code == 409
        assert again.json()["code"] == "NO_CHANGE"
        unblocked = await post(bank, admin, f"/admin/users/{customer.id}/unblock")
        assert unblocked.json()["status"] == "active"
        await bank.relogin(customer)
        assert (await client.get("/auth/me", headers=customer.auth)).status_code == 200
        [row] = audit_rows(bank, "users", customer.id, "user.block")
        assert row["actor_user_id"] == admin.id
        assert row["reason"] == REASON["reason"]
        assert '"blocked"' in row["after_data"]
        assert '"active"' in row["before_data"]

    async def test_only_admins_block_and_not_themselves(self, bank, client):
        admin, manager = await bank.person("admin"), await bank.person("manager")
        customer = await bank.person()
        refused = await post(bank, manager, f"/admin/users/{customer.id}/block")
        assert refused.status_code == 403
        self_block = await post(bank, admin, f"/admin/users/{admin.id}/block")
        assert self_block.status_code == 403
        assert self_block.json()["code"] == "FORBIDDEN"
        missing = await post(bank, admin, "/admin/users/999999999/block")
        assert missing.status_code == 404
        system = await post(bank, admin, "/admin/users/1/block")
        assert system.status_code == 404
        unsafe = await post(bank, admin, f"/admin/users/{customer.id}/block",
                            {"reason": "fraud\u202e"})
        assert unsafe.status_code == 422
        empty = await client.post(f"/admin/users/{customer.id}/block", headers=admin.auth,
                                  json={})
        assert empty.status_code == 422

    async def test_a_closed_user_is_not_unblocked(self, bank):
        admin, closed = await bank.person("admin"), await bank.person()
        bank.sql("UPDATE users SET status = 'closed' WHERE id = %s", closed.id)
        refused = await post(bank, admin, f"/admin/users/{closed.id}/unblock")
        assert refused.status_code == 422
        assert refused.json()["code"] == "USER_INACTIVE"

    async def test_another_admin_may_be_blocked(self, bank, client):
        admin, other = await bank.person("admin"), await bank.person("admin")
        done = await post(bank, admin, f"/admin/users/{other.id}/block")
        assert done.status_code == 200
        assert (await client.get("/auth/me", headers=other.auth)).status_code == 401


class TestSessions:
    async def test_manager_terminates_a_customers_sessions(self, bank, client):
        manager, customer = await bank.person("manager"), await bank.person()
        second = await bank.login(customer.username)
        ended = await post(bank, manager, f"/admin/users/{customer.id}/terminate-sessions")
        assert ended.status_code == 200, ended.text
        assert ended.json()["sessions_ended"] == 2
        assert ended.json()["active_sessions"] == 0
        assert (await client.get("/auth/me", headers=customer.auth)).status_code == 401
        stale = {"Authorization": f"Bearer {second['access_token']}"}
        assert (await client.get("/auth/me", headers=stale)).status_code == 401
        await bank.relogin(customer)  # they may log in again
        assert (await client.get("/auth/me", headers=customer.auth)).status_code == 200
        [row] = audit_rows(bank, "users", customer.id, "user.terminate_sessions")
        assert row["actor_user_id"] == manager.id
        assert row["reason"] == REASON["reason"]
        assert row["before_data"] == '{"active_sessions": 2}'

    async def test_a_lower_role_cannot_act_on_a_higher_one(self, bank):
        manager, admin = await bank.person("manager"), await bank.person("admin")
        teller = await bank.person("teller")
        up = await post(bank, manager, f"/admin/users/{admin.id}/terminate-sessions")
        assert up.status_code == 403
        assert up.json()["code"] == "FORBIDDEN"
        peer = await post(bank, teller, f"/admin/users/{manager.id}/kyc",
                          {"status": "verified", "reason": "x"})
        assert peer.status_code == 403
        assert (await post(bank, teller, f"/admin/users/{admin.id}/terminate-sessions")
                ).status_code == 403


class TestRoles:
    async def test_role_change_holds_from_the_next_request(self, bank, client):
        admin, person = await bank.person("admin"), await bank.person()
        promoted = await post(bank, admin, f"/admin/users/{person.id}/role",
                              {"role": "teller", "reason": "hired"})
        assert promoted.status_code == 200, promoted.text
        assert promoted.json()["role"] == "teller"
        assert promoted.json()["sessions_ended"] == 1
        # The old (customer) token stops at once, not at expiry.
        assert (await client.get("/auth/me", headers=person.auth)).status_code == 401
        await bank.relogin(person)
        assert (await client.get("/admin/users", headers=person.auth)).status_code == 200
        demoted = await post(bank, admin, f"/admin/users/{person.id}/role",
                             {"role": "customer", "reason": "left the bank"})
        assert demoted.json()["role"] == "customer"
        # The teller token is refused on its very next request.
        assert (await client.get("/admin/users", headers=person.auth)).status_code == 401
        rows = audit_rows(bank, "users", person.id, "user.role_change")
        assert [r["reason"] for r in rows] == ["hired", "left the bank"]
        assert all(r["actor_user_id"] == admin.id for r in rows)

    async def test_role_rules(self, bank):
        admin, manager, person = (await bank.person("admin"), await bank.person("manager"),
                                  await bank.person())
        assert (await post(bank, manager, f"/admin/users/{person.id}/role",
                           {"role": "teller", "reason": "x"})).status_code == 403
        demote_self = await post(bank, admin, f"/admin/users/{admin.id}/role",
                                 {"role": "customer", "reason": "x"})
        assert demote_self.status_code == 403
        same = await post(bank, admin, f"/admin/users/{person.id}/role",
                          {"role": "customer", "reason": "x"})
        assert same.status_code == 409
        assert same.json()["code"] == "NO_CHANGE"
        system = await post(bank, admin, f"/admin/users/{person.id}/role",
                            {"role": "system", "reason": "x"})
        assert system.status_code == 422


class TestKyc:
    async def test_staff_verify_then_money_moves(self, bank, client):
        teller, person = await bank.person("teller"), await bank.person(kyc="pending")
        account = await bank.account(person, "JOD", deposit="50.000")
        body = {"account_id": account["id"], "amount": "5.000"}
        refused = await client.post("/transactions/withdraw", headers=person.money_headers(),
                                    json=body)
        assert refused.json()["code"] == "KYC_REQUIRED"
        verified = await post(bank, teller, f"/admin/users/{person.id}/kyc",
                              {"status": "verified", "reason": "passport seen"})
        assert verified.status_code == 200
        assert verified.json()["kyc_status"] == "verified"
        done = await client.post("/transactions/withdraw", headers=person.money_headers(),
                                 json=body)
        assert done.status_code == 201, done.text
        same = await post(bank, teller, f"/admin/users/{person.id}/kyc",
                          {"status": "verified", "reason": "again"})
        assert same.status_code == 409
        rejected = await post(bank, teller, f"/admin/users/{person.id}/kyc",
                              {"status": "rejected", "reason": "forged document"})
        assert rejected.json()["kyc_status"] == "rejected"
        [row] = audit_rows(bank, "users", person.id, "user.kyc_rejected")
        assert row["actor_user_id"] == teller.id
        assert row["reason"] == "forged document"
        assert (await post(bank, teller, f"/admin/users/{teller.id}/kyc",
                           {"status": "rejected", "reason": "x"})).status_code == 403
        customer = await bank.person()
        assert (await post(bank, customer, f"/admin/users/{person.id}/kyc",
                           {"status": "verified", "reason": "x"})).status_code == 403


class TestFreeze:
    async def test_a_frozen_account_neither_sends_nor_receives(self, bank, client):
        manager = await bank.person("manager")
        alice, bob = await bank.person(), await bank.person()
        a = await bank.account(alice, "JOD", deposit="100.000")
        b = await bank.account(bob, "JOD", deposit="100.000")
        b2 = await bank.account(bob, "JOD")
        frozen = await post(bank, manager, f"/admin/accounts/{b['id']}/freeze")
        assert frozen.status_code == 200, frozen.text
        assert frozen.json()["status"] == "frozen"

        def transfer(sender: Person, account: dict[str, Any], to: dict[str, Any]) -> Any:
            return client.post("/transactions/transfer", headers=sender.money_headers(),
                               json={"from_account_id": account["id"], "amount": "1.000",
                                     "to_account_number": to["account_number"]})

        to_frozen = await transfer(alice, a, b)
        assert to_frozen.status_code == 422
        assert to_frozen.json()["code"] == "ACCOUNT_FROZEN"
        from_frozen = await transfer(bob, b, b2)
        assert from_frozen.json()["code"] == "ACCOUNT_FROZEN"
        batch = await client.post("/transactions/batch", headers=alice.money_headers(), json={
            "from_account_id": a["id"],
            "transfers": [{"to_account_number": b["account_number"], "amount": "1.000"}]})
        assert batch.status_code == 422
        assert batch.json()["code"] == "ACCOUNT_FROZEN"
        cash = await client.post("/transactions/withdraw", headers=bob.money_headers(),
                                 json={"account_id": b["id"], "amount": "1.000"})
        assert cash.json()["code"] == "ACCOUNT_FROZEN"
        assert await bank.balance(alice, a["id"]) == "100.000"
        again = await post(bank, manager, f"/admin/accounts/{b['id']}/freeze")
        assert again.status_code == 409
        thawed = await post(bank, manager, f"/admin/accounts/{b['id']}/unfreeze")
        assert thawed.json()["status"] == "active"
        assert (await transfer(alice, a, b)).status_code == 201
        [row] = audit_rows(bank, "accounts", b["id"], "account.freeze")
        assert row["actor_user_id"] == manager.id
        assert row["reason"] == REASON["reason"]
        assert audit_rows(bank, "accounts", b["id"], "account.unfreeze")

    async def test_holds_stay_on_a_frozen_account(self, bank):
        manager, owner = await bank.person("manager"), await bank.person()
        account = await bank.account(owner, "JOD", deposit="100.000")
        bank.sql("CALL sp_place_hold(%s, 30.000, 'card auth', NULL, 1)", account["id"])
        frozen = (await post(bank, manager, f"/admin/accounts/{account['id']}/freeze")).json()
        assert frozen["held_amount"] == "30.000"
        assert frozen["available_balance"] == "70.000"
        thawed = (await post(bank, manager, f"/admin/accounts/{account['id']}/unfreeze")).json()
        assert thawed["held_amount"] == "30.000"

    async def test_who_may_freeze(self, bank):
        teller, manager = await bank.person("teller"), await bank.person("manager")
        admin = await bank.person("admin")
        own = await bank.account(manager, "JOD")
        admins = await bank.account(admin, "JOD")
        assert (await post(bank, teller, f"/admin/accounts/{own['id']}/freeze")
                ).status_code == 403
        assert (await post(bank, manager, f"/admin/accounts/{own['id']}/freeze")
                ).status_code == 403
        assert (await post(bank, manager, f"/admin/accounts/{admins['id']}/freeze")
                ).status_code == 403
        assert (await post(bank, manager, "/admin/accounts/999999999/freeze")).status_code == 404
        customer = await bank.person()
        closed = await bank.account(customer, "JOD")
        bank.sql("CALL sp_set_account_status(%s, 'closed', 'closed at request', 1)",
                 closed["id"])
        refused = await post(bank, manager, f"/admin/accounts/{closed['id']}/freeze")
        assert refused.status_code == 422
        assert refused.json()["code"] == "ACCOUNT_CLOSED"
