"""Registration, login, lockout, refresh rotation, logout, blocking and TOTP."""

from __future__ import annotations

import asyncio
import hashlib
import time
from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from tests.support.app import PASSWORD, client_for, unique
from tests.support.ledger import proc


def registration(**overrides):
    username = unique()
    body = {"username": username, "password": PASSWORD, "email": f"{username}@example.com",
            "full_name": "Rana Khoury", "date_of_birth": "1985-06-30", "phone": "+962791234567"}
    body.update(overrides)
    return body


class TestRegister:
    async def test_creates_a_customer_and_encrypts_personal_data(self, client, bank):
        body = registration()
        response = await client.post("/auth/register", json=body)
        assert response.status_code == 201
        user = response.json()
        assert user["role"] == "customer"
        assert user["email"] == body["email"]
        row = bank.sql("SELECT email_enc, full_name_enc, phone_enc, date_of_birth_enc, "
                       "email_hash FROM users WHERE id = %s", user["id"])[0]
        for column in ("email_enc", "full_name_enc", "phone_enc", "date_of_birth_enc"):
            assert row[column]
            for plain in (b"Rana", b"example.com", b"1985", b"791234567"):
                assert plain not in row[column]
        assert len(row["email_hash"]) == 32

    async def test_short_password_is_a_clear_422(self, client):
        response = await client.post("/auth/register", json=registration(password="Sh0rt!"))
        assert response.status_code == 422
        assert response.json()["code"] == "WEAK_PASSWORD"
        assert "at least 10" in response.json()["detail"]

    async def test_common_password_is_refused(self, client):
        response = await client.post("/auth/register", json=registration(password="password123"))
        assert response.status_code == 422
        assert "common" in response.json()["detail"]

    async def test_the_common_list_is_breach_sized(self, client):
        from api.security.passwords import common_passwords

        assert len(common_passwords()) >= 30_000
        # From zxcvbn's breach frequency list, not in the short local list.
        for password in ("enterprise", "Manchester", "4815162342"):
            response = await client.post("/auth/register",
                                         json=registration(password=password))
            assert response.status_code == 422
            assert "common" in response.json()["detail"]

    async def test_duplicate_username_is_409(self, client):
        body = registration()
        assert (await client.post("/auth/register", json=body)).status_code == 201
        again = await client.post("/auth/register", json={**body, "email": "x" + body["email"]})
        assert again.status_code == 409
        assert again.json()["code"] == "USERNAME_TAKEN"

    async def test_a_taken_email_gets_the_same_answer_as_a_fresh_one(self, client, bank):
        """No enumeration: the address is left unclaimed and its owner is told."""
        owner = registration()
        owner_id = (await client.post("/auth/register", json=owner)).json()["id"]
        fresh, taken = registration(), registration(email=owner["email"].upper())
        answers = [await client.post("/auth/register", json=body) for body in (fresh, taken)]
        assert [a.status_code for a in answers] == [201, 201]
        shapes = [{k: v for k, v in a.json().items() if k not in {"id", "username", "email",
                                                                 "created_at"}}
                  for a in answers]
        assert shapes[0] == shapes[1]
        assert set(answers[0].json()) == set(answers[1].json())
        assert answers[1].json()["email"] == owner["email"].upper().lower()
        newcomer = answers[1].json()["id"]
        rows = bank.sql("SELECT id, email_hash FROM users WHERE id IN (%s, %s) ORDER BY id",
                        owner_id, newcomer)
        assert rows[0]["email_hash"] is not None
        assert rows[1]["email_hash"] is None
        events = bank.sql("SELECT aggregate_id FROM outbox_events "
                          "WHERE event_type = 'user.email_conflict' AND aggregate_id = %s",
                          owner_id)
        assert len(events) == 1
        # The newcomer's profile reads back as it would have: nothing to tell it apart.
        tokens = await bank.login(taken["username"])
        profile = await client.get("/users/profile",
                                   headers={"Authorization": f"Bearer {tokens['access_token']}"})
        assert profile.json()["email"] == owner["email"].lower()

    async def test_development_mode_verifies_new_customers(self, client):
        response = await client.post("/auth/register", json=registration())
        assert response.json()["kyc_status"] == "verified"

    async def test_the_procedure_leaves_kyc_pending_unless_told(self, bank):
        name = unique()
        row = proc(bank.admin, "sp_register_user", username=name, password_hash="$2b$04$x",
                   email_hash=None, kyc_verified=False)[0]
        assert row["kyc_status"] == "pending"


