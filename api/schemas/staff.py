"""Staff controls: users and accounts, blocks, roles, KYC, freezes."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
)

from api.fields import (
    SafeText,
)
from api.schemas.accounts import AccountResponse
from api.schemas.base import RequestModel, UtcDateTime

# -- staff controls and the audit trail -------------------------------------------------

Reason = Annotated[SafeText, Field(min_length=1, max_length=255)]


class StaffActionRequest(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"reason": "account takeover reported by phone"}]})

    reason: Reason


class RoleChangeRequest(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"role": "customer", "reason": "left the staff of the Amman branch"}]})

    role: Literal["customer", "teller", "manager", "auditor", "analyst", "admin"]
    reason: Reason


class KycDecisionRequest(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"status": "verified", "reason": "passport checked at the counter"}]})

    status: Literal["verified", "rejected"]
    reason: Reason


class StaffUserResponse(BaseModel):
    """A user as staff see them: no hashes, and no personal data (it stays encrypted)."""

    model_config = ConfigDict(populate_by_name=True)

    id: int
    username: str
    role: str
    status: str
    kyc_status: str
    mfa_enabled: bool
    pin_set: bool = Field(validation_alias="has_pin")
    failed_login_count: int
    locked_until: UtcDateTime | None
    last_login_at: UtcDateTime | None
    active_sessions: int
    created_at: UtcDateTime | None
    updated_at: UtcDateTime | None
    # How many sessions the act just ended (block, role change, terminate-sessions).
    sessions_ended: int | None = None


class StaffUserPage(BaseModel):
    items: list[StaffUserResponse]
    next_cursor: str | None


class AccountPage(BaseModel):
    items: list[AccountResponse]
    next_cursor: str | None


def _json_text(value: Any) -> Any:
    """before_data / after_data are JSON stored as text (so the hash is reproducible)."""
    return json.loads(value) if isinstance(value, str | bytes) else value

