"""`python -m ledger_gpt.eval`: execution accuracy per engine and topic, and latency."""

from __future__ import annotations

import argparse
import sys

from api.config import get_settings
from api.security.pii import PiiCipher
from ledger_gpt.cli import _server
from ledger_gpt.database import Reader, readonly_address
from ledger_gpt.engine import LedgerGPT
from ledger_gpt.eval import evaluate, format_report
from ledger_gpt.llm import LlmEngine


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m ledger_gpt.eval",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="a database seeded with the demo data"
                        " (default: as `make run` finds it)")
    parser.add_argument("--engine", choices=["offline", "llm", "all"], default="all",
                        help="all: the offline engine, and the LLM when OPENAI_BASE_URL is set")
    args = parser.parse_args()
    settings = get_settings()
    reader = Reader(readonly_address(_server(args.database_url, settings), settings),
                    statement_seconds=settings.ledger_gpt_statement_seconds)
    try:
        engines: list[LlmEngine | None] = []
        if args.engine in {"offline", "all"}:
            engines.append(None)
        if args.engine in {"llm", "all"} and settings.openai_base_url:
            engines.append(LlmEngine(base_url=settings.openai_base_url,
                                     api_key=settings.openai_api_key,
                                     model=settings.ledger_gpt_model,
                                     timeout_seconds=settings.ledger_gpt_llm_timeout_seconds))
        elif args.engine == "llm":
            print("no LLM endpoint configured (OPENAI_BASE_URL)", file=sys.stderr)
            return 2
        for llm in engines:
            # Not logged: an evaluation is not an auditor's question.
            gpt = LedgerGPT(reader=reader, asked_by="evaluation", log=None, llm=llm,
                            cipher=PiiCipher.from_settings(settings))
            print(format_report(evaluate(gpt)))
    finally:
        reader.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
