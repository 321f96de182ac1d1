"""Add a covering index on order lines for the pooled-cost reports

Revision ID: 0006_report_indexes
Revises: 0005_notifications_jobs
Create Date: 2026-12-04 21:40:00

The reports sum quantity, unit price and net amount of the lines of a set of orders; with
these columns included, PostgreSQL reads them from the index without visiting the table.
SQLite has no INCLUDE clause, so there the index lists the columns as keys.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0006_report_indexes'
down_revision = '0005_notifications_jobs'
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE INDEX ix_order_lines_report ON order_lines (order_id) "
            "INCLUDE (product_id, quantity, unit_price, net_amount)"
        )
    else:
        op.create_index(
            "ix_order_lines_report",
            "order_lines",
            ["order_id", "product_id", "quantity", "unit_price", "net_amount"],
        )


def downgrade():
    op.drop_index("ix_order_lines_report", table_name="order_lines")
