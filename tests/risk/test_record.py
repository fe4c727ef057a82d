"""sp_record_risk_scores: verdict bands, alerts, the CRITICAL action; the claim's guards."""

from __future__ import annotations

import json
from typing import Any

import pymysql
import pytest

from api.config import DatabaseAddress
from scripts.db_connection import connect
from tests.support.ledger import call, error_code, new_user, query
from tests.support.traffic import open_customers, pay


def record(worker: Any, scores: list[list[Any]]) -> dict[str, Any]:
    """Record scores in one transaction of the worker's login, as the worker does."""
    worker.begin()
    try:
        row = call(worker, "sp_record_risk_scores", "test", json.dumps(scores))[0]
        worker.commit()
    except BaseException:
        worker.rollback()
        raise
    return row


def entry(transaction_id: int, score: float) -> list[Any]:
    return [transaction_id, score, None, score, ["because"]]


@pytest.fixture
def worker_conn(worker_address: DatabaseAddress) -> Any:
    conn = connect(worker_address, dict_rows=True)
    yield conn
    conn.close()


@pytest.fixture
def payments(risk_admin: Any) -> dict[str, Any]:
    """Two customers paying a merchant four times each; a manager to be notified."""
    import random

    senders = open_customers(risk_admin, 2)
    shop = open_customers(risk_admin, 1, funds="1")
    for sender in senders:
        pay(risk_admin, sender, shop, [10.0, 20.0, 30.0, 40.0], random.Random(3))
    ids = [int(r["id"]) for r in query(
        risk_admin, "SELECT id FROM transactions WHERE type = 'transfer' AND from_account_id"
        " IN (%s, %s) ORDER BY id", senders[0]["id"], senders[1]["id"])]
    manager = new_user(risk_admin, "manager")
    return {"senders": senders, "ids": ids, "manager": manager}


def test_the_procedure_decides_the_verdict_at_the_band_edges(worker_conn, risk_admin, payments):
    ids = payments["ids"]
    query(risk_admin, "UPDATE bank_settings SET fraud_critical_action = 'alert'")
    result = record(worker_conn, [entry(ids[0], 0.4999), entry(ids[1], 0.5),
                                  entry(ids[2], 0.7999), entry(ids[3], 0.8)])
    assert result == {"scored": 4, "suspicious": 2, "critical": 1, "frozen": 0}
    verdicts = [r["verdict"] for r in query(
        risk_admin, "SELECT verdict FROM transaction_risk_scores WHERE transaction_id IN"
        " (%s, %s, %s, %s) ORDER BY transaction_id", *ids[:4])]
    assert verdicts == ["SAFE", "SUSPICIOUS", "SUSPICIOUS", "CRITICAL"]
    alerts = query(risk_admin, "SELECT transaction_id, verdict, status, action_taken"
                   " FROM fraud_alerts ORDER BY transaction_id")
    assert [(a["verdict"], a["status"], a["action_taken"]) for a in alerts] == [
        ("SUSPICIOUS", "open", "review"), ("SUSPICIOUS", "open", "review"),
        ("CRITICAL", "open", "alert")]
    # 'alert' only: nothing frozen, and still staff hear of it.
    assert query(risk_admin, "SELECT status FROM accounts WHERE id = %s",
                 payments["senders"][0]["id"])[0]["status"] == "active"
    assert query(risk_admin, "SELECT COUNT(*) AS n FROM notifications WHERE user_id = %s"
                 " AND kind = 'fraud.critical'", payments["manager"])[0]["n"] == 1


