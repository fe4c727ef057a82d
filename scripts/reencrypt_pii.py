"""Move every personal-data ciphertext onto the newest key of BANK_PII_KEYS.

Key rotation: put the new key first in BANK_PII_KEYS (keeping the old ones after it), restart
the API so new data is written with it, then run this. Each ciphertext not yet under the new
key is decrypted and encrypted again, and swapped by sp_reencrypt_user_pii only while the
column still holds what was read, so a profile edited meanwhile is left for the next run.
When a run reports nothing left, the old keys can leave BANK_PII_KEYS (BANK_PII_KEY stays:
it keys the email hash).

    python -m scripts.reencrypt_pii [--database NAME] [--dry-run]
"""

from __future__ import annotations

import argparse
from collections import Counter
from dataclasses import dataclass, field

from api.config import DatabaseAddress, get_settings
from api.security.pii import PII_COLUMNS, PiiCipher
from scripts.db_connection import connect
from scripts.dbserver import resolve_admin_url

_PAGE = 500


@dataclass
class Rotation:
    """What one run found and did."""

    by_key: Counter[str] = field(default_factory=Counter)
    reencrypted: int = 0
    changed_meanwhile: int = 0


def reencrypt(address: DatabaseAddress, cipher: PiiCipher, *, dry_run: bool = False) -> Rotation:
    """Re-encrypt, page by page of users, every ciphertext not under the current key."""
    rotation = Rotation()
    columns = ", ".join(PII_COLUMNS.values())
    conn = connect(address)
    try:
        after = 0
        while True:
            with conn.cursor() as cur:
                cur.execute(f"SELECT id, {columns} FROM users WHERE id > %s ORDER BY id LIMIT %s",
                            (after, _PAGE))
                rows = cur.fetchall()
            if not rows:
                return rotation
            for user_id, *blobs in rows:
                after = int(user_id)
                for (name, column), blob in zip(PII_COLUMNS.items(), blobs, strict=True):
                    if blob is None:
                        continue
                    rotation.by_key[cipher.key_id(bytes(blob))] += 1
                    if dry_run or cipher.is_current(bytes(blob)):
                        continue
                    plain = cipher.decrypt(name, bytes(blob), user_id=after)
                    fresh = cipher.encrypt(name, plain, user_id=after)
                    with conn.cursor() as cur:
                        cur.execute("CALL sp_reencrypt_user_pii(%s, %s, %s, %s)",
                                    (after, column, bytes(blob), fresh))
                        (replaced,) = cur.fetchone()
                        while cur.nextset():
                            pass
                    if replaced:
                        rotation.reencrypted += 1
                    else:
                        rotation.changed_meanwhile += 1
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    settings = get_settings()
    parser.add_argument("--database", default=settings.db_name)
    parser.add_argument("--dry-run", action="store_true", help="count ciphertexts per key only")
    args = parser.parse_args()
    address = DatabaseAddress.from_url(resolve_admin_url()).with_database(args.database)
    cipher = PiiCipher.from_settings(settings)
    rotation = reencrypt(address, cipher, dry_run=args.dry_run)
    found = ", ".join(f"{key}: {n}" for key, n in sorted(rotation.by_key.items())) or "none"
    print(f"ciphertexts by key before the run: {found}")
    if not args.dry_run:
        print(f"re-encrypted under key {cipher.current_key_id!r}: {rotation.reencrypted}; "
              f"changed meanwhile (run again): {rotation.changed_meanwhile}")


if __name__ == "__main__":
    main()
