"""A quick-login code keeps a reference to the Keycloak session it renews.

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('quick_codes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_ref', sa.String(length=64), server_default='', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('quick_codes', schema=None) as batch_op:
        batch_op.drop_column('session_ref')