class TestLogin:
    async def test_tokens_have_the_documented_shape(self, bank):
        person = await bank.person()
        tokens = await bank.login(person.username)
        assert tokens["token_type"] == "bearer"
        assert tokens["expires_in"] == 900
        assert tokens["access_token"]
        assert tokens["refresh_token"]

    async def test_wrong_password_and_unknown_user_look_the_same(self, client, bank):
        person = await bank.person()
        wrong = await client.post("/auth/login", json={"username": person.username,
                                                       "password": "not-the-password"})
        unknown = await client.post("/auth/login", json={"username": unique(),
                                                         "password": "not-the-password"})
        assert wrong.status_code == unknown.status_code == 401
        assert wrong.json()["code"] == unknown.json()["code"] == "INVALID_CREDENTIALS"

    async def test_five_failures_lock_that_client_for_15_minutes(self, app, bank):
        person = await bank.person()
        async with client_for(app, "172.16.5.5") as attacker:
            codes = []
            for _ in range(5):
                r = await attacker.post("/auth/login", json={"username": person.username,
                                                             "password": "wrong-password-1"})
                codes.append(r.status_code)
            assert codes[:4] == [401] * 4
            assert codes[4] == 423
            # Even the right password is refused from that client, with a clear message.
            locked = await attacker.post("/auth/login", json={"username": person.username,
                                                              "password": PASSWORD})
        assert locked.status_code == 423
        assert locked.json()["code"] == "LOGIN_LOCKED"
        assert "15 minute(s)" in locked.json()["detail"]
        assert 800 < int(locked.headers["Retry-After"]) <= 901
        events = bank.sql("SELECT outcome FROM login_events WHERE username = %s ORDER BY id",
                          person.username)
        assert [e["outcome"] for e in events] == ["success"] + ["failure"] * 5 + ["locked"]

    async def test_unknown_usernames_lock_too(self, client):
        name = unique()
        codes = [(await client.post("/auth/login", json={"username": name,
                                                         "password": "whatever-123"})).status_code
                 for _ in range(6)]
        assert codes[:4] == [401] * 4
        assert codes[4:] == [423, 423]


class TestRefresh:
    async def test_rotation_spends_the_old_token(self, client, bank):
        person = await bank.person()
        first = await client.post("/auth/refresh", json={"refresh_token": person.refresh_token})
        assert first.status_code == 200
        new = first.json()
        assert new["refresh_token"] != person.refresh_token
        me = await client.get("/auth/me",
                              headers={"Authorization": f"Bearer {new['access_token']}"})
        assert me.status_code == 200

    async def test_reusing_a_rotated_token_revokes_the_whole_family(self, client, bank):
        person = await bank.person()
        rotated = (await client.post("/auth/refresh",
                                     json={"refresh_token": person.refresh_token})).json()
        reuse = await client.post("/auth/refresh", json={"refresh_token": person.refresh_token})
        assert reuse.status_code == 401
        assert reuse.json()["code"] == "REFRESH_TOKEN_REUSED"
        # The thief's and the owner's newer tokens are dead too.
        later = await client.post("/auth/refresh", json={"refresh_token": rotated["refresh_token"]})
        assert later.status_code == 401
        me = await client.get("/auth/me",
                              headers={"Authorization": f"Bearer {rotated['access_token']}"})
        assert me.status_code == 401
        assert me.json()["code"] == "SESSION_REVOKED"

    async def test_unknown_refresh_token_is_401(self, client):
        response = await client.post("/auth/refresh", json={"refresh_token": "made-up"})
        assert response.status_code == 401


class TestLogoutAndBlocking:
    async def test_logout_ends_access_and_refresh_at_once(self, client, bank):
        person = await bank.person()
        out = await client.post("/auth/logout", headers=person.auth,
                                json={"refresh_token": person.refresh_token})
        assert out.status_code == 204
        assert (await client.get("/auth/me", headers=person.auth)).status_code == 401
        refresh = await client.post("/auth/refresh", json={"refresh_token": person.refresh_token})
        assert refresh.status_code == 401

    async def test_a_blocked_users_live_token_stops_working_immediately(self, client, bank):
        person = await bank.person()
        account = await bank.account(person, "JOD", deposit="50.000")
        assert (await client.get("/auth/me", headers=person.auth)).status_code == 200
        bank.sql("UPDATE users SET status = 'blocked' WHERE id = %s", person.id)
        read = await client.get(f"/accounts/{account['id']}", headers=person.auth)
        assert read.status_code == 401
        assert read.json()["code"] == "SESSION_REVOKED"
        move = await client.post("/transactions/withdraw", headers=person.money_headers(),
                                 json={"account_id": account["id"], "amount": "1"})
        assert move.status_code == 401
        relogin = await client.post("/auth/login", json={"username": person.username,
                                                         "password": PASSWORD})
        assert relogin.status_code == 403
        assert relogin.json()["code"] == "USER_BLOCKED"
        bank.sql("UPDATE users SET status = 'active' WHERE id = %s", person.id)
        assert await bank.balance(await bank.relogin(person), account["id"]) == "50.000"

    async def test_terminated_sessions_refuse_the_next_request(self, client, bank):
        person = await bank.person()
        bank.sql("UPDATE auth_sessions SET status = 'revoked' WHERE user_id = %s", person.id)
        response = await client.get("/accounts/", headers=person.auth)
        assert response.status_code == 401


