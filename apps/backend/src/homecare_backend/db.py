"""Database engine, sessions and the declarative base with explicit constraint names."""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import MetaData
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase

# Stable, predictable names so migrations can drop/alter constraints by name.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def create_engine(url: str, *, pre_ping: bool = True) -> AsyncEngine:
    """At most 30 connections per process (as before), all kept once opened: with 10 kept and
    20 overflow, a load above 10 concurrent requests opened and closed a connection (a forked
    server process) for nearly every request; at 200 concurrent booking clients that was 6 ms
    of PostgreSQL CPU per request out of 8, and a fifth of the API's throughput.

    `pre_ping` replaces a connection that died with its server (a restart) before it is used,
    at the price of three round trips per checkout with asyncpg (BEGIN, `;`, ROLLBACK). The API
    turns it off (see `main.create_app`): there a dead connection fails its statement, which
    invalidates the whole pool (every older connection is replaced at its next checkout), and
    that request answers 503 `database_unavailable` with Retry-After (homecare_shared.errors).
    """
    return create_async_engine(url, pool_pre_ping=pre_ping, pool_size=30, max_overflow=0)


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    async with request.app.state.sessions() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


def new_id() -> uuid.UUID:
    """A time-ordered UUID (version 7): ids sort by creation, which keyset pagination uses."""
    millis = time.time_ns() // 1_000_000
    value = (millis & (2**48 - 1)) << 80 | secrets.randbits(80)
    value = (value & ~(0xF << 76)) | (0x7 << 76)  # version 7
    value = (value & ~(0x3 << 62)) | (0x2 << 62)  # RFC 4122 variant
    return uuid.UUID(int=value)
