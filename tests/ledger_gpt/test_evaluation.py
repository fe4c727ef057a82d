"""The evaluation set in CI: the offline engine keeps at least 90% execution accuracy."""

from __future__ import annotations

from api.config import get_settings
from api.security.pii import PiiCipher
from ledger_gpt.engine import LedgerGPT
from ledger_gpt.eval import evaluate, format_report, same_result
from ledger_gpt.eval.questions import CASES

ISSUE_TOPICS = {
    "transactions", "amounts", "flagged", "balances", "statements", "top senders and receivers",
    "volume", "fees", "fx", "reversals", "reviews", "logins and incidents", "integrity",
    "balance sheet", "audit log",
}


class TestEvaluationSet:
    def test_at_least_sixty_questions_over_every_topic(self) -> None:
        assert len(CASES) >= 60
        assert len({c.question for c in CASES}) == len(CASES)
        assert {c.topic for c in CASES} >= ISSUE_TOPICS

    def test_result_comparison_is_order_insensitive_unless_ordered(self) -> None:
        assert same_result([(1,), (2,)], [(2,), (1,)], ordered=False)
        assert not same_result([(1,), (2,)], [(2,), (1,)], ordered=True)
        assert not same_result([(1,), (1,)], [(1,)], ordered=False)


class TestOfflineAccuracy:
    def test_offline_engine_answers_ninety_percent_like_the_gold_sql(self, reader) -> None:
        gpt = LedgerGPT(reader=reader, asked_by="evaluation", log=None,
                        cipher=PiiCipher.from_settings(get_settings()))
        report = evaluate(gpt)
        print(format_report(report))
        assert report.accuracy >= 0.90, format_report(report)
        # Most gold answers have rows: agreeing on empty results alone would prove little.
        assert sum(1 for o in report.outcomes if o.gold_rows) >= 0.7 * len(report.outcomes)
        # The benchmark's budget is 100 ms at p95 (printed above); on a loaded CI machine
        # the test allows more, so it fails only on a real regression.
        assert report.percentile(0.95) < 0.5, format_report(report)
