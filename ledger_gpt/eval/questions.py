"""The evaluation set: auditors' questions over the demo data, each with its gold SQL.

Phrased as auditors ask (typos, synonyms, words in another order). The gold SQL is written
by hand, independently of the engines' templates; it selects the columns the answer is
expected to show. Full names ("Bob Khoury") need the demo profiles (scripts/demo_profiles.py)
and BANK_PII_KEY. `{alice_savings}` and the like are the demo accounts' numbers, which
differ per database and are filled in before a run. `ordered` marks questions whose order
matters (rankings, statements, series by date).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Case:
    topic: str
    question: str
    gold: str
    ordered: bool = False


TX = ("SELECT t.id, t.reference, t.type, t.status, t.amount, t.currency, t.fee,"
      " t.from_account_number, t.to_account_number, t.description, t.created_at"
      " FROM vw_transactions t")
ALICE = "(SELECT id FROM vw_customers WHERE username = 'alice')"
BOB = "(SELECT id FROM vw_customers WHERE username = 'bob')"
FLAGGED = ("SELECT id, reference, type, status, amount, currency, flag_reason, risk_verdict,"
           " risk_score, created_at FROM vw_flagged_transactions")
BALANCES = ("SELECT u.username, a.account_number, a.account_type, a.currency, a.balance,"
            " a.available_balance, a.status FROM vw_accounts a"
            " JOIN vw_customers u ON u.id = a.user_id")
STATEMENT = ("SELECT account_number, created_at, reference, type, description, entry_type,"
             " amount, currency, balance_after FROM vw_customer_statement")
TOP = ("SELECT u.username, t.currency, COUNT(*), SUM(t.amount) AS total FROM vw_transactions t"
       " JOIN vw_customers u ON u.id = t.{side}"
       " WHERE t.type = 'transfer' AND t.status = 'completed'{where}"
       " GROUP BY u.username, t.currency ORDER BY total DESC, u.username LIMIT {n}")
FX = ("SELECT currency, target_currency, COUNT(*), SUM(amount), SUM(target_amount)"
      " FROM vw_transactions WHERE target_currency <> currency AND status = 'completed'{where}"
      " GROUP BY currency, target_currency")
FEES = ("SELECT currency, COUNT(*), SUM(fee) FROM vw_transactions"
        " WHERE status = 'completed' AND fee > 0{where} GROUP BY currency")
LOGINS = ("SELECT username, outcome, ip_address, created_at FROM vw_login_events"
          " WHERE outcome <> 'success'")
REVERSALS = ("SELECT reference, original_reference, original_type, amount, currency, reason,"
             " approved_by, created_at FROM vw_reversals")
REVIEWS = ("SELECT transaction_id, reference, amount, currency, from_account_number,"
           " to_account_number, review_hits, created_at FROM vw_pending_reviews"
           " WHERE status = 'pending_review'")
INCIDENTS = ("SELECT kind, id, transaction_id, severity, status, detail, created_at"
             " FROM vw_incidents")
AUDIT = ("SELECT id, table_name, row_id, action, event, reason, actor_username, created_at"
         " FROM vw_audit_changes")
LAST_WEEK = "created_at >= CURDATE() - INTERVAL 7 DAY"
LAST_MONTH = "created_at >= CURDATE() - INTERVAL 30 DAY"



def _month(month: int) -> str:
    """A month of the demo's year as a created_at range (the demo covers the last 90 days)."""
    return (f"created_at >= DATE_FORMAT(CURDATE() - INTERVAL"
            f" (IF(MONTH(CURDATE()) >= {month}, 0, 1)) YEAR, '%Y-{month:02d}-01')"
            f" AND created_at < DATE_FORMAT(CURDATE() - INTERVAL"
            f" (IF(MONTH(CURDATE()) >= {month}, 0, 1)) YEAR, '%Y-{month:02d}-01')"
            " + INTERVAL 1 MONTH")


NOVEMBER = _month(11)
THIS_MONTH = "created_at >= DATE_FORMAT(CURDATE(), '%Y-%m-01')"

