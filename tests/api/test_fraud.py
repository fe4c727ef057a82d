"""Fraud alerts, their resolution, the statistics, risk scores and the transactions' risk field.

The risk worker writes scores and alerts; here the test set-up writes those rows as the
database admin, and every read and act goes through the real API and procedures.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from tests.support.app import Bank, Person
from tests.support.ledger import open_account

NOTE = {"note": "customer confirmed the card was stolen"}


async def paying_customer(bank: Bank, *, amount: str = "25", payee: Person | None = None
                          ) -> tuple[Person, dict[str, Any], dict[str, Any]]:
    """A customer with an account, and one transfer of theirs to someone else's account."""
    payer, payee = await bank.person(), payee or await bank.person()
    account = await bank.account(payer, deposit="500")
    target = await bank.account(payee)
    response = await bank.client.post("/transactions/transfer", headers=payer.money_headers(),
                                      json={"from_account_id": account["id"], "amount": amount,
                                            "to_account_number": target["account_number"]})
    assert response.status_code == 201, response.text
    return payer, account, response.json()


def score(bank: Bank, transaction_id: int, *, value: str = "0.9100", verdict: str = "CRITICAL",
          rule_score: str | None = "0.4000") -> None:
    bank.sql("INSERT INTO transaction_risk_scores (transaction_id, score, verdict, rule_score,"
             " model_score, model_version, reasons) VALUES (%s, %s, %s, %s, %s, 'iforest-test',"
             " %s)", transaction_id, value, verdict, rule_score, value,
             json.dumps(["amount 5x the sender's 30-day average", "new beneficiary",
                         "unusual hour"]))


def alert(bank: Bank, transaction_id: int, account_id: int, *, verdict: str = "CRITICAL",
          action: str | None = "freeze") -> int:
    with bank.admin.cursor() as cur:
        cur.execute("INSERT INTO fraud_alerts (transaction_id, account_id, score, verdict,"
                    " action_taken) VALUES (%s, %s, 0.91, %s, %s)",
                    (transaction_id, account_id, verdict, action))
        return int(cur.lastrowid)


async def alerted(bank: Bank, *, frozen: bool = False) -> tuple[Person, dict[str, Any], int, int]:
    """A customer's scored transfer with an open alert; its account frozen if `frozen`."""
    payer, account, txn = await paying_customer(bank)
    score(bank, txn["id"])
    alert_id = alert(bank, txn["id"], account["id"], action="freeze" if frozen else "alert")
    if frozen:
        bank.sql("UPDATE accounts SET status = 'frozen' WHERE id = %s", account["id"])
    return payer, account, txn["id"], alert_id


