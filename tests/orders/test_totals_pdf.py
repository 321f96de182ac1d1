"""Totals to the cent with mixed VAT rates, on the stored order and in the purchase order PDF."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from flask import current_app

from app import timeutils
from app.pdf import sha256_hex
from orders import services
from orders.purchase_order import purchase_order_pdf
from orders.states import OrderStatus

from .conftest import cart_with, pdf_text, reload, submitted_order

TRAINING_EXEMPTION = "Exonération de TVA, CGI art. 261-4-4° a"


@pytest.fixture
def mixed_products(factories):
    """Products covering 20 %, 5,5 % and exempt training, priced so that rounding ties appear."""
    category = factories.category()
    return {
        # 5 x 0.4050 = 2.025: the line net rounds half-up to 2.03 (half-even would give 2.02).
        "cable": factories.product(
            unit_price="0.4050", name="Câble HDMI", reference="HW-CABLE", category=category
        ),
        # 3 x 12.3333 = 36.9999, rounded to 37.00.
        "licence": factories.product(
            unit_price="12.3333", name="Licence bureautique", reference="LIC-OFFICE", category=category
        ),
        # Two 5,5 % lines of 1.50: per-line VAT would be 0.08 + 0.08, but on the 3.00 base
        # it is 0.165, a tie that rounds half-up to 0.17.
        "book": factories.product(
            unit_price="1.50", name="Livret numérique", reference="EDU-BOOK",
            vat_rate=Decimal("5.50"), category=category,
        ),
        "guide": factories.product(
            unit_price="1.50", name="Guide pédagogique", reference="EDU-GUIDE",
            vat_rate=Decimal("5.50"), category=category,
        ),
        "training": factories.product(
            unit_price="450.00", name="Formation ENT", reference="FOR-ENT", unit="training_day",
            vat_category="E", vat_rate=Decimal("0.00"), vat_exemption_reason=TRAINING_EXEMPTION,
            category=category,
        ),
    }


@pytest.fixture
def mixed_order(setup_a, mixed_products):
    setup_a.member.billing_siret = setup_a.member.siren + "00017"
    return submitted_order(
        setup_a.buyer,
        setup_a.school,
        (mixed_products["cable"], "5"),
        (mixed_products["licence"], "3"),
        (mixed_products["book"], "1"),
        (mixed_products["guide"], "1"),
        (mixed_products["training"], "3"),
    )


def test_line_nets_round_half_up(mixed_order):
    nets = {line.reference: line.net_amount for line in reload(mixed_order).lines}

    assert nets["HW-CABLE"] == Decimal("2.03")
    assert nets["LIC-OFFICE"] == Decimal("37.00")
    assert nets["EDU-BOOK"] == Decimal("1.50")
    assert nets["EDU-GUIDE"] == Decimal("1.50")
    assert nets["FOR-ENT"] == Decimal("1350.00")


def test_stored_totals_to_the_cent(mixed_order):
    order = reload(mixed_order)

    assert order.net_amount == Decimal("1392.03")
    assert order.vat_amount == Decimal("7.98")
    assert order.gross_amount == Decimal("1400.01")


def test_vat_breakdown_per_rate(mixed_order):
    breakdown = reload(mixed_order).totals().breakdown

    rows = [(row.vat_category, row.vat_rate, row.base_amount, row.vat_amount) for row in breakdown]
    assert rows == [
        ("S", Decimal("20.00"), Decimal("39.03"), Decimal("7.81")),
        ("S", Decimal("5.50"), Decimal("3.00"), Decimal("0.17")),
        ("E", Decimal("0.00"), Decimal("1350.00"), Decimal("0.00")),
    ]
    assert breakdown[2].exemption_reason == TRAINING_EXEMPTION


def test_cart_totals_match_submission(setup_a, mixed_products):
    order = cart_with(
        setup_a.buyer, setup_a.school,
        (mixed_products["cable"], "5"), (mixed_products["book"], "1"), (mixed_products["guide"], "1"),
    )

    cart = services.build_cart(setup_a.school, order, timeutils.today_paris())

    assert cart.totals.net_amount == Decimal("5.03")
    assert cart.totals.vat_amount == Decimal("0.58")
    assert cart.totals.gross_amount == Decimal("5.61")


def test_pdf_before_approval(mixed_order, setup_a):
    text = re.sub(r"\s+", " ", pdf_text(purchase_order_pdf(mixed_order)))

    assert "BC-2026-00001" in text
    assert setup_a.school.uai in text
    assert f"SIREN : {setup_a.member.siren}" in text
    assert f"SIRET de facturation : {setup_a.member.siren}00017" in text
    assert "1 392,03 €" in text
    assert "7,98 €" in text
    assert "1 400,01 €" in text
    assert "5,5 %" in text
    assert "20 %" in text
    assert "en attente de validation" in text


def test_pdf_every_mention(mixed_order, setup_a):
    identity = current_app.config["CENTRALE_IDENTITY"]
    services.transition(mixed_order, OrderStatus.APPROVED, setup_a.approver)

    text = pdf_text(reload(mixed_order).purchase_order_pdf)
    flat = re.sub(r"\s+", " ", text)

    assert "Bon de commande BC-2026-00001" in flat
    assert "Date de la commande : 10/03/2026" in flat
    assert identity.name in flat
    assert identity.siret in flat
    assert identity.vat_number in flat
    assert setup_a.member.name in flat
    assert setup_a.school.name in flat
    assert mixed_order.lines[0].contract_reference in flat
    for reference in ("HW-CABLE", "LIC-OFFICE", "EDU-BOOK", "EDU-GUIDE", "FOR-ENT"):
        assert reference in flat
    assert "0,405 €" in flat
    assert "12,3333 €" in flat
    assert "2,03 €" in flat
    assert "1 350,00 €" in flat
    assert "CGI art. 261-4-4° a" in flat
    assert "39,03 €" in flat
    assert "7,81 €" in flat
    assert "0,17 €" in flat
    assert "Validée par Victor Valideur le 10/03/2026 11:00" in flat
    assert "en attente de validation" not in flat


def test_approval_stores_pdf_and_hash(mixed_order, setup_a):
    services.transition(mixed_order, OrderStatus.APPROVED, setup_a.approver)

    order = reload(mixed_order)
    assert order.purchase_order_pdf.startswith(b"%PDF-")
    assert order.purchase_order_sha256 == sha256_hex(order.purchase_order_pdf)


def test_approved_pdf_carries_order_x(mixed_order, setup_a):
    from facturx import get_xml_from_pdf
    from lxml import etree

    from app.einvoicing import NS_ORDERX, validate_order_xml

    services.transition(mixed_order, OrderStatus.APPROVED, setup_a.approver)
    order = reload(mixed_order)

    filename, xml = get_xml_from_pdf(order.purchase_order_pdf, check_xsd=False)
    assert filename == "order-x.xml"
    validate_order_xml(xml)
    root = etree.fromstring(xml)
    ns = NS_ORDERX
    assert root.findtext("rsm:ExchangedDocument/ram:ID", namespaces=ns) == order.number
    assert root.findtext("rsm:ExchangedDocument/ram:TypeCode", namespaces=ns) == "220"
    summation = root.find(".//ram:SpecifiedTradeSettlementHeaderMonetarySummation", ns)
    assert summation.findtext("ram:TaxBasisTotalAmount", namespaces=ns) == str(order.net_amount)
    assert summation.findtext("ram:TaxTotalAmount", namespaces=ns) == str(order.vat_amount)
    assert summation.findtext("ram:GrandTotalAmount", namespaces=ns) == str(order.gross_amount)
    assert root.findtext(".//ram:ShipToTradeParty/ram:ID", namespaces=ns) == setup_a.school.uai
    buyer_siren = root.findtext(".//ram:BuyerTradeParty/ram:SpecifiedLegalOrganization/ram:ID", namespaces=ns)
    assert buyer_siren == setup_a.member.siren
    assert len(root.findall(".//ram:IncludedSupplyChainTradeLineItem", ns)) == len(order.lines)
