"""/fx over HTTP: rates for anyone signed in, quotes, publishing by managers and admins."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx

from tests.support.app import Bank, Person


async def publish(bank: Bank, who: Person, rate: str, **extra: str) -> tuple[int, dict[str, Any]]:
    response = await bank.client.post("/fx/rates", headers=who.auth, json={
        "base_currency": "JOD", "quote_currency": "USD", "rate": rate, **extra})
    return response.status_code, response.json()


class TestRates:
    async def test_anyone_signed_in_reads_every_pair(self, bank: Bank):
        customer = await bank.person()
        response = await bank.client.get("/fx/rates", headers=customer.auth)
        assert response.status_code == 200, response.text
        rates = {(r["base_currency"], r["quote_currency"]): r for r in response.json()}
        assert len(rates) == 6
        assert Decimal(rates[("JOD", "USD")]["rate"]) == Decimal("1.41")
        assert Decimal(rates[("JOD", "EUR")]["rate"]) == Decimal("1.31")
        assert rates[("USD", "EUR")]["valid_from"].endswith("Z")
        assert (await bank.client.get("/fx/rates")).status_code == 401


class TestQuote:
    async def test_a_quote_says_rate_amounts_fee_and_how_long_it_holds(self, bank: Bank):
        customer = await bank.person()
        response = await bank.client.get("/fx/quote", headers=customer.auth,
                                         params={"from": "JOD", "to": "USD", "amount": "100"})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["rate"] == "1.4100000000"
        assert body["converted_amount"] == "141.00"
        assert body["fee"] == "1.000"
        assert body["total_debited"] == "101.000"
        assert body["valid_seconds"] == 60
        assert "rate in force when it posts" in body["guarantee"]

    async def test_between_own_accounts_the_quote_is_free(self, bank: Bank):
        customer, other = await bank.person(), await bank.person()
        await bank.account(customer, "JOD", deposit="500")
        own_usd = await bank.account(customer, "USD")
        own_eur = await bank.account(customer, "EUR")
        theirs = await bank.account(other, "EUR")

        async def quote(to_account: str, to: str = "USD") -> httpx.Response:
            return await bank.client.get("/fx/quote", headers=customer.auth, params={
                "from": "JOD", "to": to, "amount": "100", "to_account": to_account})

        own = (await quote(own_usd["account_number"])).json()
        assert (own["fee"], own["total_debited"], own["converted_amount"]) == (
            "0.000", "100.000", "141.00")
        # Someone else's number is neither confirmed nor checked: the fee to another customer.
        other_quote = await quote(theirs["account_number"])
        assert other_quote.status_code == 200
        assert other_quote.json()["fee"] == "1.000"
        wrong = await quote(own_eur["account_number"])
        assert wrong.status_code == 422
        assert wrong.json()["code"] == "INVALID_ARGUMENT"

    async def test_a_bad_quote_is_a_problem(self, bank: Bank):
        customer = await bank.person()
        response = await bank.client.get("/fx/quote", headers=customer.auth,
                                         params={"from": "JOD", "to": "XYZ", "amount": "10"})
        assert response.status_code == 422
        assert response.json()["code"] == "UNKNOWN_CURRENCY"
        response = await bank.client.get("/fx/quote", headers=customer.auth,
                                         params={"from": "EUR", "to": "JOD", "amount": "0.50"})
        assert response.json()["code"] == "FX_AMOUNT_TOO_SMALL"

    async def test_a_rate_change_between_quote_and_post_posts_the_new_rate(self, bank: Bank):
        manager = await bank.person("manager")
        sender, receiver = await bank.person(), await bank.person()
        jod = await bank.account(sender, "JOD", deposit="500")
        usd = await bank.account(receiver, "USD")
        quoted = (await bank.client.get("/fx/quote", headers=sender.auth, params={
            "from": "JOD", "to": "USD", "amount": "100"})).json()
        assert quoted["converted_amount"] == "141.00"
        status, _ = await publish(bank, manager, "1.40", reason="market move")
        assert status == 201
        try:
            response = await bank.client.post(
                "/transactions/transfer", headers=sender.money_headers(),
                json={"from_account_id": jod["id"], "to_account_number": usd["account_number"],
                      "amount": "100"})
            assert response.status_code == 201, response.text
            posted = response.json()
            assert posted["target_amount"] == "140.00"  # not the quoted 141.00
            assert Decimal(posted["fx_rate"]) == Decimal("1.40")
        finally:
            status, _ = await publish(bank, manager, "1.41", reason="restore the mid")
            assert status == 201
        again = await bank.client.get(f"/transactions/{posted['id']}", headers=sender.auth)
        assert Decimal(again.json()["fx_rate"]) == Decimal("1.40")  # history keeps its rate


class TestPublish:
    async def test_managers_and_admins_publish_and_get_the_derived_pairs(self, bank: Bank):
        admin = await bank.person("admin")
        status, body = await publish(bank, admin, "1.41", reason="daily fixing")
        assert status == 201, body
        assert (body["published"]["base_currency"], body["published"]["quote_currency"]) == (
            "JOD", "USD")
        assert body["published"]["published_by"] == admin.id
        assert {(r["base_currency"], r["quote_currency"]) for r in body["derived"]} == {
            ("USD", "JOD"), ("USD", "EUR"), ("EUR", "USD")}
        audited = bank.sql("SELECT COUNT(*) AS n FROM audit_log WHERE table_name = 'fx_rates' "
                           "AND row_id = %s AND actor_user_id = %s",
                           body["published"]["id"], admin.id)
        assert audited[0]["n"] == 1

    async def test_customers_tellers_and_auditors_may_not(self, bank: Bank):
        for role in ("customer", "teller", "auditor"):
            status, body = await publish(bank, await bank.person(role), "1.50")
            assert status == 403, body
            assert body["code"] == "FORBIDDEN"

    async def test_a_past_valid_from_or_a_cross_pair_is_refused(self, bank: Bank):
        manager = await bank.person("manager")
        past = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
        status, body = await publish(bank, manager, "1.50", valid_from=past)
        assert (status, body["code"]) == (422, "INVALID_ARGUMENT")
        response = await bank.client.post("/fx/rates", headers=manager.auth, json={
            "base_currency": "USD", "quote_currency": "EUR", "rate": "0.93"})
        assert (response.status_code, response.json()["code"]) == (422, "INVALID_ARGUMENT")
        status, body = await publish(bank, manager, "-1")
        assert status == 422
        rates = (await bank.client.get("/fx/rates", headers=manager.auth)).json()
        assert {Decimal(r["rate"]) for r in rates
                if (r["base_currency"], r["quote_currency"]) == ("JOD", "USD")} == {
            Decimal("1.41")}


class TestQuoteEqualsPosting:
    async def test_quote_then_transfer_posts_the_quoted_amounts(self, bank: Bank):
        sender = await bank.person()
        src = await bank.account(sender, "USD", deposit="1000.00")
        dst = await bank.account(await bank.person(), "EUR")
        quoted = await bank.client.get("/fx/quote", headers=sender.auth,
                                       params={"from": "USD", "to": "EUR", "amount": "141.00"})
        assert quoted.status_code == 200, quoted.text
        quote = quoted.json()
        posted = await bank.client.post(
            "/transactions/transfer", headers=sender.money_headers(),
            json={"from_account_id": src["id"], "amount": "141.00",
                  "to_account_number": dst["account_number"]})
        assert posted.status_code == 201, posted.text
        txn = posted.json()
        assert quote["converted_amount"] == txn["target_amount"] == "131.00"
        assert quote["rate"] == txn["fx_rate"]
        assert quote["fee"] == txn["fee"] == "1.41"
        assert quote["total_debited"] == "142.41"
        assert await bank.balance(sender, src["id"]) == "857.59"
