"""Personal data encrypted with AES-GCM before it reaches the database, and the email hash."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
from collections.abc import Mapping
from datetime import date
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from api.errors import BankError

log = logging.getLogger("api.pii")

# Version 2 binds the field name and the user id as associated data; version 1 bound the
# field only and is still read (re-saving a profile rewrites it as version 2).
_VERSION = b"\x02"
_LEGACY_VERSION = b"\x01"
_NONCE_BYTES = 12


class PiiCipher:
    """Encrypts one field of one user at a time.

    The associated data names the field and the user, so ciphertext copied to another
    column or another user's row (by anyone who can write the table) fails to decrypt
    instead of showing someone else's data.
    """

    def __init__(self, key_b64: str) -> None:
        master = base64.b64decode(key_b64)
        if len(master) != 32:
            raise ValueError("BANK_PII_KEY must be 32 bytes, base64-encoded")
        self._aead = AESGCM(_derive(master, b"bank pii aes-gcm v1"))
        self._email_key = _derive(master, b"bank email hash v1")

    def encrypt(self, field: str, value: str | None, *, user_id: int) -> bytes | None:
        if value is None:
            return None
        nonce = os.urandom(_NONCE_BYTES)
        return _VERSION + nonce + self._aead.encrypt(nonce, value.encode(),
                                                     _associated(field, user_id))

    def decrypt(self, field: str, blob: bytes | None, *, user_id: int) -> str | None:
        """The plaintext; InvalidTag when the blob was made for another field or user."""
        if blob is None:
            return None
        version, nonce, body = blob[:1], blob[1:1 + _NONCE_BYTES], blob[1 + _NONCE_BYTES:]
        if version == _VERSION:
            associated = _associated(field, user_id)
        elif version == _LEGACY_VERSION:
            associated = field.encode()
        else:
            raise ValueError(f"unknown ciphertext version for {field}")
        return self._aead.decrypt(nonce, body, associated).decode()

    def email_hash(self, email: str) -> bytes:
        """HMAC-SHA256 of the normalised address: unique index without storing the address."""
        return hmac.new(self._email_key, normalise_email(email).encode(), hashlib.sha256).digest()


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _associated(field: str, user_id: int) -> bytes:
    return f"{field}\x1fuser:{int(user_id)}".encode()


def _derive(master: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master)


# The personal-data columns of a user row (`<field>_enc`), decrypted for its owner.
PROFILE_FIELDS = ("email", "full_name", "phone", "date_of_birth")


def decrypt_profile(pii: PiiCipher, row: Mapping[str, Any]) -> dict[str, Any]:
    """The user row with its personal data in plain text (date_of_birth as a date).

    A field that does not decrypt (a wrong key, or ciphertext written for another field or
    user) is a server fault, logged and answered 500: never another person's data.
    """
    user_id = int(row["id"])
    shown = dict(row)
    try:
        for field in PROFILE_FIELDS:
            shown[field] = pii.decrypt(field, row.get(f"{field}_enc"), user_id=user_id)
        if shown["date_of_birth"]:
            shown["date_of_birth"] = date.fromisoformat(shown["date_of_birth"])
    except (ValueError, InvalidTag) as exc:
        log.error("personal data of user %s failed to decrypt", user_id)
        raise BankError() from exc
    return shown

