"""Online payment through Stripe: Checkout Sessions, webhook events, bank transfers received on
members' virtual IBANs, and the job that re-reads what a lost webhook would leave wrong.

Stripe delivers each event at least once and in any order, so every handler is idempotent.
An event id is stored once (StripeEvent, unique) in the same transaction as its effect. A
payment intent's payment is recorded once (``recorded_at``). Refunds apply the difference
between Stripe's running total and what was already applied. A succeeded payment never goes
back to processing. Payments go through invoicing.payments.record_payment, exactly like
a payment finance records by hand. Services flush; the caller commits.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.auth.models import User
from app.errors import DomainError, InvalidTransition
from app.extensions import db
from app.money import ZERO
from app.timeutils import PARIS, utcnow
from members.models import Member

from . import stripe_gateway as gateway
from .models import DocumentKind, Invoice
from .payments import PAYABLE_STATUSES, record_payment, refresh_payment_status
from .stripe_models import (
    CheckoutSessionStatus,
    CreditSource,
    PaymentIntentStatus,
    StripeBankTransfer,
    StripeCheckoutSession,
    StripeCredit,
    StripeCustomer,
    StripeEvent,
    StripePaymentIntent,
    StripeRefund,
)

logger = logging.getLogger(__name__)

# Open sessions and unsettled payment intents older than this are re-read by the reconciliation job.
RECONCILE_DELAY = timedelta(minutes=30)
# An open session is reused only while it has at least this long left before Stripe expires it.
SESSION_REUSE_MARGIN = timedelta(minutes=10)
# Expired sessions of one amount after which start_checkout gives up instead of opening another.
MAX_CHECKOUT_ATTEMPTS = 20

# Stripe's payment intent statuses, mapped to the ones the centrale tracks.
STRIPE_INTENT_STATUSES = {
    "requires_payment_method": PaymentIntentStatus.PENDING,
    "requires_confirmation": PaymentIntentStatus.PENDING,
    "requires_action": PaymentIntentStatus.PENDING,
    "requires_capture": PaymentIntentStatus.PENDING,
    "processing": PaymentIntentStatus.PROCESSING,
    "succeeded": PaymentIntentStatus.SUCCEEDED,
    "canceled": PaymentIntentStatus.CANCELED,
}
# How far along a status is: an event snapshot may only move an intent forward.
STATUS_RANKS = {
    PaymentIntentStatus.PENDING: 0,
    PaymentIntentStatus.PROCESSING: 1,
    PaymentIntentStatus.FAILED: 2,
    PaymentIntentStatus.CANCELED: 2,
    PaymentIntentStatus.SUCCEEDED: 3,
}


class DuplicateEvent(Exception):
    """The webhook event was already handled, so the caller rolls back and returns 200."""


# --- Reading -----------------------------------------------------------------------------


def is_enabled() -> bool:
    """Return whether online payment is configured; without it nothing shows and nothing calls Stripe."""
    return gateway.is_configured()


def can_pay_online(invoice: Invoice) -> bool:
    return (
        is_enabled()
        and invoice.kind == DocumentKind.INVOICE.value
        and invoice.status in PAYABLE_STATUSES
        and invoice.balance > 0
    )


def virtual_iban_of(member_id: int) -> StripeCustomer | None:
    """Return the member's Stripe customer when its virtual IBAN is known; no call to Stripe."""
    return db.session.scalar(select(StripeCustomer).where(StripeCustomer.member_id == member_id))


def invoice_activity(invoice_id: int) -> dict:
    """Return the Stripe sessions, payment intents and refunds of an invoice, newest first."""
    return {
        "sessions": list(
            db.session.scalars(
                select(StripeCheckoutSession)
                .where(StripeCheckoutSession.invoice_id == invoice_id)
                .order_by(StripeCheckoutSession.created_at.desc(), StripeCheckoutSession.id.desc())
            )
        ),
        "intents": list(
            db.session.scalars(
                select(StripePaymentIntent)
                .where(StripePaymentIntent.invoice_id == invoice_id)
                .order_by(StripePaymentIntent.created_at.desc(), StripePaymentIntent.id.desc())
            )
        ),
        "refunds": list(
            db.session.scalars(
                select(StripeRefund).where(StripeRefund.invoice_id == invoice_id).order_by(StripeRefund.id.desc())
            )
        ),
    }


