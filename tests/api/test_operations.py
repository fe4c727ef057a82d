"""/health, /ready, /metrics, request ids, CORS, the SPA mount and the OpenAPI document."""

from __future__ import annotations

from api.errors import known_codes
from api.security.permissions import Permission, Role, role_can
from tests.support.app import client_for


class TestOperations:
    async def test_health_needs_no_database(self, client):
        response = await client.get("/health")
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}

    async def test_ready_reports_migrations_current(self, client):
        response = await client.get("/ready")
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["status"] == "ready"
        assert body["migrations"]["pending"] == []
        assert body["migrations"]["applied"] == body["migrations"]["expected"] >= 5

    async def test_metrics_expose_routes_transactions_and_pool(self, app, bank):
        person = await bank.person()
        account = await bank.account(person, "JOD", deposit="1.000")
        refused = await bank.client.post("/transactions/withdraw", headers=person.money_headers(),
                                         json={"account_id": account["id"], "amount": "2.000"})
        assert refused.status_code == 422, refused.text
        async with client_for(app, ip="127.0.0.1") as scraper:  # the default allow-list
            text = (await scraper.get("/metrics")).text
        # A refusal is counted under the code that refused it.
        code = refused.json()["code"]
        assert f'bank_transactions_total{{status="{code}",type="withdrawal"}}' in text
        route = 'method="POST",route="/transactions/deposit",status="201"'
        assert f"http_requests_total{{{route}}}" in text
        assert "http_request_duration_seconds_bucket" in text
        assert 'bank_transactions_total{status="completed",type="deposit"}' in text
        assert "bank_db_pool_connections" in text
        assert "bank_db_pool_max_connections 50.0" in text

    async def test_request_id_is_generated_or_echoed(self, client):
        generated = await client.get("/health")
        assert len(generated.headers["x-request-id"]) == 32
        echoed = await client.get("/health", headers={"X-Request-ID": "abc-123"})
        assert echoed.headers["x-request-id"] == "abc-123"
        unsafe = await client.get("/health", headers={"X-Request-ID": "bad id\twith spaces"})
        assert unsafe.headers["x-request-id"] != "bad id\twith spaces"
        problem = await client.get("/nope", headers={"X-Request-ID": "trace-me"})
        assert problem.json()["request_id"] == "trace-me"

    async def test_cors_allows_only_configured_origins(self, client):
        allowed = await client.options("/auth/login", headers={
            "Origin": "http://localhost:8000", "Access-Control-Request-Method": "POST"})
        assert allowed.headers.get("access-control-allow-origin") == "http://localhost:8000"
        denied = await client.options("/auth/login", headers={
            "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"})
        assert "access-control-allow-origin" not in denied.headers

    async def test_spa_is_served_at_root(self, client):
        response = await client.get("/")
        assert response.status_code == 200
        assert "<html" in response.text

    async def test_openapi_has_an_example_for_every_request_body(self, app):
        schema = app.openapi()
        components = schema["components"]["schemas"]
        for path, item in schema["paths"].items():
            for method, operation in item.items():
                body = operation.get("requestBody")
                if not body:
                    continue
                ref = body["content"]["application/json"]["schema"]
                ref = ref.get("$ref") or next(
                    s["$ref"] for s in ref.get("anyOf", []) if "$ref" in s)
                component = components[ref.rsplit("/", 1)[-1]]
                assert component.get("examples"), (method, path)
        docs = schema["paths"]["/transactions/transfer"]["post"]["responses"]
        assert "application/problem+json" in docs["422"]["content"]


class TestTables:
    def test_every_procedure_error_code_has_one_status(self):
        codes = known_codes()
        contract = {
            "ACCOUNT_NOT_FOUND": 404, "TRANSACTION_NOT_FOUND": 404, "USER_NOT_FOUND": 404,
            "IDEMPOTENCY_CONFLICT": 409, "ALREADY_REVERSED": 409, "NOT_REVERSIBLE": 409,
            "SESSION_REVOKED": 401, "ACCOUNT_FROZEN": 422, "ACCOUNT_CLOSED": 422,
            "INSUFFICIENT_FUNDS": 422, "LIMIT_EXCEEDED": 422, "DAILY_LIMIT_EXCEEDED": 422,
            "INVALID_AMOUNT": 422, "UNKNOWN_CURRENCY": 422, "CURRENCY_MISMATCH": 422,
            "SAME_ACCOUNT": 422, "FX_RATE_UNAVAILABLE": 422, "USER_INACTIVE": 422,
            "INVALID_ACCOUNT_TYPE": 422, "BATCH_EMPTY": 422, "BATCH_TOO_LARGE": 422,
            "INVALID_ARGUMENT": 422,
        }
        for code, status in contract.items():
            assert codes[code] == status, code

    def test_roles(self):
        assert role_can(Role.TELLER, Permission.MONEY_CASH_ANY)
        assert not role_can(Role.AUDITOR, Permission.MONEY_MOVE_OWN)
        assert not role_can("system", Permission.ACCOUNTS_OWN)
        assert role_can(Role.MANAGER, Permission.TRANSACTIONS_REVERSE)


class TestDocs:
    def test_readme_permission_table_matches_the_code(self):
        from api.config import REPO_ROOT
        from api.security.permissions import permission_table_markdown

        readme = REPO_ROOT / "README.md"
        assert permission_table_markdown() in readme.read_text()

    def test_readme_error_table_matches_the_code(self):
        from api.config import REPO_ROOT
        from api.errors import error_table_markdown

        readme = REPO_ROOT / "README.md"
        assert error_table_markdown() in readme.read_text()


class TestErrorTable:
    def test_every_code_a_procedure_or_trigger_raises_has_one_status(self):
        import re

        from api.config import REPO_ROOT
        from api.errors import known_codes

        raised: set[str] = set()
        for folder in ("procedures", "triggers"):
            for path in (REPO_ROOT / folder).glob("*.sql"):
                raised |= set(re.findall(r"'([A-Z][A-Z_]{3,}): ", path.read_text()))
                raised |= set(re.findall(r"WHEN '([A-Z][A-Z_]{3,})' THEN", path.read_text()))
        # INTERNAL marks a bug (a 500 by design); CODE is the header comments' placeholder.
        unmapped = raised - set(known_codes()) - {"INTERNAL", "CODE"}
        assert unmapped == set()
        assert len(raised) > 25
