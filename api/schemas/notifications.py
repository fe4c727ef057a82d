"""Notifications."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import (
    BaseModel,
    model_validator,
)

from api.schemas.base import UtcDateTime


class NotificationResponse(BaseModel):
    id: int
    kind: str
    title: str
    body: str
    transaction_id: int | None
    created_at: UtcDateTime
    read_at: UtcDateTime | None
    read: bool

    @model_validator(mode="before")
    @classmethod
    def _read_flag(cls, row: Any) -> Any:
        if isinstance(row, Mapping) and "read" not in row:
            return {**row, "read": row.get("read_at") is not None}
        return row


class NotificationPage(BaseModel):
    items: list[NotificationResponse]
    next_cursor: str | None