@dataclass
class FinanceOverview:
    """Finance follow-up lists, newest first: failed or cancelled payment intents, refunds,
    credits and bank transfers."""

    failed_intents: list[StripePaymentIntent]
    refunds: list[StripeRefund]
    credits: list[StripeCredit]
    transfers: list[StripeBankTransfer]


def finance_overview(limit: int = 200) -> FinanceOverview:
    return FinanceOverview(
        failed_intents=list(
            db.session.scalars(
                select(StripePaymentIntent)
                .where(StripePaymentIntent.status.in_((PaymentIntentStatus.FAILED.value, PaymentIntentStatus.CANCELED.value)))
                .order_by(StripePaymentIntent.updated_at.desc())
                .limit(limit)
            )
        ),
        refunds=list(db.session.scalars(select(StripeRefund).order_by(StripeRefund.id.desc()).limit(limit))),
        credits=list(db.session.scalars(select(StripeCredit).order_by(StripeCredit.id.desc()).limit(limit))),
        transfers=list(
            db.session.scalars(select(StripeBankTransfer).order_by(StripeBankTransfer.id.desc()).limit(limit))
        ),
    )


# --- Paying an invoice -------------------------------------------------------------------


def _lock_invoice(invoice_id: int) -> Invoice | None:
    """Load the invoice under a row lock (PostgreSQL), so its Stripe handlers run one at a time.

    SQLite has no row locks but lets one writer at a time in; each handler writes first.
    """
    return db.session.scalar(
        select(Invoice).where(Invoice.id == invoice_id).with_for_update().execution_options(populate_existing=True)
    )


def _open_session_for(invoice: Invoice, amount: Decimal, now: datetime) -> StripeCheckoutSession | None:
    sessions = db.session.scalars(
        select(StripeCheckoutSession)
        .where(
            StripeCheckoutSession.invoice_id == invoice.id,
            StripeCheckoutSession.amount == amount,
            StripeCheckoutSession.status == CheckoutSessionStatus.OPEN.value,
        )
        .order_by(StripeCheckoutSession.id.desc())
    )
    for session in sessions:
        if session.expires_at is None or session.expires_at > now + SESSION_REUSE_MARGIN:
            return session
    return None


def start_checkout(
    invoice: Invoice, *, actor: User | None, success_url: str, cancel_url: str, now: datetime | None = None
) -> StripeCheckoutSession:
    """Return a Checkout Session for the invoice's open balance: the open one, or a new one.

    The idempotency key comes from the invoice and the balance in cents, so a double click or
    a retry gets Stripe's existing session instead of a second one. ``success_url`` may contain
    Stripe's ``{CHECKOUT_SESSION_ID}`` placeholder. Raises InvalidTransition when the invoice
    expects no online payment and StripeUnavailable when Stripe fails.
    """
    now = now or utcnow()
    if not can_pay_online(invoice):
        raise InvalidTransition(
            _l("%(number)s cannot be paid online: only issued invoices with a balance can.", number=invoice.display_number)
        )
    invoice = _lock_invoice(invoice.id)
    amount = invoice.balance
    existing = _open_session_for(invoice, amount, now)
    if existing is not None:
        logger.info("Reusing Checkout Session %s for invoice %s", existing.session_id, invoice.number)
        return existing

    expired_count = db.session.scalar(
        select(func.count(StripeCheckoutSession.id)).where(
            StripeCheckoutSession.invoice_id == invoice.id,
            StripeCheckoutSession.amount == amount,
            StripeCheckoutSession.status != CheckoutSessionStatus.OPEN.value,
        )
    )
    customer = virtual_iban_of(invoice.member_id)
    for attempt in range(expired_count, expired_count + MAX_CHECKOUT_ATTEMPTS):
        key = gateway.checkout_idempotency_key(invoice.id, amount, attempt)
        data = gateway.create_checkout_session(
            invoice_id=invoice.id,
            invoice_number=invoice.number,
            member_id=invoice.member_id,
            amount=amount,
            product_name=_("Invoice %(number)s", number=invoice.number),
            success_url=success_url,
            cancel_url=cancel_url,
            idempotency_key=key,
            customer_id=customer.customer_id if customer else None,
        )
        session = _store_session(invoice, data, key, actor, now)
        if session.status == CheckoutSessionStatus.OPEN.value:
            return session
        # Stripe replayed a session of an earlier request with this key that has since expired
        # or completed: record it and try the next key.
        logger.info("Checkout Session %s for key %s is %s: trying the next key", session.session_id, key, session.status)
    raise InvalidTransition(_l("Too many expired payment sessions for this invoice: contact the centrale's finance team."))


