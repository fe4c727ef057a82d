"""The risk rules over HTTP: POST /risk/score, and what they do to a transfer.

MEDIUM waits in the review queue with the hits' reasons, HIGH is a 422 RISK_DECLINED with its
reasons; the country comes from a trusted proxy's header only.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from api.main import create_app
from tests.support.app import Bank, Person, client_for, make_settings, running
from tests.support.risk_rules import listed, zone_for_local_hour

BLOCKED_IP = "192.0.2.99"


async def customer_with_money(bank: Bank, amount: str = "2000.000"
                              ) -> tuple[Person, dict[str, Any]]:
    """A customer at noon on their clock, with a funded JOD account."""
    person = await bank.person()
    bank.sql("UPDATE users SET time_zone = %s WHERE id = %s",
             zone_for_local_hour(bank.admin, 12), person.id)
    teller = await bank.person("teller")
    account = await bank.account(person)
    await bank.deposit(teller, account["id"], amount)
    return person, account


async def payee_number(bank: Bank) -> str:
    return str((await bank.account(await bank.person()))["account_number"])


class TestScore:
    async def test_one_transaction(self, bank, client):
        manager = await bank.person("manager")
        _, account = await customer_with_money(bank)
        number = await payee_number(bank)
        response = await client.post("/risk/score", headers=manager.auth, json={
            "from_account_id": account["id"], "to_account_number": number,
            "amount": "3000.000"})
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["points"], body["level"], body["decision"], body["amount"]) == (
            35, "MEDIUM", "review", "3000.000")
        assert Decimal(body["score"]) == Decimal("0.2333")
        assert {h["rule"] for h in body["hits"]} == {"high_amount", "new_beneficiary"}
        assert body["reasons"] == [h["reason"] for h in body["hits"]]
        [row] = bank.sql("SELECT balance, available_balance FROM accounts WHERE id = %s",
                         account["id"])
        assert row == {"balance": Decimal("2000.000"), "available_balance": Decimal("2000.000")}

    async def test_a_list_answers_per_item(self, bank, client):
        manager = await bank.person("manager")
        _, account = await customer_with_money(bank)
        with listed(bank.admin, "blacklist", BLOCKED_IP):
            response = await client.post("/risk/score", headers=manager.auth, json={
                "transactions": [
                    {"from_account_id": account["id"], "amount": "10", "type": "withdrawal"},
                    {"from_account_id": account["id"], "amount": "10",
                     "client_ip": BLOCKED_IP, "at": "2026-01-31T12:00:00Z"},
                    {"from_account_id": 2**40, "amount": "10"}]})
        assert response.status_code == 200, response.text
        results = response.json()["results"]
        assert response.json()["count"] == 3
        assert [r["index"] for r in results] == [0, 1, 2]
        assert (results[0]["level"], results[0]["hits"]) == ("LOW", [])
        assert (results[1]["level"], results[1]["decision"]) == ("HIGH", "block")
        assert results[2]["error"]["code"] == "ACCOUNT_NOT_FOUND"
        assert results[2]["level"] is None

    async def test_a_customer_and_a_teller_may_not_score(self, bank, client):
        _, account = await customer_with_money(bank)
        for role in ("customer", "teller"):
            who = await bank.person(role)
            response = await client.post("/risk/score", headers=who.auth, json={
                "from_account_id": account["id"], "amount": "10"})
            assert response.status_code == 403, (role, response.text)

    @pytest.mark.parametrize("body", [
        {"from_account_id": 1, "amount": "-1"},
        {"from_account_id": 1, "amount": "10", "client_ip": "999.1.1.1"},
        {"from_account_id": 1, "amount": "10", "country": "jordan"},
        {"from_account_id": 1, "amount": "10", "type": "deposit"},
        {"from_account_id": 1, "amount": "10", "at": "yesterday"},
        {"transactions": []},
        {"transactions": [{"from_account_id": 1, "amount": "1"}] * 101},
    ], ids=["negative", "ip", "country", "type", "at", "empty", "too-many"])
    async def test_bad_input_is_a_422_with_a_reason(self, bank, client, body):
        manager = await bank.person("manager")
        response = await client.post("/risk/score", headers=manager.auth, json=body)
        assert response.status_code == 422, response.text
        assert response.json()["detail"]

    async def test_an_unknown_account_is_a_404(self, bank, client):
        manager = await bank.person("manager")
        response = await client.post("/risk/score", headers=manager.auth, json={
            "from_account_id": 2**40, "amount": "10"})
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "ACCOUNT_NOT_FOUND"


class TestTransfers:
    async def test_medium_waits_for_review_and_staff_see_the_reasons(self, bank, client):
        person, account = await customer_with_money(bank)
        # A second login from another device: the session's device is new.
        relogin = await client.post("/auth/login", headers={"User-Agent": "another-phone/2"},
                                    json={"username": person.username,
                                          "password": person.password})
        assert relogin.status_code == 200, relogin.text
        person.access_token = relogin.json()["access_token"]
        response = await client.post("/transactions/transfer", headers=person.money_headers(),
                                     json={"from_account_id": account["id"],
                                           "to_account_number": await payee_number(bank),
                                           "amount": "25.000"})
        assert response.status_code == 201, response.text
        transaction = response.json()
        assert transaction["status"] == "pending_review"
        manager = await bank.person("manager")
        queue = await client.get("/admin/reviews", headers=manager.auth, params={"limit": 200})
        assert queue.status_code == 200, queue.text
        [item] = [i for i in queue.json()["items"] if i["id"] == transaction["id"]]
        assert (item["review_hits"], item["rule_points"]) == (["risk_review"], 30)
        assert {h["rule"] for h in item["rule_hits"]} == {"new_beneficiary", "new_device"}
        assert all(h["reason"] for h in item["rule_hits"])

    async def test_high_is_refused_with_its_reasons(self, bank, app):
        person, account = await customer_with_money(bank)
        number = await payee_number(bank)
        with listed(bank.admin, "blacklist", BLOCKED_IP):
            async with client_for(app, BLOCKED_IP) as blocked:
                response = await blocked.post(
                    "/transactions/transfer", headers=person.money_headers(),
                    json={"from_account_id": account["id"], "to_account_number": number,
                          "amount": "25.000"})
        assert response.status_code == 422, response.text
        problem = response.json()
        assert problem["code"] == "RISK_DECLINED"
        assert "blacklist" in problem["detail"]
        assert problem["rule_points"] == "75"
        [refused] = bank.sql("SELECT id, client_ip FROM risk_declines WHERE from_account_id = %s",
                             account["id"])
        assert (str(refused["id"]), refused["client_ip"]) == (
            problem["risk_decline_id"], BLOCKED_IP)
        assert await bank.balance(person, account["id"]) == "2000.000"


class TestCountry:
    async def test_a_trusted_proxys_country_header_is_believed(self, admin_url, database, bank):
        settings = make_settings(admin_url, database, trusted_proxies="10.9.9.9",
                                 country_header="CF-IPCountry", db_pool_max=5)
        app = create_app(settings)
        person, account = await customer_with_money(bank)
        number = await payee_number(bank)
        forwarded = {"X-Forwarded-For": "203.0.113.50"}
        async with running(app), client_for(app, "10.9.9.9") as proxied:
            login = await proxied.post("/auth/login", headers={**forwarded, "CF-IPCountry": "JO"},
                                       json={"username": person.username,
                                             "password": person.password})
            assert login.status_code == 200, login.text
            person.access_token = login.json()["access_token"]
            [session] = bank.sql("SELECT country, ip_address FROM auth_sessions"
                                 " WHERE user_id = %s ORDER BY created_at DESC LIMIT 1", person.id)
            assert session == {"country": "JO", "ip_address": "203.0.113.50"}
            moved = await proxied.post(
                "/transactions/transfer", headers={**person.money_headers(), **forwarded,
                                                   "CF-IPCountry": "DE"},
                json={"from_account_id": account["id"], "to_account_number": number,
                      "amount": "25.000"})
        assert moved.status_code == 201, moved.text
        [row] = bank.sql("SELECT rule_points, status FROM transactions WHERE id = %s",
                         moved.json()["id"])
        assert row == {"rule_points": 50, "status": "pending_review"}  # country + beneficiary

    async def test_the_header_from_anyone_else_is_ignored(self, admin_url, database, bank):
        settings = make_settings(admin_url, database, trusted_proxies="10.9.9.9",
                                 country_header="CF-IPCountry", db_pool_max=5)
        app = create_app(settings)
        person = await bank.person()
        async with running(app), client_for(app, "10.7.7.7") as direct:
            login = await direct.post("/auth/login", headers={"CF-IPCountry": "JO"},
                                      json={"username": person.username,
                                            "password": person.password})
        assert login.status_code == 200, login.text
        countries = bank.sql("SELECT country FROM auth_sessions WHERE user_id = %s", person.id)
        assert countries == [{"country": None}] * len(countries)