CASES: tuple[Case, ...] = (
    # -- transactions of a customer, by type, amount, date ---------------------------------
    Case("transactions", "transactions of alice last week",
         f"{TX} WHERE (t.from_user_id = {ALICE} OR t.to_user_id = {ALICE}) AND t.{LAST_WEEK}"),
    Case("transactions", "show me bob's transactons in the past 30 days",
         f"{TX} WHERE (t.from_user_id = {BOB} OR t.to_user_id = {BOB}) AND t.{LAST_MONTH}"),
    Case("transactions", "all withdrawals by alice between 50 and 70 JOD",
         f"{TX} WHERE t.from_user_id = {ALICE} AND t.type = 'withdrawal'"
         " AND t.amount BETWEEN 50 AND 70 AND t.currency = 'JOD'"),
    Case("transactions", "payments sent to bob in November",
         f"{TX} WHERE t.to_user_id = {BOB} AND t.{NOVEMBER}"),
    Case("transactions", "witdrawals yesterday",
         f"{TX} WHERE t.type = 'withdrawal' AND t.created_at >= CURDATE() - INTERVAL 1 DAY"
         " AND t.created_at < CURDATE()"),
    Case("transactions", "reversed transactions",
         f"{TX} WHERE t.status = 'reversed'"),
    Case("transactions", "transactions on account {alice_checking} since 2026-11-15",
         f"{TX} WHERE (t.from_account_number = '{{alice_checking}}'"
         " OR t.to_account_number = '{alice_checking}') AND t.created_at >= '2026-11-15'"),
    Case("transactions", "alice's transfers over $100 this month",
         f"{TX} WHERE (t.from_user_id = {ALICE} OR t.to_user_id = {ALICE})"
         f" AND t.type = 'transfer' AND t.amount > 100 AND t.{THIS_MONTH}"),
    Case("transactions", "transactions of Bob Khoury last week",
         f"{TX} WHERE (t.from_user_id = {BOB} OR t.to_user_id = {BOB}) AND t.{LAST_WEEK}"),
    Case("transactions", "top 5 largest transfers",
         f"{TX} WHERE t.type = 'transfer' ORDER BY t.amount DESC, t.id LIMIT 5", ordered=True),
    Case("transactions", "deposits in the last 90 days to bob",
         f"{TX} WHERE t.type = 'deposit' AND t.created_at >= CURDATE() - INTERVAL 90 DAY"
         f" AND t.to_user_id = {BOB}"),
    # -- amounts -----------------------------------------------------------------------------
    Case("amounts", "transfers over $500",
         f"{TX} WHERE t.type = 'transfer' AND t.amount > 500"),
    Case("amounts", "transfers between 1k and 5k",
         f"{TX} WHERE t.type = 'transfer' AND t.amount >= 1000 AND t.amount <= 5000"),
    Case("amounts", "transactions of at least 1000 JOD",
         f"{TX} WHERE t.amount >= 1000 AND t.currency = 'JOD'"),
    Case("amounts", "deposits over 5k",
         f"{TX} WHERE t.type = 'deposit' AND t.amount > 5000"),
    Case("amounts", "transfers under 20 dollars",
         f"{TX} WHERE t.type = 'transfer' AND t.amount < 20 AND t.currency = 'USD'"),
    Case("amounts", "wires bigger than 60",
         f"{TX} WHERE t.type = 'transfer' AND t.amount > 60"),
    # -- flagged, suspicious, critical -------------------------------------------------------
    Case("flagged", "flagged transactions", FLAGGED),
    Case("flagged", "suspicious transactions last week",
         f"{FLAGGED} WHERE risk_verdict = 'SUSPICIOUS' AND {LAST_WEEK}"),
    Case("flagged", "show critical transactions", f"{FLAGGED} WHERE risk_verdict = 'CRITICAL'"),
    Case("flagged", "high-value transactions", f"{FLAGGED} WHERE is_high_value"),
    Case("flagged", "any suspicous or critical transfers?",
         f"{FLAGGED} WHERE risk_verdict IN ('SUSPICIOUS', 'CRITICAL') AND type = 'transfer'"),
    # -- balances ----------------------------------------------------------------------------
    Case("balances", "balances of bob", f"{BALANCES} WHERE u.username = 'bob'"),
    Case("balances", "what is alice's balance", f"{BALANCES} WHERE u.username = 'alice'"),
    Case("balances", "balances of Alice Haddad", f"{BALANCES} WHERE u.username = 'alice'"),
    Case("balances", "balance of account {alice_savings}",
         f"{BALANCES} WHERE a.account_number = '{{alice_savings}}'"),
    Case("balances", "total balances by currency",
         "SELECT currency, COUNT(*), SUM(balance) FROM vw_accounts GROUP BY currency"),
    Case("balances", "alice savings account balanse",
         f"{BALANCES} WHERE u.username = 'alice' AND a.account_type = 'savings'"),
    Case("balances", "how much money does bob have in USD",
         f"{BALANCES} WHERE u.username = 'bob' AND a.currency = 'USD'"),
    # -- statements --------------------------------------------------------------------------
    Case("statements", "statement of alice's savings account",
         f"{STATEMENT} WHERE user_id = {ALICE} AND account_type = 'savings' ORDER BY entry_id",
         ordered=True),
    Case("statements", "statment for account {bob_checking} in November",
         f"{STATEMENT} WHERE account_number = '{{bob_checking}}' AND {NOVEMBER}"
         " ORDER BY entry_id", ordered=True),
    Case("statements", "Haddad's statement in November",
         f"{STATEMENT} WHERE user_id = {ALICE} AND {NOVEMBER} ORDER BY account_number, entry_id",
         ordered=True),
    Case("statements", "bob's jod statement last 2 weeks",
         f"{STATEMENT} WHERE user_id = {BOB} AND currency = 'JOD'"
         " AND created_at >= CURDATE() - INTERVAL 14 DAY ORDER BY account_number, entry_id",
         ordered=True),
    Case("statements", "ledger entries of account {alice_wallet} since 2026-11-15",
         f"{STATEMENT} WHERE account_number = '{{alice_wallet}}' AND created_at >= '2026-11-15'"
         " ORDER BY entry_id", ordered=True),
    # -- top senders and receivers -----------------------------------------------------------
    Case("top senders and receivers", "top 5 senders",
         TOP.format(side="from_user_id", where="", n=5), ordered=True),
    Case("top senders and receivers", "biggest receivers last month",
         TOP.format(side="to_user_id", where=f" AND t.{LAST_MONTH}", n=10), ordered=True),
    Case("top senders and receivers", "who sent the most money",
         TOP.format(side="from_user_id", where="", n=10), ordered=True),
    Case("top senders and receivers", "top 3 recipients in USD",
         TOP.format(side="to_user_id", where=" AND t.currency = 'USD'", n=3), ordered=True),
    # -- volume and counts -------------------------------------------------------------------
    Case("volume", "daily transaction volume last week",
         "SELECT DATE(created_at) AS day, currency, COUNT(*), SUM(amount) FROM vw_transactions"
         f" WHERE status = 'completed' AND {LAST_WEEK} GROUP BY DATE(created_at), currency"
         " ORDER BY day, currency", ordered=True),
    Case("volume", "weekly transfer counts",
         "SELECT DATE(created_at - INTERVAL WEEKDAY(created_at) DAY) AS wk, currency, COUNT(*),"
         " SUM(amount) FROM vw_transactions WHERE status = 'completed' AND type = 'transfer'"
         " GROUP BY wk, currency ORDER BY wk, currency", ordered=True),
    Case("volume", "how many transactions per currency",
         "SELECT currency, COUNT(*), SUM(amount) FROM vw_transactions"
         " WHERE status = 'completed' GROUP BY currency"),
    Case("volume", "monthly volume of withdrawals",
         "SELECT DATE_FORMAT(created_at, '%Y-%m') AS m, currency, COUNT(*), SUM(amount)"
         " FROM vw_transactions WHERE status = 'completed' AND type = 'withdrawal'"
         " GROUP BY m, currency ORDER BY m, currency", ordered=True),
    Case("volume", "number of deposits in November",
         "SELECT currency, COUNT(*), SUM(amount) FROM vw_transactions"
         f" WHERE status = 'completed' AND type = 'deposit' AND {NOVEMBER} GROUP BY currency"),
    # -- fees --------------------------------------------------------------------------------
    Case("fees", "fees earned this month", FEES.format(where=f" AND {THIS_MONTH}")),
    Case("fees", "total fees by currency", FEES.format(where="")),
    Case("fees", "fees on transfers in November",
         FEES.format(where=f" AND type = 'transfer' AND {NOVEMBER}")),
    Case("fees", "how much did we earn in fees last week", FEES.format(where=f" AND {LAST_WEEK}")),
    Case("fees", "commission paid by bob", FEES.format(where=f" AND from_user_id = {BOB}")),
    # -- FX ----------------------------------------------------------------------------------
    Case("fx", "FX volume by currency pair", FX.format(where="")),
    Case("fx", "currency conversions last month", FX.format(where=f" AND {LAST_MONTH}")),
    Case("fx", "conversions from JOD to USD",
         FX.format(where=" AND currency = 'JOD' AND target_currency = 'USD'")),
    Case("fx", "current exchange rates",
         "SELECT base_currency, quote_currency, rate, valid_from FROM vw_fx_rates_current"),
    Case("fx", "exchange rate from USD to EUR",
         "SELECT base_currency, quote_currency, rate, valid_from FROM vw_fx_rates_current"
         " WHERE base_currency = 'USD' AND quote_currency = 'EUR'"),
    # -- reversals ---------------------------------------------------------------------------
    Case("reversals", "reversals and who approved them", REVERSALS),
    Case("reversals", "reversels last month", f"{REVERSALS} WHERE {LAST_MONTH}"),
    Case("reversals", "reversals approved by manager",
         f"{REVERSALS} WHERE approved_by = 'manager'"),
    # -- reviews -----------------------------------------------------------------------------
    Case("reviews", "pending reviews", REVIEWS),
    Case("reviews", "transactions waiting for approval", REVIEWS),
    Case("reviews", "what is in the review queue", REVIEWS),
    # -- logins and incidents ----------------------------------------------------------------
    Case("logins and incidents", "failed logins in the last 7 days", f"{LOGINS} AND {LAST_WEEK}"),
    Case("logins and incidents", "how many failed logins per user",
         "SELECT username, COUNT(*) AS n FROM vw_login_events WHERE outcome <> 'success'"
         " GROUP BY username ORDER BY n DESC, username", ordered=True),
    Case("logins and incidents", "failed login attempts by bob",
         f"{LOGINS} AND username = 'bob'"),
    Case("logins and incidents", "unsuccessful sign-ins yesterday",
         f"{LOGINS} AND created_at >= CURDATE() - INTERVAL 1 DAY AND created_at < CURDATE()"),
    Case("logins and incidents", "open incidents", f"{INCIDENTS} WHERE status = 'open'"),
    Case("logins and incidents", "fraud alerts this month",
         f"{INCIDENTS} WHERE kind = 'fraud_alert' AND {THIS_MONTH}"),
    # -- integrity and the balance sheet -----------------------------------------------------
    Case("integrity", "is the ledger consistent?", "SELECT * FROM vw_ledger_integrity_check"),
    Case("integrity", "run the integrty check", "SELECT * FROM vw_ledger_integrity_check"),
    Case("integrity", "any broken invariants", "SELECT * FROM vw_ledger_integrity_check"),
    Case("balance sheet", "show the balance sheet",
         "SELECT currency, kind, line, accounts, balance FROM vw_balance_sheet"
         " ORDER BY currency, kind, line", ordered=True),
    Case("balance sheet", "balance sheet in JOD",
         "SELECT currency, kind, line, accounts, balance FROM vw_balance_sheet"
         " WHERE currency = 'JOD' ORDER BY currency, kind, line", ordered=True),
    # -- audit log ---------------------------------------------------------------------------
    Case("audit log", "audit log changes to alice",
         f"{AUDIT} WHERE table_name = 'users' AND row_id = {ALICE}"),
    Case("audit log", "changes to account {bob_savings}",
         f"{AUDIT} WHERE table_name = 'accounts' AND row_id ="
         " (SELECT id FROM vw_accounts WHERE account_number = '{bob_savings}')"),
    Case("audit log", "audit changes made by manager", f"{AUDIT} WHERE actor_username = 'manager'"),
    Case("audit log", "who changed bob's user record",
         f"{AUDIT} WHERE table_name = 'users' AND row_id = {BOB}"),
    # -- customers ---------------------------------------------------------------------------
    Case("customers", "list all customers",
         "SELECT username, role, status, kyc_status, mfa_enabled, last_login_at, created_at"
         " FROM vw_customers WHERE role = 'customer'"),
    Case("customers", "list staff",
         "SELECT username, role, status, kyc_status, mfa_enabled, last_login_at, created_at"
         " FROM vw_customers WHERE role IN ('teller', 'manager', 'auditor', 'admin')"),
)
