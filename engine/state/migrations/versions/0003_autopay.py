"""Autopay rules: a saved card tops an account up when its balance falls below a threshold.

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('autopay_rules',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('login', sa.String(length=150), nullable=False),
    sa.Column('account_id', sa.String(length=100), nullable=False),
    sa.Column('card_token', sa.String(length=200), nullable=False),
    sa.Column('card_mask', sa.String(length=40), nullable=False),
    sa.Column('threshold', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('charged_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('account_id')
    )
    with op.batch_alter_table('autopay_rules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_autopay_rules_login'), ['login'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('autopay_rules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_autopay_rules_login'))

    op.drop_table('autopay_rules')
