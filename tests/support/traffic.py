"""Traffic for the risk worker's tests and benchmark: customers paying merchants, posted
through the ledger's own procedures (batch transfers, so thousands post in seconds)."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Any

from tests.support.ledger import batch, deposit, new_user, open_account, query


@dataclass(frozen=True)
class Traffic:
    """The accounts a traffic run created and the transactions it posted."""

    customers: list[dict[str, Any]]
    merchants: list[dict[str, Any]]
    payments: int


def open_customers(conn: Any, count: int, *, funds: str = "900000") -> list[dict[str, Any]]:
    accounts = []
    for _ in range(count):
        account = open_account(conn, new_user(conn))
        query(conn, "UPDATE accounts SET daily_limit = 10000000, per_transaction_limit = 1000000"
              " WHERE id = %s", account["id"])
        deposit(conn, account["id"], funds)
        accounts.append(account)
    return accounts


def pay(conn: Any, sender: dict[str, Any], merchants: list[dict[str, Any]],
        amounts: list[float], rng: random.Random) -> None:
    """One batch transfer from `sender`: an item per amount, to random merchants."""
    for start in range(0, len(amounts), 1000):
        items = [{"to_account_number": rng.choice(merchants)["account_number"],
                  "amount": f"{amount:.2f}"} for amount in amounts[start:start + 1000]]
        batch(conn, sender["id"], json.dumps(items))


def make_traffic(conn: Any, *, customers: int, merchants: int, payments: int,
                 seed: int = 11) -> Traffic:
    """`payments` ordinary payments (log-normal amounts around 40) spread over customers."""
    rng = random.Random(seed)
    senders = open_customers(conn, customers, funds="50000")
    shops = open_customers(conn, merchants, funds="1")
    per_sender = max(1, payments // customers)
    for sender in senders:
        pay(conn, sender, shops, [rng.lognormvariate(3.7, 0.6) for _ in range(per_sender)], rng)
    return Traffic(senders, shops, per_sender * customers)


def scorable_count(conn: Any) -> int:
    return int(query(conn, "SELECT COUNT(*) AS n FROM transactions WHERE status IN"
                     " ('completed', 'reversed') AND type IN ('deposit', 'withdrawal',"
                     " 'transfer', 'bill_payment')")[0]["n"])
