"""The audit trail and its chain status."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
)

from api.schemas.base import UtcDateTime
from api.schemas.staff import _json_text


class AuditLogEntry(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: int
    table_name: str
    row_id: int
    action: str
    event: str | None
    reason: str | None
    actor_user_id: int | None
    actor_username: str | None
    db_user: str
    before: Annotated[Any, BeforeValidator(_json_text)] = Field(validation_alias="before_data")
    after: Annotated[Any, BeforeValidator(_json_text)] = Field(validation_alias="after_data")
    created_at: UtcDateTime
    prev_hash: str
    row_hash: str


class AuditChainStatus(BaseModel):
    """The hash chain verified from genesis to head on this request."""

    verified: bool
    rows_checked: int
    head_id: int
    head_hash: str | None
    first_broken_id: int | None
    broken_reason: str | None


class AuditAnchorStatus(BaseModel):
    """The chain against the head saved outside the database (scripts/audit_anchor.py)."""

    configured: bool
    matches: bool | None = None
    problem: str | None = None
    last_id: int | None = None
    last_hash: str | None = None
    row_count: int | None = None
    taken_at: str | None = None


class AuditLogPage(BaseModel):
    items: list[AuditLogEntry]
    next_cursor: str | None
    chain: AuditChainStatus
    anchor: AuditAnchorStatus
