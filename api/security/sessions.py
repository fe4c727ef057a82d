"""Login, sessions, refresh-token rotation and the transaction PIN (bcrypt off the loop).

The routes in api/routes/auth.py and api/routes/users.py speak HTTP; this module holds the
rules: lockout before bcrypt, the TOTP step, the PIN's attempts. It answers with plain
values (`SessionTokens`, `MfaRequired`) and raises the errors of api/errors.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import anyio.to_thread

from api.config import Settings
from api.errors import (
    BankError,
    InvalidCredentials,
    LoginLocked,
    LoginThrottled,
    MfaInvalid,
    PinInvalid,
    PinLocked,
    PinRequired,
    UserBlocked,
)
from api.ledger import Ledger, Row
from api.ratelimit import RateLimits
from api.security import mfa
from api.security.passwords import verify_secret
from api.security.pii import PiiCipher
from api.security.tokens import (
    AccessClaims,
    decode_mfa_challenge,
    issue_access_token,
    issue_mfa_challenge,
    new_refresh_token,
    new_session_id,
    refresh_token_hash,
)
from api.security.usernames import login_username


@dataclass(frozen=True, slots=True)
class SessionTokens:
    """A new access token (and its lifetime in seconds) with the refresh token to rotate it."""

    access_token: str
    refresh_token: str
    expires_in: int


@dataclass(frozen=True, slots=True)
class MfaRequired:
    """The password was right; a TOTP code must follow, with this challenge, before it expires."""

    challenge_id: str
    expires_in: int


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _retry_after(until: datetime) -> dict[str, str]:
    seconds = max(1, int((until - _now()).total_seconds()) + 1)
    return {"Retry-After": str(seconds)}


def _locked(until: datetime) -> LoginLocked:
    minutes = max(1, -(-int((until - _now()).total_seconds()) // 60))
    return LoginLocked(f"Too many failed logins from this address: try again in {minutes} "
                       "minute(s).", headers=_retry_after(until))


async def check_password(
    ledger: Ledger, settings: Settings, *, username: str, password: str, ip: str,
    user_agent: str | None, outcome: str = "failure", wrong: BankError | None = None,
) -> Row:
    """The one password check (login and PUT /users/pin), behind the lockout rules.

    Refuses a locked (username, client) pair (423) and a slowed username from a client
    the user never logged in from (429) before spending a bcrypt; a wrong password
    counts against both (sp_auth_login_failed holds the rules). Returns the lookup row.
    """
    found = await ledger.login_lookup(username=username, ip=ip)
    user_id = found["user_id"]
    if found["locked_until"] is not None:
        await ledger.login_failed(username=username, user_id=user_id, outcome="locked", ip=ip,
                                  user_agent=user_agent)
        raise _locked(found["locked_until"])
    if found["slow_until"] is not None:
        await ledger.login_failed(username=username, user_id=user_id, outcome="throttled",
                                  ip=ip, user_agent=user_agent)
        raise LoginThrottled(headers=_retry_after(found["slow_until"]))
    if not await verify_secret(password, found["password_hash"], rounds=settings.bcrypt_rounds):
        await _count_failure(ledger, username=username, user_id=user_id, outcome=outcome, ip=ip,
                             user_agent=user_agent)
        raise wrong or InvalidCredentials()
    return found


async def _count_failure(
    ledger: Ledger, *, username: str, user_id: int | None, outcome: str, ip: str,
    user_agent: str | None,
) -> None:
    """Record a failed secret; raise 423 when this failure locked the client out."""
    failed = await ledger.login_failed(username=username, user_id=user_id, outcome=outcome,
                                       ip=ip, user_agent=user_agent)
    if failed["locked_until"] is not None:
        raise _locked(failed["locked_until"])


async def login(
    ledger: Ledger, settings: Settings, *, username: str, password: str, ip: str,
    user_agent: str | None, country: str | None = None,
) -> SessionTokens | MfaRequired:
    """Check the password and open a session or an MFA challenge."""
    name = login_username(username)
    if name is None:
        # No account can have this name: fail exactly like a wrong password, same cost.
        await verify_secret(password, None, rounds=settings.bcrypt_rounds)
        raise InvalidCredentials()
    found = await check_password(ledger, settings, username=name, password=password, ip=ip,
                                 user_agent=user_agent)
    user_id = int(found["user_id"])
    if found["status"] != "active":
        await ledger.login_failed(username=name, user_id=user_id, outcome="blocked", ip=ip,
                                  user_agent=user_agent)
        raise UserBlocked()
    if found["mfa_enabled"]:
        challenge = issue_mfa_challenge(settings, user_id=user_id)
        return MfaRequired(challenge_id=challenge, expires_in=settings.mfa_challenge_minutes * 60)
    return await open_session(ledger, settings, user_id=user_id, ip=ip, user_agent=user_agent,
                              country=country)


async def verify_mfa_login(
    ledger: Ledger, settings: Settings, pii: PiiCipher, limits: RateLimits, *,
    challenge_id: str, code: str, ip: str, user_agent: str | None, country: str | None = None,
) -> SessionTokens:
    """The second login step: an unspent challenge plus a TOTP code not used before."""
    challenge = decode_mfa_challenge(settings, challenge_id)
    await limits.hit("secret", str(challenge.user_id))
    secrets = await ledger.user_secrets(session_id=None, user_id=challenge.user_id)
    username = str(secrets["username"])
    state = await ledger.login_lookup(username=username, ip=ip)
    if state["locked_until"] is not None:
        await ledger.login_failed(username=username, user_id=challenge.user_id,
                                  outcome="locked", ip=ip, user_agent=user_agent)
        raise _locked(state["locked_until"])
    secret = pii.decrypt("mfa_secret", secrets["mfa_secret_enc"], user_id=challenge.user_id)
    if secrets["status"] != "active" or not secrets["mfa_enabled"] or secret is None:
        raise MfaInvalid()
    step = await anyio.to_thread.run_sync(mfa.matching_step, secret, code)
    if step is None:
        await _count_failure(ledger, username=username, user_id=challenge.user_id,
                             outcome="mfa_failure", ip=ip, user_agent=user_agent)
        raise MfaInvalid()
    # The procedure spends the challenge and the time step in the session's transaction.
    return await open_session(ledger, settings, user_id=challenge.user_id, ip=ip,
                              user_agent=user_agent, mfa_challenge_id=challenge.challenge_id,
                              mfa_step=step, country=country)


async def open_session(
    ledger: Ledger, settings: Settings, *, user_id: int, ip: str, user_agent: str | None,
    mfa_challenge_id: str | None = None, mfa_step: int | None = None,
    country: str | None = None,
) -> SessionTokens:
    """Open a session; it records the client's address, agent and country (None: unknown)."""
    session_id = new_session_id()
    refresh, refresh_hash = new_refresh_token()
    now = _now()
    row = await ledger.login_succeeded(
        user_id=user_id, session_id=session_id, refresh_hash=refresh_hash,
        session_expires_at=now + timedelta(days=settings.refresh_token_days),
        refresh_expires_at=now + timedelta(days=settings.refresh_token_days),
        ip=ip, user_agent=user_agent, mfa_challenge_id=mfa_challenge_id, mfa_step=mfa_step,
        country=country)
    return _tokens(settings, row, refresh)


