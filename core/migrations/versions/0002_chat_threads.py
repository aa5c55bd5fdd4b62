"""chat threads and the approved-actions ledger

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 09:57:30.702140
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import core.db
from sqlalchemy.dialects import postgresql

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('action_records',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('tool', sa.String(length=80), nullable=False),
    sa.Column('args_hash', sa.String(length=64), nullable=False),
    sa.Column('result', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', core.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_action_records_account_id_accounts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_action_records')),
    sa.UniqueConstraint('account_id', 'idempotency_key', name=op.f('uq_action_records_account_id_idempotency_key'))
    )
    op.create_table('chat_threads',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('account_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('preview', sa.Text(), nullable=True),
    sa.Column('surface', sa.String(length=20), nullable=False),
    sa.Column('created_at', core.db.UtcDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', core.db.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], name=op.f('fk_chat_threads_account_id_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_chat_threads_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chat_threads'))
    )
    with op.batch_alter_table('chat_threads', schema=None) as batch_op:
        batch_op.create_index('ix_chat_threads_owner_updated', ['account_id', 'user_id', 'updated_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('chat_threads', schema=None) as batch_op:
        batch_op.drop_index('ix_chat_threads_owner_updated')

    op.drop_table('chat_threads')
    op.drop_table('action_records')
