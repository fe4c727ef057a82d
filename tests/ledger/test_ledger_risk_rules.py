"""The synchronous risk rules (fn_risk_assess): each rule on its case and its near miss.

Every rule is judged against the real tables: the sender's payments, login_events, the
session's login facts and risk_ip_lists. The instant judged is passed in (p_at), so windows
are set by moving it rather than by waiting; the customer's zone (users.time_zone) is set so
the unusual-hour rule fires only where a test wants it.
"""

from __future__ import annotations

import json
import secrets
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pymysql
import pytest

from tests.support.ledger import (
    deposit,
    error_code,
    new_user,
    open_account,
    query,
    transfer,
)
from tests.support.risk_rules import listed, session_for, zone_for_local_hour


def now(conn: Any) -> datetime:
    instant: datetime = query(conn, "SELECT NOW(6) AS t")[0]["t"]
    return instant


def assess(conn: Any, sender: int, receiver: int | None, amount: str, *, jod: str | None = None,
           kind: str = "transfer", at: datetime | None = None, session: str | None = None,
           ip: str | None = None, country: str | None = None) -> dict[str, Any]:
    row = query(conn, "SELECT fn_risk_assess(%s, %s, %s, %s, %s, %s, %s, %s, %s) AS a",
                sender, receiver, amount, jod or amount, kind, at or now(conn), session, ip,
                country)[0]
    judged: dict[str, Any] = json.loads(row["a"])
    return judged


def rules(judged: dict[str, Any]) -> list[str]:
    return sorted(hit["rule"] for hit in judged["hits"])


@pytest.fixture
def sender(admin_conn: Any) -> dict[str, Any]:
    """A funded JOD account whose owner's clock shows noon (no unusual hour)."""
    user = new_user(admin_conn)
    query(admin_conn, "UPDATE users SET time_zone = %s WHERE id = %s",
          zone_for_local_hour(admin_conn, 12), user)
    account = open_account(admin_conn, user)
    query(admin_conn, "UPDATE accounts SET per_transaction_limit = 1000000,"
          " daily_limit = 10000000 WHERE id = %s", account["id"])
    deposit(admin_conn, account["id"], "500000.000")
    return {**account, "user_id": user}


@pytest.fixture
def payee(admin_conn: Any) -> dict[str, Any]:
    return open_account(admin_conn, new_user(admin_conn))


def pay(conn: Any, sender: dict[str, Any], to_number: str, amount: str, times: int = 1) -> None:
    """Earlier payments of the sender, as a trusted caller (not assessed themselves)."""
    for _ in range(times):
        transfer(conn, sender["id"], to_number, amount)


class TestAmounts:
    def test_very_high_replaces_high_and_each_has_its_near_miss(self, admin_conn, sender, payee):
        pay(admin_conn, sender, payee["account_number"], "1.000")  # not a new beneficiary
        later = now(admin_conn) + timedelta(minutes=16)  # and outside the velocity windows

        def at(amount: str) -> list[str]:
            return rules(assess(admin_conn, sender["id"], payee["id"], amount, at=later))

        assert at("10000.000") == ["very_high_amount"]
        assert at("9999.999") == ["high_amount"]
        assert at("3000.000") == ["high_amount"]
        assert at("2999.999") == []

    def test_amounts_compare_in_jod(self, admin_conn, sender, payee):
        pay(admin_conn, sender, payee["account_number"], "1.000")
        judged = assess(admin_conn, sender["id"], payee["id"], "100.000", jod="3000.000",
                        at=now(admin_conn) + timedelta(minutes=16))
        assert rules(judged) == ["high_amount"]

    def test_withdrawal_risk_only_for_a_withdrawal_from_its_threshold(self, admin_conn, sender):
        assert rules(assess(admin_conn, sender["id"], None, "500.000", kind="withdrawal")) == [
            "withdrawal_risk"]
        assert rules(assess(admin_conn, sender["id"], None, "499.999", kind="withdrawal")) == []
        assert rules(assess(admin_conn, sender["id"], None, "500.000", kind="batch")) == []


