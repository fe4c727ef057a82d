"""Features of a whole batch of transactions at once: a few SQL reads, then numpy.

Every window is relative to each transaction's own `created_at` and looks only backwards
(strictly before it), and a fraud label counts only from its `labelled_at`: a backfill,
a backtest and the live worker build the same features for the same transaction.

The party of a transaction is the customer account it concerns: the sender when money
leaves a customer account, else the receiver (a cash deposit). The beneficiary is the
other side when it is a customer account (a merchant), else none (the bank's own GL).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import numpy.typing as npt

from scripts.db_connection import tuple_cursor

Array = npt.NDArray[np.float64]

# Times inside a batch's look-back are packed as microseconds in 44 bits (203 days).
TIME_BITS = 44
TIME_LIMIT = 1 << TIME_BITS
HOUR = 3600.0
DAY = 86400.0
HISTORY = timedelta(days=30)  # how far back the sender's history (and median) reaches
BENEFICIARY_FRAUD_DAYS = 28  # a compromised merchant stays suspect this long
SENDER_FRAUD_DAYS = 14
SCORED_TYPES = ("deposit", "withdrawal", "transfer", "bill_payment")
EPOCH = datetime(1970, 1, 1)
# Times and amounts come back as numbers (a DATETIME or DECIMAL costs the driver far more).
MICROS = "TIMESTAMPDIFF(MICROSECOND, '1970-01-01', {})"
# The columns of a transaction to score, as sp_claim_risk_batch returns them (numbers only).
CLAIM_COLUMNS = (
    "t.id", "t.amount", "IFNULL(t.from_account_id, 0)", "IFNULL(t.to_account_id, 0)",
    "IF(t.target_currency IS NOT NULL AND t.target_currency <> t.currency, 1, 0)",
    MICROS.format("t.created_at"),
)
POSTED = ("completed", "reversed")

# Column order of the feature matrix; the forest uses BEHAVIOUR, the supervised model all.
BEHAVIOUR = (
    "log_amount",
    "hour",
    "weekday",
    "count_1h",
    "count_1d",
    "count_7d",
    "log_sum_1d",
    "log_sum_7d",
    "log_ratio_to_median",
    "log_ratio_to_mean_7d",
    "new_beneficiary",
    "beneficiary_count_1d",
    "beneficiary_count_7d",
    "account_age_days",
    "cross_currency",
)
# Which way each behaviour feature is unusual: +1 when high, -1 when low, 0 either way.
DIRECTION = {
    "log_amount": 1, "hour": 0, "weekday": 0, "count_1h": 1, "count_1d": 1, "count_7d": 1,
    "log_sum_1d": 1, "log_sum_7d": 1, "log_ratio_to_median": 1, "log_ratio_to_mean_7d": 1,
    "new_beneficiary": 1, "beneficiary_count_1d": 1, "beneficiary_count_7d": 1,
    "account_age_days": -1, "cross_currency": 1,
}
HISTORY_OF_LABELS = ("beneficiary_fraud_28d", "sender_fraud_14d")
ALL_FEATURES = BEHAVIOUR + HISTORY_OF_LABELS


@dataclass(frozen=True)
class Batch:
    """Claimed transactions, as columns (one entry per transaction, in claim order)."""

    ids: npt.NDArray[np.int64]
    created_us: npt.NDArray[np.int64]  # created_at, microseconds since 1970-01-01
    amount: Array
    party: npt.NDArray[np.int64]  # 0: none
    beneficiary: npt.NDArray[np.int64]  # 0: none (the bank's own account)
    cross_currency: Array
    rule_points: Array  # NaN: not assessed by the rules

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def hour(self) -> Array:
        return np.asarray((self.created_us // 3_600_000_000) % 24, dtype=np.float64)

    @property
    def weekday(self) -> Array:
        """Monday 0 .. Sunday 6 (1970-01-01 was a Thursday)."""
        return np.asarray((self.created_us // 86_400_000_000 + 3) % 7, dtype=np.float64)

    def first(self) -> datetime:
        return to_datetime(int(self.created_us.min()))

    def last(self) -> datetime:
        return to_datetime(int(self.created_us.max()))


def to_datetime(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=micros)


@dataclass(frozen=True)
class Features:
    """The feature matrix of a batch (ALL_FEATURES order) and the figures reasons quote."""

    batch: Batch
    matrix: Array
    amount: Array
    median: Array  # the sender's median over the 30 days before (NaN: no history)

    def column(self, name: str) -> Array:
        return self.matrix[:, ALL_FEATURES.index(name)]

    def behaviour(self) -> Array:
        return self.matrix[:, : len(BEHAVIOUR)]


def _columns(conn: Any, expressions: Sequence[str], rest: str, args: Sequence[Any]
             ) -> list[Array]:
    """Numeric columns of a query, read as one GROUP_CONCAT string and parsed by numpy.

    A driver reading tens of thousands of rows one by one is the slowest part of a batch;
    one long string is not. Over max_allowed_packet the server returns NULL: then rows.
    """
    width = len(expressions)
    flat = "CONCAT_WS(',', " + ", ".join(expressions) + ")"
    rows = _fetch(conn, f"SELECT COUNT(*), GROUP_CONCAT({flat} SEPARATOR ',') {rest}", args)
    count, text = int(rows[0][0]), rows[0][1]
    if count == 0:
        return [np.zeros(0) for _ in range(width)]
    if text is None:
        fetched = _fetch(conn, f"SELECT {', '.join(expressions)} {rest}", args)
        values = np.array(fetched, dtype=np.float64).reshape(-1, width)
    else:
        values = np.fromstring(text, dtype=np.float64, sep=",").reshape(-1, width)
    if len(values) != count:
        raise RuntimeError(f"read {len(values)} of {count} rows")
    return [values[:, k] for k in range(width)]


def _fetch(conn: Any, sql: str, args: Sequence[Any]) -> list[tuple[Any, ...]]:
    with tuple_cursor(conn) as cur:
        cur.execute(sql, tuple(args))
        return list(cur.fetchall())


def has_rule_points(conn: Any) -> bool:
    """Whether transactions carry the synchronous rule score (rule_points) yet."""
    rows = _fetch(conn, "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA ="
                  " DATABASE() AND TABLE_NAME = 'transactions' AND COLUMN_NAME = 'rule_points'", ())
    return bool(rows[0][0])


def parse_rows(text: str | None, count: int) -> Array:
    """sp_claim_risk_batch's `rows` text as a (count x 6) matrix of CLAIM_COLUMNS."""
    if count == 0 or text is None:
        return np.zeros((0, len(CLAIM_COLUMNS)))
    table = np.fromstring(text, dtype=np.float64, sep=",").reshape(-1, len(CLAIM_COLUMNS))
    if len(table) != count:
        raise RuntimeError(f"read {len(table)} of {count} claimed rows")
    return table


