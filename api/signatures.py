"""What each stored procedure takes, read once from information_schema: Python calls by name.

A procedure's parameter order is written once, in its SQL file. Python names each argument
after its parameter without the `p_` prefix (`p_idempotency_key` is `idempotency_key=`;
a name that is a Python keyword gets PEP 8's trailing underscore: `p_from` is `from_=`),
and `Signature.arguments` puts them in the procedure's order. A missing, extra or
misspelt argument raises TypeError before anything reaches the server.

The same query serves the API (`Database`, when its pool opens), the test helpers and the
benchmarks. It sees only the procedures the connected user may execute.
"""

from __future__ import annotations

import keyword
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import groupby
from typing import Any

# One row per parameter, or one row with a NULL name for a procedure without parameters.
SIGNATURES_SQL = (
    "SELECT r.ROUTINE_NAME, r.SQL_DATA_ACCESS, p.PARAMETER_NAME"
    " FROM information_schema.ROUTINES r"
    " LEFT JOIN information_schema.PARAMETERS p"
    "   ON p.SPECIFIC_SCHEMA = r.ROUTINE_SCHEMA AND p.SPECIFIC_NAME = r.ROUTINE_NAME"
    "  AND p.ROUTINE_TYPE = 'PROCEDURE'"
    " WHERE r.ROUTINE_SCHEMA = DATABASE() AND r.ROUTINE_TYPE = 'PROCEDURE'"
    " ORDER BY r.ROUTINE_NAME, p.ORDINAL_POSITION"
)


def python_name(parameter: str) -> str:
    """The keyword Python uses for a procedure parameter: `p_amount` -> `amount`."""
    name = parameter.removeprefix("p_")
    return f"{name}_" if keyword.iskeyword(name) else name


@dataclass(frozen=True, slots=True)
class Signature:
    name: str
    parameters: tuple[str, ...]  # Python keyword names, in the procedure's order
    read_only: bool  # declared READS SQL DATA

    @property
    def statement(self) -> str:
        """`CALL name(%s, ...)` for a driver that takes the values of `arguments`."""
        return f"CALL {self.name}({', '.join(['%s'] * len(self.parameters))})"

    def arguments(self, given: Mapping[str, Any]) -> tuple[Any, ...]:
        """The values of `given` in parameter order; TypeError unless the names match exactly."""
        if len(given) == len(self.parameters):
            try:
                return tuple([given[name] for name in self.parameters])
            except KeyError:
                pass
        raise self.mismatch(given)

    def mismatch(self, given: Iterable[str]) -> TypeError:
        names = set(given)
        missing = [name for name in self.parameters if name not in names]
        extra = sorted(names - set(self.parameters))
        return TypeError(f"{self.name}({', '.join(self.parameters)}): missing {missing},"
                         f" unexpected {extra}")


def signatures(rows: Iterable[Any]) -> dict[str, Signature]:
    """Signatures from the rows of SIGNATURES_SQL (tuples or dicts, in its column order)."""
    flat = [tuple(row.values()) if isinstance(row, Mapping) else tuple(row) for row in rows]
    found: dict[str, Signature] = {}
    for (name, access), group in groupby(flat, key=lambda row: (row[0], row[1])):
        parameters = tuple(python_name(row[2]) for row in group if row[2] is not None)
        found[name] = Signature(name, parameters, access == "READS SQL DATA")
    return found


def read(conn: Any) -> dict[str, Signature]:
    """The signatures a synchronous (PyMySQL) connection's user may call."""
    with conn.cursor() as cur:
        cur.execute(SIGNATURES_SQL)
        return signatures(cur.fetchall())
