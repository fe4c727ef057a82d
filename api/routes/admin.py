"""/admin: staff controls over users and accounts, each act one procedure call.

Every route checks its permission against the token's role at the door; the procedure
re-checks the session and the actor's current role, refuses acts on oneself or on a user
of the same or a higher rank (an admin may act on another admin), and writes the audit
row with the actor and the reason. Staff see no personal data here: it stays encrypted
and is decrypted for its owner only (`/users/profile`).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query

from api.deps import Currencies, LedgerDep, ReadLimit, Require
from api.fields import AccountType, CurrencyCode, keyset_cursor, keyset_page
from api.schemas.accounts import AccountResponse
from api.schemas.staff import (
    AccountPage,
    KycDecisionRequest,
    RoleChangeRequest,
    StaffActionRequest,
    StaffUserPage,
    StaffUserResponse,
)
from api.schemas.transactions import ReviewItem, ReviewPage
from api.security.permissions import Permission
from api.security.tokens import AccessClaims

router = APIRouter(prefix="/admin", tags=["admin"])

PathId = Annotated[int, Path(ge=1, le=2**63 - 1)]
Cursor = Annotated[str | None, Query(max_length=20, pattern=r"^[0-9]+$",
                                     description="next_cursor of the previous page")]
Limit = Annotated[int, Query(ge=1, le=200)]


@router.get("/users", response_model=StaffUserPage, dependencies=[ReadLimit])
async def list_users(
    caller: Annotated[AccessClaims, Require(Permission.USERS_READ_ANY)], ledger: LedgerDep,
    role: Annotated[Literal["customer", "teller", "manager", "auditor", "analyst", "admin"] | None,
                    Query()] = None,
    user_status: Annotated[Literal["active", "blocked", "closed"] | None,
                           Query(alias="status")] = None,
    kyc_status: Annotated[Literal["pending", "verified", "rejected"] | None, Query()] = None,
    username_prefix: Annotated[str | None, Query(min_length=1, max_length=64,
                                                 pattern=r"^[a-z0-9._-]+$")] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> StaffUserPage:
    """Users, newest first, keyset-paged; no hashes and no personal data."""
    rows = await ledger.admin_list_users(
        role=role, status=user_status, kyc_status=kyc_status, username_prefix=username_prefix,
        before_id=keyset_cursor(cursor), limit=limit + 1, viewer_id=caller.user_id,
        session_id=caller.session_id)
    page, next_cursor = keyset_page(rows, limit)
    return StaffUserPage(items=[StaffUserResponse.model_validate(r) for r in page],
                         next_cursor=next_cursor)


@router.get("/accounts", response_model=AccountPage, dependencies=[ReadLimit])
async def list_accounts(
    caller: Annotated[AccessClaims, Require(Permission.ACCOUNTS_READ_ANY)], ledger: LedgerDep,
    currencies: Currencies,
    user_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    account_status: Annotated[Literal["active", "frozen", "closed"] | None,
                              Query(alias="status")] = None,
    currency: Annotated[CurrencyCode | None, Query()] = None,
    account_type: Annotated[AccountType | None, Query()] = None,
    cursor: Cursor = None,
    limit: Limit = 50,
) -> AccountPage:
    """Customer accounts, newest first, keyset-paged."""
    rows = await ledger.admin_list_accounts(
        user_id=user_id, status=account_status, currency=currency, account_type=account_type,
        before_id=keyset_cursor(cursor), limit=limit + 1, viewer_id=caller.user_id,
        session_id=caller.session_id)
    page, next_cursor = keyset_page(rows, limit)
    return AccountPage(items=[AccountResponse.of(r, currencies) for r in page],
                       next_cursor=next_cursor)


Blocks = Annotated[AccessClaims, Require(Permission.USERS_BLOCK)]


@router.post("/users/{user_id}/block", response_model=StaffUserResponse)
async def block_user(user_id: PathId, body: StaffActionRequest, caller: Blocks,
                     ledger: LedgerDep) -> StaffUserResponse:
    """Admin: block a user; every session of theirs ends at once (their next request is 401)."""
    row = await ledger.admin_set_user_status(user_id=user_id, status="blocked",
                                             reason=body.reason, actor_id=caller.user_id,
                                             session_id=caller.session_id)
    return StaffUserResponse.model_validate(row)


@router.post("/users/{user_id}/unblock", response_model=StaffUserResponse)
async def unblock_user(user_id: PathId, body: StaffActionRequest, caller: Blocks,
                       ledger: LedgerDep) -> StaffUserResponse:
    """Admin: let a blocked user log in again (no old session comes back)."""
    row = await ledger.admin_set_user_status(user_id=user_id, status="active",
                                             reason=body.reason, actor_id=caller.user_id,
                                             session_id=caller.session_id)
    return StaffUserResponse.model_validate(row)


@router.post("/users/{user_id}/terminate-sessions", response_model=StaffUserResponse)
async def terminate_sessions(
    user_id: PathId, body: StaffActionRequest,
    caller: Annotated[AccessClaims, Require(Permission.USERS_END_SESSIONS)], ledger: LedgerDep,
) -> StaffUserResponse:
    """Manager or admin: end every session of a user now; they may log in again."""
    row = await ledger.admin_end_sessions(user_id=user_id, reason=body.reason,
                                          actor_id=caller.user_id, session_id=caller.session_id)
    return StaffUserResponse.model_validate(row)


@router.post("/users/{user_id}/role", response_model=StaffUserResponse)
async def change_role(
    user_id: PathId, body: RoleChangeRequest,
    caller: Annotated[AccessClaims, Require(Permission.USERS_SET_ROLE)], ledger: LedgerDep,
) -> StaffUserResponse:
    """Admin: change a user's role; their sessions end, so it holds from their next request."""
    row = await ledger.admin_set_user_role(user_id=user_id, role=body.role, reason=body.reason,
                                           actor_id=caller.user_id,
                                           session_id=caller.session_id)
    return StaffUserResponse.model_validate(row)


