"""Roles and what each may do: the one permission table (copied into the README).

| permission            | customer | teller | manager | auditor | analyst | admin |
|-----------------------|:--------:|:------:|:-------:|:-------:|:-------:|:-----:|
| accounts:own          |    x     |   x    |    x    |         |         |   x   |
| accounts:read_any     |          |   x    |    x    |    x    |    x    |   x   |
| money:move_own        |    x     |   x    |    x    |         |         |   x   |
| money:cash_any        |          |   x    |    x    |         |         |   x   |
| transactions:read_any |          |   x    |    x    |    x    |    x    |   x   |
| transactions:reverse  |          |        |    x    |         |         |   x   |
| users:read_any        |          |   x    |    x    |    x    |    x    |   x   |
| users:kyc             |          |   x    |    x    |         |         |   x   |
| users:end_sessions    |          |        |    x    |         |         |   x   |
| users:block           |          |        |         |         |         |   x   |
| users:set_role        |          |        |         |         |         |   x   |
| accounts:freeze       |          |        |    x    |         |         |   x   |
| audit:read            |          |        |         |    x    |         |   x   |
| fx:publish            |          |        |    x    |         |         |   x   |
| transactions:review   |          |   x    |    x    |         |         |   x   |
| fraud:read            |          |        |    x    |    x    |    x    |   x   |
| fraud:resolve         |          |        |         |         |    x    |   x   |

`accounts:own` opens and reads one's own accounts; `money:move_own` deposits to,
withdraws from and transfers out of them. `money:cash_any` is the teller's counter:
deposit to or withdraw from any customer's account. Everyone may read and edit their
own profile, PIN and second factor. Auditors read everything and change nothing.
Staff see users and accounts (`users:read_any`, `accounts:read_any`); KYC decisions are
the counter's (`users:kyc`); managers freeze accounts and end a user's sessions; only
admins block users and change roles; the audit trail is read by auditors and admins.
Each staff act is re-checked in SQL against the actor's current role, and nobody acts on
themself or on a user of their rank or above (admins on other admins excepted).
`fx:publish` publishes exchange rates; anyone signed in reads rates and quotes.
`transactions:review` approves or rejects a transaction held for review (tellers, managers,
admins; never one's own).
Risk analysts work the fraud alerts the risk worker raises: they read every transaction,
account and user, the risk scores and the alerts (`fraud:read`, which managers, auditors and
admins hold too), and resolve alerts as confirmed fraud or a false positive
(`fraud:resolve`, analysts and admins; never on their own account). Anyone signed in reads
the risk scores of their own payments (`/analytics/risk-scores`).
`risk:score` runs the risk rules over proposed transactions (POST /risk/score; managers,
analysts and admins): nothing posts.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    CUSTOMER = "customer"
    TELLER = "teller"
    MANAGER = "manager"
    AUDITOR = "auditor"
    ANALYST = "analyst"
    ADMIN = "admin"


class Permission(StrEnum):
    ACCOUNTS_OWN = "accounts:own"
    ACCOUNTS_READ_ANY = "accounts:read_any"
    MONEY_MOVE_OWN = "money:move_own"
    MONEY_CASH_ANY = "money:cash_any"
    TRANSACTIONS_READ_ANY = "transactions:read_any"
    TRANSACTIONS_REVERSE = "transactions:reverse"
    USERS_READ_ANY = "users:read_any"
    USERS_KYC = "users:kyc"
    USERS_END_SESSIONS = "users:end_sessions"
    USERS_BLOCK = "users:block"
    USERS_SET_ROLE = "users:set_role"
    ACCOUNTS_FREEZE = "accounts:freeze"
    AUDIT_READ = "audit:read"
    FX_PUBLISH = "fx:publish"
    TRANSACTIONS_REVIEW = "transactions:review"
    FRAUD_READ = "fraud:read"
    FRAUD_RESOLVE = "fraud:resolve"
    RISK_SCORE = "risk:score"


P = Permission
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.CUSTOMER: frozenset({P.ACCOUNTS_OWN, P.MONEY_MOVE_OWN}),
    Role.TELLER: frozenset({P.ACCOUNTS_OWN, P.ACCOUNTS_READ_ANY, P.MONEY_MOVE_OWN,
                            P.MONEY_CASH_ANY, P.TRANSACTIONS_READ_ANY, P.USERS_READ_ANY,
                            P.USERS_KYC, P.TRANSACTIONS_REVIEW}),
    Role.MANAGER: frozenset({P.ACCOUNTS_OWN, P.ACCOUNTS_READ_ANY, P.MONEY_MOVE_OWN,
                             P.MONEY_CASH_ANY, P.TRANSACTIONS_READ_ANY,
                             P.TRANSACTIONS_REVERSE, P.USERS_READ_ANY, P.USERS_KYC,
                             P.USERS_END_SESSIONS, P.ACCOUNTS_FREEZE, P.FX_PUBLISH,
                             P.TRANSACTIONS_REVIEW, P.FRAUD_READ,
                             P.RISK_SCORE}),
    Role.AUDITOR: frozenset({P.ACCOUNTS_READ_ANY, P.TRANSACTIONS_READ_ANY, P.USERS_READ_ANY,
                             P.AUDIT_READ, P.FRAUD_READ}),
    Role.ANALYST: frozenset({P.ACCOUNTS_READ_ANY, P.TRANSACTIONS_READ_ANY, P.USERS_READ_ANY,
                             P.FRAUD_READ, P.FRAUD_RESOLVE, P.RISK_SCORE}),
    Role.ADMIN: frozenset(Permission),
}


def role_can(role: str, permission: Permission) -> bool:
    """True when `role` holds `permission` (unknown roles hold nothing)."""
    try:
        return permission in ROLE_PERMISSIONS[Role(role)]
    except ValueError:
        return False


def permission_table_markdown() -> str:
    """The table above, generated from ROLE_PERMISSIONS (the README copy is checked by a test)."""
    roles = list(Role)
    lines = ["| permission | " + " | ".join(r.value for r in roles) + " |",
             "|---|" + "|".join(":-:" for _ in roles) + "|"]
    for permission in Permission:
        marks = " | ".join("x" if permission in ROLE_PERMISSIONS[r] else "" for r in roles)
        lines.append(f"| `{permission.value}` | {marks} |")
    return "\n".join(lines)
