"""Brute force stays expensive without letting anyone lock a user out of their own client."""

from __future__ import annotations

import secrets

from tests.support.app import PASSWORD, client_for


def some_ip():
    return f"198.18.{secrets.randbelow(250)}.{secrets.randbelow(250) + 1}"


async def fail_from(app, ip, username, times=1):
    async with client_for(app, ip) as attacker:
        return [(await attacker.post("/auth/login", json={
            "username": username, "password": "not-the-password"})).status_code
            for _ in range(times)]


class TestPerClientLock:
    async def test_an_attacker_locks_only_their_own_address(self, app, bank, client):
        victim = await bank.person()  # logged in from `client`'s address
        assert await fail_from(app, some_ip(), victim.username, 6) == [401] * 4 + [423] * 2
        mine = await client.post("/auth/login", json={"username": victim.username,
                                                      "password": PASSWORD})
        assert mine.status_code == 200
        # A brand-new client is not locked either (the username is not under a ceiling).
        async with client_for(app, some_ip()) as laptop:
            other = await laptop.post("/auth/login", json={"username": victim.username,
                                                           "password": PASSWORD})
        assert other.status_code == 200

    async def test_each_further_lock_within_a_day_lasts_twice_as_long(self, app, bank):
        victim = await bank.person()
        ip = some_ip()
        assert (await fail_from(app, ip, victim.username, 5))[-1] == 423
        # The first lock has run out (moved into the past), then five more failures.
        bank.sql("UPDATE login_client_throttles SET locked_until = NOW(6) - INTERVAL 1 SECOND, "
                 "locked_at = NOW(6) - INTERVAL 16 MINUTE WHERE username = %s", victim.username)
        assert await fail_from(app, ip, victim.username, 5) == [401] * 4 + [423]
        async with client_for(app, ip) as attacker:
            again = await attacker.post("/auth/login", json={"username": victim.username,
                                                             "password": PASSWORD})
        assert again.status_code == 423
        assert 1700 < int(again.headers["Retry-After"]) <= 1801


class TestPerUsernameCeiling:
    async def test_many_addresses_slow_new_clients_but_never_the_users_own(
            self, app, bank, client):
        victim = await bank.person()
        for _ in range(10):  # a distributed guesser: one try from each of ten addresses
            assert await fail_from(app, some_ip(), victim.username) == [401]
        async with client_for(app, some_ip()) as new_phone:
            slowed = await new_phone.post("/auth/login", json={"username": victim.username,
                                                               "password": PASSWORD})
        assert slowed.status_code == 429
        assert slowed.json()["code"] == "LOGIN_THROTTLED"
        assert 1 <= int(slowed.headers["Retry-After"]) <= 16
        # The client the user logged in from before is not slowed at all.
        own = await client.post("/auth/login", json={"username": victim.username,
                                                     "password": PASSWORD})
        assert own.status_code == 200
        # Slowed, not locked: once the delay has passed, the new client gets in.
        bank.sql("UPDATE login_username_throttles SET slow_until = NOW(6) - INTERVAL 1 SECOND "
                 "WHERE username = %s", victim.username)
        async with client_for(app, some_ip()) as new_phone:
            later = await new_phone.post("/auth/login", json={"username": victim.username,
                                                              "password": PASSWORD})
        assert later.status_code == 200

    async def test_the_delay_grows_with_each_further_failure(self, app, bank):
        victim = await bank.person()
        for _ in range(10):
            await fail_from(app, some_ip(), victim.username)
        bank.sql("UPDATE login_username_throttles SET slow_until = NULL WHERE username = %s",
                 victim.username)
        assert await fail_from(app, some_ip(), victim.username) == [401]
        row = bank.sql("SELECT TIMESTAMPDIFF(SECOND, NOW(6), slow_until) AS s "
                       "FROM login_username_throttles WHERE username = %s", victim.username)[0]
        assert 20 <= row["s"] <= 30
