"""Bad input of every kind is a 4xx problem+json, never a 500, never a stack trace."""

from __future__ import annotations

import pytest

PROBLEM = "application/problem+json"


def assert_problem(response, status):
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert {"type", "title", "status", "detail", "code"} <= set(body)
    assert body["status"] == status
    text = response.text
    for leak in ("Traceback", "pymysql", "CALL ", "SQLSTATE", "File \""):
        assert leak not in text


@pytest.fixture
async def funded(bank):
    person = await bank.person()
    account = await bank.account(person, "JOD", deposit="10.000")
    return person, account


class TestMalformedRequests:
    async def test_malformed_json(self, client, funded):
        person, _ = funded
        response = await client.post("/transactions/deposit",
                                     headers={**person.money_headers(),
                                              "Content-Type": "application/json"},
                                     content=b'{"account_id": 1, "amount": ')
        assert_problem(response, 400)
        assert response.json()["code"] == "MALFORMED_JSON"

    @pytest.mark.parametrize("amount", [
        "abc", True, None, [], {}, "NaN", "Infinity", "-1", "0", "1e400",
        "99999999999999999999999999999", 1e300, "1" * 40,
    ])
    async def test_bad_amounts(self, client, funded, amount):
        person, account = funded
        response = await client.post("/transactions/deposit", headers=person.money_headers(),
                                     json={"account_id": account["id"], "amount": amount})
        assert_problem(response, 422)

    async def test_more_decimals_than_the_currency_is_refused_by_the_ledger(self, client, funded):
        person, account = funded
        response = await client.post("/transactions/deposit", headers=person.money_headers(),
                                     json={"account_id": account["id"], "amount": "1.0001"})
        assert_problem(response, 422)
        assert response.json()["code"] == "INVALID_AMOUNT"

    async def test_more_decimals_than_the_ledger_keeps_is_refused_at_the_edge(self, client, funded):
        person, account = funded
        response = await client.post("/transactions/deposit", headers=person.money_headers(),
                                     json={"account_id": account["id"], "amount": "1.00001"})
        assert_problem(response, 422)
        assert response.json()["code"] == "VALIDATION_ERROR"

    async def test_usd_with_three_decimals_is_refused(self, bank, client):
        person = await bank.person()
        usd = await bank.account(person, "USD")
        response = await client.post("/transactions/deposit", headers=person.money_headers(),
                                     json={"account_id": usd["id"], "amount": 1.005})
        assert_problem(response, 422)

    @pytest.mark.parametrize("account_id", ["x", -1, 0, 2**64, 1.5, None])
    async def test_wrong_types_for_ids(self, client, funded, account_id):
        person, _ = funded
        response = await client.post("/transactions/deposit", headers=person.money_headers(),
                                     json={"account_id": account_id, "amount": "1"})
        assert_problem(response, 422)

    async def test_unknown_fields_are_refused(self, client, funded):
        person, account = funded
        response = await client.post("/transactions/deposit", headers=person.money_headers(),
                                     json={"account_id": account["id"], "amount": "1",
                                           "fee": "-5"})
        assert_problem(response, 422)
        assert response.json()["details"][0]["type"] == "extra_forbidden"

    @pytest.mark.parametrize("value", [0, 86400, "0", "19900101", "1990-01-01T00:00:00Z"])
    async def test_dates_of_birth_are_calendar_dates_only(self, client, funded, value):
        person, _ = funded
        profile = await client.put("/users/profile", headers=person.auth,
                                   json={"date_of_birth": value})
        assert_problem(profile, 422)
        register = await client.post("/auth/register", json={
            "username": "dob_probe", "password": "Tr1cky-Harbour-Lantern",
            "email": "dob@example.com", "full_name": "D O B", "date_of_birth": value})
        assert_problem(register, 422)

    async def test_validation_errors_never_echo_secrets(self, client):
        response = await client.post("/auth/register", json={
            "username": "ok_name", "password": "Sup3r-Secret-Value", "email": "bad",
            "full_name": "X", "date_of_birth": "1990-01-01"})
        assert_problem(response, 422)
        assert "Sup3r-Secret-Value" not in response.text

    async def test_huge_batch_item_amounts_and_long_descriptions(self, client, funded):
        person, account = funded
        response = await client.post("/transactions/batch", headers=person.money_headers(),
                                     json={"from_account_id": account["id"], "transfers": [
                                         {"to_account_number": "1", "amount": "1e30"}]})
        assert_problem(response, 422)
        long = await client.post("/transactions/deposit", headers=person.money_headers(),
                                 json={"account_id": account["id"], "amount": "1",
                                       "description": "x" * 300})
        assert_problem(long, 422)

    async def test_unknown_currency_and_account_type(self, client, funded):
        person, _ = funded
        response = await client.post("/accounts/", headers=person.auth,
                                     json={"account_type": "savings", "currency": "XXX"})
        assert_problem(response, 422)
        response = await client.post("/accounts/", headers=person.auth,
                                     json={"account_type": "crypto", "currency": "JOD"})
        assert_problem(response, 422)

    async def test_bad_query_parameters(self, client, funded):
        person, account = funded
        for params in ({"limit": 0}, {"limit": 10_000}, {"cursor": "abc"},
                       {"from": "yesterday"}, {"type": "gift"}, {"min_amount": "-3"},
                       {"cursor": "9" * 20}):
            response = await client.get("/transactions/history", headers=person.auth,
                                        params=params)
            assert response.status_code == 422, (params, response.text)
        reversed_range = await client.get(
            f"/accounts/{account['id']}/statement", headers=person.auth,
            params={"from": "2030-01-01T00:00:00Z", "to": "2020-01-01T00:00:00Z"})
        assert_problem(reversed_range, 422)


class TestRoutingErrors:
    async def test_unknown_path_is_problem_404(self, client):
        assert_problem(await client.get("/no/such/thing"), 404)

    async def test_wrong_method_is_problem_405(self, client):
        response = await client.delete("/auth/login")
        assert_problem(response, 405)

    async def test_non_numeric_path_id(self, client, funded):
        person, _ = funded
        assert_problem(await client.get("/accounts/abc", headers=person.auth), 422)
        assert_problem(await client.get(f"/accounts/{2**70}", headers=person.auth), 422)
