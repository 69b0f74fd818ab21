"""Dispatch: waves of offers for a booking, first accept wins (dispatches, dispatch_offers).

Revision ID: 0002_dispatch
Revises: 0001_initial
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002_dispatch"
down_revision: str | None = "0001_initial"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamps() -> list[sa.Column[object]]:
    return [
        sa.Column(
            name,
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        )
        for name in ("created_at", "updated_at")
    ]


def upgrade() -> None:
    op.create_table(
        "dispatches",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("candidate_ids", postgresql.ARRAY(sa.Uuid()), nullable=False),
        sa.Column("next_candidate", sa.Integer(), server_default="0", nullable=False),
        sa.Column("wave", sa.Integer(), server_default="0", nullable=False),
        sa.Column("wave_size", sa.SmallInteger(), nullable=False),
        sa.Column("offer_ttl_seconds", sa.Integer(), nullable=False),
        sa.Column("accepted_caregiver_id", sa.Uuid(), nullable=True),
        *_timestamps(),
        sa.CheckConstraint(
            "status IN ('active','accepted','exhausted','cancelled')",
            name=op.f("ck_dispatches_status_known"),
        ),
        sa.CheckConstraint(
            "wave_size BETWEEN 1 AND 20", name=op.f("ck_dispatches_wave_size_range")
        ),
        sa.CheckConstraint("offer_ttl_seconds > 0", name=op.f("ck_dispatches_ttl_positive")),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
            name=op.f("fk_dispatches_booking_id_bookings"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["accepted_caregiver_id"],
            ["caregiver_profiles.id"],
            name=op.f("fk_dispatches_accepted_caregiver_id_caregiver_profiles"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispatches")),
        sa.UniqueConstraint("booking_id", name=op.f("uq_dispatches_booking_id")),
    )
    op.create_table(
        "dispatch_offers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("dispatch_id", sa.Uuid(), nullable=False),
        sa.Column("caregiver_id", sa.Uuid(), nullable=False),
        sa.Column("wave", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending','accepted','declined','expired','withdrawn')",
            name=op.f("ck_dispatch_offers_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["dispatch_id"],
            ["dispatches.id"],
            name=op.f("fk_dispatch_offers_dispatch_id_dispatches"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["caregiver_id"],
            ["caregiver_profiles.id"],
            name=op.f("fk_dispatch_offers_caregiver_id_caregiver_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispatch_offers")),
        sa.UniqueConstraint(
            "dispatch_id", "caregiver_id", name=op.f("uq_dispatch_offers_dispatch_id_caregiver_id")
        ),
    )
    op.create_index(
        op.f("ix_dispatch_offers_dispatch_id"), "dispatch_offers", ["dispatch_id"], unique=False
    )
    op.create_index(
        op.f("ix_dispatch_offers_caregiver_id"), "dispatch_offers", ["caregiver_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_dispatch_offers_caregiver_id"), table_name="dispatch_offers")
    op.drop_index(op.f("ix_dispatch_offers_dispatch_id"), table_name="dispatch_offers")
    op.drop_table("dispatch_offers")
    op.drop_table("dispatches")
