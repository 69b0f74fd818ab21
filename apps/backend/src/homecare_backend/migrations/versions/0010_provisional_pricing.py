"""Payments record which 장기요양 table priced them and whether only provisionally (the visit's
year had no table yet), so settlement can price them again with the year's own table.

Revision ID: 0010_provisional_pricing
Revises: 0009_visits_carelog
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_provisional_pricing"
down_revision: str | None = "0009_visits_carelog"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing payments were priced before provisional pricing existed: never provisional,
    # table year unknown (null).
    op.add_column("payments", sa.Column("table_year", sa.Integer(), nullable=True))
    op.add_column(
        "payments",
        sa.Column("priced_provisionally", sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade() -> None:
    op.drop_column("payments", "priced_provisionally")
    op.drop_column("payments", "table_year")
