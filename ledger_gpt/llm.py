"""The LLM engine: any OpenAI-compatible endpoint writes the SQL; the gate still checks it.

The system prompt holds the schema context, built from the live columns bank_readonly
sees in each allowed view and the descriptions of ledger_gpt.catalog, plus a few worked
examples. `repair` sends the checker's or the database's error back once. Any failure to
reach the endpoint raises `LlmUnavailable`, on which the caller falls back to the offline
engine.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import openai

from ledger_gpt.catalog import ALLOWED_VIEWS, view_docs
from ledger_gpt.safety import DEFAULT_LIMIT, MAX_LIMIT

if TYPE_CHECKING:
    from ledger_gpt.database import Reader

FEW_SHOT: tuple[tuple[str, str], ...] = (
    ("transfers over 500 last week",
     "SELECT id, reference, amount, currency, from_account_number, to_account_number, created_at"
     " FROM vw_transactions WHERE type = 'transfer' AND amount > 500"
     " AND created_at >= CURDATE() - INTERVAL 7 DAY ORDER BY created_at DESC"),
    ("balances of alice",
     "SELECT a.account_number, a.account_type, a.currency, a.balance FROM vw_accounts a"
     " JOIN vw_customers u ON u.id = a.user_id WHERE u.username = 'alice'"),
    ("fees earned by currency",
     "SELECT currency, SUM(fee) AS fees FROM vw_transactions WHERE status = 'completed'"
     " AND fee > 0 GROUP BY currency"),
    ("who approved the reversals",
     "SELECT reference, original_reference, approved_by, reason FROM vw_reversals"),
)


class LlmUnavailable(Exception):
    """The endpoint could not be reached or gave no usable reply."""


def schema_context(columns: dict[str, list[tuple[str, str]]]) -> str:
    """The views, their live columns and what each column means."""
    docs = view_docs()
    blocks = []
    for name in ALLOWED_VIEWS:
        if name not in columns:
            continue
        doc = docs[name]
        lines = [f"VIEW {name} -- {doc.summary}"]
        for column, kind in columns[name]:
            meaning = doc.columns.get(column, "")
            lines.append(f"  {column} {kind}" + (f" -- {meaning}" if meaning else ""))
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def system_prompt(columns: dict[str, list[tuple[str, str]]]) -> str:
    examples = "\n\n".join(f"Question: {q}\nSQL: {sql}" for q, sql in FEW_SHOT)
    return (
        "You translate a bank auditor's question into exactly one MariaDB SELECT statement"
        " over the reporting views below. Rules: one SELECT (WITH allowed); only these"
        " views; no other tables, no variables, no INTO, no locking clauses, no SLEEP or"
        f" BENCHMARK; add LIMIT {DEFAULT_LIMIT} unless the question asks for more (at most"
        f" {MAX_LIMIT}). The statement only reads; if the question asks to change data,"
        " answer with SELECT 'refused' AS answer. Reply with the SQL only, in a ```sql"
        f" block.\n\n{schema_context(columns)}\n\nExamples:\n\n{examples}"
    )


def extract_sql(text: str) -> str:
    """The SQL in a reply: the first ```sql fenced block, else the whole text."""
    fenced = re.search(r"```(?:sql|mysql)?\s*(.*?)```", text, re.DOTALL | re.IGNORECASE)
    return (fenced.group(1) if fenced else text).strip()


class LlmEngine:
    """Drafts SQL with a chat-completions model; one repair round trip on an error."""

    name = "llm"

    def __init__(self, *, base_url: str, api_key: str | None, model: str,
                 timeout_seconds: float) -> None:
        self.model = model
        self.client = openai.OpenAI(base_url=base_url, api_key=api_key or "none",
                                    timeout=timeout_seconds, max_retries=0)
        self._prompt: str | None = None

    def start(self, question: str, reader: Reader) -> list[dict[str, str]]:
        if self._prompt is None:
            self._prompt = system_prompt(reader.view_columns(ALLOWED_VIEWS))
        return [{"role": "system", "content": self._prompt},
                {"role": "user", "content": question}]

    def reply(self, conversation: list[dict[str, str]]) -> str:
        try:
            response: Any = self.client.chat.completions.create(
                model=self.model, messages=conversation,  # type: ignore[arg-type]
                temperature=0)
        except openai.OpenAIError as exc:
            raise LlmUnavailable(type(exc).__name__) from None
        choices = getattr(response, "choices", None) or []
        content = choices[0].message.content if choices else None
        if not content:
            raise LlmUnavailable("an empty reply")
        conversation.append({"role": "assistant", "content": content})
        return extract_sql(content)

    def repair(self, conversation: list[dict[str, str]], sql: str, error: str) -> str:
        conversation.append({"role": "user", "content": (
            f"That SQL was not run: {error}\nReply with one corrected SELECT that follows"
            " the rules, in a ```sql block.")})
        return self.reply(conversation)
