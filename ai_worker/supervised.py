"""The supervised model: gradient boosting on the transactions whose verdict is known.

It learns from `transaction_labels` (analysts' resolutions and delayed feedback) over every
feature, the label-history ones included (a merchant's or a customer's confirmed fraud,
which per-customer anomaly features cannot see), plus the forest's calibrated score. Its
fraud probability is mapped onto the bands by fixed knots: below 10 % stays SAFE, 10 % to
50 % is SUSPICIOUS, 50 % and above CRITICAL.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier

from ai_worker.features import Array
from ai_worker.forest import CRITICAL_AT, SUSPICIOUS_AT

PROBABILITY_KNOTS = (0.0, 0.1, 0.5, 1.0)
SCORE_KNOTS = (0.0, SUSPICIOUS_AT, CRITICAL_AT, 1.0)


@dataclass
class SupervisedModel:
    """A fraud classifier over the features and the forest's score (its last column)."""

    features: tuple[str, ...]
    classifier: HistGradientBoostingClassifier
    metrics: dict[str, float] = field(default_factory=dict)

    @classmethod
    def train(cls, features: tuple[str, ...], matrix: Array, is_fraud: Array,
              seed: int = 7) -> SupervisedModel:
        classifier = HistGradientBoostingClassifier(
            max_iter=200, learning_rate=0.08, max_leaf_nodes=15, l2_regularization=1.0,
            random_state=seed)
        classifier.fit(matrix, is_fraud.astype(int))
        metrics = {"labels": float(len(is_fraud)), "fraud_labels": float(is_fraud.sum())}
        return cls(features, classifier, metrics)

    def probability(self, matrix: Array) -> Array:
        return np.asarray(self.classifier.predict_proba(matrix)[:, 1], dtype=np.float64)

    def score(self, matrix: Array) -> Array:
        return np.interp(self.probability(matrix), PROBABILITY_KNOTS, SCORE_KNOTS)