def _store_session(invoice: Invoice, data: dict, key: str, actor: User | None, now: datetime) -> StripeCheckoutSession:
    """Insert the session returned by Stripe, or return the row a concurrent request inserted."""
    session = db.session.scalar(select(StripeCheckoutSession).where(StripeCheckoutSession.session_id == data["id"]))
    if session is None:
        session = StripeCheckoutSession(
            invoice_id=invoice.id,
            session_id=data["id"],
            url=data.get("url") or "",
            amount=gateway.amount_from_cents(data.get("amount_total")),
            idempotency_key=key,
            status=data.get("status") or CheckoutSessionStatus.OPEN.value,
            payment_status=data.get("payment_status") or "unpaid",
            payment_intent_id=_object_id(data.get("payment_intent")),
            expires_at=_timestamp(data.get("expires_at")),
            created_at=now,
            updated_at=now,
            created_by_id=actor.id if actor else None,
        )
        try:
            with db.session.begin_nested():
                db.session.add(session)
        except IntegrityError:
            # A double click on another connection stored the same session first.
            session = db.session.scalar(
                select(StripeCheckoutSession).where(StripeCheckoutSession.session_id == data["id"])
            )
    logger.info("Checkout Session %s (%s) for invoice %s, %s", session.session_id, session.status, invoice.number, session.amount)
    return session


def ensure_virtual_iban(member: Member) -> StripeCustomer:
    """Return the member's virtual IBAN, creating its Stripe customer and funding instructions once."""
    if not is_enabled():
        raise InvalidTransition(_l("Online payment is not available."))
    customer = virtual_iban_of(member.id)
    if customer is not None and customer.iban:
        return customer
    if customer is None:
        data = gateway.create_customer(member_id=member.id, name=member.name, email=member.finance_email or "")
        customer = StripeCustomer(member_id=member.id, customer_id=data["id"])
        db.session.add(customer)
    address = gateway.virtual_iban(customer.customer_id)
    customer.iban = address["iban"]
    customer.bic = address["bic"]
    customer.account_holder_name = address["account_holder_name"][:200]
    db.session.flush()
    logger.info("Virtual IBAN of member %s stored (customer %s)", member.id, customer.customer_id)
    return customer


# --- Webhook events ----------------------------------------------------------------------


