"""Invoicing rules: drafts from approved orders, issuing, credit notes and access.

Only resale lines are invoiced by the centrale; intermediation lines are invoiced by the
supplier. An order line is on at most one invoice that is not cancelled by credit notes.
Services flush; the caller (view or CLI command) commits or rolls back.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, select
from sqlalchemy.orm import selectinload

from app.auth.models import User
from app.auth.roles import Role
from app.errors import InvalidTransition, NotFound, ValidationFailed
from app.extensions import db
from app.formatting import format_money
from app.money import (
    AMOUNT_STEP,
    MAX_AMOUNT,
    VAT_CATEGORIES,
    VAT_STANDARD,
    ZERO,
    line_net_amount,
    round_unit_price,
)
from app.numbering import next_number
from app.stored_text import stored_text
from app.timeutils import today_paris, utcnow
from members.models import ChorusRequirement, Member
from orders.models import Order, OrderLine
from orders.states import OrderStatus

from . import credit_notes, documents, notifications, settlements
from .models import (
    SERIES,
    DocumentKind,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
)

logger = logging.getLogger(__name__)

RESALE = "resale"
DEFAULT_PAYMENT_DAYS = 30
GROUP_PER_ORDER = "order"
GROUP_PER_MEMBER = "member"


class NotInvoiceable(ValidationFailed):
    """An invoice cannot be issued yet: the message names what is missing and how to add it."""


# --- What can be invoiced -----------------------------------------------------------------


def _active_invoice_line_ids():
    """Select the order lines already on an invoice that no credit note has fully cancelled."""
    return (
        select(InvoiceLine.order_line_id)
        .join(Invoice, InvoiceLine.invoice_id == Invoice.id)
        .where(
            InvoiceLine.order_line_id.is_not(None),
            Invoice.kind == DocumentKind.INVOICE.value,
            Invoice.status != InvoiceStatus.CANCELLED.value,
        )
    )


def uninvoiced_lines(order: Order) -> list[OrderLine]:
    """Return the order's resale lines that are not on any live invoice yet."""
    taken = set(db.session.scalars(_active_invoice_line_ids().where(InvoiceLine.order_line_id.in_([l.id for l in order.lines]))))
    return [line for line in order.lines if line.sales_mode == RESALE and line.id not in taken]


def member_blockers(member: Member) -> list[str]:
    """Return why no invoice can be issued to ``member`` yet, whatever the order."""
    problems = []
    if not member.billing_siret:
        problems.append(
            _l(
                "Billing SIRET of %(member)s is missing: Chorus Pro needs it to route the "
                "invoice. Enter it on the member's page, or import it with "
                "'flask members import-sirets'.",
                member=member.name,
            )
        )
    if not (member.address_line1 and member.postcode and member.city):
        problems.append(
            _l(
                "Postal address of %(member)s is incomplete: an invoice must name the buyer's "
                "address. Enter its address line, postcode and city on the member's page.",
                member=member.name,
            )
        )
    return [str(problem) for problem in problems]


def reference_blockers(member: Member, service_code: str, engagement_number: str) -> list[str]:
    """Return the Chorus Pro references that ``member`` requires and that are missing."""
    requirement = ChorusRequirement(member.chorus_requirement)
    missing_service = requirement in (ChorusRequirement.SERVICE_CODE, ChorusRequirement.BOTH) and not service_code
    missing_engagement = (
        requirement in (ChorusRequirement.ENGAGEMENT, ChorusRequirement.BOTH) and not engagement_number
    )
    missing_either = requirement == ChorusRequirement.EITHER and not (service_code or engagement_number)
    problems = []
    if missing_service:
        problems.append(
            _l(
                "Service code is missing: Chorus Pro requires one on %(member)s's invoices. "
                "Enter it on the draft invoice, as the member's buyer gave it on the order.",
                member=member.name,
            )
        )
    if missing_engagement:
        problems.append(
            _l(
                "Engagement number is missing: Chorus Pro requires one on %(member)s's invoices. "
                "Ask the member for it and enter it on the draft invoice.",
                member=member.name,
            )
        )
    if missing_either:
        problems.append(
            _l(
                "Service code or engagement number is missing: Chorus Pro requires at least one "
                "on %(member)s's invoices. Enter it on the draft invoice.",
                member=member.name,
            )
        )
    return [str(problem) for problem in problems]


