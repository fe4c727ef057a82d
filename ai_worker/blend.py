"""One score from the rules, the forest and the supervised model, and its reasons in words.

The parts are combined as independent pieces of evidence (a "noisy OR"):
score = 1 - (1 - rules) x (1 - w x forest) x (1 - supervised), where rules is the
synchronous rule engine's points / 150 (0 when the transaction was not assessed, which
the reasons then say), and w is 1 while there is no supervised model and
FOREST_WEIGHT_WITH_SUPERVISED once there is (the supervised model already sees the
forest's score and the confirmed-fraud history). Each part is 0..1 and already means the
bands on its own, so a single strong part is enough for a verdict and agreeing parts
reinforce each other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ai_worker.features import ALL_FEATURES, BEHAVIOUR, Array, Features
from ai_worker.forest import ForestModel

RULE_POINTS_MAX = 150.0
FOREST_WEIGHT_WITH_SUPERVISED = 0.6
REASONS = 3
# A feature is a reason only when it is at least this many spreads from the usual.
REASON_FLOOR = 1.5
RULES_UNKNOWN = "rule score unknown (not assessed by the rule engine): counted as 0"
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def rule_scores(points: Array) -> Array:
    """rule_points / 150, clipped to 0..1; NaN (not assessed) counts as 0."""
    return np.where(np.isnan(points), 0.0, np.clip(points / RULE_POINTS_MAX, 0.0, 1.0))


def model_scores(forest: Array | None, supervised: Array | None) -> Array | None:
    """The models' part of the blend (no rules): what transaction_risk_scores.model_score holds."""
    if forest is None and supervised is None:
        return None
    keep = np.ones(len(forest if forest is not None else supervised))  # type: ignore[arg-type]
    if forest is not None:
        weight = 1.0 if supervised is None else FOREST_WEIGHT_WITH_SUPERVISED
        keep = keep * (1.0 - weight * forest)
    if supervised is not None:
        keep = keep * (1.0 - supervised)
    return np.asarray(1.0 - keep, dtype=np.float64)


def blend(rules: Array, models: Array | None) -> Array:
    if models is None:
        return rules.copy()
    return np.asarray(1.0 - (1.0 - rules) * (1.0 - models), dtype=np.float64)


@dataclass(frozen=True)
class _Reason:
    """A feature that can explain a score when it is far from the usual in this direction."""

    feature: str
    direction: float  # +1: unusual when high, -1: when low, 0: either way
    words: Callable[[Features, int], str]


def _value(f: Features, i: int, name: str) -> float:
    return float(f.matrix[i, ALL_FEATURES.index(name)])


def _median_words(f: Features, i: int) -> str:
    ratio = f.amount[i] / f.median[i] if f.median[i] > 0 else float("nan")
    return f"amount {ratio:.1f}x the sender's 30-day median ({f.median[i]:.2f})"


_BEHAVIOUR_REASONS = (
    _Reason("log_ratio_to_median", 1, _median_words),
    _Reason("log_amount", 1, lambda f, i: f"amount {f.amount[i]:.2f} is large for this bank"),
    _Reason("count_1h", 1, lambda f, i:
            f"{_value(f, i, 'count_1h'):.0f} payments by the sender in the hour before"),
    _Reason("count_1d", 1, lambda f, i:
            f"{_value(f, i, 'count_1d'):.0f} payments by the sender in the day before"),
    _Reason("count_7d", 1, lambda f, i:
            f"{_value(f, i, 'count_7d'):.0f} payments by the sender in the 7 days before"),
    _Reason("log_sum_1d", 1, lambda f, i:
            f"the sender paid {np.expm1(_value(f, i, 'log_sum_1d')):.2f} in the day before"),
    _Reason("log_sum_7d", 1, lambda f, i:
            f"the sender paid {np.expm1(_value(f, i, 'log_sum_7d')):.2f} in the 7 days before"),
    _Reason("log_ratio_to_mean_7d", 1, lambda f, i:
            f"amount {np.exp(_value(f, i, 'log_ratio_to_mean_7d')):.1f}x the sender's 7-day"
            " average"),
    _Reason("new_beneficiary", 1, lambda f, i: "first payment to this beneficiary in 30 days"),
    _Reason("beneficiary_count_1d", 1, lambda f, i:
            f"the beneficiary received {_value(f, i, 'beneficiary_count_1d'):.0f} payments"
            " in the day before"),
    _Reason("beneficiary_count_7d", 1, lambda f, i:
            f"the beneficiary received {_value(f, i, 'beneficiary_count_7d'):.0f} payments"
            " in the 7 days before"),
    _Reason("hour", 0, lambda f, i:
            f"made at {f.batch.hour[i]:02.0f}:00, an unusual hour"),
    _Reason("weekday", 0, lambda f, i:
            f"made on a {WEEKDAYS[int(f.batch.weekday[i])]}, an unusual day"),
    _Reason("account_age_days", -1, lambda f, i:
            f"the account was opened {_value(f, i, 'account_age_days'):.0f} days before"),
    _Reason("cross_currency", 1, lambda f, i: "a cross-currency payment"),
)


def _bound(reason: _Reason, features: Features) -> Callable[[int], str]:
    return lambda i: reason.words(features, i)


def reasons(features: Features, forest: ForestModel | None, rules: Array,
            supervised: Array | None, supervised_probability: Array | None
            ) -> list[list[str]]:
    """The top three reasons of each transaction, in words."""
    n = len(features.batch)
    texts: list[Callable[[int], str]] = []
    strengths: list[Array] = []
    if forest is not None:
        deviation = forest.reference.deviation(features.matrix[:, : len(BEHAVIOUR)])
        for reason in _BEHAVIOUR_REASONS:
            column = deviation[:, BEHAVIOUR.index(reason.feature)]
            signed = np.abs(column) if reason.direction == 0 else column * reason.direction
            strengths.append(np.where(signed >= REASON_FLOOR, signed, 0.0))
            texts.append(_bound(reason, features))
    b_fraud = features.column("beneficiary_fraud_28d")
    s_fraud = features.column("sender_fraud_14d")
    strengths.append(np.where(b_fraud > 0, 20.0 + b_fraud, 0.0))
    texts.append(lambda i: f"the beneficiary had {b_fraud[i]:.0f} confirmed fraud case(s)"
                           " in the 28 days before")
    strengths.append(np.where(s_fraud > 0, 20.0 + s_fraud, 0.0))
    texts.append(lambda i: f"the sender's account had {s_fraud[i]:.0f} confirmed fraud case(s)"
                           " in the 14 days before")
    points = features.batch.rule_points
    strengths.append(np.where(rules > 0, 10.0 * rules, 0.0))
    texts.append(lambda i: f"rules: {points[i]:.0f} of 150 points")
    if supervised is not None and supervised_probability is not None:
        strengths.append(np.where(supervised >= 0.5, 30.0 * supervised, 0.0))
        texts.append(lambda i: f"the learned model puts fraud at"
                               f" {100 * supervised_probability[i]:.0f} %")
    matrix = np.column_stack(strengths) if strengths else np.zeros((n, 0))
    top = np.argsort(-matrix, axis=1)[:, :REASONS]
    unknown = np.isnan(points)
    out: list[list[str]] = []
    for i in range(n):
        words = [texts[k](i) for k in top[i] if matrix[i, k] > 0]
        if not words:
            words = ["nothing far from the usual"]
        if unknown[i]:
            words.append(RULES_UNKNOWN)
        out.append(words)
    return out
