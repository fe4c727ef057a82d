"""Health and readiness."""

from __future__ import annotations

from typing import Any

from pydantic import (
    BaseModel,
)


class HealthResponse(BaseModel):
    status: str


class ReadyResponse(BaseModel):
    status: str
    database: str
    migrations: dict[str, Any]
    # The last background integrity check (vw_ledger_integrity_check), if one has run.
    integrity: dict[str, Any] | None = None


