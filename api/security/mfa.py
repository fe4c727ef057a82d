"""TOTP second factor (RFC 6238) with pyotp; each accepted code's time step is recorded."""

from __future__ import annotations

import hmac
import time

import pyotp

ISSUER = "Bank"
# The current code and one step either side (clock drift).
DRIFT_STEPS = 1


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, *, username: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def matching_step(secret: str, code: str, *, at: float | None = None) -> int | None:
    """The time step whose code this is (latest first), or None if no nearby step matches.

    The database refuses a step at or before the last accepted one, so a code is
    single-use; returning the step rather than a bool is what makes that possible.
    """
    totp = pyotp.TOTP(secret)
    now = time.time() if at is None else at
    current = int(now) // totp.interval
    for step in range(current + DRIFT_STEPS, current - DRIFT_STEPS - 1, -1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None
