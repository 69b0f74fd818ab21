"""The outbox announces its own rows: a statement trigger NOTIFYs the dispatcher, a row trigger
NOTIFYs the matching index for each `caregiver.changed` event. The application used to send
both with a separate `SELECT pg_notify(...)` after every outbox INSERT, one round trip more in
every write that announces something (a booking among them). NOTIFY is transactional either
way: delivered on commit, dropped on rollback.

Revision ID: 0011_outbox_notify_trigger
Revises: 0010_provisional_pricing
Create Date: 2026-12-02
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011_outbox_notify_trigger"
down_revision: str | None = "0010_provisional_pricing"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The channel names are notifications.outbox.OUTBOX_CHANNEL / CAREGIVER_CHANGED_CHANNEL, written
# out: a migration must not change when the code's constants do.


def upgrade() -> None:
    op.execute(
        """
        CREATE FUNCTION outbox_notify_dispatcher() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('homecare_outbox', '');
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER tg_outbox_notify_dispatcher AFTER INSERT ON outbox"
        " FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify_dispatcher()"
    )
    op.execute(
        """
        CREATE FUNCTION outbox_notify_caregiver_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('homecare_caregiver_changed', NEW.payload ->> 'caregiver_id');
            RETURN NULL;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER tg_outbox_notify_caregiver_changed AFTER INSERT ON outbox"
        " FOR EACH ROW WHEN (NEW.topic = 'caregiver.changed')"
        " EXECUTE FUNCTION outbox_notify_caregiver_changed()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER tg_outbox_notify_caregiver_changed ON outbox")
    op.execute("DROP FUNCTION outbox_notify_caregiver_changed()")
    op.execute("DROP TRIGGER tg_outbox_notify_dispatcher ON outbox")
    op.execute("DROP FUNCTION outbox_notify_dispatcher()")
