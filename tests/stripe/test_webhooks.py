"""Stripe webhooks: signatures, duplicates, delivery order, failures and refunds."""

import json
import time
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select

from app.auth.roles import Role
from app.extensions import db
from invoicing import stripe_service
from invoicing.models import Payment
from invoicing.payments import record_payment
from invoicing.stripe_models import StripeEvent, StripePaymentIntent, StripeRefund

from .conftest import WEBHOOK_PATH, deliver, make_event, signature_header

URLS = {"success_url": "http://127.0.0.1/ok", "cancel_url": "http://127.0.0.1/cancel"}


def _paid_session(stripe_on, invoice, actor):
    """Open a session for the invoice and pay it on the fake Stripe; return (session, intent)."""
    session = stripe_service.start_checkout(invoice, actor=actor, **URLS)
    intent = stripe_on.pay_session(session.session_id)
    return stripe_on.sessions[session.session_id], intent


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_forged_signature_rejected(stripe_on, client, invoices, member_buyer, caplog):
    invoice = invoices.issued(member=member_buyer.member)
    session, _intent = _paid_session(stripe_on, invoice, member_buyer)
    event = make_event("checkout.session.completed", session)

    response = deliver(client, event, secret="whsec_forged")

    assert response.status_code == 400
    assert _count(StripeEvent) == 0
    assert invoice.status == "issued"
    assert "Stripe webhook rejected" in caplog.text


def test_stale_signature_rejected(stripe_on, client, invoices, member_buyer):
    invoice = invoices.issued(member=member_buyer.member)
    session, _intent = _paid_session(stripe_on, invoice, member_buyer)
    event = make_event("checkout.session.completed", session)

    response = deliver(client, event, timestamp=int(time.time()) - 600)

    assert response.status_code == 400
    assert _count(StripeEvent) == 0


def test_missing_signature_rejected(stripe_on, client):
    response = client.post(WEBHOOK_PATH, data=json.dumps(make_event("payment_intent.succeeded", {"id": "pi_x"})),
                           content_type="application/json")

    assert response.status_code == 400


def test_tampered_body_rejected(stripe_on, client):
    event = make_event("payment_intent.succeeded", {"id": "pi_x", "amount": 100})
    payload = json.dumps(event)
    header = signature_header(payload)

    response = client.post(WEBHOOK_PATH, data=payload.replace("100", "999"), content_type="application/json",
                           headers={"Stripe-Signature": header})

    assert response.status_code == 400


def test_webhook_off_without_keys(stripe_off, client):
    event = make_event("payment_intent.succeeded", {"id": "pi_x"})

    assert deliver(client, event).status_code == 404


def test_session_completed_records_payment(stripe_on, client, invoices, member_buyer):
    invoice = invoices.issued(member=member_buyer.member, gross="1234.56")
    session, intent = _paid_session(stripe_on, invoice, member_buyer)

    response = deliver(client, make_event("checkout.session.completed", session))

    assert response.status_code == 200
    [payment] = invoice.payments
    assert payment.amount == Decimal("1234.56")
    assert payment.reference == f"Stripe {intent['id']}"
    assert payment.created_by_id is None
    assert invoice.status == "paid"
    assert invoice.balance == Decimal("0.00")


def test_partial_balance_then_paid(stripe_on, client, invoices, member_buyer):
    invoice = invoices.issued(member=member_buyer.member, gross="300.00")
    record_payment(invoice, paid_on=date(2026, 4, 2), amount=Decimal("100.00"), reference="Mandat 7", actor=None)
    assert invoice.status == "partly_paid"
    session, _intent = _paid_session(stripe_on, invoice, member_buyer)

    deliver(client, make_event("checkout.session.completed", session))

    assert [payment.amount for payment in invoice.payments] == [Decimal("100.00"), Decimal("200.00")]
    assert invoice.status == "paid"


def test_duplicate_event_recorded_once(stripe_on, client, invoices, member_buyer):
    invoice = invoices.issued(member=member_buyer.member)
    session, _intent = _paid_session(stripe_on, invoice, member_buyer)
    event = make_event("checkout.session.completed", session)

    responses = [deliver(client, event) for _ in range(3)]

    assert [response.status_code for response in responses] == [200, 200, 200]
    assert [response.json.get("duplicate") for response in responses] == [None, True, True]
    assert _count(StripeEvent) == 1
    assert [payment.amount for payment in invoice.payments] == [Decimal("120.00")]


def test_intent_succeeded_before_session(stripe_on, client, invoices, member_buyer):
    invoice = invoices.issued(member=member_buyer.member)
    session, intent = _paid_session(stripe_on, invoice, member_buyer)

    first = deliver(client, make_event("payment_intent.succeeded", intent))
    second = deliver(client, make_event("checkout.session.completed", session))

    assert first.status_code == second.status_code == 200
    assert _count(StripeEvent) == 2
    assert [payment.amount for payment in invoice.payments] == [Decimal("120.00")]
    assert invoice.status == "paid"
    stored = db.session.scalar(select(StripePaymentIntent).where(StripePaymentIntent.payment_intent_id == intent["id"]))
    assert stored.status == "succeeded"
    assert stored.recorded_amount == Decimal("120.00")


