"""Features, calibration, the model store, and a whole score from traffic to a freeze."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta

import numpy as np
import pytest

from ai_worker import features
from ai_worker.features import ALL_FEATURES, BEHAVIOUR, _Events, _median_before
from ai_worker.forest import CRITICAL_AT, SUSPICIOUS_AT, ForestModel
from ai_worker.store import ModelStore
from scripts.db_connection import connect
from tests.support.ledger import query
from tests.support.traffic import make_traffic, open_customers, pay


def test_windows_count_only_what_came_strictly_before():
    keys = np.array([1, 1, 1, 2, 1], dtype=np.int64)
    times = np.array([0.0, 3000.0, 3599.0, 3500.0, 3600.0])
    values = np.array([10.0, 20.0, 30.0, 99.0, 40.0])
    events = _Events(keys, times, values)
    count, total = events.window(np.array([1, 1, 2, 3], dtype=np.int64),
                                 np.array([3600.0, 3599.0, 3600.0, 3600.0]), 3600.0)
    # key 1 at t=3600: events at 0, 3000, 3599 (not the one at 3600 itself).
    assert count.tolist() == [3.0, 2.0, 1.0, 0.0]
    assert total.tolist() == [60.0, 30.0, 99.0, 0.0]
    medians = _median_before(keys, times, values, 3550.0, np.array([1, 2, 5], dtype=np.int64))
    assert medians[0] == 15.0
    assert medians[1] == 99.0
    assert np.isnan(medians[2])


def synthetic(rows: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.column_stack([rng.normal(3.7, 0.6, rows), rng.integers(0, 24, rows),
                            rng.poisson(2, rows), rng.exponential(1.0, rows)])


def test_calibration_puts_the_documented_shares_of_ordinary_traffic_in_each_band():
    names = ("a", "b", "c", "d")
    model = ForestModel.train(names, synthetic(20_000, 1), suspicious_share=0.02,
                              critical_share=0.001)
    # Raw anomaly scores of ordinary rows sit far below 0.8; calibrated, the bands hold.
    assert model.metrics["raw_p99"] < 0.8
    fresh = model.score(synthetic(20_000, 2))  # unseen rows of the same traffic
    assert 0.01 <= float(np.mean(fresh >= SUSPICIOUS_AT)) <= 0.04
    assert float(np.mean(fresh >= CRITICAL_AT)) <= 0.004
    assert float(np.median(fresh)) < 0.3
    outlier = np.array([[9.0, 3, 40, 25.0]])
    assert model.score(outlier)[0] >= CRITICAL_AT


def test_models_are_versioned_on_disk_logged_and_reloaded(tmp_path, risk_db, worker_address):
    store = ModelStore(tmp_path / "models")
    matrix = synthetic(2000, 3)
    model = ForestModel.train(("a", "b", "c", "d"), matrix, suspicious_share=0.02,
                              critical_share=0.001)
    conn = connect(worker_address)
    try:
        start = datetime(2026, 1, 1)
        first = store.save(conn, "forest", model, features=("a", "b", "c", "d"),
                           window_from=start, window_to=start + timedelta(days=1), rows=2000,
                           fraud_labels=None, metrics=model.metrics)
        second = store.save(conn, "forest", model, features=("a", "b", "c", "d"),
                            window_from=start, window_to=start + timedelta(days=2), rows=2000,
                            fraud_labels=None, metrics=model.metrics)
        assert first.version != second.version
        loaded = store.latest(conn, "forest")
        assert loaded is not None
        assert loaded.version == second.version
        assert loaded.features == ("a", "b", "c", "d")
        assert loaded.rows == 2000
        assert np.array_equal(loaded.model.score(matrix[:50]), model.score(matrix[:50]))
        # A directory that lacks the newest file falls back to one it has.
        (tmp_path / "models" / f"{second.version}.joblib").unlink()
        fallback = store.latest(conn, "forest")
        assert fallback is not None
        assert fallback.version == first.version
    finally:
        conn.close()
    admin = connect(risk_db, dict_rows=True)
    try:
        logged = query(admin, "SELECT version, kind, training_rows, features, window_to"
                       " FROM risk_models ORDER BY version")
    finally:
        admin.close()
    assert [r["version"] for r in logged] == sorted([first.version, second.version])
    assert json.loads(logged[0]["features"]) == ["a", "b", "c", "d"]
    assert logged[1]["window_to"] == start + timedelta(days=2)


@pytest.mark.slow
def test_an_outlier_payment_is_scored_critical_and_freezes_the_sender(risk_admin, make_worker):
    traffic = make_traffic(risk_admin, customers=10, merchants=20, payments=3000)
    worker = make_worker(batch_size=1000, worker_min_training_rows=1000)
    worker.run(backfill=True)
    worker.maybe_train()
    assert worker.scorer.forest is not None
    ordinary = query(risk_admin, "SELECT verdict, COUNT(*) AS n FROM transaction_risk_scores"
                     " WHERE model_version LIKE 'forest-%%' GROUP BY verdict")
    shares = {r["verdict"]: r["n"] for r in ordinary}
    assert shares.get("CRITICAL", 0) <= 0.01 * sum(shares.values())
    # A customer who pays like the others, then 10,000 times as much to a shop.
    thief = open_customers(risk_admin, 1, funds="700000")[0]
    pay(risk_admin, thief, traffic.merchants, [40.0, 35.0], random.Random(5))
    pay(risk_admin, thief, traffic.merchants[-1:], [600_000.0], random.Random(5))
    assert worker.step().critical >= 1
    worst = query(risk_admin, "SELECT s.verdict, s.reasons, a.action_taken FROM"
                  " transaction_risk_scores s JOIN fraud_alerts a USING (transaction_id)"
                  " JOIN transactions t ON t.id = s.transaction_id"
                  " WHERE t.amount = 600000 AND t.type = 'transfer'")[0]
    assert worst["verdict"] == "CRITICAL"
    assert worst["action_taken"] == "freeze"
    assert any("amount" in reason for reason in json.loads(worst["reasons"])), worst["reasons"]
    assert query(risk_admin, "SELECT status FROM accounts WHERE id = %s",
                 thief["id"])[0]["status"] == "frozen"


def test_feature_columns_are_the_documented_ones():
    assert ALL_FEATURES[: len(BEHAVIOUR)] == BEHAVIOUR
    assert features.SCORED_TYPES == ("deposit", "withdrawal", "transfer", "bill_payment")
