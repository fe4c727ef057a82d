"""High-value confirmation and staff review over HTTP, against the real database.

A transfer above the code threshold waits `pending_otp` with amount + fee held; one a review
rule holds waits `pending_review`; confirm, approve and reject settle them, and nothing
posts twice however the calls race.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import httpx

from tests.support.app import Bank, Person
from tests.support.pending import account_view, code_for, confirm, hold_status, otp_message

REASON = {"reason": "payee confirmed by phone"}


async def transfer(client: httpx.AsyncClient, person: Person, source: dict[str, Any],
                   target: dict[str, Any], amount: str) -> httpx.Response:
    return await client.post("/transactions/transfer", headers=person.money_headers(),
                             json={"from_account_id": source["id"], "amount": amount,
                                   "to_account_number": target["account_number"]})


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def entries(bank: Bank, transaction_id: int) -> int:
    return int(bank.sql("SELECT COUNT(*) AS n FROM ledger_entries WHERE transaction_id = %s",
                        transaction_id)[0]["n"])


async def funded(bank: Bank, amount: str = "1000.000") -> tuple[Person, dict[str, Any],
                                                                Person, dict[str, Any]]:
    alice, bob = await bank.person(), await bank.person()
    teller = await bank.person("teller")
    source = await bank.account(alice, "JOD")
    await bank.deposit(teller, source["id"], amount)
    target = await bank.account(bob, "JOD")
    return alice, source, bob, target


async def held_for_review(bank: Bank, client: httpx.AsyncClient, sender: Person,
                          source: dict[str, Any], target: dict[str, Any]) -> dict[str, Any]:
    """Ten small transfers, then the eleventh within 15 minutes waits for staff (velocity)."""
    for _ in range(10):
        done = await transfer(client, sender, source, target, "1.000")
        assert done.json()["status"] == "completed", done.text
    held = await transfer(client, sender, source, target, "2.000")
    assert held.status_code == 201, held.text
    body: dict[str, Any] = held.json()
    assert body["status"] == "pending_review"
    return body


class TestConfirmation:
    async def test_the_right_code_posts_once_and_a_replay_answers_the_same(self, bank, client):
        alice, source, bob, target = await funded(bank)
        small = await transfer(client, alice, source, target, "500.000")
        assert small.json()["status"] == "completed"  # the threshold is "above 500"
        response = await transfer(client, alice, source, target, "400.000")
        assert response.json()["status"] == "completed"
        await bank.deposit(await bank.person("teller"), source["id"], "700.000")
        response = await transfer(client, alice, source, target, "600.000")
        assert response.status_code == 201, response.text
        txn = response.json()
        assert txn["status"] == "pending_otp"
        # Held: amount + fee (600 + 6); the balance stays, the available balance drops; nothing
        # posted yet. The two completed transfers paid 5.000 and 4.000 in fees.
        assert await account_view(client, alice, source["id"]) == (Decimal("791.000"),
                                                                  Decimal("185.000"))
        assert entries(bank, txn["id"]) == 0
        stored = bank.sql("SELECT otp_hash FROM pending_transactions WHERE transaction_id = %s",
                          txn["id"])[0]["otp_hash"]
        code = await code_for(client, alice, txn["id"])
        message = await otp_message(client, alice, txn["id"])
        assert message["title"] == f"Your code for transfer {txn['reference']}"
        assert code.encode() not in stored
        assert len(stored) == 32

        key = "confirm-" + str(txn["id"])
        done = await confirm(client, alice, txn["id"], code, key)
        assert done.status_code == 200, done.text
        assert done.json()["status"] == "completed"
        assert "Idempotency-Replayed" not in done.headers
        again = await confirm(client, alice, txn["id"], code, key)
        assert again.status_code == 200
        assert again.headers["Idempotency-Replayed"] == "true"
        assert again.json()["id"] == txn["id"]
        other = await confirm(client, alice, txn["id"], wrong(code), key)
        assert other.status_code == 409
        assert other.json()["code"] == "IDEMPOTENCY_CONFLICT"
        assert entries(bank, txn["id"]) == 4  # the principal pair and the fee pair
        assert hold_status(bank, txn["id"]) == "captured"
        assert await account_view(client, alice, source["id"]) == (Decimal("185.000"),
                                                                  Decimal("185.000"))
        assert await account_view(client, bob, target["id"]) == (Decimal("1500.000"),
                                                                Decimal("1500.000"))
        late = await confirm(client, alice, txn["id"], code)
        assert late.status_code == 409
        assert late.json()["code"] == "TRANSACTION_NOT_PENDING"

    async def test_three_wrong_codes_cancel_and_release(self, bank, client):
        alice, source, _, target = await funded(bank)
        txn = (await transfer(client, alice, source, target, "750.000")).json()
        code = await code_for(client, alice, txn["id"])
        for _ in range(2):
            miss = await confirm(client, alice, txn["id"], wrong(code))
            assert miss.status_code == 422
            assert miss.json()["code"] == "OTP_INVALID"
        last = await confirm(client, alice, txn["id"], wrong(code))
        assert last.status_code == 422
        assert last.json()["code"] == "OTP_ATTEMPTS_EXCEEDED"
        shown = (await client.get(f"/transactions/{txn['id']}", headers=alice.auth)).json()
        assert shown["status"] == "failed"
        assert hold_status(bank, txn["id"]) == "released"
        assert await account_view(client, alice, source["id"]) == (Decimal("1000.000"),
                                                                  Decimal("1000.000"))
        too_late = await confirm(client, alice, txn["id"], code)
        assert too_late.json()["code"] == "TRANSACTION_NOT_PENDING"
        assert entries(bank, txn["id"]) == 0

    async def test_an_expired_code_cancels_on_confirm(self, bank, client):
        alice, source, _, target = await funded(bank)
        txn = (await transfer(client, alice, source, target, "900.000")).json()
        code = await code_for(client, alice, txn["id"])
        bank.sql("UPDATE pending_transactions SET otp_expires_at = NOW(6) - INTERVAL 1 SECOND"
                 " WHERE transaction_id = %s", txn["id"])
        response = await confirm(client, alice, txn["id"], code)
        assert response.status_code == 422
        assert response.json()["code"] == "OTP_EXPIRED"
        assert hold_status(bank, txn["id"]) == "expired"
        assert await account_view(client, alice, source["id"]) == (Decimal("1000.000"),
                                                                  Decimal("1000.000"))

    async def test_the_sweep_and_the_event_procedure_expire_without_anyone_acting(
        self, app, bank, client
    ):
        alice, source, _, target = await funded(bank, "2000.000")
        first = (await transfer(client, alice, source, target, "600.000")).json()
        second = (await transfer(client, alice, source, target, "700.000")).json()
        # 606.000 and 707.000 held (each amount with its 1 % fee)
        assert await account_view(client, alice, source["id"]) == (Decimal("2000.000"),
                                                                  Decimal("687.000"))
        bank.sql("UPDATE pending_transactions SET otp_expires_at = NOW(6) - INTERVAL 1 SECOND"
                 " WHERE transaction_id = %s", first["id"])
        assert await app.state.pending_sweeper.sweep() >= 1
        assert bank.sql("SELECT status FROM transactions WHERE id = %s",
                        first["id"])[0]["status"] == "failed"
        assert hold_status(bank, first["id"]) == "expired"
        assert bank.sql("SELECT status FROM transactions WHERE id = %s",
                        second["id"])[0]["status"] == "pending_otp"
        # What the event runs where the scheduler is on.
        bank.sql("UPDATE pending_transactions SET otp_expires_at = NOW(6) - INTERVAL 1 SECOND"
                 " WHERE transaction_id = %s", second["id"])
        [outcome] = bank.sql("CALL sp_expire_pending_transactions(FALSE)")
        assert outcome["expired"] >= 1
        assert outcome["skipped"] == 0
        assert await account_view(client, alice, source["id"]) == (Decimal("2000.000"),
                                                                  Decimal("2000.000"))
        inbox = (await client.get("/notifications", headers=alice.auth)).json()["items"]
        assert {n["transaction_id"] for n in inbox if n["kind"] == "transaction.expired"} == {
            first["id"], second["id"]}
        [event] = bank.sql("SELECT STATUS AS status FROM information_schema.EVENTS"
                           " WHERE EVENT_SCHEMA = DATABASE()"
                           " AND EVENT_NAME = 'ev_expire_pending_transactions'")
        assert event["status"] == "ENABLED"

    async def test_the_threshold_is_in_jod_equivalent(self, bank, client):
        alice, bob = await bank.person(), await bank.person()
        source = await bank.account(alice, "USD")
        await bank.deposit(await bank.person("teller"), source["id"], "2000.00")
        target = await bank.account(bob, "USD")
        below = await transfer(client, alice, source, target, "600.00")  # about 425 JOD
        assert below.json()["status"] == "completed"
        above = await transfer(client, alice, source, target, "800.00")  # about 567 JOD
        assert above.json()["status"] == "pending_otp"
        [row] = bank.sql("SELECT amount_jod FROM pending_transactions WHERE transaction_id = %s",
                         above.json()["id"])
        assert Decimal("550") < row["amount_jod"] < Decimal("580")

    async def test_someone_elses_transaction_is_not_found(self, bank, client):
        alice, source, bob, target = await funded(bank)
        txn = (await transfer(client, alice, source, target, "600.000")).json()
        code = await code_for(client, alice, txn["id"])
        response = await confirm(client, bob, txn["id"], code)
        assert response.status_code == 404
        assert response.json()["code"] == "TRANSACTION_NOT_FOUND"

    async def test_racing_confirms_post_once(self, bank, client):
        alice, source, bob, target = await funded(bank)
        txn = (await transfer(client, alice, source, target, "800.000")).json()
        code = await code_for(client, alice, txn["id"])
        responses = await asyncio.gather(*[confirm(client, alice, txn["id"], code)
                                           for _ in range(8)])
        codes = sorted(r.status_code for r in responses)
        assert codes == [200] + [409] * 7, [r.text for r in responses]
        assert entries(bank, txn["id"]) == 4
        assert await account_view(client, bob, target["id"]) == (Decimal("800.000"),
                                                                Decimal("800.000"))


class TestReview:
    async def test_code_first_then_review_then_approval_posts_and_notifies(self, bank, client):
        alice, source, bob, target = await funded(bank, "5000.000")
        manager = await bank.person("manager")
        txn = (await transfer(client, alice, source, target, "3500.000")).json()
        assert txn["status"] == "pending_otp"
        code = await code_for(client, alice, txn["id"])
        confirmed = await confirm(client, alice, txn["id"], code)
        assert confirmed.status_code == 200, confirmed.text
        assert confirmed.json()["status"] == "pending_review"
        # 3,500.000 and its fee, 1 % capped at 10.000, held
        assert await account_view(client, alice, source["id"]) == (Decimal("5000.000"),
                                                                  Decimal("1490.000"))
        customer = await client.get("/admin/reviews", headers=alice.auth)
        assert customer.status_code == 403
        queue = await client.get("/admin/reviews", headers=manager.auth,
                                 params={"limit": 200})
        assert queue.status_code == 200, queue.text
        [item] = [i for i in queue.json()["items"] if i["id"] == txn["id"]]
        assert item["review_hits"] == ["review_amount", "review_new_beneficiary"]
        assert item["held_amount"] == "3510.000"
        ids = [i["id"] for i in queue.json()["items"]]
        assert ids == sorted(ids)
        by_customer = await client.post(f"/transactions/{txn['id']}/approve",
                                        headers=alice.money_headers(), json=REASON)
        assert by_customer.status_code == 403

        approved = await client.post(f"/transactions/{txn['id']}/approve",
                                     headers=manager.money_headers(), json=REASON)
        assert approved.status_code == 200, approved.text
        assert approved.json()["status"] == "completed"
        assert entries(bank, txn["id"]) == 4
        assert await account_view(client, alice, source["id"]) == (Decimal("1490.000"),
                                                                  Decimal("1490.000"))
        assert await account_view(client, bob, target["id"]) == (Decimal("3500.000"),
                                                                Decimal("3500.000"))
        inbox = (await client.get("/notifications", headers=alice.auth)).json()["items"]
        assert any(n["kind"] == "transaction.approved" and n["transaction_id"] == txn["id"]
                   for n in inbox)
        [audit] = bank.sql("SELECT actor_user_id, reason FROM audit_log WHERE table_name ="
                           " 'transactions' AND row_id = %s AND event = 'transaction.approve'",
                           txn["id"])
        assert audit == {"actor_user_id": manager.id, "reason": REASON["reason"]}
        twice = await client.post(f"/transactions/{txn['id']}/reject",
                                  headers=manager.money_headers(), json=REASON)
        assert twice.status_code == 409
        assert twice.json()["code"] == "TRANSACTION_NOT_PENDING"

    async def test_rejection_needs_a_reason_releases_the_hold_and_notifies(self, bank, client):
        alice, source, _, target = await funded(bank)
        teller = await bank.person("teller")
        txn = await held_for_review(bank, client, alice, source, target)
        # ten 1.000 transfers at the 0.250 minimum fee posted, 2.000 + 0.250 held
        assert await account_view(client, alice, source["id"]) == (Decimal("987.500"),
                                                                  Decimal("985.250"))
        bare = await client.post(f"/transactions/{txn['id']}/reject",
                                 headers=teller.money_headers(), json={})
        assert bare.status_code == 422
        assert bare.json()["code"] == "INVALID_ARGUMENT"
        key = f"reject-{txn['id']}"
        rejected = await client.post(f"/transactions/{txn['id']}/reject",
                                     headers=teller.money_headers(key), json=REASON)
        assert rejected.status_code == 200, rejected.text
        assert rejected.json()["status"] == "rejected"
        again = await client.post(f"/transactions/{txn['id']}/reject",
                                  headers=teller.money_headers(key), json=REASON)
        assert again.status_code == 200
        assert again.headers["Idempotency-Replayed"] == "true"
        other = await client.post(f"/transactions/{txn['id']}/reject",
                                  headers=teller.money_headers(key),
                                  json={"reason": "another reason"})
        assert other.status_code == 409
        assert other.json()["code"] == "IDEMPOTENCY_CONFLICT"
        assert hold_status(bank, txn["id"]) == "released"
        assert await account_view(client, alice, source["id"]) == (Decimal("987.500"),
                                                                  Decimal("987.500"))
        inbox = (await client.get("/notifications", headers=alice.auth)).json()["items"]
        [note] = [n for n in inbox if n["kind"] == "transaction.rejected"]
        assert REASON["reason"] in note["body"]
        assert bank.sql("SELECT COUNT(*) AS n FROM audit_log WHERE row_id = %s AND"
                        " event = 'transaction.reject'", txn["id"])[0]["n"] == 1

    async def test_a_teller_cannot_approve_their_own_transfer(self, bank, client):
        teller, manager = await bank.person("teller"), await bank.person("manager")
        source = await bank.account(teller, "JOD")
        await bank.deposit(manager, source["id"], "100.000")
        target = await bank.account(await bank.person(), "JOD")
        txn = await held_for_review(bank, client, teller, source, target)
        own = await client.post(f"/transactions/{txn['id']}/approve",
                                headers=teller.money_headers(), json=REASON)
        assert own.status_code == 403
        assert own.json()["code"] == "FORBIDDEN"
        assert entries(bank, txn["id"]) == 0
        approved = await client.post(f"/transactions/{txn['id']}/approve",
                                     headers=manager.money_headers(), json=REASON)
        assert approved.json()["status"] == "completed"

    async def test_a_frozen_account_is_not_paid_and_the_transfer_stays_held(self, bank, client):
        alice, source, _, target = await funded(bank)
        manager = await bank.person("manager")
        txn = await held_for_review(bank, client, alice, source, target)
        bank.sql("UPDATE accounts SET status = 'frozen' WHERE id = %s", target["id"])
        try:
            refused = await client.post(f"/transactions/{txn['id']}/approve",
                                        headers=manager.money_headers(), json=REASON)
            assert refused.status_code == 422
            assert refused.json()["code"] == "ACCOUNT_FROZEN"
            assert hold_status(bank, txn["id"]) == "active"
            assert bank.sql("SELECT COUNT(*) AS n FROM audit_log WHERE row_id = %s AND"
                            " event = 'transaction.approve'", txn["id"])[0]["n"] == 0
        finally:
            bank.sql("UPDATE accounts SET status = 'active' WHERE id = %s", target["id"])
        approved = await client.post(f"/transactions/{txn['id']}/approve",
                                     headers=manager.money_headers(), json=REASON)
        assert approved.json()["status"] == "completed"

    async def test_racing_approve_and_reject_decide_once(self, bank, client):
        alice, source, _, target = await funded(bank)
        tellers = [await bank.person("teller") for _ in range(3)]
        managers = [await bank.person("manager") for _ in range(3)]
        txn = await held_for_review(bank, client, alice, source, target)
        calls = [client.post(f"/transactions/{txn['id']}/{verb}",
                             headers=staff.money_headers(), json=REASON)
                 for staff, verb in zip(tellers + managers, ["approve", "reject"] * 3,
                                        strict=True)]
        responses = await asyncio.gather(*calls)
        codes = sorted(r.status_code for r in responses)
        assert codes == [200] + [409] * 5, [r.text for r in responses]
        [winner] = [r.json() for r in responses if r.status_code == 200]
        posted = entries(bank, txn["id"])
        assert posted == (4 if winner["status"] == "completed" else 0)
        balance, available = await account_view(client, alice, source["id"])
        assert balance == available == Decimal("987.500") - (Decimal("2.250") if posted else 0)
        assert bank.sql("SELECT COUNT(*) AS n FROM audit_log WHERE row_id = %s AND table_name ="
                        " 'transactions'", txn["id"])[0]["n"] == 1

    async def test_the_rule_hits_are_a_function_anyone_may_ask(self, bank, client):
        _alice, source, _, target = await funded(bank)
        [row] = bank.sql("SELECT fn_review_hits(%s, %s, 3000) AS hits, "
                         "fn_review_hits(%s, %s, 10) AS none", source["id"], target["id"],
                         source["id"], target["id"])
        assert row["hits"] is not None
        assert "review_amount" in row["hits"]
        assert row["none"] is None

    async def test_the_ledger_stays_consistent(self, bank):
        assert bank.sql("SELECT * FROM vw_ledger_integrity_check") == []


def test_production_refuses_the_default_otp_key():
    import secrets

    import pytest
    from pydantic import ValidationError

    from api.config import DEFAULT_DB_PASSWORDS, Settings

    chosen: dict[str, object] = {name: secrets.token_urlsafe(16) for name in DEFAULT_DB_PASSWORDS}
    chosen.update(jwt_secret=secrets.token_urlsafe(32),
                  pii_key="cHJvZHVjdGlvbi1waWkta2V5LTMyLWJ5dGVzLWxvbmchIQ==")
    with pytest.raises(ValidationError, match="BANK_OTP_KEY"):
        Settings(env="production", **chosen)  # type: ignore[arg-type]
