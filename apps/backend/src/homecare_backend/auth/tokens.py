"""JWT access tokens (HS256, short-lived) and opaque refresh tokens (stored as SHA-256)."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from dataclasses import dataclass

import jwt

from homecare_backend.users.models import Role

ALGORITHM = "HS256"
ISSUER = "homecare-backend"


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    role: Role
    token_version: int


class InvalidTokenError(Exception):
    """The access token is malformed, forged, expired or not an access token."""


def issue_access_token(
    secret: str, user_id: uuid.UUID, role: Role, token_version: int, ttl_s: int
) -> str:
    now = int(time.time())
    claims = {
        "sub": str(user_id),
        "role": role.value,
        "ver": token_version,
        "typ": "access",
        "iss": ISSUER,
        "iat": now,
        "exp": now + ttl_s,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_access_token(secret: str, token: str) -> AccessClaims:
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[ALGORITHM],
            issuer=ISSUER,
            options={"require": ["sub", "exp", "iat", "iss"]},
        )
        if claims.get("typ") != "access":
            raise InvalidTokenError("not an access token")
        return AccessClaims(uuid.UUID(claims["sub"]), Role(claims["role"]), int(claims["ver"]))
    except (jwt.PyJWTError, KeyError, ValueError, TypeError) as exc:
        raise InvalidTokenError(str(exc)) from exc


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