def handle_event(event: dict) -> StripeEvent:
    """Record a verified webhook event once and apply its effect in the same transaction.

    Raises DuplicateEvent when the event id was already recorded by an earlier delivery or by
    a concurrent one that committed first. The caller then rolls back.
    """
    event_id = event["id"]
    if db.session.scalar(select(StripeEvent.id).where(StripeEvent.event_id == event_id)) is not None:
        raise DuplicateEvent(event_id)
    data = event.get("data", {}).get("object", {}) or {}
    record = StripeEvent(event_id=event_id, event_type=event.get("type", ""), object_id=str(data.get("id", ""))[:255])
    db.session.add(record)
    try:
        # Insert first: a concurrent delivery of the same event waits here for this transaction.
        db.session.flush()
    except IntegrityError as error:
        raise DuplicateEvent(event_id) from error

    when = _timestamp(event.get("created")) or utcnow()
    handler = EVENT_HANDLERS.get(record.event_type)
    record.outcome = handler(data, when) if handler else "ignored: event type not handled"
    db.session.flush()
    logger.info("Stripe event %s (%s) on %s: %s", event_id, record.event_type, record.object_id, record.outcome)
    return record


def _on_checkout_session(data: dict, when: datetime) -> str:
    return apply_checkout_session(data, when, authoritative=False)


def _on_payment_intent(data: dict, when: datetime) -> str:
    return apply_payment_intent(data, when, authoritative=False)


def apply_checkout_session(data: dict, when: datetime, *, authoritative: bool, payment_failed: bool = False) -> str:
    """Bring the stored session, and its payment when paid, in line with Stripe's session.

    ``authoritative`` is true for a session just read from the API; an event's snapshot may
    be older than what is stored, so it never reopens a completed or expired session.
    ``payment_failed`` marks a delayed payment (SEPA debit) that failed after completion.
    """
    session = db.session.scalar(select(StripeCheckoutSession).where(StripeCheckoutSession.session_id == data["id"]))
    invoice_id = session.invoice_id if session else _metadata_invoice_id(data)
    invoice = _lock_invoice(invoice_id) if invoice_id else None
    if invoice is None:
        logger.warning("Checkout Session %s names no known invoice: ignored", data.get("id"))
        return "ignored: no known invoice"
    amount = gateway.amount_from_cents(data.get("amount_total"))
    if session is None:
        session = StripeCheckoutSession(
            invoice_id=invoice.id, session_id=data["id"], url=data.get("url") or "", amount=amount, idempotency_key=""
        )
        db.session.add(session)
    if data.get("status") and (authoritative or session.status == CheckoutSessionStatus.OPEN.value):
        session.status = data["status"]
    if data.get("payment_status") and session.payment_status != "paid":
        session.payment_status = data["payment_status"]
    intent_key = _object_id(data.get("payment_intent"))
    if intent_key:
        session.payment_intent_id = intent_key
    session.updated_at = utcnow()

    if session.payment_status == "paid":
        intent = _intent_for(intent_key or session.session_id, invoice, amount)
        _move_intent(intent, PaymentIntentStatus.SUCCEEDED, authoritative=False)
        intent.received_amount = max(intent.received_amount, amount)
    elif payment_failed:
        intent = _intent_for(intent_key or session.session_id, invoice, amount)
        _move_intent(intent, PaymentIntentStatus.FAILED, authoritative=False)
        intent.failure_reason = intent.failure_reason or "async_payment_failed"
    elif intent_key:
        # A completed session whose payment is still processing (SEPA debit): track the intent,
        # so that the reconciliation job re-reads it if its webhook is lost.
        intent = _intent_for(intent_key, invoice, amount)
    else:
        return f"session {session.status}"
    return f"session {session.status}, {_settle_intent(intent, invoice, when)}"


def _on_checkout_async_failed(data: dict, when: datetime) -> str:
    return apply_checkout_session(data, when, authoritative=False, payment_failed=True)