def read_rows(conn: Any, rest: str, args: Sequence[Any]) -> Array:
    """Transactions to score (CLAIM_COLUMNS of `FROM ... t`), in id order."""
    table = np.column_stack(_columns(conn, CLAIM_COLUMNS, rest, args))
    return table[np.argsort(table[:, 0], kind="stable")] if len(table) else table


def load_batch(conn: Any, table: Array, *, rule_points: bool) -> Batch:
    """The batch of rows `table` (CLAIM_COLUMNS), with each side's account kind."""
    ids = table[:, 0].astype(np.int64)
    sender, receiver = table[:, 2].astype(np.int64), table[:, 3].astype(np.int64)
    accounts = tuple({int(a) for a in np.concatenate([sender, receiver]) if a})
    customers: set[int] = set()
    if accounts:
        customers = {int(a) for (a,) in _fetch(
            conn, "SELECT id FROM accounts WHERE kind = 'customer' AND id IN %s", (accounts,))}
    points = np.full(len(ids), np.nan)
    if rule_points and len(ids):
        known = dict(_fetch(conn, "SELECT id, rule_points FROM transactions WHERE id IN %s"
                                  " AND rule_points IS NOT NULL", (tuple(ids.tolist()),)))
        points = np.array([float(known[i]) if i in known else np.nan for i in ids.tolist()])
    is_customer = np.vectorize(customers.__contains__, otypes=[bool])
    sender_is_customer = is_customer(sender) if len(ids) else np.zeros(0, dtype=bool)
    party = np.where(sender_is_customer, sender, receiver)
    other = np.where(sender_is_customer, receiver, 0)
    beneficiary = np.where(is_customer(other) if len(ids) else other > 0, other, 0)
    return Batch(ids=ids, created_us=table[:, 5].astype(np.int64),
                 amount=table[:, 1].astype(np.float64), party=party.astype(np.int64),
                 beneficiary=beneficiary.astype(np.int64), cross_currency=table[:, 4].copy(),
                 rule_points=points)


