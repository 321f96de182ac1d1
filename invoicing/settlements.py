"""Invoicing of campaign settlements: credit notes and complementary invoices after a close.

When a campaign closes, each counted order gets one settlement per VAT category and rate: the
difference between its provisional and its final amounts. Finance invoices them per member:

- an order already on an issued invoice gets a **credit note** (381) that cites that invoice
  (BT-25 and BT-26) when its final amount is lower, and a **complementary invoice** (380) when
  it is higher. Each line carries one settlement: quantity 1, unit price the difference.
- A member's documents group its settlements of the campaign per service code and engagement
  number, as invoices do, and a credit note also per original invoice, because it cites one
  invoice and lowers that invoice's balance.
- An order that was never invoiced has no invoice to correct, so it is invoiced directly at
  the campaign's final unit prices (``final_unit_prices``). Its settlements are then
  **absorbed**: marked invoiced when that order invoice is issued, with no document of their
  own.

Every settlement is marked invoiced in the transaction that issues its document, and the rows
are locked first, so a settlement is never invoiced twice. Services flush; the caller commits.
"""

from __future__ import annotations

import enum
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.auth.models import User
from app.errors import InvalidTransition, ValidationFailed
from app.extensions import db
from app.money import ZERO
from app.stored_text import stored_text
from catalog.models import SaleUnit
from members.models import Member
from orders.campaign_models import Campaign, CampaignOrder, CampaignProduct, CampaignStatus, Settlement
from orders.models import Order, OrderLine
from orders.states import OrderStatus

from .models import DocumentKind, Invoice, InvoiceLine, InvoiceStatus

logger = logging.getLogger(__name__)


class SettlementState(str, enum.Enum):
    """State of a settlement on the finance screen."""

    READY = "ready"
    MEMBER_BLOCKED = "member_blocked"
    ORDER_NOT_INVOICED = "order_not_invoiced"
    ORDER_NOT_APPROVED = "order_not_approved"
    ORDER_WITHDRAWN = "order_withdrawn"
    INVOICED = "invoiced"
    ABSORBED = "absorbed"


SETTLEMENT_STATE_LABELS = {
    SettlementState.READY: _l("To invoice"),
    SettlementState.MEMBER_BLOCKED: _l("Blocked"),
    SettlementState.ORDER_NOT_INVOICED: _l("Order not invoiced yet"),
    SettlementState.ORDER_NOT_APPROVED: _l("Order not approved yet"),
    SettlementState.ORDER_WITHDRAWN: _l("Order rejected or cancelled"),
    SettlementState.INVOICED: _l("Invoiced"),
    SettlementState.ABSORBED: _l("Absorbed by the order's invoice"),
}


@dataclass
class SettlementRow:
    """One settlement with its order, the order's original invoice and its own document."""

    settlement: Settlement
    order: Order
    original_invoice: Invoice | None
    document: Invoice | None
    state: SettlementState
    reason: str = ""

    @property
    def state_label(self) -> str:
        return str(SETTLEMENT_STATE_LABELS[self.state])


@dataclass
class MemberSettlements:
    """A member's settlements of one campaign and why they cannot all be invoiced now."""

    member: Member
    rows: list[SettlementRow]
    blockers: list[str] = field(default_factory=list)

    @property
    def ready_rows(self) -> list[SettlementRow]:
        return [row for row in self.rows if row.state == SettlementState.READY]

    @property
    def can_invoice(self) -> bool:
        return bool(self.ready_rows)

    @property
    def pending_net(self) -> Decimal:
        """Net difference of the settlements not invoiced yet (negative: owed to the member)."""
        return sum((row.settlement.difference_net for row in self.rows if not row.settlement.invoiced), ZERO)


# --- Lookups ------------------------------------------------------------------------------


