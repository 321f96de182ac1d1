"""Payments: one payment per form, dates within the invoice's life, cents only, cancellation."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest

from app.auth.roles import Role
from app.errors import InvalidTransition, ValidationFailed
from invoicing import payments, services
from invoicing.models import Payment

ISSUE_DAY = date(2026, 3, 10)
TODAY = date(2026, 4, 1)


@pytest.fixture
def invoice(invoicing_data, finance_user):
    """An issued invoice of 45,00 € TTC (3 x 12,50 € + 20 % VAT), issued on 10/03/2026."""
    order = invoicing_data.approved_order()
    [draft] = services.create_invoice_drafts([order], grouping="order", actor=finance_user)
    return services.issue_invoice(draft, finance_user, issue_date=ISSUE_DAY)


def record(invoice, finance_user, amount: str, paid_on: date = date(2026, 3, 20), **values):
    return payments.record_payment(
        invoice, paid_on=paid_on, amount=Decimal(amount), reference="M-1", actor=finance_user, today=TODAY, **values
    )


def test_amount_with_three_decimals_rejected(invoice, finance_user):
    with pytest.raises(ValidationFailed) as error:
        record(invoice, finance_user, "10.555")

    assert error.value.field == "amount"
    assert str(error.value) == "Le montant 10,555 a plus de 2 décimales : saisissez-le au centime près, par exemple 120,50."
    assert invoice.paid_amount == Decimal("0.00")
    assert invoice.payments == []


@pytest.mark.parametrize("paid_on", [date(2026, 3, 9), date(2026, 4, 2)])
def test_date_outside_range_rejected(invoice, finance_user, paid_on):
    with pytest.raises(ValidationFailed) as error:
        record(invoice, finance_user, "10.00", paid_on=paid_on)

    assert error.value.field == "paid_on"
    assert str(error.value) == (
        f"La date de paiement {paid_on:%d/%m/%Y} est hors de la période autorisée : saisissez une date "
        f"du 10/03/2026 (date d'émission de {invoice.number}) au 01/04/2026 (aujourd'hui)."
    )
    assert invoice.payments == []


@pytest.mark.parametrize("paid_on", [ISSUE_DAY, TODAY])
def test_date_range_bounds_accepted(invoice, finance_user, paid_on):
    payment = record(invoice, finance_user, "10.00", paid_on=paid_on)

    assert payment.paid_on == paid_on
    assert invoice.balance == Decimal("35.00")


def test_same_form_token_records_once(invoice, finance_user):
    values = dict(paid_on=date(2026, 3, 20), amount=Decimal("20.50"), reference="M-1", actor=finance_user, today=TODAY)

    first = payments.record_payment_once(invoice, "token-123", **values)
    second = payments.record_payment_once(invoice, "token-123", **values)

    assert (first.replayed, second.replayed) == (False, True)
    assert second.payment.id == first.payment.id
    assert len(invoice.payments) == 1
    assert invoice.paid_amount == Decimal("20.50")
    assert invoice.balance == Decimal("24.50")


def test_missing_form_token_rejected(invoice, finance_user):
    with pytest.raises(ValidationFailed):
        payments.record_payment_once(
            invoice, "", paid_on=date(2026, 3, 20), amount=Decimal("1.00"), reference="", actor=finance_user
        )


def test_cancel_payment_recomputes_balance(invoice, finance_user):
    record(invoice, finance_user, "20.50")
    wrong = record(invoice, finance_user, "24.50", paid_on=date(2026, 3, 22))
    assert invoice.status == "paid"

    payments.cancel_payment(wrong, finance_user, "  Mandat rejeté par la trésorerie ")

    assert wrong.is_cancelled
    assert wrong.cancelled_by_id == finance_user.id
    assert wrong.cancellation_reason == "Mandat rejeté par la trésorerie"
    assert invoice.paid_amount == Decimal("20.50")
    assert invoice.balance == Decimal("24.50")
    assert invoice.status == "partly_paid"
    assert len(invoice.payments) == 2


def test_cancel_payment_twice_rejected(invoice, finance_user):
    payment = record(invoice, finance_user, "45.00")
    payments.cancel_payment(payment, finance_user, "Erreur de facture")

    with pytest.raises(InvalidTransition) as error:
        payments.cancel_payment(payment, finance_user, "Encore")

    assert str(error.value) == "Le paiement de 45,00\xa0€ du 20/03/2026 est déjà annulé."
    assert invoice.paid_amount == Decimal("0.00")
    assert invoice.status == "issued"


def test_cancel_payment_needs_reason(invoice, finance_user):
    payment = record(invoice, finance_user, "45.00")

    with pytest.raises(ValidationFailed) as error:
        payments.cancel_payment(payment, finance_user, "   ")

    assert error.value.field == "reason"
    assert not payment.is_cancelled
    assert invoice.status == "paid"


def test_csv_row_with_future_date_rejected(invoice, finance_user, monkeypatch):
    monkeypatch.setattr(payments, "today_paris", lambda: TODAY)
    content = f"facture;date;montant;reference\n{invoice.number};02/04/2026;10,00;A\n".encode()

    parsed = payments.parse_payment_csv(content)

    [row] = parsed.rows
    assert row.errors == [
        f"Ligne 2 : La date de paiement 02/04/2026 est hors de la période autorisée : saisissez une date "
        f"du 10/03/2026 (date d'émission de {invoice.number}) au 01/04/2026 (aujourd'hui)."
    ]


def payment_page_token(client, invoice) -> str:
    page = client.get(f"/invoices/{invoice.id}").get_data(as_text=True)
    return re.search(r'name="form_token"[^>]*value="([^"]+)"', page).group(1)


def test_payment_form_posted_twice_records_once(invoice, finance_user, login):
    client = login(finance_user)
    token = payment_page_token(client, invoice)
    form = {"paid_on": "2026-03-20", "amount": "20,50", "reference": "MANDAT-7", "form_token": token}

    first = client.post(f"/invoices/{invoice.id}/payments", data=form)
    second = client.post(f"/invoices/{invoice.id}/payments", data=form, follow_redirects=True)

    assert first.status_code == 303
    assert "Ce paiement est déjà enregistré" in second.get_data(as_text=True)
    assert [payment.amount for payment in Payment.query.filter_by(invoice_id=invoice.id)] == [Decimal("20.50")]


def test_payment_form_future_date_on_field(invoice, finance_user, login):
    client = login(finance_user)
    token = payment_page_token(client, invoice)

    response = client.post(
        f"/invoices/{invoice.id}/payments",
        data={"paid_on": "2099-01-01", "amount": "10,00", "reference": "", "form_token": token},
    )

    assert response.status_code == 400
    page = response.get_data(as_text=True).replace("&#39;", "'")
    assert "La date de paiement 01/01/2099 est hors de la période autorisée" in page
    assert Payment.query.filter_by(invoice_id=invoice.id).count() == 0


def test_cancel_payment_over_http(invoice, finance_user, factories, login):
    payment = record(invoice, finance_user, "45.00")
    client = login(finance_user)

    response = client.post(
        f"/invoices/{invoice.id}/payments/{payment.id}/cancel", data={"reason": "Mandat rejeté"}, follow_redirects=True
    )

    page = response.get_data(as_text=True)
    assert "Paiement annulé" in page
    assert "Mandat rejeté" in page
    assert payment.is_cancelled
    assert invoice.balance == Decimal("45.00")
    buyer = factories.user(Role.BUYER, member=invoice.member)
    client.post("/logout")
    login(buyer)
    forbidden = client.post(f"/invoices/{invoice.id}/payments/{payment.id}/cancel", data={"reason": "x"})
    assert forbidden.status_code in (403, 404)
