"""A customer's batch under the confirmation and review rules, against the real database.

The batch is judged as a whole: its total with fees above the code threshold waits
`pending_otp`, a review rule (the total, velocity, a first payment to a payee) waits
`pending_review`, with the whole total held on the sender; confirm and approve post the
parent and every child once, reject and expiry give the hold back.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import httpx

from tests.support.app import Bank, Person
from tests.support.pending import account_view, code_for, confirm, hold_status, otp_message

REASON = {"reason": "payroll checked with the customer"}


async def batch(client: httpx.AsyncClient, person: Person, source: dict[str, Any],
                items: list[tuple[dict[str, Any], str]], key: str | None = None
                ) -> httpx.Response:
    return await client.post("/transactions/batch", headers=person.money_headers(key), json={
        "from_account_id": source["id"], "description": "payroll",
        "transfers": [{"to_account_number": target["account_number"], "amount": amount}
                      for target, amount in items]})


def children(bank: Bank, parent_id: int) -> list[dict[str, Any]]:
    return bank.sql("SELECT id, amount, fee, target_amount, status FROM transactions"
                    " WHERE parent_id = %s ORDER BY id", parent_id)


def entries(bank: Bank, parent_id: int) -> int:
    return int(bank.sql("SELECT COUNT(*) AS n FROM ledger_entries e JOIN transactions t"
                        " ON t.id = e.transaction_id WHERE t.id = %s OR t.parent_id = %s",
                        parent_id, parent_id)[0]["n"])


async def funded(bank: Bank, amount: str = "2000.000") -> tuple[
        Person, dict[str, Any], Person, dict[str, Any], dict[str, Any]]:
    alice, bob = await bank.person(), await bank.person()
    source = await bank.account(alice, "JOD")
    await bank.deposit(await bank.person("teller"), source["id"], amount)
    return alice, source, bob, await bank.account(bob, "JOD"), await bank.account(bob, "JOD")


class TestBatchConfirmation:
    async def test_the_total_with_fees_decides_and_a_held_batch_is_its_header(self, bank, client):
        alice, source, _bob, one, two = await funded(bank)
        # 495.000 + 4.950 in fees is not above 500: posted at once.
        below = await batch(client, alice, source, [(one, "300.000"), (two, "195.000")])
        assert below.status_code == 201, below.text
        assert below.json()["batch"]["status"] == "completed"
        assert below.json()["count"] == 2
        # 500.000 + 5.000 in fees is (a single 500.000 transfer would not be).
        key = "held-batch-" + str(source["id"])
        held = await batch(client, alice, source, [(one, "250.000"), (two, "250.000")], key)
        assert held.status_code == 201, held.text
        body = held.json()
        assert body["batch"]["status"] == "pending_otp"
        assert body["batch"]["type"] == "batch"
        assert body["batch"]["amount"] == "500.000"
        assert (body["transfers"], body["count"], body["total"]) == ([], 0, "500.000")
        assert children(bank, body["batch"]["id"]) == []
        # 2000 - 499.950 posted; 505.000 held: the balance stays, the available balance drops.
        assert await account_view(client, alice, source["id"]) == (Decimal("1500.050"),
                                                                  Decimal("995.050"))
        again = await batch(client, alice, source, [(one, "250.000"), (two, "250.000")], key)
        assert again.status_code == 201
        assert again.headers["Idempotency-Replayed"] == "true"
        assert again.json()["batch"]["id"] == body["batch"]["id"]
        assert await account_view(client, alice, source["id"]) == (Decimal("1500.050"),
                                                                  Decimal("995.050"))

    async def test_racing_confirms_post_every_child_exactly_once(self, bank, client):
        alice, source, bob, one, two = await funded(bank)
        held = (await batch(client, alice, source,
                            [(one, "200.000"), (two, "300.000"), (one, "100.000")])).json()
        parent = held["batch"]["id"]
        code = await code_for(client, alice, parent)
        message = await otp_message(client, alice, parent)
        assert message["title"] == f"Your code for batch transfer {held['batch']['reference']}"
        # A published rate or fee change after the hold changes nothing: the stored legs post.
        responses = await asyncio.gather(*[confirm(client, alice, parent, code)
                                           for _ in range(6)])
        codes = sorted(r.status_code for r in responses)
        assert codes == [200] + [409] * 5, [r.text for r in responses]
        [won] = [r.json() for r in responses if r.status_code == 200]
        assert (won["id"], won["type"], won["status"]) == (parent, "batch", "completed")
        posted = children(bank, parent)
        assert [(c["amount"], c["fee"], c["status"]) for c in posted] == [
            (Decimal("200.0000"), Decimal("2.0000"), "completed"),
            (Decimal("300.0000"), Decimal("3.0000"), "completed"),
            (Decimal("100.0000"), Decimal("1.0000"), "completed")]
        assert entries(bank, parent) == 12  # per child: the principal pair and the fee pair
        assert hold_status(bank, parent) == "captured"
        assert await account_view(client, alice, source["id"]) == (Decimal("1394.000"),
                                                                  Decimal("1394.000"))
        assert await account_view(client, bob, one["id"]) == (Decimal("300.000"),
                                                             Decimal("300.000"))
        assert await account_view(client, bob, two["id"]) == (Decimal("300.000"),
                                                             Decimal("300.000"))
        shown = (await client.get("/transactions/history", headers=alice.auth,
                                  params={"account_id": source["id"]})).json()["items"]
        assert sorted(i["parent_id"] for i in shown if i["parent_id"]) == [parent] * 3

    async def test_the_held_total_cannot_be_spent_again(self, bank, client):
        alice, source, _bob, one, two = await funded(bank, "1000.000")
        held = (await batch(client, alice, source, [(one, "300.000"), (two, "300.000")])).json()
        assert held["batch"]["status"] == "pending_otp"
        # 606.000 held of 1,000.000: 394.000 is available, and 400.000 + fees is not.
        refused = await batch(client, alice, source, [(one, "200.000"), (two, "200.000")])
        assert refused.status_code == 422, refused.text
        assert refused.json()["code"] == "INSUFFICIENT_FUNDS"
        transfer = await client.post("/transactions/transfer", headers=alice.money_headers(),
                                     json={"from_account_id": source["id"], "amount": "390.100",
                                           "to_account_number": one["account_number"]})
        assert transfer.status_code == 422, transfer.text
        assert transfer.json()["code"] == "INSUFFICIENT_FUNDS"
        assert await account_view(client, alice, source["id"]) == (Decimal("1000.000"),
                                                                  Decimal("394.000"))

    async def test_expiry_releases_the_whole_hold(self, app, bank, client):
        alice, source, _bob, one, two = await funded(bank)
        held = (await batch(client, alice, source, [(one, "400.000"), (two, "400.000")])).json()
        parent = held["batch"]["id"]
        assert await account_view(client, alice, source["id"]) == (Decimal("2000.000"),
                                                                  Decimal("1192.000"))
        [spent] = bank.sql("SELECT daily_spent FROM accounts WHERE id = %s", source["id"])
        assert spent["daily_spent"] == Decimal("800.0000")
        bank.sql("UPDATE pending_transactions SET otp_expires_at = NOW(6) - INTERVAL 1 SECOND"
                 " WHERE transaction_id = %s", parent)
        assert await app.state.pending_sweeper.sweep() >= 1
        assert bank.sql("SELECT status FROM transactions WHERE id = %s",
                        parent)[0]["status"] == "failed"
        assert hold_status(bank, parent) == "expired"
        assert await account_view(client, alice, source["id"]) == (Decimal("2000.000"),
                                                                  Decimal("2000.000"))
        [spent] = bank.sql("SELECT daily_spent FROM accounts WHERE id = %s", source["id"])
        assert spent["daily_spent"] == Decimal("0.0000")
        assert children(bank, parent) == []
        assert entries(bank, parent) == 0
        late = await confirm(client, alice, parent, await code_for(client, alice, parent))
        assert late.json()["code"] == "TRANSACTION_NOT_PENDING"


class TestBatchReview:
    async def test_a_first_payment_item_goes_to_review_after_the_code_then_reject_releases(
        self, bank, client
    ):
        alice, source, _bob, one, two = await funded(bank, "3000.000")
        teller = await bank.person("teller")
        held = (await batch(client, alice, source, [(one, "50.000"), (two, "1200.000")])).json()
        parent = held["batch"]["id"]
        assert held["batch"]["status"] == "pending_otp"
        confirmed = await confirm(client, alice, parent, await code_for(client, alice, parent))
        assert confirmed.status_code == 200, confirmed.text
        assert confirmed.json()["status"] == "pending_review"
        queue = (await client.get("/admin/reviews", headers=teller.auth,
                                  params={"limit": 200})).json()["items"]
        [item] = [i for i in queue if i["id"] == parent]
        assert item["type"] == "batch"
        assert item["review_hits"] == ["review_new_beneficiary"]
        assert item["held_amount"] == "1260.500"  # 1,250.000 and fees of 0.500 and 10.000
        assert item["to_account_id"] is None
        rejected = await client.post(f"/transactions/{parent}/reject",
                                     headers=teller.money_headers(), json=REASON)
        assert rejected.status_code == 200, rejected.text
        assert (rejected.json()["type"], rejected.json()["status"]) == ("batch", "rejected")
        assert hold_status(bank, parent) == "released"
        assert children(bank, parent) == []
        assert await account_view(client, alice, source["id"]) == (Decimal("3000.000"),
                                                                  Decimal("3000.000"))

    async def test_over_the_review_amount_approval_posts_the_stored_items(self, bank, client):
        teller, manager = await bank.person("teller"), await bank.person("manager")
        alice, bob = await bank.person(), await bank.person()
        source = await bank.account(alice, "JOD")
        await bank.deposit(teller, source["id"], "9000.000")
        one, two = await bank.account(bob, "JOD"), await bank.account(bob, "USD")
        # Paid before, so no item is a first payment; the total, 3,000 JOD and more, is.
        warmup = await batch(client, alice, source, [(one, "10.000"), (two, "10.000")])
        assert warmup.json()["batch"]["status"] == "completed", warmup.text
        held = (await batch(client, alice, source, [(one, "900.000"), (two, "2200.000")])).json()
        parent = held["batch"]["id"]
        assert held["batch"]["status"] == "pending_otp"
        confirmed = await confirm(client, alice, parent, await code_for(client, alice, parent))
        assert confirmed.json()["status"] == "pending_review"
        [pending] = bank.sql("SELECT review_hits FROM pending_transactions"
                             " WHERE transaction_id = %s", parent)
        assert "review_amount" in pending["review_hits"]
        assert "review_new_beneficiary" not in pending["review_hits"]
        usd_before = bank.sql("SELECT target_amount FROM pending_batch_items"
                              " WHERE batch_id = %s AND seq = 2", parent)[0]["target_amount"]
        bank.sql("UPDATE accounts SET status = 'frozen' WHERE id = %s", two["id"])
        try:
            refused = await client.post(f"/transactions/{parent}/approve",
                                        headers=manager.money_headers(), json=REASON)
            assert refused.status_code == 422
            assert refused.json()["code"] == "ACCOUNT_FROZEN"
            assert "transfers[1]" in refused.json()["detail"]
            assert hold_status(bank, parent) == "active"
        finally:
            bank.sql("UPDATE accounts SET status = 'active' WHERE id = %s", two["id"])
        approved = await client.post(f"/transactions/{parent}/approve",
                                     headers=manager.money_headers(), json=REASON)
        assert approved.status_code == 200, approved.text
        assert approved.json()["status"] == "completed"
        posted = children(bank, parent)
        assert len(posted) == 2
        assert posted[1]["target_amount"] == usd_before
        assert await account_view(client, bob, two["id"]) == (
            Decimal("14.10") + usd_before, Decimal("14.10") + usd_before)
        # 9000 - (20 + 0.500 in minimum fees) - (3100 + 9 + 10 in fees)
        assert await account_view(client, alice, source["id"]) == (Decimal("5860.500"),
                                                                  Decimal("5860.500"))

    async def test_racing_approvals_and_rejections_decide_the_whole_batch_once(
        self, bank, client
    ):
        alice, source, _bob, one, two = await funded(bank, "3000.000")
        staff = [await bank.person(role) for role in ("teller", "manager") * 3]
        # 1,100.000 to a new payee is a first payment above 1,000: code, then review.
        held = (await batch(client, alice, source, [(one, "1100.000"), (two, "5.000")])).json()
        parent = held["batch"]["id"]
        code = await code_for(client, alice, parent)
        assert (await confirm(client, alice, parent, code)).json()["status"] == "pending_review"
        calls = [client.post(f"/transactions/{parent}/{verb}", headers=person.money_headers(),
                             json=REASON)
                 for person, verb in zip(staff, ["approve", "reject"] * 3, strict=True)]
        responses = await asyncio.gather(*calls)
        assert sorted(r.status_code for r in responses) == [200] + [409] * 5, [
            r.text for r in responses]
        [winner] = [r.json() for r in responses if r.status_code == 200]
        posted = children(bank, parent)
        if winner["status"] == "completed":
            assert len(posted) == 2
            assert entries(bank, parent) == 8
            # the amounts, a fee capped at 10.000 and a minimum fee of 0.250
            expected = Decimal("3000.000") - Decimal("1105.000") - Decimal("10.250")
        else:
            assert posted == []
            expected = Decimal("3000.000")
        assert await account_view(client, alice, source["id"]) == (expected, expected)

    async def test_the_ledger_stays_consistent(self, bank):
        assert bank.sql("SELECT * FROM vw_ledger_integrity_check") == []
