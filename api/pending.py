"""Transfers that wait: the one-time code of a high-value transfer, and the expiry sweep.

The code is six digits from `secrets`, sent to the customer through the notifier (SMTP when
configured, else their in-app inbox). The database receives only its HMAC-SHA256 under
`BANK_OTP_KEY` (`otp_digest`): with a plain hash, anyone who can read the table could try
the million codes; without the key they cannot. The procedure stores the digest only when
the transfer needs a code (`transaction_rules` decides), so the API mints one per transfer.

`PendingSweeper` runs beside the integrity monitor in each API process: every
`pending_sweep_seconds` it calls `sp_expire_pending_transactions`, which cancels the
transfers whose code expired and releases their holds. Where the database's
event_scheduler is ON the event `ev_expire_pending_transactions` does this and the sweep's
call returns at once ('skipped').
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import logging
import secrets

from api.config import Settings
from api.errors import BankError, ServiceUnavailable
from api.ledger import Ledger
from api.notify import Message, Notifier, SmtpNotifier
from api.security.pii import PiiCipher, decrypt_profile

log = logging.getLogger("api.pending")

OTP_DIGITS = 6


def new_otp() -> str:
    """Six random digits, leading zeros kept."""
    return f"{secrets.randbelow(10**OTP_DIGITS):0{OTP_DIGITS}d}"


def otp_digest(settings: Settings, code: str) -> bytes:
    """HMAC-SHA256 of the code under the server's key: what the database stores and compares."""
    return hmac.new(settings.otp_key.encode(), code.encode(), hashlib.sha256).digest()


# How the message names what the code confirms, by transaction type.
_CONFIRMED_WHAT = {"transfer": "transfer", "batch": "batch transfer",
                   "bill_payment": "bill payment"}


async def send_otp(
    *, notifier: Notifier, ledger: Ledger, pii: PiiCipher, code: str, user_id: int,
    session_id: str, transaction_id: int, reference: str, transaction_type: str,
) -> None:
    """The code to the customer: by mail when SMTP is configured, else into their inbox."""
    what = _CONFIRMED_WHAT.get(transaction_type, "payment")
    email: str | None = None
    if isinstance(notifier, SmtpNotifier):
        email = decrypt_profile(pii, await ledger.user_profile(user_id)).get("email")
    message = Message(
        user_id=user_id, session_id=session_id, kind="otp",
        title=f"Your code for {what} {reference}",
        body=(f"Your one-time code is {code}. It confirms {what} {reference} and is valid "
              "for 5 minutes. Never share it."),
        transaction_id=transaction_id)
    await notifier.send(message, email=email)


class PendingSweeper:
    """Cancels expired pending_otp transfers on a schedule, unless the database's events do."""

    def __init__(self, ledger: Ledger, settings: Settings) -> None:
        self.ledger = ledger
        self.settings = settings
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self.settings.pending_sweep_seconds > 0:
            self._task = asyncio.create_task(self._loop(), name="pending-sweep")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def sweep(self) -> int:
        """One sweep now; how many transfers it cancelled."""
        row = await self.ledger.expire_pending_transactions(unless_scheduled=True)
        expired = int(str(row["expired"]))
        if expired:
            log.info("expired %d pending transfer(s)", expired)
        return expired

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.settings.pending_sweep_seconds)
            try:
                await self.sweep()
            except ServiceUnavailable:
                continue  # the database's state is logged by api.database
            except BankError:
                log.exception("pending sweep failed")
