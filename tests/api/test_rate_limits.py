"""Each configured rate limit trips with 429 and Retry-After (an app with the real limits)."""

from __future__ import annotations

import secrets

import pytest

from api.main import create_app
from tests.support.app import PASSWORD, client_for, make_settings, running, unique


@pytest.fixture(scope="module")
async def limited_app(admin_url, database):
    settings = make_settings(admin_url, database, rate_limit_login="5/minute",
                             rate_limit_register="3/minute", rate_limit_money="20/minute",
                             rate_limit_read="120/minute", db_pool_max=10)
    app = create_app(settings)
    async with running(app):
        yield app


def fresh_ip():
    return f"192.168.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"


def registration():
    name = unique()
    return {"username": name, "password": PASSWORD, "email": f"{name}@example.com",
            "full_name": "Limit Tester", "date_of_birth": "1991-02-03"}


async def tripped(responses):
    codes = [r.status_code for r in responses]
    limited = [r for r in responses if r.status_code == 429]
    assert limited, codes
    assert int(limited[0].headers["Retry-After"]) >= 1
    assert limited[0].json()["code"] == "RATE_LIMITED"
    return codes


class TestRateLimits:
    async def test_register_3_per_minute_per_ip(self, limited_app):
        async with client_for(limited_app, fresh_ip()) as client:
            responses = [await client.post("/auth/register", json=registration())
                         for _ in range(4)]
        codes = await tripped(responses)
        assert codes == [201, 201, 201, 429]
        async with client_for(limited_app, fresh_ip()) as other_ip:
            assert (await other_ip.post("/auth/register",
                                        json=registration())).status_code == 201

    async def test_login_5_per_minute_per_ip(self, limited_app):
        async with client_for(limited_app, fresh_ip()) as client:
            responses = [await client.post("/auth/login", json={"username": unique(),
                                                                "password": "x" * 12})
                         for _ in range(6)]
        assert await tripped(responses) == [401] * 5 + [429]

    async def _person(self, app):
        async with client_for(app, fresh_ip()) as client:
            body = registration()
            await client.post("/auth/register", json=body)
            tokens = (await client.post("/auth/login", json={
                "username": body["username"], "password": PASSWORD})).json()
            auth = {"Authorization": f"Bearer {tokens['access_token']}"}
            account = (await client.post("/accounts/", headers=auth, json={
                "account_type": "wallet", "currency": "USD"})).json()
        return auth, account

    async def test_money_20_per_minute_per_user(self, limited_app):
        auth, account = await self._person(limited_app)
        # Spread over several IPs: the limit is per user.
        responses = []
        for i in range(21):
            async with client_for(limited_app, fresh_ip()) as client:
                responses.append(await client.post(
                    "/transactions/deposit", headers={**auth, "Idempotency-Key": f"k{i}"},
                    json={"account_id": account["id"], "amount": "1.00"}))
        assert await tripped(responses) == [201] * 20 + [429]

    async def test_reads_120_per_minute_per_user(self, limited_app):
        auth, account = await self._person(limited_app)
        async with client_for(limited_app, fresh_ip()) as client:
            responses = [await client.get(f"/accounts/{account['id']}/balance", headers=auth)
                         for _ in range(121)]
        codes = await tripped(responses)
        assert codes.count(200) == 120
        assert codes[-1] == 429


def _redis_url() -> str | None:
    """The local Redis when one answers; the shared-limit test needs a real server."""
    import socket

    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return "redis://127.0.0.1:6379/15"
    except OSError:
        return None


@pytest.mark.skipif(_redis_url() is None, reason="no Redis server on 127.0.0.1:6379")
class TestSharedLimits:
    async def test_two_api_processes_share_one_redis_budget(self, admin_url, database):
        """Two apps (as two uvicorn workers would be) count against the same Redis keys."""
        settings = make_settings(admin_url, database, rate_limit_register="3/minute",
                                 redis_url=_redis_url())
        first, second = create_app(settings), create_app(settings)
        ip = fresh_ip()
        async with running(first), running(second), \
                client_for(first, ip) as a, client_for(second, ip) as b:
                codes = [(await a.post("/auth/register", json=registration())).status_code,
                         (await b.post("/auth/register", json=registration())).status_code,
                         (await a.post("/auth/register", json=registration())).status_code,
                         (await b.post("/auth/register", json=registration())).status_code]
        assert codes == [201, 201, 201, 429]


@pytest.fixture(scope="module")
async def secret_limited_app(admin_url, database):
    settings = make_settings(admin_url, database, rate_limit_secret="3/minute",
                             rate_limit_profile="3/minute", db_pool_max=5)
    app = create_app(settings)
    async with running(app):
        yield app


class TestSecretAndProfileLimits:
    async def _person(self, app, client):
        body = registration()
        await client.post("/auth/register", json=body)
        tokens = (await client.post("/auth/login", json={
            "username": body["username"], "password": PASSWORD})).json()
        return {"Authorization": f"Bearer {tokens['access_token']}"}

    async def test_pin_changes_are_limited_per_user(self, secret_limited_app):
        async with client_for(secret_limited_app, fresh_ip()) as client:
            auth = await self._person(secret_limited_app, client)
            responses = [await client.put("/users/pin", headers=auth, json={
                "pin": "1234", "current_password": PASSWORD}) for _ in range(4)]
        assert await tripped(responses) == [204, 204, 204, 429]

    async def test_mfa_setup_and_enable_are_limited_per_user(self, secret_limited_app):
        async with client_for(secret_limited_app, fresh_ip()) as client:
            auth = await self._person(secret_limited_app, client)
            responses = [await client.post("/users/mfa/setup", headers=auth) for _ in range(3)]
            responses.append(await client.post("/users/mfa/enable", headers=auth,
                                               json={"code": "000000"}))
        assert await tripped(responses) == [200, 200, 200, 429]

    async def test_profile_changes_are_limited_per_user(self, secret_limited_app):
        async with client_for(secret_limited_app, fresh_ip()) as client:
            auth = await self._person(secret_limited_app, client)
            responses = [await client.put("/users/profile", headers=auth, json={
                "email": f"{unique()}@example.com"}) for _ in range(4)]
        assert await tripped(responses) == [200, 200, 200, 429]
