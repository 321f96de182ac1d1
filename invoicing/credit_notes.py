"""Credit notes on paid or partly paid invoices: the overpayment they leave, and capping.

A credit note may cancel the whole invoice even when the member has already paid part of it.
The amount paid then exceeds what the member owes, and the difference is an overpayment
(trop-perçu) that the centrale must refund: ``Invoice.refund_due`` shows it. Finance must
accept that refund before issuing such a credit note, or cap the credit note at the invoice's
open balance so that nothing is owed back.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from flask_babel import lazy_gettext as _l

from app.errors import InvalidTransition, ValidationFailed
from app.extensions import db
from app.formatting import format_money
from app.money import AMOUNT_STEP, UNIT_PRICE_STEP, ZERO, line_net_amount

from .models import Invoice, InvoiceLine

logger = logging.getLogger(__name__)

# Cent adjustments tried when capping before giving up on an exact match (see cap_to_open_balance).
MAX_CAP_ADJUSTMENTS = 20


def refund_after_issue(credit_note: Invoice) -> Decimal:
    """Return the overpayment the credited invoice will show once this draft credit note is issued."""
    credited = credit_note.credited_invoice
    gross = credit_note.totals().gross_amount
    return max(credited.paid_amount + credited.credited_amount + gross - credited.gross_amount, ZERO)


def refund_confirmation_problem(credit_note: Invoice, accept_refund: bool) -> str | None:
    """Return why the draft may not be issued without an accepted refund (None when it may)."""
    refund = refund_after_issue(credit_note)
    if refund <= 0 or accept_refund:
        return None
    credited = credit_note.credited_invoice
    return str(
        _l(
            "Invoice %(number)s is already paid for %(paid)s: this credit note of %(gross)s leaves an "
            "overpayment of %(refund)s to refund to the member. Tick the box to accept the refund, "
            "or cap the credit note at the open balance of %(balance)s.",
            number=credited.number,
            paid=format_money(credited.paid_amount),
            gross=format_money(credit_note.totals().gross_amount),
            refund=format_money(refund),
            balance=format_money(credited.balance),
        )
    )


def _set_line_net(line: InvoiceLine, net_amount: Decimal) -> None:
    """Set a draft line's unit price so that its net amount is as close to ``net_amount`` as
    4 decimals allow, never above the price of the invoice line it credits."""
    unit_price = (net_amount / line.quantity).quantize(UNIT_PRICE_STEP)
    if line.credited_line is not None:
        unit_price = min(unit_price, line.credited_line.unit_price)
    line.unit_price = max(unit_price, ZERO)
    line.net_amount = line_net_amount(line.quantity, line.unit_price)


def _refresh_amounts(credit_note: Invoice) -> Decimal:
    totals = credit_note.totals()
    credit_note.net_amount = totals.net_amount
    credit_note.vat_amount = totals.vat_amount
    credit_note.gross_amount = totals.gross_amount
    return totals.gross_amount


def cap_to_open_balance(credit_note: Invoice) -> Decimal:
    """Lower every line of a draft credit note in proportion, so that its gross amount equals
    the credited invoice's open balance. Returns the new gross amount.

    The largest line then takes the last cents that VAT rounding leaves. When no cent
    adjustment reaches the balance exactly, the gross amount stays at most one or two cents
    below it. Raises InvalidTransition when the credit note is issued, and ValidationFailed
    when the invoice has no open balance left to credit.
    """
    if not credit_note.is_draft or not credit_note.is_credit_note:
        raise InvalidTransition(_l("Only a draft credit note can be capped at the open balance."))
    credited = credit_note.credited_invoice
    target = credited.balance
    if target <= 0:
        raise ValidationFailed(
            _l(
                "Invoice %(number)s has no open balance left: a credit note on it can only give rise "
                "to a refund. Keep the lines and accept the refund, or delete the draft.",
                number=credited.number,
            )
        )
    gross = credit_note.totals().gross_amount
    if gross <= target:
        return gross

    ratio = target / gross
    for line in credit_note.lines:
        _set_line_net(line, line.net_amount * ratio)
    gross = _refresh_amounts(credit_note)

    largest = max(credit_note.lines, key=lambda line: line.net_amount)
    for _attempt in range(MAX_CAP_ADJUSTMENTS):
        difference = gross - target
        if difference == 0:
            break
        # One cent of net changes the gross by about (1 + VAT rate) cents.
        step = max(AMOUNT_STEP, (abs(difference) / (1 + largest.vat_rate / 100)).quantize(AMOUNT_STEP))
        previous_net = largest.net_amount
        _set_line_net(largest, previous_net - step if difference > 0 else previous_net + step)
        new_gross = _refresh_amounts(credit_note)
        if difference < 0 and new_gross > target:
            # Going up overshoots the balance: keep the amount just below it.
            _set_line_net(largest, previous_net)
            gross = _refresh_amounts(credit_note)
            break
        gross = new_gross
    db.session.flush()
    logger.info(
        "Draft credit note %s capped at the open balance %s of invoice %s: gross %s",
        credit_note.id, target, credited.number, gross,
    )
    return gross
