"""Numbers typed on the finance screens: French messages, nothing saved, never a 500."""

from __future__ import annotations

import html
from decimal import Decimal

import pytest

from app.extensions import db
from app.timeutils import today_paris
from invoicing import payments, services
from invoicing.models import Invoice, Payment


def page_of(response) -> str:
    return html.unescape(response.get_data(as_text=True)).replace("\u202f", " ").replace("\u00a0", " ")


@pytest.fixture
def draft(invoicing_data, finance_user) -> Invoice:
    order = invoicing_data.approved_order(lines=(("20.00", "3", "12.50"),))
    [draft] = services.create_invoice_drafts([order], grouping="order", actor=finance_user)
    db.session.commit()
    return draft


@pytest.fixture
def issued(draft, finance_user) -> Invoice:
    services.issue_invoice(draft, finance_user)
    db.session.commit()
    return draft


BAD_NUMBERS = [
    ("quantity", "abc", "Quantité : « abc » n’est pas un nombre"),
    ("quantity", "1e9", "Quantité : « 1e9 » n’est pas un nombre"),
    ("quantity", "9" * 40, "Quantité : 9 999 999"),
    ("quantity", "1,2345", "Quantité : 1,2345 a trop de décimales : 3 décimales au plus."),
    ("quantity", "0", "Quantité : saisissez un nombre supérieur à 0."),
    ("unit_price", "9" * 40, "est trop grand : 99 999 999,9999 € au plus."),
    ("unit_price", "1,23456", "Prix unitaire HT : 1,23456 a trop de décimales : 4 décimales au plus."),
    ("unit_price", "-1", "Prix unitaire HT : -1 est négatif : saisissez un nombre positif."),
]


@pytest.mark.parametrize(("name", "value", "message"), BAD_NUMBERS)
def test_line_change_names_bad_number(login, finance_user, draft, name, value, message):
    line = draft.lines[0]
    data = {"quantity": "3", "unit_price": "12,50", name: value}
    response = login(finance_user).post(f"/invoices/{draft.id}/lines/{line.id}", data=data, follow_redirects=True)
    assert response.status_code == 200
    assert message in page_of(response)
    db.session.expire_all()
    assert db.session.get(Invoice, draft.id).lines[0].quantity == Decimal("3")
    assert db.session.get(Invoice, draft.id).net_amount == Decimal("37.50")


@pytest.mark.parametrize(("name", "value", "message"), BAD_NUMBERS)
def test_free_line_keeps_form_on_bad_number(login, finance_user, draft, name, value, message):
    data = {"name": "Frais de port", "quantity": "1", "unit_price": "10", "vat_category": "S", "vat_rate": "20",
            name: value}
    response = login(finance_user).post(f"/invoices/{draft.id}/lines", data=data)
    assert response.status_code == 400
    assert message in page_of(response)
    assert 'value="Frais de port"' in page_of(response)
    db.session.expire_all()
    assert len(db.session.get(Invoice, draft.id).lines) == 1


def test_line_amount_too_large_is_refused(login, finance_user, draft):
    line = draft.lines[0]
    response = login(finance_user).post(f"/invoices/{draft.id}/lines/{line.id}",
                                        data={"quantity": "999999", "unit_price": "99999999"}, follow_redirects=True)
    assert response.status_code == 200
    assert "Le montant de la ligne, 99 999 899 000 001,00 €, est trop grand : 999 999 999,99 € au plus." in page_of(response)


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("abc", "Montant : « abc » n’est pas un nombre"),
        ("1e9", "Montant : « 1e9 » n’est pas un nombre"),
        ("10,555", "Montant : 10,555 a trop de décimales : 2 décimales au plus."),
        ("9" * 40, "est trop grand : 999 999 999,99 € au plus."),
        ("0", "Montant : saisissez un nombre supérieur à 0."),
        ("5000", "Le montant 5 000,00 € dépasse le reste à payer de FA-"),
    ],
)
def test_payment_amount_names_the_fix(login, finance_user, issued, amount, message):
    response = login(finance_user).post(
        f"/invoices/{issued.id}/payments", data={"paid_on": today_paris().isoformat(), "amount": amount, "form_token": "form-1"}
    )
    assert response.status_code == 400
    assert message in page_of(response)
    assert f'value="{amount}"' in page_of(response)
    assert db.session.query(Payment).count() == 0


def test_overpayment_shows_balance_in_euros(login, finance_user, issued):
    response = login(finance_user).post(
        f"/invoices/{issued.id}/payments", data={"paid_on": today_paris().isoformat(), "amount": "5000", "form_token": "form-1"}
    )
    assert f"Le montant 5 000,00 € dépasse le reste à payer de {issued.number} (45,00 €)" in page_of(response)


def test_second_issue_says_already_issued(login, finance_user, issued):
    response = login(finance_user).post(f"/invoices/{issued.id}/issue", follow_redirects=True)
    assert response.status_code == 200
    assert f"Cette facture est déjà émise ({issued.number})." in page_of(response)


def test_payment_csv_amount_names_line(issued):
    content = (
        "facture;date;montant;reference\n"
        f"{issued.number};{today_paris():%d/%m/%Y};abc;A\n"
        f"{issued.number};{today_paris():%d/%m/%Y};{'9' * 30};B\n"
        f"{issued.number};{today_paris():%d/%m/%Y};10,555;C\n"
        f"{issued.number};{today_paris():%d/%m/%Y};;D\n"
    ).encode()
    parsed = payments.parse_payment_csv(content)
    errors = [row.errors for row in parsed.rows]
    assert errors[0] == ["Ligne 2, montant : « abc » n’est pas un nombre : saisissez des chiffres avec une "
                         "virgule décimale, par exemple 12,50."]
    assert "est trop grand : 999\u202f999\u202f999,99\u00a0€ au plus." in errors[1][0]
    assert errors[2] == ["Ligne 4, montant : 10,555 a trop de décimales : 2 décimales au plus."]
    assert errors[3] == ["Ligne 5 : le montant manque : écrivez un montant positif, par exemple 1 234,56."]
