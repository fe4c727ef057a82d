"""Personal data encrypted with AES-GCM before it reaches the database, and the email hash.

Keys rotate: each ciphertext names its key, new data is written with the newest key of
BANK_PII_KEYS, and `python -m scripts.reencrypt_pii` moves old rows onto it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import os
import re
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from api.config import Settings
from api.errors import BankError

log = logging.getLogger("api.pii")

# Version 3 names the key that encrypted it and binds the field name, the user id and
# that key id as associated data. Versions 2 (field and user) and 1 (field only) carry no
# key id: they were written with the original key, BANK_PII_KEY, and are still read.
_VERSION = b"\x03"
_V2 = b"\x02"
_V1 = b"\x01"
_NONCE_BYTES = 12
_KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
# The key id the original key (BANK_PII_KEY) has when BANK_PII_KEYS does not name it.
ORIGINAL_KEY_ID = "0"
# Every personal-data column of `users`, by the field name its ciphertext is bound to.
PII_COLUMNS = {"email": "email_enc", "full_name": "full_name_enc", "phone": "phone_enc",
               "date_of_birth": "date_of_birth_enc", "mfa_secret": "mfa_secret_enc"}


def _key(key_b64: str, what: str) -> bytes:
    try:
        key = base64.b64decode(key_b64, validate=True)
    except ValueError as exc:
        raise ValueError(f"{what} must be 32 bytes, base64-encoded") from exc
    if len(key) != 32:
        raise ValueError(f"{what} must be 32 bytes, base64-encoded")
    return key


def parse_key_ring(text: str) -> list[tuple[str, str]]:
    """BANK_PII_KEYS, `id:base64key,id:base64key`: the first encrypts, every one decrypts."""
    ring: list[tuple[str, str]] = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        key_id, sep, key_b64 = item.partition(":")
        if not sep or not _KEY_ID.fullmatch(key_id):
            raise ValueError("BANK_PII_KEYS holds `id:base64key` pairs; an id is 1-16 of "
                             "A-Z a-z 0-9 _ -")
        if key_id in {seen for seen, _ in ring}:
            raise ValueError(f"BANK_PII_KEYS names key {key_id!r} twice")
        _key(key_b64, f"BANK_PII_KEYS key {key_id!r}")
        ring.append((key_id, key_b64))
    return ring


class PiiCipher:
    """Encrypts one field of one user at a time, with the newest key of a key ring.

    The associated data names the field, the user and the key, so ciphertext copied to
    another column or another user's row (by anyone who can write the table) fails to
    decrypt instead of showing someone else's data. `original_key_b64` (BANK_PII_KEY)
    keys the email hash, which must not change when encryption keys rotate, and reads
    ciphertext written before key ids; `ring` (BANK_PII_KEYS) lists the encryption keys,
    newest first. Without a ring the original key encrypts, as key ORIGINAL_KEY_ID.
    """

    def __init__(self, original_key_b64: str, ring: Sequence[tuple[str, str]] = ()) -> None:
        original = _key(original_key_b64, "BANK_PII_KEY")
        self._email_key = _derive(original, b"bank email hash v1")
        self._original = AESGCM(_derive(original, b"bank pii aes-gcm v1"))
        self._keys = {key_id: AESGCM(_derive(_key(key_b64, key_id), b"bank pii aes-gcm v1"))
                      for key_id, key_b64 in ring}
        self._keys.setdefault(ORIGINAL_KEY_ID, self._original)
        self.current_key_id = ring[0][0] if ring else ORIGINAL_KEY_ID

    @classmethod
    def from_settings(cls, settings: Settings) -> PiiCipher:
        return cls(settings.pii_key, parse_key_ring(settings.pii_keys))

    def encrypt(self, field: str, value: str | None, *, user_id: int) -> bytes | None:
        if value is None:
            return None
        key_id = self.current_key_id
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._keys[key_id].encrypt(nonce, value.encode(),
                                            _associated(field, user_id, key_id))
        return _VERSION + bytes([len(key_id)]) + key_id.encode() + nonce + sealed

    def decrypt(self, field: str, blob: bytes | None, *, user_id: int) -> str | None:
        """The plaintext; InvalidTag when the blob was made for another field or user."""
        if blob is None:
            return None
        version = blob[:1]
        if version == _VERSION:
            size = blob[1] if len(blob) > 1 else 0
            key_id = blob[2:2 + size].decode("ascii", "replace")
            rest = blob[2 + size:]
            aead = self._keys.get(key_id)
            if aead is None:
                raise ValueError(f"{field} was encrypted with key {key_id!r}, not in "
                                 "BANK_PII_KEYS")
            associated = _associated(field, user_id, key_id)
        elif version in (_V2, _V1):
            rest, aead = blob[1:], self._original
            associated = _associated(field, user_id) if version == _V2 else field.encode()
        else:
            raise ValueError(f"unknown ciphertext version for {field}")
        nonce, body = rest[:_NONCE_BYTES], rest[_NONCE_BYTES:]
        return aead.decrypt(nonce, body, associated).decode()

    def key_id(self, blob: bytes) -> str:
        """The id of the key a ciphertext was written with."""
        if blob[:1] == _VERSION and len(blob) > 1:
            return blob[2:2 + blob[1]].decode("ascii", "replace")
        return ORIGINAL_KEY_ID

    def is_current(self, blob: bytes) -> bool:
        """True when the blob is already in the newest format under the current key."""
        return blob[:1] == _VERSION and self.key_id(blob) == self.current_key_id

    def email_hash(self, email: str) -> bytes:
        """HMAC-SHA256 of the normalised address: unique index without storing the address."""
        return hmac.new(self._email_key, normalise_email(email).encode(), hashlib.sha256).digest()


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _associated(field: str, user_id: int, key_id: str | None = None) -> bytes:
    bound = f"{field}\x1fuser:{int(user_id)}"
    return (bound if key_id is None else f"{bound}\x1fkey:{key_id}").encode()


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