@router.post("/users/{user_id}/kyc", response_model=StaffUserResponse)
async def decide_kyc(
    user_id: PathId, body: KycDecisionRequest,
    caller: Annotated[AccessClaims, Require(Permission.USERS_KYC)], ledger: LedgerDep,
) -> StaffUserResponse:
    """Teller and up: record the KYC decision (money leaves an account only once verified)."""
    row = await ledger.admin_set_user_kyc(user_id=user_id, kyc_status=body.status,
                                          reason=body.reason, actor_id=caller.user_id,
                                          session_id=caller.session_id)
    return StaffUserResponse.model_validate(row)


Freezes = Annotated[AccessClaims, Require(Permission.ACCOUNTS_FREEZE)]


@router.post("/accounts/{account_id}/freeze", response_model=AccountResponse)
async def freeze_account(account_id: PathId, body: StaffActionRequest, caller: Freezes,
                         ledger: LedgerDep, currencies: Currencies) -> AccountResponse:
    """Manager or admin: the account neither sends nor receives until unfrozen; holds stay."""
    row = await ledger.admin_set_account_status(account_id=account_id, status="frozen",
                                                reason=body.reason, actor_id=caller.user_id,
                                                session_id=caller.session_id)
    return AccountResponse.of(row, currencies)


@router.post("/accounts/{account_id}/unfreeze", response_model=AccountResponse)
async def unfreeze_account(account_id: PathId, body: StaffActionRequest, caller: Freezes,
                           ledger: LedgerDep, currencies: Currencies) -> AccountResponse:
    """Manager or admin: the account moves money again."""
    row = await ledger.admin_set_account_status(account_id=account_id, status="active",
                                                reason=body.reason, actor_id=caller.user_id,
                                                session_id=caller.session_id)
    return AccountResponse.of(row, currencies)


@router.get("/reviews", response_model=ReviewPage, dependencies=[ReadLimit])
async def list_reviews(
    caller: Annotated[AccessClaims, Require(Permission.TRANSACTIONS_REVIEW)], ledger: LedgerDep,
    currencies: Currencies, cursor: Cursor = None, limit: Limit = 50,
) -> ReviewPage:
    """Transactions waiting for review, oldest first, with the rules they hit."""
    rows = await ledger.list_reviews(actor_id=caller.user_id, session_id=caller.session_id,
                                     after_id=keyset_cursor(cursor), limit=limit + 1)
    page, next_cursor = keyset_page(rows, limit)
    return ReviewPage(items=[ReviewItem.of(r, currencies) for r in page],
                      next_cursor=next_cursor)
