"""Sign-in, registration, profile, PIN and two-factor bodies."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
)

from api.fields import (
    DateOfBirth,
    Email,
    FullName,
    NewPassword,
    Password,
    Phone,
    Pin,
    Username,
)
from api.schemas.base import RequestModel, UtcDateTime
from api.security.usernames import normalise_username

# -- auth and users ---------------------------------------------------------------------


class RegisterRequest(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "username": "sample.customer", "password": "correct horse battery",
        "email": "sample.customer@example.com", "full_name": "Sample Customer",
        "date_of_birth": "1990-04-01", "phone": "+962790000000"}]})

    username: Username
    password: NewPassword
    email: Email
    full_name: FullName
    date_of_birth: DateOfBirth
    phone: Phone | None = None

    @field_validator("username")
    @classmethod
    def _normalised(cls, value: str) -> str:
        return normalise_username(value)


class LoginRequest(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"username": "sample.customer", "password": "correct horse battery"}]})

    username: Annotated[str, Field(min_length=1, max_length=64)]
    password: Password


class LoginVerifyRequest(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"challenge_id": "eyJhbGciOiJIUzI1NiIs...", "code": "123456"}]})

    challenge_id: Annotated[str, Field(min_length=1, max_length=2048)]
    code: Annotated[str, Field(pattern=r"^[0-9]{6}$")]


class RefreshRequest(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"refresh_token": "4d1c0Ffq2b7yN0m5oVh3xJm8c5y6M5n1kZrJ0p9Q2s8"}]})

    refresh_token: Annotated[str, Field(min_length=1, max_length=256)]


class LogoutRequest(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"refresh_token": "4d1c0Ffq2b7yN0m5oVh3xJm8c5y6M5n1kZrJ0p9Q2s8"}]})

    refresh_token: Annotated[str, Field(min_length=1, max_length=256)] | None = None


class TokenResponse(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    mfa_required: Literal[False] = False


class MfaChallengeResponse(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    mfa_required: Literal[True] = True
    challenge_id: str
    expires_in: int


class UserResponse(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: int
    username: str
    email: str | None = None
    full_name: str | None = None
    phone: str | None = None
    date_of_birth: date | None = None
    role: str
    status: str
    kyc_status: str
    mfa_enabled: bool
    pin_set: bool = Field(validation_alias="has_pin")
    created_at: UtcDateTime | None = None


class ProfileUpdateRequest(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"full_name": "Sample B. Customer", "email": "sample.b@example.com",
         "phone": "+962790000001"}]})

    full_name: FullName | None = None
    email: Email | None = None
    phone: Phone | None = None
    date_of_birth: DateOfBirth | None = None


class PinRequest(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [
        {"pin": "4821", "current_password": "correct horse battery"}]})

    pin: Pin
    current_password: Password


class MfaSetupResponse(BaseModel):
    secret: str
    otpauth_uri: str


class MfaEnableRequest(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"code": "123456"}]})

    code: Annotated[str, Field(pattern=r"^[0-9]{6}$")]


class MfaEnableResponse(BaseModel):
    mfa_enabled: bool


