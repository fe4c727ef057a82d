"""A plain-English account of what a checked SELECT does, read from its parse tree."""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from ledger_gpt.catalog import view_docs


def explain_sql(sql: str) -> str:
    """What the statement reads, keeps, groups, orders and how many rows at most."""
    tree = sqlglot.parse_one(sql, read="mysql")
    docs = view_docs()
    parts: list[str] = []
    views = sorted({t.name for t in tree.find_all(exp.Table) if t.name in docs})
    if views:
        described = "; ".join(f"{name} ({docs[name].summary.rstrip('.')})" for name in views)
        parts.append(f"Reads {described}.")
    select = tree if isinstance(tree, exp.Select) else tree.find(exp.Select)
    if select is not None:
        columns = [e.alias_or_name or e.sql(dialect="mysql") for e in select.expressions]
        if any(isinstance(e, exp.AggFunc) for c in select.expressions for e in c.walk()):
            parts.append(f"Computes {', '.join(columns)}.")
        else:
            parts.append(f"Shows {', '.join(columns)}.")
        where = select.args.get("where")
        if where is not None:
            parts.append(f"Keeps only rows where {where.this.sql(dialect='mysql')}.")
        group = select.args.get("group")
        if group is not None:
            keys = ", ".join(e.sql(dialect="mysql") for e in group.expressions)
            parts.append(f"One row per {keys}.")
    order = tree.args.get("order")
    if order is not None:
        keys = ", ".join(
            f"{o.this.sql(dialect='mysql')} {'descending' if o.args.get('desc') else 'ascending'}"
            for o in order.expressions)
        parts.append(f"Sorted by {keys}.")
    limit = tree.args.get("limit")
    if limit is not None:
        parts.append(f"At most {limit.expression.sql()} rows.")
    parts.append("It only reads: it runs as bank_readonly in a read-only transaction.")
    return " ".join(parts)
