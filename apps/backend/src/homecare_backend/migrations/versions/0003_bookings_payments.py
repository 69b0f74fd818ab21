"""Booking state machine and series, payments, idempotency keys, co-pay category.

- bookings.status: the enum type becomes text with a CHECK (new states: offered, settled,
  declined, expired, cancelled_by_family, cancelled_by_caregiver, no_show); old `cancelled`
  rows become `cancelled_by_family`. The no-overlap EXCLUDE constraint now also covers
  `offered` visits. New: series_id, service_type, started_at, finished_at.
- booking_series (recurring bookings), payments, idempotency_keys.
- care_recipients.copay_category.

Revision ID: 0003_bookings_payments
Revises: 0002_dispatch
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0003_bookings_payments"
down_revision: str | None = "0002_dispatch"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATUSES = (
    "requested",
    "offered",
    "confirmed",
    "in_progress",
    "completed",
    "settled",
    "declined",
    "expired",
    "cancelled_by_family",
    "cancelled_by_caregiver",
    "no_show",
)
_OLD_STATUSES = ("requested", "confirmed", "in_progress", "completed", "cancelled")


def _in(values: Sequence[str]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def _exclude(active: Sequence[str]) -> None:
    op.execute(
        "ALTER TABLE bookings ADD CONSTRAINT ex_bookings_caregiver_no_overlap "
        "EXCLUDE USING gist (caregiver_id WITH =, tstzrange(start_at, end_at) WITH &&) "
        f"WHERE (status IN ({_in(active)}))"
    )


def _timestamps() -> list[sa.Column[object]]:
    return [
        sa.Column(name, sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False)
        for name in ("created_at", "updated_at")
    ]


def upgrade() -> None:
    op.create_table(
        "booking_series",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("recipient_id", sa.Uuid(), nullable=False),
        sa.Column("caregiver_id", sa.Uuid(), nullable=True),
        sa.Column("service_type", sa.String(length=20), nullable=False),
        sa.Column("slots", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("visit_count", sa.Integer(), nullable=True),
        sa.Column("materialised_until", sa.Date(), nullable=False),
        sa.Column("active", sa.Boolean(), server_default=sa.text("true"), nullable=False),
        sa.Column("notes", sa.String(length=1000), server_default="", nullable=False),
        *_timestamps(),
        sa.CheckConstraint(
            "end_date IS NULL OR end_date >= start_date",
            name=op.f("ck_booking_series_ends_after_start"),
        ),
        sa.CheckConstraint(
            "(end_date IS NULL) <> (visit_count IS NULL)",
            name=op.f("ck_booking_series_end_or_count"),
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["care_recipients.id"],
            name=op.f("fk_booking_series_recipient_id_care_recipients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["caregiver_id"],
            ["caregiver_profiles.id"],
            name=op.f("fk_booking_series_caregiver_id_caregiver_profiles"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_series")),
    )
    op.create_index(
        op.f("ix_booking_series_recipient_id"), "booking_series", ["recipient_id"], unique=False
    )
    op.create_index(
        op.f("ix_booking_series_caregiver_id"), "booking_series", ["caregiver_id"], unique=False
    )

    op.execute("ALTER TABLE bookings DROP CONSTRAINT ex_bookings_caregiver_no_overlap")
    op.alter_column(
        "bookings",
        "status",
        type_=sa.String(length=30),
        postgresql_using="status::text",
        existing_nullable=False,
    )
    op.execute("DROP TYPE booking_status")
    op.execute("UPDATE bookings SET status = 'cancelled_by_family' WHERE status = 'cancelled'")
    op.create_check_constraint(
        op.f("ck_bookings_status_known"), "bookings", f"status IN ({_in(_STATUSES)})"
    )
    op.add_column("bookings", sa.Column("series_id", sa.Uuid(), nullable=True))
    op.add_column(
        "bookings",
        sa.Column("service_type", sa.String(length=20), server_default="home_care", nullable=False),
    )
    op.add_column("bookings", sa.Column("started_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("bookings", sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True))
    op.create_check_constraint(
        op.f("ck_bookings_service_type_known"),
        "bookings",
        "service_type IN ('home_care', 'bathing', 'companion')",
    )
    op.create_foreign_key(
        op.f("fk_bookings_series_id_booking_series"),
        "bookings",
        "booking_series",
        ["series_id"],
        ["id"],
        ondelete="CASCADE",
    )
    op.create_index(op.f("ix_bookings_series_id"), "bookings", ["series_id"], unique=False)
    _exclude(("requested", "offered", "confirmed", "in_progress"))

    op.add_column(
        "care_recipients",
        sa.Column(
            "copay_category", sa.String(length=20), server_default="standard", nullable=False
        ),
    )
    op.create_check_constraint(
        op.f("ck_care_recipients_copay_category_known"),
        "care_recipients",
        "copay_category IN ('standard','reduced_40','reduced_60','basic_livelihood')",
    )

    op.create_table(
        "payments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("booking_id", sa.Uuid(), nullable=False),
        sa.Column("order_id", sa.String(length=64), nullable=False),
        sa.Column("provider", sa.String(length=20), nullable=False),
        sa.Column("payment_key", sa.String(length=200), nullable=True),
        sa.Column("amount_krw", sa.Integer(), nullable=False),
        sa.Column("refunded_krw", sa.Integer(), server_default="0", nullable=False),
        sa.Column("refunds_made", sa.Integer(), server_default="0", nullable=False),
        sa.Column("refund_due_krw", sa.Integer(), server_default="0", nullable=False),
        sa.Column("refund_reason", sa.String(length=200), server_default="", nullable=False),
        sa.Column("attempt", sa.Integer(), server_default="1", nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "confirming",
                "paid",
                "failed",
                "partially_refunded",
                "refunded",
                name="payment_status",
            ),
            nullable=False,
        ),
        sa.Column("provider_status", sa.String(length=30), nullable=True),
        sa.Column("failure_code", sa.String(length=60), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        *_timestamps(),
        sa.CheckConstraint("amount_krw > 0", name=op.f("ck_payments_amount_positive")),
        sa.CheckConstraint(
            "refunded_krw >= 0 AND refunded_krw <= amount_krw",
            name=op.f("ck_payments_refund_within_amount"),
        ),
        sa.CheckConstraint(
            "refund_due_krw >= 0 AND refund_due_krw <= amount_krw - refunded_krw",
            name=op.f("ck_payments_refund_due_within_balance"),
        ),
        sa.ForeignKeyConstraint(
            ["booking_id"],
            ["bookings.id"],
            name=op.f("fk_payments_booking_id_bookings"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payments")),
        sa.UniqueConstraint("booking_id", name=op.f("uq_payments_booking_id")),
        sa.UniqueConstraint("order_id", name=op.f("uq_payments_order_id")),
        sa.UniqueConstraint("payment_key", name=op.f("uq_payments_payment_key")),
    )

    op.create_table(
        "idempotency_keys",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("scope", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=True),
        sa.Column("response_body", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "locked_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_idempotency_keys_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "scope", "key", name=op.f("pk_idempotency_keys")),
    )
    op.create_index(
        op.f("ix_idempotency_keys_created_at"), "idempotency_keys", ["created_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_idempotency_keys_created_at"), table_name="idempotency_keys")
    op.drop_table("idempotency_keys")
    op.drop_table("payments")
    sa.Enum(name="payment_status").drop(op.get_bind())

    op.drop_constraint(
        op.f("ck_care_recipients_copay_category_known"), "care_recipients", type_="check"
    )
    op.drop_column("care_recipients", "copay_category")

    op.execute("ALTER TABLE bookings DROP CONSTRAINT ex_bookings_caregiver_no_overlap")
    op.drop_index(op.f("ix_bookings_series_id"), table_name="bookings")
    op.drop_constraint(op.f("fk_bookings_series_id_booking_series"), "bookings", type_="foreignkey")
    op.drop_constraint(op.f("ck_bookings_service_type_known"), "bookings", type_="check")
    op.drop_column("bookings", "finished_at")
    op.drop_column("bookings", "started_at")
    op.drop_column("bookings", "service_type")
    # Series visits have no one-off equivalent: they go with their series.
    op.execute("DELETE FROM bookings WHERE series_id IS NOT NULL")
    op.drop_column("bookings", "series_id")
    op.drop_constraint(op.f("ck_bookings_status_known"), "bookings", type_="check")
    old = _in(_OLD_STATUSES)  # constants, not input
    op.execute(
        "UPDATE bookings SET status = CASE "  # noqa: S608
        "WHEN status = 'offered' THEN 'requested' "
        "WHEN status = 'settled' THEN 'completed' "
        f"WHEN status NOT IN ({old}) THEN 'cancelled' ELSE status END"
    )
    op.execute(f"CREATE TYPE booking_status AS ENUM ({_in(_OLD_STATUSES)})")
    op.alter_column(
        "bookings",
        "status",
        type_=postgresql.ENUM(*_OLD_STATUSES, name="booking_status", create_type=False),
        postgresql_using="status::booking_status",
        existing_nullable=False,
    )
    _exclude(("requested", "confirmed", "in_progress"))

    op.drop_index(op.f("ix_booking_series_caregiver_id"), table_name="booking_series")
    op.drop_index(op.f("ix_booking_series_recipient_id"), table_name="booking_series")
    op.drop_table("booking_series")
