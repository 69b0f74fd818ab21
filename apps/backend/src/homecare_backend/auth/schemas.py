from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from homecare_backend.api import Email, Name, Password, Phone


class SignupIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "email": "new.family@example.kr",
                    "password": "correct-horse-2026",
                    "display_name": "김보호",
                    "role": "family",
                }
            ]
        }
    )
    email: Email
    password: Password
    display_name: Name
    role: Literal["family", "caregiver"] = Field(
        description="Agency and platform admins are created by a platform admin"
    )
    phone: Phone | None = None


class LoginIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"email": "family1@demo.homecare.kr", "password": "demo-password-2026"}]
        }
    )
    email: Email
    password: str = Field(min_length=1, max_length=128)


class RefreshIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"refresh_token": "q1w2e3..."}]})
    refresh_token: str = Field(min_length=1, max_length=200)


class PasswordChangeIn(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"current_password": "demo-password-2026", "new_password": "a-new-passphrase-99"}
            ]
        }
    )
    current_password: str = Field(min_length=1, max_length=128)
    new_password: Password


class TokenPair(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "access_token": "eyJhbGciOiJIUzI1NiJ9...",
                    "token_type": "bearer",
                    "expires_in": 900,
                    "refresh_token": "q1w2e3...",
                }
            ]
        }
    )
    access_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - the OAuth2 token type name
    expires_in: int = Field(description="Access token lifetime in seconds")
    refresh_token: str = Field(description="Single use: each refresh returns a new one")
