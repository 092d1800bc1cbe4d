"""Every change asked of the billing, by its idempotency key: one call per key, and the unknown
ones settled later.

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'billing_writes',
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('operation', sa.String(length=100), nullable=False),
        sa.Column('params', sa.Text(), nullable=False),
        sa.Column('actor', sa.String(length=200), nullable=False),
        sa.Column('state', sa.String(length=16), nullable=False),
        sa.Column('result', sa.Text(), nullable=True),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('told', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key'),
    )
    op.create_index('ix_billing_writes_actor', 'billing_writes', ['actor'])
    op.create_index('ix_billing_writes_state', 'billing_writes', ['state'])
    op.create_index('ix_billing_writes_created_at', 'billing_writes', ['created_at'])


def downgrade() -> None:
    op.drop_index('ix_billing_writes_created_at', table_name='billing_writes')
    op.drop_index('ix_billing_writes_state', table_name='billing_writes')
    op.drop_index('ix_billing_writes_actor', table_name='billing_writes')
    op.drop_table('billing_writes')