def original_invoices(order_ids: list[int]) -> dict[int, Invoice]:
    """Return, per order, the earliest issued invoice that carries its lines and is not cancelled."""
    if not order_ids:
        return {}
    rows = db.session.execute(
        select(OrderLine.order_id, Invoice)
        .join(InvoiceLine, InvoiceLine.order_line_id == OrderLine.id)
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(
            OrderLine.order_id.in_(order_ids),
            Invoice.kind == DocumentKind.INVOICE.value,
            Invoice.status.not_in((InvoiceStatus.DRAFT.value, InvoiceStatus.CANCELLED.value)),
        )
        .order_by(Invoice.issue_date, Invoice.number)
    ).all()
    found: dict[int, Invoice] = {}
    for order_id, invoice in rows:
        found.setdefault(order_id, invoice)
    return found


def settlement_documents(settlement_ids: list[int]) -> dict[int, Invoice]:
    """Return, per settlement, the document (draft included) whose line carries it."""
    if not settlement_ids:
        return {}
    rows = db.session.execute(
        select(InvoiceLine.settlement_id, Invoice)
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(InvoiceLine.settlement_id.in_(settlement_ids))
        .order_by(Invoice.id)
    ).all()
    return {settlement_id: invoice for settlement_id, invoice in rows}


def _orders_with_settlement_documents(order_ids: list[int]) -> set[int]:
    """Return the orders of which a settlement is on an issued credit note or complement."""
    if not order_ids:
        return set()
    return set(
        db.session.scalars(
            select(Settlement.order_id)
            .join(InvoiceLine, InvoiceLine.settlement_id == Settlement.id)
            .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
            .where(Settlement.order_id.in_(order_ids), Invoice.status != InvoiceStatus.DRAFT.value)
        )
    )


def final_unit_prices(lines: list[OrderLine]) -> dict[int, Decimal]:
    """Return {order line id: final unit price} for the pooled lines to invoice at final price.

    A pooled line of an order linked to a closed campaign is invoiced at the campaign's final
    unit price, so the invoice already contains the settlement. The exception is an order of
    which a settlement was invoiced by its own credit note or complementary invoice: that
    order was invoiced at its provisional price, and keeps it.
    """
    order_ids = sorted({line.order_id for line in lines})
    if not order_ids:
        return {}
    prices = dict(
        db.session.execute(
            select(OrderLine.id, CampaignProduct.final_unit_price)
            .join(CampaignOrder, CampaignOrder.order_id == OrderLine.order_id)
            .join(Campaign, Campaign.id == CampaignOrder.campaign_id)
            .join(
                CampaignProduct,
                (CampaignProduct.campaign_id == Campaign.id) & (CampaignProduct.product_id == OrderLine.product_id),
            )
            .where(
                OrderLine.id.in_([line.id for line in lines]),
                Campaign.status == CampaignStatus.CLOSED.value,
                CampaignProduct.final_unit_price.is_not(None),
            )
        ).all()
    )
    if not prices:
        return {}
    settled_separately = _orders_with_settlement_documents(order_ids)
    return {
        line.id: Decimal(prices[line.id])
        for line in lines
        if line.id in prices and line.order_id not in settled_separately
    }


# --- The finance screen -------------------------------------------------------------------


def _row_state(settlement: Settlement, order: Order, original: Invoice | None, document: Invoice | None):
    """Return the state of one settlement and, when it waits, the reason and what to do."""
    if settlement.invoiced:
        if document is not None:
            return SettlementState.INVOICED, ""
        return SettlementState.ABSORBED, str(
            _l(
                "Order %(order)s was invoiced at the campaign's final prices: this difference is "
                "included in its invoice.",
                order=order.number,
            )
        )
    if document is not None and document.is_draft:
        return SettlementState.ORDER_NOT_INVOICED, str(
            _l("The settlement is on draft %(number)s: issue or delete that draft.", number=document.display_number)
        )
    if order.status == OrderStatus.SUBMITTED.value:
        return SettlementState.ORDER_NOT_APPROVED, str(
            _l(
                "Order %(order)s is waiting for the member's approval: once approved, it is invoiced "
                "at the final prices and this settlement is absorbed.",
                order=order.number,
            )
        )
    if order.status != OrderStatus.APPROVED.value:
        return SettlementState.ORDER_WITHDRAWN, str(
            _l("Order %(order)s was rejected or cancelled: nothing is invoiced.", order=order.number)
        )
    if original is None:
        return SettlementState.ORDER_NOT_INVOICED, str(
            _l(
                "Order %(order)s has no issued invoice: invoice it from the orders to invoice. It is "
                "then invoiced at the campaign's final prices and this settlement is absorbed.",
                order=order.number,
            )
        )
    return SettlementState.READY, ""


