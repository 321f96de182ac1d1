"""Payments received for invoices: recording, CSV import, statuses and overdue invoices."""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.auth.models import User
from app.errors import InvalidTransition, ValidationFailed
from app.extensions import db
from app.formatting import format_day, format_exact, format_money
from app.money import POSITIVE_AMOUNT, ZERO, parse_number, round_amount
from app.timeutils import today_paris, utcnow

from .models import DocumentKind, Invoice, InvoiceStatus, Payment

logger = logging.getLogger(__name__)

PAYABLE_STATUSES = (InvoiceStatus.ISSUED.value, InvoiceStatus.PARTLY_PAID.value)
CSV_COLUMNS = ("invoice_number", "paid_on", "amount", "reference")
# Accepted header names per column, French first: finance teams export them from their software.
CSV_HEADER_ALIASES = {
    "invoice_number": ("facture", "numero", "numéro", "numero_facture", "numéro de facture", "invoice_number"),
    "paid_on": ("date", "date_paiement", "date de paiement", "paid_on"),
    "amount": ("montant", "amount"),
    "reference": ("reference", "référence", "mandat", "reference_mandat", "reference"),
}


def refresh_payment_status(invoice: Invoice) -> None:
    """Set the status from payments and credit notes: issued, partly paid, paid or cancelled."""
    if invoice.credited_amount >= invoice.gross_amount:
        invoice.status = InvoiceStatus.CANCELLED.value
    elif invoice.paid_amount + invoice.credited_amount >= invoice.gross_amount:
        invoice.status = InvoiceStatus.PAID.value
    elif invoice.paid_amount > 0:
        invoice.status = InvoiceStatus.PARTLY_PAID.value
    else:
        invoice.status = InvoiceStatus.ISSUED.value


def payment_date_problem(invoice: Invoice, paid_on: date, today: date) -> str | None:
    """Return why ``paid_on`` cannot be the payment date of ``invoice`` (None when it can).

    A payment is received on or after the invoice's issue date, and not after today.
    """
    first_day = invoice.issue_date or today
    if first_day <= paid_on <= today:
        return None
    return str(
        _l(
            "Payment date %(day)s is outside the allowed range: enter a date from %(first)s "
            "(issue date of %(number)s) to %(last)s (today).",
            day=format_day(paid_on),
            first=format_day(first_day),
            number=invoice.display_number,
            last=format_day(today),
        )
    )


def _lock_invoice(invoice: Invoice) -> Invoice:
    """Reload the invoice under a row lock, so two payments on it are recorded one after the other."""
    return db.session.execute(
        select(Invoice).where(Invoice.id == invoice.id).with_for_update().execution_options(populate_existing=True)
    ).scalar_one()


def record_payment(
    invoice: Invoice,
    *,
    paid_on: date,
    amount: Decimal,
    reference: str,
    actor: User | None,
    form_token: str | None = None,
    today: date | None = None,
) -> Payment:
    """Record a payment on an issued invoice; a partial payment leaves a balance.

    Raises ValidationFailed when the amount is not positive, has more than 2 decimals or
    exceeds the balance, or when the date is before the invoice's issue date or after
    ``today`` (Paris time by default).
    """
    if invoice.kind != DocumentKind.INVOICE.value or invoice.status not in PAYABLE_STATUSES:
        raise InvalidTransition(
            _l(
                "%(number)s does not expect a payment: only issued, unpaid invoices do.",
                number=invoice.display_number,
            )
        )
    if amount is None or amount <= 0:
        raise ValidationFailed(_l("Amount must be greater than zero, for example 120,50."), field="amount")
    if amount != round_amount(amount):
        raise ValidationFailed(
            _l(
                "Amount %(amount)s has more than 2 decimals: enter it to the cent, for example 120,50.",
                amount=format_exact(amount),
            ),
            field="amount",
        )
    date_problem = payment_date_problem(invoice, paid_on, today or today_paris())
    if date_problem is not None:
        raise ValidationFailed(date_problem, field="paid_on")
    if amount > invoice.balance:
        raise ValidationFailed(
            _l(
                "Amount %(amount)s exceeds the balance of %(number)s (%(balance)s): check the amount.",
                amount=format_money(amount),
                number=invoice.number,
                balance=format_money(invoice.balance),
            ),
            field="amount",
        )
    payment = Payment(
        invoice=invoice,
        paid_on=paid_on,
        amount=amount,
        reference=(reference or "").strip()[:100],
        form_token=form_token,
        created_by_id=actor.id if actor else None,
    )
    db.session.add(payment)
    invoice.paid_amount = invoice.paid_amount + amount
    refresh_payment_status(invoice)
    db.session.flush()
    logger.info("Payment of %s recorded on %s (reference %s)", amount, invoice.number, payment.reference)
    return payment