async def rotate(ledger: Ledger, settings: Settings, *, refresh_token: str) -> SessionTokens:
    """Spend a refresh token for a new pair; a reused one revokes its family (401)."""
    refresh, new_hash = new_refresh_token()
    row = await ledger.refresh(
        token_hash=refresh_token_hash(refresh_token), new_hash=new_hash,
        new_expires_at=_now() + timedelta(days=settings.refresh_token_days))
    return _tokens(settings, row, refresh)


def _tokens(settings: Settings, row: Row, refresh: str) -> SessionTokens:
    access, lifetime = issue_access_token(
        settings, user_id=int(row["user_id"]), role=str(row["role"]),
        session_id=str(row["session_id"]), has_pin=bool(row["has_pin"]))
    return SessionTokens(access_token=access, refresh_token=refresh, expires_in=lifetime)


async def check_pin(ledger: Ledger, settings: Settings, claims: AccessClaims,
                    pin: str | None) -> None:
    """Demand the PIN when the caller has one; 3 wrong PINs lock money movement for 15 min.

    Tokens record whether their user had a PIN when issued, so a user without a PIN pays
    no database round trip or bcrypt here. Setting a PIN ends every other session; the
    caller's session is issued PIN-demanding tokens at its next refresh.
    """
    if not claims.has_pin:
        return
    if pin is None:
        raise PinRequired()
    secrets = await ledger.user_secrets(session_id=claims.session_id, user_id=claims.user_id)
    if secrets["pin_locked_until"] is not None:
        raise PinLocked(headers=_retry_after(secrets["pin_locked_until"]))
    if secrets["pin_hash"] is None:
        return
    if await verify_secret(pin, secrets["pin_hash"]):
        if secrets["pin_failed_count"]:
            await ledger.record_pin_attempt(user_id=claims.user_id, success=True)
        return
    attempt = await ledger.record_pin_attempt(user_id=claims.user_id, success=False)
    if attempt["pin_locked_until"] is not None:
        raise PinLocked(headers=_retry_after(attempt["pin_locked_until"]))
    left = 3 - int(attempt["pin_failed_count"])
    raise PinInvalid(f"The transaction PIN is wrong; {left} attempt(s) left before a lock.")