def apply_payment_intent(data: dict, when: datetime, *, authoritative: bool) -> str:
    """Bring the stored payment intent, and the invoice's payments, in line with Stripe's intent."""
    intent_key = data["id"]
    intent = db.session.scalar(select(StripePaymentIntent).where(StripePaymentIntent.payment_intent_id == intent_key))
    invoice_id = intent.invoice_id if intent else _metadata_invoice_id(data) or _session_invoice_id(intent_key)
    invoice = _lock_invoice(invoice_id) if invoice_id else None
    if invoice is None:
        logger.warning("Payment intent %s names no known invoice: ignored", intent_key)
        return "ignored: no known invoice"
    intent = _intent_for(intent_key, invoice, gateway.amount_from_cents(data.get("amount")))

    stripe_status = data.get("status", "")
    error = data.get("last_payment_error") or {}
    if error and stripe_status == "requires_payment_method":
        new_status = PaymentIntentStatus.FAILED
    else:
        new_status = STRIPE_INTENT_STATUSES.get(stripe_status, PaymentIntentStatus.PENDING)
    _move_intent(intent, new_status, authoritative=authoritative)
    if error:
        intent.failure_reason = _failure_reason(error)
    intent.received_amount = max(intent.received_amount, gateway.amount_from_cents(data.get("amount_received")))
    charge = data.get("latest_charge")
    if isinstance(charge, dict):
        intent.refunded_amount = max(intent.refunded_amount, gateway.amount_from_cents(charge.get("amount_refunded")))
    return _settle_intent(intent, invoice, when)


def _on_payment_failed(data: dict, when: datetime) -> str:
    data = {**data, "status": "requires_payment_method"}
    if not data.get("last_payment_error"):
        data["last_payment_error"] = {"message": "payment failed"}
    return apply_payment_intent(data, when, authoritative=False)


def _on_charge_refunded(data: dict, when: datetime) -> str:
    """Apply a refund reported on a charge; Stripe gives the charge's running refunded total."""
    intent_key = _object_id(data.get("payment_intent"))
    if not intent_key:
        return "ignored: charge without payment intent"
    intent = db.session.scalar(select(StripePaymentIntent).where(StripePaymentIntent.payment_intent_id == intent_key))
    invoice_id = intent.invoice_id if intent else _metadata_invoice_id(data) or _session_invoice_id(intent_key)
    invoice = _lock_invoice(invoice_id) if invoice_id else None
    if invoice is None:
        logger.warning("Refunded charge %s names no known invoice: ignored", data.get("id"))
        return "ignored: no known invoice"
    intent = _intent_for(intent_key, invoice, gateway.amount_from_cents(data.get("amount")))
    if data.get("paid") and data.get("status") == "succeeded":
        # The refund may arrive before payment_intent.succeeded: the charge shows the payment.
        _move_intent(intent, PaymentIntentStatus.SUCCEEDED, authoritative=False)
        captured = data.get("amount_captured", data.get("amount"))
        intent.received_amount = max(intent.received_amount, gateway.amount_from_cents(captured))
    intent.refunded_amount = max(intent.refunded_amount, gateway.amount_from_cents(data.get("amount_refunded")))
    return _settle_intent(intent, invoice, when)


def _intent_for(intent_key: str, invoice: Invoice, amount: Decimal) -> StripePaymentIntent:
    """Return the stored intent, read again after the invoice lock, or a new one."""
    intent = db.session.scalar(
        select(StripePaymentIntent)
        .where(StripePaymentIntent.payment_intent_id == intent_key)
        .execution_options(populate_existing=True)
    )
    if intent is None:
        intent = StripePaymentIntent(
            payment_intent_id=intent_key,
            invoice_id=invoice.id,
            status=PaymentIntentStatus.PENDING.value,
            amount=amount,
            received_amount=ZERO,
            refunded_amount=ZERO,
            refund_applied_amount=ZERO,
            recorded_amount=ZERO,
            failure_reason="",
            created_at=utcnow(),
        )
        db.session.add(intent)
    elif amount > 0:
        intent.amount = amount
    intent.updated_at = utcnow()
    return intent


def _move_intent(intent: StripePaymentIntent, status: PaymentIntentStatus, *, authoritative: bool) -> None:
    """Set the intent's status; an event snapshot moves it forward only, and succeeded stays."""
    current = PaymentIntentStatus(intent.status) if intent.status else PaymentIntentStatus.PENDING
    if current == PaymentIntentStatus.SUCCEEDED:
        return
    if authoritative or STATUS_RANKS[status] >= STATUS_RANKS[current]:
        intent.status = status.value


