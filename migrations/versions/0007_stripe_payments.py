"""Add the Stripe payment tables: events, Checkout Sessions, payment intents, refunds,
customers with their virtual IBAN, bank transfers and credits

Revision ID: 0007_stripe_payments
Revises: 0006_report_indexes
Create Date: 2026-12-04 20:31:37.701422

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_stripe_payments'
down_revision = '0006_report_indexes'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stripe_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.String(length=255), nullable=False),
    sa.Column('event_type', sa.String(length=100), nullable=False),
    sa.Column('object_id', sa.String(length=255), nullable=False),
    sa.Column('outcome', sa.Text(), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stripe_events')),
    sa.UniqueConstraint('event_id', name=op.f('uq_stripe_events_event_id'))
    )
    op.create_table('stripe_bank_transfers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('transaction_id', sa.String(length=255), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('reference', sa.String(length=255), nullable=False),
    sa.Column('allocated_amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_stripe_bank_transfers_amount_positive')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_stripe_bank_transfers_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stripe_bank_transfers')),
    sa.UniqueConstraint('transaction_id', name=op.f('uq_stripe_bank_transfers_transaction_id'))
    )
    with op.batch_alter_table('stripe_bank_transfers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stripe_bank_transfers_member_id'), ['member_id'], unique=False)

    op.create_table('stripe_credits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('reference', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_stripe_credits_amount_positive')),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_stripe_credits_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stripe_credits')),
    sa.UniqueConstraint('reference', name=op.f('uq_stripe_credits_reference'))
    )
    with op.batch_alter_table('stripe_credits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stripe_credits_member_id'), ['member_id'], unique=False)

    op.create_table('stripe_customers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.String(length=255), nullable=False),
    sa.Column('iban', sa.String(length=34), nullable=False),
    sa.Column('bic', sa.String(length=11), nullable=False),
    sa.Column('account_holder_name', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_stripe_customers_member_id_members')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stripe_customers')),
    sa.UniqueConstraint('customer_id', name=op.f('uq_stripe_customers_customer_id')),
    sa.UniqueConstraint('member_id', name=op.f('uq_stripe_customers_member_id'))
    )
    op.create_table('stripe_checkout_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.String(length=255), nullable=False),
    sa.Column('url', sa.Text(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('idempotency_key', sa.String(length=255), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('payment_status', sa.String(length=30), nullable=False),
    sa.Column('payment_intent_id', sa.String(length=255), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('amount > 0', name=op.f('ck_stripe_checkout_sessions_amount_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_stripe_checkout_sessions_created_by_id_users')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_stripe_checkout_sessions_invoice_id_invoices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stripe_checkout_sessions')),
    sa.UniqueConstraint('session_id', name=op.f('uq_stripe_checkout_sessions_session_id'))
    )
    with op.batch_alter_table('stripe_checkout_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stripe_checkout_sessions_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_stripe_checkout_sessions_invoice_id'), ['invoice_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stripe_checkout_sessions_payment_intent_id'), ['payment_intent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stripe_checkout_sessions_status'), ['status'], unique=False)

    op.create_table('stripe_payment_intents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('payment_intent_id', sa.String(length=255), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('received_amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('refunded_amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('refund_applied_amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('recorded_amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('payment_id', sa.Integer(), nullable=True),
    sa.Column('failure_reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_stripe_payment_intents_invoice_id_invoices')),
    sa.ForeignKeyConstraint(['payment_id'], ['payments.id'], name=op.f('fk_stripe_payment_intents_payment_id_payments')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stripe_payment_intents')),
    sa.UniqueConstraint('payment_intent_id', name=op.f('uq_stripe_payment_intents_payment_intent_id'))
    )
    with op.batch_alter_table('stripe_payment_intents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stripe_payment_intents_invoice_id'), ['invoice_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stripe_payment_intents_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_stripe_payment_intents_updated_at'), ['updated_at'], unique=False)

    op.create_table('stripe_refunds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('intent_id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('invoice_amount', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('refunded_on', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount > 0', name=op.f('ck_stripe_refunds_amount_positive')),
    sa.ForeignKeyConstraint(['intent_id'], ['stripe_payment_intents.id'], name=op.f('fk_stripe_refunds_intent_id_stripe_payment_intents')),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoices.id'], name=op.f('fk_stripe_refunds_invoice_id_invoices')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stripe_refunds'))
    )
    with op.batch_alter_table('stripe_refunds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stripe_refunds_intent_id'), ['intent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stripe_refunds_invoice_id'), ['invoice_id'], unique=False)



def downgrade():
    with op.batch_alter_table('stripe_refunds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stripe_refunds_invoice_id'))
        batch_op.drop_index(batch_op.f('ix_stripe_refunds_intent_id'))

    op.drop_table('stripe_refunds')
    with op.batch_alter_table('stripe_payment_intents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stripe_payment_intents_updated_at'))
        batch_op.drop_index(batch_op.f('ix_stripe_payment_intents_status'))
        batch_op.drop_index(batch_op.f('ix_stripe_payment_intents_invoice_id'))

    op.drop_table('stripe_payment_intents')
    with op.batch_alter_table('stripe_checkout_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stripe_checkout_sessions_status'))
        batch_op.drop_index(batch_op.f('ix_stripe_checkout_sessions_payment_intent_id'))
        batch_op.drop_index(batch_op.f('ix_stripe_checkout_sessions_invoice_id'))
        batch_op.drop_index(batch_op.f('ix_stripe_checkout_sessions_created_at'))

    op.drop_table('stripe_checkout_sessions')
    op.drop_table('stripe_customers')
    with op.batch_alter_table('stripe_credits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stripe_credits_member_id'))

    op.drop_table('stripe_credits')
    with op.batch_alter_table('stripe_bank_transfers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stripe_bank_transfers_member_id'))

    op.drop_table('stripe_bank_transfers')
    op.drop_table('stripe_events')
