"""bcrypt hashing off the event loop, and the password policy.

Common passwords (NIST SP 800-63B, 5.1.1.2): the 30,000 most frequent passwords of
zxcvbn's frequency lists (from real breaches), plus a short local list of
bank-specific ones; built into one set on first use.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import anyio.to_thread
import bcrypt

from api.errors import WeakPassword

MIN_LENGTH = 10
MAX_BYTES = 72  # bcrypt ignores anything longer; refuse rather than silently truncate
_COMMON_FILE = Path(__file__).with_name("common_passwords.txt")


@cache
def common_passwords() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS  # ~800 kB: imported on first use

    lines = _COMMON_FILE.read_text(encoding="utf-8").splitlines()
    local = (line.strip().lower() for line in lines if line.strip())
    return frozenset(FREQUENCY_LISTS["passwords"]).union(local)


def check_password_policy(password: str, *, username: str | None = None) -> None:
    """Raise WeakPassword with a clear reason, or return for an acceptable password."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"The password must be at least {MIN_LENGTH} characters long.")
    if len(password.encode()) > MAX_BYTES:
        raise WeakPassword(f"The password must be at most {MAX_BYTES} bytes long.")
    if password.lower() in common_passwords():
        raise WeakPassword("That password is too common; choose another.")
    if username and username.lower() in password.lower():
        raise WeakPassword("The password must not contain the username.")
    if len(set(password)) < 4:
        raise WeakPassword("The password needs more variety.")


def _hash(secret: str, rounds: int) -> str:
    return bcrypt.hashpw(secret.encode(), bcrypt.gensalt(rounds)).decode()


def _verify(secret: str, hashed: str) -> bool:
    encoded = secret.encode()
    if len(encoded) > MAX_BYTES or not hashed.startswith("$2"):
        return False
    try:
        return bcrypt.checkpw(encoded, hashed.encode())
    except ValueError:
        return False


async def hash_secret(secret: str, *, rounds: int) -> str:
    """bcrypt hash of a password or PIN, computed in a worker thread."""
    return await anyio.to_thread.run_sync(_hash, secret, rounds)


async def verify_secret(secret: str, hashed: str | None, *, rounds: int = 12) -> bool:
    """Check a password or PIN in a worker thread; a missing hash still costs one bcrypt."""
    if hashed is None:
        await anyio.to_thread.run_sync(_verify, secret, _dummy_hash(rounds))
        return False
    return await anyio.to_thread.run_sync(_verify, secret, hashed)


@cache
def _dummy_hash(rounds: int) -> str:
    # Unknown usernames cost as much as known ones, so timing does not reveal which exist.
    return _hash("not-a-real-password", rounds)
