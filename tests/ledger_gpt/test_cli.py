"""`python -m ledger_gpt`: one-shot answers, exports, --sql-only, --explain and help."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

from api.config import REPO_ROOT
from ledger_gpt.cli import main


def url_of(address) -> str:
    socket = f"?unix_socket={address.unix_socket}" if address.unix_socket else ""
    return (f"mysql://{address.user}:{address.password}@{address.host}:{address.port}"
            f"/{address.database}{socket}")


def ask(capsys, demo_db, *args: str) -> tuple[int, str]:
    code = main(["--database-url", url_of(demo_db), "--offline", "--asked-by", "omar", *args])
    return code, capsys.readouterr().out


class TestOneShot:
    def test_json_export_has_the_sql_and_the_rows(self, capsys, demo_db) -> None:
        code, out = ask(capsys, demo_db, "--format", "json", "balances of bob")
        answer = json.loads(out)
        assert code == 0
        assert answer["outcome"] == "answered"
        assert answer["row_count"] == 2
        assert {row["currency"] for row in answer["rows"]} == {"USD", "JOD"}
        assert "FROM vw_accounts" in answer["sql"]

    def test_csv_export(self, capsys, demo_db) -> None:
        code, out = ask(capsys, demo_db, "--format", "csv", "total balances by currency")
        rows = list(csv.reader(io.StringIO(out)))
        assert code == 0
        assert rows[0] == ["currency", "accounts", "total_balance"]
        assert sorted(r[0] for r in rows[1:]) == ["EUR", "JOD", "USD"]

    def test_a_table_shows_the_sql_the_rows_and_the_time(self, capsys, demo_db) -> None:
        code, out = ask(capsys, demo_db, "--explain", "reversals and who approved them")
        assert code == 0
        assert "vw_reversals" in out
        assert "manager" in out
        assert "1 row(s) in" in out
        assert "ms (offline engine)" in out
        assert "approved it" in out  # the explanation

    def test_sql_only_runs_nothing(self, capsys, demo_db, demo_admin) -> None:
        code, out = ask(capsys, demo_db, "--sql-only", "transfers over $500")
        assert code == 0
        assert "amount > 500" in out
        assert "(not run: --sql-only)" in out
        with demo_admin.cursor() as cur:
            cur.execute("SELECT outcome, row_count FROM ledger_gpt_questions"
                        " ORDER BY id DESC LIMIT 1")
            assert cur.fetchone() == {"outcome": "shown", "row_count": None}

    def test_a_refusal_exits_non_zero_with_the_reason(self, capsys, demo_db) -> None:
        code, out = ask(capsys, demo_db, "delete all transactions")
        assert code == 1
        assert "Refused" in out
        assert "only reads" in out

    def test_an_unknown_question_suggests_the_closest_ones(self, capsys, demo_db) -> None:
        code, out = ask(capsys, demo_db, "what's the weather in Amman")
        assert code == 1
        assert "Not understood" in out
        assert "Questions I can answer that come close" in out

    def test_help_lists_examples_by_topic(self, capsys, demo_db) -> None:
        code, out = ask(capsys, demo_db, "help")
        assert code == 0
        for topic in ("transactions", "balances", "reversals", "fees", "audit log"):
            assert topic in out


class TestPrompt:
    def test_the_prompt_answers_lines_from_standard_input(self, demo_db) -> None:
        done = subprocess.run(
            [sys.executable, "-m", "ledger_gpt", "--database-url", url_of(demo_db),
             "--offline", "--format", "csv"],
            input="balances of alice\nis the ledger consistent?\n", capture_output=True,
            text=True, cwd=REPO_ROOT, timeout=60, check=True)
        assert done.stdout.count("account_number") == 1
        assert "check_name" in done.stdout
