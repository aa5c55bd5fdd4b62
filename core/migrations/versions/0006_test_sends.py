"""test_sends: the log of campaign test emails (when, by whom, to whom), for history and the hourly limit

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 13:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import core.db

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "test_sends",
        sa.Column("id", _ID, nullable=False),
        sa.Column("account_id", _ID, nullable=False),
        sa.Column("campaign_id", _ID, nullable=False),
        sa.Column("user_id", _ID, nullable=True),
        sa.Column("recipients", _JSON, nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("transport", sa.String(length=20), nullable=False),
        sa.Column("message_ids", _JSON, nullable=False),
        sa.Column("created_at", core.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_test_sends_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["campaign_id"], ["campaigns.id"], name=op.f("fk_test_sends_campaign_id_campaigns"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_test_sends_user_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_test_sends")),
    )
    with op.batch_alter_table("test_sends", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_test_sends_account_id"), ["account_id"], unique=False)
        batch_op.create_index("ix_test_sends_campaign_created", ["campaign_id", "created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("test_sends", schema=None) as batch_op:
        batch_op.drop_index("ix_test_sends_campaign_created")
        batch_op.drop_index(batch_op.f("ix_test_sends_account_id"))
    op.drop_table("test_sends")
