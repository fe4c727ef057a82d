"""/users: the caller's profile, transaction PIN and TOTP second factor."""

from __future__ import annotations

import anyio.to_thread
from fastapi import APIRouter, Response, status

from api.deps import CurrentUser, LedgerDep, PiiDep, ReadLimit, SettingsDep
from api.errors import MfaCodeRejected, MfaNotSetUp, WrongPassword
from api.routes.auth import user_response
from api.schemas import (
    MfaEnableRequest,
    MfaEnableResponse,
    MfaSetupResponse,
    PinRequest,
    ProfileUpdateRequest,
    UserResponse,
)
from api.security import mfa
from api.security.passwords import hash_secret, verify_secret
from api.security.pii import normalise_email

router = APIRouter(prefix="/users", tags=["users"])



@router.get("/profile", response_model=UserResponse, dependencies=[ReadLimit])
async def get_profile(user: CurrentUser, ledger: LedgerDep, pii: PiiDep) -> UserResponse:
    """The caller's profile, personal data decrypted."""
    return user_response(await ledger.user_profile(user.id), pii)


@router.put("/profile", response_model=UserResponse)
async def update_profile(
    body: ProfileUpdateRequest, user: CurrentUser, ledger: LedgerDep, pii: PiiDep
) -> UserResponse:
    """Change full_name, email or phone; omitted fields keep their value."""
    email = normalise_email(body.email) if body.email is not None else None
    row = await ledger.update_user_profile(
        user_id=user.id,
        email_hash=pii.email_hash(email) if email else None,
        email_enc=pii.encrypt("email", email),
        full_name_enc=pii.encrypt("full_name", body.full_name),
        phone_enc=pii.encrypt("phone", body.phone))
    return user_response(row, pii)


@router.put("/pin", status_code=status.HTTP_204_NO_CONTENT, response_class=Response)
async def set_pin(
    body: PinRequest, user: CurrentUser, ledger: LedgerDep, settings: SettingsDep
) -> Response:
    """Set or change the transaction PIN. This ends every session: log in again."""
    secrets = await ledger.user_secrets(session_id=user.session_id, user_id=user.id)
    if not await verify_secret(body.current_password, secrets["password_hash"]):
        raise WrongPassword()
    pin_hash = await hash_secret(body.pin, rounds=settings.bcrypt_rounds)
    await ledger.set_pin(user_id=user.id, pin_hash=pin_hash)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/mfa/setup", response_model=MfaSetupResponse)
async def mfa_setup(user: CurrentUser, ledger: LedgerDep, pii: PiiDep) -> MfaSetupResponse:
    """A new TOTP secret and its otpauth:// URI; confirm with /users/mfa/enable."""
    secret = mfa.new_secret()
    encrypted = pii.encrypt("mfa_secret", secret)
    assert encrypted is not None
    await ledger.set_mfa_secret(user_id=user.id, secret_enc=encrypted)
    return MfaSetupResponse(secret=secret,
                            otpauth_uri=mfa.provisioning_uri(secret, username=user.username))


@router.post("/mfa/enable", response_model=MfaEnableResponse)
async def mfa_enable(
    body: MfaEnableRequest, user: CurrentUser, ledger: LedgerDep, pii: PiiDep
) -> MfaEnableResponse:
    """Turn on the second factor once a current code proves the secret was saved."""
    secrets = await ledger.user_secrets(session_id=user.session_id, user_id=user.id)
    secret = pii.decrypt("mfa_secret", secrets["mfa_secret_enc"])
    if secret is None:
        raise MfaNotSetUp()
    if not await anyio.to_thread.run_sync(mfa.verify_code, secret, body.code):
        raise MfaCodeRejected()
    await ledger.enable_mfa(user_id=user.id)
    return MfaEnableResponse(mfa_enabled=True)
