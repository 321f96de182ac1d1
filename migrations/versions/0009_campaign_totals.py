"""Store each closed campaign's pooled sums per member and product

Revision ID: 0009_campaign_totals
Revises: 0008_settlement_invoice_lines
Create Date: 2026-12-04 20:55:00

The closing batch writes the sums once, so that the campaign report of a closed campaign reads
them in place of scanning every order line. Campaigns closed before this revision have no rows
and the report aggregates their lines live, with the same figures.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_campaign_totals'
down_revision = '0008_settlement_invoice_lines'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'campaign_totals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('member_id', sa.Integer(), nullable=False),
        sa.Column('product_id', sa.Integer(), nullable=False),
        sa.Column('quantity', sa.Numeric(precision=14, scale=3), nullable=False),
        sa.Column('spend_amount', sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column('savings_amount', sa.Numeric(precision=18, scale=7), nullable=False),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_totals_campaign_id_campaigns'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_campaign_totals_member_id_members')),
        sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_campaign_totals_product_id_products')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_campaign_totals')),
        sa.UniqueConstraint('campaign_id', 'member_id', 'product_id', name=op.f('uq_campaign_totals_campaign_id_member_id_product_id')),
    )
    with op.batch_alter_table('campaign_totals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_campaign_totals_campaign_id'), ['campaign_id'], unique=False)


def downgrade():
    with op.batch_alter_table('campaign_totals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_campaign_totals_campaign_id'))
    op.drop_table('campaign_totals')
