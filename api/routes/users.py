"""/users: the caller's profile, transaction PIN and TOTP second factor."""

from __future__ import annotations

import anyio.to_thread
from fastapi import APIRouter, Response, status

from api.deps import (
    ClientIp,
    CurrentUser,
    LedgerDep,
    PiiDep,
    ProfileLimit,
    ReadLimit,
    SecretLimit,
    SettingsDep,
    UserAgent,
)
from api.errors import MfaCodeInvalid, MfaNotSetUp, WrongPassword
from api.schemas.auth import (
    MfaEnableRequest,
    MfaEnableResponse,
    MfaSetupResponse,
    PinRequest,
    ProfileUpdateRequest,
    UserResponse,
)
from api.security import mfa
from api.security.passwords import hash_secret
from api.security.pii import decrypt_profile, normalise_email
from api.security.sessions import check_password

router = APIRouter(prefix="/users", tags=["users"])


@router.get("/profile", response_model=UserResponse, dependencies=[ReadLimit])
async def get_profile(user: CurrentUser, ledger: LedgerDep, pii: PiiDep) -> UserResponse:
    """The caller's profile, personal data decrypted."""
    return UserResponse.model_validate(decrypt_profile(pii, await ledger.user_profile(user.id)))


@router.put("/profile", response_model=UserResponse, dependencies=[ProfileLimit])
async def update_profile(
    body: ProfileUpdateRequest, user: CurrentUser, ledger: LedgerDep, pii: PiiDep
) -> UserResponse:
    """Change full_name, email, phone or date_of_birth; omitted fields keep their value.

    Rate-limited per user (BANK_RATE_LIMIT_PROFILE): EMAIL_TAKEN tells whether an
    address is registered, so it must not be a fast oracle.
    """
    email = normalise_email(body.email) if body.email is not None else None
    dob = body.date_of_birth.isoformat() if body.date_of_birth is not None else None
    row = await ledger.update_user_profile(
        user_id=user.id,
        email_hash=pii.email_hash(email) if email else None,
        email_enc=pii.encrypt("email", email, user_id=user.id),
        full_name_enc=pii.encrypt("full_name", body.full_name, user_id=user.id),
        phone_enc=pii.encrypt("phone", body.phone, user_id=user.id),
        date_of_birth_enc=pii.encrypt("date_of_birth", dob, user_id=user.id))
    return UserResponse.model_validate(decrypt_profile(pii, row))


@router.put("/pin", status_code=status.HTTP_204_NO_CONTENT, response_class=Response,
            dependencies=[SecretLimit])
async def set_pin(
    body: PinRequest, user: CurrentUser, ledger: LedgerDep, settings: SettingsDep,
    ip: ClientIp, user_agent: UserAgent = None,
) -> Response:
    """Set or change the transaction PIN; the user's other sessions end, this one stays.

    A wrong current_password counts with the login failures and locks alike (423).
    """
    await check_password(ledger, settings, username=user.username,
                         password=body.current_password, ip=ip, user_agent=user_agent,
                         outcome="reauth_failure", wrong=WrongPassword())
    pin_hash = await hash_secret(body.pin, rounds=settings.bcrypt_rounds)
    await ledger.set_pin(user_id=user.id, pin_hash=pin_hash, keep_session_id=user.session_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/mfa/setup", response_model=MfaSetupResponse, dependencies=[SecretLimit])
async def mfa_setup(user: CurrentUser, ledger: LedgerDep, pii: PiiDep) -> MfaSetupResponse:
    """A new TOTP secret and its otpauth:// URI; confirm with /users/mfa/enable."""
    secret = mfa.new_secret()
    encrypted = pii.encrypt("mfa_secret", secret, user_id=user.id)
    assert encrypted is not None
    await ledger.set_mfa_secret(user_id=user.id, secret_enc=encrypted)
    return MfaSetupResponse(secret=secret,
                            otpauth_uri=mfa.provisioning_uri(secret, username=user.username))


@router.post("/mfa/enable", response_model=MfaEnableResponse, dependencies=[SecretLimit])
async def mfa_enable(
    body: MfaEnableRequest, user: CurrentUser, ledger: LedgerDep, pii: PiiDep
) -> MfaEnableResponse:
    """Turn on the second factor once a current code proves the secret was saved."""
    secrets = await ledger.user_secrets(session_id=user.session_id, user_id=user.id)
    secret = pii.decrypt("mfa_secret", secrets["mfa_secret_enc"], user_id=user.id)
    if secret is None:
        raise MfaNotSetUp()
    step = await anyio.to_thread.run_sync(mfa.matching_step, secret, body.code)
    if step is None:
        raise MfaCodeInvalid()
    # The proving code's step is recorded, so it cannot be replayed to log in.
    await ledger.enable_mfa(user_id=user.id, step=step)
    return MfaEnableResponse(mfa_enabled=True)
