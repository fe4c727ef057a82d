"""TOTP second factor (RFC 6238) with pyotp."""

from __future__ import annotations

import pyotp

ISSUER = "Bank"


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, *, username: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def verify_code(secret: str, code: str) -> bool:
    """Accept the current code and one step either side (clock drift)."""
    return pyotp.TOTP(secret).verify(code, valid_window=1)
