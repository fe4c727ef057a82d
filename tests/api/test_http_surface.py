"""The HTTP surface: request ids on every error, security headers, body caps, /metrics
access, strict amounts, instants and text, account caps and pages, methods and paths."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import httpx
import pytest
import uvicorn

from api.main import create_app
from tests.support.app import client_for, make_settings, running

PROBLEM = "application/problem+json"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
async def live(admin_url: str, database: str) -> AsyncIterator[str]:
    """A real uvicorn on a TCP port, with one test-only route that fails unexpectedly."""
    app = create_app(make_settings(admin_url, database, max_body_bytes=4096,
                                   max_batch_body_bytes=8192))

    @app.get("/test-only/boom", include_in_schema=False)
    async def boom() -> None:
        raise RuntimeError("an unexpected bug")

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off",
                                           log_level="warning", access_log=False))
    async with running(app):
        task = asyncio.create_task(server.serve())
        while not server.started:
            await asyncio.sleep(0.01)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            await task


def raw_exchange(port: int, requests: list[bytes]) -> list[bytes]:
    """Send requests one after another on ONE connection; return each raw response head."""
    heads = []
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        reader = sock.makefile("rb")
        for request in requests:
            sock.sendall(request)
            head = b""
            while not head.endswith(b"\r\n\r\n"):
                line = reader.readline()
                if not line:
                    raise ConnectionError("the server closed the connection")
                head += line
            length = next(int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length:"))
            reader.read(length)
            heads.append(head)
    return heads


class TestRequestIdOnEveryError:
    async def test_unhandled_exception_is_problem_500_with_request_id(self, live):
        async with httpx.AsyncClient(base_url=live) as client:
            response = await client.get("/test-only/boom", headers={"X-Request-ID": "bug-1"})
        assert response.status_code == 500
        assert response.headers["content-type"] == PROBLEM
        assert response.headers["x-request-id"] == "bug-1"
        assert response.json()["request_id"] == "bug-1"
        assert "unexpected bug" not in response.text

    async def test_keep_alive_connection_survives_a_500(self, live):
        port = int(live.rsplit(":", 1)[1])
        request = b"GET /test-only/boom HTTP/1.1\r\nHost: x\r\n\r\n"
        health = b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
        first, second = await asyncio.to_thread(raw_exchange, port, [request, health])
        assert first.startswith(b"HTTP/1.1 500")
        assert b"x-request-id" in first.lower()
        assert second.startswith(b"HTTP/1.1 200")

    @pytest.mark.parametrize("at", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00",
                                    "0.5", "1700000000", "2026-01-01T00:00:00",
                                    "1969-12-31T23:59:59Z"])
    async def test_calendar_edges_and_unix_times_are_422(self, bank, client, at):
        person = await bank.person()
        account = await bank.account(person)
        urls = [(f"/accounts/{account['id']}/balance", {"at": at}),
                (f"/accounts/{account['id']}/statement", {"from": at}),
                (f"/accounts/{account['id']}/statement", {"to": at}),
                ("/transactions/history", {"from": at}), ("/transactions/history", {"to": at})]
        for url, params in urls:
            response = await client.get(url, headers={**person.auth, "X-Request-ID": "edge"},
                                        params=params)
            assert response.status_code == 422, (url, params, response.text)
            assert response.json()["request_id"] == "edge"
            assert response.headers["x-request-id"] == "edge"

    async def test_zoned_instants_still_work(self, bank, client):
        person = await bank.person()
        account = await bank.account(person, deposit="5.000")
        response = await client.get(f"/accounts/{account['id']}/balance", headers=person.auth,
                                    params={"at": "2000-01-01T03:00:00+03:00"})
        assert response.status_code == 200, response.text
        assert response.json()["balance"] == "0.000"


class TestSecurityHeaders:
    async def test_api_json_is_not_cached_sniffed_framed_or_referred(self, bank, client):
        person = await bank.person()
        for response in (await client.get("/auth/me", headers=person.auth),
                         await client.get("/accounts/", headers=person.auth),
                         await client.get("/no/such/thing")):
            headers = response.headers
            assert headers["cache-control"] == "no-store"
            assert headers["x-content-type-options"] == "nosniff"
            assert headers["referrer-policy"] == "no-referrer"
            assert "frame-ancestors 'none'" in headers["content-security-policy"]
            assert "strict-transport-security" not in headers

    async def test_spa_has_a_strict_policy_and_no_inline_code(self, client):
        response = await client.get("/")
        policy = response.headers["content-security-policy"]
        assert "default-src 'self'" in policy
        assert "frame-ancestors 'none'" in policy
        assert "unsafe-inline" not in policy
        assert "<style" not in response.text
        assert "<script>" not in response.text
        assert (await client.get("/style.css")).status_code == 200

    async def test_hsts_when_configured(self, admin_url, database):
        app = create_app(make_settings(admin_url, database, hsts_enabled=True))
        async with client_for(app) as client:
            response = await client.get("/health")
        assert response.headers["strict-transport-security"].startswith("max-age=31536000")


class TestDocsOffline:
    @pytest.mark.parametrize("page", ["/docs", "/redoc"])
    async def test_docs_reference_no_external_host(self, client, page):
        response = await client.get(page)
        assert response.status_code == 200
        assert "http://" not in response.text
        assert "https://" not in response.text
        assert "//" not in response.text.replace("<!--", "")  # no protocol-relative URL either
        policy = response.headers["content-security-policy"]
        assert "default-src 'self'" in policy
        assert "frame-ancestors 'none'" in policy
        assert "http" not in policy

    @pytest.mark.parametrize(("asset", "kind"), [
        ("swagger-ui-bundle.js", "javascript"), ("swagger-ui.css", "text/css"),
        ("redoc.standalone.js", "javascript")])
    async def test_assets_are_served_locally(self, client, asset, kind):
        response = await client.get(f"/docs/assets/{asset}")
        assert response.status_code == 200
        assert kind in response.headers["content-type"]
        assert len(response.content) > 100_000

    async def test_swagger_inline_script_is_allowed_by_its_hash(self, client):
        import base64
        import hashlib
        import re
        response = await client.get("/docs")
        script = re.search(r"<script>(.*?)</script>", response.text, re.DOTALL)
        assert script is not None
        digest = base64.b64encode(hashlib.sha256(script.group(1).encode()).digest()).decode()
        assert f"'sha256-{digest}'" in response.headers["content-security-policy"]


class TestMetricsAccess:
    async def test_outside_client_is_refused(self, client):
        response = await client.get("/metrics")
        assert response.status_code == 403
        assert "http_requests_total" not in response.text

    async def test_loopback_scraper_gets_metrics(self, app):
        async with client_for(app, ip="127.0.0.1") as scraper:
            response = await scraper.get("/metrics")
        assert response.status_code == 200
        assert "http_requests_total" in response.text

    async def test_with_a_token_only_the_token_scrapes(self, admin_url, database):
        app = create_app(make_settings(admin_url, database, metrics_token="s3cret-scrape"))
        async with running(app):
            async with client_for(app, ip="127.0.0.1") as local:
                assert (await local.get("/metrics")).status_code == 401
                wrong = await local.get("/metrics", headers={"Authorization": "Bearer nope"})
                assert wrong.status_code == 401
            async with client_for(app, ip="203.0.113.9") as remote:
                good = await remote.get("/metrics",
                                        headers={"Authorization": "Bearer s3cret-scrape"})
        assert good.status_code == 200
        assert "http_requests_total" in good.text


class TestBodyLimits:
    async def test_declared_oversized_body_is_413_before_parsing(self, live):
        body = b'{"username": "' + b"x" * 10_000 + b'", "password": "p"}'
        async with httpx.AsyncClient(base_url=live) as client:
            response = await client.post("/auth/login", content=body,
                                         headers={"Content-Type": "application/json"})
        assert response.status_code == 413
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["code"] == "PAYLOAD_TOO_LARGE"

    async def test_chunked_oversized_body_is_counted_and_cut(self, live):
        async def chunks() -> AsyncIterator[bytes]:
            yield b'{"username": "'
            for _ in range(20):
                yield b"y" * 1000
            yield b'", "password": "p"}'

        async with httpx.AsyncClient(base_url=live) as client:
            response = await client.post("/auth/login", content=chunks(),
                                         headers={"Content-Type": "application/json"})
        assert "content-length" not in response.request.headers
        assert response.status_code == 413
        assert response.json()["code"] == "PAYLOAD_TOO_LARGE"

    async def test_batch_route_may_carry_more(self, live):
        body = b'{"from_account_id": 1, "transfers": [], "pad": "' + b"z" * 6000 + b'"}'
        async with httpx.AsyncClient(base_url=live) as client:
            batch = await client.post("/transactions/batch", content=body,
                                      headers={"Content-Type": "application/json"})
            other = await client.post("/transactions/transfer", content=body,
                                      headers={"Content-Type": "application/json"})
        assert batch.status_code == 401  # under the batch cap: read, then refused for auth
        assert other.status_code == 413


@pytest.fixture
async def funded(bank):
    person = await bank.person()
    payer = await bank.account(person, "JOD", deposit="50.000")
    payee = await bank.account(person, "JOD")
    return person, payer, payee


class TestAmountGrammar:
    @pytest.mark.parametrize("amount", ["١٠٠", " 100 ", "1_000", "+5", "1e2", "0x10", "1.",
                                        ".5", "1,5", "١", "1.00001", "-1", True, 1e-5])
    async def test_transfer_refuses_loose_amounts(self, client, funded, amount):
        person, payer, payee = funded
        response = await client.post("/transactions/transfer", headers=person.money_headers(),
                                     json={"from_account_id": payer["id"],
                                           "to_account_number": payee["account_number"],
                                           "amount": amount})
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "VALIDATION_ERROR"

    @pytest.mark.parametrize("amount", ["١٠٠", " 100 ", "1_000", "+5", "1e2"])
    async def test_batch_and_deposit_refuse_them_alike(self, client, funded, amount):
        person, payer, payee = funded
        batch = await client.post("/transactions/batch", headers=person.money_headers(),
                                  json={"from_account_id": payer["id"], "transfers": [
                                      {"to_account_number": payee["account_number"],
                                       "amount": amount}]})
        deposit = await client.post("/transactions/deposit", headers=person.money_headers(),
                                    json={"account_id": payer["id"], "amount": amount})
        assert batch.status_code == deposit.status_code == 422
        assert batch.json()["code"] == deposit.json()["code"] == "VALIDATION_ERROR"

    @pytest.mark.parametrize("amount", ["1", "1.5", "0.125", 2, 1.25])
    async def test_plain_amounts_and_exact_json_numbers_pass(self, client, funded, amount):
        person, payer, payee = funded
        response = await client.post("/transactions/transfer", headers=person.money_headers(),
                                     json={"from_account_id": payer["id"],
                                           "to_account_number": payee["account_number"],
                                           "amount": amount})
        assert response.status_code == 201, response.text

    async def test_query_amounts_use_the_grammar(self, client, funded):
        person, _, _ = funded
        for bad in ("1e2", " 5", "+5", "١٠"):
            response = await client.get("/transactions/history", headers=person.auth,
                                        params={"min_amount": bad})
            assert response.status_code == 422, bad
        ok = await client.get("/transactions/history", headers=person.auth,
                              params={"min_amount": "10", "max_amount": "10.5"})
        assert ok.status_code == 200

    async def test_openapi_states_the_grammar(self, app):
        schema = app.openapi()
        amount = schema["components"]["schemas"]["TransferRequest"]["properties"]["amount"]
        string = next(s for s in amount["anyOf"] if s["type"] == "string")
        assert string["pattern"] == r"^[0-9]{1,13}(\.[0-9]{1,4})?$"
        history = schema["paths"]["/transactions/history"]["get"]["parameters"]
        min_amount = next(p for p in history if p["name"] == "min_amount")
        amount_schema = next(s for s in min_amount["schema"]["anyOf"] if "anyOf" in s)
        assert string in amount_schema["anyOf"]
        currency = schema["components"]["schemas"]["AccountCreateRequest"]["properties"]
        assert currency["currency"]["pattern"] == "^[A-Z]{3}$"
        password = schema["components"]["schemas"]["RegisterRequest"]["properties"]["password"]
        assert (password["minLength"], password["maxLength"]) == (10, 72)


class TestSafeText:
    @pytest.mark.parametrize("text", ["pay\u202eevil", "a\u2066b", "nul\x00", "bell\x07",
                                      "zero\u200bwidth", "bom\ufeff", "line\u2028break", "tab\t"])
    async def test_control_and_bidi_characters_are_refused(self, client, funded, text):
        person, payer, payee = funded
        response = await client.post("/transactions/transfer", headers=person.money_headers(),
                                     json={"from_account_id": payer["id"],
                                           "to_account_number": payee["account_number"],
                                           "amount": "1", "description": text})
        assert response.status_code == 422, response.text
        assert "U+" in response.json()["detail"]

    async def test_emoji_and_zwj_sequences_are_kept(self, client, funded):
        person, payer, payee = funded
        england = "\U0001f3f4\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f"
        text = f"rent 🏠 👨‍👩‍👧‍👦 🏳️‍🌈 {england} مرحبا"
        response = await client.post("/transactions/transfer", headers=person.money_headers(),
                                     json={"from_account_id": payer["id"],
                                           "to_account_number": payee["account_number"],
                                           "amount": "1", "description": text})
        assert response.status_code == 201, response.text
        assert response.json()["description"] == text

    async def test_batch_items_and_reversal_reasons_too(self, bank, client, funded):
        person, payer, payee = funded
        batch = await client.post("/transactions/batch", headers=person.money_headers(),
                                  json={"from_account_id": payer["id"], "transfers": [
                                      {"to_account_number": payee["account_number"],
                                       "amount": "1", "description": "x\u202e"}]})
        assert batch.status_code == 422
        manager = await bank.person("manager")
        reverse = await client.post("/transactions/1/reverse", headers=manager.money_headers(),
                                    json={"reason": "oops\x00"})
        assert reverse.status_code == 422


class TestAccounts:
    async def test_a_customer_may_hold_only_so_many_open_accounts(self, bank, client):
        person = await bank.person()
        cap = bank.sql("SELECT max_open_accounts AS n FROM account_policy WHERE id = 1")[0]["n"]
        for _ in range(cap):
            await bank.account(person)
        response = await client.post("/accounts/", headers=person.auth,
                                     json={"account_type": "savings", "currency": "JOD"})
        assert response.status_code == 422
        assert response.json()["code"] == "ACCOUNT_LIMIT_REACHED"

    async def test_concurrent_opens_do_not_pass_the_cap_together(self, bank, client):
        person = await bank.person()
        cap = bank.sql("SELECT max_open_accounts AS n FROM account_policy WHERE id = 1")[0]["n"]
        for _ in range(cap - 1):
            await bank.account(person)
        responses = await asyncio.gather(*[
            client.post("/accounts/", headers=person.auth,
                        json={"account_type": "wallet", "currency": "EUR"}) for _ in range(6)])
        assert sorted(r.status_code for r in responses) == [201] + [422] * 5
        rows = bank.sql("SELECT COUNT(*) AS n FROM accounts WHERE user_id = %s", person.id)
        assert rows[0]["n"] == cap

    async def test_list_is_paged_with_a_cursor_header(self, bank, client):
        person = await bank.person()
        opened = [(await bank.account(person))["id"] for _ in range(5)]
        everything = await client.get("/accounts/", headers=person.auth)
        assert [a["id"] for a in everything.json()] == opened
        assert "x-next-cursor" not in everything.headers
        seen: list[int] = []
        params: dict[str, str | int] = {"limit": 2}
        while True:
            page = await client.get("/accounts/", headers=person.auth, params=params)
            assert isinstance(page.json(), list)
            assert len(page.json()) <= 2
            seen += [a["id"] for a in page.json()]
            cursor = page.headers.get("x-next-cursor")
            if cursor is None:
                break
            assert f"cursor={cursor}" in page.headers["link"]
            params = {"limit": 2, "cursor": cursor}
        assert seen == opened

    async def test_without_the_trailing_slash(self, bank, client):
        person = await bank.person()
        created = await client.post("/accounts", headers=person.auth,
                                    json={"account_type": "savings", "currency": "JOD"})
        assert created.status_code == 201
        listed = await client.get("/accounts", headers=person.auth)
        assert listed.status_code == 200
        assert [a["id"] for a in listed.json()] == [
            created.json()["id"]]


class TestMethods:
    @pytest.mark.parametrize(("method", "path", "allow"), [
        ("DELETE", "/accounts/", {"GET", "POST"}),
        ("PUT", "/accounts/5", {"GET"}),
        ("OPTIONS", "/accounts/5/balance", {"GET"}),
        ("GET", "/transactions/deposit", {"POST"}),
        ("OPTIONS", "/transactions/transfer", {"POST"}),
        ("POST", "/health", {"GET"}),
    ])
    async def test_wrong_method_is_405_with_allow(self, client, method, path, allow):
        response = await client.request(method, path)
        assert response.status_code == 405, response.text
        assert response.headers["content-type"] == PROBLEM
        assert set(response.headers["allow"].split(", ")) == allow

    async def test_unknown_paths_stay_404(self, client):
        assert (await client.get("/no/such/page")).status_code == 404
        assert (await client.post("/no/such/page")).status_code == 404


class TestOpenApiProblems:
    def test_health_documents_only_success(self, app):
        responses = app.openapi()["paths"]["/health"]["get"]["responses"]
        assert set(responses) == {"200"}

    def test_each_operation_lists_what_it_can_return(self, app):
        paths = app.openapi()["paths"]
        balance = set(paths["/accounts/{account_id}/balance"]["get"]["responses"])
        assert {"401", "404", "422", "429", "503"} <= balance
        assert not {"400", "409", "413", "423"} & balance
        transfer = set(paths["/transactions/transfer"]["post"]["responses"])
        assert {"400", "401", "403", "404", "409", "413", "422", "423", "429", "503"} <= transfer
        metrics = set(paths["/metrics"]["get"]["responses"])
        assert metrics == {"200", "401", "403"}
        ready = set(paths["/ready"]["get"]["responses"])
        assert ready == {"200", "503"}
