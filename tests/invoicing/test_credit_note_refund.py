"""Credit notes on partly paid invoices: the overpayment to refund, its confirmation, capping."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest

from app.auth.roles import Role
from app.errors import ValidationFailed
from app.formatting import format_money
from invoicing import credit_notes, exports, payments, services

ISSUE_DAY = date(2026, 3, 10)
TODAY = date(2026, 4, 1)


def money(amount: str) -> str:
    return format_money(Decimal(amount), locale="fr")


@pytest.fixture
def partly_paid(invoicing_data, finance_user):
    """An invoice of 1 738,56 € TTC (1 448,80 € + 20 % VAT) with 1 045,56 € paid."""
    order = invoicing_data.approved_order(lines=(("20.00", "1", "1448.80"),))
    [draft] = services.create_invoice_drafts([order], grouping="order", actor=finance_user)
    invoice = services.issue_invoice(draft, finance_user, issue_date=ISSUE_DAY)
    payments.record_payment(
        invoice, paid_on=date(2026, 3, 20), amount=Decimal("1045.56"), reference="M-1", actor=finance_user, today=TODAY
    )
    assert (invoice.gross_amount, invoice.balance) == (Decimal("1738.56"), Decimal("693.00"))
    return invoice


def test_full_credit_needs_refund_accepted(partly_paid, finance_user):
    credit_note = services.create_credit_note(partly_paid, finance_user)
    assert credit_notes.refund_after_issue(credit_note) == Decimal("1045.56")

    with pytest.raises(ValidationFailed) as error:
        services.issue_invoice(credit_note, finance_user, issue_date=date(2026, 3, 25))

    assert error.value.field == "accept_refund"
    assert str(error.value) == (
        f"La facture {partly_paid.number} est déjà payée à hauteur de {money('1045.56')} : cet avoir de "
        f"{money('1738.56')} laisse un trop-perçu de {money('1045.56')} à rembourser à l'adhérent. Cochez la case "
        f"pour accepter ce remboursement, ou plafonnez l'avoir au reste à payer de {money('693.00')}."
    )
    assert credit_note.is_draft
    assert partly_paid.credited_amount == Decimal("0.00")


def test_full_credit_leaves_refund_due(partly_paid, finance_user):
    credit_note = services.create_credit_note(partly_paid, finance_user)

    services.issue_invoice(credit_note, finance_user, issue_date=date(2026, 3, 25), accept_refund=True)

    assert partly_paid.status == "cancelled"
    assert partly_paid.credited_amount == Decimal("1738.56")
    assert partly_paid.paid_amount == Decimal("1045.56")
    assert partly_paid.balance == Decimal("0.00")
    assert partly_paid.refund_due == Decimal("1045.56")
    assert partly_paid.status_label == f"Annulée par avoir – trop-perçu de {money('1045.56')} à rembourser"
    assert payments.invoices_with_refund_due() == [partly_paid]


def test_refund_in_finance_export(partly_paid, finance_user):
    credit_note = services.create_credit_note(partly_paid, finance_user)
    services.issue_invoice(credit_note, finance_user, issue_date=date(2026, 3, 25), accept_refund=True)

    header, rows = exports.document_rows([partly_paid, credit_note])

    column = header.index("Trop-perçu à rembourser")
    assert [row[column] for row in rows] == [Decimal("1045.56"), Decimal("0.00")]
    assert rows[0][header.index("Statut")] == f"Annulée par avoir – trop-perçu de {money('1045.56')} à rembourser"


def test_cap_at_open_balance(partly_paid, finance_user):
    credit_note = services.create_credit_note(partly_paid, finance_user)

    gross = credit_notes.cap_to_open_balance(credit_note)

    assert gross == Decimal("693.00")
    assert credit_note.net_amount == Decimal("577.50")
    assert credit_note.vat_amount == Decimal("115.50")
    assert credit_notes.refund_after_issue(credit_note) == Decimal("0.00")
    services.issue_invoice(credit_note, finance_user, issue_date=date(2026, 3, 25))
    assert partly_paid.status == "paid"
    assert partly_paid.balance == Decimal("0.00")
    assert partly_paid.refund_due == Decimal("0.00")


def test_cap_with_mixed_vat_rates(invoicing_data, finance_user):
    lines = (("20.00", "3", "12.50"), ("5.50", "2", "100.33"), ("0", "1", "300.00"))
    order = invoicing_data.approved_order(lines=lines)
    [draft] = services.create_invoice_drafts([order], grouping="order", actor=finance_user)
    invoice = services.issue_invoice(draft, finance_user, issue_date=ISSUE_DAY)
    assert invoice.gross_amount == Decimal("556.70")
    payments.record_payment(
        invoice, paid_on=date(2026, 3, 20), amount=Decimal("123.45"), reference="", actor=finance_user, today=TODAY
    )
    credit_note = services.create_credit_note(invoice, finance_user)

    gross = credit_notes.cap_to_open_balance(credit_note)

    assert gross == Decimal("433.25")
    assert credit_note.gross_amount == invoice.balance


def test_cap_without_open_balance_rejected(invoicing_data, finance_user):
    order = invoicing_data.approved_order()
    [draft] = services.create_invoice_drafts([order], grouping="order", actor=finance_user)
    invoice = services.issue_invoice(draft, finance_user, issue_date=ISSUE_DAY)
    payments.record_payment(
        invoice, paid_on=date(2026, 3, 20), amount=Decimal("45.00"), reference="", actor=finance_user, today=TODAY
    )
    credit_note = services.create_credit_note(invoice, finance_user)

    with pytest.raises(ValidationFailed):
        credit_notes.cap_to_open_balance(credit_note)
    assert credit_note.gross_amount == Decimal("45.00")


def test_unpaid_invoice_credit_needs_no_confirmation(invoicing_data, finance_user):
    order = invoicing_data.approved_order()
    [draft] = services.create_invoice_drafts([order], grouping="order", actor=finance_user)
    invoice = services.issue_invoice(draft, finance_user, issue_date=ISSUE_DAY)
    credit_note = services.create_credit_note(invoice, finance_user)

    services.issue_invoice(credit_note, finance_user, issue_date=date(2026, 3, 25))

    assert invoice.status == "cancelled"
    assert invoice.refund_due == Decimal("0.00")
    assert invoice.status_label == "Annulée par avoir"


def page_text(response) -> str:
    return re.sub(r"[ \t\r\n]+", " ", response.get_data(as_text=True).replace("&#39;", "'"))


def test_credit_note_page_warns_and_caps(partly_paid, finance_user, login):
    credit_note = services.create_credit_note(partly_paid, finance_user)
    client = login(finance_user)

    page = page_text(client.get(f"/invoices/{credit_note.id}"))
    assert f"Attention : l'adhérent a déjà payé {money('1045.56')}." in page
    assert f"laisse un trop-perçu de {money('1045.56')}" in page

    refused = client.post(f"/invoices/{credit_note.id}/issue", follow_redirects=True)
    assert "Cochez la case pour accepter ce remboursement" in page_text(refused)
    assert credit_note.is_draft

    capped = client.post(f"/invoices/{credit_note.id}/cap", follow_redirects=True)
    assert f"Avoir ramené au reste à payer : {money('693.00')}." in page_text(capped)
    client.post(f"/invoices/{credit_note.id}/issue")
    assert partly_paid.status == "paid"


def test_refund_shown_to_member_and_finance(partly_paid, finance_user, factories, login):
    credit_note = services.create_credit_note(partly_paid, finance_user)
    client = login(finance_user)
    client.post(f"/invoices/{credit_note.id}/issue", data={"accept_refund": "y"})
    assert partly_paid.refund_due == Decimal("1045.56")

    overdue = page_text(client.get("/invoices/overdue"))
    assert "Trop-perçus à rembourser" in overdue
    assert partly_paid.number in overdue
    client.post("/logout")
    login(factories.user(Role.BUYER, member=partly_paid.member))
    listing = page_text(client.get("/invoices"))
    assert f"Annulée par avoir – trop-perçu de {money('1045.56')} à rembourser" in listing
    detail = page_text(client.get(f"/invoices/{partly_paid.id}"))
    assert f"<dt>Trop-perçu à rembourser</dt><dd><strong>{money('1045.56')}</strong></dd>" in detail