class _Events:
    """Timed events per key, answering "how many / how much in [t - w, t)" for many (key, t).

    Keys and times are packed into one sorted int64 (the key's rank above the time in
    microseconds), so every query of a batch is one searchsorted.
    """

    def __init__(self, keys: npt.NDArray[np.int64], times: Array, values: Array) -> None:
        self.unique = np.unique(keys)
        packed = self._pack(np.searchsorted(self.unique, keys), times)
        order = np.argsort(packed, kind="stable")
        self.packed = packed[order]
        self.cumulative = np.concatenate(([0.0], np.cumsum(values[order])))

    @staticmethod
    def _pack(ranks: npt.NDArray[np.int64], times: Array) -> npt.NDArray[np.int64]:
        micros = np.clip(np.round(times * 1e6), 0, TIME_LIMIT - 1).astype(np.int64)
        return (ranks.astype(np.int64) << TIME_BITS) | micros

    def window(self, keys: npt.NDArray[np.int64], times: Array, width: float
               ) -> tuple[Array, Array]:
        """(count, sum of values) of each key's events in [time - width, time)."""
        if len(self.unique) == 0:
            return np.zeros(len(keys)), np.zeros(len(keys))
        rank = np.clip(np.searchsorted(self.unique, keys), 0, len(self.unique) - 1)
        known = self.unique[rank] == keys
        upper = np.searchsorted(self.packed, self._pack(rank, times), side="left")
        lower = np.searchsorted(self.packed, self._pack(rank, times - width), side="left")
        count = np.where(known, upper - lower, 0).astype(np.float64)
        total = np.where(known, self.cumulative[upper] - self.cumulative[lower], 0.0)
        return count, total


