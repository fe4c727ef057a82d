"""/auth: register, login (with optional TOTP step), refresh rotation, logout, me."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Response, status

from api.deps import (
    Caller,
    ClientCountry,
    ClientIp,
    CurrentUser,
    LedgerDep,
    LimitsDep,
    LoginLimit,
    PiiDep,
    RegisterLimit,
    SettingsDep,
    UserAgent,
)
from api.schemas.auth import (
    LoginRequest,
    LoginVerifyRequest,
    LogoutRequest,
    MfaChallengeResponse,
    RefreshRequest,
    RegisterRequest,
    TokenResponse,
    UserResponse,
)
from api.security import sessions
from api.security.passwords import check_password_policy, hash_secret
from api.security.pii import decrypt_profile, normalise_email
from api.security.sessions import SessionTokens
from api.security.tokens import refresh_token_hash

router = APIRouter(prefix="/auth", tags=["auth"])


@router.post("/register", status_code=status.HTTP_201_CREATED, response_model=UserResponse,
             dependencies=[RegisterLimit])
async def register(
    body: RegisterRequest, ledger: LedgerDep, settings: SettingsDep, pii: PiiDep
) -> UserResponse:
    """Create a customer; personal data is encrypted before it reaches the database.

    The answer is the same whether or not the email address is already registered
    (sp_register_user then leaves it unclaimed and tells its owner); only a taken
    username is a 409, since usernames are chosen, not private.
    """
    check_password_policy(body.password, username=body.username)
    password_hash = await hash_secret(body.password, rounds=settings.bcrypt_rounds)
    email = normalise_email(body.email)
    row = await ledger.register_user(
        username=body.username, password_hash=password_hash, email_hash=pii.email_hash(email),
        kyc_verified=settings.env == "development")
    user_id = int(row["id"])
    # Second step: the ciphertext binds the new id. If it fails, the user can log in and
    # set these through PUT /users/profile.
    await ledger.set_user_pii(
        user_id=user_id, email_enc=pii.encrypt("email", email, user_id=user_id),
        full_name_enc=pii.encrypt("full_name", body.full_name, user_id=user_id),
        phone_enc=pii.encrypt("phone", body.phone, user_id=user_id),
        date_of_birth_enc=pii.encrypt("date_of_birth", body.date_of_birth.isoformat(),
                                      user_id=user_id))
    return UserResponse.model_validate({
        **row, "email": email, "full_name": body.full_name, "phone": body.phone,
        "date_of_birth": body.date_of_birth, "mfa_enabled": False, "has_pin": False})


@router.post("/login", response_model=TokenResponse | MfaChallengeResponse,
             dependencies=[LoginLimit])
async def login(
    body: LoginRequest, ledger: LedgerDep, settings: SettingsDep, ip: ClientIp,
    country: ClientCountry, user_agent: UserAgent = None,
) -> TokenResponse | MfaChallengeResponse:
    """Password login: tokens, or `mfa_required` with a `challenge_id` for /auth/login/verify."""
    opened = await sessions.login(ledger, settings, username=body.username,
                                  password=body.password, ip=ip, user_agent=user_agent,
                                  country=country)
    if isinstance(opened, SessionTokens):
        return TokenResponse.model_validate(opened)
    return MfaChallengeResponse.model_validate(opened)


@router.post("/login/verify", response_model=TokenResponse, dependencies=[LoginLimit])
async def login_verify(
    body: LoginVerifyRequest, ledger: LedgerDep, settings: SettingsDep, pii: PiiDep,
    limits: LimitsDep, ip: ClientIp, country: ClientCountry, user_agent: UserAgent = None,
) -> TokenResponse:
    """Second login step: the challenge from /auth/login and a current TOTP code.

    A challenge opens one session at most, and a code is accepted once.
    """
    return TokenResponse.model_validate(await sessions.verify_mfa_login(
        ledger, settings, pii, limits, challenge_id=body.challenge_id, code=body.code, ip=ip,
        user_agent=user_agent, country=country))


@router.post("/refresh", response_model=TokenResponse)
async def refresh(body: RefreshRequest, ledger: LedgerDep, settings: SettingsDep) -> TokenResponse:
    """Rotate: the presented refresh token is spent; reusing it later revokes the session."""
    return TokenResponse.model_validate(
        await sessions.rotate(ledger, settings, refresh_token=body.refresh_token))


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def logout(
    caller: Caller, ledger: LedgerDep,
    body: Annotated[LogoutRequest | None, Body()] = None,
) -> Response:
    """End this session: its access and refresh tokens stop working at once."""
    presented = body.refresh_token if body else None
    await ledger.logout(session_id=caller.session_id, user_id=caller.user_id,
                        refresh_hash=refresh_token_hash(presented) if presented else None)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/me", response_model=UserResponse)
async def me(user: CurrentUser, ledger: LedgerDep, pii: PiiDep) -> UserResponse:
    """The caller, with role, kyc_status and mfa_enabled."""
    return UserResponse.model_validate(decrypt_profile(pii, await ledger.user_profile(user.id)))
