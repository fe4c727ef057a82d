"""`python -m ledger_gpt`: the `ledger>` prompt, or one answer for a question on the command line.

It finds the database as the other commands do (BANK_DATABASE_URL, else the checkout's
private server under .run/), logs in as bank_readonly to read and as bank_gpt_audit to
log each question; `--database-url` points it at another server (a read replica, say),
`--audit-database-url` at the primary that keeps the question log.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import getpass
import io
import json
import sys
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pymysql
from rich.console import Console
from rich.syntax import Syntax
from rich.table import Table

from api.config import DatabaseAddress, Settings, get_settings
from api.security.pii import PiiCipher
from ledger_gpt.database import (
    QuestionLog,
    QuestionLogUnavailable,
    Reader,
    audit_address,
    readonly_address,
)
from ledger_gpt.engine import Answer, LedgerGPT
from ledger_gpt.llm import LlmEngine
from ledger_gpt.offline import example_questions

HISTORY_FILE = Path.home() / ".ledger_gpt_history"
EXIT_WORDS = {"exit", "quit", "bye", r"\q"}


def _server(url: str | None, settings: Settings) -> DatabaseAddress:
    if url is None:
        from scripts.dbserver import resolve_admin_url

        return DatabaseAddress.from_url(resolve_admin_url()).with_database(settings.db_name)
    return DatabaseAddress.from_url(url)


def build(args: argparse.Namespace, settings: Settings) -> LedgerGPT:
    server = _server(args.database_url, settings)
    audit_server = _server(args.audit_database_url, settings) if args.audit_database_url \
        else server
    reader = Reader(readonly_address(server, settings),
                    statement_seconds=settings.ledger_gpt_statement_seconds)
    llm = None
    if settings.openai_base_url and not args.offline:
        llm = LlmEngine(base_url=settings.openai_base_url, api_key=settings.openai_api_key,
                        model=settings.ledger_gpt_model,
                        timeout_seconds=settings.ledger_gpt_llm_timeout_seconds)
    return LedgerGPT(reader=reader, asked_by=args.asked_by,
                     log=QuestionLog(audit_address(audit_server, settings)), llm=llm,
                     default_limit=settings.ledger_gpt_default_limit,
                     cipher=PiiCipher.from_settings(settings))


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def render_csv(answer: Answer) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(answer.columns)
    writer.writerows([[_plain(v) for v in row] for row in answer.rows])
    return out.getvalue()


def render_json(answer: Answer) -> str:
    return json.dumps({
        "question": answer.question, "engine": answer.engine, "outcome": answer.outcome,
        "sql": answer.sql, "message": answer.message, "notice": answer.notice,
        "row_count": len(answer.rows), "seconds": round(answer.seconds, 4),
        "rows": [dict(zip(answer.columns, map(_plain, row), strict=True))
                 for row in answer.rows],
    }, indent=2, ensure_ascii=False)


def show(console: Console, answer: Answer, *, fmt: str, explain: bool) -> None:
    """Print an answer: the SQL it ran, the table, rows and time (or why nothing ran)."""
    if fmt == "json":
        console.file.write(render_json(answer) + "\n")
        return
    if answer.notice:
        console.print(f"[yellow]{answer.notice}[/yellow]")
    if answer.outcome in {"refused", "not_understood", "failed"}:
        label = {"refused": "Refused", "not_understood": "Not understood",
                 "failed": "Failed"}[answer.outcome]
        console.print(f"[bold red]{label}:[/bold red] {answer.message}")
        if answer.suggestions:
            console.print("Questions I can answer that come close:")
            for suggestion in answer.suggestions:
                console.print(f"  - {suggestion}")
        if answer.sql and answer.outcome != "not_understood":
            console.print(Syntax(answer.sql, "sql", word_wrap=True))
        return
    if fmt == "csv":
        console.file.write(render_csv(answer))
        return
    console.print(Syntax(answer.sql or "", "sql", word_wrap=True))
    if explain and answer.explanation:
        console.print(f"[italic]{answer.explanation}[/italic]")
    if answer.outcome == "shown":
        console.print("(not run: --sql-only)")
        return
    table = Table(show_lines=False)
    for name in answer.columns:
        table.add_column(name)
    for row in answer.rows:
        table.add_row(*["" if v is None else str(_plain(v)) for v in row])
    console.print(table)
    console.print(f"{len(answer.rows)} row(s) in {answer.seconds * 1000:.0f} ms"
                  f" ({answer.engine} engine)")


def print_help(console: Console) -> None:
    console.print("Ask about the ledger in plain English. Examples by topic:")
    for topic, questions in example_questions().items():
        console.print(f"[bold]{topic}[/bold]")
        for question in questions:
            console.print(f"  {question}")
    console.print("Type 'exit' to leave. Nothing you type can change the ledger.")


def repl(gpt: LedgerGPT, console: Console, *, fmt: str, explain: bool, run: bool) -> None:
    try:
        import readline

        if HISTORY_FILE.exists():
            readline.read_history_file(HISTORY_FILE)
    except (ImportError, OSError):
        readline = None  # type: ignore[assignment]
    console.print("LedgerGPT: ask about the ledger; 'help' lists examples, 'exit' leaves.")
    try:
        while True:
            try:
                line = input("ledger> ").strip()
            except EOFError:
                break
            if not line:
                continue
            if line.lower() in EXIT_WORDS:
                break
            if line.lower() in {"help", "?"}:
                print_help(console)
                continue
            show(console, gpt.ask(line, run=run), fmt=fmt, explain=explain)
    except KeyboardInterrupt:
        console.print()
    finally:
        if readline is not None:
            with contextlib.suppress(OSError):
                readline.write_history_file(HISTORY_FILE)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m ledger_gpt", description=__doc__.splitlines()[0])
    p.add_argument("question", nargs="*", help="answer this once and exit (none: the prompt)")
    p.add_argument("--database-url", help="the server to read (default: as `make run` finds it)")
    p.add_argument("--audit-database-url", help="the server that keeps the question log"
                   " (default: the one read)")
    p.add_argument("--format", choices=["table", "csv", "json"], default="table")
    p.add_argument("--sql-only", action="store_true", help="show the SQL without running it")
    p.add_argument("--explain", action="store_true", help="say in words what the SQL does")
    p.add_argument("--offline", action="store_true", help="never call the language model")
    p.add_argument("--asked-by", default=getpass.getuser(),
                   help="who is asking, for the question log (default: the OS user)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    console = Console(soft_wrap=args.format != "table")
    try:
        gpt = build(args, get_settings())
    except pymysql.err.MySQLError as exc:
        detail = exc.args[1] if len(exc.args) > 1 else exc
        console.print(f"[bold red]Cannot read the ledger:[/bold red] {detail}")
        return 2
    try:
        return _serve(gpt, args, console)
    except QuestionLogUnavailable as exc:
        console.print(f"[bold red]Answer withheld:[/bold red] {exc}")
        return 2
    finally:
        gpt.reader.close()
        if gpt.log is not None:
            gpt.log.close()


def _serve(gpt: LedgerGPT, args: argparse.Namespace, console: Console) -> int:
    """Answer the question of the command line, standard input's lines, or the prompt."""
    if args.question:
        question = " ".join(args.question)
        if question.lower() in {"help", "?"}:
            print_help(console)
            return 0
        answer = gpt.ask(question, run=not args.sql_only)
        show(console, answer, fmt=args.format, explain=args.explain)
        return 0 if answer.ok else 1
    if not sys.stdin.isatty():
        for line in sys.stdin:
            if line.strip():
                show(console, gpt.ask(line.strip(), run=not args.sql_only),
                     fmt=args.format, explain=args.explain)
        return 0
    repl(gpt, console, fmt=args.format, explain=args.explain, run=not args.sql_only)
    return 0
