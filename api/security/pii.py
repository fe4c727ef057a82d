"""Personal data encrypted with AES-GCM before it reaches the database, and the email hash."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_VERSION = b"\x01"
_NONCE_BYTES = 12


class PiiCipher:
    """Encrypts one field at a time; the field name is bound in as associated data."""

    def __init__(self, key_b64: str) -> None:
        master = base64.b64decode(key_b64)
        if len(master) != 32:
            raise ValueError("BANK_PII_KEY must be 32 bytes, base64-encoded")
        self._aead = AESGCM(_derive(master, b"bank pii aes-gcm v1"))
        self._email_key = _derive(master, b"bank email hash v1")

    def encrypt(self, field: str, value: str | None) -> bytes | None:
        if value is None:
            return None
        nonce = os.urandom(_NONCE_BYTES)
        return _VERSION + nonce + self._aead.encrypt(nonce, value.encode(), field.encode())

    def decrypt(self, field: str, blob: bytes | None) -> str | None:
        if blob is None:
            return None
        if blob[:1] != _VERSION:
            raise ValueError(f"unknown ciphertext version for {field}")
        nonce, body = blob[1:1 + _NONCE_BYTES], blob[1 + _NONCE_BYTES:]
        return self._aead.decrypt(nonce, body, field.encode()).decode()

    def email_hash(self, email: str) -> bytes:
        """HMAC-SHA256 of the normalised address: unique index without storing the address."""
        return hmac.new(self._email_key, normalise_email(email).encode(), hashlib.sha256).digest()


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _derive(master: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(master)
