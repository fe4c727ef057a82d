"""/notifications: the caller's in-app inbox, newest first, and marking a message read."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from api.deps import Caller, LedgerDep, ReadLimit
from api.fields import keyset_cursor, keyset_page
from api.schemas.notifications import NotificationPage, NotificationResponse

router = APIRouter(prefix="/notifications", tags=["notifications"])


@router.get("", response_model=NotificationPage, dependencies=[ReadLimit])
@router.get("/", response_model=NotificationPage, dependencies=[ReadLimit],
            include_in_schema=False)
async def list_notifications(
    caller: Caller, ledger: LedgerDep,
    unread: Annotated[bool, Query(description="only those not yet read")] = False,
    cursor: Annotated[str | None, Query(max_length=20, pattern=r"^[0-9]+$")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> NotificationPage:
    """Your notifications, newest first; `next_cursor` pages on."""
    rows = await ledger.notifications(session_id=caller.session_id, user_id=caller.user_id,
                                      unread_only=unread, before_id=keyset_cursor(cursor),
                                      limit=limit + 1)
    rows, next_cursor = keyset_page(rows, limit)
    return NotificationPage(items=[NotificationResponse.model_validate(r) for r in rows],
                            next_cursor=next_cursor)


@router.post("/{notification_id}/read", response_model=NotificationResponse,
             dependencies=[ReadLimit])
async def mark_read(
    notification_id: Annotated[int, Path(ge=1, le=2**63 - 1)], caller: Caller, ledger: LedgerDep
) -> NotificationResponse:
    """Mark one of your notifications read (404 when it is not yours)."""
    row = await ledger.mark_notification_read(session_id=caller.session_id,
                                              user_id=caller.user_id,
                                              notification_id=notification_id)
    return NotificationResponse.model_validate(row)