@dataclass
class InvoiceableOrder:
    """An approved order with resale lines still to invoice, and what blocks its invoice."""

    order: Order
    lines: list[OrderLine]
    blockers: list[str] = field(default_factory=list)

    @property
    def net_amount(self) -> Decimal:
        return sum((line.net_amount for line in self.lines), ZERO)


def invoiceable_orders(
    member_id: int | None = None, period_start: date | None = None, period_end: date | None = None
) -> list[InvoiceableOrder]:
    """Return approved orders with resale lines not yet invoiced, oldest first.

    The period applies to the approval date (Paris time).
    """
    query = (
        select(Order)
        .where(Order.status == OrderStatus.APPROVED.value)
        .options(selectinload(Order.lines), selectinload(Order.member))
        .order_by(Order.decided_at, Order.id)
    )
    if member_id:
        query = query.where(Order.member_id == member_id)
    result = []
    for order in db.session.scalars(query):
        approved_on = order.decided_at.astimezone(_paris()).date() if order.decided_at else None
        if period_start and (approved_on is None or approved_on < period_start):
            continue
        if period_end and (approved_on is None or approved_on > period_end):
            continue
        lines = uninvoiced_lines(order)
        if not lines:
            continue
        blockers = member_blockers(order.member) + reference_blockers(
            order.member, order.service_code, order.engagement_number
        )
        result.append(InvoiceableOrder(order=order, lines=lines, blockers=blockers))
    return result


def _paris():
    from app.timeutils import PARIS

    return PARIS


# --- Drafts -------------------------------------------------------------------------------


def _line_from_order(order: Order, line: OrderLine, position: int, final_price: Decimal | None = None) -> InvoiceLine:
    """Copy an order line; ``final_price`` replaces the provisional price of a closed campaign."""
    unit_price = line.unit_price if final_price is None else final_price
    return InvoiceLine(
        position=position,
        order_line_id=line.id,
        order_number=order.number or "",
        school_name=order.school.name if order.school else "",
        reference=line.reference,
        name=line.name,
        unit=line.unit,
        quantity=line.quantity,
        unit_price=unit_price,
        vat_category=line.vat_category,
        vat_rate=line.vat_rate,
        vat_exemption_reason=line.vat_exemption_reason or "",
        net_amount=line.net_amount if final_price is None else line_net_amount(line.quantity, unit_price),
    )


def _single_value(values: list[str]) -> str:
    distinct = sorted({value for value in values if value})
    return distinct[0] if len(distinct) == 1 else ""


def _default_subject(orders: list[Order]) -> str:
    numbers = ", ".join(order.number or "" for order in orders)
    return stored_text(_l("Orders %(numbers)s", numbers=numbers))[:200]


def create_invoice_drafts(
    orders: list[Order],
    *,
    grouping: str,
    actor: User,
    period_start: date | None = None,
    period_end: date | None = None,
) -> list[Invoice]:
    """Create draft invoices for the uninvoiced resale lines of approved ``orders``.

    ``grouping`` is GROUP_PER_ORDER (one invoice per order) or GROUP_PER_MEMBER (one invoice
    per member and Chorus Pro references: an invoice carries one service code and one
    engagement number, so orders that differ on them get separate invoices). A pooled line
    of a closed campaign is invoiced at its final price (see invoicing.settlements).
    """
    if grouping not in (GROUP_PER_ORDER, GROUP_PER_MEMBER):
        raise ValidationFailed(_l("Grouping %(value)s is invalid: choose per order or per member.", value=grouping))
    groups: dict[tuple, list[tuple[Order, list[OrderLine]]]] = {}
    for order in orders:
        if order.status != OrderStatus.APPROVED.value:
            raise InvalidTransition(
                _l("Order %(number)s is not approved: only approved orders are invoiced.", number=order.number)
            )
        lines = uninvoiced_lines(order)
        if not lines:
            continue
        if grouping == GROUP_PER_ORDER:
            key = ("order", order.id)
        else:
            key = ("member", order.member_id, order.service_code, order.engagement_number)
        groups.setdefault(key, []).append((order, lines))

    final_prices = settlements.final_unit_prices(
        [line for entries in groups.values() for _order, lines in entries for line in lines]
    )
    drafts = []
    for entries in groups.values():
        group_orders = [order for order, _lines in entries]
        first = group_orders[0]
        invoice = Invoice(
            kind=DocumentKind.INVOICE.value,
            status=InvoiceStatus.DRAFT.value,
            member=first.member,
            subject=_default_subject(group_orders),
            service_code=first.service_code,
            engagement_number=first.engagement_number,
            contract_reference=_single_value(
                [line.contract_reference for _order, lines in entries for line in lines]
            ),
            period_start=period_start if grouping == GROUP_PER_MEMBER else None,
            period_end=period_end if grouping == GROUP_PER_MEMBER else None,
            created_by_id=actor.id,
        )
        position = 0
        for order, lines in entries:
            for line in lines:
                position += 1
                invoice.lines.append(_line_from_order(order, line, position, final_prices.get(line.id)))
        _refresh_amounts(invoice)
        db.session.add(invoice)
        drafts.append(invoice)
    db.session.flush()
    for invoice in drafts:
        logger.info("Draft invoice %s created for member %s by user %s", invoice.id, invoice.member_id, actor.id)
    return drafts


