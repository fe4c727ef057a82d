"""One question in, one answer out: refuse changes, draft SQL, check it, run it, log it.

`LedgerGPT.ask` is the only path from a question to the database. Whichever engine drafts
the SQL (the LLM when configured, else the offline one), the statement passes
`safety.check_sql` and runs through `database.Reader`; the question, the SQL, the row
count and who asked go to the question log whatever the outcome.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from api.security.pii import PiiCipher
from ledger_gpt.catalog import ALLOWED_VIEWS
from ledger_gpt.database import QueryFailed, QuestionLog, QuestionRecord, Reader, Result
from ledger_gpt.explain import explain_sql
from ledger_gpt.llm import LlmEngine, LlmUnavailable
from ledger_gpt.names import name_aliases
from ledger_gpt.offline import Draft, NotUnderstood, OfflineEngine
from ledger_gpt.safety import (
    DEFAULT_LIMIT,
    CheckedQuery,
    Refused,
    check_sql,
    refuse_change_request,
    refuse_embedded_sql,
)


@dataclass
class Answer:
    """What the auditor sees: the SQL that ran, the rows, or why nothing ran."""

    question: str
    engine: str
    outcome: str  # answered, shown, refused, not_understood or failed
    sql: str | None = None
    explanation: str | None = None
    columns: list[str] = field(default_factory=list)
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    seconds: float = 0.0
    message: str | None = None
    suggestions: list[str] = field(default_factory=list)
    notice: str | None = None

    @property
    def ok(self) -> bool:
        return self.outcome in {"answered", "shown"}


class LedgerGPT:
    """Answers questions over the reporting views for one auditor."""

    def __init__(self, *, reader: Reader, asked_by: str, log: QuestionLog | None,
                 llm: LlmEngine | None = None, default_limit: int = DEFAULT_LIMIT,
                 cipher: PiiCipher | None = None) -> None:
        self.reader = reader
        self.asked_by = asked_by
        self.log = log
        self.llm = llm
        self.default_limit = default_limit
        aliases = name_aliases(reader, cipher) if cipher is not None else {}
        self.offline = OfflineEngine(self._usernames(), aliases=aliases)

    def _usernames(self) -> list[str]:
        result = self.reader.run("SELECT username FROM vw_customers WHERE role <> 'system'"
                                 " LIMIT 10000")
        return [str(row[0]) for row in result.rows]

    def check(self, sql: str) -> CheckedQuery:
        return check_sql(sql, ALLOWED_VIEWS, default_limit=self.default_limit)

    def ask(self, question: str, *, run: bool = True) -> Answer:
        started = time.perf_counter()
        answer = self._answer(question.strip(), run=run)
        answer.seconds = time.perf_counter() - started
        if self.log is not None:
            self.log.record(QuestionRecord(
                asked_by=self.asked_by, question=question, engine=answer.engine,
                outcome=answer.outcome, sql=answer.sql,
                row_count=len(answer.rows) if answer.outcome == "answered" else None,
                detail=answer.message))
        return answer

    def _answer(self, question: str, *, run: bool) -> Answer:
        engine = "llm" if self.llm is not None else "offline"
        try:
            refuse_change_request(question)
            refuse_embedded_sql(question)
        except Refused as exc:
            return Answer(question, engine, "refused", message=str(exc))
        notice = None
        if self.llm is not None:
            try:
                return self._ask_llm(question, run=run)
            except LlmUnavailable as exc:
                notice = f"The language model is unavailable ({exc}); the offline engine answered."
        answer = self._ask_offline(question, run=run)
        answer.notice = notice
        return answer

    def _ask_offline(self, question: str, *, run: bool) -> Answer:
        try:
            draft = self.offline.draft(question)
        except NotUnderstood as exc:
            return Answer(question, "offline", "not_understood", message=str(exc),
                          suggestions=exc.suggestions)
        return self._finish(question, "offline", draft, run=run)

    def _finish(self, question: str, engine: str, draft: Draft, *, run: bool) -> Answer:
        try:
            checked = self.check(draft.sql)
        except Refused as exc:
            return Answer(question, engine, "refused", sql=draft.sql, message=str(exc))
        answer = Answer(question, engine, "shown", sql=checked.sql,
                        explanation=draft.explanation or explain_sql(checked.sql))
        if not run:
            return answer
        try:
            result = self.reader.run(checked.sql)
        except QueryFailed as exc:
            answer.outcome, answer.message = "failed", str(exc)
            return answer
        return self._with_rows(answer, result)

    @staticmethod
    def _with_rows(answer: Answer, result: Result) -> Answer:
        answer.outcome = "answered"
        answer.columns, answer.rows = result.columns, result.rows
        return answer

    def _ask_llm(self, question: str, *, run: bool) -> Answer:
        assert self.llm is not None
        conversation = self.llm.start(question, self.reader)
        sql = self.llm.reply(conversation)
        for attempt in (1, 2):
            try:
                checked = self.check(sql)
                if not run:
                    return Answer(question, "llm", "shown", sql=checked.sql,
                                  explanation=explain_sql(checked.sql))
                result = self.reader.run(checked.sql)
            except (Refused, QueryFailed) as exc:
                if attempt == 2:
                    outcome = "refused" if isinstance(exc, Refused) else "failed"
                    return Answer(question, "llm", outcome, sql=sql,
                                  message=f"The model's SQL was not run: {exc}")
                sql = self.llm.repair(conversation, sql, str(exc))
                continue
            answer = Answer(question, "llm", "answered", sql=checked.sql,
                            explanation=explain_sql(checked.sql))
            return self._with_rows(answer, result)
        raise AssertionError("unreachable")
