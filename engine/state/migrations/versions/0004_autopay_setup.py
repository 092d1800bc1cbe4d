"""Autopay set up from the cabinet: a trigger (below a threshold or on the recommended payment's
date), the payment that saves the card, and why the last charge failed.

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('autopay_rules', schema=None) as batch_op:
        batch_op.add_column(sa.Column('trigger', sa.String(length=20), server_default='below_threshold',
                                      nullable=False))
        batch_op.add_column(sa.Column('setup_payment_id', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('last_failure', sa.Text(), server_default='', nullable=False))
        batch_op.alter_column('threshold', existing_type=sa.Numeric(precision=14, scale=2), nullable=True)
        batch_op.create_index(batch_op.f('ix_autopay_rules_setup_payment_id'), ['setup_payment_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('autopay_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_autopay_rules_setup_payment_id'))
        batch_op.alter_column('threshold', existing_type=sa.Numeric(precision=14, scale=2), nullable=False)
        batch_op.drop_column('last_failure')
        batch_op.drop_column('setup_payment_id')
        batch_op.drop_column('trigger')