def _refresh_amounts(invoice: Invoice) -> None:
    totals = invoice.totals()
    invoice.net_amount = totals.net_amount
    invoice.vat_amount = totals.vat_amount
    invoice.gross_amount = totals.gross_amount


def _require_draft(invoice: Invoice) -> None:
    if not invoice.is_draft:
        raise InvalidTransition(
            _l(
                "%(number)s is issued and cannot be edited: issue a credit note to correct it.",
                number=invoice.display_number,
            )
        )


def update_draft(
    invoice: Invoice,
    *,
    subject: str,
    note: str,
    service_code: str,
    engagement_number: str,
    contract_reference: str,
    period_start: date | None,
    period_end: date | None,
) -> None:
    """Change the header of a draft: subject, note, Chorus Pro references and period."""
    _require_draft(invoice)
    if period_start and period_end and period_end < period_start:
        raise ValidationFailed(
            _l("Period end is before its start: enter an end date on or after the start date."),
            field="period_end",
        )
    if len(service_code.strip()) > 100:
        raise ValidationFailed(
            _l("Service code is too long: Chorus Pro accepts at most 100 characters."), field="service_code"
        )
    invoice.subject = subject.strip()[:200]
    invoice.note = note.strip()
    invoice.service_code = service_code.strip()
    invoice.engagement_number = engagement_number.strip()[:50]
    invoice.contract_reference = contract_reference.strip()[:100]
    invoice.period_start = period_start
    invoice.period_end = period_end
    db.session.flush()


def _check_line_values(quantity: Decimal, unit_price: Decimal, vat_category: str, vat_rate: Decimal, reason: str) -> None:
    if quantity is None or quantity <= 0:
        raise ValidationFailed(_l("Quantity must be greater than zero."), field="quantity")
    if unit_price is None or unit_price < 0:
        raise ValidationFailed(_l("Unit price must be zero or more."), field="unit_price")
    net_amount = line_net_amount(quantity, unit_price)
    if net_amount > MAX_AMOUNT:
        raise ValidationFailed(
            _l("The line amount %(amount)s is too large: %(maximum)s at most. Lower the quantity or the unit price.",
               amount=format_money(net_amount), maximum=format_money(MAX_AMOUNT)),
            field="quantity",
        )
    if vat_category not in VAT_CATEGORIES:
        raise ValidationFailed(_l("VAT category %(value)s is invalid: use S, E, Z or O.", value=vat_category), field="vat_category")
    if vat_category == VAT_STANDARD and (vat_rate is None or vat_rate <= 0):
        raise ValidationFailed(_l("A standard-rated line needs a VAT rate above zero, such as 20."), field="vat_rate")
    if vat_category != VAT_STANDARD and vat_rate:
        raise ValidationFailed(_l("An exempt, zero-rated or out-of-scope line has a VAT rate of 0."), field="vat_rate")
    if vat_category != VAT_STANDARD and not reason.strip():
        raise ValidationFailed(
            _l("The legal reason for no VAT is missing, for example 'CGI art. 261-4-4° a'."),
            field="vat_exemption_reason",
        )


