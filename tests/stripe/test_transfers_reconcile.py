"""Virtual IBANs and the transfers received on them; the reconciliation job; the settings."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.auth.roles import Role
from app.config import ConfigurationError, load_stripe_settings
from app.extensions import db
from app.timeutils import utcnow
from invoicing import stripe_service
from invoicing.stripe_models import StripeBankTransfer, StripeCheckoutSession, StripeCredit

from .conftest import API_KEY, deliver, make_event

URLS = {"success_url": "http://127.0.0.1/ok", "cancel_url": "http://127.0.0.1/cancel"}


def _member_with_iban(invoices, member_buyer):
    invoice = invoices.issued(member=member_buyer.member, gross="100.00", issue_date=date(2026, 3, 1))
    return invoice, stripe_service.ensure_virtual_iban(member_buyer.member)


def test_virtual_iban_shown(stripe_on, invoices, member_buyer, login):
    invoice = invoices.issued(member=member_buyer.member, gross="100.00")
    client = login(member_buyer)

    response = client.post(f"/payments/stripe/invoices/{invoice.id}/virtual-iban")
    page = client.get(f"/invoices/{invoice.id}").get_data(as_text=True)

    assert response.status_code == 302
    customer = stripe_service.virtual_iban_of(member_buyer.member_id)

    [create] = stripe_on.requests_to("POST", "/v1/customers")
    assert create.idempotency_key == f"customer-member-{member_buyer.member_id}"
    assert create.params["metadata"] == {"member_id": str(member_buyer.member_id)}
    [funding] = stripe_on.requests_to("POST", f"/v1/customers/{customer.customer_id}/funding_instructions")
    assert funding.params["funding_type"] == "bank_transfer"
    assert funding.params["bank_transfer"] == {"type": "eu_bank_transfer", "eu_bank_transfer": {"country": "FR"}}
    assert customer.iban.startswith("FR76301010000")
    assert customer.bic == "SXPYFRP1"
    spaced = " ".join(customer.iban[i : i + 4] for i in range(0, len(customer.iban), 4))
    assert spaced in page


def test_transfer_larger_leaves_credit(stripe_on, client, invoices, member_buyer, login, factories):
    older, customer = _member_with_iban(invoices, member_buyer)
    newer = invoices.issued(member=member_buyer.member, gross="50.00", issue_date=date(2026, 4, 1))
    transaction = stripe_on.receive_transfer(customer.customer_id, 20000, "FA-2026 mandat 451")

    response = deliver(client, make_event("customer_cash_balance_transaction.created", transaction))

    assert response.status_code == 200
    assert older.status == newer.status == "paid"
    assert [payment.amount for payment in older.payments] == [Decimal("100.00")]
    assert [payment.amount for payment in newer.payments] == [Decimal("50.00")]
    assert older.payments[0].reference == "Virement Stripe FA-2026 mandat 451"
    [credit] = db.session.scalars(select(StripeCredit)).all()
    assert credit.amount == Decimal("50.00")
    assert credit.member_id == member_buyer.member_id
    assert credit.source == "bank_transfer"
    transfer = db.session.scalar(select(StripeBankTransfer))
    assert transfer.allocated_amount == Decimal("150.00")
    page = login(factories.user(Role.FINANCE)).get("/payments/stripe").get_data(as_text=True)
    assert "Virement supérieur aux factures à payer" in page
    assert "50,00" in page


def test_transfer_smaller_pays_oldest_first(stripe_on, client, invoices, member_buyer, login):
    newer = invoices.issued(member=member_buyer.member, gross="80.00", issue_date=date(2026, 5, 1))
    older, customer = _member_with_iban(invoices, member_buyer)
    transaction = stripe_on.receive_transfer(customer.customer_id, 12000, "")
    event = make_event("customer_cash_balance_transaction.created", transaction)

    deliver(client, event)
    deliver(client, event)

    assert older.status == "paid"
    assert newer.status == "partly_paid"
    assert newer.balance == Decimal("60.00")
    assert newer.payments[0].reference == f"Virement Stripe {transaction['id']}"
    assert db.session.scalars(select(StripeCredit)).all() == []


def test_reconcile_reads_old_sessions(stripe_on, invoices, member_buyer):
    old_invoice = invoices.issued(member=member_buyer.member, gross="120.00")
    new_invoice = invoices.issued(member=member_buyer.member, gross="80.00")
    old = stripe_service.start_checkout(old_invoice, actor=member_buyer, now=utcnow() - timedelta(minutes=45), **URLS)
    new = stripe_service.start_checkout(new_invoice, actor=member_buyer, **URLS)
    stripe_on.pay_session(old.session_id)
    stripe_on.pay_session(new.session_id)

    result = stripe_service.reconcile()

    assert result.sessions == 1
    assert [request.path for request in stripe_on.requests if request.method == "GET"] == [
        f"/v1/checkout/sessions/{old.session_id}"
    ]
    assert old_invoice.status == "paid"
    assert new_invoice.status == "issued"
    assert old.status == "complete"


def test_reconcile_settles_processing_intent(stripe_on, client, invoices, member_buyer):
    invoice = invoices.issued(member=member_buyer.member)
    checkout = stripe_service.start_checkout(invoice, actor=member_buyer, **URLS)
    intent = stripe_on.pay_session(checkout.session_id, settled=False)
    deliver(client, make_event("checkout.session.completed", stripe_on.sessions[checkout.session_id]))
    stripe_on.settle_intent(intent["id"])  # its payment_intent.succeeded webhook is lost

    first = stripe_service.reconcile()
    later = stripe_service.reconcile(now=utcnow() + timedelta(minutes=31))

    assert first.intents == 0
    assert later.intents == 1
    assert invoice.status == "paid"
    assert [payment.amount for payment in invoice.payments] == [Decimal("120.00")]


def test_reconcile_finds_lost_transfer(stripe_on, invoices, member_buyer, login):
    invoice, customer = _member_with_iban(invoices, member_buyer)
    stripe_on.receive_transfer(customer.customer_id, 10000, "mandat 9")

    result = stripe_service.reconcile()
    again = stripe_service.reconcile()

    assert result.transfers == 1
    assert again.transfers == 0
    assert invoice.status == "paid"


def test_reconcile_command(stripe_on, app, invoices, member_buyer):
    invoice = invoices.issued(member=member_buyer.member)
    session = stripe_service.start_checkout(invoice, actor=member_buyer, now=utcnow() - timedelta(hours=1), **URLS)
    stripe_on.expire_session(session.session_id)

    output = app.test_cli_runner().invoke(args=["stripe", "reconcile"])

    assert output.exit_code == 0, output.output
    assert "1 sessions, 0 intentions de paiement et 0 virements relus, 0 erreurs." in output.output
    assert db.session.scalar(select(StripeCheckoutSession.status)) == "expired"


def test_settings_page_hides_secret(stripe_on, factories, login):
    page = login(factories.user(Role.ADMIN)).get("/payments/stripe/settings").get_data(as_text=True)

    assert "Le paiement en ligne est activé." in page
    assert API_KEY not in page
    assert "whsec_" not in page
    assert "régie de recettes" in page
    assert "/payments/stripe/webhook" in page


def test_settings_page_admin_only(stripe_on, factories, login):
    assert login(factories.user(Role.FINANCE)).get("/payments/stripe/settings").status_code == 403


def test_settings_page_off(stripe_off, factories, login):
    page = login(factories.user(Role.ADMIN)).get("/payments/stripe/settings").get_data(as_text=True)

    assert "Le paiement en ligne est désactivé." in page


@pytest.mark.parametrize(
    ("environment", "message"),
    [
        ({"STRIPE_SECRET_KEY": "sk_test_x"}, "STRIPE_SECRET_KEY is set but STRIPE_WEBHOOK_SECRET is missing"),
        ({"STRIPE_PAYMENT_METHODS": "card,paypal"}, "STRIPE_PAYMENT_METHODS='card,paypal' is invalid"),
        ({"STRIPE_API_BASE": "127.0.0.1:12111"}, "STRIPE_API_BASE='127.0.0.1:12111' is invalid"),
    ],
)
def test_invalid_settings_rejected(monkeypatch, environment, message):
    for name in ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_PAYMENT_METHODS", "STRIPE_API_BASE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    with pytest.raises(ConfigurationError, match=message):
        load_stripe_settings()


def test_default_settings(monkeypatch):
    for name in ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_PAYMENT_METHODS", "STRIPE_API_BASE"):
        monkeypatch.delenv(name, raising=False)

    settings = load_stripe_settings()

    assert settings == {
        "STRIPE_SECRET_KEY": None,
        "STRIPE_WEBHOOK_SECRET": None,
        "STRIPE_PAYMENT_METHODS": ("card", "sepa_debit"),
        "STRIPE_API_BASE": None,
    }


def test_reconcile_job_registered(stripe_on, invoices, member_buyer):
    from app.scheduler import find_spec

    invoice = invoices.issued(member=member_buyer.member)
    session = stripe_service.start_checkout(invoice, actor=member_buyer, now=utcnow() - timedelta(hours=1), **URLS)
    stripe_on.pay_session(session.session_id)
    spec = find_spec("reconcile_stripe_payments")

    summary = spec.function(utcnow())

    assert (spec.hour, spec.minute) == ("*", 20)
    assert summary == "1 sessions, 0 payment intents and 0 transfers re-read, 0 errors"
    assert invoice.status == "paid"