def _settle_intent(intent: StripePaymentIntent, invoice: Invoice, when: datetime) -> str:
    """Record the succeeded payment once, then apply any refund not applied yet; return what was done."""
    db.session.flush()
    outcomes = [f"intent {intent.status}"]
    if intent.status == PaymentIntentStatus.SUCCEEDED.value and intent.recorded_at is None:
        outcomes.append(_record_intent_payment(intent, invoice, when))
    if intent.recorded_at is not None and intent.refunded_amount > intent.refund_applied_amount:
        outcomes.append(_apply_refund(intent, invoice, when))
    return ", ".join(outcomes)


def _record_intent_payment(intent: StripePaymentIntent, invoice: Invoice, when: datetime) -> str:
    received = intent.received_amount
    payable = invoice.kind == DocumentKind.INVOICE.value and invoice.status in PAYABLE_STATUSES
    applied = min(received, invoice.balance) if payable else ZERO
    if applied > 0:
        intent.payment = record_payment(
            invoice,
            paid_on=when.astimezone(PARIS).date(),
            amount=applied,
            reference=f"Stripe {intent.payment_intent_id}",
            actor=None,
        )
    intent.recorded_amount = applied
    intent.recorded_at = utcnow()
    remainder = received - applied
    if remainder > 0:
        db.session.add(
            StripeCredit(
                member_id=invoice.member_id,
                amount=remainder,
                source=CreditSource.OVERPAYMENT.value,
                reference=intent.payment_intent_id,
            )
        )
        logger.warning(
            "Payment intent %s paid %s on invoice %s with a balance of %s: %s kept as a credit",
            intent.payment_intent_id, received, invoice.number, applied, remainder,
        )
    db.session.flush()
    return f"payment of {applied} recorded" + (f", credit of {remainder}" if remainder > 0 else "")


def _apply_refund(intent: StripePaymentIntent, invoice: Invoice, when: datetime) -> str:
    """Take the refund not yet applied off the invoice's paid amount, which reopens its balance.

    The part of a refund beyond the amount recorded on the invoice came out of a credit.
    NOTE: that part is listed on the refund row but not subtracted from the StripeCredit.
    """
    added = intent.refunded_amount - intent.refund_applied_amount
    already_on_invoice = min(intent.refund_applied_amount, intent.recorded_amount)
    invoice_part = min(intent.refunded_amount, intent.recorded_amount) - already_on_invoice
    if invoice_part > 0:
        invoice.paid_amount = max(invoice.paid_amount - invoice_part, ZERO)
        refresh_payment_status(invoice)
    db.session.add(
        StripeRefund(
            intent_id=intent.id,
            invoice_id=invoice.id,
            amount=added,
            invoice_amount=invoice_part,
            refunded_on=when.astimezone(PARIS).date(),
        )
    )
    intent.refund_applied_amount = intent.refunded_amount
    db.session.flush()
    logger.warning(
        "Refund of %s on payment intent %s: %s taken off invoice %s, now %s",
        added, intent.payment_intent_id, invoice_part, invoice.number, invoice.status,
    )
    return f"refund of {added} applied"


# --- Bank transfers to virtual IBANs -----------------------------------------------------


def _on_cash_balance_transaction(data: dict, when: datetime) -> str:
    return reconcile_bank_transfer(data, when)