def add_free_line(
    invoice: Invoice,
    *,
    name: str,
    quantity: Decimal,
    unit_price: Decimal,
    vat_category: str,
    vat_rate: Decimal,
    vat_exemption_reason: str = "",
    reference: str = "",
    unit: str = "item",
) -> InvoiceLine:
    """Add a line that comes from no order (a fee, an adjustment) to a draft."""
    _require_draft(invoice)
    if not name.strip():
        raise ValidationFailed(_l("Designation is missing: describe what is invoiced."), field="name")
    vat_rate = Decimal(vat_rate or 0).quantize(AMOUNT_STEP)
    _check_line_values(quantity, unit_price, vat_category, vat_rate, vat_exemption_reason)
    unit_price = round_unit_price(unit_price)
    line = InvoiceLine(
        position=max((existing.position for existing in invoice.lines), default=0) + 1,
        reference=reference.strip()[:40],
        name=name.strip()[:200],
        unit=unit,
        quantity=quantity,
        unit_price=unit_price,
        vat_category=vat_category,
        vat_rate=vat_rate,
        vat_exemption_reason=vat_exemption_reason.strip()[:200],
        net_amount=line_net_amount(quantity, unit_price),
    )
    invoice.lines.append(line)
    _refresh_amounts(invoice)
    db.session.flush()
    return line


def _draft_line(invoice: Invoice, line_id: int) -> InvoiceLine:
    for line in invoice.lines:
        if line.id == line_id:
            return line
    raise NotFound(_l("Line %(id)s is not on this draft.", id=line_id))


def change_draft_line(invoice: Invoice, line_id: int, *, quantity: Decimal, unit_price: Decimal) -> InvoiceLine:
    """Change a draft line's quantity and unit price (a partial credit note, a correction)."""
    _require_draft(invoice)
    line = _draft_line(invoice, line_id)
    _check_line_values(quantity, unit_price, line.vat_category, line.vat_rate, line.vat_exemption_reason or "-")
    if line.credited_line is not None and (
        quantity > line.credited_line.quantity or unit_price > line.credited_line.unit_price
    ):
        raise ValidationFailed(
            _l("A credit note line cannot exceed the invoiced quantity or unit price."), field="quantity"
        )
    line.quantity = quantity
    line.unit_price = round_unit_price(unit_price)
    line.net_amount = line_net_amount(quantity, line.unit_price)
    _refresh_amounts(invoice)
    db.session.flush()
    return line


def remove_draft_line(invoice: Invoice, line_id: int) -> None:
    """Take a line off a draft; an order line removed this way can be invoiced later."""
    _require_draft(invoice)
    line = _draft_line(invoice, line_id)
    invoice.lines.remove(line)
    _refresh_amounts(invoice)
    db.session.flush()


def delete_draft(invoice: Invoice) -> None:
    """Delete a draft and free its order lines."""
    _require_draft(invoice)
    logger.info("Draft %s of member %s deleted", invoice.id, invoice.member_id)
    db.session.delete(invoice)
    db.session.flush()


# --- Issuing ------------------------------------------------------------------------------


def issue_blockers(invoice: Invoice) -> list[str]:
    """Return every reason why the draft cannot be issued now (empty when it can)."""
    problems = member_blockers(invoice.member)
    if not invoice.is_credit_note:
        problems += reference_blockers(invoice.member, invoice.service_code, invoice.engagement_number)
    if not invoice.lines:
        problems.append(str(_l("The draft has no line: add at least one line before issuing.")))
    if invoice.is_credit_note:
        credited = invoice.credited_invoice
        if invoice.totals().gross_amount > credited.creditable_amount:
            problems.append(
                str(
                    _l(
                        "The credit note exceeds what remains creditable on invoice %(number)s "
                        "(%(remaining)s): lower its lines.",
                        number=credited.number,
                        remaining=format_money(credited.creditable_amount),
                    )
                )
            )
    else:
        problems += _already_invoiced(invoice)
    return problems + settlements.settlement_blockers(invoice) + settlements.absorption_blockers(invoice)


def _already_invoiced(invoice: Invoice) -> list[str]:
    order_line_ids = [line.order_line_id for line in invoice.lines if line.order_line_id]
    if not order_line_ids:
        return []
    taken = db.session.execute(
        _active_invoice_line_ids()
        .add_columns(Invoice.number)
        .where(
            InvoiceLine.order_line_id.in_(order_line_ids),
            Invoice.id != invoice.id,
            Invoice.status != InvoiceStatus.DRAFT.value,
        )
    ).all()
    return [
        str(
            _l(
                "Order line %(line)s is already on invoice %(number)s: remove it from this draft.",
                line=order_line_id,
                number=number,
            )
        )
        for order_line_id, number in taken
    ]


