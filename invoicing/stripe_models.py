"""Stripe records kept by the centrale: events, Checkout Sessions, payment intents, refunds,
members' virtual IBANs, bank transfers received on them and the credits left over.

Amounts are Decimal euros like the rest of the invoicing domain; integer cents exist only in
invoicing.stripe_gateway.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import CheckConstraint, Date, ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.money import ZERO
from app.timeutils import UTCDateTime, utcnow

if TYPE_CHECKING:
    from members.models import Member

    from .models import Invoice, Payment


class StripeEvent(db.Model):
    """A webhook event already handled: its unique id makes a redelivery a no-op.

    The row is inserted in the same transaction as the event's effect, so an effect is
    recorded once or not at all.
    """

    __tablename__ = "stripe_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[str] = mapped_column(String(255), unique=True)
    event_type: Mapped[str] = mapped_column(String(100))
    # Id of the Stripe object the event is about (cs_..., pi_..., ch_..., ccsbtxn_...).
    object_id: Mapped[str] = mapped_column(String(255), default="")
    # What handling the event did, for operators: "payment recorded", "ignored: ...".
    outcome: Mapped[str] = mapped_column(Text, default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CheckoutSessionStatus(str, enum.Enum):
    """Stripe's Checkout Session statuses."""

    OPEN = "open"
    COMPLETE = "complete"
    EXPIRED = "expired"


class StripeCheckoutSession(db.Model):
    """A Stripe Checkout Session opened to pay an invoice's balance at that time."""

    __tablename__ = "stripe_checkout_sessions"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    session_id: Mapped[str] = mapped_column(String(255), unique=True)
    url: Mapped[str] = mapped_column(Text, default="")
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    # The idempotency key sent with the creation request.
    idempotency_key: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(20), default=CheckoutSessionStatus.OPEN.value, index=True)
    # Stripe's payment_status: unpaid, paid or no_payment_required.
    payment_status: Mapped[str] = mapped_column(String(30), default="unpaid")
    payment_intent_id: Mapped[str | None] = mapped_column(String(255), index=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    invoice: Mapped[Invoice] = relationship("Invoice")


class PaymentIntentStatus(str, enum.Enum):
    """The statuses the centrale tracks; Stripe's requires_* statuses count as pending."""

    PENDING = "pending"
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


PAYMENT_INTENT_STATUS_LABELS = {
    PaymentIntentStatus.PENDING: _l("Awaiting payment"),
    PaymentIntentStatus.PROCESSING: _l("Processing"),
    PaymentIntentStatus.SUCCEEDED: _l("Succeeded"),
    PaymentIntentStatus.FAILED: _l("Failed"),
    PaymentIntentStatus.CANCELED: _l("Cancelled"),
}


class StripePaymentIntent(db.Model):
    """A Stripe payment intent for an invoice, and what the centrale recorded from it.

    ``recorded_at`` is set once the succeeded amount went through record_payment (the part
    above the invoice's balance becomes a StripeCredit). ``refunded_amount`` is the total
    Stripe reports as refunded. ``refund_applied_amount`` is the part already taken off the
    invoice, so each refund applies once whatever order the events arrive in.
    """

    __tablename__ = "stripe_payment_intents"

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_intent_id: Mapped[str] = mapped_column(String(255), unique=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=PaymentIntentStatus.PENDING.value, index=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=ZERO)
    received_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=ZERO)
    refunded_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=ZERO)
    refund_applied_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=ZERO)
    # The part of the received amount recorded as a payment of the invoice.
    recorded_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=ZERO)
    recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"))
    # Stripe's code and message of the last failed attempt, shown to finance.
    failure_reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    invoice: Mapped[Invoice] = relationship("Invoice")
    payment: Mapped[Payment | None] = relationship("Payment")

    @property
    def status_label(self) -> str:
        return str(PAYMENT_INTENT_STATUS_LABELS[PaymentIntentStatus(self.status)])


class StripeRefund(db.Model):
    """A refund Stripe reported on an invoice's payment; it reopens the invoice's balance."""

    __tablename__ = "stripe_refunds"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    intent_id: Mapped[int] = mapped_column(ForeignKey("stripe_payment_intents.id"), index=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    # The refunded amount added by this report (Stripe reports the running total per charge).
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    # The part taken off the invoice's paid amount; the rest had gone to a credit.
    invoice_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=ZERO)
    refunded_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    intent: Mapped[StripePaymentIntent] = relationship("StripePaymentIntent")
    invoice: Mapped[Invoice] = relationship("Invoice")


class StripeCustomer(db.Model):
    """A member's Stripe customer and its virtual IBAN for bank transfers (customer balance)."""

    __tablename__ = "stripe_customers"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), unique=True)
    customer_id: Mapped[str] = mapped_column(String(255), unique=True)
    iban: Mapped[str] = mapped_column(String(34), default="")
    bic: Mapped[str] = mapped_column(String(11), default="")
    account_holder_name: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    member: Mapped[Member] = relationship("Member")


class StripeBankTransfer(db.Model):
    """A bank transfer received on a member's virtual IBAN, and how it was reconciled."""

    __tablename__ = "stripe_bank_transfers"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # The customer cash balance transaction (ccsbtxn_...) that reported the transfer.
    transaction_id: Mapped[str] = mapped_column(String(255), unique=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    # The payer's transfer reference, as the bank passed it on.
    reference: Mapped[str] = mapped_column(String(255), default="")
    allocated_amount: Mapped[Decimal] = mapped_column(Numeric(12, 2), default=ZERO)
    received_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    member: Mapped[Member] = relationship("Member")


class CreditSource(str, enum.Enum):
    BANK_TRANSFER = "bank_transfer"
    OVERPAYMENT = "overpayment"


CREDIT_SOURCE_LABELS = {
    CreditSource.BANK_TRANSFER: _l("Transfer above the open invoices"),
    CreditSource.OVERPAYMENT: _l("Online payment above the balance"),
}


class StripeCredit(db.Model):
    """Money a member paid through Stripe that no open invoice absorbed, for finance to settle."""

    __tablename__ = "stripe_credits"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    source: Mapped[str] = mapped_column(String(20))
    # The transfer's transaction id or the payment intent id the credit comes from.
    reference: Mapped[str] = mapped_column(String(255), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    member: Mapped[Member] = relationship("Member")

    @property
    def source_label(self) -> str:
        return str(CREDIT_SOURCE_LABELS[CreditSource(self.source)])
