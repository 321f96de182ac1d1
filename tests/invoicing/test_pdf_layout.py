"""PDF layout: long lines, exempt lines and many lines stay inside the A4 page of the invoice,
the credit note and the purchase order."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from app.extensions import db
from app.formatting import format_money, format_unit_price
from invoicing import services
from orders.purchase_order import render_purchase_order
from tests.pdf_pages import assert_runs_inside_page, compact, read_pages

EXEMPTION_REASON = (
    "Exonération de TVA en application de l'article 261-4-4° a du code général des impôts : "
    "formation professionnelle continue dispensée par un organisme déclaré auprès du préfet de région"
)
LONG_NAME = ("Abonnement ENT premier degré avec espace numérique de travail, messagerie, cahier de textes, "
             "classe virtuelle, médiathèque et stockage étendu pour chaque élève de l'école primaire publique, "
             "avec assistance")[:200]


@pytest.fixture
def long_order(invoicing_data):
    """An approved order of 40 lines: a 200-character name, an exempt training day, distinct amounts."""
    lines = [("20.00", "3", f"{10 + index}.{index:02d}") for index in range(1, 39)]
    lines.insert(0, ("20.00", "12", "1234.56"))
    lines.insert(5, ("0", "1.5", "875.00"))
    order = invoicing_data.approved_order(lines=tuple(lines))
    order.lines[0].name = LONG_NAME
    exempt = order.lines[5]
    exempt.name = "Formation des enseignants à l'ENT (journée sur site)"
    exempt.vat_exemption_reason = EXEMPTION_REASON
    db.session.flush()
    assert len(LONG_NAME) == 200
    assert len(order.lines) == 40
    return order


def page_of(pages, text: str) -> int:
    """Return the number of the only page whose text contains ``text``."""
    found = [number for number, page in enumerate(pages, start=1) if compact(text) in page.compact_text]
    assert len(found) == 1, f"{text!r} found on pages {found}"
    return found[0]


def assert_lines_and_totals_printed(pages, document):
    """Each line's unit price and net amount share a page, and the last page has the totals."""
    for line in document.lines:
        price, amount = compact(format_unit_price(line.unit_price, "fr")), compact(format_money(line.net_amount, "fr"))
        assert any(price in page.compact_text and amount in page.compact_text for page in pages), line.name
    last = pages[-1].compact_text
    assert compact(format_money(document.gross_amount, "fr")) in last
    assert compact(format_money(document.vat_amount, "fr")) in last


def assert_exempt_line_readable(pages):
    """The exempt line prints its legal reason in full under its name, on the page of its amount."""
    text = pages[page_of(pages, "Formation des enseignants à l'ENT") - 1].compact_text
    assert compact(EXEMPTION_REASON) in text
    assert compact(f"875,00 € Exonéré {format_money(Decimal('1312.50'), 'fr')}") in text


def test_invoice_fits_page_with_long_lines(long_order, finance_user):
    [draft] = services.create_invoice_drafts([long_order], grouping="order", actor=finance_user)
    invoice = services.issue_invoice(draft, finance_user, issue_date=date(2026, 3, 10))

    pages = read_pages(invoice.pdf_data)

    assert len(pages) >= 2
    assert all(round(page.width) == 595 and round(page.height) == 842 for page in pages)
    assert_runs_inside_page(pages)
    assert_lines_and_totals_printed(pages, invoice)
    assert invoice.net_amount == Decimal("19512.45")
    # The exempt row of the VAT breakdown: its label, reason and amounts on one page.
    exempt_base = format_money(Decimal("1312.50"), "fr")
    breakdown_page = pages[page_of(pages, "Ventilation de la TVA") - 1].compact_text
    assert compact(f"Sans TVA – {EXEMPTION_REASON}{exempt_base}0,00 €") in breakdown_page
    assert_exempt_line_readable(pages)
    # Column headers repeat on every page of the lines table.
    for page in pages[:-1]:
        assert "Montant HT" in page.text


def test_credit_note_fits_page(long_order, finance_user):
    [draft] = services.create_invoice_drafts([long_order], grouping="order", actor=finance_user)
    invoice = services.issue_invoice(draft, finance_user, issue_date=date(2026, 3, 10))
    credit_note = services.issue_invoice(services.create_credit_note(invoice, finance_user), finance_user,
                                         issue_date=date(2026, 3, 20))

    pages = read_pages(credit_note.pdf_data)

    assert_runs_inside_page(pages)
    assert_lines_and_totals_printed(pages, credit_note)
    assert_exempt_line_readable(pages)


def test_purchase_order_fits_page(long_order):
    pages = read_pages(render_purchase_order(long_order))

    assert len(pages) >= 2
    assert_runs_inside_page(pages)
    assert_lines_and_totals_printed(pages, long_order)
    assert compact(format_money(Decimal("19512.45"), "fr")) in pages[-1].compact_text
    breakdown_page = pages[page_of(pages, "Ventilation de la TVA") - 1].compact_text
    assert compact(f"Exonéré – {EXEMPTION_REASON}") in breakdown_page
    assert compact(f"{format_money(Decimal('1312.50'), 'fr')}0,00 €") in breakdown_page
    assert_exempt_line_readable(pages)
    for page in pages[:-1]:
        assert "Montant HT" in page.text