class TestWhoSeesAlerts:
    @pytest.mark.parametrize("role", ["analyst", "auditor", "manager", "admin"])
    async def test_risk_staff_read_alerts_and_stats(self, bank, client, role) -> None:
        staff = await bank.person(role)
        _, account, txn_id, alert_id = await alerted(bank)
        listed = await client.get("/fraud/alerts", headers=staff.auth,
                                  params={"account_id": account["id"]})
        assert listed.status_code == 200, listed.text
        [item] = listed.json()["items"]
        assert (item["id"], item["transaction_id"], item["status"]) == (alert_id, txn_id, "open")
        assert item["reasons"][1] == "new beneficiary"
        assert item["amount"] == "25.000"
        assert (await client.get("/fraud/stats", headers=staff.auth)).status_code == 200

    @pytest.mark.parametrize("role", ["customer", "teller"])
    async def test_others_are_refused_the_staff_side(self, bank, client, role) -> None:
        payer, _, _, alert_id = await alerted(bank)
        person = payer if role == "customer" else await bank.person(role)
        for response in (
            await client.get("/fraud/stats", headers=person.auth),
            await client.post(f"/fraud/alerts/{alert_id}/resolve", headers=person.auth,
                              json={"resolution": "false_positive", **NOTE}),
        ):
            assert response.status_code == 403, response.text
            assert response.json()["code"] == "FORBIDDEN"
        assert bank.sql("SELECT status FROM fraud_alerts WHERE id = %s",
                        alert_id)[0]["status"] == "open"

    async def test_a_customer_sees_the_alerts_on_their_own_payments_only(self, bank,
                                                                         client) -> None:
        payer, account, txn_id, alert_id = await alerted(bank)
        analyst = await bank.person("analyst")
        resolved = await client.post(f"/fraud/alerts/{alert_id}/resolve", headers=analyst.auth,
                                     json={"resolution": "false_positive", **NOTE})
        assert resolved.status_code == 200, resolved.text
        mine = await client.get("/fraud/alerts", headers=payer.auth)
        assert mine.status_code == 200, mine.text
        [item] = mine.json()["items"]
        assert (item["id"], item["transaction_id"], item["resolution"]) == (
            alert_id, txn_id, "false_positive")
        # The staff's side stays with the staff.
        assert item["resolution_note"] is None
        assert item["resolved_by_username"] is None
        by_account = await client.get("/fraud/alerts", headers=payer.auth,
                                      params={"account_id": account["id"]})
        assert [a["id"] for a in by_account.json()["items"]] == [alert_id]
        stranger = await bank.person()
        assert (await client.get("/fraud/alerts", headers=stranger.auth)).json()["items"] == []
        theirs = await client.get("/fraud/alerts", headers=stranger.auth,
                                  params={"account_id": account["id"]})
        assert theirs.status_code == 404
        assert theirs.json()["code"] == "ACCOUNT_NOT_FOUND"

    async def test_an_admin_appoints_an_analyst(self, bank, client) -> None:
        admin, person = await bank.person("admin"), await bank.person()
        response = await client.post(f"/admin/users/{person.id}/role", headers=admin.auth,
                                     json={"role": "analyst", "reason": "joins the fraud desk"})
        assert response.status_code == 200, response.text
        assert response.json()["role"] == "analyst"
        analyst = await bank.relogin(person)
        assert (await client.get("/fraud/alerts", headers=analyst.auth)).status_code == 200
        users = await client.get("/admin/users", headers=analyst.auth,
                                 params={"username_prefix": person.username})
        assert users.status_code == 200, users.text

    async def test_a_demoted_analysts_token_stops_working(self, bank, client) -> None:
        """A role change ends the user's sessions (the SQL re-check is in tests/ledger)."""
        analyst = await bank.person("analyst")
        bank.sql("UPDATE users SET role = 'customer' WHERE id = %s", analyst.id)
        response = await client.get("/fraud/alerts", headers=analyst.auth)
        assert response.status_code == 401, response.text

    async def test_alerts_filter_and_page_newest_first(self, bank, client) -> None:
        analyst = await bank.person("analyst")
        _, account, first_txn = await paying_customer(bank)
        ids = [alert(bank, first_txn["id"], account["id"], verdict="SUSPICIOUS", action=None)]
        _, account2, txn2 = await paying_customer(bank)
        ids.append(alert(bank, txn2["id"], account2["id"]))
        seen: list[int] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": 1}
            if cursor:
                params["cursor"] = cursor
            page = (await client.get("/fraud/alerts", headers=analyst.auth, params=params)).json()
            seen += [item["id"] for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None or len(seen) >= 2:
                break
        assert seen == [ids[1], ids[0]]
        critical = (await client.get("/fraud/alerts", headers=analyst.auth,
                                     params={"verdict": "SUSPICIOUS", "status": "open",
                                             "account_id": account["id"]})).json()["items"]
        assert [a["id"] for a in critical] == [ids[0]]
        later = (await client.get("/fraud/alerts", headers=analyst.auth,
                                  params={"since": "2100-01-01T00:00:00Z"})).json()["items"]
        assert later == []

    @pytest.mark.parametrize("params", [
        {"status": "closed"}, {"verdict": "SAFE"}, {"limit": 0}, {"limit": 201},
        {"cursor": "abc"}, {"since": "2026-01-01T00:00:00"}, {"account_id": 0},
    ])
    async def test_bad_filters_are_422(self, bank, client, params) -> None:
        analyst = await bank.person("analyst")
        response = await client.get("/fraud/alerts", headers=analyst.auth, params=params)
        assert response.status_code == 422, response.text


class TestResolve:
    async def test_confirmed_fraud_once_labelled_and_audited(self, bank, client) -> None:
        analyst = await bank.person("analyst")
        _, account, txn_id, alert_id = await alerted(bank, frozen=True)
        response = await client.post(f"/fraud/alerts/{alert_id}/resolve", headers=analyst.auth,
                                     json={"resolution": "confirmed_fraud", **NOTE})
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["status"], body["resolution"], body["resolved_by"]) == (
            "resolved", "confirmed_fraud", analyst.id)
        assert body["resolved_by_username"] == analyst.username
        assert body["label"]["is_fraud"] is True
        assert body["label"]["source"] == "analyst"
        assert body["account_frozen"] is True  # nothing unfreezes or refunds by itself
        [label] = bank.sql("SELECT * FROM transaction_labels WHERE transaction_id = %s", txn_id)
        assert (label["is_fraud"], label["source"], label["labelled_by"]) == (1, "analyst",
                                                                              analyst.id)
        assert label["note"] == NOTE["note"]
        [audit] = bank.sql("SELECT * FROM audit_log WHERE table_name = 'fraud_alerts'"
                           " AND row_id = %s", alert_id)
        assert (audit["event"], audit["actor_user_id"], audit["reason"]) == (
            "fraud_alert.resolve", analyst.id, NOTE["note"])
        assert json.loads(audit["before_data"])["status"] == "open"
        assert json.loads(audit["after_data"])["resolution"] == "confirmed_fraud"
        again = await client.post(f"/fraud/alerts/{alert_id}/resolve", headers=analyst.auth,
                                  json={"resolution": "false_positive", **NOTE})
        assert again.status_code == 409, again.text
        assert again.json()["code"] == "ALERT_ALREADY_RESOLVED"
        assert bank.sql("SELECT is_fraud FROM transaction_labels WHERE transaction_id = %s",
                        txn_id)[0]["is_fraud"] == 1
        assert len(bank.sql("SELECT id FROM audit_log WHERE table_name = 'fraud_alerts'"
                            " AND row_id = %s", alert_id)) == 1
        assert bank.sql("SELECT status FROM accounts WHERE id = %s",
                        account["id"])[0]["status"] == "frozen"

    async def test_a_false_positive_says_the_account_is_still_frozen(self, bank, client) -> None:
        admin = await bank.person("admin")
        _, account, txn_id, alert_id = await alerted(bank, frozen=True)
        response = await client.post(f"/fraud/alerts/{alert_id}/resolve", headers=admin.auth,
                                     json={"resolution": "false_positive", **NOTE})
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["action_taken"], body["account_status"], body["account_frozen"]) == (
            "freeze", "frozen", True)
        assert body["label"]["is_fraud"] is False
        manager = await bank.person("manager")
        unfrozen = await client.post(f"/admin/accounts/{account['id']}/unfreeze",
                                     headers=manager.auth, json={"reason": "false positive"})
        assert unfrozen.status_code == 200, unfrozen.text
        listed = (await client.get("/fraud/alerts", headers=admin.auth,
                                   params={"account_id": account["id"]})).json()["items"]
        assert listed[0]["account_status"] == "active"
        assert bank.sql("SELECT is_fraud FROM transaction_labels WHERE transaction_id = %s",
                        txn_id)[0]["is_fraud"] == 0

    async def test_an_earlier_label_gives_way_to_the_analyst(self, bank, client) -> None:
        analyst = await bank.person("analyst")
        _, _, txn_id, alert_id = await alerted(bank)
        bank.sql("INSERT INTO transaction_labels (transaction_id, is_fraud, source, labelled_at)"
                 " VALUES (%s, TRUE, 'feedback', '2020-01-01')", txn_id)
        response = await client.post(f"/fraud/alerts/{alert_id}/resolve", headers=analyst.auth,
                                     json={"resolution": "false_positive", **NOTE})
        assert response.status_code == 200, response.text
        [label] = bank.sql("SELECT * FROM transaction_labels WHERE transaction_id = %s", txn_id)
        assert (label["is_fraud"], label["source"]) == (0, "analyst")
        assert label["labelled_at"].year > 2020

    @pytest.mark.parametrize("role", ["auditor", "manager"])
    async def test_readers_do_not_resolve(self, bank, client, role) -> None:
        reader = await bank.person(role)
        _, _, _, alert_id = await alerted(bank)
        response = await client.post(f"/fraud/alerts/{alert_id}/resolve", headers=reader.auth,
                                     json={"resolution": "confirmed_fraud", **NOTE})
        assert response.status_code == 403

    async def test_not_an_alert_on_ones_own_account(self, bank, client, admin_conn) -> None:
        analyst = await bank.person("analyst")
        own = open_account(admin_conn, analyst.id)
        _, _, txn = await paying_customer(bank)
        mine = alert(bank, txn["id"], own["id"])
        response = await client.post(f"/fraud/alerts/{mine}/resolve", headers=analyst.auth,
                                     json={"resolution": "false_positive", **NOTE})
        assert response.status_code == 403, response.text
        assert bank.sql("SELECT status FROM fraud_alerts WHERE id = %s",
                        mine)[0]["status"] == "open"

    async def test_an_unknown_alert_is_404(self, bank, client) -> None:
        analyst = await bank.person("analyst")
        response = await client.post("/fraud/alerts/999999999/resolve", headers=analyst.auth,
                                     json={"resolution": "confirmed_fraud", **NOTE})
        assert response.status_code == 404
        assert response.json()["code"] == "FRAUD_ALERT_NOT_FOUND"

    @pytest.mark.parametrize("body", [
        {"resolution": "escalated", **NOTE}, {"resolution": "confirmed_fraud"},
        {"resolution": "confirmed_fraud", "note": ""},
        {"resolution": "confirmed_fraud", "note": "x" * 1001},
        {"resolution": "confirmed_fraud", "note": "bad\u202etext"},
        {"resolution": "confirmed_fraud", **NOTE, "refund": True}, {},
    ])
    async def test_bad_bodies_are_422_and_change_nothing(self, bank, client, body) -> None:
        analyst = await bank.person("analyst")
        _, _, _, alert_id = await alerted(bank)
        response = await client.post(f"/fraud/alerts/{alert_id}/resolve", headers=analyst.auth,
                                     json=body)
        assert response.status_code == 422, response.text
        assert bank.sql("SELECT status FROM fraud_alerts WHERE id = %s",
                        alert_id)[0]["status"] == "open"


