"""The fraud procedures re-check the actor's current role, whatever the caller passed."""

from __future__ import annotations

import pymysql
import pytest

from tests.support.ledger import error_code, new_user, proc


def _calls(actor: int) -> dict[str, dict[str, object]]:
    return {
        "sp_list_fraud_alerts": {"status": None, "verdict": None, "since": None, "until": None,
                                 "account_id": None, "before_id": None, "limit": 10,
                                 "all": True, "viewer_id": actor, "session_id": None},
        "sp_fraud_stats": {"viewer_id": actor, "session_id": None},
        "sp_list_risk_scores": {"verdict": None, "account_id": None, "since": None,
                                "until": None, "before_id": None, "limit": 10, "all": True,
                                "viewer_id": actor, "session_id": None},
        "sp_resolve_fraud_alert": {"alert_id": 1, "resolution": "false_positive",
                                   "note": "looks fine", "actor_id": actor, "session_id": None},
    }


@pytest.mark.parametrize("procedure", ["sp_list_fraud_alerts", "sp_fraud_stats",
                                       "sp_list_risk_scores", "sp_resolve_fraud_alert"])
@pytest.mark.parametrize("role", ["customer", "teller"])
def test_only_risk_staff(admin_conn, procedure, role) -> None:
    actor = new_user(admin_conn, role)
    with pytest.raises(pymysql.err.MySQLError) as err:
        proc(admin_conn, procedure, **_calls(actor)[procedure])
    assert error_code(err.value) == "FORBIDDEN"


@pytest.mark.parametrize("role", ["auditor", "manager"])
def test_readers_do_not_resolve(admin_conn, role) -> None:
    actor = new_user(admin_conn, role)
    proc(admin_conn, "sp_fraud_stats", viewer_id=actor, session_id=None)
    with pytest.raises(pymysql.err.MySQLError) as err:
        proc(admin_conn, "sp_resolve_fraud_alert", **_calls(actor)["sp_resolve_fraud_alert"])
    assert error_code(err.value) == "FORBIDDEN"


@pytest.mark.parametrize(("procedure", "change"), [
    ("sp_list_fraud_alerts", {"limit": 0}),
    ("sp_list_fraud_alerts", {"status": "closed"}),
    ("sp_list_fraud_alerts", {"verdict": "SAFE"}),
    ("sp_list_risk_scores", {"limit": 501}),
    ("sp_list_risk_scores", {"verdict": "LOW"}),
    ("sp_resolve_fraud_alert", {"resolution": "escalated"}),
    ("sp_resolve_fraud_alert", {"note": "  "}),
])
def test_bad_arguments(admin_conn, procedure, change) -> None:
    actor = new_user(admin_conn, "admin")
    with pytest.raises(pymysql.err.MySQLError) as err:
        proc(admin_conn, procedure, **{**_calls(actor)[procedure], **change})
    assert error_code(err.value) == "INVALID_ARGUMENT"
