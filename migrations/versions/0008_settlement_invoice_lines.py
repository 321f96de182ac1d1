"""Link invoice lines to the campaign settlements they invoice

Revision ID: 0008_settlement_invoice_lines
Revises: 0007_stripe_payments
Create Date: 2026-12-04 20:40:00

A line of a settlement credit note or complementary invoice names the settlement whose
difference it carries, so that a settlement is never invoiced twice and the finance screen
can show the document of each settlement.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_settlement_invoice_lines'
down_revision = '0007_stripe_payments'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('invoice_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('settlement_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_invoice_lines_settlement_id'), ['settlement_id'], unique=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_invoice_lines_settlement_id_settlements'), 'settlements', ['settlement_id'], ['id']
        )


def downgrade():
    with op.batch_alter_table('invoice_lines', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_invoice_lines_settlement_id_settlements'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_invoice_lines_settlement_id'))
        batch_op.drop_column('settlement_id')