def reconcile_bank_transfer(transaction: dict, when: datetime) -> str:
    """Spread a transfer received on a member's virtual IBAN over its open invoices, oldest first.

    ``transaction`` is a customer cash balance transaction; only ``funded`` ones are incoming
    transfers. What no open invoice absorbs becomes a StripeCredit shown to finance. A
    transaction already reconciled is skipped.

    NOTE: the money stays in the customer's cash balance on Stripe until it is applied to a
    payment there, by Stripe's automatic reconciliation or by hand in the dashboard. This
    function records the payments in the centrale's books only.
    """
    if transaction.get("type") != "funded":
        return f"ignored: cash balance transaction of type {transaction.get('type')}"
    if (transaction.get("currency") or "").lower() != gateway.CURRENCY:
        logger.warning("Transfer %s in %s ignored: only euros are handled", transaction.get("id"), transaction.get("currency"))
        return "ignored: not in euros"
    customer = db.session.scalar(
        select(StripeCustomer).where(StripeCustomer.customer_id == _object_id(transaction.get("customer")))
    )
    if customer is None:
        logger.warning("Transfer %s to unknown customer %s ignored", transaction.get("id"), transaction.get("customer"))
        return "ignored: unknown customer"
    if db.session.scalar(select(StripeBankTransfer.id).where(StripeBankTransfer.transaction_id == transaction["id"])):
        return "transfer already reconciled"

    amount = gateway.amount_from_cents(transaction.get("net_amount"))
    bank_transfer = (transaction.get("funded") or {}).get("bank_transfer") or {}
    reference = (bank_transfer.get("reference") or "")[:255]
    received_on = (_timestamp(transaction.get("created")) or when).astimezone(PARIS).date()
    transfer = StripeBankTransfer(
        transaction_id=transaction["id"], member_id=customer.member_id, amount=amount, reference=reference, received_on=received_on
    )
    db.session.add(transfer)
    db.session.flush()

    remaining = amount
    open_invoices = db.session.scalars(
        select(Invoice)
        .where(
            Invoice.member_id == customer.member_id,
            Invoice.kind == DocumentKind.INVOICE.value,
            Invoice.status.in_(PAYABLE_STATUSES),
        )
        .order_by(Invoice.issue_date, Invoice.number)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    paid_numbers = []
    for invoice in open_invoices:
        if remaining <= 0:
            break
        part = min(remaining, invoice.balance)
        if part <= 0:
            continue
        record_payment(
            invoice,
            paid_on=received_on,
            amount=part,
            reference=f"Virement Stripe {reference or transaction['id']}"[:100],
            actor=None,
        )
        remaining -= part
        paid_numbers.append(invoice.number)
    transfer.allocated_amount = amount - remaining
    if remaining > 0:
        db.session.add(
            StripeCredit(
                member_id=customer.member_id,
                amount=remaining,
                source=CreditSource.BANK_TRANSFER.value,
                reference=transaction["id"],
            )
        )
    db.session.flush()
    logger.info(
        "Transfer %s of %s from member %s: paid %s, credit %s",
        transaction["id"], amount, customer.member_id, ", ".join(paid_numbers) or "no invoice", remaining,
    )
    return f"transfer of {amount}: {len(paid_numbers)} invoices paid, credit of {remaining}"


EVENT_HANDLERS = {
    "checkout.session.completed": _on_checkout_session,
    "checkout.session.async_payment_succeeded": _on_checkout_session,
    "checkout.session.async_payment_failed": _on_checkout_async_failed,
    "checkout.session.expired": _on_checkout_session,
    "payment_intent.processing": _on_payment_intent,
    "payment_intent.succeeded": _on_payment_intent,
    "payment_intent.canceled": _on_payment_intent,
    "payment_intent.payment_failed": _on_payment_failed,
    "charge.refunded": _on_charge_refunded,
    "customer_cash_balance_transaction.created": _on_cash_balance_transaction,
}


# --- Reconciliation ----------------------------------------------------------------------


@dataclass
class ReconciliationResult:
    sessions: int = 0
    intents: int = 0
    transfers: int = 0
    errors: int = 0

    def summary(self) -> str:
        return (
            f"{self.sessions} sessions, {self.intents} payment intents and {self.transfers} "
            f"transfers re-read, {self.errors} errors"
        )


def reconcile(now: datetime | None = None, delay: timedelta = RECONCILE_DELAY) -> ReconciliationResult:
    """Re-read open sessions, unsettled payment intents and virtual IBAN transfers from Stripe.

    Sessions and intents unchanged for ``delay`` are read again and applied as a lost webhook
    would have applied them.

    Does nothing (and calls nothing) when Stripe is not configured. A Stripe error on one
    object is logged and counted, and the others go on.
    """
    result = ReconciliationResult()
    if not is_enabled():
        logger.info("Stripe reconciliation skipped: Stripe is not configured")
        return result
    now = now or utcnow()
    cutoff = now - delay
    logger.info("Stripe reconciliation started (objects older than %s)", cutoff.isoformat())

    session_ids = db.session.scalars(
        select(StripeCheckoutSession.session_id).where(
            StripeCheckoutSession.status == CheckoutSessionStatus.OPEN.value,
            StripeCheckoutSession.created_at <= cutoff,
        )
    ).all()
    result.sessions, errors = _reread(session_ids, gateway.retrieve_checkout_session, apply_checkout_session, now)
    result.errors += errors

    intent_ids = db.session.scalars(
        select(StripePaymentIntent.payment_intent_id).where(
            StripePaymentIntent.status.in_((PaymentIntentStatus.PENDING.value, PaymentIntentStatus.PROCESSING.value)),
            StripePaymentIntent.updated_at <= cutoff,
            StripePaymentIntent.payment_intent_id.like("pi_%"),
        )
    ).all()
    result.intents, errors = _reread(intent_ids, gateway.retrieve_payment_intent, apply_payment_intent, now)
    result.errors += errors

    customer_ids = db.session.scalars(select(StripeCustomer.customer_id).order_by(StripeCustomer.id)).all()
    for customer_id in customer_ids:
        try:
            transactions = gateway.list_cash_balance_transactions(customer_id)
        except DomainError:
            result.errors += 1
            continue
        for transaction in reversed(transactions):  # oldest first
            if transaction.get("type") != "funded":
                continue
            known = db.session.scalar(
                select(StripeBankTransfer.id).where(StripeBankTransfer.transaction_id == transaction["id"])
            )
            if known is None:
                reconcile_bank_transfer(transaction, now)
                result.transfers += 1
    logger.info("Stripe reconciliation finished: %s", result.summary())
    return result


def _reread(object_ids, retrieve, apply, now: datetime) -> tuple[int, int]:
    """Read each object from Stripe and apply it as authoritative; return (re-read, errors)."""
    done = errors = 0
    for object_id in object_ids:
        try:
            apply(retrieve(object_id), now, authoritative=True)
            done += 1
        except DomainError as error:
            logger.warning("Stripe reconciliation of %s failed: %s", object_id, error)
            errors += 1
    return done, errors


def reconcile_job(fire_time: datetime) -> str:
    """Scheduled job: reconcile with Stripe as of the period's fire time."""
    return reconcile(fire_time).summary()


# --- Helpers -----------------------------------------------------------------------------


def _object_id(value) -> str | None:
    """Return the id of a Stripe reference, which is an id string or an expanded object."""
    if isinstance(value, dict):
        return value.get("id")
    return value or None


def _timestamp(value) -> datetime | None:
    return datetime.fromtimestamp(int(value), timezone.utc) if value else None


def _metadata_invoice_id(data: dict) -> int | None:
    value = (data.get("metadata") or {}).get("invoice_id", "")
    return int(value) if str(value).isdigit() else None


def _session_invoice_id(intent_key: str) -> int | None:
    return db.session.scalar(
        select(StripeCheckoutSession.invoice_id).where(StripeCheckoutSession.payment_intent_id == intent_key)
    )


def _failure_reason(error: dict) -> str:
    parts = [error.get("decline_code") or error.get("code") or "", error.get("message") or ""]
    return " – ".join(part for part in parts if part)[:1000]
