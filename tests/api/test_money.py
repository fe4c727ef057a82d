"""Money movement over HTTP: idempotency, races, batches, cross-currency, errors."""

from __future__ import annotations

import asyncio
import secrets
from decimal import Decimal


class TestIdempotency:
    async def test_replay_returns_the_same_transaction(self, bank, client):
        person = await bank.person()
        account = await bank.account(person, "JOD")
        headers = person.money_headers("deposit-" + secrets.token_hex(6))
        body = {"account_id": account["id"], "amount": "25.500"}
        first = await client.post("/transactions/deposit", headers=headers, json=body)
        again = await client.post("/transactions/deposit", headers=headers, json=body)
        assert first.status_code == again.status_code == 201
        assert first.json()["id"] == again.json()["id"]
        assert again.json()["replayed"] is True
        assert again.headers["Idempotency-Replayed"] == "true"
        assert await bank.balance(person, account["id"]) == "25.500"

    async def test_same_key_other_payload_is_409(self, bank, client):
        person = await bank.person()
        account = await bank.account(person, "JOD")
        headers = person.money_headers()
        await client.post("/transactions/deposit", headers=headers,
                          json={"account_id": account["id"], "amount": "1"})
        other = await client.post("/transactions/deposit", headers=headers,
                                  json={"account_id": account["id"], "amount": "2"})
        assert other.status_code == 409
        assert other.json()["code"] == "IDEMPOTENCY_CONFLICT"

    async def test_concurrent_replays_post_once(self, bank, client):
        person = await bank.person()
        account = await bank.account(person, "USD")
        headers = person.money_headers()
        body = {"account_id": account["id"], "amount": "10.00"}
        responses = await asyncio.gather(*[
            client.post("/transactions/deposit", headers=headers, json=body) for _ in range(10)])
        assert {r.status_code for r in responses} == {201}
        assert len({r.json()["id"] for r in responses}) == 1
        assert await bank.balance(person, account["id"]) == "10.00"

    async def test_missing_idempotency_key_is_422(self, bank, client):
        person = await bank.person()
        account = await bank.account(person, "USD")
        response = await client.post("/transactions/deposit", headers=person.auth,
                                     json={"account_id": account["id"], "amount": "1"})
        assert response.status_code == 422


class TestRaces:
    async def test_40_concurrent_withdrawals_leave_a_correct_balance(self, bank, client):
        person = await bank.person()
        account = await bank.account(person, "JOD", deposit="250.000")
        # Each takes 10.000: only 25 can succeed.
        responses = await asyncio.gather(*[
            client.post("/transactions/withdraw", headers=person.money_headers(),
                        json={"account_id": account["id"], "amount": "10.000"})
            for _ in range(40)])
        codes = [r.status_code for r in responses]
        assert codes.count(201) == 25, codes
        assert codes.count(422) == 15
        assert {r.json()["code"] for r in responses if r.status_code == 422} == {
            "INSUFFICIENT_FUNDS"}
        assert await bank.balance(person, account["id"]) == "0.000"
        rows = bank.sql("SELECT COUNT(*) AS n, SUM(amount) AS total FROM ledger_entries "
                        "WHERE account_id = %s", account["id"])[0]
        assert rows["n"] == 26
        assert rows["total"] == Decimal("0")

    async def test_opposite_transfers_do_not_surface_deadlocks(self, bank, client):
        alice, bob = await bank.person(), await bank.person()
        a = await bank.account(alice, "USD", deposit="1000.00")
        b = await bank.account(bob, "USD", deposit="1000.00")
        calls = []
        for i in range(30):
            sender, src, dst = (alice, a, b) if i % 2 else (bob, b, a)
            calls.append(client.post("/transactions/transfer", headers=sender.money_headers(),
                                     json={"from_account_id": src["id"], "amount": "1.00",
                                           "to_account_number": dst["account_number"]}))
        responses = await asyncio.gather(*calls)
        assert {r.status_code for r in responses} == {201}
        # More than ten outgoing in 15 minutes: the velocity rule holds the rest for review.
        statuses = [r.json()["status"] for r in responses]
        assert set(statuses) <= {"completed", "pending_review"}
        assert statuses.count("completed") >= 20
        total = Decimal(await bank.balance(alice, a["id"])) + Decimal(
            await bank.balance(bob, b["id"]))
        posted = [r.json() for r in responses if r.json()["status"] == "completed"]
        fees = sum(Decimal(t["fee"]) for t in posted)
        assert fees == Decimal("0.35") * len(posted)  # each pays the USD minimum fee
        assert total + fees == Decimal("2000.00")