def test_late_processing_keeps_paid(stripe_on, client, invoices, member_buyer):
    invoice = invoices.issued(member=member_buyer.member)
    session, intent = _paid_session(stripe_on, invoice, member_buyer)
    deliver(client, make_event("payment_intent.succeeded", intent))

    late = {**intent, "status": "processing", "amount_received": 0}
    response = deliver(client, make_event("payment_intent.processing", late))

    assert response.status_code == 200
    stored = db.session.scalar(select(StripePaymentIntent).where(StripePaymentIntent.payment_intent_id == intent["id"]))
    assert stored.status == "succeeded"
    assert invoice.status == "paid"
    assert invoice.paid_amount == Decimal("120.00")


def test_sepa_processing_then_succeeded(stripe_on, client, invoices, member_buyer):
    invoice = invoices.issued(member=member_buyer.member)
    checkout = stripe_service.start_checkout(invoice, actor=member_buyer, **URLS)
    intent = stripe_on.pay_session(checkout.session_id, settled=False)
    session = stripe_on.sessions[checkout.session_id]

    deliver(client, make_event("checkout.session.completed", session))
    assert invoice.status == "issued"
    assert invoice.payments == []
    deliver(client, make_event("payment_intent.processing", intent))
    stripe_on.settle_intent(intent["id"])
    deliver(client, make_event("checkout.session.async_payment_succeeded", {**session, "payment_status": "paid"}))

    assert invoice.status == "paid"
    assert [payment.amount for payment in invoice.payments] == [Decimal("120.00")]


def test_failed_payment_shown_to_finance(stripe_on, client, invoices, member_buyer, factories, login):
    invoice = invoices.issued(member=member_buyer.member)
    checkout = stripe_service.start_checkout(invoice, actor=member_buyer, **URLS)
    intent = stripe_on.pay_session(checkout.session_id, settled=False)
    failed = {
        **intent,
        "status": "requires_payment_method",
        "last_payment_error": {"code": "card_declined", "decline_code": "insufficient_funds",
                               "message": "Your card has insufficient funds."},
    }

    deliver(client, make_event("payment_intent.payment_failed", failed))

    stored = db.session.scalar(select(StripePaymentIntent).where(StripePaymentIntent.payment_intent_id == intent["id"]))
    assert stored.status == "failed"
    assert stored.failure_reason == "insufficient_funds – Your card has insufficient funds."
    assert invoice.status == "issued"
    page = login(factories.user(Role.FINANCE)).get("/payments/stripe").get_data(as_text=True)
    assert invoice.number in page
    assert "insufficient_funds – Your card has insufficient funds." in page
    assert "Échoué" in page


def test_refund_reopens_balance(stripe_on, client, invoices, member_buyer, factories, login):
    invoice = invoices.issued(member=member_buyer.member, gross="120.00")
    session, intent = _paid_session(stripe_on, invoice, member_buyer)
    deliver(client, make_event("checkout.session.completed", session))
    assert invoice.status == "paid"

    partial = stripe_on.refund(intent["id"], 5000)
    deliver(client, make_event("charge.refunded", partial))
    assert invoice.paid_amount == Decimal("70.00")
    assert invoice.balance == Decimal("50.00")
    assert invoice.status == "partly_paid"

    full = stripe_on.refund(intent["id"], 7000)
    deliver(client, make_event("charge.refunded", full))
    deliver(client, make_event("charge.refunded", partial))  # a late, older snapshot changes nothing

    assert invoice.paid_amount == Decimal("0.00")
    assert invoice.status == "issued"
    refunds = db.session.scalars(select(StripeRefund).order_by(StripeRefund.id)).all()
    assert [refund.amount for refund in refunds] == [Decimal("50.00"), Decimal("70.00")]
    assert [refund.invoice_amount for refund in refunds] == [Decimal("50.00"), Decimal("70.00")]
    page = login(factories.user(Role.FINANCE)).get("/payments/stripe").get_data(as_text=True)
    assert "Remboursements" in page
    assert "70,00" in page


def test_refund_before_payment_event(stripe_on, client, invoices, member_buyer):
    invoice = invoices.issued(member=member_buyer.member, gross="120.00")
    session, intent = _paid_session(stripe_on, invoice, member_buyer)
    charge = stripe_on.refund(intent["id"], 2000)

    deliver(client, make_event("charge.refunded", charge))
    deliver(client, make_event("payment_intent.succeeded", intent))
    deliver(client, make_event("checkout.session.completed", session))

    assert [payment.amount for payment in invoice.payments] == [Decimal("120.00")]
    assert invoice.paid_amount == Decimal("100.00")
    assert invoice.status == "partly_paid"
    assert _count(StripeRefund) == 1


def test_unknown_invoice_ignored(stripe_on, client):
    intent = {"id": "pi_test_unknown", "object": "payment_intent", "status": "succeeded", "amount": 100,
              "amount_received": 100, "metadata": {}}

    response = deliver(client, make_event("payment_intent.succeeded", intent))

    assert response.status_code == 200
    record = db.session.scalar(select(StripeEvent))
    assert record.outcome == "ignored: no known invoice"
    assert _count(Payment) == 0
