"""python -m ai_worker.evaluate --dataset FILE.csv: the worker measured on labelled payments.

The dataset is in the fraud handbook's format (TRANSACTION_ID, TX_DATETIME, CUSTOMER_ID,
TERMINAL_ID, TX_AMOUNT, TX_FRAUD, TX_FRAUD_SCENARIO). It is imported into a fresh
throwaway database through the historical import (scripts.import_transactions), and the
worker scores it twice, in time order, batch by batch as it would live:

- without feedback: no label is ever known; lines `rules`, `forest`, `blend`;
- with feedback (`blend+feedback`): the true labels of a random half of the customers (the
  learning half) become known 7 days after each transaction (transaction_labels rows, source
  'feedback', labelled_at = created_at + 7 days), as in the handbook's protocol. Features
  and training only ever use labels known by then.

Every line is measured on the other half of the customers only, whom the learning loop
never saw a label of: ROC AUC, average precision, recall when the top 1 % of scores are
alerted, the CRITICAL rate (score >= 0.8) on genuine payments, and recall at that 1 % per
fraud scenario (1: amount over 220, 2: a compromised terminal, 3: a compromised customer).

    python -m ai_worker.evaluate --dataset FILE.csv [--limit N] [--seed 1]
"""

from __future__ import annotations

import argparse
import csv
import logging
import secrets
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import average_precision_score, roc_auc_score

from ai_worker.scoring import Scored
from ai_worker.worker import RiskWorker
from api.config import DatabaseAddress, Settings, get_settings
from scripts.db_connection import connect, tuple_cursor
from scripts.dbserver import resolve_admin_url
from scripts.migrate import drop_database, migrate

LABEL_DELAY = timedelta(days=7)
ALERT_RATE = 0.01
SCENARIOS = (1, 2, 3)


@dataclass(frozen=True)
class Truth:
    """What the dataset says of each imported payment (by bank transaction id)."""

    ids: np.ndarray
    is_fraud: np.ndarray
    scenario: np.ndarray
    customer: np.ndarray


@dataclass
class Line:
    """One model's figures on the held-out customers."""

    name: str
    metrics: dict[str, float]

    def render(self) -> str:
        return f"{self.name:<15}" + " ".join(f"{k}={v:.3f}" for k, v in self.metrics.items())


def read_truth(path: Path, mapping: Any) -> Truth:
    ids, fraud, scenario, customer = [], [], [], []
    with path.open(newline="") as handle:
        for row in csv.DictReader(handle):
            source = int(row["TRANSACTION_ID"])
            if source not in mapping:
                continue
            ids.append(mapping[source])
            fraud.append(int(row["TX_FRAUD"]))
            scenario.append(int(row["TX_FRAUD_SCENARIO"]))
            customer.append(int(row["CUSTOMER_ID"]))
    order = np.argsort(ids)
    return Truth(np.array(ids)[order], np.array(fraud)[order], np.array(scenario)[order],
                 np.array(customer)[order])


def metrics(truth: Truth, scores: np.ndarray, mask: np.ndarray) -> dict[str, float]:
    y, s, scen = truth.is_fraud[mask], scores[mask], truth.scenario[mask]
    cut = np.quantile(s, 1 - ALERT_RATE)
    alerted = s >= cut if np.any(s > cut) else s > cut
    out = {
        "roc_auc": float(roc_auc_score(y, s)) if 0 < y.sum() < len(y) else float("nan"),
        "ap": float(average_precision_score(y, s)) if y.sum() else float("nan"),
        "recall_at_1pct": float(alerted[y == 1].mean()) if y.sum() else float("nan"),
        "critical_genuine": float((s[y == 0] >= 0.8).mean()),
    }
    for k in SCENARIOS:
        hit = scen == k
        out[f"recall_s{k}"] = float(alerted[hit].mean()) if hit.any() else float("nan")
    return out


class Collector:
    """Keeps each scored transaction's parts (rules, forest, blend) as the worker goes."""

    def __init__(self) -> None:
        self.parts: dict[int, tuple[float, float, float]] = {}

    def __call__(self, scored: Scored) -> None:
        forest = scored.forest if scored.forest is not None else np.zeros(len(scored.ids))
        for i, transaction_id in enumerate(scored.ids):
            rules = scored.records[i][2] or 0.0
            self.parts[int(transaction_id)] = (float(rules), float(forest[i]),
                                               float(scored.score[i]))

    def column(self, ids: np.ndarray, part: int) -> np.ndarray:
        return np.array([self.parts.get(int(i), (0.0, 0.0, 0.0))[part] for i in ids])