class TestFailedAttempts:
    def failures(self, conn: Any, user: int, count: int, ago_seconds: int = 10) -> None:
        for _ in range(count):
            query(conn, "INSERT INTO login_events (user_id, username, outcome, created_at)"
                  " VALUES (%s, 'x', 'failure', NOW(6) - INTERVAL %s SECOND)", user, ago_seconds)

    def test_three_in_the_window_fire_two_do_not(self, admin_conn, sender):
        self.failures(admin_conn, sender["user_id"], 2)
        assert rules(assess(admin_conn, sender["id"], None, "10.000")) == []
        self.failures(admin_conn, sender["user_id"], 1)
        assert rules(assess(admin_conn, sender["id"], None, "10.000")) == ["failed_attempts"]

    def test_older_failures_are_outside_the_window(self, admin_conn, sender):
        self.failures(admin_conn, sender["user_id"], 3, ago_seconds=901)
        assert rules(assess(admin_conn, sender["id"], None, "10.000")) == []

    def test_wrong_pins_count_as_failed_attempts(self, admin_conn, sender):
        self.failures(admin_conn, sender["user_id"], 2)
        query(admin_conn, "CALL sp_record_pin_attempt(%s, FALSE)", sender["user_id"])
        assert rules(assess(admin_conn, sender["id"], None, "10.000")) == ["failed_attempts"]
        events = query(admin_conn, "SELECT COUNT(*) AS n FROM login_events"
                       " WHERE user_id = %s AND outcome = 'pin_failure'", sender["user_id"])
        assert events[0]["n"] == 1


class TestUnusualHour:
    def test_fires_in_the_small_hours_of_the_customers_zone_only(self, admin_conn, sender):
        for hour, expected in ((2, ["unusual_hour"]), (0, ["unusual_hour"]), (5, []), (23, [])):
            query(admin_conn, "UPDATE users SET time_zone = %s WHERE id = %s",
                  zone_for_local_hour(admin_conn, hour), sender["user_id"])
            assert rules(assess(admin_conn, sender["id"], None, "10.000")) == expected, hour

    def test_without_a_zone_of_their_own_the_banks_zone_counts(self, admin_conn, sender):
        query(admin_conn, "UPDATE users SET time_zone = NULL WHERE id = %s", sender["user_id"])
        bank_hour = query(admin_conn, "SELECT HOUR(CONVERT_TZ(UTC_TIMESTAMP(), '+00:00',"
                          " utc_offset)) AS h FROM bank_settings")[0]["h"]
        expected = ["unusual_hour"] if bank_hour < 5 else []
        assert rules(assess(admin_conn, sender["id"], None, "10.000")) == expected


class TestVelocity:
    def test_eight_payments_in_five_minutes_fire_seven_do_not(self, admin_conn, sender, payee):
        pay(admin_conn, sender, payee["account_number"], "1.000", times=7)
        assert rules(assess(admin_conn, sender["id"], payee["id"], "1.000")) == []
        pay(admin_conn, sender, payee["account_number"], "1.000")
        assert rules(assess(admin_conn, sender["id"], payee["id"], "1.000")) == ["velocity_5m"]

    def test_ten_in_fifteen_minutes_fire_outside_the_five_minute_window(
            self, admin_conn, sender, payee):
        pay(admin_conn, sender, payee["account_number"], "1.000", times=9)
        later = now(admin_conn) + timedelta(minutes=6)
        assert rules(assess(admin_conn, sender["id"], payee["id"], "1.000", at=later)) == []
        pay(admin_conn, sender, payee["account_number"], "1.000")
        later = now(admin_conn) + timedelta(minutes=6)
        assert rules(assess(admin_conn, sender["id"], payee["id"], "1.000", at=later)) == [
            "velocity_15m"]
        much_later = now(admin_conn) + timedelta(minutes=16)
        assert rules(assess(admin_conn, sender["id"], payee["id"], "1.000", at=much_later)) == []

    def test_the_amount_in_the_window_with_this_one(self, admin_conn, sender, payee):
        pay(admin_conn, sender, payee["account_number"], "2000.000")
        pay(admin_conn, sender, payee["account_number"], "1999.999")
        assert rules(assess(admin_conn, sender["id"], payee["id"], "1000.000")) == []
        assert rules(assess(admin_conn, sender["id"], payee["id"], "1000.001")) == ["velocity_5m"]

    def test_one_large_payment_alone_is_not_velocity(self, admin_conn, sender, payee):
        pay(admin_conn, sender, payee["account_number"], "1.000")
        later = now(admin_conn) + timedelta(minutes=20)
        assert rules(assess(admin_conn, sender["id"], payee["id"], "6000.000", at=later)) == [
            "high_amount"]


