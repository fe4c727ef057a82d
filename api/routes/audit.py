"""/audit: the hash-chained audit log, for auditors and admins.

One call returns a filtered page and the chain verified from genesis to head; when an
external anchor is configured (BANK_AUDIT_ANCHOR_FILE, written by
`python -m scripts.audit_anchor save`), also whether the chain still extends it.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from api.deps import LedgerDep, ReadLimit, Require, SettingsDep
from api.fields import Instant, keyset_cursor, keyset_page
from api.integrity import AnchorUnreadable, AuditAnchor, read_audit_anchor
from api.schemas.audit import AuditAnchorStatus, AuditChainStatus, AuditLogEntry, AuditLogPage
from api.security.permissions import Permission
from api.security.tokens import AccessClaims

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("/logs", response_model=AuditLogPage, dependencies=[ReadLimit])
async def audit_logs(
    caller: Annotated[AccessClaims, Require(Permission.AUDIT_READ)], ledger: LedgerDep,
    settings: SettingsDep,
    actor_id: Annotated[int | None, Query(ge=1, le=2**63 - 1,
                                          description="the application user who acted")] = None,
    table: Annotated[str | None, Query(pattern=r"^[a-z_]{1,64}$",
                                       description="subject: the table")] = None,
    row_id: Annotated[int | None, Query(ge=0, le=2**63 - 1,
                                        description="subject: the row's id")] = None,
    action: Annotated[Literal["INSERT", "UPDATE", "DELETE"] | None, Query()] = None,
    event: Annotated[str | None, Query(pattern=r"^[a-z_]{1,32}\.[a-z_]{1,31}$",
                                       description="a staff act, e.g. user.block")] = None,
    start: Annotated[Instant | None, Query(alias="from")] = None,
    end: Annotated[Instant | None, Query(alias="to")] = None,
    cursor: Annotated[str | None, Query(max_length=20, pattern=r"^[0-9]+$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AuditLogPage:
    """Who did what, before and after, when and why; newest first; and the chain's state."""
    anchor: AuditAnchor | None = None
    anchor_status = AuditAnchorStatus(configured=settings.audit_anchor_file is not None)
    try:
        anchor = await read_audit_anchor(settings.audit_anchor_file)
    except AnchorUnreadable as exc:
        anchor_status.matches, anchor_status.problem = False, str(exc)
    rows, chain = await ledger.audit_log(
        actor_user_id=actor_id, table_name=table, row_id=row_id, action=action, event=event,
        start=start, end=end, before_id=keyset_cursor(cursor), limit=limit + 1,
        anchor_id=anchor.last_id if anchor else None,
        anchor_hash=anchor.last_hash if anchor else None,
        anchor_row_count=anchor.row_count if anchor else None,
        viewer_id=caller.user_id, session_id=caller.session_id)
    rows, next_cursor = keyset_page(rows, limit)
    if anchor is not None:
        anchor_status = AuditAnchorStatus(
            configured=True, matches=bool(chain["anchor_matches"]) and bool(chain["verified"]),
            problem=chain["anchor_problem"] or (None if chain["verified"]
                                                else "the chain does not verify"),
            last_id=anchor.last_id, last_hash=anchor.last_hash, row_count=anchor.row_count,
            taken_at=anchor.taken_at)
    return AuditLogPage(items=[AuditLogEntry.model_validate(r) for r in rows],
                        next_cursor=next_cursor,
                        chain=AuditChainStatus.model_validate(chain), anchor=anchor_status)