class TestTransfers:
    async def test_cross_currency_rounds_to_the_target_exponent(self, bank, client):
        alice, bob = await bank.person(), await bank.person()
        usd = await bank.account(alice, "USD", deposit="100.00")
        jod = await bank.account(bob, "JOD")
        txn = (await client.post("/transactions/transfer", headers=alice.money_headers(),
                                 json={"from_account_id": usd["id"], "amount": "10.01",
                                       "to_account_number": jod["account_number"]})).json()
        assert txn["amount"] == "10.01"
        assert txn["currency"] == "USD"
        assert len(txn["target_amount"].split(".")[1]) == 3
        assert await bank.balance(bob, jod["id"]) == txn["target_amount"]

    async def test_business_errors_are_422_with_codes(self, bank, client):
        alice, bob = await bank.person(), await bank.person()
        a = await bank.account(alice, "JOD", deposit="5.000")
        b = await bank.account(bob, "JOD")

        async def transfer(amount, to=b["account_number"], src=a["id"]):
            return await client.post("/transactions/transfer", headers=alice.money_headers(),
                                     json={"from_account_id": src, "amount": amount,
                                           "to_account_number": to})

        funds = await transfer("6")
        assert (funds.status_code, funds.json()["code"]) == (422, "INSUFFICIENT_FUNDS")
        same = await transfer("1", to=a["account_number"])
        assert (same.status_code, same.json()["code"]) == (422, "SAME_ACCOUNT")
        decimals = await transfer("1.0001")
        assert (decimals.status_code, decimals.json()["code"]) == (422, "INVALID_AMOUNT")
        nowhere = await transfer("1", to="000000000000")
        assert nowhere.status_code == 404
        bank.sql("UPDATE accounts SET status = 'frozen' WHERE id = %s", b["id"])
        frozen = await transfer("1")
        assert (frozen.status_code, frozen.json()["code"]) == (422, "ACCOUNT_FROZEN")
        assert await bank.balance(alice, a["id"]) == "5.000"


class TestBatch:
    async def test_batch_is_all_or_nothing(self, bank, client):
        payer = await bank.person()
        src = await bank.account(payer, "JOD", deposit="100.000")
        payees = [await bank.account(await bank.person(), "JOD") for _ in range(3)]
        items = [{"to_account_number": p["account_number"], "amount": "10.000",
                  "description": f"item {i}"} for i, p in enumerate(payees)]
        ok = await client.post("/transactions/batch", headers=payer.money_headers(),
                               json={"from_account_id": src["id"], "transfers": items,
                                     "description": "payroll"})
        assert ok.status_code == 201, ok.text
        body = ok.json()
        assert body["count"] == 3
        assert body["total"] == "30.000"
        assert body["batch"]["type"] == "batch"
        assert [t["to_account"] for t in body["transfers"]] == [
            p["account_number"] for p in payees]
        assert await bank.balance(payer, src["id"]) == "69.250"  # 0.250 fee per item

        bad = [*items, {"to_account_number": "000000000000", "amount": "1"}]
        failed = await client.post("/transactions/batch", headers=payer.money_headers(),
                                   json={"from_account_id": src["id"], "transfers": bad})
        assert failed.status_code in (404, 422)
        assert await bank.balance(payer, src["id"]) == "69.250"

    async def test_more_than_1000_items_is_422(self, bank, client):
        payer = await bank.person()
        src = await bank.account(payer, "JOD", deposit="1.000")
        items = [{"to_account_number": "123456789012", "amount": "0.001"}] * 1001
        response = await client.post("/transactions/batch", headers=payer.money_headers(),
                                     json={"from_account_id": src["id"], "transfers": items})
        assert response.status_code == 422


