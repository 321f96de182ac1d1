"""Give payments a one-time form token and a cancellation (who, when, why)

Revision ID: 0010_payment_corrections
Revises: 0009_campaign_totals
Create Date: 2026-12-04 21:10:00

A payment form sent twice must record one payment, so each payment keeps the unique token of
the form that recorded it. A wrong payment is cancelled and kept, never deleted.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_payment_corrections'
down_revision = '0009_campaign_totals'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('form_token', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('cancelled_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('cancellation_reason', sa.Text(), nullable=False, server_default=''))
        batch_op.create_unique_constraint(batch_op.f('uq_payments_form_token'), ['form_token'])
        batch_op.create_foreign_key(batch_op.f('fk_payments_cancelled_by_id_users'), 'users', ['cancelled_by_id'], ['id'])


def downgrade():
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_payments_cancelled_by_id_users'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_payments_form_token'), type_='unique')
        batch_op.drop_column('cancellation_reason')
        batch_op.drop_column('cancelled_by_id')
        batch_op.drop_column('cancelled_at')
        batch_op.drop_column('form_token')
