"""The demo's finance history: invoices, settlement credit notes and payments of ENT 2025-2026.

Only members whose billing SIRET is known get documents (Ablon and Merville-Franceville-Plage
in the shipped data). For the others, the finance screens tell how to complete the SIRET.
The steps follow the real order of events, with issue dates in 2026:

1. the approved orders are invoiced on 15 January 2026, at their provisional prices, while
   the campaign is still open (one invoice per member);
2. the campaign closes on 2 February 2026 (orders.campaign_demo.close_demo_campaigns);
3. the settlements become credit notes or complementary invoices on 16 February 2026;
4. the first member pays its invoice in full and the second pays half of it, in March 2026.

Every step skips what exists already, so a second `flask demo load` changes nothing.
NOTE: the numbers follow the issue dates only when the database had no invoice of 2026
before the first load, since the FA and AV series are numbered in issue order.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from app.auth.models import User
from app.auth.roles import Role
from app.extensions import db
from app.money import round_amount
from invoicing import services
from invoicing.models import Invoice, Payment
from invoicing.payments import record_payment
from invoicing.settlements import campaign_settlement_overview, invoice_member_settlements
from members.models import Member
from orders.campaign_demo import close_demo_campaigns
from orders.campaign_models import Campaign, CampaignOrder
from orders.models import Order
from orders.states import OrderStatus

from .loader import DEMO_ACCOUNTS

logger = logging.getLogger(__name__)

CLOSED_CAMPAIGN = "ENT 2025-2026"
ORDER_INVOICE_DATE = date(2026, 1, 15)
SETTLEMENT_DATE = date(2026, 2, 16)
FULL_PAYMENT = (date(2026, 3, 10), "Mandat 2026-000112")
PARTIAL_PAYMENT = (date(2026, 3, 24), "Mandat 2026-000187")


@dataclass
class FinanceReport:
    """Counts of the documents and payments one demo load created."""

    invoices: int = 0
    settlement_documents: int = 0
    payments: int = 0


def _finance_user() -> User | None:
    email = next(account.email for account in DEMO_ACCOUNTS if account.role == Role.FINANCE)
    return db.session.scalar(select(User).where(User.email == email))


def _invoice_orders(campaign: Campaign, actor: User, report: FinanceReport) -> None:
    """Invoice the approved, uninvoiced orders of the campaign's members that have a SIRET."""
    orders = list(
        db.session.scalars(
            select(Order)
            .join(CampaignOrder, CampaignOrder.order_id == Order.id)
            .join(Member, Member.id == Order.member_id)
            .where(
                CampaignOrder.campaign_id == campaign.id,
                Order.status == OrderStatus.APPROVED.value,
                Member.billing_siret.is_not(None),
                Member.billing_siret != "",
            )
            .order_by(Order.member_id, Order.id)
        )
    )
    orders = [order for order in orders if services.uninvoiced_lines(order)]
    if not orders:
        return
    drafts = services.create_invoice_drafts(orders, grouping=services.GROUP_PER_MEMBER, actor=actor)
    for draft in sorted(drafts, key=lambda invoice: invoice.member.name):
        services.issue_invoice(draft, actor, issue_date=ORDER_INVOICE_DATE)
        report.invoices += 1


def _invoice_settlements(campaign: Campaign, actor: User, report: FinanceReport) -> None:
    for entry in campaign_settlement_overview(campaign):
        if entry.can_invoice:
            documents = invoice_member_settlements(campaign, entry.member, actor, issue_date=SETTLEMENT_DATE)
            report.settlement_documents += len(documents)


def _record_payments(actor: User, report: FinanceReport) -> None:
    """Pay the first invoice in full and half of the second, once each (matched by reference)."""
    references = [FULL_PAYMENT[1], PARTIAL_PAYMENT[1]]
    known = set(db.session.scalars(select(Payment.reference).where(Payment.reference.in_(references))))
    invoices = list(
        db.session.scalars(
            select(Invoice)
            .where(Invoice.kind == "invoice", Invoice.issue_date == ORDER_INVOICE_DATE, Invoice.number.is_not(None))
            .order_by(Invoice.number)
            .limit(2)
        )
    )
    payments = zip((FULL_PAYMENT, PARTIAL_PAYMENT), invoices, (Decimal(1), Decimal("0.5")))
    for (paid_on, reference), invoice, share in payments:
        if reference in known or invoice.balance <= 0:
            continue
        amount = round_amount(invoice.balance * share)
        record_payment(invoice, paid_on=paid_on, amount=amount, reference=reference, actor=actor)
        report.payments += 1


def load_demo_finance() -> FinanceReport:
    """Issue the demo campaign's invoices, close it, invoice its settlements and record payments.

    Flushes and leaves the commit to the caller. Does nothing when the demo campaign or the
    demo finance account is missing.
    """
    report = FinanceReport()
    campaign = db.session.scalar(select(Campaign).where(Campaign.name == CLOSED_CAMPAIGN))
    actor = _finance_user()
    if campaign is None or actor is None:
        logger.warning("Demo finance not loaded: campaign %s or the finance account is missing", CLOSED_CAMPAIGN)
        close_demo_campaigns()
        return report
    _invoice_orders(campaign, actor, report)
    close_demo_campaigns()
    db.session.flush()
    _invoice_settlements(campaign, actor, report)
    _record_payments(actor, report)
    db.session.flush()
    logger.info(
        "Demo finance loaded: %s invoices, %s settlement documents, %s payments",
        report.invoices,
        report.settlement_documents,
        report.payments,
    )
    return report