class TestFunding:
    """POST /transactions/deposit: cash at a teller's counter, a bounded top-up for a customer."""

    def other_leg(self, bank, transaction_id: int) -> str:
        rows = bank.sql("SELECT a.gl_type FROM ledger_entries e JOIN accounts a "
                        "ON a.id = e.account_id WHERE e.transaction_id = %s "
                        "AND a.kind = 'system'", transaction_id)
        return str(rows[0]["gl_type"])

    async def test_a_customer_cannot_mint_money(self, bank, client):
        person = await bank.person()
        account = await bank.account(person, "JOD")

        async def deposit(amount: str):
            return await client.post("/transactions/deposit", headers=person.money_headers(),
                                     json={"account_id": account["id"], "amount": amount})

        # The report: 201 for almost 10^13 "cash", then spendable.
        huge = await deposit("9999999999999.999")
        assert (huge.status_code, huge.json()["code"]) == (422, "AMOUNT_OUT_OF_RANGE")
        over = await deposit("1000.001")
        assert (over.status_code, over.json()["code"]) == (422, "LIMIT_EXCEEDED")
        ok = await deposit("1000.000")
        assert ok.status_code == 201, ok.text
        assert ok.json()["type"] == "deposit"
        assert self.other_leg(bank, ok.json()["id"]) == "external_funding"
        assert (await deposit("1000.000")).status_code == 201
        daily = await deposit("0.001")
        assert (daily.status_code, daily.json()["code"]) == (422, "DAILY_LIMIT_EXCEEDED")
        assert await bank.balance(person, account["id"]) == "2000.000"

    async def test_a_teller_deposit_is_cash(self, bank, client):
        customer, teller = await bank.person(), await bank.person("teller")
        account = await bank.account(customer, "USD")
        cash = await client.post("/transactions/deposit", headers=teller.money_headers(),
                                 json={"account_id": account["id"], "amount": "5000.00"})
        assert cash.status_code == 201, cash.text
        assert self.other_leg(bank, cash.json()["id"]) == "cash_vault"
        assert await bank.balance(customer, account["id"]) == "5000.00"


class TestKyc:
    async def test_money_out_needs_verified_kyc(self, bank, client):
        person = await bank.person(kyc="pending")
        account = await bank.account(person, "JOD", deposit="100.000")  # money in is fine
        other = await bank.account(await bank.person(), "JOD")
        attempts = [
            ("/transactions/withdraw", {"account_id": account["id"], "amount": "1"}),
            ("/transactions/transfer", {"from_account_id": account["id"], "amount": "1",
                                        "to_account_number": other["account_number"]}),
            ("/transactions/batch", {"from_account_id": account["id"], "transfers": [
                {"to_account_number": other["account_number"], "amount": "1"}]}),
        ]
        for path, body in attempts:
            response = await client.post(path, headers=person.money_headers(), json=body)
            assert (response.status_code, response.json()["code"]) == (403, "KYC_REQUIRED"), path
        assert await bank.balance(person, account["id"]) == "100.000"
        bank.sql("UPDATE users SET kyc_status = 'verified' WHERE id = %s", person.id)
        path, body = attempts[1]
        response = await client.post(path, headers=person.money_headers(), json=body)
        assert response.status_code == 201, response.text


class TestOverflow:
    async def test_a_vault_at_its_range_gives_a_specific_error_and_writes_nothing(
        self, bank, client
    ):
        customer, teller = await bank.person(), await bank.person("teller")
        account = await bank.account(customer, "USD")
        vault = bank.sql("SELECT id, balance, available_balance FROM accounts "
                         "WHERE gl_type = 'cash_vault' AND currency = 'USD'")[0]
        edge = Decimal("-9999999999999999.9950")  # DECIMAL(20,4) ends at -9999999999999999.9999
        before = bank.sql("SELECT COUNT(*) AS n FROM ledger_entries")[0]["n"]
        bank.sql("UPDATE accounts SET balance = %s, available_balance = %s WHERE id = %s",
                 edge, edge, vault["id"])
        try:
            response = await client.post("/transactions/deposit", headers=teller.money_headers(),
                                         json={"account_id": account["id"], "amount": "0.01"})
        finally:
            # Back by the same shift, so the cached balance matches its entries again.
            shift = vault["balance"] - edge
            bank.sql("UPDATE accounts SET balance = balance + %s, "
                     "available_balance = available_balance + %s WHERE id = %s",
                     shift, shift, vault["id"])
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "BALANCE_OUT_OF_RANGE"
        assert bank.sql("SELECT COUNT(*) AS n FROM ledger_entries")[0]["n"] == before
        assert await bank.balance(customer, account["id"]) == "0.00"


class TestLimitProblems:
    async def test_a_limit_breach_says_the_limit_and_what_remains_today(self, bank, client):
        payer = await bank.person()
        src = await bank.account(payer, "JOD", deposit="100.000")  # limits come before funds
        dst = await bank.account(await bank.person(), "JOD")
        response = await client.post("/transactions/transfer", headers=payer.money_headers(),
                                     json={"from_account_id": src["id"], "amount": "10000.001",
                                           "to_account_number": dst["account_number"]})
        assert response.status_code == 422, response.text
        body = response.json()
        assert body["code"] == "LIMIT_EXCEEDED"
        assert (body["limit"], body["remaining"], body["currency"]) == ("10000.000", "20000.000",
                                                                         "JOD")
        assert body["detail"] == "amount is over the per-transaction limit"
