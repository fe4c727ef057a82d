"""The risk rules in the money paths: LOW posts, MEDIUM waits for review, HIGH is refused.

Through the procedures themselves, in a customer's session: the assessment is stored on the
transaction (rule_points, rule_hits), a refusal rolls back and is kept in risk_declines, and
a retry of a payment that passed replays rather than being judged again.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

import pymysql
import pytest

from tests.support.ledger import (
    counts,
    deposit,
    error_code,
    integrity_problems,
    new_user,
    open_account,
    proc,
    query,
)
from tests.support.risk_rules import listed, session_for, zone_for_local_hour

BLOCKED_IP = "192.0.2.66"


@pytest.fixture
def customer(admin_conn: Any) -> dict[str, Any]:
    """A customer at noon on their clock with a funded JOD account and a known device."""
    user = new_user(admin_conn)
    query(admin_conn, "UPDATE users SET time_zone = %s WHERE id = %s",
          zone_for_local_hour(admin_conn, 12), user)
    account = open_account(admin_conn, user)
    deposit(admin_conn, account["id"], "5000.000")
    return {"user": user, "account": account, "session": session_for(admin_conn, user),
            "new_device": session_for(admin_conn, user, new_device=True)}


def send(conn: Any, who: dict[str, Any], to_number: str, amount: str, *, session: str | None = None,
         ip: str | None = None, key: str | None = None) -> dict[str, Any]:
    return proc(conn, "sp_perform_transfer", from_account_id=who["account"]["id"],
                to_account_number=to_number, amount=amount, fee=None, description=None,
                idempotency_key=key or secrets.token_hex(8), actor_id=who["user"],
                session_id=session or who["session"], owner_id=who["user"], otp_hash=None,
                client_ip=ip, country=None)[0]


def header(conn: Any, transaction_id: int) -> dict[str, Any]:
    row = query(conn, "SELECT t.status, t.rule_points, t.rule_hits, p.review_hits"
                " FROM transactions t LEFT JOIN pending_transactions p"
                " ON p.transaction_id = t.id WHERE t.id = %s", transaction_id)[0]
    row["rule_hits"] = json.loads(row["rule_hits"]) if row["rule_hits"] else None
    row["review_hits"] = json.loads(row["review_hits"]) if row["review_hits"] else None
    return row


def declines(conn: Any, account_id: int) -> list[dict[str, Any]]:
    return query(conn, "SELECT * FROM risk_declines WHERE from_account_id = %s ORDER BY id",
                 account_id)


class TestTransfer:
    def test_low_posts_with_its_assessment_on_the_header(self, admin_conn, customer):
        payee = open_account(admin_conn, new_user(admin_conn))
        posted = send(admin_conn, customer, payee["account_number"], "20.000")
        row = header(admin_conn, posted["id"])
        assert (row["status"], row["rule_points"]) == ("completed", 15)
        assert [h["rule"] for h in row["rule_hits"]] == ["new_beneficiary"]
        again = send(admin_conn, customer, payee["account_number"], "20.000")
        assert header(admin_conn, again["id"])["rule_points"] == 0

    def test_a_trusted_posting_is_not_assessed(self, admin_conn, customer):
        payee = open_account(admin_conn, new_user(admin_conn))
        posted = proc(admin_conn, "sp_perform_transfer", from_account_id=customer["account"]["id"],
                      to_account_number=payee["account_number"], amount="5.000", fee=None,
                      description=None, idempotency_key=secrets.token_hex(8), actor_id=1,
                      session_id=None, owner_id=None, otp_hash=None, client_ip=BLOCKED_IP,
                      country=None)[0]
        assert header(admin_conn, posted["id"])["rule_points"] is None

    def test_medium_waits_for_review_with_its_hits(self, admin_conn, customer):
        """Two weak signals (a new beneficiary from a new device) on a modest amount."""
        payee = open_account(admin_conn, new_user(admin_conn))
        before = query(admin_conn, "SELECT available_balance FROM accounts WHERE id = %s",
                       customer["account"]["id"])[0]["available_balance"]
        held = send(admin_conn, customer, payee["account_number"], "40.000",
                    session=customer["new_device"])
        row = header(admin_conn, held["id"])
        assert (row["status"], row["rule_points"], row["review_hits"]) == (
            "pending_review", 30, ["risk_review"])
        assert {h["rule"] for h in row["rule_hits"]} == {"new_beneficiary", "new_device"}
        assert all(h["reason"] for h in row["rule_hits"])
        after = query(admin_conn, "SELECT available_balance, balance FROM accounts"
                      " WHERE id = %s", customer["account"]["id"])[0]
        assert before - after["available_balance"] >= 40  # held, not posted
        assert after["balance"] == 5000

    def test_medium_joins_a_review_rule_hit(self, admin_conn, customer):
        payee = open_account(admin_conn, new_user(admin_conn))
        query(admin_conn, "UPDATE accounts SET per_transaction_limit = 100000,"
              " daily_limit = 100000 WHERE id = %s", customer["account"]["id"])
        deposit(admin_conn, customer["account"]["id"], "10000.000")
        held = proc(admin_conn, "sp_perform_transfer", from_account_id=customer["account"]["id"],
                    to_account_number=payee["account_number"], amount="3500.000", fee=None,
                    description=None, idempotency_key=secrets.token_hex(8),
                    actor_id=customer["user"], session_id=customer["session"],
                    owner_id=customer["user"], otp_hash=secrets.token_bytes(32), client_ip=None,
                    country=None)[0]
        row = header(admin_conn, held["id"])
        # The code first, then review: the review rules' names as before, the risk rules'
        # MEDIUM in its points and hits.
        assert row["status"] == "pending_otp"
        assert row["review_hits"] == ["review_amount", "review_new_beneficiary"]
        assert row["rule_points"] == 35
        assert {h["rule"] for h in row["rule_hits"]} == {"high_amount", "new_beneficiary"}

    def test_high_is_refused_rolled_back_and_recorded(self, admin_conn, customer):
        payee = open_account(admin_conn, new_user(admin_conn))
        before = counts(admin_conn)
        with listed(admin_conn, "blacklist", BLOCKED_IP), \
                pytest.raises(pymysql.err.MySQLError) as caught:
            send(admin_conn, customer, payee["account_number"], "20.000", ip=BLOCKED_IP)
        assert error_code(caught.value) == "RISK_DECLINED"
        message = caught.value.args[1]
        assert "blacklist" in message
        assert "rule_points=75" in message
        assert counts(admin_conn) == before
        [refused] = declines(admin_conn, customer["account"]["id"])
        assert (refused["type"], refused["to_account_id"], refused["rule_points"],
                refused["client_ip"], refused["actor_id"]) == (
            "transfer", payee["id"], 75, BLOCKED_IP, customer["user"])
        assert {h["rule"] for h in json.loads(refused["rule_hits"])} == {
            "blacklisted_ip", "new_beneficiary"}
        assert f"risk_decline_id={refused['id']}" in message
        assert integrity_problems(admin_conn) == []

    def test_a_retry_of_a_posted_transfer_replays_instead_of_being_refused(
            self, admin_conn, customer):
        payee = open_account(admin_conn, new_user(admin_conn))
        key = secrets.token_hex(8)
        first = send(admin_conn, customer, payee["account_number"], "20.000", ip=BLOCKED_IP,
                     key=key)
        with listed(admin_conn, "blacklist", BLOCKED_IP):
            again = send(admin_conn, customer, payee["account_number"], "20.000",
                         ip=BLOCKED_IP, key=key)
        assert (again["id"], again["replayed"]) == (first["id"], 1)
        assert declines(admin_conn, customer["account"]["id"]) == []


class TestWithdrawal:
    def withdraw(self, conn: Any, who: dict[str, Any], amount: str, *, session: str | None = None,
                 ip: str | None = None) -> dict[str, Any]:
        return proc(conn, "sp_withdraw_cash", account_id=who["account"]["id"], amount=amount,
                    description=None, idempotency_key=secrets.token_hex(8), actor_id=who["user"],
                    session_id=session or who["session"], owner_id=who["user"], client_ip=ip,
                    country=None)[0]

    def test_a_customers_withdrawal_carries_its_assessment(self, admin_conn, customer):
        posted = self.withdraw(admin_conn, customer, "600.000", session=customer["new_device"])
        row = header(admin_conn, posted["id"])
        # MEDIUM (withdrawal_risk and new_device): cash cannot wait, it pays out, flagged.
        assert (row["status"], row["rule_points"]) == ("completed", 35)
        assert {h["rule"] for h in row["rule_hits"]} == {"withdrawal_risk", "new_device"}

    def test_high_refuses_a_withdrawal(self, admin_conn, customer):
        with listed(admin_conn, "blacklist", BLOCKED_IP), \
                pytest.raises(pymysql.err.MySQLError) as caught:
            self.withdraw(admin_conn, customer, "10.000", ip=BLOCKED_IP)
        assert error_code(caught.value) == "RISK_DECLINED"
        [refused] = declines(admin_conn, customer["account"]["id"])
        assert (refused["type"], refused["amount"]) == ("withdrawal", 10)
        balance = query(admin_conn, "SELECT balance FROM accounts WHERE id = %s",
                        customer["account"]["id"])[0]["balance"]
        assert balance == 5000

    def test_a_tellers_payout_is_not_judged(self, admin_conn, customer):
        teller = new_user(admin_conn, "teller")
        with listed(admin_conn, "blacklist", BLOCKED_IP):
            posted = proc(admin_conn, "sp_withdraw_cash", account_id=customer["account"]["id"],
                          amount="10.000", description=None, idempotency_key=secrets.token_hex(8),
                          actor_id=teller, session_id=session_for(admin_conn, teller),
                          owner_id=None, client_ip=BLOCKED_IP, country=None)[0]
        assert header(admin_conn, posted["id"])["rule_points"] is None


class TestBatch:
    def batch(self, conn: Any, who: dict[str, Any], numbers: list[str], *,
              session: str | None = None, ip: str | None = None) -> list[dict[str, Any]]:
        return proc(conn, "sp_perform_batch_transfer", from_account_id=who["account"]["id"],
                    items=json.dumps([{"to_account_number": n, "amount": "5.000"}
                                      for n in numbers]),
                    description=None, idempotency_key=secrets.token_hex(8), actor_id=who["user"],
                    session_id=session or who["session"], owner_id=who["user"], otp_hash=None,
                    client_ip=ip, country=None)

    def test_low_posts_and_the_parent_carries_the_assessment(self, admin_conn, customer):
        numbers = [open_account(admin_conn, new_user(admin_conn))["account_number"]
                   for _ in range(2)]
        parent, *children = self.batch(admin_conn, customer, numbers)
        assert (parent["status"], len(children)) == ("completed", 2)
        assert header(admin_conn, parent["id"])["rule_points"] == 0

    def test_medium_holds_the_whole_batch_for_review(self, admin_conn, customer):
        numbers = [open_account(admin_conn, new_user(admin_conn))["account_number"]]
        with listed(admin_conn, "anonymiser", BLOCKED_IP):
            [parent] = self.batch(admin_conn, customer, numbers, ip=BLOCKED_IP)
        row = header(admin_conn, parent["id"])
        assert (row["status"], row["rule_points"], row["review_hits"]) == (
            "pending_review", 35, ["risk_review"])

    def test_high_refuses_the_whole_batch(self, admin_conn, customer):
        numbers = [open_account(admin_conn, new_user(admin_conn))["account_number"]]
        before = counts(admin_conn)
        with listed(admin_conn, "blacklist", BLOCKED_IP), \
                pytest.raises(pymysql.err.MySQLError) as caught:
            self.batch(admin_conn, customer, numbers, ip=BLOCKED_IP)
        assert error_code(caught.value) == "RISK_DECLINED"
        assert counts(admin_conn) == before
        [refused] = declines(admin_conn, customer["account"]["id"])
        assert (refused["type"], refused["amount"]) == ("batch", 5)


class TestScoring:
    def score(self, conn: Any, actor: int, session: str, items: list[dict[str, Any]]
              ) -> list[dict[str, Any]]:
        return proc(conn, "sp_risk_score", actor_id=actor, session_id=session,
                    items=json.dumps(items))

    def test_a_list_is_judged_item_by_item_and_nothing_is_written(self, admin_conn, customer):
        manager = new_user(admin_conn, "manager")
        session = session_for(admin_conn, manager)
        payee = open_account(admin_conn, new_user(admin_conn))
        before = counts(admin_conn)
        with listed(admin_conn, "blacklist", BLOCKED_IP):
            rows = self.score(admin_conn, manager, session, [
                {"from_account_id": customer["account"]["id"],
                 "to_account_number": payee["account_number"], "amount": "20.000"},
                {"from_account_id": customer["account"]["id"], "amount": "20.000",
                 "type": "withdrawal", "client_ip": BLOCKED_IP},
                {"from_account_id": 2**40, "amount": "1.000"},
                {"from_account_id": customer["account"]["id"], "to_account_number": "nope",
                 "amount": "1.000"}])
        assert counts(admin_conn) == before
        assert [r["seq"] for r in rows] == [0, 1, 2, 3]
        first, second = (json.loads(r["assessment"]) for r in rows[:2])
        assert (first["level"], [h["rule"] for h in first["hits"]]) == ("LOW", ["new_beneficiary"])
        assert (second["level"], second["decision"]) == ("HIGH", "block")
        assert [r["error"].split(":")[0] for r in rows[2:]] == ["ACCOUNT_NOT_FOUND"] * 2
        assert declines(admin_conn, customer["account"]["id"]) == []

    def test_a_customer_may_not_score(self, admin_conn, customer):
        with pytest.raises(pymysql.err.MySQLError) as caught:
            self.score(admin_conn, customer["user"], customer["session"], [])
        assert error_code(caught.value) == "FORBIDDEN"

    def test_at_most_a_hundred_items(self, admin_conn):
        manager = new_user(admin_conn, "manager")
        session = session_for(admin_conn, manager)
        with pytest.raises(pymysql.err.MySQLError) as caught:
            self.score(admin_conn, manager, session,
                       [{"from_account_id": 1, "amount": "1"}] * 101)
        assert error_code(caught.value) == "INVALID_ARGUMENT"
        with pytest.raises(pymysql.err.MySQLError) as caught:
            proc(admin_conn, "sp_risk_score", actor_id=manager, session_id=session,
                 items='{"not": "a list"}')
        assert error_code(caught.value) == "INVALID_ARGUMENT"

    def test_a_session_is_required(self, admin_conn):
        with pytest.raises(pymysql.err.MySQLError) as caught:
            proc(admin_conn, "sp_risk_score", actor_id=1, session_id=None, items="[]")
        assert error_code(caught.value) == "SESSION_REQUIRED"
