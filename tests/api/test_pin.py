"""The transaction PIN: set with the password, required once set, 3 wrong lock for 15 min."""

from __future__ import annotations

import asyncio


async def with_pin(bank, client, pin="4821"):
    person = await bank.person()
    account = await bank.account(person, "JOD", deposit="100.000")
    response = await client.put("/users/pin", headers=person.auth,
                                json={"pin": pin, "current_password": person.password})
    assert response.status_code == 204, response.text
    return person, account


class TestPin:
    async def test_setting_needs_the_current_password(self, bank, client):
        person = await bank.person()
        response = await client.put("/users/pin", headers=person.auth,
                                    json={"pin": "1234", "current_password": "wrong-password"})
        assert response.status_code == 403
        assert response.json()["code"] == "WRONG_PASSWORD"

    async def test_pin_must_be_4_to_6_digits(self, bank, client):
        person = await bank.person()
        for pin in ("123", "1234567", "12a4"):
            response = await client.put("/users/pin", headers=person.auth,
                                        json={"pin": pin, "current_password": person.password})
            assert response.status_code == 422

    async def test_setting_the_pin_keeps_this_session_and_ends_the_others(self, bank, client):
        person = await bank.person()
        other = await bank.login(person.username)
        response = await client.put("/users/pin", headers=person.auth,
                                    json={"pin": "4821", "current_password": person.password})
        assert response.status_code == 204
        # The caller stays signed in; the other session (say, a stolen token) is over.
        assert (await client.get("/auth/me", headers=person.auth)).status_code == 200
        gone = await client.get("/auth/me",
                                headers={"Authorization": f"Bearer {other['access_token']}"})
        assert gone.status_code == 401
        assert (await client.post("/auth/refresh", json={
            "refresh_token": other["refresh_token"]})).status_code == 401
        # The caller's refresh gives tokens that demand the PIN.
        fresh = await client.post("/auth/refresh", json={"refresh_token": person.refresh_token})
        assert fresh.status_code == 200
        person.access_token = fresh.json()["access_token"]
        account = await bank.account(person, "JOD", deposit="5.000")
        missing = await client.post("/transactions/withdraw", headers=person.money_headers(),
                                    json={"account_id": account["id"], "amount": "1"})
        assert missing.status_code == 403
        assert missing.json()["code"] == "PIN_REQUIRED"
        row = bank.sql("SELECT pin_hash FROM users WHERE id = %s", person.id)[0]
        assert row["pin_hash"].startswith("$2")
        assert "4821" not in row["pin_hash"]
        me = await client.get("/auth/me", headers=person.auth)
        assert me.json()["pin_set"] is True

    async def test_wrong_current_passwords_lock_like_failed_logins(self, bank, client):
        person = await bank.person()
        codes = []
        for _ in range(6):
            r = await client.put("/users/pin", headers=person.auth,
                                 json={"pin": "1234", "current_password": "wrong-password"})
            codes.append((r.status_code, r.json()["code"]))
        assert codes[:4] == [(403, "WRONG_PASSWORD")] * 4
        assert codes[4:] == [(423, "LOGIN_LOCKED")] * 2
        locked = await client.put("/users/pin", headers=person.auth,
                                  json={"pin": "1234", "current_password": person.password})
        assert locked.status_code == 423
        assert int(locked.headers["Retry-After"]) > 800
        # They count as login failures: the same client cannot log in either.
        login = await client.post("/auth/login", json={"username": person.username,
                                                       "password": person.password})
        assert login.status_code == 423
        assert bank.sql("SELECT pin_hash FROM users WHERE id = %s", person.id)[0][
            "pin_hash"] is None

    async def test_required_for_withdrawals_and_transfers_once_set(self, bank, client):
        person, account = await with_pin(bank, client)
        await bank.relogin(person)
        body = {"account_id": account["id"], "amount": "1"}
        missing = await client.post("/transactions/withdraw", headers=person.money_headers(),
                                    json=body)
        assert missing.status_code == 403
        assert missing.json()["code"] == "PIN_REQUIRED"
        ok = await client.post("/transactions/withdraw", headers=person.money_headers(),
                               json={**body, "pin": "4821"})
        assert ok.status_code == 201
        other = await bank.account(await bank.person(), "JOD")
        transfer = {"from_account_id": account["id"], "amount": "1",
                    "to_account_number": other["account_number"]}
        no_pin = await client.post("/transactions/transfer", headers=person.money_headers(),
                                   json=transfer)
        assert no_pin.status_code == 403
        with_right_pin = await client.post("/transactions/transfer",
                                           headers=person.money_headers(),
                                           json={**transfer, "pin": "4821"})
        assert with_right_pin.status_code == 201
        assert await bank.balance(person, account["id"]) == "97.750"  # and the 0.250 fee

    async def test_three_wrong_pins_lock_money_movement(self, bank, client):
        person, account = await with_pin(bank, client)
        await bank.relogin(person)
        body = {"account_id": account["id"], "amount": "1", "pin": "0000"}
        codes = []
        for _ in range(3):
            r = await client.post("/transactions/withdraw", headers=person.money_headers(),
                                  json=body)
            codes.append((r.status_code, r.json()["code"]))
        assert codes == [(403, "PIN_INVALID"), (403, "PIN_INVALID"), (423, "PIN_LOCKED")]
        right = await client.post("/transactions/withdraw", headers=person.money_headers(),
                                  json={**body, "pin": "4821"})
        assert right.status_code == 423
        assert 800 < int(right.headers["Retry-After"]) <= 901
        assert await bank.balance(person, account["id"]) == "100.000"

    async def test_concurrent_wrong_pins_still_lock(self, bank, client):
        person, account = await with_pin(bank, client)
        await bank.relogin(person)
        body = {"account_id": account["id"], "amount": "1", "pin": "9999"}
        await asyncio.gather(*[client.post("/transactions/withdraw",
                                           headers=person.money_headers(), json=body)
                               for _ in range(6)])
        right = await client.post("/transactions/withdraw", headers=person.money_headers(),
                                  json={**body, "pin": "4821"})
        assert right.status_code == 423