def test_a_critical_score_freezes_the_sender_audits_and_notifies(worker_conn, risk_admin,
                                                                 payments):
    sender = payments["senders"][1]
    critical = payments["ids"][4]
    result = record(worker_conn, [entry(critical, 0.93), entry(payments["ids"][5], 0.1)])
    assert result == {"scored": 2, "suspicious": 0, "critical": 1, "frozen": 1}
    alert = query(risk_admin, "SELECT * FROM fraud_alerts WHERE transaction_id = %s", critical)[0]
    assert (alert["account_id"], alert["verdict"], alert["action_taken"]) == (
        sender["id"], "CRITICAL", "freeze")
    assert query(risk_admin, "SELECT status FROM accounts WHERE id = %s",
                 sender["id"])[0]["status"] == "frozen"
    audit = query(risk_admin, "SELECT actor_user_id, event, reason FROM audit_log WHERE"
                  " table_name = 'accounts' AND row_id = %s ORDER BY id DESC LIMIT 1",
                  sender["id"])[0]
    assert audit["actor_user_id"] == 1
    assert audit["event"] == "account.freeze"
    assert "CRITICAL" in audit["reason"]
    assert query(risk_admin, "SELECT COUNT(*) AS n FROM outbox_events WHERE event_type ="
                 " 'account.frozen' AND aggregate_id = %s", sender["id"])[0]["n"] == 1
    note = query(risk_admin, "SELECT body FROM notifications WHERE user_id = %s AND"
                 " transaction_id = %s", payments["manager"], critical)[0]
    assert "was frozen" in note["body"]
    # A second CRITICAL on the frozen account alerts but cannot freeze it again.
    again = record(worker_conn, [entry(payments["ids"][6], 0.99)])
    assert again["frozen"] == 0
    assert query(risk_admin, "SELECT action_taken FROM fraud_alerts WHERE transaction_id = %s",
                 payments["ids"][6])[0]["action_taken"] == "alert"


def test_a_batch_with_a_bad_score_writes_nothing(worker_conn, risk_admin, payments):
    ids = payments["ids"]
    with pytest.raises(pymysql.err.MySQLError) as caught:
        record(worker_conn, [entry(ids[0], 0.99), entry(ids[1], 1.5)])
    assert error_code(caught.value) == "INVALID_ARGUMENT"
    with pytest.raises(pymysql.err.MySQLError) as caught:
        record(worker_conn, [entry(ids[0], 0.99), entry(ids[0], 0.2)])  # the same row twice
    assert caught.value.args[0] == 1062
    assert query(risk_admin, "SELECT COUNT(*) AS n FROM transaction_risk_scores")[0]["n"] == 0
    assert query(risk_admin, "SELECT COUNT(*) AS n FROM fraud_alerts")[0]["n"] == 0
    assert query(risk_admin, "SELECT COUNT(*) AS n FROM accounts WHERE status = 'frozen'"
                 )[0]["n"] == 0


def test_claim_and_record_refuse_to_run_outside_a_transaction(worker_conn, payments):
    for statement, args in (("sp_claim_risk_batch", (0, 10)),
                            ("sp_record_risk_scores", ("test", json.dumps([entry(1, 0.1)])))):
        with pytest.raises(pymysql.err.MySQLError) as caught:
            call(worker_conn, statement, *args)
        assert error_code(caught.value) == "CONFLICT", statement
    worker_conn.begin()
    with pytest.raises(pymysql.err.MySQLError) as caught:
        call(worker_conn, "sp_claim_risk_batch", 0, 0)
    worker_conn.rollback()
    assert error_code(caught.value) == "INVALID_ARGUMENT"
    with pytest.raises(pymysql.err.MySQLError) as caught:
        call(worker_conn, "sp_record_risk_model", "v1", "oracle", None, None, 1, None, "[]",
             "/x", None)
    assert error_code(caught.value) == "INVALID_ARGUMENT"


def test_the_worker_login_cannot_write_scores_or_freeze_directly(worker_conn, payments):
    for statement in (
        f"INSERT INTO transaction_risk_scores (transaction_id, score, verdict) VALUES"
        f" ({payments['ids'][0]}, 0.1, 'SAFE')",
        f"UPDATE accounts SET status = 'frozen' WHERE id = {payments['senders'][0]['id']}",
        "DELETE FROM fraud_alerts",
    ):
        with pytest.raises(pymysql.err.MySQLError) as caught:
            query(worker_conn, statement)
        assert caught.value.args[0] in (1142, 1143), statement
