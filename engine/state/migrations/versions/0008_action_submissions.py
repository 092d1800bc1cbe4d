"""The first outcome of each submitted action form, to answer a double submit with it.

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'action_submissions',
        sa.Column('key', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('action', sa.String(length=100), nullable=False),
        sa.Column('outcome', sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('key'),
    )
    op.create_index('ix_action_submissions_created_at', 'action_submissions', ['created_at'])


def downgrade() -> None:
    op.drop_index('ix_action_submissions_created_at', table_name='action_submissions')
    op.drop_table('action_submissions')
