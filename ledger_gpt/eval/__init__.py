"""Execution accuracy of the engines over the evaluation set, per topic, and their latency.

A case passes when the engine's answer and the gold SQL return the same rows (as a
multiset; in order when the case says order matters). The latency of an answer is the
engine's whole path: parse the question, write and check the SQL, run it.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from ledger_gpt.database import Reader
from ledger_gpt.engine import LedgerGPT
from ledger_gpt.eval.questions import CASES, Case

DEMO_ACCOUNTS = (
    "SELECT CONCAT(u.username, '_', a.account_type) AS name, a.account_number"
    " FROM vw_accounts a JOIN vw_customers u ON u.id = a.user_id"
    " WHERE u.username IN ('alice', 'bob')"
)


@dataclass(frozen=True)
class Outcome:
    case: Case
    question: str
    passed: bool
    seconds: float
    sql: str | None
    detail: str = ""
    gold_rows: int = 0


@dataclass
class Report:
    engine: str
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return sum(o.passed for o in self.outcomes) / len(self.outcomes) if self.outcomes else 0

    def by_topic(self) -> dict[str, tuple[int, int]]:
        topics: dict[str, tuple[int, int]] = {}
        for o in self.outcomes:
            passed, total = topics.get(o.case.topic, (0, 0))
            topics[o.case.topic] = (passed + o.passed, total + 1)
        return topics

    def percentile(self, share: float) -> float:
        times = sorted(o.seconds for o in self.outcomes)
        if not times:
            return 0.0
        return times[min(len(times) - 1, math.ceil(share * len(times)) - 1)]


def demo_placeholders(reader: Reader) -> dict[str, str]:
    """`{alice_savings}` and the like: the demo accounts' numbers in this database."""
    return {str(name): str(number) for name, number in reader.run(DEMO_ACCOUNTS).rows}


def fill(text: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        text = text.replace("{" + name + "}", value)
    return text


def _normal(value: Any) -> Any:
    if isinstance(value, Decimal):
        return value.normalize() if value != 0 else Decimal(0)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return Decimal(str(value)).normalize() if value != 0 else Decimal(0)
    return value


def _rows(rows: Iterable[Sequence[Any]]) -> list[tuple[Any, ...]]:
    return [tuple(_normal(v) for v in row) for row in rows]


def same_result(got: Sequence[Sequence[Any]], gold: Sequence[Sequence[Any]], *,
                ordered: bool) -> bool:
    left, right = _rows(got), _rows(gold)
    if ordered:
        return left == right
    return Counter(map(repr, left)) == Counter(map(repr, right))


def evaluate(gpt: LedgerGPT, cases: Sequence[Case] = CASES) -> Report:
    """Ask every case; compare each answer's rows with the gold SQL's."""
    report = Report(engine="llm" if gpt.llm is not None else "offline")
    values = demo_placeholders(gpt.reader)
    for case in cases:
        question = fill(case.question, values)
        answer = gpt.ask(question)
        gold = gpt.reader.run(fill(case.gold, values))
        if answer.outcome != "answered":
            report.outcomes.append(Outcome(case, question, False, answer.seconds, answer.sql,
                                           f"{answer.outcome}: {answer.message}",
                                           len(gold.rows)))
            continue
        passed = same_result(answer.rows, gold.rows, ordered=case.ordered)
        detail = "" if passed else f"{len(answer.rows)} rows, gold {len(gold.rows)}"
        report.outcomes.append(Outcome(case, question, passed, answer.seconds, answer.sql,
                                       detail, len(gold.rows)))
    return report


def format_report(report: Report) -> str:
    lines = [f"engine {report.engine}: execution accuracy"
             f" {report.accuracy:.1%} ({sum(o.passed for o in report.outcomes)}"
             f"/{len(report.outcomes)})"]
    for topic, (passed, total) in report.by_topic().items():
        lines.append(f"  {topic:28} {passed:3}/{total:<3} {passed / total:6.1%}")
    lines.append(f"  latency per answer (parse + check + run): p50"
                 f" {report.percentile(0.5) * 1000:.1f} ms, p95"
                 f" {report.percentile(0.95) * 1000:.1f} ms, max"
                 f" {report.percentile(1.0) * 1000:.1f} ms")
    failed = [o for o in report.outcomes if not o.passed]
    if failed:
        lines.append("  failed:")
        lines += [f"    [{o.case.topic}] {o.question}: {o.detail}" for o in failed]
    return "\n".join(lines)
