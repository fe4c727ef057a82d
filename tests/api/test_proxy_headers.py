"""X-Forwarded-For is believed only from BANK_TRUSTED_PROXIES, so it cannot dodge per-IP limits."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import httpx
import pytest

from api.config import REPO_ROOT
from api.main import create_app
from tests.support.app import client_for, make_settings, running, unique


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fake_logins(client: httpx.Client | httpx.AsyncClient):
    return [{"headers": {"X-Forwarded-For": f"203.0.113.{i + 1}"},
             "json": {"username": unique(), "password": "x" * 12}} for i in range(7)]


@pytest.fixture(scope="module")
def live_api(admin_url, database):
    """The API under uvicorn as it must be served: --no-proxy-headers, no trusted proxies."""
    port = free_port()
    env = {**os.environ, "BANK_DATABASE_URL": admin_url, "BANK_DB_NAME": database,
           "BANK_RATE_LIMIT_LOGIN": "5/minute", "BANK_BCRYPT_ROUNDS": "4",
           "BANK_ACCESS_LOG": "false", "BANK_TRUSTED_PROXIES": ""}
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "api.main:app_factory",
         "--host", "127.0.0.1", "--port", str(port), "--no-proxy-headers"],
        cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"uvicorn exited: {process.communicate()[1].decode()[-2000:]}")
            try:
                if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not become ready in 60 s")
            time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        process.communicate(timeout=15)  # reaps it and closes the stderr pipe


class TestProxyHeaders:
    def test_fake_forwarded_addresses_from_the_local_host_share_one_limit(self, live_api):
        with httpx.Client(base_url=live_api, timeout=30) as client:
            codes = [client.post("/auth/login", **request).status_code
                     for request in fake_logins(client)]
        assert codes == [401] * 5 + [429] * 2

    async def test_a_trusted_proxy_is_believed_and_others_are_not(self, admin_url, database,
                                                                  bank):
        settings = make_settings(admin_url, database, rate_limit_login="5/minute",
                                 trusted_proxies="10.9.9.9, 10.8.0.0/16", db_pool_max=5)
        app = create_app(settings)
        async with running(app):
            async with client_for(app, "10.9.9.9") as proxied:
                requests = fake_logins(proxied)
                codes = [(await proxied.post("/auth/login", **r)).status_code for r in requests]
            assert codes == [401] * 7  # seven real clients behind the proxy
            recorded = bank.sql("SELECT ip_address FROM login_events WHERE username = %s",
                                requests[0]["json"]["username"])
            assert recorded == [{"ip_address": "203.0.113.1"}]
            async with client_for(app, "10.7.7.7") as direct:
                codes = [(await direct.post("/auth/login", **r)).status_code
                         for r in fake_logins(direct)]
            assert codes == [401] * 5 + [429] * 2

    def test_no_proxy_is_trusted_by_default(self, api_settings):
        assert api_settings.trusted_proxy_list == []
