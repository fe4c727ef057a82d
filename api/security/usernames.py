"""The one rule for usernames: NFKC, casefold, then a strict ASCII character set.

Registration stores the normalised form and login normalises before the lookup, so
'BOB' and 'ｂｏｂ' (fullwidth) are bob, while look-alikes that do not normalise to the
allowed set ('bób', 'bob\\u200b', 'bob ', 'bob\\x00') are refused at registration and
simply fail at login.
"""

from __future__ import annotations

import re
import unicodedata

PATTERN = r"^[a-z0-9][a-z0-9._-]{2,31}$"
RULE = ("usernames are 3 to 32 characters: letters a-z, digits, '.', '_' and '-', "
        "starting with a letter or digit")
_ALLOWED = re.compile(PATTERN)


def normalise_username(raw: str) -> str:
    """The canonical form of a username; ValueError (with the rule) if it has none."""
    name = unicodedata.normalize("NFKC", raw).casefold()
    if not _ALLOWED.fullmatch(name):
        raise ValueError(RULE)
    return name


def login_username(raw: str) -> str | None:
    """The canonical form, or None for a name that no account can have."""
    try:
        return normalise_username(raw)
    except ValueError:
        return None
