"""Sensitive columns encrypted at rest: health conditions and care notes of recipients, booking,
series and care-request notes, licence numbers; users get an encrypted phone number with a
blind index for lookups. And booking_series.continues_series_id: a series edited from a date on
continues in a new series.

Existing values are encrypted here with the process keyring (`HOMECARE_ENCRYPTION_KEKS`, the
same settings as the app); downgrade decrypts them back into the previous column types.

Revision ID: 0008_encrypt_columns
Revises: 0007_care_requests
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

from homecare_backend import encryption

revision: str = "0008_encrypt_columns"
down_revision: str | None = "0007_care_requests"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (table, column, type before) of the text columns; conditions is handled on its own.
_TEXT = (
    ("care_recipients", "notes", sa.Text()),
    ("bookings", "notes", sa.String(length=1000)),
    ("booking_series", "notes", sa.String(length=1000)),
    ("care_requests", "notes", sa.String(length=1000)),
    ("caregiver_profiles", "licence_number", sa.String(length=40)),
)


def _rewrite(table: str, column: str, change: "encryption.Transform") -> None:
    rows = op.get_bind().execute(
        sa.text(f"SELECT id, {column} FROM {table} WHERE {column} <> ''")  # noqa: S608 - fixed names
    )
    for row_id, value in rows.all():
        op.get_bind().execute(
            sa.text(f"UPDATE {table} SET {column} = :value WHERE id = :id"),  # noqa: S608
            {"value": change(value, f"{table}.{column}"), "id": row_id},
        )


def _seal(value: str, context: str) -> str:
    return encryption.encrypt(encryption.current(), value, context)


def _open(value: str, context: str) -> str:
    return encryption.decrypt(encryption.current(), value, context)


def upgrade() -> None:
    for table, column, _ in _TEXT:
        op.alter_column(table, column, type_=sa.Text(), existing_nullable=False)
        _rewrite(table, column, _seal)
    op.alter_column("care_recipients", "conditions", server_default=None)
    op.alter_column(
        "care_recipients",
        "conditions",
        type_=sa.Text(),
        postgresql_using="CASE WHEN cardinality(conditions) = 0 THEN '' "
        "ELSE array_to_json(conditions)::text END",
        existing_nullable=False,
    )
    op.alter_column("care_recipients", "conditions", server_default="")
    _rewrite("care_recipients", "conditions", _seal)
    op.add_column("users", sa.Column("phone", sa.Text(), nullable=True))
    op.add_column("users", sa.Column("phone_index", sa.String(length=64), nullable=True))
    op.create_unique_constraint(op.f("uq_users_phone_index"), "users", ["phone_index"])
    op.add_column("booking_series", sa.Column("continues_series_id", sa.Uuid(), nullable=True))
    op.create_foreign_key(
        op.f("fk_booking_series_continues_series_id_booking_series"),
        "booking_series",
        "booking_series",
        ["continues_series_id"],
        ["id"],
        ondelete="SET NULL",
    )


def downgrade() -> None:
    op.drop_constraint(
        op.f("fk_booking_series_continues_series_id_booking_series"),
        "booking_series",
        type_="foreignkey",
    )
    op.drop_column("booking_series", "continues_series_id")
    op.drop_constraint(op.f("uq_users_phone_index"), "users", type_="unique")
    op.drop_column("users", "phone_index")
    op.drop_column("users", "phone")
    _rewrite("care_recipients", "conditions", _open)
    op.alter_column("care_recipients", "conditions", server_default=None)
    # The decrypted JSON arrays of vocabulary words (["dementia","mobility"]) read as array
    # literals once the brackets become braces.
    op.alter_column(
        "care_recipients",
        "conditions",
        type_=postgresql.ARRAY(sa.String(length=40)),
        postgresql_using="CASE WHEN conditions = '' THEN '{}' "
        "ELSE translate(conditions, '[]', '{}') END::varchar(40)[]",
        existing_nullable=False,
    )
    op.alter_column("care_recipients", "conditions", server_default="{}")
    for table, column, before in _TEXT:
        _rewrite(table, column, _open)
        op.alter_column(table, column, type_=before, existing_nullable=False)
