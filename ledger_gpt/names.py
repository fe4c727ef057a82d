"""Full names to usernames, so "Alice Haddad" or "Haddad" in a question reads as alice.

Names are encrypted at rest; with BANK_PII_KEY configured, LedgerGPT decrypts them from
vw_user_directory once at start-up. A name only ever becomes a known username, which is
what reaches SQL; without the key (or for a name that does not decrypt) the directory
simply lacks it and usernames still work.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Mapping

from cryptography.exceptions import InvalidTag

from api.security.pii import PiiCipher
from ledger_gpt.database import QueryFailed, Reader

DIRECTORY = ("SELECT id, username, full_name_enc FROM vw_user_directory"
             " WHERE full_name_enc IS NOT NULL LIMIT 10000")


def name_aliases(reader: Reader, cipher: PiiCipher) -> dict[str, str]:
    """Lower-case full names, and first names or surnames only one user has, to usernames."""
    try:
        rows = reader.run(DIRECTORY).rows
    except QueryFailed:
        return {}
    full: dict[str, str] = {}
    for user_id, username, blob in rows:
        try:
            name = cipher.decrypt("full_name", bytes(blob), user_id=int(user_id))
        except (InvalidTag, ValueError):
            continue
        if name:
            full[" ".join(name.lower().split())] = str(username)
    # A first name or a surname alone, when only one user has it.
    parts = Counter(part for name in full if " " in name for part in set(name.split()))
    aliases = dict(full)
    for name, username in full.items():
        for part in name.split() if " " in name else ():
            if parts[part] == 1 and len(part) > 2:
                aliases.setdefault(part, username)
    return aliases


def apply_aliases(question: str, aliases: Mapping[str, str]) -> str:
    """The question with each full name (longest first) replaced by its username."""
    for name in sorted(aliases, key=len, reverse=True):
        question = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", aliases[name], question,
                          flags=re.IGNORECASE)
    return question