class TestAgainstTheAverage:
    def test_five_times_the_average_fires_once_there_is_a_history(
            self, admin_conn, sender, payee):
        pay(admin_conn, sender, payee["account_number"], "100.000", times=2)
        assert rules(assess(admin_conn, sender["id"], payee["id"], "500.000")) == []
        pay(admin_conn, sender, payee["account_number"], "100.000")
        assert rules(assess(admin_conn, sender["id"], payee["id"], "500.000")) == [
            "amount_vs_average"]
        assert rules(assess(admin_conn, sender["id"], payee["id"], "499.999")) == []

    def test_payments_older_than_thirty_days_are_not_the_average(
            self, admin_conn, sender, payee):
        pay(admin_conn, sender, payee["account_number"], "100.000", times=3)
        month_later = now(admin_conn) + timedelta(days=31)
        assert rules(assess(admin_conn, sender["id"], payee["id"], "500.000",
                            at=month_later)) == []


class TestBeneficiaryAndSession:
    def test_a_first_payment_to_a_beneficiary(self, admin_conn, sender, payee):
        assert rules(assess(admin_conn, sender["id"], payee["id"], "10.000")) == [
            "new_beneficiary"]
        pay(admin_conn, sender, payee["account_number"], "10.000")
        assert rules(assess(admin_conn, sender["id"], payee["id"], "10.000")) == []
        # As of before that payment, it was a first payment still.
        before = now(admin_conn) - timedelta(minutes=1)
        assert rules(assess(admin_conn, sender["id"], payee["id"], "10.000", at=before)) == [
            "new_beneficiary"]

    def test_a_new_device_and_a_country_change_come_from_the_session(self, admin_conn, sender):
        fresh = session_for(admin_conn, sender["user_id"], country="JO", new_device=True)
        known = session_for(admin_conn, sender["user_id"], country="JO")
        assert rules(assess(admin_conn, sender["id"], None, "10.000", session=fresh)) == [
            "new_device"]
        assert rules(assess(admin_conn, sender["id"], None, "10.000", session=known,
                            country="DE")) == ["country_change"]
        assert rules(assess(admin_conn, sender["id"], None, "10.000", session=known,
                            country="JO")) == []
        # An unknown country, now or at login, says nothing.
        assert rules(assess(admin_conn, sender["id"], None, "10.000", session=known)) == []
        unknown = session_for(admin_conn, sender["user_id"])
        assert rules(assess(admin_conn, sender["id"], None, "10.000", session=unknown,
                            country="DE")) == []

    def test_the_login_records_whether_the_device_is_new(self, admin_conn, sender):
        def login(agent: str, country: str | None = None) -> dict[str, Any]:
            session = secrets.token_hex(16)
            query(admin_conn, "CALL sp_auth_login_succeeded(%s, %s, %s, NOW(6) + INTERVAL 1 DAY,"
                  " NOW(6) + INTERVAL 1 DAY, '10.0.0.9', %s, NULL, NULL, %s)",
                  sender["user_id"], session, secrets.token_bytes(32), agent, country)
            return query(admin_conn, "SELECT country, new_device FROM auth_sessions"
                         " WHERE id = %s", session)[0]

        assert login("phone/1", "jo") == {"country": "JO", "new_device": 0}  # nothing before
        assert login("phone/1")["new_device"] == 0
        assert login("laptop/2")["new_device"] == 1
        assert login("laptop/2")["new_device"] == 0


class TestAddressLists:
    def test_a_blacklisted_range_and_its_neighbour(self, admin_conn, sender):
        with listed(admin_conn, "blacklist", "203.0.113.0/24"):
            assert rules(assess(admin_conn, sender["id"], None, "1.000",
                                ip="203.0.113.77")) == ["blacklisted_ip"]
            assert rules(assess(admin_conn, sender["id"], None, "1.000",
                                ip="::ffff:203.0.113.77")) == ["blacklisted_ip"]
            assert rules(assess(admin_conn, sender["id"], None, "1.000", ip="203.0.114.1")) == []
            assert rules(assess(admin_conn, sender["id"], None, "1.000", ip="unknown")) == []

    def test_an_ipv6_anonymiser_range_and_a_single_address(self, admin_conn, sender):
        with listed(admin_conn, "anonymiser", "2001:db8:abcd::/48"), \
                listed(admin_conn, "anonymiser", "198.51.100.200"):
            assert rules(assess(admin_conn, sender["id"], None, "1.000",
                                ip="2001:db8:abcd:ffff::1")) == ["anonymiser_ip"]
            assert rules(assess(admin_conn, sender["id"], None, "1.000",
                                ip="2001:db8:abce::1")) == []
            assert rules(assess(admin_conn, sender["id"], None, "1.000",
                                ip="198.51.100.200")) == ["anonymiser_ip"]
            assert rules(assess(admin_conn, sender["id"], None, "1.000",
                                ip="198.51.100.201")) == []

    @pytest.mark.parametrize("network", ["203.0.113.0/33", "2001:db8::/129", "not-an-ip",
                                         "10.0.0.0/x"])
    def test_a_network_that_is_not_one_is_refused(self, admin_conn, network):
        with pytest.raises(pymysql.err.MySQLError) as caught:
            query(admin_conn, "INSERT INTO risk_ip_lists (list_kind, network) VALUES"
                  " ('blacklist', %s)", network)
        assert error_code(caught.value) == "INVALID_ARGUMENT"


