"""Envelope encryption for sensitive columns, and keyed hashes for the ones we must look up.

Every value gets its own random 256-bit data key (DEK); the value is sealed with AES-256-GCM
under the DEK, and the DEK is wrapped (AES-256-GCM) under a key-encryption key (KEK) from the
settings, which come from a Kubernetes Secret fed by Pulumi secret config. The stored token is

    v1.<kek id>.<wrapped DEK, base64url>.<nonce + ciphertext, base64url>

and the associated data binds it to its column (`context`), so a value copied into another
column does not decrypt.

Rotation without downtime: (1) add the new KEK to the keyring and make it current — new writes
use it, values written before still decrypt with the old one, which stays in the keyring;
(2) `rewrap` each stored token (only the 32-byte DEK is re-encrypted; the data is untouched);
(3) once no token names the old KEK (`kek_id`), drop it from the keyring.

Columns use the `EncryptedText` / `EncryptedList` types with the process keyring (`configure`,
from `Settings.keyring()`); `homecare_backend.keys` re-wraps stored tokens and reports which
KEKs they still name.

Lookups (a phone number) use `blind_index`: HMAC-SHA256 under a separate key, over a normalised
value, so equal values match without the value being stored in clear.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

VERSION = "v1"
Transform = Callable[[str, str], str]  # (value, context) -> value, for bulk rewrites
_NONCE = 12
_KEY = 32
_TAG = 16
_KEK_ID = re.compile(r"^[A-Za-z0-9_-]{1,32}$")


class DecryptionError(ValueError):
    """A token is malformed, names an unknown KEK, or fails authentication."""


def _b64e(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def new_key() -> str:
    """A fresh 256-bit key, base64url, for `pulumi config set --secret`."""
    return _b64e(os.urandom(_KEY))


@dataclass(frozen=True)
class Keyring:
    """KEKs by id; `current` wraps new data keys, every listed one can unwrap."""

    keks: Mapping[str, bytes]
    current: str
    index_key: bytes

    def __post_init__(self) -> None:
        if self.current not in self.keks:
            raise ValueError(f"the current KEK {self.current!r} is not in the keyring")
        for kek_id, key in self.keks.items():
            if not _KEK_ID.match(kek_id):
                raise ValueError(f"KEK id {kek_id!r}: use 1–32 letters, digits, '-' or '_'")
            if len(key) != _KEY:
                raise ValueError(f"KEK {kek_id!r} must be {_KEY} bytes, got {len(key)}")
        if len(self.index_key) < _KEY:
            raise ValueError(f"the blind-index key must be at least {_KEY} bytes")

    @classmethod
    def from_spec(cls, spec: str, current: str, index_key: str) -> Keyring:
        """Parse `id=base64key,id2=base64key` (the settings format)."""
        keks: dict[str, bytes] = {}
        for item in filter(None, (part.strip() for part in spec.split(","))):
            kek_id, sep, encoded = item.partition("=")
            if not sep:
                raise ValueError(f"KEK entry {kek_id!r}: expected id=base64key")
            try:
                keks[kek_id] = _b64d(encoded)
            except ValueError as exc:
                raise ValueError(f"KEK {kek_id!r} is not valid base64url") from exc
        try:
            index = _b64d(index_key)
        except ValueError as exc:
            raise ValueError("the blind-index key is not valid base64url") from exc
        return cls(keks, current, index)

    @classmethod
    def for_dev(cls, seed: str) -> Keyring:
        """A deterministic keyring derived from a dev placeholder (never used outside dev)."""
        kek = hashlib.sha256(b"homecare-dev-kek:" + seed.encode()).digest()
        index = hashlib.sha256(b"homecare-dev-index:" + seed.encode()).digest()
        return cls({"dev": kek}, "dev", index)

    def with_current(self, kek_id: str, key: bytes) -> Keyring:
        """Rotation step 1: add a KEK and make it current, keeping the old ones."""
        return Keyring({**self.keks, kek_id: key}, kek_id, self.index_key)

    def without(self, kek_id: str) -> Keyring:
        """Rotation step 3: drop a KEK nothing references any more."""
        return Keyring(
            {k: v for k, v in self.keks.items() if k != kek_id}, self.current, self.index_key
        )


def _aad(context: str, kek_id: str) -> bytes:
    return f"{VERSION}|{kek_id}|{context}".encode()


def _wrap(keyring: Keyring, dek: bytes, context: str) -> str:
    nonce = os.urandom(_NONCE)
    wrapped = AESGCM(keyring.keks[keyring.current]).encrypt(
        nonce, dek, _aad(context, keyring.current)
    )
    return _b64e(nonce + wrapped)


def _split(token: str) -> tuple[str, bytes, bytes]:
    parts = token.split(".")
    if len(parts) != 4 or parts[0] != VERSION:
        raise DecryptionError("not an encrypted value of a known version")
    try:
        wrapped, sealed = _b64d(parts[2]), _b64d(parts[3])
    except ValueError as exc:
        raise DecryptionError("encrypted value is not valid base64url") from exc
    if len(wrapped) != _NONCE + _KEY + _TAG or len(sealed) < _NONCE + _TAG:
        raise DecryptionError("encrypted value is truncated")
    return parts[1], wrapped, sealed


def _unwrap(keyring: Keyring, kek_id: str, wrapped: bytes, context: str) -> bytes:
    kek = keyring.keks.get(kek_id)
    if kek is None:
        raise DecryptionError(f"encrypted under KEK {kek_id!r}, which is not in the keyring")
    try:
        return AESGCM(kek).decrypt(wrapped[:_NONCE], wrapped[_NONCE:], _aad(context, kek_id))
    except InvalidTag as exc:
        raise DecryptionError("data key does not authenticate (wrong KEK or context)") from exc


def encrypt(keyring: Keyring, plaintext: str, context: str) -> str:
    dek = AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(_NONCE)
    sealed = AESGCM(dek).encrypt(nonce, plaintext.encode(), context.encode())
    return ".".join((VERSION, keyring.current, _wrap(keyring, dek, context), _b64e(nonce + sealed)))


def decrypt(keyring: Keyring, token: str, context: str) -> str:
    kek_id, wrapped, sealed = _split(token)
    dek = _unwrap(keyring, kek_id, wrapped, context)
    try:
        return AESGCM(dek).decrypt(sealed[:_NONCE], sealed[_NONCE:], context.encode()).decode()
    except InvalidTag as exc:
        raise DecryptionError("value does not authenticate (tampered or wrong context)") from exc


def kek_id(token: str) -> str:
    return _split(token)[0]


def rewrap(keyring: Keyring, token: str, context: str) -> str:
    """Rotation step 2: the same value with its data key wrapped by the current KEK."""
    old_kek, wrapped, sealed = _split(token)
    if old_kek == keyring.current:
        return token
    dek = _unwrap(keyring, old_kek, wrapped, context)
    return ".".join((VERSION, keyring.current, _wrap(keyring, dek, context), _b64e(sealed)))


def normalise_phone(phone: str) -> str:
    """Digits only, Korean +82 prefix folded to the domestic leading 0."""
    digits = re.sub(r"\D", "", phone)
    if digits.startswith("82") and len(digits) > 10:
        digits = "0" + digits[2:]
    return digits


def blind_index(keyring: Keyring, value: str, purpose: str) -> str:
    """HMAC-SHA256 (hex) of a value under the index key, separated per purpose."""
    message = f"{purpose}\x00{value}".encode()
    return hmac.new(keyring.index_key, message, hashlib.sha256).hexdigest()


def phone_index(keyring: Keyring, phone: str) -> str:
    return blind_index(keyring, normalise_phone(phone), "phone")


# --------------------------------------------------------------------------- the process keyring
_KEYRING: Keyring | None = None


def configure(keyring: Keyring) -> None:
    """Set the keyring the encrypted column types use (the app factory, worker and migrations
    call this with `Settings.keyring()`)."""
    global _KEYRING  # noqa: PLW0603 - one keyring per process, set at start-up
    _KEYRING = keyring


def current() -> Keyring:
    """The process keyring; until configured, the one the environment's settings give."""
    if _KEYRING is not None:
        return _KEYRING
    from homecare_backend.config import get_data_settings  # noqa: PLC0415 - avoids a cycle

    keyring = get_data_settings().keyring()
    configure(keyring)
    return keyring


# --------------------------------------------------------------------------- column types
class EncryptedText(TypeDecorator[str]):
    """A text column stored as an envelope-encrypted token bound to `context` ("table.column").
    The empty string is stored as is (server defaults, nothing to hide)."""

    impl = Text
    cache_ok = True

    def __init__(self, context: str) -> None:
        super().__init__()
        self.context = context

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or value == "":
            return value
        return encrypt(current(), value, self.context)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None or value == "":
            return value
        return decrypt(current(), value, self.context)


class EncryptedList(TypeDecorator[list[str]]):
    """A list of strings stored as one encrypted token of its JSON (empty list: '')."""

    impl = Text
    cache_ok = True

    def __init__(self, context: str) -> None:
        super().__init__()
        self.context = context

    def process_bind_param(self, value: list[str] | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if not value:
            return ""
        return encrypt(current(), json.dumps(list(value), ensure_ascii=False), self.context)

    def process_result_value(self, value: str | None, dialect: Dialect) -> list[str] | None:
        if value is None:
            return None
        if value == "":
            return []
        found: list[str] = json.loads(decrypt(current(), value, self.context))
        return found
