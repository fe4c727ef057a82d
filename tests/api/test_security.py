"""Attacks: no token, forged tokens, other people's money, roles beyond their rights."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest

from tests.support.app import unique

PUBLIC = {("/auth/register", "post"), ("/auth/login", "post"), ("/auth/login/verify", "post"),
          ("/auth/refresh", "post"), ("/health", "get"), ("/ready", "get"),
          ("/metrics", "get")}


def protected_operations(app):
    for path, item in app.openapi()["paths"].items():
        for method in item:
            if (path, method) not in PUBLIC:
                yield path.replace("{account_id}", "1").replace("{transaction_id}", "1"), method


class TestWithoutToken:
    async def test_every_protected_endpoint_is_401(self, app, client):
        operations = list(protected_operations(app))
        assert len(operations) >= 16
        for path, method in operations:
            response = await client.request(method.upper(), path, json={})
            assert response.status_code == 401, (method, path, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["code"] == "NOT_AUTHENTICATED"


def _b64(data: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


class TestForgedTokens:
    @pytest.fixture
    async def victim(self, bank):
        return await bank.person()

    def claims(self, victim, settings, **overrides):
        payload = jwt.decode(victim.access_token, settings.jwt_secret, algorithms=["HS256"],
                             issuer=settings.jwt_issuer)
        payload.update(overrides)
        return payload

    async def assert_refused(self, client, token):
        response = await client.get("/auth/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, response.text
        assert response.json()["code"] in {"INVALID_TOKEN", "NOT_AUTHENTICATED"}

    async def test_signed_with_another_secret(self, client, victim, api_settings):
        token = jwt.encode(self.claims(victim, api_settings), "another-secret-of-32-bytes-xxxxx",
                           algorithm="HS256")
        await self.assert_refused(client, token)

    async def test_alg_none(self, client, victim, api_settings):
        claims = self.claims(victim, api_settings, role="admin")
        token = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(claims)}."
        await self.assert_refused(client, token)

    async def test_expired(self, client, victim, api_settings):
        past = int(time.time()) - 3600
        token = jwt.encode(self.claims(victim, api_settings, iat=past - 900, exp=past),
                           api_settings.jwt_secret, algorithm="HS256")
        await self.assert_refused(client, token)

    async def test_tampered_payload_keeps_old_signature(self, client, victim, api_settings):
        header, _, signature = victim.access_token.split(".")
        claims = self.claims(victim, api_settings, role="admin", sub="1")
        await self.assert_refused(client, f"{header}.{_b64(claims)}.{signature}")

    async def test_mfa_challenge_is_not_an_access_token(self, client, victim, api_settings):
        from api.security.tokens import issue_mfa_challenge
        await self.assert_refused(client, issue_mfa_challenge(api_settings, user_id=victim.id))

    async def test_garbage_and_wrong_scheme(self, client, victim):
        await self.assert_refused(client, "not.a.jwt")
        basic = await client.get("/auth/me", headers={"Authorization": "Basic dXNlcjpwdw=="})
        assert basic.status_code == 401


class TestOtherPeoplesMoney:
    async def test_reading_or_moving_from_someone_elses_account_is_404(self, bank, client):
        mallory = await bank.person()
        own = await bank.account(mallory, "JOD", deposit="10.000")
        victim = await bank.person()
        target = await bank.account(victim, "JOD", deposit="500.000")
        txn_id = (await client.get("/transactions/history", headers=victim.auth)).json()[
            "items"][0]["id"]
        entries_before = bank.sql("SELECT COUNT(*) AS n FROM ledger_entries")[0]["n"]

        for path in (f"/accounts/{target['id']}", f"/accounts/{target['id']}/balance",
                     f"/accounts/{target['id']}/statement", f"/transactions/{txn_id}"):
            response = await client.get(path, headers=mallory.auth)
            assert response.status_code == 404, (path, response.text)
        history = await client.get("/transactions/history", headers=mallory.auth,
                                   params={"account_id": target["id"]})
        assert history.status_code == 404

        attempts = [
            ("/transactions/withdraw", {"account_id": target["id"], "amount": "100"}),
            ("/transactions/transfer", {"from_account_id": target["id"],
                                        "to_account_number": own["account_number"],
                                        "amount": "100"}),
            ("/transactions/batch", {"from_account_id": target["id"], "transfers": [
                {"to_account_number": own["account_number"], "amount": "100"}]}),
            ("/transactions/deposit", {"account_id": target["id"], "amount": "1"}),
        ]
        for path, body in attempts:
            response = await client.post(path, headers=mallory.money_headers(), json=body)
            assert response.status_code == 404, (path, response.text)
            assert response.json()["code"] == "ACCOUNT_NOT_FOUND"
        # A 404 for someone else's account is indistinguishable from a missing one.
        missing = await client.get("/accounts/999999999", headers=mallory.auth)
        assert missing.json()["detail"] == (
            await client.get(f"/accounts/{target['id']}", headers=mallory.auth)).json()["detail"]

        assert await bank.balance(victim, target["id"]) == "500.000"
        assert bank.sql("SELECT COUNT(*) AS n FROM ledger_entries")[0]["n"] == entries_before

    async def test_system_gl_accounts_are_not_found(self, bank, client):
        person = await bank.person()
        gl = bank.sql("SELECT id FROM accounts WHERE kind = 'system' LIMIT 1")[0]["id"]
        assert (await client.get(f"/accounts/{gl}", headers=person.auth)).status_code == 404

    async def test_injection_in_login_is_just_a_wrong_password(self, client):
        response = await client.post("/auth/login", json={"username": "' OR 1=1 -- ",
                                                          "password": "' OR '1'='1"})
        assert response.status_code == 401


class TestRoles:
    async def test_customer_cannot_reverse(self, bank, client):
        person = await bank.person()
        account = await bank.account(person, "JOD")
        txn = await bank.deposit(person, account["id"], "5.000")
        response = await client.post(f"/transactions/{txn['id']}/reverse",
                                     headers=person.money_headers(), json={"reason": "mine"})
        assert response.status_code == 403

    async def test_teller_handles_cash_for_any_customer(self, bank, client):
        customer = await bank.person()
        account = await bank.account(customer, "USD")
        teller = await bank.person("teller")
        deposit = await client.post("/transactions/deposit", headers=teller.money_headers(),
                                    json={"account_id": account["id"], "amount": "80.00"})
        assert deposit.status_code == 201, deposit.text
        withdraw = await client.post("/transactions/withdraw", headers=teller.money_headers(),
                                     json={"account_id": account["id"], "amount": "30.00"})
        assert withdraw.status_code == 201, withdraw.text
        assert await bank.balance(customer, account["id"]) == "50.00"
        # ...but cannot transfer out of it.
        other = await bank.account(await bank.person(), "USD")
        transfer = await client.post("/transactions/transfer", headers=teller.money_headers(),
                                     json={"from_account_id": account["id"],
                                           "to_account_number": other["account_number"],
                                           "amount": "1.00"})
        assert transfer.status_code == 404

    async def test_demoted_teller_loses_the_counter_at_once(self, bank, client):
        customer = await bank.person()
        account = await bank.account(customer, "JOD", deposit="10.000")
        teller = await bank.person("teller")
        bank.sql("UPDATE users SET role = 'customer' WHERE username = %s", teller.username)
        # The role change ended the teller's sessions: the old token opens nothing.
        response = await client.post("/transactions/withdraw", headers=teller.money_headers(),
                                     json={"account_id": account["id"], "amount": "5.000"})
        assert response.status_code == 401, response.text
        # Signed in again, as the customer they now are: the counter is closed to them.
        await bank.relogin(teller)
        response = await client.post("/transactions/withdraw", headers=teller.money_headers(),
                                     json={"account_id": account["id"], "amount": "5.000"})
        assert response.status_code == 404, response.text
        assert response.json()["code"] == "ACCOUNT_NOT_FOUND"
        assert await bank.balance(customer, account["id"]) == "10.000"

    async def test_auditor_reads_everything_and_changes_nothing(self, bank, client):
        customer = await bank.person()
        account = await bank.account(customer, "EUR", deposit="20.00")
        auditor = await bank.person("auditor")
        assert (await client.get(f"/accounts/{account['id']}",
                                 headers=auditor.auth)).status_code == 200
        history = await client.get("/transactions/history", headers=auditor.auth,
                                   params={"account_id": account["id"]})
        assert history.status_code == 200
        assert len(history.json()["items"]) == 1
        for path, body in (("/transactions/deposit", {"account_id": account["id"], "amount": "1"}),
                           ("/transactions/withdraw", {"account_id": account["id"],
                                                       "amount": "1"})):
            response = await client.post(path, headers=auditor.money_headers(), json=body)
            assert response.status_code == 403
        create = await client.post("/accounts/", headers=auditor.auth,
                                   json={"account_type": "savings", "currency": "EUR"})
        assert create.status_code == 403
        assert await bank.balance(customer, account["id"]) == "20.00"

    async def test_manager_reverses_a_transfer(self, bank, client):
        alice, bob = await bank.person(), await bank.person()
        a = await bank.account(alice, "JOD", deposit="100.000")
        b = await bank.account(bob, "JOD")
        txn = (await client.post("/transactions/transfer", headers=alice.money_headers(),
                                 json={"from_account_id": a["id"], "amount": "40",
                                       "to_account_number": b["account_number"]})).json()
        manager = await bank.person("manager")
        reversal = await client.post(f"/transactions/{txn['id']}/reverse",
                                     headers=manager.money_headers(),
                                     json={"reason": "sent in error"})
        assert reversal.status_code == 201, reversal.text
        assert reversal.json()["type"] == "reversal"
        assert reversal.json()["reversal_of_id"] == txn["id"]
        again = await client.post(f"/transactions/{txn['id']}/reverse",
                                  headers=manager.money_headers(), json={"reason": "twice"})
        assert again.status_code == 409
        assert await bank.balance(alice, a["id"]) == "100.000"
        assert await bank.balance(bob, b["id"]) == "0.000"


def test_usernames_are_unique_per_call():
    assert unique() != unique()


class TestPersonalDataBinding:
    async def test_ciphertext_swapped_between_users_does_not_decrypt(self, bank, client):
        first, second = await bank.person(), await bank.person()
        bank.sql("UPDATE users a JOIN users b ON a.id = %s AND b.id = %s "
                 "SET a.email_enc = b.email_enc, b.email_enc = a.email_enc, "
                 "a.full_name_enc = b.full_name_enc, b.full_name_enc = a.full_name_enc",
                 first.id, second.id)
        for person, other in ((first, second), (second, first)):
            response = await client.get("/users/profile", headers=person.auth)
            assert response.status_code == 500, response.text
            assert other.username not in response.text

    async def test_the_user_id_is_bound_into_each_field(self, app):
        from cryptography.exceptions import InvalidTag

        pii = app.state.pii
        blob = pii.encrypt("email", "someone@example.com", user_id=7)
        assert pii.decrypt("email", blob, user_id=7) == "someone@example.com"
        with pytest.raises(InvalidTag):
            pii.decrypt("email", blob, user_id=8)
        with pytest.raises(InvalidTag):
            pii.decrypt("full_name", blob, user_id=7)


DEMO_USERS = {"alice", "bob", "teller", "manager", "auditor", "admin"}


def _examples(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key in {"example", "examples"}:
                yield value
            else:
                yield from _examples(value)
    elif isinstance(node, list):
        for item in node:
            yield from _examples(item)


class TestOpenApiExamples:
    def test_no_example_names_a_real_demo_user(self, app):
        import re

        text = json.dumps(list(_examples(app.openapi()))).lower()
        named = {word for word in re.findall(r"[a-z]+", text) if word in DEMO_USERS}
        assert named == set()
