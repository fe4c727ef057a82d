"""Request dependencies as named aliases, so routes read like prose.

`Caller` trusts the signed token alone (money routes: the procedure re-checks the
session in the same round trip). `CurrentUser` re-checks the session and reads the
current role. `OwnAccount` does the same and proves the path's account is the
caller's, or that the caller's role may read any account; otherwise 404.
`Require(Permission.X)` is a route's permission, checked at the door against the token's
role; the procedures that act for staff re-check the role the database holds now.
`Idempotent` is a money route's Idempotency-Key and the one place that answers
`Idempotency-Replayed`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Protocol, TypeVar

from fastapi import Depends, Header, Path, Request, Response
from fastapi.params import Depends as DependsParam
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.config import Settings
from api.errors import AccountNotFound, Forbidden, NotAuthenticated
from api.ledger import Ledger
from api.money import Currencies as CurrencyTable
from api.notify import Notifier
from api.ratelimit import RateLimits
from api.security.permissions import Permission, role_can
from api.security.pii import PiiCipher
from api.security.proxies import client_country
from api.security.tokens import AccessClaims, decode_access_token

_bearer = HTTPBearer(auto_error=False, description="The access_token from /auth/login")

# Every dependency is `async def`: FastAPI runs plain `def` dependencies in a worker
# thread, a hop that costs more than the work they do.


async def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def _ledger(request: Request) -> Ledger:
    ledger: Ledger = request.app.state.ledger
    return ledger


async def _limits(request: Request) -> RateLimits:
    limits: RateLimits = request.app.state.rate_limits
    return limits


async def _pii(request: Request) -> PiiCipher:
    pii: PiiCipher = request.app.state.pii
    return pii


async def _notifier(request: Request) -> Notifier:
    notifier: Notifier = request.app.state.notifier
    return notifier


async def _currencies(request: Request) -> CurrencyTable:
    ledger: Ledger = request.app.state.ledger
    return await ledger.currencies()


SettingsDep = Annotated[Settings, Depends(_settings)]
LedgerDep = Annotated[Ledger, Depends(_ledger)]
LimitsDep = Annotated[RateLimits, Depends(_limits)]
PiiDep = Annotated[PiiCipher, Depends(_pii)]
Currencies = Annotated[CurrencyTable, Depends(_currencies)]
NotifierDep = Annotated[Notifier, Depends(_notifier)]


async def client_ip(request: Request) -> str:
    """The peer address; a trusted proxy's X-Forwarded-For only via ProxyHeadersMiddleware."""
    return request.client.host if request.client else "unknown"


ClientIp = Annotated[str, Depends(client_ip)]


async def _client_country(request: Request, settings: SettingsDep) -> str | None:
    return client_country(request, settings)


# The client's country (a trusted proxy's BANK_COUNTRY_HEADER), None when unknown.
ClientCountry = Annotated[str | None, Depends(_client_country)]
UserAgent = Annotated[str | None, Header(include_in_schema=False)]