class TestBands:
    def test_no_weak_signal_alone_reaches_review(self, admin_conn):
        weak = query(admin_conn, "SELECT code, points FROM risk_rules WHERE is_weak")
        assert {w["code"] for w in weak} == {"new_beneficiary", "unusual_hour", "new_device"}
        assert all(w["points"] < 30 for w in weak)
        with pytest.raises(pymysql.err.MySQLError):
            query(admin_conn, "UPDATE risk_rules SET points = 30 WHERE code = 'new_device'")

    def test_each_weak_signal_alone_approves_a_modest_payment(self, admin_conn, sender, payee):
        fresh = session_for(admin_conn, sender["user_id"], new_device=True)
        known = session_for(admin_conn, sender["user_id"])
        pay(admin_conn, sender, payee["account_number"], "50.000")
        other = open_account(admin_conn, new_user(admin_conn))
        cases = {"new_beneficiary": dict(receiver=other["id"], session=known),
                 "new_device": dict(receiver=payee["id"], session=fresh)}
        for rule, case in cases.items():
            judged = assess(admin_conn, sender["id"], case["receiver"], "50.000",
                            session=case["session"])
            assert (rules(judged), judged["level"], judged["decision"]) == (
                [rule], "LOW", "approve")
        query(admin_conn, "UPDATE users SET time_zone = %s WHERE id = %s",
              zone_for_local_hour(admin_conn, 3), sender["user_id"])
        judged = assess(admin_conn, sender["id"], payee["id"], "50.000", session=known)
        assert (rules(judged), judged["decision"]) == (["unusual_hour"], "approve")

    def test_two_weak_signals_do_what_the_bands_say(self, admin_conn, sender, payee):
        fresh = session_for(admin_conn, sender["user_id"], new_device=True)
        judged = assess(admin_conn, sender["id"], payee["id"], "50.000", session=fresh)
        assert (rules(judged), judged["points"], judged["level"], judged["decision"]) == (
            ["new_beneficiary", "new_device"], 30, "MEDIUM", "review")
        query(admin_conn, "UPDATE users SET time_zone = %s WHERE id = %s",
              zone_for_local_hour(admin_conn, 3), sender["user_id"])
        known = session_for(admin_conn, sender["user_id"])
        judged = assess(admin_conn, sender["id"], payee["id"], "50.000", session=known)
        assert (rules(judged), judged["points"], judged["level"]) == (
            ["new_beneficiary", "unusual_hour"], 25, "LOW")

    def test_high_blocks_and_the_total_is_capped(self, admin_conn, sender, payee):
        fresh = session_for(admin_conn, sender["user_id"], country="JO", new_device=True)
        with listed(admin_conn, "blacklist", "192.0.2.1"), \
                listed(admin_conn, "anonymiser", "192.0.2.1"):
            judged = assess(admin_conn, sender["id"], payee["id"], "10000.000", session=fresh,
                            ip="192.0.2.1", country="DE")
        assert judged["points"] == 150
        assert sum(hit["points"] for hit in judged["hits"]) > 150
        assert (judged["level"], judged["decision"]) == ("HIGH", "block")
        # Hits come in the rules' order, each with its reason in words.
        assert [h["rule"] for h in judged["hits"]] == [
            "very_high_amount", "new_beneficiary", "new_device", "blacklisted_ip",
            "anonymiser_ip", "country_change"]
        assert "10000 JOD" in next(h["reason"] for h in judged["hits"]
                                   if h["rule"] == "very_high_amount")

    def test_an_inactive_rule_does_not_fire(self, admin_conn, sender, payee):
        query(admin_conn, "UPDATE risk_rules SET is_active = FALSE WHERE code = 'new_beneficiary'")
        try:
            assert rules(assess(admin_conn, sender["id"], payee["id"], "10.000")) == []
        finally:
            query(admin_conn, "UPDATE risk_rules SET is_active = TRUE"
                  " WHERE code = 'new_beneficiary'")


def test_decimal_points_are_whole_numbers(admin_conn, sender, payee):
    judged = assess(admin_conn, sender["id"], payee["id"], "10.000")
    assert isinstance(judged["points"], int)
    assert Decimal(judged["points"]) == Decimal(15)
