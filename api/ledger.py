"""The only Python that issues `CALL`: one helper plus a typed method per procedure.

Every procedure owns its transaction (START TRANSACTION ... COMMIT inside), so calls run
on autocommit connections. Business errors arrive as MySQL error 1644 with the message
`CODE: text` and become the matching `BankError`. A deadlock (1213) rolls the whole
procedure back and is retried a few times with jitter; a lock-wait timeout (1205, after
`db_lock_wait_seconds`) is retried once, since a row held that long is likely held longer.

Every call has a deadline. Read-only procedures also carry MariaDB's max_statement_time,
so the server stops them itself. A money call that passes its client-side deadline is
answered 503 and its connection closed (its state is unknown): whether it committed is
then unknown too, and the client's retry with the same Idempotency-Key settles it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import re
from datetime import datetime
from decimal import Decimal
from typing import Any

import aiomysql
import pymysql

from api.database import Database
from api.errors import (
    BankError,
    DatabaseBusy,
    InvalidArgument,
    ServiceUnavailable,
    UnknownCurrency,
    error_for_code,
)
from api.money import Currency
from api.observability import Metrics

log = logging.getLogger("api.ledger")

Row = dict[str, Any]

_PROCEDURE_NAME = re.compile(r"^sp_[a-z0-9_]+$")
_SIGNAL = 1644
_DEADLOCK, _LOCK_WAIT = 1213, 1205
_RETRYABLE = {_DEADLOCK, _LOCK_WAIT}
_CONNECTION_LOST = {2003, 2006, 2013, 2014, 2055}
# max_statement_time (MariaDB) / max_execution_time (MySQL) stopped a read.
_STATEMENT_TIMEOUT = {1969, 3024}
# Values the procedure's parameter types cannot hold: the request was out of range.
_BAD_VALUE = {1264, 1265, 1292, 1366, 1406, 1690, 3140}


class Ledger:
    """Typed access to the stored procedures through the process's Database.

    Money methods count their outcome (`bank_transactions_total{kind, outcome}`): the
    status of what posted or replayed, or the error code that refused it.
    """

    def __init__(self, database: Database, *, metrics: Metrics, retry_attempts: int = 4) -> None:
        self.database = database
        self.metrics = metrics
        self.retry_attempts = max(1, retry_attempts)
        self._currencies: dict[str, Currency] | None = None

    @property
    def pool(self) -> aiomysql.Pool | None:
        return self.database.pool

    # -- the one helper -------------------------------------------------------------

    async def call(
        self, procedure: str, /, *, result_sets: int = 1, timeout: float | None = None,
        **arguments: Any,
    ) -> list[list[Row]]:
        """Run `CALL procedure(...)`, return the first `result_sets` sets, drain the rest.

        `arguments` are named after the procedure's parameters (api/signatures.py); their
        order comes from the signature read when the pool opened, so a missing, extra or
        misspelt name is a TypeError here. `timeout` overrides the deadline for the rare
        call known to run long.
        """
        if not _PROCEDURE_NAME.match(procedure):
            raise ValueError(f"not a procedure name: {procedure!r}")
        signature = self.database.procedures.get(procedure)
        if signature is None:
            if not self.database.is_up:  # not connected yet: nothing learnt, answer 503
                self.metrics.db_unavailable.labels("down").inc()
                raise self.database.unavailable()
            raise ValueError(f"{procedure} is not a procedure this service may call")
        sql, args = _statement(procedure, signature.arguments(arguments))
        settings = self.database.settings
        if signature.read_only:
            deadline = settings.db_read_timeout_seconds
            if self.database.is_mariadb:
                # The server stops the read itself; the client deadline is the backstop.
                sql = f"SET STATEMENT max_statement_time={deadline:g} FOR {sql}"
                deadline += 1
        else:
            deadline = settings.db_write_timeout_seconds
        if timeout is not None:
            deadline = timeout
        attempt = lock_waits = 0
        while True:
            attempt += 1
            try:
                return await self._execute(sql, args, result_sets, deadline)
            except pymysql.err.MySQLError as exc:
                number = exc.args[0] if exc.args and isinstance(exc.args[0], int) else 0
                lock_waits += number == _LOCK_WAIT
                if number in _RETRYABLE and attempt < self.retry_attempts and lock_waits < 2:
                    self.metrics.db_retries.labels(procedure).inc()
                    await asyncio.sleep(random.uniform(0.002, 0.010) * 2 ** (attempt - 1))
                    continue
                raise self._failure(procedure, number, exc) from exc

    def _failure(self, procedure: str, number: int, exc: pymysql.err.MySQLError) -> BankError:
        if number in _RETRYABLE:
            self.metrics.db_unavailable.labels("lock_wait" if number == _LOCK_WAIT
                                               else "deadlock").inc()
        elif number in _STATEMENT_TIMEOUT:
            self.metrics.db_unavailable.labels("statement_time").inc()
        elif number in _CONNECTION_LOST:
            self.database.report_failure(f"connection lost ({number})")
            self.metrics.db_unavailable.labels("connection_lost").inc()
        return _map_error(procedure, number, exc)

    async def _execute(
        self, sql: str, args: tuple[Any, ...], result_sets: int, deadline: float
    ) -> list[list[Row]]:
        async with self.database.connection() as conn:
            watchdog = asyncio.get_running_loop().call_later(
                self.database.settings.db_slow_call_seconds, self.database.report_failure,
                "a call is slow")
            try:
                async with asyncio.timeout(deadline):
                    return await _run(conn, sql, args, result_sets)
            except pymysql.err.MySQLError as exc:
                if _error_number(exc) in _CONNECTION_LOST:
                    conn.close()
                raise
            except TimeoutError as exc:
                conn.close()  # cancelled mid-protocol: the connection's state is unknown
                self.database.report_failure("a call passed its deadline")
                self.metrics.db_unavailable.labels("deadline").inc()
                raise ServiceUnavailable("The database did not answer in time; retry shortly."
                                         ) from exc
            except (OSError, asyncio.IncompleteReadError) as exc:
                # The socket broke under the driver (a killed server): same as a lost connection.
                conn.close()
                self.database.report_failure("connection lost")
                self.metrics.db_unavailable.labels("connection_lost").inc()
                raise ServiceUnavailable("The database is unreachable; retry shortly.") from exc
            except BaseException:
                conn.close()
                raise
            finally:
                watchdog.cancel()

    async def rows(self, procedure: str, /, **arguments: Any) -> list[Row]:
        return (await self.call(procedure, **arguments))[0]

    async def row(self, procedure: str, /, **arguments: Any) -> Row | None:
        found = await self.rows(procedure, **arguments)
        return found[0] if found else None

    async def posted(self, procedure: str, /, *, counted_as: str, **arguments: Any) -> list[Row]:
        """A money call's rows, its outcome counted under `counted_as` for /metrics."""
        counter = self.metrics.transactions
        try:
            found = await self.rows(procedure, **arguments)
        except BankError as exc:
            counter.labels(counted_as, exc.code).inc()
            raise
        if not found:
            log.error("%s returned no row", procedure)
            counter.labels(counted_as, BankError.code).inc()
            raise BankError()
        counter.labels(counted_as, str(found[0].get("status") or "completed")).inc()
        return found

    async def one(self, procedure: str, /, **arguments: Any) -> Row:
        found = await self.row(procedure, **arguments)
        if found is None:
            log.error("%s returned no row", procedure)
            raise BankError()
        return found

    # -- reference data ---------------------------------------------------------------

    async def currencies(self) -> dict[str, Currency]:
        """The currency table, read once per process (it changes with a migration only)."""
        if self._currencies is None:
            rows = await self.rows("sp_list_currencies")
            self._currencies = {
                r["code"]: Currency(code=r["code"], name=r["name"], exponent=int(r["exponent"]))
                for r in rows
            }
        return self._currencies

    async def currency(self, code: str) -> Currency:
        found = (await self.currencies()).get(code)
        if found is None:
            raise UnknownCurrency(f"Unknown currency {code}.")
        return found

    async def schema_status(self) -> list[Row]:
        return await self.rows("sp_schema_status")

    async def check_integrity(
        self, *, full: bool, since_txn_id: int | None, timeout: float | None = None
    ) -> tuple[Row, list[Row]]:
        summary, found = await self.call("sp_check_integrity", full=full,
                                         since_txn_id=since_txn_id, result_sets=2,
                                         timeout=timeout)
        if not summary:
            raise BankError()
        return summary[0], found

    # -- users and sessions -------------------------------------------------------------

    async def register_user(
        self, *, username: str, password_hash: str, email_hash: bytes | None, kyc_verified: bool,
    ) -> Row:
        return await self.one("sp_register_user", username=username, password_hash=password_hash,
                              email_hash=email_hash, kyc_verified=kyc_verified)

    async def set_user_pii(
        self, *, user_id: int, email_enc: bytes | None, full_name_enc: bytes | None,
        phone_enc: bytes | None, date_of_birth_enc: bytes | None,
    ) -> None:
        await self.call("sp_set_user_pii", user_id=user_id, email_enc=email_enc,
                        full_name_enc=full_name_enc, phone_enc=phone_enc,
                        date_of_birth_enc=date_of_birth_enc, result_sets=0)

    async def login_lookup(self, *, username: str, ip: str) -> Row:
        return await self.one("sp_auth_login_lookup", username=username, ip_address=ip)

    async def login_failed(
        self, *, username: str, user_id: int | None, outcome: str, ip: str | None,
        user_agent: str | None,
    ) -> Row:
        return await self.one("sp_auth_login_failed", username=username, user_id=user_id,
                              outcome=outcome, ip_address=ip, user_agent=user_agent)

    async def login_succeeded(
        self, *, user_id: int, session_id: str, refresh_hash: bytes, session_expires_at: datetime,
        refresh_expires_at: datetime, ip: str | None, user_agent: str | None,
        mfa_challenge_id: str | None = None, mfa_step: int | None = None,
        country: str | None = None,
    ) -> Row:
        return await self.one("sp_auth_login_succeeded", user_id=user_id, session_id=session_id,
                              refresh_hash=refresh_hash, session_expires_at=session_expires_at,
                              refresh_expires_at=refresh_expires_at, ip_address=ip,
                              user_agent=user_agent, mfa_challenge_id=mfa_challenge_id,
                              mfa_step=mfa_step, country=country)

    async def refresh(self, *, token_hash: bytes, new_hash: bytes, new_expires_at: datetime) -> Row:
        return await self.one("sp_auth_refresh", token_hash=token_hash, new_hash=new_hash,
                              new_expires_at=new_expires_at)

    async def logout(self, *, session_id: str, user_id: int, refresh_hash: bytes | None) -> None:
        await self.call("sp_auth_logout", session_id=session_id, user_id=user_id,
                        refresh_hash=refresh_hash, result_sets=0)

    async def principal(self, *, session_id: str, user_id: int, account_id: int | None) -> Row:
        return await self.one("sp_auth_principal", session_id=session_id, user_id=user_id,
                              account_id=account_id)

    async def user_profile(self, user_id: int) -> Row:
        return await self.one("sp_get_user_profile", user_id=user_id)

    async def update_user_profile(
        self, *, user_id: int, email_hash: bytes | None, email_enc: bytes | None,
        full_name_enc: bytes | None, phone_enc: bytes | None, date_of_birth_enc: bytes | None,
    ) -> Row:
        return await self.one("sp_update_user_profile", user_id=user_id, email_hash=email_hash,
                              email_enc=email_enc, full_name_enc=full_name_enc,
                              phone_enc=phone_enc, date_of_birth_enc=date_of_birth_enc)

    async def user_secrets(self, *, session_id: str | None, user_id: int) -> Row:
        return await self.one("sp_get_user_secrets", session_id=session_id, user_id=user_id)

    async def set_pin(self, *, user_id: int, pin_hash: str, keep_session_id: str | None) -> None:
        await self.call("sp_set_user_pin", user_id=user_id, pin_hash=pin_hash,
                        keep_session_id=keep_session_id, result_sets=0)

    async def record_pin_attempt(self, *, user_id: int, success: bool) -> Row:
        return await self.one("sp_record_pin_attempt", user_id=user_id, success=success)

    async def set_mfa_secret(self, *, user_id: int, secret_enc: bytes) -> None:
        await self.call("sp_set_mfa_secret", user_id=user_id, secret_enc=secret_enc,
                        result_sets=0)

    async def enable_mfa(self, *, user_id: int, step: int) -> None:
        await self.call("sp_enable_mfa", user_id=user_id, step=step, result_sets=0)

    # -- accounts ------------------------------------------------------------------------

    async def create_account(
        self, *, user_id: int, account_type: str, currency: str, actor_id: int
    ) -> Row:
        return await self.one("sp_create_account", user_id=user_id, account_type=account_type,
                              currency=currency, actor_id=actor_id)

    async def get_account(self, account_id: int) -> Row:
        return await self.one("sp_get_account", account_id=account_id)

    async def list_accounts(self, *, user_id: int, after_id: int | None, limit: int) -> list[Row]:
        return await self.rows("sp_list_accounts", user_id=user_id, after_id=after_id,
                               limit=limit)

    async def balance(self, *, account_id: int, at: datetime | None) -> Row:
        return await self.one("sp_get_balance", account_id=account_id, at=at)

    async def statement(
        self, *, account_id: int, start: datetime | None, end: datetime | None,
        after_entry_id: int | None, limit: int,
    ) -> tuple[Row, list[Row]]:
        header, entries = await self.call("sp_account_statement", account_id=account_id,
                                          from_=start, to=end, after_entry_id=after_entry_id,
                                          limit=limit, result_sets=2)
        if not header:
            raise BankError()
        return header[0], entries

    # -- money -------------------------------------------------------------------------------

    async def deposit(
        self, *, account_id: int, amount: Decimal, description: str | None,
        idempotency_key: str, actor_id: int, session_id: str | None, owner_id: int | None,
    ) -> Row:
        return (await self.posted(
            "sp_deposit_cash", counted_as="deposit", account_id=account_id, amount=amount,
            description=description, idempotency_key=idempotency_key, actor_id=actor_id,
            session_id=session_id, owner_id=owner_id))[0]

    async def top_up(
        self, *, account_id: int, amount: Decimal, description: str | None,
        idempotency_key: str, actor_id: int, session_id: str | None,
    ) -> Row:
        return (await self.posted(
            "sp_top_up", counted_as="deposit", account_id=account_id, amount=amount,
            description=description, idempotency_key=idempotency_key, actor_id=actor_id,
            session_id=session_id))[0]

    async def withdraw(
        self, *, account_id: int, amount: Decimal, description: str | None,
        idempotency_key: str, actor_id: int, session_id: str | None, owner_id: int | None,
        client_ip: str | None = None, country: str | None = None,
    ) -> Row:
        """`client_ip` and `country` feed the risk rules (None: unknown)."""
        return (await self.posted(
            "sp_withdraw_cash", counted_as="withdrawal", account_id=account_id, amount=amount,
            description=description, idempotency_key=idempotency_key, actor_id=actor_id,
            session_id=session_id, owner_id=owner_id, client_ip=client_ip, country=country))[0]

    async def transfer(
        self, *, from_account_id: int, to_account_number: str, amount: Decimal,
        description: str | None, idempotency_key: str, actor_id: int, session_id: str | None,
        owner_id: int | None, fee: Decimal | None = None, otp_hash: bytes | None = None,
        client_ip: str | None = None, country: str | None = None,
    ) -> Row:
        """The fee is the procedure's (the schedule); `fee` overrides it only on a staff call.

        `client_ip` and `country` feed the risk rules (None: unknown).
        """
        return (await self.posted(
            "sp_perform_transfer", counted_as="transfer", from_account_id=from_account_id,
            to_account_number=to_account_number, amount=amount, fee=fee,
            description=description, idempotency_key=idempotency_key, actor_id=actor_id,
            session_id=session_id, owner_id=owner_id, otp_hash=otp_hash, client_ip=client_ip,
            country=country))[0]

    async def confirm_transaction(
        self, *, transaction_id: int, otp_hash: bytes, idempotency_key: str, actor_id: int,
        session_id: str,
    ) -> Row:
        """A pending_otp transfer with its code: posted, or moved on to review."""
        return (await self.posted(
            "sp_confirm_transaction", counted_as="confirm", transaction_id=transaction_id,
            otp_hash=otp_hash, idempotency_key=idempotency_key, actor_id=actor_id,
            session_id=session_id))[0]

    async def review_transaction(
        self, *, transaction_id: int, decision: str, reason: str | None, idempotency_key: str,
        actor_id: int, session_id: str,
    ) -> Row:
        """A staff decision on a pending_review transaction: approve posts, reject releases."""
        return (await self.posted(
            "sp_review_transaction", counted_as=decision, transaction_id=transaction_id,
            decision=decision, reason=reason, idempotency_key=idempotency_key,
            actor_id=actor_id, session_id=session_id))[0]

    async def list_reviews(
        self, *, actor_id: int, session_id: str, after_id: int | None, limit: int
    ) -> list[Row]:
        return await self.rows("sp_list_reviews", actor_id=actor_id, session_id=session_id,
                               after_id=after_id, limit=limit)

    async def expire_pending_transactions(self, *, unless_scheduled: bool) -> Row:
        """Cancel the pending_otp transfers whose code expired (the sweep's one call)."""
        return await self.one("sp_expire_pending_transactions", unless_scheduled=unless_scheduled)

    async def batch_transfer(
        self, *, from_account_id: int, items: list[dict[str, Any]], description: str | None,
        idempotency_key: str, actor_id: int, session_id: str | None, owner_id: int | None,
        otp_hash: bytes | None = None, client_ip: str | None = None, country: str | None = None,
    ) -> list[Row]:
        """The batch's parent transaction, then one row per transfer (none while held)."""
        payload = json.dumps(items, default=str, separators=(",", ":"))
        return await self.posted(
            "sp_perform_batch_transfer", counted_as="batch", from_account_id=from_account_id,
            items=payload, description=description, idempotency_key=idempotency_key,
            actor_id=actor_id, session_id=session_id, owner_id=owner_id, otp_hash=otp_hash,
            client_ip=client_ip, country=country)

    async def reverse(
        self, *, transaction_id: int, reason: str, idempotency_key: str, actor_id: int
    ) -> Row:
        return (await self.posted(
            "sp_reverse_transaction", counted_as="reversal", transaction_id=transaction_id,
            reason=reason, idempotency_key=idempotency_key, actor_id=actor_id))[0]

    async def get_transaction(
        self, *, transaction_id: int, viewer_id: int | None
    ) -> tuple[Row, list[Row]]:
        """One transaction and its entries; a viewer sees only their own legs (NULL: staff)."""
        header, entries = await self.call("sp_get_transaction", transaction_id=transaction_id,
                                          viewer_id=viewer_id, result_sets=2)
        if not header:
            raise error_for_code("TRANSACTION_NOT_FOUND", "")
        return header[0], entries

    async def list_transactions(
        self, *, user_id: int | None, account_id: int | None, transaction_type: str | None,
        transaction_status: str | None, start: datetime | None, end: datetime | None,
        min_amount: Decimal | None, max_amount: Decimal | None, before_id: int | None,
        limit: int,
    ) -> list[Row]:
        return await self.rows("sp_list_transactions", user_id=user_id, account_id=account_id,
                               transaction_type=transaction_type,
                               transaction_status=transaction_status, from_=start, to=end,
                               min_amount=min_amount, max_amount=max_amount,
                               before_id=before_id, limit=limit)

    # -- staff controls and the audit trail -----------------------------------------------

    async def admin_list_users(
        self, *, role: str | None, status: str | None, kyc_status: str | None,
        username_prefix: str | None, before_id: int | None, limit: int, viewer_id: int,
        session_id: str,
    ) -> list[Row]:
        return await self.rows("sp_admin_list_users", role=role, status=status,
                               kyc_status=kyc_status, username_prefix=username_prefix,
                               before_id=before_id, limit=limit, viewer_id=viewer_id,
                               session_id=session_id)

    async def admin_list_accounts(
        self, *, user_id: int | None, status: str | None, currency: str | None,
        account_type: str | None, before_id: int | None, limit: int, viewer_id: int,
        session_id: str,
    ) -> list[Row]:
        return await self.rows("sp_admin_list_accounts", user_id=user_id, status=status,
                               currency=currency, account_type=account_type,
                               before_id=before_id, limit=limit, viewer_id=viewer_id,
                               session_id=session_id)

    async def admin_set_user_status(
        self, *, user_id: int, status: str, reason: str, actor_id: int, session_id: str
    ) -> Row:
        return await self.one("sp_admin_set_user_status", user_id=user_id, status=status,
                              reason=reason, actor_id=actor_id, session_id=session_id)

    async def admin_end_sessions(
        self, *, user_id: int, reason: str, actor_id: int, session_id: str
    ) -> Row:
        return await self.one("sp_admin_end_sessions", user_id=user_id, reason=reason,
                              actor_id=actor_id, session_id=session_id)

    async def admin_set_user_role(
        self, *, user_id: int, role: str, reason: str, actor_id: int, session_id: str
    ) -> Row:
        return await self.one("sp_admin_set_user_role", user_id=user_id, role=role,
                              reason=reason, actor_id=actor_id, session_id=session_id)

    async def admin_set_user_kyc(
        self, *, user_id: int, kyc_status: str, reason: str, actor_id: int, session_id: str
    ) -> Row:
        return await self.one("sp_admin_set_user_kyc", user_id=user_id, kyc_status=kyc_status,
                              reason=reason, actor_id=actor_id, session_id=session_id)

    async def admin_set_account_status(
        self, *, account_id: int, status: str, reason: str, actor_id: int, session_id: str
    ) -> Row:
        return await self.one("sp_admin_set_account_status", account_id=account_id,
                              status=status, reason=reason, actor_id=actor_id,
                              session_id=session_id)

    async def audit_log(
        self, *, actor_user_id: int | None, table_name: str | None, row_id: int | None,
        action: str | None, event: str | None, start: datetime | None, end: datetime | None,
        before_id: int | None, limit: int, anchor_id: int | None, anchor_hash: str | None,
        anchor_row_count: int | None, viewer_id: int, session_id: str,
    ) -> tuple[list[Row], Row]:
        """A page of audit rows, and the chain's verification from genesis to head."""
        found, chain = await self.call(
            "sp_list_audit_log", actor_user_id=actor_user_id, table_name=table_name,
            row_id=row_id, action=action, event=event, from_=start, to=end,
            before_id=before_id, limit=limit, anchor_id=anchor_id, anchor_hash=anchor_hash,
            anchor_row_count=anchor_row_count, viewer_id=viewer_id, session_id=session_id,
            result_sets=2)
        if not chain:
            raise BankError()
        return found, chain[0]

    # -- notifications --------------------------------------------------------------------

    async def add_notification(
        self, *, session_id: str, user_id: int, kind: str, title: str, body: str,
        transaction_id: int | None,
    ) -> Row:
        return await self.one("sp_add_notification", session_id=session_id, user_id=user_id,
                              kind=kind, title=title, body=body, transaction_id=transaction_id)

    async def notifications(
        self, *, session_id: str, user_id: int, unread_only: bool, before_id: int | None,
        limit: int,
    ) -> list[Row]:
        return await self.rows("sp_list_notifications", session_id=session_id, user_id=user_id,
                               unread_only=unread_only, before_id=before_id, limit=limit)

    async def mark_notification_read(
        self, *, session_id: str, user_id: int, notification_id: int
    ) -> Row:
        return await self.one("sp_mark_notification_read", session_id=session_id,
                              user_id=user_id, notification_id=notification_id)

    # -- exchange rates ------------------------------------------------------------------

    async def fx_rates(self, *, session_id: str, user_id: int, at: datetime | None) -> list[Row]:
        return await self.rows("sp_list_fx_rates", session_id=session_id, user_id=user_id, at=at)

    async def fx_quote(
        self, *, from_currency: str, to_currency: str, amount: Decimal, session_id: str,
        user_id: int, to_account_number: str | None,
    ) -> Row:
        return await self.one("sp_fx_quote", from_=from_currency, to=to_currency, amount=amount,
                              session_id=session_id, user_id=user_id,
                              to_account_number=to_account_number)

    async def publish_fx_rate(
        self, *, base_currency: str, quote_currency: str, rate: Decimal,
        valid_from: datetime | None, reason: str | None, actor_id: int, session_id: str,
    ) -> list[Row]:
        """The rows written: the pair asked for first, then the pairs derived from it."""
        return await self.rows("sp_publish_fx_rate", base_currency=base_currency,
                               quote_currency=quote_currency, rate=rate, valid_from=valid_from,
                               reason=reason, actor_id=actor_id, session_id=session_id)

    # -- fraud alerts and risk scores -----------------------------------------------------

    async def list_fraud_alerts(
        self, *, status: str | None, verdict: str | None, since: datetime | None,
        until: datetime | None, account_id: int | None, before_id: int | None, limit: int,
        all_: bool, viewer_id: int, session_id: str,
    ) -> list[Row]:
        return await self.rows("sp_list_fraud_alerts", status=status, verdict=verdict,
                               since=since, until=until, account_id=account_id,
                               before_id=before_id, limit=limit, all=all_, viewer_id=viewer_id,
                               session_id=session_id)

    async def resolve_fraud_alert(
        self, *, alert_id: int, resolution: str, note: str, actor_id: int, session_id: str
    ) -> Row:
        return await self.one("sp_resolve_fraud_alert", alert_id=alert_id,
                              resolution=resolution, note=note, actor_id=actor_id,
                              session_id=session_id)

    async def fraud_stats(
        self, *, viewer_id: int, session_id: str
    ) -> tuple[Row, list[Row], list[Row]]:
        """Totals and lag; the counts per verdict; the counts per rule level."""
        totals, verdicts, levels = await self.call("sp_fraud_stats", viewer_id=viewer_id,
                                                   session_id=session_id, result_sets=3)
        if not totals:
            raise BankError()
        return totals[0], verdicts, levels

    async def list_risk_scores(
        self, *, verdict: str | None, account_id: int | None, since: datetime | None,
        until: datetime | None, before_id: int | None, limit: int, all_: bool,
        viewer_id: int, session_id: str,
    ) -> list[Row]:
        return await self.rows("sp_list_risk_scores", verdict=verdict, account_id=account_id,
                               since=since, until=until, before_id=before_id, limit=limit,
                               all=all_, viewer_id=viewer_id, session_id=session_id)

    async def risk_score(
        self, *, actor_id: int, session_id: str, items: list[dict[str, Any]]
    ) -> list[Row]:
        """The risk rules' judgement of proposed transactions (sp_risk_score; nothing posts)."""
        return await self.rows("sp_risk_score", actor_id=actor_id, session_id=session_id,
                               items=json.dumps(items, separators=(",", ":")))