@dataclass(frozen=True)
class PaymentSubmission:
    """The outcome of a payment form: the payment, and whether the form had already recorded it."""

    payment: Payment
    replayed: bool


def record_payment_once(invoice: Invoice, form_token: str, **values) -> PaymentSubmission:
    """Record the payment of a form once, however many times the form is sent.

    The invoice row is locked first (SELECT ... FOR UPDATE on PostgreSQL), so a double click
    waits for the first request, then finds the payment recorded under the same token and
    returns it with ``replayed=True``. The unique index on ``form_token`` backs this up.
    Raises ValidationFailed when the form carries no token (an out-of-date page).
    """
    if not form_token:
        raise ValidationFailed(_l("This form is out of date: reload the invoice page and enter the payment again."))
    invoice = _lock_invoice(invoice)
    existing = db.session.scalar(select(Payment).where(Payment.form_token == form_token))
    if existing is not None:
        logger.info("Payment form %s sent again for invoice %s: payment %s kept", form_token[:8], invoice.number, existing.id)
        return PaymentSubmission(payment=existing, replayed=True)
    return PaymentSubmission(payment=record_payment(invoice, form_token=form_token, **values), replayed=False)


def cancel_payment(payment: Payment, actor: User, reason: str) -> Payment:
    """Cancel a payment recorded by mistake: it stays listed, marked cancelled with who, when
    and why, and the invoice's paid amount, balance and status are recomputed without it.

    Raises ValidationFailed when the reason is missing and InvalidTransition when the payment
    is already cancelled.
    NOTE: cancelling a payment recorded from Stripe leaves its payment intent marked recorded,
    so a refund on Stripe must still be made there.
    """
    reason = (reason or "").strip()
    if payment.is_cancelled:
        raise InvalidTransition(
            _l(
                "The payment of %(amount)s of %(day)s is already cancelled.",
                amount=format_money(payment.amount),
                day=format_day(payment.paid_on),
            )
        )
    if not reason:
        raise ValidationFailed(
            _l("Reason is missing: say why the payment is cancelled, for example « mandat rejeté »."),
            field="reason",
        )
    invoice = _lock_invoice(payment.invoice)
    payment.cancelled_at = utcnow()
    payment.cancelled_by_id = actor.id
    payment.cancellation_reason = reason[:500]
    invoice.paid_amount = max(invoice.paid_amount - payment.amount, ZERO)
    refresh_payment_status(invoice)
    db.session.flush()
    logger.info(
        "Payment %s of %s on %s cancelled by user %s: %s", payment.id, payment.amount, invoice.number, actor.id, reason
    )
    return payment


def overdue_invoices(today: date) -> list[Invoice]:
    """Return the issued invoices whose due date has passed with a balance left, oldest first."""
    candidates = db.session.scalars(
        select(Invoice)
        .where(
            Invoice.kind == DocumentKind.INVOICE.value,
            Invoice.status.in_(PAYABLE_STATUSES),
            Invoice.due_date < today,
        )
        .order_by(Invoice.due_date, Invoice.number)
    )
    return [invoice for invoice in candidates if invoice.is_overdue(today)]


def invoices_with_refund_due() -> list[Invoice]:
    """Return the invoices whose payments and credit notes exceed their gross amount, so that
    the centrale owes the member the difference (trop-perçu), oldest first."""
    return list(
        db.session.scalars(
            select(Invoice)
            .where(
                Invoice.kind == DocumentKind.INVOICE.value,
                Invoice.status != InvoiceStatus.DRAFT.value,
                Invoice.paid_amount + Invoice.credited_amount > Invoice.gross_amount,
            )
            .order_by(Invoice.issue_date, Invoice.number)
        )
    )


# --- CSV import ---------------------------------------------------------------------------


@dataclass
class PaymentRow:
    """One CSV line, parsed: the invoice, the payment values, or the errors found."""

    line_number: int
    invoice_number: str
    paid_on: date | None = None
    amount: Decimal | None = None
    reference: str = ""
    invoice: Invoice | None = None
    errors: list[str] = field(default_factory=list)


@dataclass
class PaymentImport:
    """The parsed file: every row, good or bad, and the file-level errors."""

    rows: list[PaymentRow] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def valid_rows(self) -> list[PaymentRow]:
        return [row for row in self.rows if not row.errors]

    @property
    def has_errors(self) -> bool:
        return bool(self.errors) or any(row.errors for row in self.rows)

    @property
    def total_amount(self) -> Decimal:
        return sum((row.amount for row in self.valid_rows if row.amount), ZERO)


def _parse_day(text: str) -> date:
    text = text.strip()
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(text)


def _header_map(header: list[str]) -> dict[str, int]:
    positions = {}
    normalised = [name.strip().lower().lstrip("\ufeff") for name in header]
    for column, aliases in CSV_HEADER_ALIASES.items():
        for index, name in enumerate(normalised):
            if name in aliases:
                positions[column] = index
                break
    return positions


