"""Personal-data keys rotate: each ciphertext names its key, old ones read, a command moves them."""

from __future__ import annotations

import base64
import os
from collections.abc import Iterator

import pymysql
import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import ValidationError

from api.config import DatabaseAddress, Settings
from api.security.pii import ORIGINAL_KEY_ID, PiiCipher, _derive, parse_key_ring
from scripts.db_connection import connect
from scripts.reencrypt_pii import reencrypt
from tests.support.ledger import error_code, new_user, query, scratch_database

ORIGINAL = base64.b64encode(b"o" * 32).decode()
SECOND = base64.b64encode(b"s" * 32).decode()
THIRD = base64.b64encode(b"t" * 32).decode()


def version_2_blob(field: str, value: str, user_id: int) -> bytes:
    """A ciphertext as the service wrote it before key ids (format 2, the original key)."""
    aead = AESGCM(_derive(base64.b64decode(ORIGINAL), b"bank pii aes-gcm v1"))
    nonce = os.urandom(12)
    return b"\x02" + nonce + aead.encrypt(nonce, value.encode(),
                                          f"{field}\x1fuser:{user_id}".encode())


class TestKeyRing:
    def test_the_newest_key_encrypts_and_every_key_decrypts(self):
        old = PiiCipher(ORIGINAL, [("k1", SECOND)])
        blob = old.encrypt("email", "a@example.com", user_id=7)
        assert blob is not None
        assert old.key_id(blob) == "k1"
        rotated = PiiCipher(ORIGINAL, [("k2", THIRD), ("k1", SECOND)])
        assert rotated.decrypt("email", blob, user_id=7) == "a@example.com"
        assert not rotated.is_current(blob)
        fresh = rotated.encrypt("email", "a@example.com", user_id=7)
        assert fresh is not None
        assert rotated.key_id(fresh) == "k2"
        assert rotated.is_current(fresh)

    def test_ciphertext_from_before_key_ids_reads_with_the_original_key(self):
        cipher = PiiCipher(ORIGINAL, [("k2", THIRD)])
        blob = version_2_blob("full_name", "Rana Said", 9)
        assert cipher.key_id(blob) == ORIGINAL_KEY_ID
        assert cipher.decrypt("full_name", blob, user_id=9) == "Rana Said"
        with pytest.raises(InvalidTag):
            cipher.decrypt("full_name", blob, user_id=10)

    def test_a_retired_key_is_named_and_a_forged_key_id_does_not_decrypt(self):
        blob = PiiCipher(ORIGINAL, [("k1", SECOND)]).encrypt("phone", "+962 7", user_id=3)
        assert blob is not None
        with pytest.raises(ValueError, match="'k1'"):
            PiiCipher(ORIGINAL, [("k2", THIRD)]).decrypt("phone", blob, user_id=3)
        # The key id is bound as associated data: relabelling the blob breaks it.
        both = PiiCipher(ORIGINAL, [("k2", SECOND), ("k1", SECOND)])
        relabelled = blob[:2] + b"k2" + blob[4:]
        with pytest.raises(InvalidTag):
            both.decrypt("phone", relabelled, user_id=3)

    def test_the_email_hash_does_not_change_with_the_keys(self):
        before = PiiCipher(ORIGINAL).email_hash("A@Example.com")
        assert PiiCipher(ORIGINAL, [("k9", THIRD)]).email_hash("a@example.com") == before

    @pytest.mark.parametrize("ring", ["k1", "k1:short", "bad id:" + SECOND,
                                      f"k1:{SECOND},k1:{THIRD}"])
    def test_a_malformed_ring_is_refused_at_start_up(self, ring):
        with pytest.raises(ValueError, match="BANK_PII_KEYS"):
            parse_key_ring(ring)
        with pytest.raises(ValidationError):
            Settings(pii_keys=ring)


@pytest.fixture(scope="module")
def scratch(admin_url: str) -> Iterator[DatabaseAddress]:
    """A database of its own: the rotation rewrites every user's ciphertext."""
    with scratch_database(admin_url, "pii") as address:
        yield address


class TestReencryption:
    def test_a_run_moves_every_ciphertext_to_the_newest_key_and_keeps_the_data(self, scratch):
        conn = connect(scratch, dict_rows=True)
        try:
            first, second = new_user(conn), new_user(conn)
            old_cipher = PiiCipher(ORIGINAL, [("k1", SECOND)])
            query(conn, "UPDATE users SET email_enc = %s, full_name_enc = %s WHERE id = %s",
                  version_2_blob("email", "one@example.com", first),
                  old_cipher.encrypt("full_name", "First Person", user_id=first), first)
            query(conn, "UPDATE users SET phone_enc = %s, mfa_secret_enc = %s WHERE id = %s",
                  old_cipher.encrypt("phone", "+962 1", user_id=second),
                  old_cipher.encrypt("mfa_secret", "JBSWY3DPEHPK3PXP", user_id=second), second)
            rotated = PiiCipher(ORIGINAL, [("k2", THIRD), ("k1", SECOND)])

            counted = reencrypt(scratch, rotated, dry_run=True)
            assert counted.by_key == {"0": 1, "k1": 3}
            assert counted.reencrypted == 0

            done = reencrypt(scratch, rotated)
            assert done.reencrypted == 4
            assert done.changed_meanwhile == 0
            assert reencrypt(scratch, rotated, dry_run=True).by_key == {"k2": 4}

            only_new = PiiCipher(ORIGINAL, [("k2", THIRD)])  # the old keys can now retire
            row = query(conn, "SELECT * FROM users WHERE id = %s", first)[0]
            assert only_new.decrypt("email", row["email_enc"], user_id=first) == "one@example.com"
            assert only_new.decrypt("full_name", row["full_name_enc"],
                                    user_id=first) == "First Person"
            row = query(conn, "SELECT * FROM users WHERE id = %s", second)[0]
            assert only_new.decrypt("phone", row["phone_enc"], user_id=second) == "+962 1"
            assert only_new.decrypt("mfa_secret", row["mfa_secret_enc"],
                                    user_id=second) == "JBSWY3DPEHPK3PXP"
        finally:
            conn.close()

    def test_a_column_edited_since_it_was_read_is_not_overwritten(self, scratch):
        conn = connect(scratch, dict_rows=True)
        try:
            user = new_user(conn)
            cipher = PiiCipher(ORIGINAL, [("k2", THIRD)])
            stale = version_2_blob("phone", "+962 old", user)
            current = cipher.encrypt("phone", "+962 new", user_id=user)
            query(conn, "UPDATE users SET phone_enc = %s WHERE id = %s", current, user)
            replaced = query(conn, "CALL sp_reencrypt_user_pii(%s, 'phone_enc', %s, %s)",
                             user, stale, cipher.encrypt("phone", "+962 old", user_id=user))
            assert replaced == [{"replaced": 0}]
            row = query(conn, "SELECT phone_enc FROM users WHERE id = %s", user)[0]
            assert cipher.decrypt("phone", row["phone_enc"], user_id=user) == "+962 new"
            with pytest.raises(pymysql.err.MySQLError) as err:
                query(conn, "CALL sp_reencrypt_user_pii(%s, 'password_hash', %s, %s)",
                      user, b"x", b"y")
            assert error_code(err.value) == "INVALID_ARGUMENT"
        finally:
            conn.close()

