"""PDF document properties (title, subject, author) of issued documents are French."""

from __future__ import annotations

import io
from datetime import date

from pypdf import PdfReader

from invoicing import services
from orders.purchase_order import store_purchase_order


def properties(pdf: bytes) -> dict:
    metadata = PdfReader(io.BytesIO(pdf)).metadata
    return {"title": metadata.title, "subject": metadata.subject, "author": metadata.author}


def test_invoice_and_credit_note_properties(invoicing_data, finance_user):
    order = invoicing_data.approved_order()
    [draft] = services.create_invoice_drafts([order], grouping="order", actor=finance_user)
    invoice = services.issue_invoice(draft, finance_user, issue_date=date(2026, 3, 10))
    credit_note = services.issue_invoice(services.create_credit_note(invoice, finance_user), finance_user,
                                         issue_date=date(2026, 3, 20))
    member = order.member.name

    assert properties(invoice.pdf_data) == {
        "title": "Facture FA-2026-00001 – Manche Numérique",
        "subject": f"Facture FA-2026-00001 du 10/03/2026 émise par Manche Numérique pour {member}",
        "author": "Manche Numérique",
    }
    assert properties(credit_note.pdf_data) == {
        "title": "Avoir AV-2026-00001 – Manche Numérique",
        "subject": f"Avoir AV-2026-00001 du 20/03/2026 émis par Manche Numérique pour {member}",
        "author": "Manche Numérique",
    }


def test_purchase_order_properties(invoicing_data, app):
    order = invoicing_data.approved_order()

    with app.test_request_context(headers={"Accept-Language": "en"}):
        store_purchase_order(order)

    assert properties(order.purchase_order_pdf) == {
        "title": f"Bon de commande {order.number} – {order.member.name}",
        "subject": f"Bon de commande {order.number} passé par {order.member.name} pour {order.school.name} le 02/03/2026",
        "author": order.member.name,
    }