def parse_payment_csv(content: bytes) -> PaymentImport:
    """Parse a payment file: ';' separated, French decimals, dates as 31/12/2026.

    Columns (header required): facture;date;montant;reference. Each error names its line
    number. The same invoice may appear on several lines; their sum must fit its balance.
    """
    result = PaymentImport()
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = content.decode("cp1252")
        except UnicodeDecodeError:
            result.errors.append(str(_l("The file is not readable text: save it as CSV (UTF-8).")))
            return result
    reader = csv.reader(io.StringIO(text), delimiter=";")
    header = next(reader, None)
    if header is None:
        result.errors.append(str(_l("The file is empty: it needs a header line and one line per payment.")))
        return result
    positions = _header_map(header)
    missing = [column for column in ("invoice_number", "paid_on", "amount") if column not in positions]
    if missing:
        result.errors.append(
            str(
                _l(
                    "Line 1: the header must name the columns facture;date;montant;reference, "
                    "separated by semicolons."
                )
            )
        )
        return result

    pending_by_invoice: dict[int, Decimal] = {}
    for line_number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        _parse_row(result, line_number, cells, positions, pending_by_invoice)
    if not result.rows:
        result.errors.append(str(_l("The file has no payment line under its header.")))
    return result


def _cell(cells: list[str], positions: dict[str, int], column: str) -> str:
    index = positions.get(column)
    if index is None or index >= len(cells):
        return ""
    return cells[index].strip()


def _parse_row(
    result: PaymentImport,
    line_number: int,
    cells: list[str],
    positions: dict[str, int],
    pending_by_invoice: dict[int, Decimal],
) -> None:
    row = PaymentRow(line_number=line_number, invoice_number=_cell(cells, positions, "invoice_number"))
    row.reference = _cell(cells, positions, "reference")[:100]
    result.rows.append(row)

    if not row.invoice_number:
        row.errors.append(str(_l("Line %(line)s: the invoice number is missing.", line=line_number)))
    else:
        row.invoice = db.session.scalar(
            select(Invoice).where(Invoice.number == row.invoice_number, Invoice.kind == DocumentKind.INVOICE.value)
        )
        if row.invoice is None:
            row.errors.append(
                str(_l("Line %(line)s: invoice %(number)s not found.", line=line_number, number=row.invoice_number))
            )
        elif row.invoice.status not in PAYABLE_STATUSES:
            row.errors.append(
                str(
                    _l(
                        "Line %(line)s: invoice %(number)s is %(status)s and expects no payment.",
                        line=line_number,
                        number=row.invoice_number,
                        status=row.invoice.status_label.lower(),
                    )
                )
            )

    day_text = _cell(cells, positions, "paid_on")
    try:
        row.paid_on = _parse_day(day_text)
    except ValueError:
        row.errors.append(
            str(
                _l(
                    "Line %(line)s: date %(value)s is invalid: write it as 31/12/2026.",
                    line=line_number,
                    value=day_text or "(vide)",
                )
            )
        )

    if row.invoice is not None and row.paid_on is not None:
        date_problem = payment_date_problem(row.invoice, row.paid_on, today_paris())
        if date_problem is not None:
            row.errors.append(str(_l("Line %(line)s: %(problem)s", line=line_number, problem=date_problem)))

    amount_text = _cell(cells, positions, "amount")
    try:
        row.amount = parse_number(amount_text, POSITIVE_AMOUNT, str(_l("Line %(line)s, amount", line=line_number)))
    except ValueError as error:
        row.errors.append(str(error.args[0]))
    else:
        if row.amount is None:
            row.errors.append(
                str(_l("Line %(line)s: amount is missing: write a positive amount such as 1 234,56.", line=line_number))
            )

    if row.invoice is not None and row.amount is not None and not row.errors:
        already = pending_by_invoice.get(row.invoice.id, ZERO)
        if already + row.amount > row.invoice.balance:
            row.errors.append(
                str(
                    _l(
                        "Line %(line)s: the payments of invoice %(number)s exceed its balance of %(balance)s.",
                        line=line_number,
                        number=row.invoice_number,
                        balance=f"{row.invoice.balance:.2f}".replace(".", ","),
                    )
                )
            )
        else:
            pending_by_invoice[row.invoice.id] = already + row.amount


def import_payments(parsed: PaymentImport, actor: User | None) -> list[Payment]:
    """Record every row of a parsed file that has no error; the caller commits.

    Raises ValidationFailed when the file has any error, so that a file is imported whole or
    not at all.
    """
    if parsed.has_errors:
        raise ValidationFailed(_l("The file has errors: correct them and upload it again."))
    payments = [
        record_payment(row.invoice, paid_on=row.paid_on, amount=row.amount, reference=row.reference, actor=actor)
        for row in parsed.rows
    ]
    logger.info("Payment import: %s payments recorded", len(payments))
    return payments
