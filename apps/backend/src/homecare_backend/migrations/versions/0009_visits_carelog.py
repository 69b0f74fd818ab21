"""Visit verification (EVV) and care logs: per-home fence and tag settings, check-ins and
check-outs with their fixes, exceptions for agency review, the care log of each visit with its
revisions.

Revision ID: 0009_visits_carelog
Revises: 0008_encrypt_columns
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009_visits_carelog"
down_revision: str | None = "0008_encrypt_columns"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_REASONS = (
    "outside_geofence",
    "tag_missing",
    "tag_mismatch",
    "check_in_far_from_start",
    "check_out_without_check_in",
)


def _in(values: Sequence[str]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _fk(table: str, column: str, target: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_{table}_{column}_{target}"),
        ondelete=ondelete,
    )


def _now(name: str) -> sa.Column[object]:
    return sa.Column(
        name, sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "visit_sites",
        sa.Column("recipient_id", sa.Uuid(), nullable=False),
        sa.Column("radius_m", sa.Integer(), nullable=False),
        sa.Column("accuracy_cap_m", sa.Integer(), nullable=False),
        sa.Column("tag_digest", sa.String(length=64), nullable=True),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        _now("updated_at"),
        sa.CheckConstraint(
            "radius_m BETWEEN 20 AND 1000", name=op.f("ck_visit_sites_radius_range")
        ),
        sa.CheckConstraint(
            "accuracy_cap_m BETWEEN 0 AND 500", name=op.f("ck_visit_sites_accuracy_cap_range")
        ),
        _fk("visit_sites", "recipient_id", "care_recipients", "CASCADE"),
        _fk("visit_sites", "updated_by", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("recipient_id", name=op.f("pk_visit_sites")),
    )
    op.create_table(
        "visit_checks",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("caregiver_id", sa.Uuid(), nullable=True),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("accuracy_m", sa.Float(), nullable=False),
        sa.Column("device_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("distance_m", sa.Float(), nullable=False),
        sa.Column("allowed_m", sa.Float(), nullable=False),
        sa.Column("tag", sa.String(length=20), nullable=False),
        sa.CheckConstraint(
            "kind IN ('check_in', 'check_out')", name=op.f("ck_visit_checks_kind_known")
        ),
        sa.CheckConstraint(
            "tag IN ('not_registered', 'match', 'mismatch', 'missing')",
            name=op.f("ck_visit_checks_tag_known"),
        ),
        sa.CheckConstraint(
            "latitude BETWEEN -90 AND 90", name=op.f("ck_visit_checks_latitude_range")
        ),
        sa.CheckConstraint(
            "longitude BETWEEN -180 AND 180", name=op.f("ck_visit_checks_longitude_range")
        ),
        sa.CheckConstraint("accuracy_m > 0", name=op.f("ck_visit_checks_accuracy_positive")),
        _fk("visit_checks", "booking_id", "bookings", "CASCADE"),
        _fk("visit_checks", "caregiver_id", "caregiver_profiles", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_checks")),
        sa.UniqueConstraint("booking_id", "kind", name=op.f("uq_visit_checks_booking_id_kind")),
    )
    op.create_index(
        op.f("ix_visit_checks_booking_id"), "visit_checks", ["booking_id"], unique=False
    )
    op.create_table(
        "visit_exceptions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("check_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=10), server_default="open", nullable=False),
        sa.Column("resolved_by", sa.Uuid(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolution_note", sa.Text(), server_default="", nullable=False),
        _now("created_at"),
        sa.CheckConstraint(
            f"reason IN ({_in(_REASONS)})", name=op.f("ck_visit_exceptions_reason_known")
        ),
        sa.CheckConstraint(
            "status IN ('open','accepted','rejected')",
            name=op.f("ck_visit_exceptions_status_known"),
        ),
        _fk("visit_exceptions", "booking_id", "bookings", "CASCADE"),
        _fk("visit_exceptions", "check_id", "visit_checks", "CASCADE"),
        _fk("visit_exceptions", "resolved_by", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_exceptions")),
    )
    op.create_index(
        op.f("ix_visit_exceptions_booking_id"), "visit_exceptions", ["booking_id"], unique=False
    )
    op.create_index(
        op.f("ix_visit_exceptions_check_id"), "visit_exceptions", ["check_id"], unique=False
    )
    op.create_table(
        "care_plans",
        sa.Column("recipient_id", sa.Uuid(), nullable=False),
        sa.Column("tasks", postgresql.ARRAY(sa.String(length=20)), nullable=False),
        _now("updated_at"),
        _fk("care_plans", "recipient_id", "care_recipients", "CASCADE"),
        sa.PrimaryKeyConstraint("recipient_id", name=op.f("pk_care_plans")),
    )
    op.create_table(
        "care_logs",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("caregiver_id", sa.Uuid(), nullable=True),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _now("created_at"),
        _now("updated_at"),
        _fk("care_logs", "booking_id", "bookings", "CASCADE"),
        _fk("care_logs", "caregiver_id", "caregiver_profiles", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_logs")),
        sa.UniqueConstraint("booking_id", name=op.f("uq_care_logs_booking_id")),
    )
    op.create_table(
        "care_log_revisions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("care_log_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Uuid(), nullable=True),
        _now("created_at"),
        sa.CheckConstraint(
            "kind IN ('edit','addendum')", name=op.f("ck_care_log_revisions_kind_known")
        ),
        _fk("care_log_revisions", "care_log_id", "care_logs", "CASCADE"),
        _fk("care_log_revisions", "author_id", "users", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_log_revisions")),
        sa.UniqueConstraint(
            "care_log_id", "version", name=op.f("uq_care_log_revisions_care_log_id_version")
        ),
    )
    op.create_index(
        op.f("ix_care_log_revisions_care_log_id"),
        "care_log_revisions",
        ["care_log_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("care_log_revisions")
    op.drop_table("care_logs")
    op.drop_table("care_plans")
    op.drop_table("visit_exceptions")
    op.drop_table("visit_checks")
    op.drop_table("visit_sites")