def _median_before(keys: npt.NDArray[np.int64], times: Array, values: Array, before: float,
                   wanted: npt.NDArray[np.int64]) -> Array:
    """Each wanted key's median value over its events before `before` (NaN: none)."""
    mask = times < before
    keys, values = keys[mask], values[mask]
    out = np.full(len(wanted), np.nan)
    if len(keys) == 0:
        return out
    order = np.lexsort((values, keys))
    keys, values = keys[order], values[order]
    unique, first, counts = np.unique(keys, return_index=True, return_counts=True)
    low = values[first + (counts - 1) // 2]
    high = values[first + counts // 2]
    medians = (low + high) / 2.0
    position = np.searchsorted(unique, wanted)
    position = np.clip(position, 0, len(unique) - 1)
    found = unique[position] == wanted
    out[found] = medians[position[found]]
    return out


def build(conn: Any, batch: Batch) -> Features:
    """The feature matrix of `batch`, from the database as it is now (set-wise)."""
    n = len(batch)
    if n == 0:
        return Features(batch, np.zeros((0, len(ALL_FEATURES))), batch.amount, batch.amount)
    start, end = batch.first(), batch.last()
    origin = start - HISTORY
    origin_us = int((origin - EPOCH) / timedelta(microseconds=1))
    t = (batch.created_us - origin_us).astype(np.float64) / 1e6
    parties = tuple({int(p) for p in batch.party if p})
    beneficiaries = tuple({int(b) for b in batch.beneficiary if b})

    h_party_f, h_to_f, h_amount, h_us = _columns(
        conn, ("from_account_id", "IFNULL(to_account_id, 0)", "amount",
               MICROS.format("created_at")),
        "FROM transactions WHERE from_account_id IN %s AND created_at >= %s"
        " AND created_at <= %s AND status IN %s AND type IN %s",
        (parties or (0,), origin, end, POSTED, SCORED_TYPES))
    h_party, h_to = h_party_f.astype(np.int64), h_to_f.astype(np.int64)
    h_time = (h_us - origin_us) / 1e6

    sender = _Events(h_party, h_time, h_amount)
    count_1h, _ = sender.window(batch.party, t, HOUR)
    count_1d, sum_1d = sender.window(batch.party, t, DAY)
    count_7d, sum_7d = sender.window(batch.party, t, 7 * DAY)
    median = _median_before(h_party, h_time, h_amount, (start - origin).total_seconds(),
                            batch.party)
    # Pair key: the sender's earlier payments to this beneficiary in the 30 days.
    pair = _Events(h_party * 1_000_003 + h_to, h_time, np.ones(len(h_time)))
    paid_before, _ = pair.window(batch.party * 1_000_003 + batch.beneficiary, t, 30 * DAY)
    new_beneficiary = np.where((batch.beneficiary > 0) & (paid_before == 0), 1.0, 0.0)

    b_key, b_us = _columns(
        conn, ("to_account_id", MICROS.format("created_at")),
        "FROM transactions WHERE to_account_id IN %s AND created_at >= %s AND created_at <= %s"
        " AND status IN %s AND type IN %s",
        (beneficiaries or (0,), start - timedelta(days=7), end, POSTED, SCORED_TYPES))
    traffic = _Events(b_key.astype(np.int64), (b_us - origin_us) / 1e6, np.ones(len(b_us)))
    b_count_1d, _ = traffic.window(batch.beneficiary, t, DAY)
    b_count_7d, _ = traffic.window(batch.beneficiary, t, 7 * DAY)

    l_from_f, l_to_f, l_us = _columns(
        conn, ("IFNULL(t.from_account_id, 0)", "IFNULL(t.to_account_id, 0)",
               MICROS.format("l.labelled_at")),
        "FROM transaction_labels l JOIN transactions t ON t.id = l.transaction_id"
        " WHERE l.is_fraud AND l.labelled_at > %s AND l.labelled_at <= %s",
        (start - timedelta(days=BENEFICIARY_FRAUD_DAYS), end))
    l_from, l_to = l_from_f.astype(np.int64), l_to_f.astype(np.int64)
    l_time = (l_us - origin_us) / 1e6
    # A label known at the very instant of the transaction counts (labelled_at <= created_at).
    eps = 1e-6
    b_fraud, _ = _Events(l_to, l_time, np.ones(len(l_time))).window(
        batch.beneficiary, t + eps, BENEFICIARY_FRAUD_DAYS * DAY)
    s_fraud, _ = _Events(l_from, l_time, np.ones(len(l_time))).window(
        batch.party, t + eps, SENDER_FRAUD_DAYS * DAY)
    b_fraud = np.where(batch.beneficiary > 0, b_fraud, 0.0)
    s_fraud = np.where(batch.party > 0, s_fraud, 0.0)

    ages = _account_ages(conn, batch)
    amount = batch.amount
    mean_7d = np.divide(sum_7d, count_7d, out=np.full(n, np.nan), where=count_7d > 0)
    columns = {
        "log_amount": np.log1p(amount),
        "hour": batch.hour,
        "weekday": batch.weekday,
        "count_1h": count_1h,
        "count_1d": count_1d,
        "count_7d": count_7d,
        "log_sum_1d": np.log1p(sum_1d),
        "log_sum_7d": np.log1p(sum_7d),
        "log_ratio_to_median": _log_ratio(amount, median),
        "log_ratio_to_mean_7d": _log_ratio(amount, mean_7d),
        "new_beneficiary": new_beneficiary,
        "beneficiary_count_1d": b_count_1d,
        "beneficiary_count_7d": b_count_7d,
        "account_age_days": ages,
        "cross_currency": batch.cross_currency,
        "beneficiary_fraud_28d": b_fraud,
        "sender_fraud_14d": s_fraud,
    }
    matrix = np.column_stack([columns[name] for name in ALL_FEATURES])
    return Features(batch, matrix, amount, median)


def _log_ratio(amount: Array, reference: Array) -> Array:
    """log(amount / reference), 0 where there is no reference (no history: not unusual)."""
    ratio = np.zeros(len(amount))
    ok = np.isfinite(reference) & (reference > 0)
    ratio[ok] = np.log((amount[ok] + 1.0) / (reference[ok] + 1.0))
    return ratio


def _account_ages(conn: Any, batch: Batch) -> Array:
    parties = tuple({int(p) for p in batch.party if p})
    opened: dict[int, int] = {}
    if parties:
        opened = {int(a): int(c) for a, c in _fetch(
            conn, "SELECT id, " + MICROS.format("created_at") + " FROM accounts WHERE id IN %s",
            (parties,))}
    opened_us = np.array([opened.get(int(p), -1) for p in batch.party], dtype=np.int64)
    ages = (batch.created_us - opened_us).astype(np.float64) / (DAY * 1e6)
    return np.where(opened_us >= 0, np.maximum(ages, 0.0), 0.0)
