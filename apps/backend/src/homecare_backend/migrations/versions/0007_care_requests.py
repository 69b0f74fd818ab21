"""Care requests: what a family asks for, with matching's ranked candidates stored.

Revision ID: 0007_care_requests
Revises: 0006_family_sharing
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007_care_requests"
down_revision: str | None = "0006_family_sharing"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None
_NOW = sa.text("now()")


def _fk(column: str, table: str, ondelete: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{table}.id"],
        name=op.f(f"fk_care_requests_{column}_{table}"),
        ondelete=ondelete,
    )


def upgrade() -> None:
    op.create_table(
        "care_requests",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("family_id", sa.Uuid(), nullable=False),
        sa.Column("recipient_id", sa.Uuid(), nullable=False),
        sa.Column("service_type", sa.String(length=20), nullable=False),
        sa.Column("schedule_kind", sa.String(length=10), nullable=False),
        sa.Column("schedule", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("first_start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "required_skills",
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
        sa.Column("max_distance_km", sa.SmallInteger(), server_default="10", nullable=False),
        sa.Column("notes", sa.String(length=1000), server_default="", nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("candidates", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("considered", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "excluded", postgresql.JSONB(astext_type=sa.Text()), server_default="{}", nullable=False
        ),
        sa.Column("matched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("chosen_caregiver_id", sa.Uuid(), nullable=True),
        sa.Column("booking_id", sa.Uuid(), nullable=True),
        sa.Column("series_id", sa.Uuid(), nullable=True),
        sa.Column("dispatch_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=_NOW, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=_NOW, nullable=False),
        sa.CheckConstraint(
            "status IN ('open', 'offered', 'dispatching', 'cancelled')",
            name=op.f("ck_care_requests_status_known"),
        ),
        sa.CheckConstraint(
            "schedule_kind IN ('one_off', 'weekly')",
            name=op.f("ck_care_requests_schedule_kind_known"),
        ),
        sa.CheckConstraint(
            "service_type IN ('home_care', 'bathing', 'companion')",
            name=op.f("ck_care_requests_service_type_known"),
        ),
        sa.CheckConstraint(
            "max_distance_km BETWEEN 1 AND 50", name=op.f("ck_care_requests_max_distance_range")
        ),
        _fk("family_id", "users", "CASCADE"),
        _fk("recipient_id", "care_recipients", "CASCADE"),
        _fk("chosen_caregiver_id", "caregiver_profiles", "SET NULL"),
        _fk("booking_id", "bookings", "SET NULL"),
        _fk("series_id", "booking_series", "SET NULL"),
        _fk("dispatch_id", "dispatches", "SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_requests")),
    )
    for column in ("family_id", "recipient_id", "booking_id", "series_id"):
        op.create_index(op.f(f"ix_care_requests_{column}"), "care_requests", [column])


def downgrade() -> None:
    for column in ("family_id", "recipient_id", "booking_id", "series_id"):
        op.drop_index(op.f(f"ix_care_requests_{column}"), table_name="care_requests")
    op.drop_table("care_requests")
