"""French agreement of invoicing labels and counts: « Payée », « Émis », singular drafts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from html import unescape

from flask_babel import force_locale

from app.extensions import db
from invoicing import payments, services


def issue(invoicing_data, finance_user):
    order = invoicing_data.approved_order()
    [draft] = services.create_invoice_drafts([order], grouping="order", actor=finance_user)
    return services.issue_invoice(draft, finance_user, issue_date=date(2026, 3, 10))


def test_paid_invoice_reads_payee(invoicing_data, finance_user):
    invoice = issue(invoicing_data, finance_user)
    payments.record_payment(invoice, paid_on=date(2026, 3, 12), amount=invoice.gross_amount,
                            reference="VIR-1", actor=finance_user)

    assert invoice.gross_amount == Decimal("45.00")
    assert invoice.status == "paid"
    assert invoice.status_label == "Payée"


def test_issued_credit_note_reads_emis(invoicing_data, finance_user):
    invoice = issue(invoicing_data, finance_user)
    credit_note = services.issue_invoice(services.create_credit_note(invoice, finance_user), finance_user,
                                         issue_date=date(2026, 3, 20))

    assert credit_note.status_label == "Émis"
    assert invoice.status_label == "Annulée par avoir"


def test_one_draft_flash_is_singular(invoicing_data, finance_user, login):
    order = invoicing_data.approved_order()
    client = login(finance_user)

    response = client.post("/invoices/drafts", data={"order_id": str(order.id), "grouping": "order"},
                           follow_redirects=True)

    page = unescape(response.get_data(as_text=True))
    assert "1 brouillon de facture créé : vérifiez-le, puis émettez-le." in page


def test_stored_subjects_french_in_english(invoicing_data, finance_user):
    order = invoicing_data.approved_order()

    with force_locale("en"):
        [draft] = services.create_invoice_drafts([order], grouping="order", actor=finance_user)
        invoice = services.issue_invoice(draft, finance_user, issue_date=date(2026, 3, 10))
        credit_note = services.create_credit_note(invoice, finance_user)

    assert invoice.subject == f"Commandes {order.number}"
    assert credit_note.subject == "Avoir sur la facture FA-2026-00001"
