"""Give the demo users of data/01_seed_data.sql their names and contact details.

Personal data is encrypted by the application (AES-GCM with BANK_PII_KEY) before it
reaches the database, so SQL seed files cannot carry it; this step encrypts it with the
configured key, binding each user's id into the ciphertext (so it reads back only on
that user's row), and stores it through sp_update_user_profile. Users that already
have an email are left alone, so running it again changes nothing.

    python -m scripts.demo_profiles [--database NAME]
"""

from __future__ import annotations

import argparse

from api.config import DatabaseAddress, get_settings
from api.security.pii import PiiCipher
from scripts.db_connection import connect
from scripts.dbserver import resolve_admin_url

DEMO_PEOPLE = {
    "alice": ("Alice Haddad", "alice@example.com", "+962 7 9000 0001"),
    "bob": ("Bob Khoury", "bob@example.com", "+962 7 9000 0002"),
    "teller": ("Tariq Nasser", "teller@bank.example", None),
    "manager": ("Maya Saleh", "manager@bank.example", None),
    "auditor": ("Omar Aziz", "auditor@bank.example", None),
    "admin": ("Lina Farouk", "admin@bank.example", None),
}


def fill_profiles(address: DatabaseAddress, cipher: PiiCipher) -> list[str]:
    """Encrypt and store each demo user's profile; returns the usernames updated."""
    updated: list[str] = []
    conn = connect(address)
    try:
        with conn.cursor() as cur:
            for username, (full_name, email, phone) in DEMO_PEOPLE.items():
                cur.execute(
                    "SELECT id FROM users WHERE username = %s AND email_hash IS NULL", (username,)
                )
                row = cur.fetchone()
                if row is None:
                    continue
                user_id = int(row[0])
                cur.execute(
                    "CALL sp_update_user_profile(%s, %s, %s, %s, %s, NULL)",
                    (
                        user_id,
                        cipher.email_hash(email),
                        cipher.encrypt("email", email, user_id=user_id),
                        cipher.encrypt("full_name", full_name, user_id=user_id),
                        cipher.encrypt("phone", phone, user_id=user_id),
                    ),
                )
                updated.append(username)
    finally:
        conn.close()
    return updated


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    settings = get_settings()
    parser.add_argument("--database", default=settings.db_name)
    args = parser.parse_args()
    address = DatabaseAddress.from_url(resolve_admin_url()).with_database(args.database)
    updated = fill_profiles(address, PiiCipher.from_settings(settings))
    print(f"demo profiles: {', '.join(updated) if updated else 'already set'}")


if __name__ == "__main__":
    main()
