"""Initial schema: users, care recipients, caregiver profiles, bookings.

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001_initial"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

user_role = postgresql.ENUM(
    "family", "caregiver", "agency_admin", "platform_admin", name="user_role", create_type=False
)
booking_status = postgresql.ENUM(
    "requested",
    "confirmed",
    "in_progress",
    "completed",
    "cancelled",
    name="booking_status",
    create_type=False,
)


def upgrade() -> None:
    user_role.create(op.get_bind())
    booking_status.create(op.get_bind())
    op.create_table(
        "users",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("role", user_role, nullable=False),
        sa.Column("display_name", sa.String(100), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("email", name="uq_users_email"),
    )
    op.create_table(
        "care_recipients",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("birth_year", sa.SmallInteger(), nullable=False),
        sa.Column("address", sa.String(300), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("latitude BETWEEN -90 AND 90", name="ck_care_recipients_latitude_range"),
        sa.CheckConstraint(
            "longitude BETWEEN -180 AND 180", name="ck_care_recipients_longitude_range"
        ),
        sa.ForeignKeyConstraint(
            ["family_id"],
            ["users.id"],
            ondelete="CASCADE",
            name="fk_care_recipients_family_id_users",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_care_recipients"),
    )
    op.create_index("ix_care_recipients_family_id", "care_recipients", ["family_id"])
    op.create_table(
        "caregiver_profiles",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("licence_number", sa.String(40), nullable=False),
        sa.Column("verified", sa.Boolean(), server_default="false", nullable=False),
        sa.Column("gender", sa.String(10), nullable=False),
        sa.Column("skills", postgresql.ARRAY(sa.String(40)), server_default="{}", nullable=False),
        sa.Column(
            "languages", postgresql.ARRAY(sa.String(10)), server_default="{}", nullable=False
        ),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("service_radius_km", sa.Float(), nullable=False),
        sa.Column("hourly_rate_krw", sa.Integer(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint(
            "latitude BETWEEN -90 AND 90", name="ck_caregiver_profiles_latitude_range"
        ),
        sa.CheckConstraint(
            "longitude BETWEEN -180 AND 180", name="ck_caregiver_profiles_longitude_range"
        ),
        sa.CheckConstraint(
            "service_radius_km > 0 AND service_radius_km <= 100",
            name="ck_caregiver_profiles_radius_range",
        ),
        sa.CheckConstraint("hourly_rate_krw >= 0", name="ck_caregiver_profiles_rate_non_negative"),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            ondelete="CASCADE",
            name="fk_caregiver_profiles_user_id_users",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_caregiver_profiles"),
        sa.UniqueConstraint("user_id", name="uq_caregiver_profiles_user_id"),
    )
    op.create_table(
        "bookings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("recipient_id", sa.Uuid(), nullable=False),
        sa.Column("caregiver_id", sa.Uuid(), nullable=True),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", booking_status, nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("end_at > start_at", name="ck_bookings_ends_after_start"),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["care_recipients.id"],
            ondelete="CASCADE",
            name="fk_bookings_recipient_id_care_recipients",
        ),
        sa.ForeignKeyConstraint(
            ["caregiver_id"],
            ["caregiver_profiles.id"],
            ondelete="SET NULL",
            name="fk_bookings_caregiver_id_caregiver_profiles",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_bookings"),
    )
    op.create_index("ix_bookings_recipient_id", "bookings", ["recipient_id"])
    op.create_index("ix_bookings_caregiver_id", "bookings", ["caregiver_id"])


def downgrade() -> None:
    op.drop_table("bookings")
    op.drop_table("caregiver_profiles")
    op.drop_table("care_recipients")
    op.drop_table("users")
    booking_status.drop(op.get_bind())
    user_role.drop(op.get_bind())