def _lock_draft(invoice_id: int) -> Invoice:
    """Reload the invoice under a row lock so that two issuers cannot both issue it."""
    invoice = db.session.execute(
        select(Invoice).where(Invoice.id == invoice_id).with_for_update().execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if invoice is None:
        raise NotFound(_l("Invoice %(id)s not found.", id=invoice_id))
    return invoice


def issue_invoice(
    invoice: Invoice, actor: User, *, issue_date: date | None = None, accept_refund: bool = False
) -> Invoice:
    """Issue a draft invoice or credit note: number, frozen buyer, due date and documents.

    The number comes from the FA or AV series of the issue year. It is taken in the caller's
    transaction, together with the status change and the stored PDF and XML. A failure (invalid
    XML, rendering error, rollback) therefore leaves neither a gap nor a duplicate. Raises
    NotInvoiceable, naming what is missing, when the member's billing SIRET or a required
    Chorus Pro reference is absent. A credit note that would leave the member overpaid is
    issued only with ``accept_refund``, else ValidationFailed on the field ``accept_refund``.
    """
    invoice = _lock_draft(invoice.id)
    _require_draft(invoice)
    problems = issue_blockers(invoice)
    if problems:
        raise NotInvoiceable(" ".join(problems))
    if invoice.is_credit_note:
        refund_problem = credit_notes.refund_confirmation_problem(invoice, accept_refund)
        if refund_problem is not None:
            raise ValidationFailed(refund_problem, field="accept_refund")

    # One flush at the end: an autoflush half-way (a lazy load) would store the issued status
    # before the documents, and the immutability check would then reject the documents.
    with db.session.no_autoflush:
        _freeze_and_number(invoice, actor, issue_date or today_paris())
        documents.store_documents(invoice)
        if invoice.is_credit_note:
            _apply_credit_note(invoice)
        settlements.mark_settlements_invoiced(invoice)
    db.session.flush()
    # The e-mail and its PDF join the outbox in this transaction, so they exist only if it commits.
    notifications.notify_document_issued(invoice)
    logger.info("%s %s issued by user %s (gross %s)", invoice.kind, invoice.number, actor.id, invoice.gross_amount)
    return invoice


def _freeze_and_number(invoice: Invoice, actor: User, issue_date: date) -> None:
    """Copy the buyer's identity, recompute the totals, then take the number and the dates."""
    member = invoice.member
    invoice.buyer_name = member.name
    invoice.buyer_siren = member.siren
    invoice.buyer_siret = member.billing_siret or ""
    invoice.buyer_address_line1 = member.address_line1
    invoice.buyer_address_line2 = member.address_line2
    invoice.buyer_postcode = member.postcode
    invoice.buyer_city = member.city
    _refresh_amounts(invoice)

    invoice.number = next_number(SERIES[invoice.kind_enum], issue_date.year)
    invoice.issue_date = issue_date
    invoice.due_date = None if invoice.is_credit_note else issue_date + timedelta(days=DEFAULT_PAYMENT_DAYS)
    invoice.status = InvoiceStatus.ISSUED.value
    invoice.issued_at = utcnow()
    invoice.issued_by_id = actor.id


def _apply_credit_note(credit_note: Invoice) -> None:
    """Lower the credited invoice's balance; a full credit cancels the invoice. What the member
    paid beyond the gross amount left after credits becomes ``refund_due`` on the invoice."""
    from .payments import refresh_payment_status

    credited = credit_note.credited_invoice
    credited.credited_amount = credited.credited_amount + credit_note.gross_amount
    refresh_payment_status(credited)
    if credited.refund_due > 0:
        logger.warning(
            "Credit note %s leaves invoice %s overpaid: %s to refund to member %s",
            credit_note.number, credited.number, credited.refund_due, credited.member_id,
        )


# --- Credit notes -------------------------------------------------------------------------


def create_credit_note(invoice: Invoice, actor: User, *, note: str = "") -> Invoice:
    """Create a draft credit note that mirrors every line of an issued invoice.

    Lower or remove lines on the draft to credit part of the invoice; issued as is, it
    cancels the invoice and frees its order lines.
    """
    if invoice.is_credit_note or invoice.is_draft:
        raise InvalidTransition(_l("Only an issued invoice can be credited."))
    if invoice.status == InvoiceStatus.CANCELLED.value:
        raise InvalidTransition(
            _l("Invoice %(number)s is already cancelled by credit notes.", number=invoice.number)
        )
    credit_note = Invoice(
        kind=DocumentKind.CREDIT_NOTE.value,
        status=InvoiceStatus.DRAFT.value,
        member_id=invoice.member_id,
        member=invoice.member,
        credited_invoice=invoice,
        subject=stored_text(_l("Credit note on invoice %(number)s", number=invoice.number))[:200],
        note=note.strip(),
        service_code=invoice.service_code,
        engagement_number=invoice.engagement_number,
        contract_reference=invoice.contract_reference,
        period_start=invoice.period_start,
        period_end=invoice.period_end,
        created_by_id=actor.id,
    )
    for line in invoice.lines:
        credit_note.lines.append(
            InvoiceLine(
                position=line.position,
                credited_line=line,
                order_number=line.order_number,
                school_name=line.school_name,
                reference=line.reference,
                name=line.name,
                unit=line.unit,
                quantity=line.quantity,
                unit_price=line.unit_price,
                vat_category=line.vat_category,
                vat_rate=line.vat_rate,
                vat_exemption_reason=line.vat_exemption_reason,
                net_amount=line.net_amount,
            )
        )
    _refresh_amounts(credit_note)
    db.session.add(credit_note)
    db.session.flush()
    logger.info("Draft credit note %s created on invoice %s by user %s", credit_note.id, invoice.number, actor.id)
    return credit_note


# --- Access -------------------------------------------------------------------------------


def can_see_invoice(user: User, invoice: Invoice) -> bool:
    """Return True when ``user`` may view ``invoice``.

    Finance and admin see every document. A member gets only its own issued documents.
    """
    if user.is_member_side:
        return invoice.member_id == user.member_id and not invoice.is_draft
    return user.has_role(Role.FINANCE, Role.ADMIN)


def get_invoice_for_user(user: User, invoice_id: int) -> Invoice:
    """Return the invoice, or raise NotFound when it does not exist or the user may not see it."""
    invoice = db.session.get(Invoice, invoice_id)
    if invoice is None or not can_see_invoice(user, invoice):
        raise NotFound(_l("Invoice %(id)s not found.", id=invoice_id))
    return invoice


@dataclass
class InvoiceFilters:
    """The filters of the invoice list."""

    member_id: int | None = None
    kind: str | None = None
    status: str | None = None
    issued_from: date | None = None
    issued_to: date | None = None


def invoices_query(user: User, filters: InvoiceFilters):
    """Build the query of the documents ``user`` may list, drafts first, then newest first."""
    query = select(Invoice).options(selectinload(Invoice.member))
    if user.is_member_side:
        query = query.where(Invoice.member_id == user.member_id, Invoice.status != InvoiceStatus.DRAFT.value)
    elif filters.member_id:
        query = query.where(Invoice.member_id == filters.member_id)
    if filters.kind:
        query = query.where(Invoice.kind == DocumentKind(filters.kind).value)
    if filters.status:
        query = query.where(Invoice.status == InvoiceStatus(filters.status).value)
    if filters.issued_from:
        query = query.where(Invoice.issue_date >= filters.issued_from)
    if filters.issued_to:
        query = query.where(Invoice.issue_date <= filters.issued_to)
    return query.order_by(Invoice.issue_date.desc().nulls_first(), Invoice.id.desc())


def issued_documents(date_from: date, date_to: date, statuses: list[str] | None = None) -> list[Invoice]:
    """Return the issued invoices and credit notes of a period, by issue date then number."""
    query = (
        select(Invoice)
        .where(
            Invoice.status != InvoiceStatus.DRAFT.value,
            and_(Invoice.issue_date >= date_from, Invoice.issue_date <= date_to),
        )
        .options(selectinload(Invoice.lines), selectinload(Invoice.member))
        .order_by(Invoice.issue_date, Invoice.number)
    )
    if statuses:
        query = query.where(Invoice.status.in_([InvoiceStatus(status).value for status in statuses]))
    return list(db.session.scalars(query))