async def token_claims(
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> AccessClaims:
    """The verified claims of the bearer token (401 when missing, forged or expired)."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise NotAuthenticated(headers={"WWW-Authenticate": "Bearer"})
    return decode_access_token(settings, credentials.credentials)


Caller = Annotated[AccessClaims, Depends(token_claims)]


@dataclass(frozen=True, slots=True)
class User:
    """The caller as the database sees them on this request."""

    id: int
    username: str
    role: str
    status: str
    kyc_status: str
    mfa_enabled: bool
    has_pin: bool
    session_id: str

    def can(self, permission: Permission) -> bool:
        return role_can(self.role, permission)


async def current_user(claims: Caller, ledger: LedgerDep) -> User:
    row = await ledger.principal(session_id=claims.session_id, user_id=claims.user_id,
                                 account_id=None)
    return _user(row, claims)


def _user(row: dict[str, object], claims: AccessClaims) -> User:
    return User(id=int(str(row["user_id"])), username=str(row["username"]), role=str(row["role"]),
                status=str(row["status"]), kyc_status=str(row["kyc_status"]),
                mfa_enabled=bool(row["mfa_enabled"]), has_pin=bool(row["has_pin"]),
                session_id=claims.session_id)


CurrentUser = Annotated[User, Depends(current_user)]


@dataclass(frozen=True, slots=True)
class AccountAccess:
    """An account the caller may read: theirs, or any when their role allows."""

    account_id: int
    owner_id: int
    user: User

    @property
    def is_own(self) -> bool:
        return self.owner_id == self.user.id


async def own_account(
    account_id: Annotated[int, Path(ge=1, le=2**63 - 1)], claims: Caller, ledger: LedgerDep
) -> AccountAccess:
    """The path's account if the caller may see it; 404 otherwise (never reveal it exists)."""
    row = await ledger.principal(session_id=claims.session_id, user_id=claims.user_id,
                                 account_id=account_id)
    user = _user(row, claims)
    owner = row.get("account_owner_id")
    if owner is None:
        raise AccountNotFound()
    if int(str(owner)) != user.id and not user.can(Permission.ACCOUNTS_READ_ANY):
        raise AccountNotFound()
    return AccountAccess(account_id=account_id, owner_id=int(str(owner)), user=user)


OwnAccount = Annotated[AccountAccess, Depends(own_account)]


def Require(permission: Permission) -> DependsParam:  # a factory named as it reads in a signature
    """A route's permission: 403 before any work unless the caller's token role holds it.

    Use it as `dependencies=[Require(P)]`, or as `Annotated[AccessClaims, Require(P)]` to
    receive the claims. A role change ends the user's sessions, so the token's role is the
    current one for as long as the token is good.
    """
    async def check(claims: Caller) -> AccessClaims:
        if not role_can(claims.role, permission):
            raise Forbidden(f"Your role ({claims.role}) may not do this.")
        return claims

    check.__name__ = f"require_{permission.name.lower()}"
    dependency: DependsParam = Depends(check)
    return dependency


IdempotencyKeyHeader = Annotated[str, Header(
    alias="Idempotency-Key", min_length=1, max_length=128, pattern=r"^[\x21-\x7e]+$",
    description="Any unique string per intended operation; a retry with the same key and "
                "body returns the original transaction instead of posting twice.",
    examples=["9b3c6f8e-5a0e-4b53-9b69-1f1f0a8f3c2d"])]


class Replayable(Protocol):
    @property
    def replayed(self) -> bool: ...


R = TypeVar("R", bound=Replayable)


@dataclass(frozen=True, slots=True)
class Idempotency:
    """A money request's Idempotency-Key; `answer` marks a replayed result's response."""

    key: str
    response: Response

    def answer(self, result: R) -> R:
        if result.replayed:
            self.response.headers["Idempotency-Replayed"] = "true"
        return result


async def idempotency(key: IdempotencyKeyHeader, response: Response) -> Idempotency:
    return Idempotency(key=key, response=response)


Idempotent = Annotated[Idempotency, Depends(idempotency)]


async def limit_reads(claims: Caller, limits: LimitsDep) -> None:
    await limits.hit("read", str(claims.user_id))


async def limit_money(claims: Caller, limits: LimitsDep) -> None:
    await limits.hit("money", str(claims.user_id))


async def limit_login(ip: ClientIp, limits: LimitsDep) -> None:
    await limits.hit("login", ip)


async def limit_register(ip: ClientIp, limits: LimitsDep) -> None:
    await limits.hit("register", ip)


async def limit_secret_checks(claims: Caller, limits: LimitsDep) -> None:
    await limits.hit("secret", str(claims.user_id))


async def limit_profile_changes(claims: Caller, limits: LimitsDep) -> None:
    await limits.hit("profile", str(claims.user_id))


ReadLimit = Depends(limit_reads)
MoneyLimit = Depends(limit_money)
LoginLimit = Depends(limit_login)
RegisterLimit = Depends(limit_register)
SecretLimit = Depends(limit_secret_checks)
ProfileLimit = Depends(limit_profile_changes)
