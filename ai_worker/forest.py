"""The Isolation Forest and its calibration to the verdict bands.

A raw anomaly score (the original paper's s(x, n), 0..1, higher is stranger) means little
by itself: on payment data it rarely passes 0.8, and a fixed 0.5 cut flags anywhere from
4 to 37 % of traffic. So the forest's score is calibrated on its training window, its
reference: a transaction's raw score is turned into its quantile among the reference's
raw scores, and the quantile is mapped piecewise linearly onto the bands so that the
stranger `suspicious_share` of the reference scores 0.5 or more (SUSPICIOUS) and the
strangest `critical_share` 0.8 or more (CRITICAL). A raw score above everything in the
reference scores 1.0. The bands therefore mean "as strange as the top 2 % / 0.1 % of what
this bank saw in the window" (the defaults, BANK_WORKER_SUSPICIOUS_SHARE and
BANK_WORKER_CRITICAL_SHARE).

An Isolation Forest barely notices a value far out in one feature among fifteen (a split
on that feature is seldom drawn before the tree's depth runs out), so the forest's score
is paired with a second, per-feature measure: the largest distance of any feature from the
reference's median, in units of its spread, in the direction that is unusual. Each is
turned into its quantile in the reference, the larger of the two quantiles is taken, and
that is calibrated (again on the reference) onto the bands: the shares above hold for the
pair, and a payment 1,000 times the usual amount scores CRITICAL.

Reasons: each feature's distance from the reference's median in units of its spread
(interquartile range, or its standard deviation for features that are mostly one value),
signed in the direction that is unusual; the three largest are named.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sklearn.ensemble import IsolationForest

from ai_worker.features import DIRECTION, Array

SUSPICIOUS_AT = 0.5  # the verdict bands sp_record_risk_scores applies to a score
CRITICAL_AT = 0.8
# Quantile levels stored for the calibration: fine in the tail, where the bands are.
_LEVELS = np.unique(np.concatenate([
    np.linspace(0.0, 0.9, 91),
    np.linspace(0.9, 0.99, 91),
    np.linspace(0.99, 1.0, 201),
]))


@dataclass
class Calibration:
    """Raw score -> quantile in the reference -> banded score."""

    raw_knots: Array  # raw scores at _LEVELS
    levels: Array
    suspicious_share: float
    critical_share: float

    @classmethod
    def fit(cls, raw: Array, suspicious_share: float, critical_share: float) -> Calibration:
        knots = np.quantile(raw, _LEVELS)
        return cls(np.maximum.accumulate(knots), _LEVELS.copy(), suspicious_share, critical_share)

    def quantile(self, raw: Array) -> Array:
        return np.interp(raw, self.raw_knots, self.levels, left=0.0, right=1.0)

    def score(self, raw: Array) -> Array:
        q = self.quantile(raw)
        s_at, c_at = 1.0 - self.suspicious_share, 1.0 - self.critical_share
        return np.interp(q, [0.0, s_at, c_at, 1.0], [0.0, SUSPICIOUS_AT, CRITICAL_AT, 1.0])


@dataclass
class Reference:
    """Where each feature sits in the training window: its median and spread."""

    median: Array
    spread: Array

    @classmethod
    def fit(cls, matrix: Array) -> Reference:
        median = np.median(matrix, axis=0)
        q1, q3 = np.quantile(matrix, [0.25, 0.75], axis=0)
        spread = q3 - q1
        std = matrix.std(axis=0)
        spread = np.where(spread > 0, spread, np.where(std > 0, std, 1.0))
        return cls(median, spread)

    def deviation(self, matrix: Array) -> Array:
        """Signed distance from the median in spreads (positive: above)."""
        return (matrix - self.median) / self.spread

    def extremity(self, matrix: Array, directions: Array) -> Array:
        """Each row's largest distance from the usual, in the direction that is unusual."""
        deviation = self.deviation(matrix)
        signed = np.where(directions == 0, np.abs(deviation), deviation * directions)
        return np.asarray(signed.max(axis=1), dtype=np.float64)


@dataclass
class ForestModel:
    """An Isolation Forest over the behaviour features, with its calibration."""

    features: tuple[str, ...]
    forest: IsolationForest
    reference: Reference
    directions: Array
    forest_quantiles: Calibration  # raw forest score -> quantile in the reference
    extremity_quantiles: Calibration  # largest feature deviation -> quantile
    calibration: Calibration  # the larger quantile -> banded score
    metrics: dict[str, float] = field(default_factory=dict)

    @classmethod
    def train(cls, features: tuple[str, ...], matrix: Array, *, suspicious_share: float,
              critical_share: float, seed: int = 7) -> ForestModel:
        forest = IsolationForest(n_estimators=100, max_samples=min(512, len(matrix)),
                                 random_state=seed, n_jobs=1)
        forest.fit(matrix)
        raw = -forest.score_samples(matrix)
        reference = Reference.fit(matrix)
        directions = np.array([DIRECTION.get(name, 0) for name in features], dtype=np.float64)
        extremity = reference.extremity(matrix, directions)
        forest_quantiles = Calibration.fit(raw, suspicious_share, critical_share)
        extremity_quantiles = Calibration.fit(extremity, suspicious_share, critical_share)
        pair = np.maximum(forest_quantiles.quantile(raw), extremity_quantiles.quantile(extremity))
        calibration = Calibration.fit(pair, suspicious_share, critical_share)
        banded = calibration.score(pair)
        metrics = {
            "suspicious_or_above_share": float(np.mean(banded >= SUSPICIOUS_AT)),
            "critical_share": float(np.mean(banded >= CRITICAL_AT)),
            "raw_p50": float(np.quantile(raw, 0.5)),
            "raw_p99": float(np.quantile(raw, 0.99)),
            "raw_max": float(raw.max()),
        }
        return cls(features, forest, reference, directions, forest_quantiles,
                   extremity_quantiles, calibration, metrics)

    def raw(self, matrix: Array) -> Array:
        return np.asarray(-self.forest.score_samples(matrix), dtype=np.float64)

    def score(self, matrix: Array) -> Array:
        """Calibrated scores, 0..1, for a whole batch at once."""
        pair = np.maximum(
            self.forest_quantiles.quantile(self.raw(matrix)),
            self.extremity_quantiles.quantile(self.reference.extremity(matrix, self.directions)))
        return self.calibration.score(pair)