def campaign_settlement_overview(campaign: Campaign) -> list[MemberSettlements]:
    """Return every member's settlements of ``campaign`` with their state, by member name."""
    from .services import member_blockers

    settlements = list(
        db.session.scalars(
            select(Settlement)
            .where(Settlement.campaign_id == campaign.id)
            .options(selectinload(Settlement.order).selectinload(Order.member))
            .order_by(Settlement.order_id, Settlement.vat_rate.desc())
        )
    )
    originals = original_invoices(sorted({settlement.order_id for settlement in settlements}))
    documents = settlement_documents([settlement.id for settlement in settlements])
    per_member: dict[int, MemberSettlements] = {}
    for settlement in settlements:
        order = settlement.order
        entry = per_member.get(settlement.member_id)
        if entry is None:
            entry = MemberSettlements(member=order.member, rows=[], blockers=member_blockers(order.member))
            per_member[settlement.member_id] = entry
        original = originals.get(order.id)
        document = documents.get(settlement.id)
        state, reason = _row_state(settlement, order, original, document)
        if state == SettlementState.READY and entry.blockers:
            state, reason = SettlementState.MEMBER_BLOCKED, " ".join(entry.blockers)
        entry.rows.append(SettlementRow(settlement, order, original, document, state, reason))
    return sorted(per_member.values(), key=lambda entry: entry.member.name)


def closed_campaigns() -> list[Campaign]:
    return list(
        db.session.scalars(
            select(Campaign).where(Campaign.status == CampaignStatus.CLOSED.value).order_by(Campaign.closes_on.desc())
        )
    )


# --- Creating and issuing the documents ---------------------------------------------------


def _settlement_unit(order: Order, settlement: Settlement) -> str:
    """Return the unit of a settlement line: an item for goods, else the order's school.

    The unit sets the French framework code (goods or services) of the document, so a
    settlement of ENT subscriptions (sold per school, class or pupil) stays a service.
    """
    units = {
        line.unit
        for line in order.lines
        if line.vat_category == settlement.vat_category and line.vat_rate == settlement.vat_rate
    }
    return SaleUnit.ITEM.value if units == {SaleUnit.ITEM.value} else SaleUnit.SCHOOL.value


def _exemption_reason(order: Order, settlement: Settlement) -> str:
    for line in order.lines:
        if line.vat_category == settlement.vat_category and line.vat_rate == settlement.vat_rate:
            if line.vat_exemption_reason:
                return line.vat_exemption_reason
    return ""


def _settlement_line(campaign: Campaign, settlement: Settlement, position: int) -> InvoiceLine:
    order = settlement.order
    difference = abs(settlement.difference_net)
    return InvoiceLine(
        position=position,
        settlement_id=settlement.id,
        order_number=order.number or "",
        school_name=order.school.name if order.school else "",
        reference="",
        name=stored_text(
            _l(
                "Campaign settlement %(campaign)s – %(reference)s",
                campaign=campaign.name,
                reference=order.number,
            )
        )[:200],
        unit=_settlement_unit(order, settlement),
        quantity=Decimal(1),
        unit_price=difference,
        vat_category=settlement.vat_category,
        vat_rate=settlement.vat_rate,
        vat_exemption_reason=_exemption_reason(order, settlement),
        net_amount=difference,
    )