def reset(conn: Any) -> None:
    """Forget scores, alerts, models and labels: the next run starts from nothing."""
    with tuple_cursor(conn) as cur:
        for statement in ("DELETE FROM notifications WHERE kind = 'fraud.critical'",
                          "DELETE FROM fraud_alerts", "DELETE FROM transaction_risk_scores",
                          "DELETE FROM transaction_labels", "DELETE FROM risk_models",
                          "UPDATE accounts SET status = 'active' WHERE status = 'frozen'"):
            cur.execute(statement)


def reveal_labels(conn: Any, truth: Truth, learning: np.ndarray) -> int:
    """Feedback labels of the learning customers' payments, known 7 days after each."""
    rows = [(int(i), int(f)) for i, f in zip(truth.ids[learning], truth.is_fraud[learning],
                                             strict=True)]
    with tuple_cursor(conn) as cur:
        for start in range(0, len(rows), 5000):
            chunk = rows[start:start + 5000]
            cur.executemany(
                "INSERT INTO transaction_labels (transaction_id, is_fraud, source, labelled_at)"
                " SELECT id, %s, 'feedback', created_at + INTERVAL 7 DAY FROM transactions"
                " WHERE id = %s", [(f, i) for i, f in chunk])
    return len(rows)


def score_all(settings: Settings, address: DatabaseAddress, batch: int) -> Collector:
    collector = Collector()
    worker = RiskWorker(settings, address, batch_size=batch)
    worker.on_scored = collector
    try:
        worker.run(backfill=True)
    finally:
        worker.close()
    return collector


def evaluate(dataset: Path, *, limit: int | None = None, seed: int = 1, batch: int = 1000,
             admin_url: str | None = None, progress: bool = True) -> list[Line]:
    """Import `dataset` into a throwaway database, score it twice, return the table."""
    from scripts.import_transactions import import_file

    admin_url = admin_url or resolve_admin_url()
    name = f"bank_eval_{secrets.token_hex(4)}"
    migrate(admin_url, database=name)
    admin = DatabaseAddress.from_url(admin_url).with_database(name)
    base = get_settings()
    try:
        conn = connect(admin)
        try:
            with tuple_cursor(conn) as cur:
                cur.execute("UPDATE bank_settings SET fraud_critical_action = 'alert'")
            mapping = import_file(admin, str(dataset), limit=limit, progress=progress)
            truth = read_truth(dataset, mapping)
            rng = np.random.default_rng(seed)
            customers = np.unique(truth.customer)
            learning_customers = set(rng.choice(customers, size=len(customers) // 2,
                                                replace=False).tolist())
            learning = np.array([c in learning_customers for c in truth.customer])
            held_out = ~learning
            worker_address = admin.as_role("bank_worker", base.worker_db_password)
            with tempfile.TemporaryDirectory() as models:
                settings = base.model_copy(update={
                    "worker_model_dir": Path(models) / "plain",
                    "worker_retrain_hours": 7 * 24.0})
                plain = score_all(settings, worker_address, batch)
                reset(conn)
                reveal_labels(conn, truth, learning)
                settings = settings.model_copy(update={"worker_model_dir": Path(models) / "fb"})
                feedback = score_all(settings, worker_address, batch)
        finally:
            conn.close()
    finally:
        drop_database(admin_url, name)
    return [
        Line("rules", metrics(truth, plain.column(truth.ids, 0), held_out)),
        Line("forest", metrics(truth, plain.column(truth.ids, 1), held_out)),
        Line("blend", metrics(truth, plain.column(truth.ids, 2), held_out)),
        Line("blend+feedback", metrics(truth, feedback.column(truth.ids, 2), held_out)),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ai_worker.evaluate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", type=Path, required=True)
    parser.add_argument("--limit", type=int, help="the first N rows of the file only")
    parser.add_argument("--seed", type=int, default=1, help="which half of the customers learns")
    parser.add_argument("--batch-size", type=int, default=1000)
    args = parser.parse_args(argv)
    logging.basicConfig(level="WARNING")
    lines = evaluate(args.dataset, limit=args.limit, seed=args.seed, batch=args.batch_size)
    sys.stdout.write("\n".join(line.render() for line in lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
