"""Access JWTs, MFA challenge JWTs and opaque refresh tokens."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass

import jwt

from api.config import Settings
from api.errors import InvalidToken, MfaInvalid

ACCESS = "access"
MFA_CHALLENGE = "mfa_challenge"


@dataclass(frozen=True, slots=True)
class AccessClaims:
    """What a verified access token says about its bearer."""

    user_id: int
    role: str
    session_id: str
    has_pin: bool
    jti: str


@dataclass(frozen=True, slots=True)
class MfaChallenge:
    """A verified MFA challenge: who passed the password step, and the challenge's id."""

    user_id: int
    challenge_id: str


def new_session_id() -> str:
    return uuid.uuid4().hex


def new_refresh_token() -> tuple[str, bytes]:
    """A random refresh token for the client and the SHA-256 stored in its place."""
    token = secrets.token_urlsafe(32)
    return token, refresh_token_hash(token)


def refresh_token_hash(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def issue_access_token(
    settings: Settings, *, user_id: int, role: str, session_id: str, has_pin: bool
) -> tuple[str, int]:
    """A signed access token and its lifetime in seconds."""
    now = int(time.time())
    lifetime = settings.access_token_minutes * 60
    claims = {
        "iss": settings.jwt_issuer,
        "typ": ACCESS,
        "sub": str(user_id),
        "role": role,
        "sid": session_id,
        "pin": has_pin,
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + lifetime,
    }
    token = jwt.encode(claims, settings.jwt_secret, algorithm=settings.jwt_algorithm)
    return token, lifetime


def decode_access_token(settings: Settings, token: str) -> AccessClaims:
    """Verify signature, algorithm, issuer and expiry; anything off is InvalidToken (401)."""
    try:
        claims = jwt.decode(
            token,
            settings.jwt_secret,
            algorithms=[settings.jwt_algorithm],
            issuer=settings.jwt_issuer,
            options={"require": ["exp", "iat", "sub", "jti", "iss"]},
        )
        if claims.get("typ") != ACCESS:
            raise InvalidToken()
        session_id = claims["sid"]
        if not isinstance(session_id, str) or len(session_id) != 32:
            raise InvalidToken()
        return AccessClaims(
            user_id=int(claims["sub"]),
            role=str(claims["role"]),
            session_id=session_id,
            has_pin=bool(claims.get("pin", True)),
            jti=str(claims["jti"]),
        )
    except (jwt.PyJWTError, KeyError, ValueError, TypeError) as exc:
        raise InvalidToken() from exc


def issue_mfa_challenge(settings: Settings, *, user_id: int) -> str:
    """A short-lived token naming the user who passed the password step."""
    now = int(time.time())
    claims = {
        "iss": settings.jwt_issuer,
        "typ": MFA_CHALLENGE,
        "sub": str(user_id),
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + settings.mfa_challenge_minutes * 60,
    }
    return jwt.encode(claims, settings.jwt_secret, algorithm=settings.jwt_algorithm)


def decode_mfa_challenge(settings: Settings, challenge: str) -> MfaChallenge:
    """The user and challenge id of a valid challenge; MfaInvalid otherwise."""
    try:
        claims = jwt.decode(
            challenge,
            settings.jwt_secret,
            algorithms=[settings.jwt_algorithm],
            issuer=settings.jwt_issuer,
            options={"require": ["exp", "sub", "jti"]},
        )
        challenge_id = claims["jti"]
        if claims.get("typ") != MFA_CHALLENGE or not isinstance(challenge_id, str) \
                or len(challenge_id) != 32:
            raise MfaInvalid()
        return MfaChallenge(user_id=int(claims["sub"]), challenge_id=challenge_id)
    except (jwt.PyJWTError, KeyError, ValueError, TypeError) as exc:
        raise MfaInvalid() from exc