def _single_value(values) -> str:
    distinct = sorted({value for value in values if value})
    return distinct[0] if len(distinct) == 1 else ""


def _build_document(
    campaign: Campaign,
    member: Member,
    kind: DocumentKind,
    rows: list[SettlementRow],
    actor: User,
) -> Invoice:
    first = rows[0]
    original = first.original_invoice if kind == DocumentKind.CREDIT_NOTE else None
    if kind == DocumentKind.CREDIT_NOTE:
        subject = _l(
            "Credit note for campaign %(campaign)s on invoice %(number)s",
            campaign=campaign.name,
            number=original.number,
        )
        note = ""
    else:
        subject = _l("Complementary invoice for campaign %(campaign)s", campaign=campaign.name)
        numbers = ", ".join(sorted({row.original_invoice.number for row in rows}))
        note = stored_text(
            _l(
                "Complement of invoices %(numbers)s at the final prices of campaign %(campaign)s.",
                numbers=numbers,
                campaign=campaign.name,
            )
        )
    document = Invoice(
        kind=kind.value,
        status=InvoiceStatus.DRAFT.value,
        member=member,
        member_id=member.id,
        credited_invoice=original,
        subject=stored_text(subject)[:200],
        note=note,
        service_code=first.order.service_code,
        engagement_number=first.order.engagement_number,
        contract_reference=_single_value(
            line.contract_reference for row in rows for line in row.order.lines
        )[:100],
        created_by_id=actor.id,
    )
    db.session.add(document)
    with db.session.no_autoflush:
        for position, row in enumerate(rows, start=1):
            document.lines.append(_settlement_line(campaign, row.settlement, position))
    totals = document.totals()
    document.net_amount = totals.net_amount
    document.vat_amount = totals.vat_amount
    document.gross_amount = totals.gross_amount
    return document


def _group_rows(rows: list[SettlementRow]) -> dict[tuple, list[SettlementRow]]:
    """Group a member's ready settlements into documents.

    The key is the kind, the order's service code and engagement number, and for a credit note
    the original invoice it cites.
    """
    groups: dict[tuple, list[SettlementRow]] = defaultdict(list)
    for row in rows:
        credit = row.settlement.difference_net < 0
        key = (
            DocumentKind.CREDIT_NOTE if credit else DocumentKind.INVOICE,
            row.order.service_code,
            row.order.engagement_number,
            row.original_invoice.id if credit else None,
        )
        groups[key].append(row)
    return groups


def invoice_member_settlements(
    campaign: Campaign, member: Member, actor: User, *, issue_date: date | None = None
) -> list[Invoice]:
    """Create and issue the credit notes and complementary invoices of a member's settlements.

    Only the settlements in the READY state are invoiced: the others wait for their order's
    approval or invoice. Every document is issued with the usual rules (numbers, SIRET and
    Chorus Pro checks, validated Factur-X), and its settlements are marked invoiced in the
    same transaction. Raises ValidationFailed when nothing is ready, NotInvoiceable when the
    member's billing SIRET or a Chorus Pro reference is missing, and EInvoiceInvalid when a
    generated XML fails validation. The caller then rolls back, so nothing is half issued.
    """
    from .services import NotInvoiceable, issue_invoice, member_blockers

    if campaign.status != CampaignStatus.CLOSED.value:
        raise InvalidTransition(
            _l("Campaign %(name)s is still open: its settlements exist once it is closed.", name=campaign.name)
        )
    blockers = member_blockers(member)
    if blockers:
        raise NotInvoiceable(" ".join(blockers))
    # Lock the member's settlements, so that two finance users cannot invoice them both.
    db.session.execute(
        select(Settlement.id)
        .where(Settlement.campaign_id == campaign.id, Settlement.member_id == member.id)
        .with_for_update()
    ).all()
    db.session.expire_all()
    overview = [entry for entry in campaign_settlement_overview(campaign) if entry.member.id == member.id]
    ready = overview[0].ready_rows if overview else []
    if not ready:
        raise ValidationFailed(
            _l(
                "%(member)s has no settlement ready to invoice in campaign %(campaign)s.",
                member=member.name,
                campaign=campaign.name,
            )
        )

    documents = []
    for (kind, _service_code, _engagement, _original), rows in _group_rows(ready).items():
        document = _build_document(campaign, member, kind, rows, actor)
        db.session.flush()
        documents.append(issue_invoice(document, actor, issue_date=issue_date))
    logger.info(
        "Settlements of member %s in campaign %s invoiced by user %s: %s",
        member.id,
        campaign.id,
        actor.id,
        ", ".join(document.number for document in documents),
    )
    return documents


