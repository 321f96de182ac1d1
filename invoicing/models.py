"""Invoices and credit notes, their lines and payments, frozen once issued."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from flask_babel import pgettext
from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    event,
    inspect,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from app.errors import DomainError
from app.extensions import db
from app.formatting import format_money
from app.money import ZERO, TaxableLine, Totals, compute_totals
from app.timeutils import UTCDateTime, utcnow

if TYPE_CHECKING:
    from app.auth.models import User
    from members.models import Member
    from orders.campaign_models import Settlement
    from orders.models import OrderLine


class DocumentKind(str, enum.Enum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


DOCUMENT_KIND_LABELS = {
    DocumentKind.INVOICE: _l("Invoice"),
    DocumentKind.CREDIT_NOTE: _l("Credit note"),
}

# Number series per kind, as app.numbering formats them (FA-2026-00001, AV-2026-00001).
SERIES = {DocumentKind.INVOICE: "FA", DocumentKind.CREDIT_NOTE: "AV"}
# EN 16931 document type codes (UNTDID 1001).
TYPE_CODES = {DocumentKind.INVOICE: "380", DocumentKind.CREDIT_NOTE: "381"}


class InvoiceStatus(str, enum.Enum):
    DRAFT = "draft"
    ISSUED = "issued"
    PARTLY_PAID = "partly_paid"
    PAID = "paid"
    CANCELLED = "cancelled"  # fully cancelled by credit notes


INVOICE_STATUS_LABELS = {
    InvoiceStatus.DRAFT: _l("Draft"),
    InvoiceStatus.ISSUED: _l("Issued"),
    InvoiceStatus.PARTLY_PAID: _l("Partly paid"),
    InvoiceStatus.PAID: _l("Paid"),
    InvoiceStatus.CANCELLED: _l("Cancelled by credit note"),
}


def document_status_label(kind: DocumentKind, status: InvoiceStatus) -> str:
    """Return the label of ``status`` for a document of ``kind``, in the current locale."""
    if kind is DocumentKind.CREDIT_NOTE:
        labels = {
            InvoiceStatus.ISSUED: pgettext("credit note", "Issued"),
            InvoiceStatus.PARTLY_PAID: pgettext("credit note", "Partly paid"),
            InvoiceStatus.PAID: pgettext("credit note", "Paid"),
            InvoiceStatus.CANCELLED: pgettext("credit note", "Cancelled by credit note"),
        }
    else:
        labels = {
            InvoiceStatus.ISSUED: pgettext("invoice", "Issued"),
            InvoiceStatus.PARTLY_PAID: pgettext("invoice", "Partly paid"),
            InvoiceStatus.PAID: pgettext("invoice", "Paid"),
            InvoiceStatus.CANCELLED: pgettext("invoice", "Cancelled by credit note"),
        }
    return labels.get(status) or str(INVOICE_STATUS_LABELS[status])


# The columns an issued document may still change: its payment status and balances.
PAYMENT_STATUS_FIELDS = frozenset({"status", "paid_amount", "credited_amount"})


class IssuedDocumentChanged(DomainError):
    """Code tried to change or delete an issued invoice, credit note or one of their lines."""


class Invoice(db.Model):
    """An invoice or a credit note of the centrale to one member.

    A draft has no number and can be edited. Issuing gives it its number, freezes the buyer's
    identity and the totals, and stores the Factur-X PDF and its XML with their SHA-256.
    From then on only the payment status fields may change (see ``_reject_issued_changes``).
    """

    __tablename__ = "invoices"
    __table_args__ = (
        CheckConstraint("net_amount >= 0", name="net_amount_not_negative"),
        CheckConstraint("vat_amount >= 0", name="vat_amount_not_negative"),
        CheckConstraint("gross_amount >= 0", name="gross_amount_not_negative"),
        CheckConstraint("paid_amount >= 0", name="paid_amount_not_negative"),
        CheckConstraint("credited_amount >= 0", name="credited_amount_not_negative"),
        CheckConstraint("kind IN ('invoice', 'credit_note')", name="kind_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default=DocumentKind.INVOICE.value)
    number: Mapped[str | None] = mapped_column(String(20), unique=True)
    status: Mapped[str] = mapped_column(String(20), default=InvoiceStatus.DRAFT.value, index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    # The invoice a credit note cancels or corrects (BT-25 and BT-26 come from it).
    credited_invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), index=True)
    subject: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    issue_date: Mapped[date | None] = mapped_column(Date, index=True)
    due_date: Mapped[date | None] = mapped_column(Date, index=True)
    # First and last day of the orders' period when the invoice groups a member's orders.
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    service_code: Mapped[str] = mapped_column(String(100), default="")
    engagement_number: Mapped[str] = mapped_column(String(50), default="")
    contract_reference: Mapped[str] = mapped_column(String(100), default="")
    # The buyer as it was when the document was issued.
    buyer_name: Mapped[str] = mapped_column(String(200), default="")
    buyer_siren: Mapped[str] = mapped_column(String(9), default="")
    buyer_siret: Mapped[str] = mapped_column(String(14), default="")
    buyer_address_line1: Mapped[str] = mapped_column(String(200), default="")
    buyer_address_line2: Mapped[str] = mapped_column(String(200), default="")
    buyer_postcode: Mapped[str] = mapped_column(String(10), default="")
    buyer_city: Mapped[str] = mapped_column(String(100), default="")
    net_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=ZERO)
    vat_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=ZERO)
    gross_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=ZERO)
    paid_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=ZERO)
    credited_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=ZERO)
    pdf_data: Mapped[bytes | None] = mapped_column(LargeBinary)
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    xml_data: Mapped[bytes | None] = mapped_column(LargeBinary)
    xml_sha256: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    member: Mapped[Member] = relationship("Member")
    credited_invoice: Mapped[Invoice | None] = relationship(
        "Invoice", remote_side=[id], back_populates="credit_notes"
    )
    credit_notes: Mapped[list[Invoice]] = relationship(
        "Invoice", back_populates="credited_invoice", order_by="Invoice.id"
    )
    lines: Mapped[list[InvoiceLine]] = relationship(
        back_populates="invoice",
        order_by="InvoiceLine.position, InvoiceLine.id",
        cascade="all, delete-orphan",
    )
    payments: Mapped[list[Payment]] = relationship(
        back_populates="invoice", order_by="Payment.paid_on, Payment.id"
    )
    created_by: Mapped[User | None] = relationship("User", foreign_keys=[created_by_id])
    issued_by: Mapped[User | None] = relationship("User", foreign_keys=[issued_by_id])

    @property
    def kind_enum(self) -> DocumentKind:
        return DocumentKind(self.kind)

    @property
    def is_credit_note(self) -> bool:
        return self.kind == DocumentKind.CREDIT_NOTE.value

    @property
    def kind_label(self) -> str:
        return str(DOCUMENT_KIND_LABELS[self.kind_enum])

    @property
    def status_label(self) -> str:
        """The status in words, agreeing in French with the document: « Payée » for an invoice
        (une facture), « Émis » for a credit note (un avoir), then the overpayment to refund, if any."""
        label = document_status_label(self.kind_enum, InvoiceStatus(self.status))
        if self.refund_due > 0:
            return str(
                _l("%(status)s – overpayment of %(amount)s to refund", status=label, amount=format_money(self.refund_due))
            )
        return label

    @property
    def is_draft(self) -> bool:
        return self.status == InvoiceStatus.DRAFT.value

    @property
    def balance(self) -> Decimal:
        """What the member still owes: gross minus payments minus credit notes (never below 0)."""
        if self.is_credit_note:
            return ZERO
        return max(self.gross_amount - self.paid_amount - self.credited_amount, ZERO)

    @property
    def refund_due(self) -> Decimal:
        """Overpayment (trop-perçu) that the centrale owes the member: payments plus credit notes
        beyond the gross amount, as when a credit note cancels a partly paid invoice."""
        # NOTE: paying the overpayment back is not recorded yet, so it stays listed until a
        # payment is cancelled or the refund is settled outside the application.
        if self.is_credit_note:
            return ZERO
        return max(self.paid_amount + self.credited_amount - self.gross_amount, ZERO)

    @property
    def creditable_amount(self) -> Decimal:
        """Gross amount that credit notes may still cancel."""
        return max(self.gross_amount - self.credited_amount, ZERO)

    def is_overdue(self, today: date) -> bool:
        return (
            not self.is_credit_note
            and self.status in (InvoiceStatus.ISSUED.value, InvoiceStatus.PARTLY_PAID.value)
            and self.due_date is not None
            and self.due_date < today
            and self.balance > 0
        )

    def totals(self) -> Totals:
        """Compute the EN 16931 totals and VAT breakdown from the lines."""
        return compute_totals(line.taxable() for line in self.lines)

    @property
    def display_number(self) -> str:
        return self.number or str(_l("Draft no. %(id)s", id=self.id))

    def __repr__(self) -> str:
        return f"<Invoice {self.id} {self.kind} {self.number or 'draft'} {self.status}>"


class InvoiceLine(db.Model):
    """A line of an invoice or credit note, copied from an order line or written freely.

    ``order_line_id`` links a line to the approved order line it invoices; a credit note line
    links to the invoice line it cancels through ``credited_line_id``. A line of a settlement
    credit note or complementary invoice carries neither: ``settlement_id`` names the campaign
    settlement whose difference it invoices, and its name describes the adjustment.
    """

    __tablename__ = "invoice_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price >= 0", name="unit_price_not_negative"),
        CheckConstraint("net_amount >= 0", name="net_amount_not_negative"),
        CheckConstraint("vat_category IN ('S', 'E', 'Z', 'O')", name="vat_category_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    order_line_id: Mapped[int | None] = mapped_column(ForeignKey("order_lines.id"), index=True)
    credited_line_id: Mapped[int | None] = mapped_column(ForeignKey("invoice_lines.id"), index=True)
    settlement_id: Mapped[int | None] = mapped_column(ForeignKey("settlements.id"), index=True)
    order_number: Mapped[str] = mapped_column(String(20), default="")
    school_name: Mapped[str] = mapped_column(String(200), default="")
    reference: Mapped[str] = mapped_column(String(40), default="")
    name: Mapped[str] = mapped_column(String(200))
    unit: Mapped[str] = mapped_column(String(20), default="item")
    quantity: Mapped[Decimal] = mapped_column(Numeric(12, 3))
    unit_price: Mapped[Decimal] = mapped_column(Numeric(12, 4))
    vat_category: Mapped[str] = mapped_column(String(1), default="S")
    vat_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    vat_exemption_reason: Mapped[str] = mapped_column(String(200), default="")
    net_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))

    invoice: Mapped[Invoice] = relationship(back_populates="lines")
    order_line: Mapped[OrderLine | None] = relationship("OrderLine")
    credited_line: Mapped[InvoiceLine | None] = relationship("InvoiceLine", remote_side=[id])
    settlement: Mapped[Settlement | None] = relationship("Settlement")

    def taxable(self) -> TaxableLine:
        return TaxableLine(
            net_amount=self.net_amount,
            vat_category=self.vat_category,
            vat_rate=self.vat_rate,
            vat_exemption_reason=self.vat_exemption_reason or None,
        )


class Payment(db.Model):
    """A payment received for an invoice: a mandat administratif paid by transfer, usually.

    A payment recorded by mistake is cancelled, never deleted: the row stays with who
    cancelled it, when and why, and no longer counts in the invoice's paid amount.
    """

    __tablename__ = "payments"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    paid_on: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    # Reference of the mandat or of the bank transfer.
    reference: Mapped[str] = mapped_column(String(100), default="")
    # One-time token of the payment form that recorded it, so that a form sent twice records once.
    form_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancellation_reason: Mapped[str] = mapped_column(Text, default="")

    invoice: Mapped[Invoice] = relationship(back_populates="payments")
    created_by: Mapped[User | None] = relationship("User", foreign_keys=[created_by_id])
    cancelled_by: Mapped[User | None] = relationship("User", foreign_keys=[cancelled_by_id])

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None


def _committed_status(invoice: Invoice) -> str | None:
    """Return the status the invoice had before the pending changes of this flush."""
    history = inspect(invoice).attrs.status.history
    if history.deleted:
        return history.deleted[0]
    if history.unchanged:
        return history.unchanged[0]
    return None if history.added else invoice.status


def _was_issued(invoice: Invoice | None) -> bool:
    if invoice is None or inspect(invoice).pending:
        return False
    status = _committed_status(invoice)
    return status is not None and status != InvoiceStatus.DRAFT.value


def _changed_columns(instance) -> set[str]:
    state = inspect(instance)
    return {attr.key for attr in state.mapper.column_attrs if state.attrs[attr.key].history.has_changes()}


@event.listens_for(Session, "before_flush")
def _reject_issued_changes(session: Session, flush_context, instances) -> None:
    """Raise IssuedDocumentChanged when a flush would alter an issued document.

    An issued invoice or credit note may only change its payment status fields. Its lines
    can be neither added, changed nor deleted, and the document itself cannot be deleted.
    """
    for instance in session.dirty:
        if isinstance(instance, Invoice) and _was_issued(instance):
            forbidden = _changed_columns(instance) - PAYMENT_STATUS_FIELDS
            if forbidden:
                raise IssuedDocumentChanged(
                    _l(
                        "Invoice %(number)s is issued and cannot change (%(fields)s): "
                        "issue a credit note to correct it.",
                        number=instance.number,
                        fields=", ".join(sorted(forbidden)),
                    )
                )
        elif isinstance(instance, InvoiceLine) and _changed_columns(instance):
            _check_line_invoice(instance)
    for instance in session.new:
        if isinstance(instance, InvoiceLine):
            _check_line_invoice(instance)
    for instance in session.deleted:
        if isinstance(instance, Invoice) and _was_issued(instance):
            raise IssuedDocumentChanged(
                _l("Invoice %(number)s is issued and cannot be deleted.", number=instance.number)
            )
        if isinstance(instance, InvoiceLine):
            _check_line_invoice(instance)


def _check_line_invoice(line: InvoiceLine) -> None:
    invoice = line.invoice
    if invoice is None and line.invoice_id is not None:
        invoice = db.session.get(Invoice, line.invoice_id)
    if _was_issued(invoice):
        raise IssuedDocumentChanged(
            _l(
                "Invoice %(number)s is issued: its lines cannot change. "
                "Issue a credit note to correct it.",
                number=invoice.number,
            )
        )
