"""The LLM engine against a local OpenAI-compatible server: the request, the repair, the gate."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from ledger_gpt.engine import LedgerGPT
from ledger_gpt.llm import LlmEngine


@dataclass
class FakeEndpoint:
    """Answers chat completions with scripted replies and keeps every request it got."""

    replies: list[str] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def endpoint() -> Iterator[FakeEndpoint]:
    fake = FakeEndpoint()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            headers = {k.lower(): v for k, v in self.headers.items()}
            fake.requests.append({"path": self.path, "headers": headers, "body": body})
            content = fake.replies.pop(0) if fake.replies else "no more replies"
            payload = json.dumps({
                "id": f"chatcmpl-{len(fake.requests)}", "object": "chat.completion",
                "created": 0, "model": body["model"],
                "choices": [{"index": 0, "finish_reason": "stop",
                             "message": {"role": "assistant", "content": content}}],
                "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
            }).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def llm_gpt(reader, question_log, url: str) -> LedgerGPT:
    engine = LlmEngine(base_url=url, api_key="sk-test-key", model="ledger-test-model",
                       timeout_seconds=5)
    return LedgerGPT(reader=reader, asked_by="omar", log=question_log, llm=engine)


class TestRequest:
    def test_the_client_sends_the_schema_context_and_the_question(
        self, reader, question_log, endpoint
    ) -> None:
        endpoint.replies.append("```sql\nSELECT username FROM vw_customers"
                                " WHERE role = 'customer'\n```")
        answer = llm_gpt(reader, question_log, endpoint.url).ask("who are our customers?")
        assert answer.outcome == "answered"
        assert answer.engine == "llm"
        assert sorted(r[0] for r in answer.rows) == ["alice", "bob"]
        [request] = endpoint.requests
        assert request["path"] == "/v1/chat/completions"
        assert request["headers"]["authorization"] == "Bearer sk-test-key"
        body = request["body"]
        assert body["model"] == "ledger-test-model"
        system, user = body["messages"]
        assert (system["role"], user) == ("system", {"role": "user",
                                                     "content": "who are our customers?"})
        # Live columns with their types and descriptions, and the worked examples.
        assert "VIEW vw_transactions" in system["content"]
        assert "from_user_id bigint(20) unsigned -- the paying account's owner" \
            in system["content"]
        assert "check_name" in system["content"]  # read from the view when not listed
        assert "Question: balances of alice" in system["content"]
        assert "users" not in [line.split()[1] for line in system["content"].splitlines()
                               if line.startswith("VIEW ")]

    def test_an_error_goes_back_once_for_repair(self, reader, question_log, endpoint) -> None:
        endpoint.replies += ["SELECT username, password_hash FROM users",
                             "```sql\nSELECT username FROM vw_customers ORDER BY username\n```"]
        answer = llm_gpt(reader, question_log, endpoint.url).ask("list the users")
        assert answer.outcome == "answered"
        assert answer.sql is not None
        assert "vw_customers" in answer.sql
        assert len(endpoint.requests) == 2
        repair = endpoint.requests[1]["body"]["messages"]
        assert [m["role"] for m in repair] == ["system", "user", "assistant", "user"]
        assert "users is not one of the reporting views" in repair[-1]["content"]

    def test_an_execution_error_is_repaired_too(self, reader, question_log, endpoint) -> None:
        endpoint.replies += ["SELECT no_such_column FROM vw_accounts",
                             "SELECT COUNT(*) FROM vw_accounts"]
        answer = llm_gpt(reader, question_log, endpoint.url).ask("how many accounts")
        assert answer.outcome == "answered"
        assert answer.rows == [(5,)]
        assert "no_such_column" in endpoint.requests[1]["body"]["messages"][-1]["content"]


class TestFallback:
    def test_an_unreachable_endpoint_falls_back_to_offline_with_a_notice(
        self, reader, question_log
    ) -> None:
        answer = llm_gpt(reader, question_log, "http://127.0.0.1:9/v1").ask("balances of bob")
        assert answer.outcome == "answered"
        assert answer.engine == "offline"
        assert answer.notice
        assert "offline engine answered" in answer.notice
        assert len(answer.rows) == 2


class TestInjectionThroughTheModel:
    @pytest.mark.parametrize("reply", [
        "DROP TABLE transactions",
        "UPDATE accounts SET balance = 1000000",
        "SELECT 1 FROM vw_accounts; DELETE FROM audit_log",
        "SELECT username FROM vw_customers UNION SELECT password_hash FROM users",
        "SELECT id FROM vw_accounts /*! ; DROP TABLE users */",
        "SELECT SLEEP(30) FROM vw_accounts",
        "SELECT * FROM vw_accounts INTO OUTFILE '/tmp/ledger_gpt_leak.csv'",
        "SELECT pin_hash, mfa_secret_enc FROM users",
        "SELECT * FROM mysql.user",
    ])
    def test_a_hostile_answer_runs_nothing_and_is_explained(
        self, reader, question_log, endpoint, demo_admin, reply: str
    ) -> None:
        endpoint.replies += [reply, reply]  # the repair round trip gets the same answer
        gpt = llm_gpt(reader, question_log, endpoint.url)
        before = reader.statements_run
        with demo_admin.cursor() as cur:
            cur.execute("SELECT COUNT(*) AS n FROM transactions")
            transactions = cur.fetchone()["n"]
        answer = gpt.ask("show me everything")
        assert answer.outcome == "refused", answer
        assert answer.message
        assert answer.message.startswith("The model's SQL was not run:")
        assert reader.statements_run == before
        assert len(endpoint.requests) == 2
        with demo_admin.cursor() as cur:
            cur.execute("SELECT COUNT(*) AS n FROM transactions")
            assert cur.fetchone()["n"] == transactions
            cur.execute("SELECT outcome, detail FROM ledger_gpt_questions ORDER BY id DESC"
                        " LIMIT 1")
            logged = cur.fetchone()
        assert logged["outcome"] == "refused"
        assert logged["detail"] == answer.message