def code_at(secret, steps_from_now=0):
    """The TOTP code of a step near now (the server accepts one step either side)."""
    return pyotp.TOTP(secret).at(time.time() + 30 * steps_from_now)


async def mfa_person(bank, client):
    """A user with MFA on; the enabling code is the previous step's, so `now` is unused."""
    person = await bank.person()
    secret = (await client.post("/users/mfa/setup", headers=person.auth)).json()["secret"]
    enable = await client.post("/users/mfa/enable", headers=person.auth,
                               json={"code": code_at(secret, -1)})
    assert enable.status_code == 200, enable.text
    return person, secret


async def challenge_for(client, person):
    step1 = await client.post("/auth/login", json={"username": person.username,
                                                   "password": PASSWORD})
    assert step1.status_code == 200
    assert step1.json()["mfa_required"] is True
    return step1.json()["challenge_id"]


class TestMfa:
    async def test_setup_enable_and_two_step_login(self, client, bank):
        person = await bank.person()
        setup = await client.post("/users/mfa/setup", headers=person.auth)
        assert setup.status_code == 200
        secret = setup.json()["secret"]
        assert setup.json()["otpauth_uri"].startswith("otpauth://totp/")
        bad = await client.post("/users/mfa/enable", headers=person.auth,
                                json={"code": "000000"})
        assert bad.status_code == 422
        assert bad.json()["code"] == "MFA_CODE_INVALID"
        enable = await client.post("/users/mfa/enable", headers=person.auth,
                                   json={"code": code_at(secret, -1)})
        assert enable.status_code == 200
        assert enable.json() == {"mfa_enabled": True}

        step1 = await client.post("/auth/login", json={"username": person.username,
                                                       "password": PASSWORD})
        assert step1.status_code == 200
        assert step1.json()["mfa_required"] is True
        assert "access_token" not in step1.json()
        challenge = step1.json()["challenge_id"]
        wrong = await client.post("/auth/login/verify",
                                  json={"challenge_id": challenge, "code": "000000"})
        assert wrong.status_code == 401
        ok = await client.post("/auth/login/verify",
                               json={"challenge_id": challenge, "code": code_at(secret)})
        assert ok.status_code == 200
        assert ok.json()["access_token"]
        me = await client.get("/auth/me",
                              headers={"Authorization": f"Bearer {ok.json()['access_token']}"})
        assert me.json()["mfa_enabled"] is True

    async def test_the_enabling_code_cannot_log_in(self, client, bank):
        person, secret = await mfa_person(bank, client)
        replay = await client.post("/auth/login/verify", json={
            "challenge_id": await challenge_for(client, person), "code": code_at(secret, -1)})
        assert replay.status_code == 401
        assert replay.json()["code"] == "MFA_CODE_REUSED"

    async def test_a_challenge_and_code_open_one_session_only(self, client, bank):
        person, secret = await mfa_person(bank, client)
        challenge = await challenge_for(client, person)
        body = {"challenge_id": challenge, "code": code_at(secret)}
        first = await client.post("/auth/login/verify", json=body)
        again = await client.post("/auth/login/verify", json=body)
        assert first.status_code == 200
        assert again.status_code == 401
        # The spent challenge with the next step's (valid, unused) code: still refused.
        later = await client.post("/auth/login/verify",
                                  json={"challenge_id": challenge, "code": code_at(secret, 1)})
        assert later.status_code == 401
        assert later.json()["code"] == "MFA_INVALID"
        sessions = bank.sql("SELECT COUNT(*) AS n FROM auth_sessions WHERE user_id = %s",
                            person.id)[0]["n"]
        assert sessions == 2  # registration's login and this one

    async def test_a_fresh_challenge_refuses_a_used_code(self, client, bank):
        person, secret = await mfa_person(bank, client)
        code = code_at(secret)
        first = await client.post("/auth/login/verify", json={
            "challenge_id": await challenge_for(client, person), "code": code})
        assert first.status_code == 200
        replay = await client.post("/auth/login/verify", json={
            "challenge_id": await challenge_for(client, person), "code": code})
        assert replay.status_code == 401
        assert replay.json()["code"] == "MFA_CODE_REUSED"
        nxt = await client.post("/auth/login/verify", json={
            "challenge_id": await challenge_for(client, person), "code": code_at(secret, 1)})
        assert nxt.status_code == 200

    async def test_concurrent_verifies_of_one_challenge_open_exactly_one_session(
            self, client, bank):
        person, secret = await mfa_person(bank, client)
        body = {"challenge_id": await challenge_for(client, person), "code": code_at(secret)}
        answers = await asyncio.gather(*[client.post("/auth/login/verify", json=body)
                                         for _ in range(8)])
        codes = sorted(a.status_code for a in answers)
        assert codes == [200] + [401] * 7, [a.text for a in answers]
        sessions = bank.sql("SELECT COUNT(*) AS n FROM auth_sessions WHERE user_id = %s",
                            person.id)[0]["n"]
        assert sessions == 2

    async def test_concurrent_challenges_with_one_code_open_exactly_one_session(
            self, client, bank):
        person, secret = await mfa_person(bank, client)
        code = code_at(secret)
        challenges = [await challenge_for(client, person) for _ in range(4)]
        answers = await asyncio.gather(*[
            client.post("/auth/login/verify", json={"challenge_id": c, "code": code})
            for c in challenges])
        assert sorted(a.status_code for a in answers) == [200, 401, 401, 401]

    async def test_the_database_refuses_a_session_without_the_second_factor(self, client, bank):
        person, _ = await mfa_person(bank, client)
        tomorrow = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=1)
        with pytest.raises(Exception, match="MFA_INVALID"):
            proc(bank.admin, "sp_auth_login_succeeded", user_id=person.id, session_id="a" * 32,
                 refresh_hash=hashlib.sha256(b"t").digest(), session_expires_at=tomorrow,
                 refresh_expires_at=tomorrow, ip_address="10.0.0.9", user_agent="t",
                 mfa_challenge_id=None, mfa_step=None, country=None)