def _by(items: list[dict[str, Any]], key: str, value: str) -> dict[str, Any]:
    return next(item for item in items if item[key] == value)


class TestStats:
    async def test_the_numbers_match_the_rows(self, bank, client) -> None:
        analyst = await bank.person("analyst")
        before = (await client.get("/fraud/stats", headers=analyst.auth)).json()
        made: list[tuple[int, int]] = []
        for verdict, rule_score in (("SAFE", "0.1000"), ("SUSPICIOUS", "0.3000"),
                                    ("CRITICAL", "0.5000"), ("CRITICAL", None)):
            _, account, txn = await paying_customer(bank)
            score(bank, txn["id"], verdict=verdict, rule_score=rule_score,
                  value="0.2000" if verdict == "SAFE" else "0.9000")
            if verdict != "SAFE":
                made.append((alert(bank, txn["id"], account["id"], verdict=verdict), txn["id"]))
        for (alert_id, _), resolution in zip(made[:2], ("confirmed_fraud", "false_positive"),
                                             strict=True):
            response = await client.post(f"/fraud/alerts/{alert_id}/resolve",
                                         headers=analyst.auth,
                                         json={"resolution": resolution, **NOTE})
            assert response.status_code == 200, response.text
        after = (await client.get("/fraud/stats", headers=analyst.auth)).json()

        def delta(key: str) -> int:
            return int(after[key]) - int(before[key])

        assert (delta("scored"), delta("alerts"), delta("open_alerts"), delta("resolved_alerts"),
                delta("confirmed_fraud"), delta("false_positives")) == (4, 3, 1, 2, 1, 1)
        assert Decimal(after["fraud_rate"]) == pytest.approx(
            Decimal(after["confirmed_fraud"]) / Decimal(after["scored"]), abs=Decimal("0.0001"))
        assert Decimal(after["alert_precision"]) == pytest.approx(
            Decimal(after["confirmed_fraud"]) / Decimal(after["resolved_alerts"]),
            abs=Decimal("0.0001"))
        for verdict, scored, alerts in (("SAFE", 1, 0), ("SUSPICIOUS", 1, 1), ("CRITICAL", 2, 2)):
            was, now = (_by(s["per_verdict"], "verdict", verdict) for s in (before, after))
            assert (now["scored"] - was["scored"], now["alerts"] - was["alerts"]) == (scored,
                                                                                      alerts)
        for level, scored in (("LOW", 1), ("MEDIUM", 1), ("HIGH", 1), ("UNKNOWN", 1)):
            was, now = (_by(s["per_level"], "level", level) for s in (before, after))
            assert now["scored"] - was["scored"] == scored
        assert [v["verdict"] for v in after["per_verdict"]] == ["SAFE", "SUSPICIOUS", "CRITICAL"]

    async def test_worker_lag_counts_what_is_not_scored_yet(self, bank, client) -> None:
        analyst = await bank.person("analyst")
        _, _, txn = await paying_customer(bank)
        newest = bank.sql("SELECT MAX(id) AS id FROM transactions")[0]["id"]
        score(bank, newest, verdict="SAFE", value="0.1000")
        caught_up = (await client.get("/fraud/stats", headers=analyst.auth)).json()["worker_lag"]
        assert (caught_up["newest_transaction_id"], caught_up["newest_scored_transaction_id"],
                caught_up["transactions_behind"], Decimal(caught_up["seconds_behind"])) == (
            newest, newest, 0, Decimal(0))
        await paying_customer(bank)
        behind = (await client.get("/fraud/stats", headers=analyst.auth)).json()["worker_lag"]
        expected = bank.sql("SELECT COUNT(*) AS n FROM transactions WHERE id > %s",
                            newest)[0]["n"]
        assert behind["transactions_behind"] == expected >= 2  # a deposit and a transfer
        assert behind["newest_scored_transaction_id"] == newest
        assert Decimal(behind["seconds_behind"]) >= 0
        assert txn["id"] <= newest


