"""Family sharing: further family accounts share a care recipient (owner/viewer), invited by
e-mail.

Revision ID: 0006_family_sharing
Revises: 0005_messages_reviews
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_family_sharing"
down_revision: str | None = "0005_messages_reviews"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "recipient_members",
        sa.Column("recipient_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("invited_by", sa.Uuid(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "role IN ('owner','viewer')", name=op.f("ck_recipient_members_role_known")
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["care_recipients.id"],
            name=op.f("fk_recipient_members_recipient_id_care_recipients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_recipient_members_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["invited_by"],
            ["users.id"],
            name=op.f("fk_recipient_members_invited_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("recipient_id", "user_id", name=op.f("pk_recipient_members")),
    )
    op.create_index(
        op.f("ix_recipient_members_user_id"), "recipient_members", ["user_id"], unique=False
    )
    op.create_table(
        "recipient_invitations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("recipient_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("status", sa.String(length=10), server_default="pending", nullable=False),
        sa.Column("invited_by", sa.Uuid(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("responded_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "role IN ('owner','viewer')", name=op.f("ck_recipient_invitations_role_known")
        ),
        sa.CheckConstraint(
            "status IN ('pending','accepted','declined','revoked')",
            name=op.f("ck_recipient_invitations_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["care_recipients.id"],
            name=op.f("fk_recipient_invitations_recipient_id_care_recipients"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["invited_by"],
            ["users.id"],
            name=op.f("fk_recipient_invitations_invited_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recipient_invitations")),
    )
    op.create_index(
        op.f("ix_recipient_invitations_recipient_id"),
        "recipient_invitations",
        ["recipient_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_recipient_invitations_email"), "recipient_invitations", ["email"], unique=False
    )
    op.create_index(
        "uq_recipient_invitations_pending",
        "recipient_invitations",
        ["recipient_id", "email"],
        unique=True,
        postgresql_where=sa.text("status = 'pending'"),
    )


def downgrade() -> None:
    op.drop_table("recipient_invitations")
    op.drop_table("recipient_members")
