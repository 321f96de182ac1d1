"""Report PDFs keep every column on the page with long names, large amounts and many rows."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

from app.auth.roles import Role
from app.formatting import format_money, format_unit_price
from orders.campaigns import add_campaign_cost, close_campaign
from reports.exports import export_campaign, export_member
from reports.services import campaign_report, member_report
from tests.pdf_pages import assert_runs_inside_page, compact, read_pages

LONG_PRODUCT_NAME = ("Abonnement annuel à l'espace numérique de travail du premier degré avec messagerie, "
                     "cahier de textes, classe virtuelle, médiathèque, stockage étendu et assistance "
                     "téléphonique pour chaque élève inscrit")[:200]
LONG_MEMBER_NAME = "Communauté d'agglomération du Mont-Saint-Michel – Normandie, service commun du numérique"
LONG_SCHOOL_NAME = "École élémentaire publique Jacques Prévert et Marie Curie – groupe scolaire du Val de Saire"


def wide_campaign(builder, factories):
    """Close a campaign of 24 members ordering a product of a 200-character name in large volumes.

    Returns the campaign and its members.
    """
    assert len(LONG_PRODUCT_NAME) == 200
    pooled = builder.pooled_product(
        [(1, "1234.5678"), (10000, "987.6543")], reference="ENT-PREMIER-DEGRE-2027", name=LONG_PRODUCT_NAME
    )
    campaign = builder.campaign(pooled)
    members = []
    for index in range(24):
        member = factories.member(name=f"{LONG_MEMBER_NAME} {index + 1}")
        school = factories.school(member, pupils=400 + index, classes=16, name=f"{LONG_SCHOOL_NAME} {index + 1}")
        members.append(member)
        buyer = factories.user(Role.BUYER, member)
        builder.submit(school, buyer, [(pooled, 1000 + index)], day=date(2027, 3, 15))
    add_campaign_cost(campaign, label="Hébergement et infogérance de l'ENT pour l'ensemble des écoles",
                      amount=Decimal("125000.00"), allocation_key="pupils")
    close_campaign(campaign, now=datetime(2027, 7, 1, 8, tzinfo=timezone.utc))
    return campaign, members


def test_campaign_pdf_fits_landscape_page(builder, factories):
    campaign, members = wide_campaign(builder, factories)
    report = campaign_report(campaign)

    pages = read_pages(export_campaign(report, "pdf"))

    assert all(round(page.width) == 842 and round(page.height) == 595 for page in pages)
    assert_runs_inside_page(pages)
    [product] = report.products
    assert product.unit_price == Decimal("987.6543")
    product_row = compact(f"{format_unit_price(product.list_unit_price, 'fr')}{format_unit_price(product.unit_price, 'fr')}"
                          f"{format_money(product.savings, 'fr')}")
    assert any(product_row in page.compact_text for page in pages)
    for row in report.members:
        figures = compact(f"{format_money(row.spend, 'fr')}{format_money(row.savings, 'fr')}{format_money(row.cost_shares, 'fr')}")
        assert any(figures in page.compact_text for page in pages), row.name
    assert "Prix unitaire définitif HT" in pages[0].text.replace("\n", " ")


def test_member_annex_fits_page(builder, factories):
    campaign, members = wide_campaign(builder, factories)
    report = member_report(members[0], campaign)

    pages = read_pages(export_member(report, "pdf"))

    assert len(pages) == 1
    assert_runs_inside_page(pages)
    text = pages[0].compact_text
    assert compact(format_money(report.spend, "fr")) in text
    assert compact(format_money(report.savings, "fr")) in text
    [school] = report.schools
    assert compact(f"{format_money(school.spend, 'fr')}{format_money(school.savings, 'fr')}") in text
