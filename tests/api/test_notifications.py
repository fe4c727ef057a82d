"""The in-app inbox and the mail notifier: what a customer is sent reaches them, and only them."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import pytest

from api.errors import BankError, ServiceUnavailable
from api.notify import InAppNotifier, Message, SmtpNotifier
from api.security.tokens import decode_access_token
from tests.support.app import Person, make_settings


def message_for(app, person: Person, text: str, kind: str = "otp") -> Message:
    claims = decode_access_token(app.state.settings, person.access_token)
    return Message(user_id=person.id, session_id=claims.session_id, kind=kind,
                   title=f"About {text}", body=f"The body of {text}")


class TestInbox:
    async def test_a_message_is_listed_paged_marked_read_and_seen_by_its_owner_only(
        self, app, bank, client
    ):
        owner, other = await bank.person(), await bank.person()
        notifier = app.state.notifier
        assert isinstance(notifier, InAppNotifier)  # no SMTP server in the test settings
        for text in ("one", "two", "three"):
            await notifier.send(message_for(app, owner, text), email=None)

        page = (await client.get("/notifications", headers=owner.auth,
                                 params={"limit": 2})).json()
        assert [n["title"] for n in page["items"]] == ["About three", "About two"]
        assert all(n["read"] is False and n["kind"] == "otp" for n in page["items"])
        rest = (await client.get("/notifications", headers=owner.auth,
                                 params={"cursor": page["next_cursor"]})).json()
        assert [n["title"] for n in rest["items"]] == ["About one"]
        assert rest["next_cursor"] is None

        newest = page["items"][0]["id"]
        stranger = await client.post(f"/notifications/{newest}/read", headers=other.auth)
        assert stranger.status_code == 404
        assert stranger.json()["code"] == "NOTIFICATION_NOT_FOUND"
        assert (await client.get("/notifications", headers=other.auth)).json()["items"] == []

        read = await client.post(f"/notifications/{newest}/read", headers=owner.auth)
        assert read.status_code == 200, read.text
        assert read.json()["read"] is True
        assert read.json()["read_at"] is not None
        again = await client.post(f"/notifications/{newest}/read", headers=owner.auth)
        assert again.json()["read_at"] == read.json()["read_at"]
        unread = (await client.get("/notifications", headers=owner.auth,
                                   params={"unread": "true"})).json()
        assert [n["title"] for n in unread["items"]] == ["About two", "About one"]

    async def test_the_api_cannot_write_into_someone_elses_inbox(self, app, bank):
        owner, other = await bank.person(), await bank.person()
        forged = message_for(app, owner, "forged")
        forged = Message(user_id=other.id, session_id=forged.session_id, kind="otp",
                         title="x", body="y")
        with pytest.raises(BankError) as refused:
            await app.state.notifier.send(forged, email=None)
        assert refused.value.code == "SESSION_REVOKED"
        bad_kind = Message(user_id=owner.id, session_id=forged.session_id, kind="Not A Kind",
                           title="x", body="y")
        with pytest.raises(BankError) as invalid:
            await app.state.notifier.send(bad_kind, email=None)
        assert invalid.value.code == "INVALID_ARGUMENT"

    async def test_listing_needs_a_signed_in_caller(self, client):
        assert (await client.get("/notifications")).status_code == 401


@dataclass
class FakeSmtpServer:
    """Just enough SMTP (EHLO, AUTH PLAIN, MAIL, RCPT, DATA, QUIT) to see what a client sends."""

    commands: list[str] = field(default_factory=list)
    data: list[str] = field(default_factory=list)

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        async def reply(line: str) -> None:
            writer.write(f"{line}\r\n".encode())
            await writer.drain()

        await reply("220 fake.smtp ready")
        while line := (await reader.readline()).decode().rstrip("\r\n"):
            self.commands.append(line)
            verb = line.split(" ", 1)[0].upper()
            if verb == "EHLO":
                await reply("250-fake.smtp")
                await reply("250 AUTH PLAIN")
            elif verb == "AUTH":
                await reply("235 accepted")
            elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
                await reply("250 ok")
            elif verb == "DATA":
                await reply("354 go on")
                body: list[str] = []
                while (chunk := (await reader.readline()).decode()) != ".\r\n":
                    body.append(chunk)
                self.data.append("".join(body))
                await reply("250 queued")
            elif verb == "QUIT":
                await reply("221 bye")
                break
            else:
                await reply("502 not here")
        writer.close()


@pytest.fixture
async def smtp_server() -> AsyncIterator[tuple[FakeSmtpServer, int]]:
    fake = FakeSmtpServer()
    server = await asyncio.start_server(fake.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield fake, port
    finally:
        server.close()
        await server.wait_closed()


class TestMail:
    async def test_the_real_client_speaks_smtp_with_login_and_the_message(
        self, admin_url, database, smtp_server
    ):
        fake, port = smtp_server
        settings = make_settings(admin_url, database, smtp_host="127.0.0.1", smtp_port=port,
                                 smtp_starttls=False, smtp_username="bank",
                                 smtp_password="s3cret", smtp_from="Bank <otp@bank.example>")
        notifier = SmtpNotifier(settings, fallback=_Unused())
        await notifier.send(Message(user_id=7, session_id="s" * 32, kind="otp",
                                    title="Your code", body="Code 123456, valid 5 minutes."),
                            email="rana@example.com")
        auth = next(c for c in fake.commands if c.upper().startswith("AUTH PLAIN"))
        assert base64.b64decode(auth.split()[-1]) == b"\0bank\0s3cret"
        assert any(c.lower().startswith("mail from:<otp@bank.example>") for c in fake.commands)
        assert any(c.lower().startswith("rcpt to:<rana@example.com>") for c in fake.commands)
        (mail,) = fake.data
        assert "Subject: Your code" in mail
        assert "X-Bank-Kind: otp" in mail
        assert "Code 123456, valid 5 minutes." in mail

    async def test_an_unreachable_server_is_a_503_and_no_address_goes_to_the_inbox(
        self, admin_url, database
    ):
        settings = make_settings(admin_url, database, smtp_host="127.0.0.1", smtp_port=9,
                                 smtp_starttls=False, smtp_timeout_seconds=2)
        fallback = _Recorder()
        notifier = SmtpNotifier(settings, fallback=fallback)
        message = Message(user_id=7, session_id="s" * 32, kind="otp", title="t", body="b")
        with pytest.raises(ServiceUnavailable):
            await notifier.send(message, email="rana@example.com")
        await notifier.send(message, email=None)
        assert fallback.sent == [message]


class _Unused:
    async def send(self, message: Message, *, email: str | None) -> None:
        raise AssertionError("the fallback must not be used when an address is known")


class _Recorder:
    def __init__(self) -> None:
        self.sent: list[Message] = []

    async def send(self, message: Message, *, email: str | None) -> None:
        self.sent.append(message)
