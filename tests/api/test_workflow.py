"""The seed workflow end to end, through HTTP, the real procedures and the real database."""

from __future__ import annotations

from decimal import Decimal


class TestSeedWorkflow:
    async def test_register_deposit_transfer_statements_history(self, bank, client):
        # register -> login -> JOD account -> deposit 1000.000
        alice = await bank.person()
        me = await client.get("/auth/me", headers=alice.auth)
        assert me.status_code == 200
        assert me.json()["role"] == "customer"
        assert me.json()["email"] == f"{alice.username}@example.com"
        # BANK_ENV=development (the tests' setting) verifies customers at registration.
        assert me.json()["kyc_status"] == "verified"
        assert me.json()["mfa_enabled"] is False

        jod = await bank.account(alice, "JOD")
        assert jod["currency"] == "JOD"
        assert jod["balance"] == "0.000"
        deposit = await client.post("/transactions/deposit", headers=alice.money_headers(),
                                    json={"account_id": jod["id"], "amount": "1000.000",
                                          "description": "opening cash"})
        assert deposit.status_code == 201, deposit.text
        assert deposit.json()["amount"] == "1000.000"
        assert deposit.json()["status"] == "completed"

        # a second user with a USD account
        bob = await bank.person()
        usd = await bank.account(bob, "USD")
        assert usd["balance"] == "0.00"

        # transfer 100 JOD to it (cross-currency)
        transfer = await client.post("/transactions/transfer", headers=alice.money_headers(),
                                     json={"from_account_id": jod["id"],
                                           "to_account_number": usd["account_number"],
                                           "amount": "100", "description": "rent"})
        assert transfer.status_code == 201, transfer.text
        txn = transfer.json()
        assert txn["type"] == "transfer"
        assert txn["currency"] == "JOD"
        assert txn["amount"] == "100.000"
        assert txn["from_account"] == jod["account_number"]
        assert txn["to_account"] == usd["account_number"]
        assert txn["target_currency"] == "USD"
        rate = Decimal(txn["fx_rate"])
        expected_usd = (Decimal(100) * rate).quantize(Decimal("0.01"))
        assert txn["target_amount"] == str(expected_usd)
        assert txn["fee"] == "1.000"  # 1 % to another customer, decided by the bank

        # both balances
        assert await bank.balance(alice, jod["id"]) == "899.000"
        assert await bank.balance(bob, usd["id"]) == str(expected_usd)
        accounts = await client.get("/accounts/", headers=alice.auth)
        assert [a["balance"] for a in accounts.json()] == ["899.000"]

        # both statements
        st_a = (await client.get(f"/accounts/{jod['id']}/statement", headers=alice.auth)).json()
        assert st_a["opening_balance"] == "0.000"
        assert st_a["closing_balance"] == "899.000"
        assert [(e["amount"], e["balance_after"]) for e in st_a["entries"]] == [
            ("1000.000", "1000.000"), ("-100.000", "900.000"), ("-1.000", "899.000")]
        assert st_a["next_cursor"] is None
        st_b = (await client.get(f"/accounts/{usd['id']}/statement", headers=bob.auth)).json()
        assert st_b["closing_balance"] == str(expected_usd)
        assert [e["amount"] for e in st_b["entries"]] == [str(expected_usd)]

        # history and its filters
        hist = (await client.get("/transactions/history", headers=alice.auth)).json()
        assert [t["type"] for t in hist["items"]] == ["transfer", "deposit"]
        assert hist["items"][0]["fee"] == "1.000"
        only = await client.get("/transactions/history", headers=alice.auth,
                                params={"type": "deposit"})
        assert [t["id"] for t in only.json()["items"]] == [deposit.json()["id"]]
        big = await client.get("/transactions/history", headers=alice.auth,
                               params={"min_amount": "500"})
        assert [t["id"] for t in big.json()["items"]] == [deposit.json()["id"]]
        by_account = await client.get("/transactions/history", headers=bob.auth,
                                      params={"account_id": usd["id"]})
        assert [t["id"] for t in by_account.json()["items"]] == [txn["id"]]
        page1 = await client.get("/transactions/history", headers=alice.auth,
                                 params={"limit": 1})
        assert len(page1.json()["items"]) == 1
        assert page1.json()["next_cursor"]
        page2 = await client.get("/transactions/history", headers=alice.auth,
                                 params={"limit": 1, "cursor": page1.json()["next_cursor"]})
        assert [t["type"] for t in page2.json()["items"]] == ["deposit"]
        assert page2.json()["next_cursor"] is None

        # one transaction with its entries: the customer sees only their own leg
        detail = await client.get(f"/transactions/{txn['id']}", headers=alice.auth)
        assert detail.status_code == 200
        # its principal and its fee
        assert [e["account_id"] for e in detail.json()["entries"]] == [jod["id"]] * 2

    async def test_statement_pages_with_cursor(self, bank, client):
        carol = await bank.person()
        acc = await bank.account(carol, "USD")
        for amount in ("1.00", "2.00", "3.00"):
            await bank.deposit(carol, acc["id"], amount)
        seen = []
        cursor = None
        while True:
            params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            page = (await client.get(f"/accounts/{acc['id']}/statement", headers=carol.auth,
                                     params=params)).json()
            seen += [e["amount"] for e in page["entries"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == ["1.00", "2.00", "3.00"]

    async def test_balance_at_a_past_instant(self, bank, client):
        dan = await bank.person()
        acc = await bank.account(dan, "EUR", deposit="10.00")
        first = await client.get(f"/accounts/{acc['id']}/balance", headers=dan.auth)
        as_of = first.json()["as_of"]
        await bank.deposit(dan, acc["id"], "5.00")
        then = await client.get(f"/accounts/{acc['id']}/balance", headers=dan.auth,
                                params={"at": as_of})
        assert then.json()["balance"] == "10.00"
        assert await bank.balance(dan, acc["id"]) == "15.00"
