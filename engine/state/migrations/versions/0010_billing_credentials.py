"""A server-side session may carry the billing's credential of a subscriber the billing signed in
(CABINET_SIGN_IN=billing), encrypted like the tokens beside it.

Revision ID: 0010
Revises: 0009
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('auth_sessions') as batch:
        batch.add_column(sa.Column('credential', sa.Text(), nullable=False, server_default=''))


def downgrade() -> None:
    with op.batch_alter_table('auth_sessions') as batch:
        batch.drop_column('credential')