# --- Hooks of the issuing service ---------------------------------------------------------


def _absorbable_settlements(invoice: Invoice) -> list[tuple[Settlement, list[InvoiceLine]]]:
    """Return the pending settlements of the orders on an invoice, with the invoice's lines
    of the same order and VAT rate."""
    lines_by_key: dict[tuple, list[InvoiceLine]] = defaultdict(list)
    for line in invoice.lines:
        if line.order_line is not None:
            key = (line.order_line.order_id, line.vat_category, Decimal(line.vat_rate))
            lines_by_key[key].append(line)
    if not lines_by_key:
        return []
    pending = db.session.scalars(
        select(Settlement).where(
            Settlement.order_id.in_({order_id for order_id, _category, _rate in lines_by_key}),
            Settlement.invoiced.is_(False),
        )
    )
    found = []
    for settlement in pending:
        key = (settlement.order_id, settlement.vat_category, Decimal(settlement.vat_rate))
        if key in lines_by_key:
            found.append((settlement, lines_by_key[key]))
    return found


def absorption_blockers(invoice: Invoice) -> list[str]:
    """Return why an order invoice cannot absorb its orders' settlements (empty when it can).

    A draft created before its campaign closed carries the provisional prices: issued as it
    is, it would invoice the order at a price the settlement no longer corrects.
    """
    if invoice.is_credit_note:
        return []
    problems = []
    for settlement, lines in _absorbable_settlements(invoice):
        prices = final_unit_prices([line.order_line for line in lines])
        stale = [line for line in lines if line.order_line_id in prices and line.unit_price != prices[line.order_line_id]]
        if stale:
            problems.append(
                str(
                    _l(
                        "Order %(order)s is on this draft at its provisional prices, but its campaign "
                        "is closed: delete the draft and create it again to invoice the final prices.",
                        order=settlement.order.number,
                    )
                )
            )
    return sorted(set(problems))


def settlement_blockers(invoice: Invoice) -> list[str]:
    """Return the settlements of the document that are already invoiced elsewhere."""
    return [
        str(
            _l(
                "The settlement of order %(order)s is already invoiced: remove its line from this draft.",
                order=line.order_number,
            )
        )
        for line in invoice.lines
        if line.settlement is not None and line.settlement.invoiced
    ]


def mark_settlements_invoiced(invoice: Invoice) -> None:
    """Mark invoiced the settlements the document carries or absorbs, in its issue's transaction.

    Raises InvalidTransition when a settlement line's settlement is already invoiced.
    """
    for line in invoice.lines:
        if line.settlement is None:
            continue
        if line.settlement.invoiced:
            raise InvalidTransition(
                _l("The settlement of order %(order)s is already invoiced.", order=line.order_number)
            )
        line.settlement.invoiced = True
    if invoice.is_credit_note:
        return
    for settlement, _lines in _absorbable_settlements(invoice):
        settlement.invoiced = True
        logger.info("Settlement %s of order %s absorbed by invoice %s", settlement.id, settlement.order_id, invoice.id)