class TestProfile:
    async def test_read_and_update_profile(self, client, bank):
        person = await bank.person()
        update = await client.put("/users/profile", headers=person.auth,
                                  json={"full_name": "New Name", "phone": "+962700000000"})
        assert update.status_code == 200
        assert update.json()["full_name"] == "New Name"
        profile = (await client.get("/users/profile", headers=person.auth)).json()
        assert profile["full_name"] == "New Name"
        assert profile["phone"] == "+962700000000"
        assert profile["email"] == f"{person.username}@example.com"

    async def test_email_taken_by_someone_else_is_409(self, client, bank):
        first, second = await asyncio.gather(bank.person(), bank.person())
        response = await client.put("/users/profile", headers=second.auth,
                                    json={"email": f"{first.username}@example.com"})
        assert response.status_code == 409
        assert response.json()["code"] == "EMAIL_TAKEN"


class TestRegistrationSecondStep:
    async def test_it_fills_empty_fields_only(self, app, client, bank):
        body = registration()
        user_id = (await client.post("/auth/register", json=body)).json()["id"]
        pii = app.state.pii
        proc(bank.admin, "sp_set_user_pii", user_id=user_id,
             email_enc=pii.encrypt("email", "thief@example.com", user_id=user_id),
             full_name_enc=pii.encrypt("full_name", "Someone Else", user_id=user_id),
             phone_enc=None, date_of_birth_enc=None)
        tokens = await bank.login(body["username"])
        profile = (await client.get("/users/profile", headers={
            "Authorization": f"Bearer {tokens['access_token']}"})).json()
        assert profile["email"] == body["email"]
        assert profile["full_name"] == body["full_name"]

    async def test_a_user_whose_second_step_failed_can_fill_in_the_profile(self, client, bank):
        body = registration()
        user_id = (await client.post("/auth/register", json=body)).json()["id"]
        bank.sql("UPDATE users SET email_enc = NULL, full_name_enc = NULL, phone_enc = NULL, "
                 "date_of_birth_enc = NULL WHERE id = %s", user_id)
        tokens = await bank.login(body["username"])
        auth = {"Authorization": f"Bearer {tokens['access_token']}"}
        fixed = await client.put("/users/profile", headers=auth, json={
            "email": body["email"], "full_name": body["full_name"],
            "date_of_birth": body["date_of_birth"]})
        assert fixed.status_code == 200, fixed.text
        assert fixed.json()["date_of_birth"] == body["date_of_birth"]
        assert fixed.json()["email"] == body["email"]