class TestRiskScores:
    async def test_a_customer_sees_the_scores_of_their_own_payments(self, bank, client) -> None:
        payer, account, txn = await paying_customer(bank)
        score(bank, txn["id"], verdict="SUSPICIOUS", value="0.6000")
        mine = await client.get("/analytics/risk-scores", headers=payer.auth)
        assert mine.status_code == 200, mine.text
        [item] = mine.json()["items"]
        assert (item["transaction_id"], item["score"], item["verdict"]) == (
            txn["id"], "0.6000", "SUSPICIOUS")
        assert item["model_version"] == "iforest-test"
        assert len(item["reasons"]) == 3
        assert item["from_account"] == account["account_number"]
        filtered = await client.get("/analytics/risk-scores", headers=payer.auth,
                                    params={"account_id": account["id"], "verdict": "SUSPICIOUS"})
        assert [i["transaction_id"] for i in filtered.json()["items"]] == [txn["id"]]

    async def test_nobody_else_sees_them_but_risk_staff(self, bank, client) -> None:
        payer, account, txn = await paying_customer(bank)
        score(bank, txn["id"])
        payee_number = txn["to_account"]
        payee_id = bank.sql("SELECT user_id FROM accounts WHERE account_number = %s",
                            payee_number)[0]["user_id"]
        stranger = await bank.person()
        for other in (stranger, await bank.person("teller")):
            seen = (await client.get("/analytics/risk-scores", headers=other.auth)).json()
            assert txn["id"] not in [i["transaction_id"] for i in seen["items"]]
            attack = await client.get("/analytics/risk-scores", headers=other.auth,
                                      params={"account_id": account["id"]})
            assert attack.status_code == 404, attack.text
            assert attack.json()["code"] == "ACCOUNT_NOT_FOUND"
        assert payee_id != payer.id
        for role in ("analyst", "auditor"):
            staff = await bank.person(role)
            listed = await client.get("/analytics/risk-scores", headers=staff.auth,
                                      params={"account_id": account["id"]})
            assert [i["transaction_id"] for i in listed.json()["items"]] == [txn["id"]]

    async def test_the_payee_sees_no_score_of_the_payers_payment(self, bank, client) -> None:
        payee = await bank.person()
        _, _, txn = await paying_customer(bank, payee=payee)
        score(bank, txn["id"])
        deposit = await bank.deposit(payee, payee.accounts[0]["id"], "10")
        score(bank, deposit["id"], verdict="SAFE", value="0.0500")
        seen = (await client.get("/analytics/risk-scores", headers=payee.auth)).json()["items"]
        assert [i["transaction_id"] for i in seen] == [deposit["id"]]

    async def test_pages_are_keyset_newest_first(self, bank, client) -> None:
        payer, account, first = await paying_customer(bank, amount="5")
        ids = [first["id"]]
        for amount in ("6", "7"):
            response = await client.post(
                "/transactions/transfer", headers=payer.money_headers(),
                json={"from_account_id": account["id"], "amount": amount,
                      "to_account_number": first["to_account"]})
            assert response.status_code == 201, response.text
            ids.append(response.json()["id"])
        for txn_id in ids:
            score(bank, txn_id, verdict="SAFE", value="0.1000")
        first_page = (await client.get("/analytics/risk-scores", headers=payer.auth,
                                       params={"limit": 2})).json()
        assert [i["transaction_id"] for i in first_page["items"]] == [ids[2], ids[1]]
        assert first_page["next_cursor"] == str(ids[1])
        second = (await client.get("/analytics/risk-scores", headers=payer.auth,
                                   params={"limit": 2, "cursor": first_page["next_cursor"]})
                  ).json()
        assert [i["transaction_id"] for i in second["items"]] == [ids[0]]
        assert second["next_cursor"] is None

    @pytest.mark.parametrize("params", [
        {"verdict": "LOW"}, {"limit": 0}, {"cursor": "-1"}, {"until": "yesterday"},
        {"account_id": "x"},
    ])
    async def test_bad_filters_are_422(self, bank, client, params) -> None:
        person = await bank.person()
        response = await client.get("/analytics/risk-scores", headers=person.auth, params=params)
        assert response.status_code == 422, response.text

    async def test_a_token_is_needed(self, client) -> None:
        assert (await client.get("/analytics/risk-scores")).status_code == 401


class TestRiskField:
    async def test_risk_appears_once_the_transaction_is_scored(self, bank, client) -> None:
        payer, account, txn = await paying_customer(bank)
        assert txn["risk"] is None
        before = (await client.get(f"/transactions/{txn['id']}", headers=payer.auth)).json()
        assert before["risk"] is None
        score(bank, txn["id"], verdict="SUSPICIOUS", value="0.7000")
        detail = (await client.get(f"/transactions/{txn['id']}", headers=payer.auth)).json()
        assert detail["risk"] == {"score": "0.7000", "verdict": "SUSPICIOUS"}
        history = (await client.get("/transactions/history", headers=payer.auth,
                                    params={"account_id": account["id"]})).json()["items"]
        assert _by(history, "reference", txn["reference"])["risk"] == {
            "score": "0.7000", "verdict": "SUSPICIOUS"}
        deposit = _by(history, "type", "deposit")
        assert deposit["risk"] is None
