"""Initial schema: accounts, agencies, recipients, caregivers (availability), bookings,
notifications (outbox, feed, device tokens).

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


def upgrade() -> None:
    # btree_gist: the bookings EXCLUDE constraint mixes `=` on uuid with `&&` on tstzrange.
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    op.create_table(
        "agencies",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_agencies")),
    )
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_attempts")),
    )
    op.create_index("ix_login_attempts_email_at", "login_attempts", ["email", "at"], unique=False)
    op.create_index("ix_login_attempts_ip_at", "login_attempts", ["ip", "at"], unique=False)
    op.create_table(
        "users",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=False),
        sa.Column(
            "role",
            sa.Enum("family", "caregiver", "agency_admin", "platform_admin", name="user_role"),
            nullable=False,
        ),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=True),
        sa.Column("token_version", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agencies.id"],
            name=op.f("fk_users_agency_id_agencies"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_index(op.f("ix_users_agency_id"), "users", ["agency_id"], unique=False)
    op.create_table(
        "care_recipients",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("birth_year", sa.SmallInteger(), nullable=False),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("care_grade", sa.String(length=10), nullable=True),
        sa.Column(
            "conditions",
            postgresql.ARRAY(sa.String(length=40)),
            server_default="{}",
            nullable=False,
        ),
        sa.Column("preferred_gender", sa.String(length=10), nullable=True),
        sa.Column(
            "preferred_languages",
            postgresql.ARRAY(sa.String(length=10)),
            server_default="{}",
            nullable=False,
        ),
        sa.Column("notes", sa.Text(), server_default="", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "care_grade IS NULL OR care_grade IN ('1','2','3','4','5','cognitive')",
            name=op.f("ck_care_recipients_care_grade_known"),
        ),
        sa.CheckConstraint(
            "preferred_gender IS NULL OR preferred_gender IN ('female','male')",
            name=op.f("ck_care_recipients_preferred_gender_known"),
        ),
        sa.CheckConstraint(
            "latitude BETWEEN -90 AND 90", name=op.f("ck_care_recipients_latitude_range")
        ),
        sa.CheckConstraint(
            "longitude BETWEEN -180 AND 180", name=op.f("ck_care_recipients_longitude_range")
        ),
        sa.ForeignKeyConstraint(
            ["family_id"],
            ["users.id"],
            name=op.f("fk_care_recipients_family_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_recipients")),
    )
    op.create_index(
        op.f("ix_care_recipients_family_id"), "care_recipients", ["family_id"], unique=False
    )
    op.create_table(
        "caregiver_profiles",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("licence_number", sa.String(length=40), nullable=False),
        sa.Column(
            "verification_status", sa.String(length=20), server_default="pending", nullable=False
        ),
        sa.Column("verification_note", sa.String(length=500), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("gender", sa.String(length=10), nullable=False),
        sa.Column(
            "skills", postgresql.ARRAY(sa.String(length=40)), server_default="{}", nullable=False
        ),
        sa.Column(
            "languages", postgresql.ARRAY(sa.String(length=10)), server_default="{}", nullable=False
        ),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("service_radius_km", sa.Float(), nullable=False),
        sa.Column("hourly_rate_krw", sa.Integer(), nullable=False),
        sa.Column("rating_avg", sa.Float(), nullable=True),
        sa.Column("rating_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("agency_id", sa.Uuid(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "gender IN ('female','male')", name=op.f("ck_caregiver_profiles_gender_known")
        ),
        sa.CheckConstraint(
            "verification_status IN ('pending','verified','rejected')",
            name=op.f("ck_caregiver_profiles_verification_known"),
        ),
        sa.CheckConstraint(
            "hourly_rate_krw >= 0", name=op.f("ck_caregiver_profiles_rate_non_negative")
        ),
        sa.CheckConstraint(
            "latitude BETWEEN -90 AND 90", name=op.f("ck_caregiver_profiles_latitude_range")
        ),
        sa.CheckConstraint(
            "longitude BETWEEN -180 AND 180", name=op.f("ck_caregiver_profiles_longitude_range")
        ),
        sa.CheckConstraint(
            "rating_avg IS NULL OR rating_avg BETWEEN 0 AND 5",
            name=op.f("ck_caregiver_profiles_rating_range"),
        ),
        sa.CheckConstraint(
            "rating_count >= 0", name=op.f("ck_caregiver_profiles_rating_count_non_negative")
        ),
        sa.CheckConstraint(
            "service_radius_km > 0 AND service_radius_km <= 100",
            name=op.f("ck_caregiver_profiles_radius_range"),
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agencies.id"],
            name=op.f("fk_caregiver_profiles_agency_id_agencies"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_caregiver_profiles_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_caregiver_profiles")),
        sa.UniqueConstraint("user_id", name=op.f("uq_caregiver_profiles_user_id")),
    )
    op.create_index(
        op.f("ix_caregiver_profiles_agency_id"), "caregiver_profiles", ["agency_id"], unique=False
    )
    op.create_table(
        "device_tokens",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("platform", sa.String(length=10), nullable=False),
        sa.Column("token", sa.String(length=1000), nullable=False),
        sa.Column("p256dh", sa.String(length=200), nullable=True),
        sa.Column("auth", sa.String(length=100), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_device_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device_tokens")),
        sa.UniqueConstraint("token", name=op.f("uq_device_tokens_token")),
    )
    op.create_index(op.f("ix_device_tokens_user_id"), "device_tokens", ["user_id"], unique=False)
    op.create_table(
        "notifications",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=100), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notifications_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    op.create_index("ix_notifications_user_id_id", "notifications", ["user_id", "id"], unique=False)
    op.create_table(
        "outbox",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column("topic", sa.String(length=100), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_outbox_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
    )
    op.create_index(
        "ix_outbox_pending",
        "outbox",
        ["id"],
        unique=False,
        postgresql_where=sa.text("dispatched_at IS NULL"),
    )
    op.create_table(
        "refresh_tokens",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column(
            "issued_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_refresh_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_refresh_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_refresh_tokens_token_hash")),
    )
    op.create_index(
        op.f("ix_refresh_tokens_family_id"), "refresh_tokens", ["family_id"], unique=False
    )
    op.create_index(op.f("ix_refresh_tokens_user_id"), "refresh_tokens", ["user_id"], unique=False)
    op.create_table(
        "bookings",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("recipient_id", sa.Uuid(), nullable=False),
        sa.Column("caregiver_id", sa.Uuid(), nullable=True),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "requested",
                "confirmed",
                "in_progress",
                "completed",
                "cancelled",
                name="booking_status",
            ),
            nullable=False,
        ),
        sa.Column("notes", sa.String(length=1000), server_default="", nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        postgresql.ExcludeConstraint(
            (sa.column("caregiver_id"), "="),
            (sa.text("tstzrange(start_at, end_at)"), "&&"),
            where=sa.text("status IN ('requested', 'confirmed', 'in_progress')"),
            using="gist",
            name="ex_bookings_caregiver_no_overlap",
        ),
        sa.CheckConstraint("end_at > start_at", name=op.f("ck_bookings_ends_after_start")),
        sa.ForeignKeyConstraint(
            ["caregiver_id"],
            ["caregiver_profiles.id"],
            name=op.f("fk_bookings_caregiver_id_caregiver_profiles"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["care_recipients.id"],
            name=op.f("fk_bookings_recipient_id_care_recipients"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bookings")),
    )
    op.create_index(op.f("ix_bookings_caregiver_id"), "bookings", ["caregiver_id"], unique=False)
    op.create_index(op.f("ix_bookings_recipient_id"), "bookings", ["recipient_id"], unique=False)
    op.create_table(
        "caregiver_days_off",
        sa.Column("caregiver_id", sa.Uuid(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["caregiver_id"],
            ["caregiver_profiles.id"],
            name=op.f("fk_caregiver_days_off_caregiver_id_caregiver_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("caregiver_id", "day", name=op.f("pk_caregiver_days_off")),
    )
    op.create_table(
        "caregiver_weekly_slots",
        sa.Column("caregiver_id", sa.Uuid(), nullable=False),
        sa.Column("weekday", sa.SmallInteger(), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=False),
        sa.Column("end_time", sa.Time(), nullable=False),
        sa.CheckConstraint(
            "end_time > start_time", name=op.f("ck_caregiver_weekly_slots_ends_after_start")
        ),
        sa.CheckConstraint(
            "weekday BETWEEN 0 AND 6", name=op.f("ck_caregiver_weekly_slots_weekday_range")
        ),
        sa.ForeignKeyConstraint(
            ["caregiver_id"],
            ["caregiver_profiles.id"],
            name=op.f("fk_caregiver_weekly_slots_caregiver_id_caregiver_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "caregiver_id", "weekday", "start_time", name=op.f("pk_caregiver_weekly_slots")
        ),
    )


def downgrade() -> None:
    op.drop_table("caregiver_weekly_slots")
    op.drop_table("caregiver_days_off")
    op.drop_index(op.f("ix_bookings_recipient_id"), table_name="bookings")
    op.drop_index(op.f("ix_bookings_caregiver_id"), table_name="bookings")
    op.drop_table("bookings")
    op.drop_index(op.f("ix_refresh_tokens_user_id"), table_name="refresh_tokens")
    op.drop_index(op.f("ix_refresh_tokens_family_id"), table_name="refresh_tokens")
    op.drop_table("refresh_tokens")
    op.drop_index(
        "ix_outbox_pending", table_name="outbox", postgresql_where=sa.text("dispatched_at IS NULL")
    )
    op.drop_table("outbox")
    op.drop_index("ix_notifications_user_id_id", table_name="notifications")
    op.drop_table("notifications")
    op.drop_index(op.f("ix_device_tokens_user_id"), table_name="device_tokens")
    op.drop_table("device_tokens")
    op.drop_index(op.f("ix_caregiver_profiles_agency_id"), table_name="caregiver_profiles")
    op.drop_table("caregiver_profiles")
    op.drop_index(op.f("ix_care_recipients_family_id"), table_name="care_recipients")
    op.drop_table("care_recipients")
    op.drop_index(op.f("ix_users_agency_id"), table_name="users")
    op.drop_table("users")
    op.drop_index("ix_login_attempts_ip_at", table_name="login_attempts")
    op.drop_index("ix_login_attempts_email_at", table_name="login_attempts")
    op.drop_table("login_attempts")
    op.drop_table("agencies")
    sa.Enum(name="booking_status").drop(op.get_bind())
    sa.Enum(name="user_role").drop(op.get_bind())
    op.execute("DROP EXTENSION IF EXISTS btree_gist")
