"""Messages to a customer: mailed through SMTP when a server is configured, else in-app.

One small interface (`Notifier.send`) with two implementations. `SmtpNotifier` speaks SMTP
to the server in BANK_SMTP_HOST (STARTTLS and login when configured), from a worker thread
so the event loop never waits on the network. `InAppNotifier` puts the message in the
caller's own inbox (`sp_add_notification`), which `GET /notifications` lists: what a
development machine without a mail server uses, and what tests read.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

import anyio.to_thread

from api.config import Settings
from api.errors import ServiceUnavailable
from api.ledger import Ledger

log = logging.getLogger("api.notify")


@dataclass(frozen=True, slots=True)
class Message:
    """One message for the signed-in user whose session asked for it."""

    user_id: int
    session_id: str
    kind: str
    title: str
    body: str
    transaction_id: int | None = None


class Notifier(Protocol):
    async def send(self, message: Message, *, email: str | None) -> None:
        """Deliver `message` (to `email`, for a channel that needs an address)."""


class InAppNotifier:
    """Delivers into the user's in-app inbox through the ledger."""

    def __init__(self, ledger: Ledger) -> None:
        self.ledger = ledger

    async def send(self, message: Message, *, email: str | None) -> None:
        await self.ledger.add_notification(
            session_id=message.session_id, user_id=message.user_id, kind=message.kind,
            title=message.title, body=message.body, transaction_id=message.transaction_id)


class SmtpNotifier:
    """Mails the message to the user's address through the configured SMTP server."""

    def __init__(self, settings: Settings, *, fallback: Notifier) -> None:
        self.settings = settings
        self.fallback = fallback

    def email(self, message: Message, to: str) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self.settings.smtp_from
        mail["To"] = to
        mail["Subject"] = message.title
        mail["X-Bank-Kind"] = message.kind
        mail.set_content(message.body)
        return mail

    async def send(self, message: Message, *, email: str | None) -> None:
        if not email:
            # Nobody to mail: the inbox still reaches a user who has no address on file.
            await self.fallback.send(message, email=None)
            return
        mail = self.email(message, email)
        try:
            await anyio.to_thread.run_sync(self._deliver, mail)
        except (OSError, smtplib.SMTPException) as exc:
            log.error("mail to user %s failed: %s", message.user_id, type(exc).__name__)
            raise ServiceUnavailable("The message could not be sent; retry shortly.") from exc

    def _deliver(self, mail: EmailMessage) -> None:
        settings = self.settings
        assert settings.smtp_host is not None
        with smtplib.SMTP(settings.smtp_host, settings.smtp_port,
                          timeout=settings.smtp_timeout_seconds) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_username:
                smtp.login(settings.smtp_username, settings.smtp_password or "")
            smtp.send_message(mail)


def notifier_for(settings: Settings, ledger: Ledger) -> Notifier:
    """SMTP when BANK_SMTP_HOST is set, otherwise the in-app inbox."""
    in_app = InAppNotifier(ledger)
    if settings.smtp_host:
        return SmtpNotifier(settings, fallback=in_app)
    return in_app
