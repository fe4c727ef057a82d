"""Scoring a batch with the models at hand, and training them from what the bank has seen."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from ai_worker import blend, features
from ai_worker.features import ALL_FEATURES, BEHAVIOUR, Array, Features
from ai_worker.forest import ForestModel
from ai_worker.store import ModelStore, Saved
from ai_worker.supervised import PROBABILITY_KNOTS, SCORE_KNOTS, SupervisedModel
from api.config import Settings
from scripts.db_connection import tuple_cursor

RULES_ONLY = "rules-only"
SUPERVISED_FEATURES = (*ALL_FEATURES, "forest_score")
CHUNK = 5000  # training rows are featurised this many at a time
_SCORABLE = f"t.status IN {features.POSTED!r} AND t.type IN {features.SCORED_TYPES!r}"


@dataclass
class Scored:
    """A batch's scores and the record each transaction gets (sp_record_risk_scores)."""

    ids: list[int]
    score: Array
    forest: Array | None
    supervised: Array | None
    version: str = ""
    records: list[list[Any]] = field(default_factory=list)

    def payload(self) -> str:
        """sp_record_risk_scores' rows: [id, score, rule score, model score, reasons]."""
        return json.dumps(self.records, separators=(",", ":"))


@dataclass
class Scorer:
    """The models in use; scores whole batches (no per-row model call)."""

    forest: Saved | None = None
    supervised: Saved | None = None
    rule_points: bool = False

    @property
    def version(self) -> str:
        if self.forest is None:
            return RULES_ONLY
        if self.supervised is None:
            return self.forest.version
        return f"{self.forest.version}+{self.supervised.version.split('-', 1)[1]}"[:64]

    def score(self, feats: Features) -> Scored:
        rules = blend.rule_scores(feats.batch.rule_points)
        forest_model: ForestModel | None = self.forest.model if self.forest else None
        forest = forest_model.score(feats.behaviour()) if forest_model is not None else None
        supervised = probability = None
        if self.supervised is not None and forest is not None:
            model: SupervisedModel = self.supervised.model
            matrix = np.column_stack([feats.matrix, forest])
            probability = model.probability(matrix)
            supervised = np.interp(probability, PROBABILITY_KNOTS, SCORE_KNOTS)
        models = blend.model_scores(forest, supervised)
        score = blend.blend(rules, models)
        reasons = blend.reasons(feats, forest_model, rules, supervised, probability)
        ids = feats.batch.ids.tolist()
        known = ~np.isnan(feats.batch.rule_points)
        version = self.version
        records = [
            [int(ids[i]), round(float(score[i]), 4),
             round(float(rules[i]), 4) if known[i] else None,
             round(float(models[i]), 4) if models is not None else None, reasons[i]]
            for i in range(len(ids))
        ]
        return Scored(ids, score, forest, supervised, version, records)


class Trainer:
    """Trains the forest on recent traffic and the supervised model on known labels."""

    def __init__(self, settings: Settings, store: ModelStore) -> None:
        self.settings = settings
        self.store = store

    def enough_for_forest(self, conn: Any, until: datetime) -> bool:
        rows = _fetch(conn, f"SELECT COUNT(*) FROM (SELECT 1 FROM transactions t WHERE {_SCORABLE}"
                      " AND t.created_at <= %s LIMIT %s) x",
                      (until, self.settings.worker_min_training_rows))
        return int(rows[0][0]) >= self.settings.worker_min_training_rows

    def train_forest(self, conn: Any, until: datetime, *, rule_points: bool) -> Saved:
        rows = features.read_rows(
            conn, f"FROM (SELECT * FROM transactions t WHERE {_SCORABLE} AND t.created_at <= %s"
            " ORDER BY t.created_at DESC, t.id DESC LIMIT %s) t",
            (until, self.settings.worker_training_rows))
        matrix = np.vstack([f.behaviour() for f in _featurise(conn, rows, rule_points)])
        model = ForestModel.train(BEHAVIOUR, matrix,
                                  suspicious_share=self.settings.worker_suspicious_share,
                                  critical_share=self.settings.worker_critical_share)
        return self.store.save(conn, "forest", model, features=BEHAVIOUR,
                               window_from=features.to_datetime(int(rows[:, 5].min())),
                               window_to=features.to_datetime(int(rows[:, 5].max())),
                               rows=len(rows), fraud_labels=None, metrics=model.metrics)

    def labels_known(self, conn: Any, until: datetime) -> tuple[int, int]:
        rows = _fetch(conn, "SELECT COUNT(*), IFNULL(SUM(is_fraud), 0) FROM transaction_labels"
                      " WHERE labelled_at <= %s", (until,))
        return int(rows[0][0]), int(rows[0][1])

    def enough_for_supervised(self, conn: Any, until: datetime) -> bool:
        labels, frauds = self.labels_known(conn, until)
        return (labels >= self.settings.worker_min_labels
                and frauds >= self.settings.worker_min_fraud_labels)

    def train_supervised(self, conn: Any, until: datetime, forest: Saved, *,
                         rule_points: bool) -> Saved | None:
        labelled = (f"FROM (SELECT t.*, l.is_fraud FROM transaction_labels l JOIN transactions t"
                    f" ON t.id = l.transaction_id WHERE l.labelled_at <= %s AND {_SCORABLE}"
                    " ORDER BY l.labelled_at DESC LIMIT %s) t")
        args = (until, self.settings.worker_training_rows * 2)
        rows = features.read_rows(conn, labelled, args)
        if len(rows) == 0:
            return None
        ids, frauds = features._columns(conn, ("t.id", "t.is_fraud"), labelled, args)
        labels = dict(zip(ids.astype(np.int64).tolist(), frauds.tolist(), strict=True))
        parts, targets = [], []
        forest_model: ForestModel = forest.model
        for feats in _featurise(conn, rows, rule_points):
            score = forest_model.score(feats.behaviour())
            parts.append(np.column_stack([feats.matrix, score]))
            targets.append(np.array([labels[int(i)] for i in feats.batch.ids]))
        y = np.concatenate(targets) if targets else np.zeros(0)
        if len(np.unique(y)) < 2:
            return None
        model = SupervisedModel.train(SUPERVISED_FEATURES, np.vstack(parts), y)
        return self.store.save(conn, "supervised", model, features=SUPERVISED_FEATURES,
                               window_from=features.to_datetime(int(rows[:, 5].min())),
                               window_to=features.to_datetime(int(rows[:, 5].max())),
                               rows=len(rows), fraud_labels=int(y.sum()), metrics=model.metrics)


def _featurise(conn: Any, rows: Array, rule_points: bool) -> Iterator[Features]:
    for start in range(0, len(rows), CHUNK):
        batch = features.load_batch(conn, rows[start:start + CHUNK], rule_points=rule_points)
        yield features.build(conn, batch)


def _fetch(conn: Any, sql: str, args: Sequence[Any]) -> list[tuple[Any, ...]]:
    with tuple_cursor(conn) as cur:
        cur.execute(sql, tuple(args))
        return list(cur.fetchall())
