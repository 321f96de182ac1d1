"""Paying an invoice online: the Checkout Session, its idempotency, access, and Stripe switched off."""

from datetime import date
from decimal import Decimal

from sqlalchemy import select

from app.auth.roles import Role
from app.extensions import db
from invoicing import stripe_service
from invoicing.payments import record_payment
from invoicing.stripe_models import StripeCheckoutSession

from .conftest import API_KEY


def _checkout(client, invoice):
    return client.post(f"/payments/stripe/invoices/{invoice.id}/checkout")


def test_checkout_session_for_balance(stripe_on, invoices, member_buyer, login):
    invoice = invoices.issued(member=member_buyer.member, gross="1234.56")
    client = login(member_buyer)

    response = _checkout(client, invoice)

    [request] = stripe_on.requests_to("POST", "/v1/checkout/sessions")
    assert request.authorization == f"Bearer {API_KEY}"
    assert request.idempotency_key == f"checkout-{invoice.id}-123456"
    assert request.params["mode"] == "payment"
    assert request.params["payment_method_types"] == ["card", "sepa_debit"]
    [line] = request.params["line_items"]
    assert line["price_data"]["unit_amount"] == "123456"
    assert line["price_data"]["currency"] == "eur"
    assert line["price_data"]["product_data"]["name"] == f"Facture {invoice.number}"
    assert request.params["metadata"] == {
        "invoice_id": str(invoice.id),
        "invoice_number": invoice.number,
        "member_id": str(invoice.member_id),
    }
    assert request.params["payment_intent_data"]["metadata"]["invoice_number"] == invoice.number
    assert request.params["success_url"].endswith(
        f"/payments/stripe/invoices/{invoice.id}/success?session_id={{CHECKOUT_SESSION_ID}}"
    )
    session = db.session.scalar(select(StripeCheckoutSession).where(StripeCheckoutSession.invoice_id == invoice.id))
    assert response.status_code == 303
    assert response.headers["Location"] == session.url
    assert session.amount == Decimal("1234.56")
    assert session.status == "open"
    assert session.created_by_id == member_buyer.id


def test_checkout_partly_paid_balance(stripe_on, invoices, member_buyer, login):
    invoice = invoices.issued(member=member_buyer.member, gross="300.00")
    record_payment(invoice, paid_on=date(2026, 4, 10), amount=Decimal("100.05"), reference="Mandat 12", actor=None)
    client = login(member_buyer)

    _checkout(client, invoice)

    [request] = stripe_on.requests_to("POST", "/v1/checkout/sessions")
    assert request.params["line_items"][0]["price_data"]["unit_amount"] == "19995"
    assert request.idempotency_key == f"checkout-{invoice.id}-19995"


def test_double_click_one_session(stripe_on, invoices, member_buyer, login):
    invoice = invoices.issued(member=member_buyer.member)
    client = login(member_buyer)

    first = _checkout(client, invoice)
    second = _checkout(client, invoice)

    assert first.headers["Location"] == second.headers["Location"]
    assert len(stripe_on.requests_to("POST", "/v1/checkout/sessions")) == 1
    assert len(stripe_on.sessions) == 1
    stored = db.session.scalars(select(StripeCheckoutSession).where(StripeCheckoutSession.invoice_id == invoice.id)).all()
    assert len(stored) == 1


def test_retry_after_lost_answer_same_session(stripe_on, invoices, member_buyer):
    """A retry after a lost response (the row never stored) gets Stripe's same session."""
    invoice = invoices.issued(member=member_buyer.member)
    urls = {"success_url": "http://127.0.0.1/ok", "cancel_url": "http://127.0.0.1/cancel"}
    first = stripe_service.start_checkout(invoice, actor=member_buyer, **urls)
    first_id = first.session_id
    db.session.delete(first)
    db.session.flush()

    second = stripe_service.start_checkout(invoice, actor=member_buyer, **urls)

    requests = stripe_on.requests_to("POST", "/v1/checkout/sessions")
    assert [request.idempotency_key for request in requests] == [f"checkout-{invoice.id}-12000"] * 2
    assert second.session_id == first_id
    assert len(stripe_on.sessions) == 1


def test_expired_session_replaced(stripe_on, invoices, member_buyer):
    invoice = invoices.issued(member=member_buyer.member)
    urls = {"success_url": "http://127.0.0.1/ok", "cancel_url": "http://127.0.0.1/cancel"}
    first = stripe_service.start_checkout(invoice, actor=member_buyer, **urls)
    stripe_on.expire_session(first.session_id)
    first.status = "expired"
    db.session.flush()

    second = stripe_service.start_checkout(invoice, actor=member_buyer, **urls)

    assert second.session_id != first.session_id
    assert second.idempotency_key == f"checkout-{invoice.id}-12000-1"
    assert second.status == "open"


def test_checkout_other_member_404(stripe_on, invoices, factories, login):
    invoice = invoices.issued()
    stranger = factories.user(Role.BUYER, member=factories.member())
    client = login(stranger)

    response = _checkout(client, invoice)

    assert response.status_code == 404
    assert stripe_on.requests == []


def test_checkout_finance_forbidden(stripe_on, invoices, factories, login):
    invoice = invoices.issued()
    client = login(factories.user(Role.FINANCE))

    assert _checkout(client, invoice).status_code == 403
    assert stripe_on.requests == []


def test_paid_invoice_not_payable(stripe_on, invoices, member_buyer, login):
    invoice = invoices.issued(member=member_buyer.member)
    record_payment(invoice, paid_on=date(2026, 4, 10), amount=Decimal("120.00"), reference="Mandat 13", actor=None)
    client = login(member_buyer)

    response = _checkout(client, invoice)

    assert response.status_code == 302
    assert stripe_on.requests == []
    page = client.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    assert "en ligne</button>" not in page


def test_page_shows_pay_button(stripe_on, invoices, member_buyer, login):
    invoice = invoices.issued(member=member_buyer.member, gross="1234.56")
    client = login(member_buyer)

    page = client.get(f"/invoices/{invoice.id}").get_data(as_text=True)

    assert "Payer 1\u202f234,56\u00a0€ en ligne" in page or "Payer 1 234,56 € en ligne" in page
    assert f"/payments/stripe/invoices/{invoice.id}/checkout" in page
    assert stripe_on.requests == []


def test_without_keys_no_button_no_call(stripe_off, fake_stripe, invoices, member_buyer, login):
    invoice = invoices.issued(member=member_buyer.member)
    client = login(member_buyer)

    page = client.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    checkout = _checkout(client, invoice)
    iban = client.post(f"/payments/stripe/invoices/{invoice.id}/virtual-iban")
    result = stripe_service.reconcile()

    assert "/payments/stripe/" not in page
    assert 'id="stripe-heading"' not in page
    assert checkout.status_code == 404
    assert iban.status_code == 404
    assert result.sessions == result.intents == result.transfers == 0
    assert fake_stripe.requests == []


def test_success_page_reads_session(stripe_on, invoices, member_buyer, login):
    invoice = invoices.issued(member=member_buyer.member)
    client = login(member_buyer)
    session_url = _checkout(client, invoice).headers["Location"]
    session_id = session_url.rsplit("/", 1)[1]
    stripe_on.pay_session(session_id)

    response = client.get(f"/payments/stripe/invoices/{invoice.id}/success?session_id={session_id}", follow_redirects=True)

    db.session.refresh(invoice)
    assert invoice.status == "paid"
    assert invoice.paid_amount == Decimal("120.00")
    assert "Merci" in response.get_data(as_text=True)