def _statement(procedure: str, args: tuple[Any, ...]) -> tuple[str, tuple[Any, ...]]:
    """`CALL p(%s, ...)` with its arguments; bytes become X'..' hex literals in the text.

    aiomysql 0.3 escapes bytes with a PyMySQL helper that PyMySQL 1.2 removed
    (PyMySQL issue 1274), so binary arguments (hashes, ciphertext) are inlined as hex,
    which cannot carry anything but [0-9a-f].
    """
    placeholders: list[str] = []
    values: list[Any] = []
    for arg in args:
        if isinstance(arg, bytes | bytearray):
            placeholders.append(f"X'{bytes(arg).hex()}'")
        else:
            placeholders.append("%s")
            values.append(arg)
    return f"CALL {procedure}({', '.join(placeholders)})", tuple(values)


def _error_number(exc: pymysql.err.MySQLError) -> int:
    return exc.args[0] if exc.args and isinstance(exc.args[0], int) else 0


async def _run(
    conn: aiomysql.Connection, sql: str, args: tuple[Any, ...], result_sets: int
) -> list[list[Row]]:
    sets: list[list[Row]] = []
    async with conn.cursor() as cur:
        await cur.execute(sql, args)
        while True:
            if cur.description is not None:
                names = [column[0] for column in cur.description]
                rows = await cur.fetchall()
                if len(sets) < result_sets:
                    sets.append([dict(zip(names, row, strict=True)) for row in rows])
            if not await cur.nextset():
                break
    while len(sets) < result_sets:
        sets.append([])
    return sets


def _map_error(procedure: str, number: int, exc: pymysql.err.MySQLError) -> BankError:
    """Turn a driver error into the client-safe BankError (the raw message is only logged)."""
    message = str(exc.args[1]) if len(exc.args) > 1 else ""
    if number == _SIGNAL:
        code, _, text = message.partition(":")
        return error_for_code(code.strip(), text)
    if number in _RETRYABLE:
        # Counted (bank_db_unavailable_total), not logged: a hot row would flood the log.
        return DatabaseBusy("The ledger is busy; retry shortly.")
    if number in _STATEMENT_TIMEOUT:
        return DatabaseBusy("The database did not answer in time; retry shortly.")
    if number in _CONNECTION_LOST:
        return ServiceUnavailable("The database is unreachable; retry shortly.")
    if number in _BAD_VALUE:
        log.info("%s rejected a value (%s): %s", procedure, number, message)
        return InvalidArgument("A value is out of range.")
    log.error("%s failed with MySQL error %s: %s", procedure, number, message)
    return BankError()
